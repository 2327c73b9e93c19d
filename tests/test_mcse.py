"""The MCSE helpers of the PyMC check against the formulas they stand for.

``_mcse_mean`` and ``_mcse_quantile`` call ``az.mcse``; these tests recompute the quantities from
their definitions (``sd / sqrt(ESS)``, and half the spread of the order statistics at a ±1 sd
Beta interval for the level, with the quantile's or, where it is undefined, the tail ESS).
"""

import warnings

import arviz as az
import numpy as np
import pytest
from scipy import stats

from bayesgd.pymc.mcse import _mcse_mean, _mcse_quantile, _mcse_sd


def _ar1(rng, shape, phi=0.8):
    e = rng.normal(size=shape)
    x = np.empty(shape)
    x[:, 0] = e[:, 0]
    for t in range(1, shape[1]):
        x[:, t] = phi * x[:, t - 1] + e[:, t]
    return x


def _interval(x, prob, ess):
    flat = np.sort(x.ravel())
    lo, hi = stats.beta.ppf([0.1586553, 0.8413447], ess * prob + 1, ess * (1 - prob) + 1)
    i1 = int(np.floor(max(lo * flat.size - 1, 0)))
    i2 = int(np.ceil(min(hi * flat.size - 1, flat.size - 1)))
    return (flat[i2] - flat[i1]) / 2.0


@pytest.mark.parametrize("shape", [(4, 500), (2, 1000), (1, 300)])
def test_mcse_mean_is_sd_over_root_ess(shape):
    x = _ar1(np.random.default_rng(1), shape)
    expected = np.std(x, ddof=1) / np.sqrt(float(az.ess(x, method="mean")))
    assert _mcse_mean(x) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("prob", [0.001, 0.025, 0.3, 0.5, 0.975, 0.999])
@pytest.mark.parametrize("shape", [(4, 500), (1, 300)])
def test_mcse_quantile_is_the_beta_interval_with_quantile_ess(shape, prob):
    x = _ar1(np.random.default_rng(2), shape)
    ess = float(az.ess(x, method="quantile", prob=prob))
    assert _mcse_quantile(x, prob) == pytest.approx(_interval(x, prob, ess), rel=1e-12)


@pytest.mark.parametrize("prob", [0.0, 1.0, -0.5, 1.5])
def test_mcse_quantile_at_the_ends_uses_the_tail_ess(prob):
    x = _ar1(np.random.default_rng(3), (4, 400))
    p = min(max(prob, 0.0), 1.0)
    expected = _interval(x, p, float(az.ess(x, method="tail")))
    assert _mcse_quantile(x, prob) == pytest.approx(expected, rel=1e-12)
    # ArviZ's own answer differs there: the reason the fallback is kept.
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        ours = float(np.asarray(az.mcse(x, method="quantile", prob=p)).reshape(-1)[0])
    assert ours != pytest.approx(expected, rel=1e-3)


def test_mcse_sd_is_the_delta_method():
    x = _ar1(np.random.default_rng(4), (4, 500))
    c2 = (x - x.mean()) ** 2
    var_m2 = ((c2**2).mean() - c2.mean() ** 2) / float(az.ess(c2, method="mean"))
    assert _mcse_sd(x) == pytest.approx(np.sqrt(var_m2 / (4 * c2.mean())), rel=1e-12)
