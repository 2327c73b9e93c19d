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

from . import datasets, optim, plots, priors, transforms, trust
from .abtest import ABTest, ab_test
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
from .evidence import BayesFactor, bayes_factor
from .grid import GridPosterior, grid
from .hierarchical import HierarchicalModel, HierarchicalPrior, hierarchical
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
    Gamma,
    Geometric,
    LinearRegression,
    LogisticRegression,
    LogNormal,
    Model,
    Multinomial,
    NegativeBinomial,
    Normal,
    Parameter,
    Poisson,
    PoissonRegression,
    StudentT,
    Weibull,
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
from .trust import ImportanceWarning, importance_resample, khat, psis
from .variational import PathfinderPosterior, VIPosterior, pathfinder, vi

Model.from_pymc = staticmethod(model_from_pymc)  # type: ignore[attr-defined]

__version__ = "0.1.0"

__all__ = [
    "ABTest",
    "BayesFactor",
    "Bernoulli",
    "Binomial",
    "BoundaryWarning",
    "Categorical",
    "Comparison",
    "ConjugatePosterior",
    "ConvergenceWarning",
    "DivergenceError",
    "Exponential",
    "Gamma",
    "Geometric",
    "GridPosterior",
    "GridWarning",
    "HierarchicalModel",
    "HierarchicalPrior",
    "ImportanceWarning",
    "LaplacePosterior",
    "LinearRegression",
    "LogNormal",
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
    "PathfinderPosterior",
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
    "StudentT",
    "SupportWarning",
    "VIPosterior",
    "Weibull",
    "__version__",
    "ab_test",
    "bayes_factor",
    "check_with_pymc",
    "compare",
    "conjugate",
    "datasets",
    "grid",
    "hierarchical",
    "importance_resample",
    "is_conjugate",
    "khat",
    "laplace",
    "map_estimate",
    "model_from_pymc",
    "optim",
    "pathfinder",
    "plots",
    "predict",
    "priors",
    "psis",
    "sample_pymc",
    "to_pymc",
    "transforms",
    "trust",
    "vi",
]
