"""One record per distribution family: everything bayesgd knows about it, in one place.

- :mod:`~bayesgd.families.record`: the :class:`Family` record and its registry.
- :mod:`~bayesgd.families.univariate`: the records of the accepted scipy.stats families.
- :mod:`~bayesgd.families.pymc_forms`: builders of their PyMC constructors.
- :mod:`~bayesgd.families.prior`: :class:`Prior` (the hooks methods ask) and
  :class:`UnivariatePrior` (answers from a record).
- :mod:`~bayesgd.families.joint`: the joint and vector priors, each its own record.
- :mod:`~bayesgd.families.make`: :func:`make_prior`.

Examples
--------
>>> from scipy import stats
>>> from bayesgd.families import family, make_prior
>>> family("gamma").pymc.pymc_name
'Gamma'
>>> make_prior(("p",), stats.uniform()).as_conjugate("beta")
(array(1.), array(1.))
"""

from . import univariate  # noqa: F401  (registers the records)
from .joint import (
    DirichletPrior,
    MvNIGPrior,
    MvNormalPrior,
    NIGPrior,
    NormalInverseGamma,
    normal_inverse_gamma,
)
from .make import MULTIVARIATE_FAMILIES, UNIVARIATE_FAMILIES, make_prior
from .prior import Prior, UnivariatePrior
from .record import FAMILIES, Family, family, register

__all__ = [
    "FAMILIES",
    "MULTIVARIATE_FAMILIES",
    "UNIVARIATE_FAMILIES",
    "DirichletPrior",
    "Family",
    "MvNIGPrior",
    "MvNormalPrior",
    "NIGPrior",
    "NormalInverseGamma",
    "Prior",
    "UnivariatePrior",
    "family",
    "make_prior",
    "normal_inverse_gamma",
    "register",
]
