"""The PyMC bridge: write a model in PyMC, sample it with NUTS, and check other methods against it.

* :func:`to_pymc` writes a bayesgd model as the equivalent ``pm.Model`` (same parameter names,
  shapes and parametrisation; see :mod:`bayesgd._pymc_likelihoods` for the table of priors).
* :func:`sample_pymc` runs NUTS and returns a :class:`PyMCPosterior` (the common posterior
  interface plus ``.idata``), warning with :class:`bayesgd.SamplingWarning` when R-hat, ESS or
  divergences fail their thresholds.
* :func:`check_with_pymc` checks any posterior (by default the exact one, else the grid)
  against NUTS with tolerances from Monte Carlo standard errors, and compares the MAP with
  ``pm.find_MAP``; it returns a :class:`PyMCCheck`.
* :func:`model_from_pymc` goes the other way: any PyMC model with continuous free variables
  becomes a :class:`bayesgd.Model` (:class:`PyMCModel`) on PyMC's value space.

Modules: :mod:`~bayesgd.pymc.bridge` (both directions), :mod:`~bayesgd.pymc.compiled` (the
compiled log densities of a PyMC model), :mod:`~bayesgd.pymc.sampling` (NUTS),
:mod:`~bayesgd.pymc.mcse` and :mod:`~bayesgd.pymc.check` (the verdict). Inside this package
``import pymc`` is PyMC itself (imports are absolute).

PyMC, PyTensor and ArviZ are imported inside the functions: ``import bayesgd`` stays fast.

Examples
--------
>>> from scipy import stats
>>> import bayesgd as bg
>>> from bayesgd.pymc import to_pymc
>>> pm_model = to_pymc(bg.Binomial(k=7, n=10, p=stats.beta(2, 2)))
>>> [v.name for v in pm_model.free_RVs]
['p']
"""

from __future__ import annotations

from .bridge import PyMCModel, PyMCPrior, model_from_pymc, to_pymc
from .check import RERUN_TARGET_ACCEPT, VERDICTS, PyMCCheck, check_with_pymc
from .mcse import _mcse_mean as _mcse_mean  # private names the tests use
from .mcse import _mcse_quantile as _mcse_quantile
from .mcse import _mcse_sd as _mcse_sd
from .sampling import MIN_ESS_PER_CHAIN, RHAT_MAX, PyMCPosterior, sample_pymc

__all__ = [
    "MIN_ESS_PER_CHAIN",
    "RERUN_TARGET_ACCEPT",
    "RHAT_MAX",
    "VERDICTS",
    "PyMCCheck",
    "PyMCModel",
    "PyMCPosterior",
    "PyMCPrior",
    "check_with_pymc",
    "model_from_pymc",
    "sample_pymc",
    "to_pymc",
]
