"""Priors: scipy.stats frozen distributions with log densities, gradients and supports.

Every prior a model accepts is a scipy.stats frozen distribution (or
:class:`NormalInverseGamma`, a scipy-like joint prior for regression coefficients and their
noise variance). What bayesgd knows about each family lives in its record in
:mod:`bayesgd.families`; this module is the public face of the priors.

Examples
--------
>>> from scipy import stats
>>> prior = make_prior(("p",), stats.beta(2, 2))
>>> float(prior.logpdf({"p": 0.5}))  # log(1.5)
0.4054651081081644
>>> float(prior.grad_logpdf({"p": 0.25})["p"])  # 1/0.25 - 1/0.75
2.666666666666667
"""

from __future__ import annotations

from .families import (
    MULTIVARIATE_FAMILIES,
    UNIVARIATE_FAMILIES,
    DirichletPrior,
    MvNIGPrior,
    MvNormalPrior,
    NIGPrior,
    NormalInverseGamma,
    Prior,
    UnivariatePrior,
    make_prior,
    normal_inverse_gamma,
)

__all__ = [
    "MULTIVARIATE_FAMILIES",
    "UNIVARIATE_FAMILIES",
    "DirichletPrior",
    "MvNIGPrior",
    "MvNormalPrior",
    "NIGPrior",
    "NormalInverseGamma",
    "Prior",
    "UnivariatePrior",
    "make_prior",
    "normal_inverse_gamma",
]
