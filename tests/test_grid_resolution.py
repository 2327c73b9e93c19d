"""A grid must resolve a small-n posterior, and re-lay itself when the data change.

The exact normal-inverse-gamma marginals are derived here with scipy (sigma2 | y is an inverse
gamma, mu | y a Student t), independently of bayesgd's conjugate code.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import bayesgd as bg
from bayesgd.grid import MIN_GAP_SPACINGS, grid

pytestmark = pytest.mark.filterwarnings("error::bayesgd.errors.GridWarning")

PRIOR = (2.36, 2.68, 1.64, 3.46)  # mu0, lambda0, a0, b0 (issue 13 item 15)
Y = np.array([-2.36, -2.01, -2.58, -2.33])
LEVELS = np.array([0.05, 0.25, 0.5, 0.75, 0.95])


def exact_nig(y: np.ndarray) -> tuple[stats.rv_continuous, stats.rv_continuous]:
    """Marginals of mu and sigma2 after ``y`` under the NIG prior ``PRIOR``."""
    mu0, lam0, a0, b0 = PRIOR
    n, ybar = y.size, y.mean()
    lam = lam0 + n
    mu = (lam0 * mu0 + n * ybar) / lam
    a = a0 + n / 2
    b = b0 + 0.5 * np.sum((y - ybar) ** 2) + lam0 * n * (ybar - mu0) ** 2 / (2 * lam)
    return stats.t(2 * a, loc=mu, scale=np.sqrt(b / (a * lam))), stats.invgamma(a, scale=b)


def model(y: np.ndarray) -> bg.Normal:
    return bg.Normal(y=y, prior=stats.normal_inverse_gamma(*PRIOR))


def test_steep_flank_beside_a_heavy_tail_is_resolved():
    # the automatic sigma2 axis runs to ~900 (the 1e-7 tail) while the median is 6.4: at
    # 801 points its 5% quantile was 5.9% off with no warning
    post = grid(model(Y))
    mu, s2 = exact_nig(Y)
    assert post.gap_spacings["sigma2"] >= MIN_GAP_SPACINGS
    np.testing.assert_allclose(post.quantile(LEVELS)["sigma2"], s2.ppf(LEVELS), rtol=5e-4)
    np.testing.assert_allclose(post.quantile(LEVELS)["mu"], mu.ppf(LEVELS), atol=1e-5 * mu.std())
    assert post.mean()["mu"] == pytest.approx(mu.mean(), abs=1e-5 * mu.std())
    assert post.mean()["sigma2"] == pytest.approx(s2.mean(), rel=1e-3)


def test_given_points_that_leave_a_steep_flank_coarse_warn():
    # the caller's points are kept, so the grid must say it is too coarse
    with pytest.warns(bg.GridWarning, match=r"too coarse for sigma2: its 5% to 25% quantile"):
        post = grid(model(Y), points=801)
    assert post.shape == (801, 801)
    assert post.gap_spacings["sigma2"] < MIN_GAP_SPACINGS


def test_update_lays_the_grid_anew_for_the_new_data():
    # the first box was kept after update(): it warned, but the sd was 12% off
    more = np.random.default_rng(7).normal(-2.3, 0.3, size=60)
    post = grid(model(Y))
    post.update(y=more)
    mu, s2 = exact_nig(np.concatenate([Y, more]))
    for name, dist in (("mu", mu), ("sigma2", s2)):
        assert post.mean()[name] == pytest.approx(dist.mean(), rel=1e-6)
        assert post.sd()[name] == pytest.approx(dist.std(), rel=1e-5)
        np.testing.assert_allclose(
            post.quantile(LEVELS)[name], dist.ppf(LEVELS), atol=1e-5 * dist.std()
        )
    again = grid(model(Y)).updated(y=more)
    assert again.bounds == post.bounds
