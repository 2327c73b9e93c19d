"""bayesgd: exact posteriors beside the point gradient descent finds, checked against PyMC.

Examples
--------
>>> from scipy import stats
>>> import bayesgd as bg
>>> m = bg.Binomial(k=7, n=10, p=stats.beta(2, 2))
>>> m.names
('p',)
"""

from __future__ import annotations

from . import datasets, optim, plots, priors, transforms
from .compare import Comparison, compare
from .conjugate import ConjugatePosterior, conjugate, is_conjugate
from .errors import (
    BoundaryWarning,
    ConvergenceWarning,
    DivergenceError,
    GridWarning,
    NotApplicableError,
    NotConjugateError,
    SamplingWarning,
)
from .grid import GridPosterior, grid
from .laplace import (
    LaplacePosterior,
    NearSingularWarning,
    NotPositiveDefiniteError,
    SupportWarning,
    laplace,
)
from .map import MAPResult, map_estimate
from .models import (
    Bernoulli,
    Binomial,
    Categorical,
    Exponential,
    Geometric,
    LinearRegression,
    LogisticRegression,
    Model,
    Multinomial,
    NegativeBinomial,
    Normal,
    Parameter,
    Poisson,
    PoissonRegression,
)
from .models.perceptron import Perceptron
from .posterior import Posterior, SamplePosterior
from .predictive import Prediction, predict
from .priors import NormalInverseGamma
from .pymc import (
    PyMCCheck,
    PyMCModel,
    PyMCPosterior,
    check_with_pymc,
    model_from_pymc,
    sample_pymc,
    to_pymc,
)

Model.from_pymc = staticmethod(model_from_pymc)  # type: ignore[attr-defined]

__version__ = "0.1.0"

__all__ = [
    "Bernoulli",
    "Binomial",
    "BoundaryWarning",
    "Categorical",
    "Comparison",
    "ConjugatePosterior",
    "ConvergenceWarning",
    "DivergenceError",
    "Exponential",
    "Geometric",
    "GridPosterior",
    "GridWarning",
    "LaplacePosterior",
    "LinearRegression",
    "LogisticRegression",
    "MAPResult",
    "Model",
    "Multinomial",
    "NearSingularWarning",
    "NegativeBinomial",
    "Normal",
    "NormalInverseGamma",
    "NotApplicableError",
    "NotConjugateError",
    "NotPositiveDefiniteError",
    "Parameter",
    "Perceptron",
    "Poisson",
    "PoissonRegression",
    "Posterior",
    "Prediction",
    "PyMCCheck",
    "PyMCModel",
    "PyMCPosterior",
    "SamplePosterior",
    "SamplingWarning",
    "SupportWarning",
    "__version__",
    "check_with_pymc",
    "compare",
    "conjugate",
    "datasets",
    "grid",
    "is_conjugate",
    "laplace",
    "map_estimate",
    "model_from_pymc",
    "optim",
    "plots",
    "predict",
    "priors",
    "sample_pymc",
    "to_pymc",
    "transforms",
]
