"""Model classes: data + likelihood family + priors (scipy.stats frozen distributions)."""

from __future__ import annotations

from .base import Model, Parameter
from .continuous import Exponential, Normal
from .discrete import Bernoulli, Binomial, Geometric, NegativeBinomial, Poisson
from .multivariate import Categorical, Multinomial
from .regression import LinearRegression, LogisticRegression, PoissonRegression
from .shaped import Gamma, LogNormal, StudentT, Weibull

__all__ = [
    "Bernoulli",
    "Binomial",
    "Categorical",
    "Exponential",
    "Gamma",
    "Geometric",
    "LinearRegression",
    "LogNormal",
    "LogisticRegression",
    "Model",
    "Multinomial",
    "NegativeBinomial",
    "Normal",
    "Parameter",
    "Poisson",
    "PoissonRegression",
    "StudentT",
    "Weibull",
]
