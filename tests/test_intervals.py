"""bayesgd.numerics.intervals: exact, sample and grid HDIs, checked against truth."""

from __future__ import annotations

import doctest
import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import optimize, stats

import bayesgd.numerics.intervals as intervals
from bayesgd.numerics import families, hdi_dist
from bayesgd.numerics.intervals import hdi_of_dist, hdi_of_grid, hdi_of_samples

PROBS = [0.5, 0.9, 0.94, 0.99]


def assert_is_hdi(dist, low, high, prob, *, mass_tol=1e-10, dens_tol=1e-8):
    """Mass ``prob`` and equal density at both ends (relative), element-wise."""
    low, high = np.asarray(low), np.asarray(high)
    mass = dist.cdf(high) - dist.cdf(low)
    np.testing.assert_allclose(mass, prob, rtol=0, atol=mass_tol)
    np.testing.assert_allclose(dist.logpdf(low), dist.logpdf(high), rtol=0, atol=dens_tol)
    assert np.all(low < high)


def brute_force_hdi(dist, prob):
    """Shortest interval by minimising width over the lower tail mass, with scipy."""
    q = 1.0 - prob

    def width(a):
        return dist.isf(q - a) - dist.ppf(a)

    res = optimize.minimize_scalar(
        width, bounds=(0.0, q), method="bounded", options={"xatol": 1e-15}
    )
    a = min([(width(0.0), 0.0), (width(q), q), (res.fun, res.x)])[1]
    return dist.ppf(a), dist.isf(q - a)


# --------------------------------------------------------------------------------------------
# hdi_of_dist: interior modes
# --------------------------------------------------------------------------------------------

INTERIOR = [
    stats.beta(8, 4),
    stats.beta(2, 50),
    stats.beta(50, 2),
    stats.beta(300, 700, loc=-1, scale=3),
    stats.gamma(3, scale=2),
    stats.gamma(50),
    stats.gamma(1.3, loc=5, scale=0.1),
    stats.invgamma(3, scale=2),
    stats.invgamma(0.7),
    stats.lognorm(0.5, scale=3),
    stats.lognorm(1.5),
    stats.chi2(5),
    stats.erlang(4),
    # generic (scipy methods + finite differences)
    stats.weibull_min(2.5, scale=4),
    stats.f(5, 10),
    stats.skewnorm(4, loc=1),
    stats.gumbel_r(),
    stats.genextreme(-0.3),
    stats.nakagami(1.7),
    stats.truncnorm(-2.5, 3),
]


@pytest.mark.parametrize("prob", PROBS)
@pytest.mark.parametrize("dist", INTERIOR, ids=lambda d: f"{d.dist.name}{d.args}")
def test_interior_mass_and_equal_density(dist, prob):
    low, high = hdi_of_dist(dist, prob)
    assert low.shape == high.shape == ()
    assert_is_hdi(dist, low, high, prob)


@pytest.mark.parametrize(
    "dist",
    [
        *(stats.beta(8, 4), stats.beta(2, 50), stats.gamma(3, scale=2), stats.invgamma(3)),
        *(stats.lognorm(0.9), stats.weibull_min(1.7), stats.f(4, 12), stats.skewnorm(-6)),
    ],
    ids=lambda d: f"{d.dist.name}{d.args}",
)
@pytest.mark.parametrize("prob", [0.5, 0.94])
def test_agrees_with_scipy_brute_force(dist, prob):
    low, high = hdi_of_dist(dist, prob)
    b_low, b_high = brute_force_hdi(dist, prob)
    assert abs(low - b_low) < 1e-7
    assert abs(high - b_high) < 1e-7
    assert high - low <= b_high - b_low + 1e-12  # never wider than the optimiser's answer


@given(
    a=st.floats(1.5, 500.0),
    b=st.floats(1.5, 500.0),
    prob=st.floats(0.05, 0.995),
)
def test_beta_property(a, b, prob):
    dist = stats.beta(a, b)
    low, high = hdi_of_dist(dist, prob)
    assert_is_hdi(dist, low, high, prob)


@given(a=st.floats(1.05, 5000.0), scale=st.floats(0.01, 100.0), prob=st.floats(0.05, 0.995))
def test_gamma_property(a, scale, prob):
    dist = stats.gamma(a, scale=scale)
    low, high = hdi_of_dist(dist, prob)
    # the lower end of a Gamma(1.05) is ~1e-30: compare log densities there, masses everywhere
    assert_is_hdi(dist, low, high, prob)


@given(a=st.floats(1.5, 300.0), b=st.floats(1.5, 300.0))
def test_beta_property_matches_brute_force(a, b):
    dist = stats.beta(a, b)
    low, high = hdi_of_dist(dist, 0.9)
    b_low, b_high = brute_force_hdi(dist, 0.9)
    assert abs(low - b_low) < 1e-7 and abs(high - b_high) < 1e-7


def test_end_beyond_floating_point_is_the_edge():
    # Beta(1.0001, 50): the equal-density lower end is ~1e-12000, reported as 0
    dist = stats.beta(1.0001, 50)
    low, high = hdi_of_dist(dist, 0.94)
    assert low == 0.0
    assert abs(dist.cdf(high) - 0.94) < 1e-12
    # a skewed but representable case keeps equal densities
    dist = stats.beta(1.05, 60)
    low, high = hdi_of_dist(dist, 0.94)
    assert 0 < low < 1e-20
    assert_is_hdi(dist, low, high, 0.94)


def test_robust_fallback_agrees():
    # the bisection fallback on the tail split gives the same answer as the main solver
    fam = families._Beta(stats.beta, (np.array([8.0, 2.0, 30.0]), np.array([4.0, 50.0, 3.0])), 3)
    low, high = hdi_dist._solve_by_tail_mass(fam, 0.9)
    e_low, e_high = hdi_of_dist(stats.beta([8, 2, 30], [4, 50, 3]), 0.9)
    np.testing.assert_allclose(low, e_low, rtol=1e-10)
    np.testing.assert_allclose(high, e_high, rtol=1e-10)


# --------------------------------------------------------------------------------------------
# hdi_of_dist: symmetric, edge modes, flat, U-shaped
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dist",
    [
        stats.norm(1, 2),
        stats.t(3),
        stats.t(30, loc=-2, scale=0.1),
        stats.cauchy(),
        stats.laplace(),
    ],
    ids=lambda d: f"{d.dist.name}{d.args}",
)
def test_symmetric_is_central(dist):
    low, high = hdi_of_dist(dist, 0.9)
    assert low == pytest.approx(dist.ppf(0.05), rel=1e-14, abs=1e-14)
    assert high == pytest.approx(dist.ppf(0.95), rel=1e-14, abs=1e-14)
    assert (
        high - dist.mean() == pytest.approx(dist.mean() - low, rel=1e-12)
        if np.isfinite(dist.mean())
        else True
    )


def test_normal_closed_form():
    low, high = hdi_of_dist(stats.norm(3.0, 2.0), 0.95)
    z = stats.norm.ppf(0.975)
    assert low == pytest.approx(3 - 2 * z, rel=1e-14)
    assert high == pytest.approx(3 + 2 * z, rel=1e-14)


@pytest.mark.parametrize("prob", [0.5, 0.94])
@pytest.mark.parametrize(
    "dist",
    [
        stats.beta(1, 5),
        stats.beta(1, 21),
        stats.beta(0.5, 3),
        stats.gamma(1),
        stats.gamma(0.5, scale=3),
        stats.expon(),
        stats.expon(loc=2, scale=3),
        stats.halfnorm(),
        stats.pareto(3),
        stats.weibull_min(0.8),
    ],
    ids=lambda d: f"{d.dist.name}{d.args}{d.kwds}",
)
def test_mode_on_lower_edge(dist, prob):
    low, high = hdi_of_dist(dist, prob)
    assert low == dist.support()[0]
    assert high == pytest.approx(dist.ppf(prob), rel=1e-13)


@pytest.mark.parametrize("dist", [stats.beta(5, 1), stats.beta(3, 0.5), stats.beta(2, 1, loc=1)])
def test_mode_on_upper_edge(dist):
    low, high = hdi_of_dist(dist, 0.94)
    assert high == dist.support()[1]
    assert low == pytest.approx(dist.ppf(0.06), rel=1e-13)


def test_interior_mode_with_hdi_on_the_edge():
    # truncated normal, mode inside: at 0.5 the HDI is interior, at 0.9 it reaches the edge
    dist = stats.truncnorm(-0.5, 3)
    low, high = hdi_of_dist(dist, 0.5)
    assert_is_hdi(dist, low, high, 0.5)
    low, high = hdi_of_dist(dist, 0.9)
    assert low == -0.5
    assert high == pytest.approx(dist.ppf(0.9), rel=1e-13)
    assert dist.pdf(low) > dist.pdf(high)


def test_edge_interval_is_shortest():
    # [0, ppf(prob)] beats every interval with its lower end moved in
    dist = stats.beta(1, 5)
    low, high = hdi_of_dist(dist, 0.9)
    b_low, b_high = brute_force_hdi(dist, 0.9)
    assert high - low <= b_high - b_low + 1e-12


def test_flat_density_gives_central_interval():
    low, high = hdi_of_dist(stats.beta(1, 1), 0.9)
    assert (float(low), float(high)) == pytest.approx((0.05, 0.95), abs=1e-15)
    low, high = hdi_of_dist(stats.uniform(2, 4), 0.5)
    assert (float(low), float(high)) == pytest.approx((3.0, 5.0), abs=1e-14)


@pytest.mark.parametrize(
    "dist",
    [
        stats.beta(0.5, 0.5),
        stats.beta([2, 0.3, 0.9], [2, 0.9, 0.3]),
        stats.arcsine(),
        stats.arcsine(loc=1.0, scale=2.0),
    ],
)
@pytest.mark.parametrize("prob", [0.3, 0.9])
def test_u_shaped_gives_the_shortest_interval_at_an_edge(dist, prob):
    """Two intervals make the highest-density region; the shortest single interval of mass
    prob (ArviZ's rule for draws) hugs the edge where it is narrower."""
    low, high = (np.atleast_1d(v) for v in hdi_of_dist(dist, prob))
    np.testing.assert_allclose(dist.cdf(high) - dist.cdf(low), prob, rtol=1e-10)
    # brute force: the width ppf(a + prob) - ppf(a) over a fine set of lower tail masses a
    a = np.linspace(0.0, 1.0 - prob, 20001)[:, None]
    widths = dist.ppf(a + prob) - dist.ppf(a)
    best = np.argmin(widths, axis=0)
    lo_sup, hi_sup = (np.broadcast_to(v, low.shape) for v in dist.support())
    u_shaped = np.array([np.min(w) < w[len(w) // 2] for w in widths.T])
    for g in np.flatnonzero(u_shaped):
        assert best[g] in (0, a.shape[0] - 1)  # an edge interval
        assert high[g] - low[g] == pytest.approx(widths[best[g], g], rel=1e-9)
        assert low[g] == lo_sup[g] or high[g] == hi_sup[g]


def test_u_shaped_tie_takes_the_lower_edge():
    low, high = hdi_of_dist(stats.beta(0.5, 0.5), 0.5)
    assert float(low) == 0.0
    assert float(high) == pytest.approx(0.5, abs=1e-15)


# --------------------------------------------------------------------------------------------
# hdi_of_dist: batches
# --------------------------------------------------------------------------------------------


def test_batch_equals_loop(rng):
    n = 100_000
    a = np.exp(rng.uniform(np.log(0.6), np.log(2000), n))
    b = np.exp(rng.uniform(np.log(1.0), np.log(2000), n))  # b >= 1: never U-shaped
    a[:10] = 1.0  # some exact edge cases
    low, high = hdi_of_dist(stats.beta(a, b), 0.94)
    assert low.shape == high.shape == (n,)
    for i in [*range(10), *rng.integers(10, n, 40)]:
        l1, h1 = hdi_of_dist(stats.beta(a[i], b[i]), 0.94)
        assert low[i] == pytest.approx(float(l1), rel=1e-9, abs=1e-300)
        assert high[i] == pytest.approx(float(h1), rel=1e-9)
    interior = (a > 1.2) & (b > 1.2)
    sub = rng.choice(np.flatnonzero(interior), 2000, replace=False)
    assert_is_hdi(stats.beta(a[sub], b[sub]), low[sub], high[sub], 0.94, dens_tol=1e-7)


def test_batch_shapes_broadcast():
    a = np.array([[2.0], [5.0], [30.0]])
    b = np.array([3.0, 4.0, 8.0, 40.0])
    low, high = hdi_of_dist(stats.beta(a, b, loc=np.arange(4.0)), 0.8)
    assert low.shape == high.shape == (3, 4)
    l12, h12 = hdi_of_dist(stats.beta(5.0, 8.0, loc=2.0), 0.8)
    assert (low[1, 2], high[1, 2]) == (float(l12), float(h12))
    low, high = hdi_of_dist(stats.gamma(np.full((2, 0), 3.0)))
    assert low.shape == (2, 0)


def test_batch_of_mixed_classes_and_families(rng):
    a = np.array([0.5, 1.0, 1.0, 3.0, 8.0])
    low, high = hdi_of_dist(stats.gamma(a, scale=2.0), 0.9)
    assert low[0] == low[1] == 0.0
    assert_is_hdi(stats.gamma(a[3:], scale=2.0), low[3:], high[3:], 0.9)
    low, high = hdi_of_dist(stats.beta([1.0, 1.0, 5.0, 3.0], [1.0, 4.0, 1.0, 3.0]), 0.9)
    np.testing.assert_allclose(low[:3], [0.05, 0.0, stats.beta(5, 1).ppf(0.1)], rtol=1e-13)
    np.testing.assert_allclose(high[:3], [0.95, stats.beta(1, 4).ppf(0.9), 1.0], rtol=1e-13)
    assert low[3] == pytest.approx(1 - high[3], rel=1e-12)  # symmetric Beta(3, 3)
    # generic family in a batch
    c = np.array([0.7, 1.5, 3.0])
    low, high = hdi_of_dist(stats.weibull_min(c), 0.9)
    assert low[0] == 0.0
    assert_is_hdi(stats.weibull_min(c[1:]), low[1:], high[1:], 0.9)


# --------------------------------------------------------------------------------------------
# hdi_of_dist: validation
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fn", ["dist", "samples", "grid"])
@pytest.mark.parametrize("bad", [0.0, 1.0, -0.5, 1.5, math.nan, math.inf])
def test_prob_out_of_range(fn, bad):
    with pytest.raises(ValueError, match="prob"):
        _call(fn, bad)


@pytest.mark.parametrize("fn", ["dist", "samples", "grid"])
@pytest.mark.parametrize("bad", ["0.9", None, True, [0.9], 1 + 0j])
def test_prob_not_a_number(fn, bad):
    with pytest.raises(TypeError, match="prob"):
        _call(fn, bad)


def _call(fn, prob):
    if fn == "dist":
        return hdi_of_dist(stats.beta(2, 3), prob)
    if fn == "samples":
        return hdi_of_samples(np.arange(10.0), prob)
    x = np.linspace(0, 1, 11)
    return hdi_of_grid(x, x * (1 - x), prob)


@pytest.mark.parametrize(
    "bad",
    [stats.beta, stats.poisson(3), stats.multivariate_normal([0, 0]), 3.0, "beta", None],
    ids=["unfrozen", "discrete", "multivariate", "number", "string", "none"],
)
def test_dist_must_be_frozen_continuous(bad):
    with pytest.raises(TypeError, match="dist"):
        hdi_of_dist(bad)


@pytest.mark.parametrize(
    "bad", [stats.beta(-1, 2), stats.gamma([2, 0]), stats.norm(0, -1), stats.norm(np.nan, 1)]
)
def test_dist_with_invalid_parameters(bad):
    with pytest.raises(ValueError, match="dist"):
        hdi_of_dist(bad)


def test_no_warnings_on_hard_cases():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hdi_of_dist(stats.beta([1.0001, 1.05, 2, 1e5], [50, 60, 1e5, 1.001]), 0.99)
        hdi_of_dist(stats.gamma([1.0001, 1e6], scale=[1e-3, 1e3]), 0.5)


# --------------------------------------------------------------------------------------------
# hdi_of_samples
# --------------------------------------------------------------------------------------------


def test_samples_hand_example():
    # sorted: 0 1 2 3 5 5.5 6 9 10 11; n = 10, prob = 0.5: k = 5, intervals [s[i], s[i+5]]
    # have widths 5.5, 5, 7, 7, 6, so the HDI is [1, 6] (6 draws, as in ArviZ)
    draws = np.array([10.0, 0.0, 1.0, 2.0, 9.0, 5.0, 5.5, 3.0, 6.0, 11.0])
    low, high = hdi_of_samples(draws, 0.5)
    assert (float(low), float(high)) == (1.0, 6.0)
    # first of tied widths wins
    low, high = hdi_of_samples([0.0, 1.0, 2.0, 3.0], 0.5)
    assert (float(low), float(high)) == (0.0, 2.0)
    # one draw
    assert hdi_of_samples([4.0], 0.9) == (4.0, 4.0)


def _arviz_rule(x, prob):
    """ArviZ's az.hdi rule written out as a loop (arviz itself is slow to import)."""
    s = sorted(x)
    k = math.floor(prob * len(s))
    best = min(range(len(s) - k), key=lambda i: (s[i + k] - s[i], i))
    return s[best], s[best + k]


def test_samples_match_arviz_rule(rng):
    # checked against arviz 0.23 az.hdi for n in 1..1000 and prob in 0.01..0.99: identical
    for n in [1, 2, 3, 10, 99, 100, 101]:
        draws = rng.gamma(2.0, size=(n, 3))
        for prob in [0.1, 0.5, 0.9, 0.94, 0.99]:
            low, high = hdi_of_samples(draws, prob)
            for j in range(3):
                assert (low[j], high[j]) == _arviz_rule(draws[:, j], prob)


def test_samples_close_to_exact(rng):
    dist = stats.beta(8, 4)
    draws = dist.rvs(size=200_000, random_state=rng)
    low, high = hdi_of_samples(draws, 0.94)
    e_low, e_high = hdi_of_dist(dist, 0.94)
    assert abs(low - e_low) < 5e-3 and abs(high - e_high) < 5e-3


def test_samples_axes_and_shapes(rng):
    draws = rng.normal(size=(4, 500, 3))
    low, high = hdi_of_samples(draws, 0.8, axis=1)
    assert low.shape == high.shape == (4, 3)
    low2, high2 = hdi_of_samples(np.moveaxis(draws, 1, -1), 0.8, axis=-1)
    np.testing.assert_array_equal(low, low2)
    np.testing.assert_array_equal(high, high2)
    for i, j in [(0, 0), (3, 2)]:
        li, hi = hdi_of_samples(draws[i, :, j], 0.8)
        assert (low[i, j], high[i, j]) == (li, hi)
    assert np.all(low < high)


@pytest.mark.parametrize("bad", [[1.0, np.nan, 2.0], [np.inf, 1.0], np.array([])])
def test_samples_bad_values(bad):
    with pytest.raises(ValueError, match="samples"):
        hdi_of_samples(bad)


def test_samples_bad_arguments():
    with pytest.raises(ValueError, match="samples"):
        hdi_of_samples(3.0)
    with pytest.raises(TypeError, match="samples"):
        hdi_of_samples(["a", "b"])
    with pytest.raises(ValueError, match="axis"):
        hdi_of_samples(np.ones((3, 4)), axis=2)
    with pytest.raises(TypeError, match="axis"):
        hdi_of_samples(np.ones((3, 4)), axis=1.0)
    with pytest.raises(ValueError, match="samples"):
        hdi_of_samples(np.ones((0, 4)))


# --------------------------------------------------------------------------------------------
# hdi_of_grid
# --------------------------------------------------------------------------------------------


def test_grid_beta_against_exact():
    dist = stats.beta(8, 4)
    x = np.linspace(0, 1, 2001)
    for prob in PROBS:
        low, high = hdi_of_grid(x, dist.pdf(x), prob)
        e_low, e_high = hdi_of_dist(dist, prob)
        assert abs(low - e_low) < 1e-4 and abs(high - e_high) < 1e-4
    # unnormalised density: same interval
    assert hdi_of_grid(x, 1e3 * dist.pdf(x), 0.9) == pytest.approx(
        hdi_of_grid(x, dist.pdf(x), 0.9), rel=1e-12
    )


def test_grid_non_uniform_and_gamma(rng):
    dist = stats.gamma(4, scale=2)
    x = np.sort(np.concatenate([[0.0, 40.0], rng.uniform(0, 40, 4000)]))
    low, high = hdi_of_grid(x, dist.pdf(x), 0.9)
    e_low, e_high = hdi_of_dist(dist, 0.9)
    assert abs(low - e_low) < 1e-3 and abs(high - e_high) < 1e-3
    x = np.geomspace(1e-6, 60, 3000)
    low, high = hdi_of_grid(x, dist.pdf(x), 0.5)
    e_low, e_high = hdi_of_dist(dist, 0.5)
    assert abs(low - e_low) < 1e-4 and abs(high - e_high) < 1e-4


def test_grid_exact_for_piecewise_linear_density():
    # triangle on [0, 2] peaking at 1: the 0.75 HDI of the exact triangle is [0.5, 1.5]
    x = np.array([0.0, 1.0, 2.0])
    low, high = hdi_of_grid(x, np.array([0.0, 1.0, 0.0]), 0.75)
    assert (low, high) == pytest.approx((0.5, 1.5), abs=1e-14)
    # ends resolved inside cells, not at grid points
    x = np.linspace(0, 2, 5)
    low, high = hdi_of_grid(x, 1 - np.abs(x - 1), 0.75)
    assert (low, high) == pytest.approx((0.5, 1.5), abs=1e-14)


def test_grid_mass_is_prob():
    x = np.linspace(-5, 5, 501)
    dens = stats.norm.pdf(x)
    low, high = hdi_of_grid(x, dens, 0.8)
    assert stats.norm.cdf(high) - stats.norm.cdf(low) == pytest.approx(0.8, abs=1e-4)
    assert low == pytest.approx(-high, abs=1e-12)


def test_grid_edges_and_multimodal():
    x = np.linspace(0, 5, 1001)  # mass on the grid is 1 - exp(-5): prob is of that mass
    low, high = hdi_of_grid(x, stats.expon.pdf(x), 0.9)
    assert low == 0.0
    assert high == pytest.approx(-math.log1p(-0.9 * -math.expm1(-5.0)), abs=1e-4)
    # two separated bumps of equal mass, 0.9 of the total: the shortest interval spans both,
    # and holds all between them, so it leaves 0.05 outside each end (its width
    # 8 - ppf(2a) - ppf(0.2 - 2a) is convex in the lower tail mass a, least at a = 0.05)
    x = np.linspace(-10, 10, 4001)
    dens = stats.norm.pdf(x, -4) + stats.norm.pdf(x, 4)
    low, high = hdi_of_grid(x, dens, 0.9)
    assert low == pytest.approx(-4 + stats.norm.ppf(0.1), abs=1e-4)
    assert high == pytest.approx(4 - stats.norm.ppf(0.1), abs=1e-4)
    # flat density: the whole support is at the level
    assert hdi_of_grid(np.linspace(0, 1, 11), np.ones(11), 0.5) == (0.0, 1.0)


@pytest.mark.parametrize("prob", [0.5, 0.59, 0.7, 0.94])
def test_grid_of_unequal_bumps_gives_the_shortest_interval(prob):
    """Where the region above the level is split, the shortest single interval of mass prob
    (against the mixture's exact CDF, minimised by brute force) is returned."""
    mix = [(0.6, stats.norm(0, 1)), (0.4, stats.norm(5, 0.5))]
    x = np.linspace(-7, 9, 8001)
    dens = sum(w * d.pdf(x) for w, d in mix)
    low, high = hdi_of_grid(x, dens, prob)

    def cdf(v):
        return sum(w * d.cdf(v) for w, d in mix)

    assert cdf(high) - cdf(low) == pytest.approx(prob, abs=1e-6)
    fine = np.linspace(-7, 9, 400001)
    c = cdf(fine)
    ends = np.interp(c + prob, c, fine, right=np.inf)
    shortest = np.min(ends - fine)
    assert high - low == pytest.approx(shortest, abs=2e-4)
    if prob < 0.6:  # inside the first bump: its central interval of mass prob / 0.6
        half = stats.norm.ppf(0.5 + 0.5 * prob / 0.6)
        assert (low, high) == pytest.approx((-half, half), abs=1e-4)


@pytest.mark.parametrize(
    ("x", "density", "match"),
    [
        ([0.0, 2.0, 1.0], [1.0, 1.0, 1.0], "x"),
        ([0.0, 1.0, 1.0], [1.0, 1.0, 1.0], "x"),
        ([0.0, 1.0, 2.0], [1.0, 1.0], "density"),
        ([0.0, 1.0, 2.0], [1.0, -1.0, 1.0], "density"),
        ([0.0, 1.0, 2.0], [0.0, 0.0, 0.0], "density"),
        ([0.0, 1.0, 2.0], [0.0, np.nan, 1.0], "density"),
        ([0.0, np.inf, 2.0], [0.0, 1.0, 1.0], "x"),
        ([0.0], [1.0], "x"),
        ([[0.0, 1.0]], [[1.0, 1.0]], "x"),
    ],
)
def test_grid_validation(x, density, match):
    with pytest.raises(ValueError, match=match):
        hdi_of_grid(x, density, 0.9)


def test_grid_type_errors():
    with pytest.raises(TypeError, match="x"):
        hdi_of_grid(["a", "b"], [1.0, 1.0])
    with pytest.raises(TypeError, match="density"):
        hdi_of_grid([0.0, 1.0], ["a", "b"])


# --------------------------------------------------------------------------------------------
# module hygiene
# --------------------------------------------------------------------------------------------


def test_docstring_examples_run():
    result = doctest.testmod(intervals, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_public_names():
    assert set(intervals.__all__) == {
        "hdi_of_dist",
        "hdi_of_samples",
        "hdi_of_grid",
        "shortest_window",
    }


def test_shortest_window_is_the_one_search_of_draws_and_grids():
    from bayesgd.numerics import shortest_window

    lows = np.array([[0.0, 1.0, 2.0, 3.0], [0.0, 0.5, 1.0, 1.5]])
    highs = np.array([[4.0, 3.0, 4.0, 5.0], [1.0, 1.5, 2.0, 2.5]])  # row 2: a four-way tie
    low, high, i = shortest_window(lows, highs)
    np.testing.assert_array_equal(i, [1, 0])  # the first minimum, as az.hdi
    np.testing.assert_array_equal(low, [1.0, 0.0])
    np.testing.assert_array_equal(high, [3.0, 1.0])
    # hdi_of_samples is that search over [s[i], s[i + k]]
    draws = np.random.default_rng(5).gamma(2.0, size=(999, 2))
    s = np.sort(draws, axis=0).T
    k = int(np.floor(0.8 * 999))
    want_low, want_high, _ = shortest_window(s[:, : 999 - k], s[:, k:])
    got_low, got_high = hdi_of_samples(draws, 0.8)
    np.testing.assert_array_equal(got_low, want_low)
    np.testing.assert_array_equal(got_high, want_high)
