"""Monte Carlo standard errors of NUTS estimates (mean, sd, quantile), for the check."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..posterior import Posterior, SamplePosterior

if TYPE_CHECKING:
    pass

__all__ = []


# ========================================================================= MCSE helpers
def _mcse_mean(x: np.ndarray) -> float:
    """``sd / sqrt(ESS_mean)`` of draws shaped ``(chain, draw)``."""
    import arviz as az

    ess = float(az.ess(x, method="mean"))
    return float(np.std(x, ddof=1) / np.sqrt(ess))


def _mcse_sd(x: np.ndarray) -> float:
    """Delta method: ``Var(sd) ~ Var(m2) / (4 m2)`` with ``Var(m2)`` from the ESS of squares."""
    import arviz as az

    c2 = (x - x.mean()) ** 2
    ess = float(az.ess(c2, method="mean"))
    m2 = c2.mean()
    var_m2 = ((c2**2).mean() - m2**2) / ess
    return float(np.sqrt(var_m2 / (4.0 * m2)))


def _mcse_quantile(x: np.ndarray, prob: float) -> float:
    """ArviZ's quantile MCSE: a ±1 sd Beta interval for the level, with ESS of the indicator."""
    import arviz as az
    from scipy import stats

    flat = np.sort(x.ravel())
    size = flat.size
    prob = float(np.clip(prob, 0.0, 1.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        ess = float(az.ess(x, method="quantile", prob=prob)) if 0.0 < prob < 1.0 else np.nan
        if not np.isfinite(ess):
            ess = float(az.ess(x, method="tail"))
        lo, hi = stats.beta.ppf([0.1586553, 0.8413447], ess * prob + 1, ess * (1 - prob) + 1)
    i1 = int(np.floor(max(lo * size - 1, 0)))
    i2 = int(np.ceil(min(hi * size - 1, size - 1)))
    return float((flat[i2] - flat[i1]) / 2.0)


def _chain_draws(post: SamplePosterior, name: str) -> np.ndarray:
    """Draws as ``(chain, draw, size)``."""
    x = post.draws[name]
    shape = post._chain_shape or (1, len(x))
    return x.reshape((*shape, -1))


def _levels(post: Posterior, name: str, values: np.ndarray) -> np.ndarray:
    """The posterior's CDF at ``values`` (one per element), by inverting ``quantile``."""
    tails = np.geomspace(1e-7, 1e-3, 41)
    q = np.unique(np.concatenate([tails, np.linspace(1e-3, 1 - 1e-3, 4999), 1 - tails]))
    table = np.asarray(post.quantile(q)[name], dtype=float).reshape(len(q), -1)
    out = np.empty(values.size)
    for j, v in enumerate(values.ravel()):
        col = table[:, j]
        ok = np.isfinite(col)
        col, qs = np.maximum.accumulate(col[ok]), q[ok]
        if v <= col[0]:
            out[j] = 0.0
        elif v >= col[-1]:
            out[j] = 1.0
        else:
            out[j] = np.interp(v, col, qs)
    return out
