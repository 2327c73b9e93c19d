"""Monte Carlo standard errors of NUTS estimates (mean, sd, quantile), for the check.

Examples
--------
>>> import numpy as np
>>> x = np.random.default_rng(0).normal(size=(4, 1000))
>>> bool(abs(_mcse_mean(x) - 1 / np.sqrt(x.size)) < 0.002)
True
"""

from __future__ import annotations

import numpy as np

from ..posterior import Posterior, SamplePosterior

__all__ = []


# ========================================================================= MCSE helpers
def _mcse_mean(x: np.ndarray) -> float:
    """``sd / sqrt(ESS_mean)`` of draws ``(chain, draw)``: ArviZ's ``mcse(method="mean")``."""
    import arviz as az

    return float(np.asarray(az.mcse(x, method="mean")).reshape(-1)[0])


def _mcse_sd(x: np.ndarray) -> float:
    """Delta method: ``Var(sd) ~ Var(m2) / (4 m2)`` with ``Var(m2)`` from the ESS of squares."""
    import arviz as az

    # Kept: az.mcse(method="sd") raises TypeError with numpy 2.4 (ArviZ 0.23).
    c2 = (x - x.mean()) ** 2
    ess = float(az.ess(c2, method="mean"))
    m2 = c2.mean()
    var_m2 = ((c2**2).mean() - m2**2) / ess
    return float(np.sqrt(var_m2 / (4.0 * m2)))


def _mcse_quantile(x: np.ndarray, prob: float) -> float:
    """ArviZ's quantile MCSE: a ±1 sd Beta interval for the level, with ESS of the indicator.

    ``az.mcse(method="quantile")`` where the quantile's ESS is defined; at ``prob`` 0 or 1, or
    where that ESS is not finite, the same interval with the tail ESS.
    """
    import arviz as az

    prob = float(np.clip(prob, 0.0, 1.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        ess = float(az.ess(x, method="quantile", prob=prob)) if 0.0 < prob < 1.0 else np.nan
        if np.isfinite(ess):
            return float(np.asarray(az.mcse(x, method="quantile", prob=prob)).reshape(-1)[0])
        # Kept: ArviZ has no fallback here (it returns half the range of the draws).
        return _beta_interval_halfwidth(x, prob, float(az.ess(x, method="tail")))


def _beta_interval_halfwidth(x: np.ndarray, prob: float, ess: float) -> float:
    """Half the spread of the draws' order statistics at a ±1 sd Beta interval for ``prob``."""
    from scipy import stats

    flat = np.sort(x.ravel())
    size = flat.size
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
