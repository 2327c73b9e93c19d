"""bayesgd.priors against scipy.stats: log densities, gradients, supports, draws, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from bayesgd.priors import (
    MULTIVARIATE_FAMILIES,
    UNIVARIATE_FAMILIES,
    NormalInverseGamma,
    make_prior,
    normal_inverse_gamma,
)
from bayesgd.transforms import Identity, Interval, LowerBound, StickBreaking, UpperBound

# Non-trivial shape parameters, loc and scale for every accepted family.
SHAPES: dict[str, tuple[float, ...]] = {
    "beta": (2.5, 1.7),
    "chi2": (3.5,),
    "gamma": (2.3,),
    "invgamma": (3.1,),
    "invgauss": (0.8,),
    "lognorm": (0.6,),
    "loguniform": (0.5, 4.0),
    "pareto": (2.5,),
    "reciprocal": (0.5, 4.0),
    "skewnorm": (3.0,),
    "t": (4.5,),
    "truncnorm": (-0.7, 1.9),
    "weibull_min": (1.8,),
}
LOC, SCALE = 0.3, 1.7
# Batched versions: three different values of each parameter.
BATCH_SHAPES: dict[str, tuple[list[float], ...]] = {
    "beta": ([2.5, 0.8, 1.0], [1.7, 3.0, 1.0]),
    "chi2": ([3.5, 2.0, 6.0],),
    "gamma": ([2.3, 1.0, 4.0],),
    "invgamma": ([3.1, 1.5, 5.0],),
    "invgauss": ([0.8, 0.3, 2.0],),
    "lognorm": ([0.6, 1.0, 0.3],),
    "loguniform": ([0.5, 1.0, 0.1], [4.0, 2.0, 10.0]),
    "pareto": ([2.5, 1.2, 4.0],),
    "reciprocal": ([0.5, 1.0, 0.1], [4.0, 2.0, 10.0]),
    "skewnorm": ([3.0, -2.0, 0.5],),
    "t": ([4.5, 1.0, 30.0],),
    "truncnorm": ([-0.7, 0.0, -2.0], [1.9, 3.0, 0.5]),
    "weibull_min": ([1.8, 0.9, 3.0],),
}
BATCH_LOC = np.array([0.3, -1.0, 2.0])
BATCH_SCALE = np.array([1.7, 0.5, 3.0])


def frozen(family: str, batched: bool = False):
    dist = getattr(stats, family)
    if batched:
        return dist(*(np.array(a) for a in BATCH_SHAPES.get(family, ())), BATCH_LOC, BATCH_SCALE)
    return dist(*SHAPES.get(family, ()), loc=LOC, scale=SCALE)


def points_in_support(dist, size, rng):
    """Points well inside the support (quantiles 0.02 .. 0.98), shape ``size + batch``."""
    u = rng.uniform(0.02, 0.98, size=size + np.shape(dist.mean()))
    return dist.ppf(u)


def test_family_list_covers_the_documented_families():
    assert set(SHAPES) <= set(UNIVARIATE_FAMILIES)
    for family in UNIVARIATE_FAMILIES:
        assert isinstance(getattr(stats, family), stats.rv_continuous)
    assert "dirichlet" in MULTIVARIATE_FAMILIES
    assert "multivariate_normal" in MULTIVARIATE_FAMILIES


@pytest.mark.parametrize("family", UNIVARIATE_FAMILIES)
def test_univariate_logpdf_matches_scipy(family, rng):
    dist = frozen(family)
    prior = make_prior(("theta",), dist)
    assert prior.family == family
    assert prior.shapes == {"theta": ()}
    x = points_in_support(dist, (50,), rng)
    np.testing.assert_allclose(prior.logpdf({"theta": x}), dist.logpdf(x), rtol=1e-11, atol=1e-11)
    # scalars in, 0-d out
    assert np.shape(prior.logpdf({"theta": float(x[0])})) == ()


@pytest.mark.parametrize("family", UNIVARIATE_FAMILIES)
def test_univariate_batched_logpdf_sums_over_the_parameter_axis(family, rng):
    dist = frozen(family, batched=True)
    prior = make_prior(("theta",), dist)
    assert prior.shapes == {"theta": (3,)}
    x = points_in_support(dist, (4, 5), rng)
    assert x.shape == (4, 5, 3)
    expected = dist.logpdf(x).sum(axis=-1)
    got = prior.logpdf({"theta": x})
    assert got.shape == (4, 5)
    np.testing.assert_allclose(got, expected, rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize("family", UNIVARIATE_FAMILIES)
def test_univariate_support_and_outside_is_minus_inf(family):
    dist = frozen(family)
    prior = make_prior(("theta",), dist)
    low, high = prior.support("theta")
    np.testing.assert_array_equal([low, high], dist.support())
    if np.isfinite(low):
        assert prior.logpdf({"theta": low - 1e-9}) == -np.inf
        assert prior.logpdf({"theta": low - 100.0}) == -np.inf
    if np.isfinite(high):
        assert prior.logpdf({"theta": high + 1e-9}) == -np.inf
        assert prior.logpdf({"theta": high + 100.0}) == -np.inf
    # one point outside among several inside: only that one is -inf
    if np.isfinite(low):
        x = np.array([low - 1.0, float(dist.median())])
        lp = prior.logpdf({"theta": x})
        assert lp[0] == -np.inf and np.isfinite(lp[1])


def test_batched_support_outside_is_minus_inf_per_element():
    dist = stats.beta([2.0, 3.0], [2.0, 1.5], loc=[0.0, 1.0])
    prior = make_prior(("p",), dist)
    x = np.array([[0.5, 1.5], [0.5, 0.5], [1.2, 1.5]])
    lp = prior.logpdf({"p": x})
    assert np.isfinite(lp[0])
    assert lp[1] == -np.inf and lp[2] == -np.inf


def _fd_step(dist, x):
    """A step small against the scale and the distance to the support's edges."""
    low, high = dist.support()
    room = np.minimum(x - low, high - x)
    return 1e-5 * np.minimum(np.minimum(room, dist.std() if np.isfinite(dist.std()) else 1.0), 1.0)


@pytest.mark.parametrize("family", UNIVARIATE_FAMILIES)
@given(level=st.floats(0.03, 0.97))
def test_univariate_grad_matches_finite_differences_of_scipy(family, level):
    dist = frozen(family)
    x = float(dist.ppf(level))
    if family == "laplace" and abs(x - LOC) < 1e-3:
        return  # the kink at the mode has no derivative
    prior = make_prior(("theta",), dist)
    h = _fd_step(dist, x)
    fd = (dist.logpdf(x + h) - dist.logpdf(x - h)) / (2 * h)
    g = prior.grad_logpdf({"theta": x})["theta"]
    np.testing.assert_allclose(g, fd, rtol=2e-6, atol=1e-7)


@pytest.mark.parametrize("family", UNIVARIATE_FAMILIES)
def test_univariate_batched_grad_matches_finite_differences(family, rng):
    dist = frozen(family, batched=True)
    prior = make_prior(("theta",), dist)
    x = points_in_support(dist, (6,), rng)
    h = np.array(
        [
            [
                _fd_step(
                    getattr(stats, family)(
                        *(np.array(a)[j] for a in BATCH_SHAPES.get(family, ())),
                        BATCH_LOC[j],
                        BATCH_SCALE[j],
                    ),
                    x[i, j],
                )
                for j in range(3)
            ]
            for i in range(6)
        ]
    )
    fd = (dist.logpdf(x + h) - dist.logpdf(x - h)) / (2 * h)
    g = prior.grad_logpdf({"theta": x})["theta"]
    assert g.shape == (6, 3)
    np.testing.assert_allclose(g, fd, rtol=2e-6, atol=1e-7)


def test_batched_prior_with_mixed_kinds_of_support_is_refused():
    with pytest.raises(TypeError, match="different kinds of support"):
        make_prior(("x",), stats.truncnorm([0.0, 0.0], [1.0, np.inf]))


def test_scalar_prior_shared_by_a_vector_parameter(rng):
    dist = stats.norm(1.0, 2.0)
    prior = make_prior(("coef",), dist, shape=(4,))
    assert prior.shapes == {"coef": (4,)}
    x = rng.normal(size=(7, 4))
    np.testing.assert_allclose(prior.logpdf({"coef": x}), dist.logpdf(x).sum(-1), rtol=1e-12)
    np.testing.assert_allclose(prior.grad_logpdf({"coef": x})["coef"], -(x - 1.0) / 4.0)
    draws = prior.rvs((5,), rng)["coef"]
    assert draws.shape == (5, 4)
    low, high = prior.support("coef")
    assert low.shape == high.shape == (4,)
    with pytest.raises(ValueError, match="coef"):
        make_prior(("coef",), stats.norm(np.zeros(3), 1.0), shape=(4,))


@pytest.mark.parametrize("family", UNIVARIATE_FAMILIES)
def test_univariate_rvs_shape_and_moments(family):
    dist = frozen(family)
    prior = make_prior(("theta",), dist)
    a = prior.rvs((3, 2), np.random.default_rng(1))["theta"]
    b = prior.rvs((3, 2), np.random.default_rng(1))["theta"]
    assert a.shape == (3, 2)
    np.testing.assert_array_equal(a, b)  # seeded
    draws = prior.rvs((20000,), np.random.default_rng(2))["theta"]
    low, high = dist.support()
    assert np.all((draws >= low) & (draws <= high))
    # Kolmogorov-Smirnov against the distribution itself (heavy tails have no moments)
    assert stats.kstest(draws, dist.cdf).pvalue > 1e-4
    mean, var = dist.stats("mv")
    if np.isfinite(var):
        assert abs(draws.mean() - mean) < 5 * np.sqrt(var / draws.size)


def test_batched_rvs_shape_and_moments():
    dist = stats.gamma([2.0, 5.0, 0.5], scale=[1.0, 0.5, 4.0])
    prior = make_prior(("mu",), dist)
    draws = prior.rvs((40000,), np.random.default_rng(3))["mu"]
    assert draws.shape == (40000, 3)
    se = np.sqrt(dist.var() / 40000)
    assert np.all(np.abs(draws.mean(0) - dist.mean()) < 5 * se)


def test_transforms_follow_the_support():
    assert isinstance(make_prior(("a",), stats.norm()).transforms["a"], Identity)
    assert isinstance(make_prior(("a",), stats.gamma(2)).transforms["a"], LowerBound)
    assert isinstance(make_prior(("a",), stats.beta(2, 2)).transforms["a"], Interval)
    assert isinstance(
        make_prior(("a",), stats.dirichlet([1, 1, 1])).transforms["a"], StickBreaking
    )
    t = make_prior(("a",), stats.lognorm(0.5, loc=2.0)).transforms["a"]
    assert isinstance(t, LowerBound) and float(t.low) == 2.0
    t = make_prior(("a",), stats.uniform(-1.0, 3.0)).transforms["a"]
    assert isinstance(t, Interval) and float(t.low) == -1.0 and float(t.high) == 2.0
    # truncnorm with infinite b: bounded below only
    t = make_prior(("a",), stats.truncnorm(0.0, np.inf, loc=1.0)).transforms["a"]
    assert isinstance(t, LowerBound) and float(t.low) == 1.0
    t = make_prior(("a",), stats.truncnorm(-np.inf, 0.0, loc=1.0)).transforms["a"]
    assert isinstance(t, UpperBound) and float(t.high) == 1.0


# ----------------------------------------------------------------------------- dirichlet
ALPHA = np.array([1.5, 0.7, 3.0, 2.2])


def test_dirichlet_logpdf_matches_scipy(rng):
    dist = stats.dirichlet(ALPHA)
    prior = make_prior(("p",), dist)
    assert prior.shapes == {"p": (4,)}
    x = rng.dirichlet(ALPHA, size=(3, 5))
    got = prior.logpdf({"p": x})
    assert got.shape == (3, 5)
    expected = np.array([[dist.logpdf(x[i, j]) for j in range(5)] for i in range(3)])
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    low, high = prior.support("p")
    np.testing.assert_array_equal(low, np.zeros(4))
    np.testing.assert_array_equal(high, np.ones(4))


def test_dirichlet_off_the_simplex_is_minus_inf():
    prior = make_prior(("p",), stats.dirichlet(ALPHA))
    assert prior.logpdf({"p": np.array([0.3, 0.3, 0.3, 0.3])}) == -np.inf
    assert prior.logpdf({"p": np.array([-0.1, 0.4, 0.4, 0.3])}) == -np.inf


@given(seed=st.integers(0, 2**32 - 1))
def test_dirichlet_grad_along_the_simplex(seed):
    """grad . v equals the directional derivative of scipy's logpdf for tangent v."""
    rng = np.random.default_rng(seed)
    dist = stats.dirichlet(ALPHA)
    prior = make_prior(("p",), dist)
    x = rng.dirichlet(ALPHA + 2.0)
    x = np.clip(x, 0.02, None)
    x /= x.sum()
    v = rng.normal(size=4)
    v -= v.mean()
    h = 1e-6
    fd = (dist.logpdf(x + h * v) - dist.logpdf(x - h * v)) / (2 * h)
    g = prior.grad_logpdf({"p": x})["p"]
    np.testing.assert_allclose(g @ v, fd, rtol=1e-6, atol=1e-6)


def test_dirichlet_rvs_moments():
    prior = make_prior(("p",), stats.dirichlet(ALPHA))
    draws = prior.rvs((40000,), np.random.default_rng(4))["p"]
    assert draws.shape == (40000, 4)
    np.testing.assert_allclose(draws.sum(-1), 1.0)
    dist = stats.dirichlet(ALPHA)
    se = np.sqrt(dist.var() / 40000)
    assert np.all(np.abs(draws.mean(0) - dist.mean()) < 5 * se)
    assert prior.rvs((2, 3), np.random.default_rng(0))["p"].shape == (2, 3, 4)


# ------------------------------------------------------------------ multivariate normal
MEAN = np.array([0.5, -1.0, 2.0])
COV = np.array([[2.0, 0.3, -0.4], [0.3, 1.0, 0.2], [-0.4, 0.2, 1.5]])


def test_mvnormal_logpdf_and_grad_match_scipy(rng, fd):
    dist = stats.multivariate_normal(MEAN, COV)
    prior = make_prior(("w",), dist)
    assert prior.shapes == {"w": (3,)}
    x = rng.normal(size=(4, 6, 3)) * 2
    np.testing.assert_allclose(prior.logpdf({"w": x}), dist.logpdf(x), rtol=1e-12)
    g = prior.grad_logpdf({"w": x})["w"]
    assert g.shape == (4, 6, 3)
    for idx in [(0, 0), (3, 5), (2, 1)]:
        np.testing.assert_allclose(g[idx], fd(dist.logpdf, x[idx], 1e-5), rtol=1e-7, atol=1e-8)


def test_mvnormal_rvs_moments():
    prior = make_prior(("w",), stats.multivariate_normal(MEAN, COV))
    draws = prior.rvs((50000,), np.random.default_rng(5))["w"]
    assert draws.shape == (50000, 3)
    assert np.all(np.abs(draws.mean(0) - MEAN) < 5 * np.sqrt(np.diag(COV) / 50000))
    np.testing.assert_allclose(np.cov(draws.T), COV, atol=0.05)


# ----------------------------------------------------- scipy's normal_inverse_gamma (mu, s2)
def test_scipy_nig_logpdf_and_grad(rng, fd):
    dist = stats.normal_inverse_gamma(mu=0.7, lmbda=2.5, a=3.0, b=1.5)
    prior = make_prior(("mu", "sigma2"), dist)
    assert prior.shapes == {"mu": (), "sigma2": ()}
    x = rng.normal(0.7, 1.0, size=(5, 4))
    s2 = stats.invgamma(3.0, scale=1.5).rvs(size=(5, 4), random_state=rng)
    np.testing.assert_allclose(
        prior.logpdf({"mu": x, "sigma2": s2}), dist.logpdf(x, s2), rtol=1e-12
    )
    # independent composition: N(mu, s2 / lmbda) * InvGamma(a, scale=b)
    expected = stats.norm.logpdf(x, 0.7, np.sqrt(s2 / 2.5)) + stats.invgamma.logpdf(
        s2, 3.0, scale=1.5
    )
    np.testing.assert_allclose(prior.logpdf({"mu": x, "sigma2": s2}), expected, rtol=1e-12)
    grads = prior.grad_logpdf({"mu": x, "sigma2": s2})
    for i, j in [(0, 0), (4, 3), (2, 1)]:
        theta = np.array([x[i, j], s2[i, j]])
        num = fd(lambda t: dist.logpdf(t[0], t[1]), theta, 1e-6 * np.maximum(1, np.abs(theta)))
        np.testing.assert_allclose(
            [grads["mu"][i, j], grads["sigma2"][i, j]], num, rtol=1e-6, atol=1e-7
        )
    assert prior.logpdf({"mu": 0.0, "sigma2": -1.0}) == -np.inf
    assert prior.logpdf({"mu": 0.0, "sigma2": 0.0}) == -np.inf
    low, high = prior.support("sigma2")
    assert float(low) == 0.0 and float(high) == np.inf
    assert isinstance(prior.transforms["sigma2"], LowerBound)
    assert isinstance(prior.transforms["mu"], Identity)


def test_scipy_nig_batched_and_rvs():
    dist = stats.normal_inverse_gamma(mu=[0.0, 1.0], lmbda=[1.0, 4.0], a=[3.0, 5.0], b=[2.0, 1.0])
    prior = make_prior(("mu", "sigma2"), dist)
    assert prior.shapes == {"mu": (2,), "sigma2": (2,)}
    rng = np.random.default_rng(6)
    draws = prior.rvs((60000,), rng)
    assert draws["mu"].shape == draws["sigma2"].shape == (60000, 2)
    mean_s2 = np.array([2.0 / 2.0, 1.0 / 4.0])
    var_s2 = mean_s2**2 / (np.array([3.0, 5.0]) - 2)
    assert np.all(np.abs(draws["sigma2"].mean(0) - mean_s2) < 5 * np.sqrt(var_s2 / 60000))
    var_mu = mean_s2 / np.array([1.0, 4.0])
    assert np.all(np.abs(draws["mu"].mean(0) - [0.0, 1.0]) < 5 * np.sqrt(var_mu / 60000))
    np.testing.assert_allclose(draws["mu"].var(0), var_mu, rtol=0.05)
    x, s2 = draws["mu"][:5], draws["sigma2"][:5]
    np.testing.assert_allclose(
        prior.logpdf({"mu": x, "sigma2": s2}), dist.logpdf(x, s2).sum(-1), rtol=1e-12
    )


# --------------------------------------------------- bayesgd's NormalInverseGamma (coef, s2)
NIG_MEAN = np.array([1.0, -0.5])
NIG_COV = np.array([[2.0, 0.4], [0.4, 0.5]])


def test_normal_inverse_gamma_matches_independent_composition(rng, fd):
    dist = NormalInverseGamma(NIG_MEAN, NIG_COV, a=2.5, b=1.3)
    assert normal_inverse_gamma is NormalInverseGamma
    x = rng.normal(size=(6, 2))
    s2 = rng.uniform(0.2, 3.0, size=6)
    expected = [
        stats.multivariate_normal(NIG_MEAN, s2[i] * NIG_COV).logpdf(x[i])
        + stats.invgamma(2.5, scale=1.3).logpdf(s2[i])
        for i in range(6)
    ]
    np.testing.assert_allclose(dist.logpdf(x, s2), expected, rtol=1e-12)
    np.testing.assert_allclose(dist.pdf(x, s2), np.exp(expected), rtol=1e-12)
    gx, gs2 = dist.grad_logpdf(x, s2)
    assert gx.shape == (6, 2) and gs2.shape == (6,)
    for i in range(6):
        theta = np.array([*x[i], s2[i]])

        def f(t):
            return stats.multivariate_normal(NIG_MEAN, t[2] * NIG_COV).logpdf(
                t[:2]
            ) + stats.invgamma(2.5, scale=1.3).logpdf(t[2])

        num = fd(f, theta, 1e-6)
        np.testing.assert_allclose([*gx[i], gs2[i]], num, rtol=1e-6, atol=1e-7)
    assert dist.logpdf(x[0], -1.0) == -np.inf


def test_normal_inverse_gamma_as_a_prior(rng):
    dist = NormalInverseGamma(NIG_MEAN, NIG_COV, a=2.5, b=1.3)
    prior = make_prior(("coef", "sigma2"), dist)
    assert prior.shapes == {"coef": (2,), "sigma2": ()}
    x = rng.normal(size=(3, 4, 2))
    s2 = rng.uniform(0.2, 3.0, size=(3, 4))
    np.testing.assert_allclose(
        prior.logpdf({"coef": x, "sigma2": s2}), dist.logpdf(x, s2), rtol=1e-14
    )
    g = prior.grad_logpdf({"coef": x, "sigma2": s2})
    assert g["coef"].shape == (3, 4, 2) and g["sigma2"].shape == (3, 4)
    draws = prior.rvs((2, 3), rng)
    assert draws["coef"].shape == (2, 3, 2) and draws["sigma2"].shape == (2, 3)


def test_normal_inverse_gamma_rvs_moments_and_mean():
    dist = NormalInverseGamma(NIG_MEAN, NIG_COV, a=4.0, b=3.0)
    coef, s2 = dist.rvs(size=80000, random_state=7)
    assert coef.shape == (80000, 2) and s2.shape == (80000,)
    e_s2 = 3.0 / 3.0
    var_s2 = e_s2**2 / 2.0
    assert abs(s2.mean() - e_s2) < 5 * np.sqrt(var_s2 / 80000)
    np.testing.assert_allclose(np.cov(coef.T), e_s2 * NIG_COV, rtol=0.05, atol=0.01)
    m_coef, m_s2 = dist.mean()
    np.testing.assert_array_equal(m_coef, NIG_MEAN)
    assert m_s2 == pytest.approx(1.0)
    assert NormalInverseGamma([0.0], 1.0, a=1.0, b=1.0).mean()[1] == np.inf
    a1, _ = dist.rvs(size=(2, 3), random_state=1)
    a2, _ = dist.rvs(size=(2, 3), random_state=1)
    assert a1.shape == (2, 3, 2)
    np.testing.assert_array_equal(a1, a2)


def test_normal_inverse_gamma_cov_forms():
    d = NormalInverseGamma([0.0, 0.0, 0.0], 2.0)
    np.testing.assert_array_equal(d.cov, 2.0 * np.eye(3))
    d = NormalInverseGamma([0.0, 0.0], [1.0, 3.0])
    np.testing.assert_array_equal(d.cov, np.diag([1.0, 3.0]))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"mean": [0.0, np.nan]}, "mean"),
        ({"mean": [0.0, 0.0], "cov": [[1.0, 2.0], [0.0, 1.0]]}, "cov"),
        ({"mean": [0.0, 0.0], "cov": [[1.0, 2.0], [2.0, 1.0]]}, "cov"),
        ({"mean": [0.0, 0.0], "cov": np.nan}, "cov"),
        ({"mean": [0.0, 0.0], "cov": -1.0}, "cov"),
        ({"mean": [0.0, 0.0], "cov": np.ones(3)}, "cov"),
        ({"mean": [0.0, 0.0], "a": -1.0}, "a"),
        ({"mean": [0.0, 0.0], "b": 0.0}, "b"),
        ({"mean": [0.0, 0.0], "a": np.inf}, "a"),
    ],
)
def test_normal_inverse_gamma_rejects_invalid_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        NormalInverseGamma(**kwargs)


# --------------------------------------------------------------------------- errors
def test_discrete_priors_are_rejected():
    with pytest.raises(TypeError, match=r"p.*discrete"):
        make_prior(("p",), stats.poisson(3))
    with pytest.raises(TypeError, match="discrete"):
        make_prior(("p",), stats.binom(10, 0.3))


def test_unsupported_family_is_rejected_with_the_accepted_list():
    with pytest.raises(TypeError, match=r"rayleigh.*accepted: .*beta"):
        make_prior(("p",), stats.rayleigh())


@pytest.mark.parametrize("obj", ["beta", 0.5j, stats.beta, None, object()])
def test_non_distributions_are_rejected(obj):
    with pytest.raises(TypeError, match="p"):
        make_prior(("p",), obj)


@pytest.mark.parametrize(
    ("dist", "bad"),
    [
        (stats.beta(-1, 2), "a"),
        (stats.beta(2, 0), "b"),
        (stats.gamma(0.0), "a"),
        (stats.gamma(np.inf), "a"),
        (stats.norm(np.nan, 1.0), "loc"),
        (stats.norm(0.0, -1.0), "scale"),
        (stats.norm(0.0, np.inf), "scale"),
        (stats.uniform(0.0, 0.0), "scale"),
        (stats.t(np.inf), "df"),
        (stats.loguniform(2.0, 1.0), "a"),
        (stats.truncnorm(np.nan, 1.0), "a"),
        (stats.beta([1.0, -1.0], 2.0), "a"),
    ],
)
def test_invalid_univariate_parameters_are_rejected_naming_them(dist, bad):
    with pytest.raises(ValueError, match=rf"'p'.*\b{bad}\b"):
        make_prior(("p",), dist)


def test_invalid_multivariate_parameters_are_rejected():
    with pytest.raises(ValueError, match="alpha"):
        make_prior(("p",), stats.dirichlet([1.0, np.nan]))
    with pytest.raises(ValueError, match="alpha"):
        make_prior(("p",), stats.dirichlet([1.0, np.inf]))
    with pytest.raises(ValueError, match="mean"):
        make_prior(("w",), stats.multivariate_normal([0.0, np.inf]))
    with pytest.raises(ValueError, match=r"\ba\b"):
        make_prior(("mu", "s2"), stats.normal_inverse_gamma(0.0, 1.0, np.inf, 1.0))


def test_wrong_number_of_names():
    with pytest.raises(ValueError, match="joint prior"):
        make_prior(("mu",), stats.normal_inverse_gamma(0.0, 1.0, 1.0, 1.0))
    with pytest.raises(ValueError, match="joint prior"):
        make_prior(("coef",), NormalInverseGamma([0.0], 1.0))
    with pytest.raises(ValueError, match="one parameter"):
        make_prior(("a", "b"), stats.norm())
    with pytest.raises(ValueError, match="one parameter"):
        make_prior(("a", "b"), stats.dirichlet([1.0, 1.0]))
    with pytest.raises(ValueError, match="one parameter"):
        make_prior(("a", "b"), stats.multivariate_normal([0.0, 0.0]))


def test_repr_names_the_family():
    assert repr(make_prior(("p",), stats.beta(2, 2))) == "Prior(p ~ beta)"
    assert "normal_inverse_gamma" in repr(NormalInverseGamma([0.0], 1.0))
