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

from . import priors, transforms
from .errors import (
    BoundaryWarning,
    ConvergenceWarning,
    DivergenceError,
    GridWarning,
    NotConjugateError,
    SamplingWarning,
)
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
from .priors import NormalInverseGamma

__version__ = "0.1.0"

__all__ = [
    "Bernoulli",
    "Binomial",
    "BoundaryWarning",
    "Categorical",
    "ConvergenceWarning",
    "DivergenceError",
    "Exponential",
    "Geometric",
    "GridWarning",
    "LinearRegression",
    "LogisticRegression",
    "Model",
    "Multinomial",
    "NegativeBinomial",
    "Normal",
    "NormalInverseGamma",
    "NotConjugateError",
    "Parameter",
    "Poisson",
    "PoissonRegression",
    "SamplingWarning",
    "__version__",
    "priors",
    "transforms",
]
