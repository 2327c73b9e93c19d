"""Tests of bayesgd.conjugate against truth computed independently with scipy.

Every posterior quantity is checked against numerical integration of prior x likelihood written
with scipy.stats densities (never bayesgd's own log density): ``scipy.integrate.quad`` and
``scipy.integrate.cubature`` (vectorised adaptive Gauss-Kronrod, the array form of ``quad`` and
``dblquad``; it keeps the module fast), and closed-form marginal likelihoods of the raw data
(multivariate normal and t) for regressions. Modes are checked against ``scipy.optimize``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from scipy import integrate, optimize, stats
from scipy.special import expit, softmax

import bayesgd as bg
from bayesgd.conjugate import (
    CONJUGATE_PAIRS,
    ConjugatePosterior,
    betageom,
    betanbinom_real,
    conjugate,
)
from bayesgd.errors import NotConjugateError

# ============================================================================================
# Helpers: independent numerical truth
# ============================================================================================


def _check_draws(post: ConjugatePosterior, size: int = 20_000, seed: int = 7) -> None:
    """Sample means and variances agree with the exact ones within 5 Monte Carlo SEs."""
    draws = post.sample(size, rng=seed)
    mean, sd = post.mean(), post.sd()
    for name in post.names:
        x = draws[name]
        assert x.shape == (size, *post.model.parameters[name].shape)
        m = np.asarray(mean[name])
        s = np.asarray(sd[name])
        xbar = x.mean(axis=0)
        assert np.all(np.abs(xbar - m) <= 5 * s / np.sqrt(size)), name
        finite4 = np.isfinite(s) & np.isfinite(m)
        # variance: SE from the sample fourth central moment (finite for these posteriors)
        var = x.var(axis=0, ddof=1)
        m4 = np.mean((x - xbar) ** 4, axis=0)
        se_var = np.sqrt(np.maximum(m4 - var**2, 0) / size)
        ok = np.abs(var - s**2) <= 5 * se_var + 1e-15
        assert np.all(ok | ~finite4), name


def _cub1(f: Callable[[np.ndarray], np.ndarray], a: float, b: float) -> float:
    """∫_a^b f: adaptive Gauss-Kronrod on a vectorised scalar integrand."""
    res = integrate.cubature(lambda x: f(x[:, 0])[:, None], [a], [b], rtol=1e-12, atol=0)
    assert res.status == "converged"
    return float(res.estimate[0])


@dataclass
class Case:
    """A one-parameter conjugate model and its scipy-only log posterior kernel."""

    id: str
    build: Callable[[], Any]
    name: str
    logpost: Callable[[np.ndarray], np.ndarray]  # log prior + log likelihood, vectorised
    space: str  # "unit", "positive", "real"
    cond: Callable[[Any, np.ndarray], np.ndarray]  # p(y_new = v | theta)
    cond_mean: Callable[[np.ndarray], np.ndarray]  # E[y_new | theta]
    points: list
    pred_kwargs: dict = field(default_factory=dict)
    discrete: bool = True
    support_max: int = 0  # pmf summed over 0..support_max (discrete)


def _to_theta(space: str, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Map an unconstrained z to theta, with the Jacobian d theta / dz."""
    if space == "unit":
        p = expit(z)
        return p, p * (1 - p)
    if space == "positive":
        t = np.exp(z)
        return t, t
    return z, np.ones_like(z)


_RANGE = {"unit": (-40.0, 40.0), "positive": (-30.0, 8.0), "real": (-60.0, 60.0)}


_ARGMAX: dict[str, tuple[float, float]] = {}


def _argmax(case: Case) -> tuple[float, float]:
    """Mode (in theta) of the unnormalised posterior by scipy.optimize, and log density there."""
    if case.id not in _ARGMAX:
        _ARGMAX[case.id] = _find_argmax(case)
    return _ARGMAX[case.id]


def _find_argmax(case: Case) -> tuple[float, float]:
    lo, hi = _RANGE[case.space]
    res = optimize.minimize_scalar(
        lambda z: -float(case.logpost(_to_theta(case.space, np.array(z))[0])),
        bounds=(lo, hi),
        method="bounded",
        options={"xatol": 1e-12, "maxiter": 2000},
    )
    theta = float(_to_theta(case.space, np.array(res.x))[0])
    return theta, -float(res.fun)


def _integrate(case: Case, fn: Callable[[np.ndarray], np.ndarray], a=None, b=None):
    """∫ fn(theta) exp(logpost(theta) - c) dtheta over the support (or over [a, b]).

    Adaptive Gauss-Kronrod (``integrate.cubature``, the vectorised form of ``quad``) in an
    unconstrained coordinate. ``fn`` maps an array of thetas ``(m,)`` to ``(m,)`` or ``(m, k)``.
    Returns the ``k`` integrals and the constant ``c`` (the log density at the mode).
    """
    _, c = _argmax(case)
    if a is not None:
        space, lo, hi = "real", a, b
    else:
        space, (lo, hi) = case.space, _RANGE[case.space]

    def integrand(x):
        t, jac = _to_theta(space, x[:, 0])
        with np.errstate(over="ignore", under="ignore", divide="ignore"):
            w = np.exp(case.logpost(t) - c) * jac
        return np.asarray(fn(t)).reshape(len(t), -1) * w[:, None]

    res = integrate.cubature(integrand, [lo], [hi], rtol=1e-12, atol=0)
    assert res.status == "converged"
    return res.estimate, c


def _unit_logpost(prior, lik):
    def f(p):
        p = np.asarray(p, dtype=float)
        return prior.logpdf(p) + lik(p)

    return f


Y_BERN = np.array([1, 0, 1, 1, 0, 1, 1, 0, 1])
K_BIN, N_BIN = np.array([7, 3, 9]), np.array([10, 8, 12])
K_GEOM = np.array([1, 3, 2, 5, 1, 2])
K_NB = np.array([4, 6, 2, 9])
K_POIS, T_POIS = np.array([2, 5, 1, 0, 3]), np.array([1.0, 2.0, 0.5, 1.0, 1.5])
Y_EXP = np.array([0.5, 1.2, 0.3, 2.2, 0.8])
Y_NORM = np.array([1.3, 0.2, 2.5, 1.9])
Y_GROUPED = np.array([[0.4, 2.2], [1.1, -1.5], [0.7, 3.9]])
S2_GROUPED = np.array([1.0, 4.0])


def _sum_over_data(logpmf):
    """logpmf(data[:, None], theta[None]) summed over data, for any theta shape."""

    def f(theta):
        theta = np.asarray(theta, dtype=float)
        return np.sum(logpmf(theta[..., None]), axis=-1)

    return f


CASES = [
    Case(
        "beta-bernoulli",
        lambda: bg.Bernoulli(y=Y_BERN, p=stats.beta(2, 3)),
        "p",
        _unit_logpost(
            stats.beta(2, 3), _sum_over_data(lambda p: stats.bernoulli.logpmf(Y_BERN, p))
        ),
        "unit",
        lambda v, p: stats.bernoulli.pmf(v, p),
        lambda p: p,
        [0, 1],
        support_max=1,
    ),
    Case(
        "beta-binomial",
        lambda: bg.Binomial(k=K_BIN, n=N_BIN, p=stats.beta(0.8, 1.5)),
        "p",
        _unit_logpost(
            stats.beta(0.8, 1.5), _sum_over_data(lambda p: stats.binom.logpmf(K_BIN, N_BIN, p))
        ),
        "unit",
        lambda v, p: stats.binom.pmf(v, 4, p),
        lambda p: 4 * p,
        [0, 1, 2, 3, 4],
        {"n": 4},
        support_max=4,
    ),
    Case(
        "uniform-binomial",
        lambda: bg.Binomial(k=K_BIN, n=N_BIN, p=stats.uniform(0, 1)),
        "p",
        _unit_logpost(
            stats.uniform(0, 1), _sum_over_data(lambda p: stats.binom.logpmf(K_BIN, N_BIN, p))
        ),
        "unit",
        lambda v, p: stats.binom.pmf(v, 3, p),
        lambda p: 3 * p,
        [0, 2, 3],
        {"n": 3},
        support_max=3,
    ),
    Case(
        "beta-geometric",
        lambda: bg.Geometric(k=K_GEOM, p=stats.beta(2, 2)),
        "p",
        _unit_logpost(stats.beta(2, 2), _sum_over_data(lambda p: stats.geom.logpmf(K_GEOM, p))),
        "unit",
        lambda v, p: stats.geom.pmf(v, p),
        lambda p: 1 / p,
        [1, 2, 5, 20],
        support_max=200_000,
    ),
    Case(
        "beta-negbin",
        lambda: bg.NegativeBinomial(k=K_NB, r=3, p=stats.beta(1.5, 1)),
        "p",
        _unit_logpost(
            stats.beta(1.5, 1), _sum_over_data(lambda p: stats.nbinom.logpmf(K_NB, 3, p))
        ),
        "unit",
        lambda v, p: stats.nbinom.pmf(v, 3, p),
        lambda p: 3 * (1 - p) / p,
        [0, 3, 10],
        support_max=200_000,
    ),
    Case(
        "beta-negbin-real-r",
        lambda: bg.NegativeBinomial(k=K_NB, r=2.5, p=stats.beta(3, 2)),
        "p",
        _unit_logpost(
            stats.beta(3, 2), _sum_over_data(lambda p: stats.nbinom.logpmf(K_NB, 2.5, p))
        ),
        "unit",
        lambda v, p: stats.nbinom.pmf(v, 2.5, p),
        lambda p: 2.5 * (1 - p) / p,
        [0, 3, 10],
        support_max=200_000,
    ),
    Case(
        "gamma-poisson",
        lambda: bg.Poisson(k=K_POIS, exposure=T_POIS, mu=stats.gamma(2, scale=1.5)),
        "mu",
        _unit_logpost(
            stats.gamma(2, scale=1.5),
            _sum_over_data(lambda m: stats.poisson.logpmf(K_POIS, m * T_POIS)),
        ),
        "positive",
        lambda v, m: stats.poisson.pmf(v, 2.0 * m),
        lambda m: 2.0 * m,
        [0, 2, 7],
        {"exposure": 2.0},
        support_max=400,
    ),
    Case(
        "expon-poisson",
        lambda: bg.Poisson(k=K_POIS, mu=stats.expon(scale=2.0)),
        "mu",
        _unit_logpost(
            stats.expon(scale=2.0), _sum_over_data(lambda m: stats.poisson.logpmf(K_POIS, m))
        ),
        "positive",
        lambda v, m: stats.poisson.pmf(v, m),
        lambda m: m,
        [0, 2, 7],
        support_max=400,
    ),
    Case(
        "gamma-exponential",
        lambda: bg.Exponential(y=Y_EXP, lam=stats.gamma(3, scale=0.5)),
        "lam",
        _unit_logpost(
            stats.gamma(3, scale=0.5),
            _sum_over_data(lambda lam: stats.expon.logpdf(Y_EXP, scale=1 / lam)),
        ),
        "positive",
        lambda v, lam: stats.expon.pdf(v, scale=1 / lam),
        lambda lam: 1 / lam,
        [0.1, 1.0, 4.0],
        discrete=False,
    ),
    Case(
        "chi2-exponential",
        lambda: bg.Exponential(y=Y_EXP, lam=stats.chi2(3, scale=0.7)),
        "lam",
        _unit_logpost(
            stats.chi2(3, scale=0.7),
            _sum_over_data(lambda lam: stats.expon.logpdf(Y_EXP, scale=1 / lam)),
        ),
        "positive",
        lambda v, lam: stats.expon.pdf(v, scale=1 / lam),
        lambda lam: 1 / lam,
        [0.1, 1.0, 4.0],
        discrete=False,
    ),
    Case(
        "normal-normal",
        lambda: bg.Normal(y=Y_NORM, mu=stats.norm(1, 2), sigma=1.5),
        "mu",
        _unit_logpost(
            stats.norm(1, 2), _sum_over_data(lambda m: stats.norm.logpdf(Y_NORM, m, 1.5))
        ),
        "real",
        lambda v, m: stats.norm.pdf(v, m, 1.5),
        lambda m: m,
        [-1.0, 1.0, 3.0],
        discrete=False,
    ),
    Case(
        "normal-normal-sigma2-groups",
        lambda: bg.Normal(y=Y_GROUPED, mu=stats.norm(0, 3), sigma2=S2_GROUPED),
        "mu",
        lambda m: (
            stats.norm.logpdf(m, 0, 3)
            + np.sum(
                stats.norm.logpdf(
                    Y_GROUPED, np.asarray(m, float)[..., None, None], np.sqrt(S2_GROUPED)
                ),
                axis=(-2, -1),
            )
        ),
        "real",
        lambda v, m: stats.norm.pdf(v, np.asarray(m)[..., None], np.sqrt(S2_GROUPED)),
        lambda m: np.asarray(m)[..., None] * np.ones(2),
        [np.array([0.0, 1.0]), np.array([1.5, -2.0])],
        discrete=False,
    ),
    Case(
        "invgamma-normal",
        lambda: bg.Normal(y=Y_NORM, mu=0.5, sigma2=stats.invgamma(3, scale=2)),
        "sigma2",
        _unit_logpost(
            stats.invgamma(3, scale=2),
            _sum_over_data(lambda s2: stats.norm.logpdf(Y_NORM, 0.5, np.sqrt(s2))),
        ),
        "positive",
        lambda v, s2: stats.norm.pdf(v, 0.5, np.sqrt(s2)),
        lambda s2: 0.5 * np.ones_like(s2),
        [-1.0, 0.5, 3.0],
        discrete=False,
    ),
]


@pytest.fixture(scope="module", params=CASES, ids=[c.id for c in CASES])
def case(request):
    return request.param


# ============================================================================================
# One-parameter pairs
# ============================================================================================


def test_moments_and_evidence_match_quadrature(case):
    post = conjugate(case.build())
    assert isinstance(post, ConjugatePosterior) and post.method == "conjugate"
    vals, c = _integrate(case, lambda t: np.stack([np.ones_like(t), t, t * t], axis=-1))
    z, m1, m2 = vals
    mean = m1 / z
    sd = np.sqrt(m2 / z - mean**2)
    np.testing.assert_allclose(post.mean()[case.name], mean, rtol=1e-9)
    np.testing.assert_allclose(post.sd()[case.name], sd, rtol=1e-7)
    np.testing.assert_allclose(post.log_evidence, np.log(z) + c, rtol=1e-10, atol=1e-10)
    # the same with plain scalar quad on the parameter's own support
    lo, hi = {"unit": (0, 1), "positive": (0, np.inf), "real": (-np.inf, np.inf)}[case.space]
    z_quad = integrate.quad(
        lambda t: np.exp(case.logpost(np.array([t]))[0] - c), lo, hi, epsabs=0, epsrel=1e-11
    )[0]
    np.testing.assert_allclose(post.log_evidence, np.log(z_quad) + c, rtol=1e-9, atol=1e-9)
    # the frozen marginal is the posterior: its cdf at the median is 1/2 by quadrature
    med = post.median()[case.name]
    dist = post.dist[case.name]
    np.testing.assert_allclose(dist.mean(), mean, rtol=1e-9)
    lo = {"unit": 0.0, "positive": 0.0, "real": -60.0}[case.space]
    below, _ = _integrate(case, lambda t: np.ones_like(t), a=lo, b=med)
    np.testing.assert_allclose(below[0] / z, 0.5, rtol=1e-8)
    q = post.quantile([0.1, 0.9])[case.name]
    np.testing.assert_allclose(dist.cdf(q), [0.1, 0.9], rtol=1e-10)


def test_mode_is_argmax(case):
    post = conjugate(case.build())
    theta_star, _ = _argmax(case)
    np.testing.assert_allclose(post.mode()[case.name], theta_star, rtol=1e-6)


@pytest.mark.parametrize("prob", [0.5, 0.94])
def test_hdi_mass_and_equal_density(case, prob):
    post = conjugate(case.build())
    low, high = post.hdi(prob)[case.name]
    z, c = _integrate(case, lambda t: np.ones_like(t))
    inside, c2 = _integrate(case, lambda t: np.ones_like(t), a=low, b=high)
    np.testing.assert_allclose(inside[0] * np.exp(c2 - c) / z[0], prob, rtol=1e-8)
    np.testing.assert_allclose(case.logpost(low), case.logpost(high), atol=1e-8)


def test_predictive_is_the_posterior_average(case):
    post = conjugate(case.build())
    pred = post.predictive(**case.pred_kwargs)

    def stacked(t):
        parts = [np.ones_like(t), *(case.cond(v, t) for v in case.points), case.cond_mean(t)]
        return np.concatenate([np.reshape(q, (len(t), -1)) for q in parts], axis=1)

    vals, _ = _integrate(case, stacked)
    rest = vals[1:] / vals[0]
    f = [pred.pmf(v) if case.discrete else pred.pdf(v) for v in case.points]
    f = np.concatenate([np.atleast_1d(q) for q in f])
    np.testing.assert_allclose(f, rest[: f.size], rtol=1e-8)
    np.testing.assert_allclose(pred.mean(), rest[f.size :], rtol=1e-8)
    if case.discrete:
        k = np.arange(0, case.support_max + 1)
        np.testing.assert_allclose(pred.pmf(k).sum(), 1.0, rtol=1e-10)
    else:
        lo = float(np.min(pred.support()[0]))
        total = integrate.cubature(
            lambda x: np.reshape(pred.pdf(x[:, :1]), (len(x), -1)), [lo], [np.inf], rtol=1e-11
        ).estimate
        np.testing.assert_allclose(total, 1.0, rtol=1e-9)


def test_samples_match_moments(case):
    _check_draws(conjugate(case.build()))


# ============================================================================================
# Edge modes and edge HDIs
# ============================================================================================


@pytest.mark.parametrize(
    ("a", "b", "k", "n", "expected"),
    [
        (1.0, 1.0, 0, 5, 0.0),  # Beta(1, 6): density decreasing
        (0.5, 2.0, 0, 3, 0.0),  # Beta(0.5, 5): infinite at 0
        (1.0, 1.0, 4, 4, 1.0),  # Beta(5, 1)
        (2.0, 0.5, 3, 3, 1.0),  # Beta(5, 0.5): infinite at 1
        (1.0, 1.0, 0, 0, 0.5),  # flat: centre
        (0.5, 0.5, 0, 0, 0.0),  # U-shaped tie: 0 by convention
        (0.3, 0.6, 0, 0, 0.0),  # U-shaped: 0 diverges faster
        (0.6, 0.3, 0, 0, 1.0),
    ],
)
def test_beta_edge_modes(a, b, k, n, expected):
    post = conjugate(bg.Binomial(k=k, n=n, p=stats.beta(a, b)))
    mode = post.mode()["p"]
    assert mode == expected
    a_n, b_n = a + k, b + n - k
    dens = stats.beta(a_n, b_n).logpdf
    if expected == 0.0 and (a_n, b_n) != (1.0, 1.0):
        assert dens(1e-9) > dens(1e-3) and dens(1e-9) >= dens(1 - 1e-9) - 1e-6
    if expected == 1.0:
        assert dens(1 - 1e-9) > dens(1 - 1e-3) and dens(1 - 1e-9) > dens(1e-9)


def test_edge_hdis():
    post = conjugate(bg.Binomial(k=0, n=5, p=stats.beta(1, 1)))  # Beta(1, 6)
    low, high = post.hdi(0.9)["p"]
    assert low == 0.0
    np.testing.assert_allclose(stats.beta(1, 6).cdf(high), 0.9, rtol=1e-12)
    post = conjugate(bg.Poisson(k=[0], mu=stats.gamma(1, scale=1)))  # Gamma(1, rate 2)
    assert post.mode()["mu"] == 0.0
    low, high = post.hdi(0.8)["mu"]
    assert low == 0.0
    np.testing.assert_allclose(stats.gamma(1, scale=0.5).cdf(high), 0.8, rtol=1e-12)
    # U-shaped posterior: the shortest interval, at the edge where it is narrower, as the grid
    model = bg.Binomial(k=0, n=0, p=stats.beta(0.5, 0.7))
    low, high = conjugate(model).hdi(0.5)["p"]
    assert low == 0.0
    np.testing.assert_allclose(high, stats.beta(0.5, 0.7).ppf(0.5), rtol=1e-12)
    grid_low, grid_high = bg.grid(model).hdi(0.5)["p"]
    assert grid_low == 0.0 and grid_high == pytest.approx(high, rel=1e-6)
    low, high = conjugate(bg.Binomial(k=0, n=0, p=stats.beta(0.7, 0.5))).hdi(0.5)["p"]
    assert high == 1.0
    np.testing.assert_allclose(low, stats.beta(0.7, 0.5).isf(0.5), rtol=1e-12)


@pytest.mark.parametrize(
    ("alpha", "expected"),
    [
        ([3.0, 2.0, 5.0], [2 / 7, 1 / 7, 4 / 7]),
        ([3.0, 1.0, 0.5], [1.0, 0.0, 0.0]),
        ([2.0, 1.0, 3.0], [1 / 3, 0.0, 2 / 3]),
        ([1.0, 1.0, 1.0], [1 / 3, 1 / 3, 1 / 3]),
        ([0.5, 1.0, 0.8], [0.0, 1.0, 0.0]),
        ([0.5, 0.5], [0.0, 1.0]),
    ],
)
def test_dirichlet_edge_modes(alpha, expected):
    post = conjugate(bg.Categorical(y=np.zeros(0, int), p=stats.dirichlet(alpha)))
    np.testing.assert_allclose(post.mode()["p"], expected, rtol=1e-14)
    if len(alpha) == 2:  # agrees with the Beta rule on p[0]
        beta = conjugate(bg.Bernoulli(y=np.zeros(0, int), p=stats.beta(*alpha)))
        assert beta.mode()["p"] == post.mode()["p"][0]


# ============================================================================================
# Normal with the normal-inverse-gamma prior (two parameters: cubature)
# ============================================================================================

Y_NIG = np.array([1.2, 0.4, 2.1, 1.7, 0.9])
NIG_ARGS = (0.5, 1.5, 2.0, 2.0)


def _nig_logpost(mu, s2):
    mu, s2 = np.broadcast_arrays(np.atleast_1d(mu), np.atleast_1d(s2))
    prior = stats.normal_inverse_gamma.logpdf(mu, s2, *NIG_ARGS)
    return prior + np.sum(stats.norm.logpdf(Y_NIG[:, None], mu, np.sqrt(s2)), axis=0)


def _nig_integrate(fn, lo=(-40.0, -14.0), hi=(40.0, 14.0), c=0.0):
    """∫∫ fn(mu, s2) exp(logpost - c) dmu ds2, over (mu, log s2)."""

    def f(x):
        mu, s2 = x[:, 0], np.exp(x[:, 1])
        w = np.exp(_nig_logpost(mu, s2) - c) * s2
        return np.asarray(fn(mu, s2)).T * w[:, None]

    res = integrate.cubature(f, list(lo), list(hi), rtol=1e-11, atol=0)
    assert res.status == "converged"
    return res.estimate


@pytest.fixture(scope="module")
def nig():
    post = conjugate(bg.Normal(y=Y_NIG, prior=stats.normal_inverse_gamma(*NIG_ARGS)))
    mode = post.mode()
    c = float(_nig_logpost(np.array([mode["mu"]]), np.array([mode["sigma2"]]))[0])
    z = _nig_integrate(lambda m, s: np.stack([np.ones_like(m)]), c=c)[0]
    return post, c, z


def test_nig_moments_and_evidence(nig):
    post, c, z = nig
    mom = _nig_integrate(lambda m, s: np.stack([m, s, m * m, s * s]), c=c) / z
    np.testing.assert_allclose(post.log_evidence, np.log(z) + c, rtol=1e-10)
    np.testing.assert_allclose([post.mean()["mu"], post.mean()["sigma2"]], mom[:2], rtol=1e-9)
    sd = np.sqrt(mom[2:] - mom[:2] ** 2)
    np.testing.assert_allclose([post.sd()["mu"], post.sd()["sigma2"]], sd, rtol=1e-7)
    # and against the closed-form marginal of the raw data: multivariate t
    mu0, lam, a, b = NIG_ARGS
    n = len(Y_NIG)
    shape = (b / a) * (np.eye(n) + np.ones((n, n)) / lam)
    ref = stats.multivariate_t(loc=np.full(n, mu0), shape=shape, df=2 * a).logpdf(Y_NIG)
    np.testing.assert_allclose(post.log_evidence, ref, rtol=1e-12)
    assert post.joint.mean()[0] == pytest.approx(post.mean()["mu"])


def test_nig_joint_mode(nig):
    post, _, _ = nig
    res = optimize.minimize(
        lambda x: -_nig_logpost(x[0], np.exp(x[1]))[0],
        x0=[0.0, 0.0],
        method="Nelder-Mead",
        options={"xatol": 1e-11, "fatol": 1e-14, "maxiter": 5000},
    )
    mode = post.mode()
    np.testing.assert_allclose(
        [mode["mu"], mode["sigma2"]], [res.x[0], np.exp(res.x[1])], rtol=1e-7
    )
    h = post.hyper
    assert mode["sigma2"] == pytest.approx(h["b"] / (h["a"] + 1.5), rel=1e-14)


def test_nig_marginal_hdis(nig):
    post, c, z = nig
    prob = 0.9
    hdi = post.hdi(prob)
    lo_mu, hi_mu = hdi["mu"]
    mass = _nig_integrate(
        lambda m, s: np.stack([np.ones_like(m)]), (lo_mu, -14.0), (hi_mu, 14.0), c=c
    )
    np.testing.assert_allclose(mass[0] / z, prob, rtol=1e-8)

    def marg_mu(m):
        return _cub1(lambda u: np.exp(_nig_logpost(m, np.exp(u)) - c + u), -14, 14)

    np.testing.assert_allclose(marg_mu(lo_mu), marg_mu(hi_mu), rtol=1e-8)
    lo_s, hi_s = hdi["sigma2"]
    mass = _nig_integrate(
        lambda m, s: np.stack([np.ones_like(m)]), (-40.0, np.log(lo_s)), (40.0, np.log(hi_s)), c=c
    )
    np.testing.assert_allclose(mass[0] / z, prob, rtol=1e-8)

    def marg_s2(s):
        return _cub1(lambda m: np.exp(_nig_logpost(m, s) - c), -40, 40)

    np.testing.assert_allclose(marg_s2(lo_s), marg_s2(hi_s), rtol=1e-8)


def test_nig_predictive(nig):
    post, c, z = nig
    pred = post.predictive()
    for v in (-1.0, 1.0, 3.5):
        val = _nig_integrate(lambda m, s, v=v: np.stack([stats.norm.pdf(v, m, np.sqrt(s))]), c=c)
        np.testing.assert_allclose(pred.pdf(v), val[0] / z, rtol=1e-8)
    np.testing.assert_allclose(
        integrate.quad(pred.pdf, -np.inf, np.inf, epsabs=1e-13)[0], 1.0, rtol=1e-9
    )
    assert pred.mean() == pytest.approx(post.mean()["mu"], rel=1e-14)


def test_nig_draws_are_joint(nig):
    post, _, _ = nig
    _check_draws(post)
    draws = post.sample(40_000, rng=3)
    # (mu - mu_n)^2 lmbda_n / sigma2 ~ chi2(1) only for joint draws (not independent marginals)
    h = post.hyper
    stat = (draws["mu"] - h["mu"]) ** 2 * h["lmbda"] / draws["sigma2"]
    assert abs(stat.mean() - 1.0) < 5 * np.sqrt(2 / 40_000)


# ============================================================================================
# Dirichlet: Multinomial and Categorical (cubature over the 3-simplex)
# ============================================================================================

X_MULT = np.array([[3, 1, 2], [0, 2, 1], [4, 0, 3]])
ALPHA0 = np.array([1.5, 2.0, 0.8])
Y_CAT = np.array([0, 2, 2, 1, 0, 0, 2])


def _simplex(u, v):
    u, v = np.broadcast_arrays(np.asarray(u, float), np.asarray(v, float))
    return np.stack([u, (1 - u) * v, (1 - u) * (1 - v)], axis=-1), 1 - u


def _mult_loglik(p):
    n = X_MULT.sum(axis=1)
    return np.sum(stats.multinomial.logpmf(X_MULT[:, None, :], n[:, None], p[None]), axis=0)


def _cat_loglik(p):
    onehot = np.eye(3)[Y_CAT]
    return np.sum(stats.multinomial.logpmf(onehot[:, None, :], 1, p[None]), axis=0)


def _dir_integrate(loglik, fn, c, u_lo=0.0, u_hi=1.0):
    def f(x):
        p, jac = _simplex(x[:, 0], x[:, 1])
        with np.errstate(divide="ignore"):
            lp = stats.dirichlet.logpdf(p.T, ALPHA0) + loglik(p)
        return np.asarray(fn(p)).T * (np.exp(lp - c) * jac)[:, None]

    res = integrate.cubature(f, [u_lo, 0.0], [u_hi, 1.0], rtol=1e-11, atol=0)
    assert res.status == "converged"
    return res.estimate


@pytest.mark.parametrize(
    ("build", "loglik"),
    [
        (lambda: bg.Multinomial(x=X_MULT, p=stats.dirichlet(ALPHA0)), _mult_loglik),
        (lambda: bg.Categorical(y=Y_CAT, p=stats.dirichlet(ALPHA0)), _cat_loglik),
    ],
    ids=["multinomial", "categorical"],
)
def test_dirichlet_against_cubature(build, loglik):
    post = conjugate(build())
    alpha = post.hyper["alpha"]
    assert np.all(alpha > 1)

    def logpost(p):
        return stats.dirichlet.logpdf(np.asarray(p).T, ALPHA0) + loglik(np.atleast_2d(p))

    # mode: scipy.optimize over softmax coordinates
    res = optimize.minimize(
        lambda w: -float(logpost(softmax(np.r_[w, 0.0])[None])[0]),
        x0=np.zeros(2),
        method="BFGS",
        options={"gtol": 1e-10},
    )
    mode = post.mode()["p"]
    np.testing.assert_allclose(mode, softmax(np.r_[res.x, 0.0]), rtol=1e-6)
    c = float(logpost(mode[None])[0])
    z = _dir_integrate(loglik, lambda p: np.stack([np.ones(len(p))]), c)[0]
    np.testing.assert_allclose(post.log_evidence, np.log(z) + c, rtol=1e-10)
    mom = _dir_integrate(loglik, lambda p: np.concatenate([p.T, (p * p).T]), c) / z
    np.testing.assert_allclose(post.mean()["p"], mom[:3], rtol=1e-9)
    np.testing.assert_allclose(post.sd()["p"], np.sqrt(mom[3:] - mom[:3] ** 2), rtol=1e-7)
    # HDI of p[0]: mass and equal marginal density at its ends
    low, high = post.hdi(0.9)["p"]
    mass = _dir_integrate(loglik, lambda p: np.stack([np.ones(len(p))]), c, low[0], high[0])[0]
    np.testing.assert_allclose(mass / z, 0.9, rtol=1e-8)

    def marginal0(u):
        return _cub1(lambda v: np.exp(logpost(_simplex(u, v)[0]) - c) * (1 - u), 0, 1)

    np.testing.assert_allclose(marginal0(low[0]), marginal0(high[0]), rtol=1e-8)
    _check_draws(post)
    # predictive
    if post.model.likelihood == "multinomial":
        pred = post.predictive(n=3)
        xs = np.array([[i, j, 3 - i - j] for i in range(4) for j in range(4 - i)])
        np.testing.assert_allclose(pred.pmf(xs).sum(), 1.0, rtol=1e-12)
        val = _dir_integrate(
            loglik, lambda p: np.stack([stats.multinomial.pmf([1, 0, 2], 3, p)]), c
        )
        np.testing.assert_allclose(pred.pmf([1, 0, 2]), val[0] / z, rtol=1e-8)
        np.testing.assert_allclose(pred.mean(), 3 * mom[:3], rtol=1e-9)
    else:
        pred = post.predictive()
        np.testing.assert_allclose(pred.pmf([0, 1, 2]), mom[:3], rtol=1e-9)
        np.testing.assert_allclose(pred.pmf([0, 1, 2]).sum(), 1.0, rtol=1e-14)
        np.testing.assert_allclose(pred.mean(), mom[1] + 2 * mom[2], rtol=1e-9)


# ============================================================================================
# Linear regression
# ============================================================================================

RNG = np.random.default_rng(42)
X_REG = RNG.normal(size=(12, 2))
Y_REG = 0.7 + X_REG @ np.array([1.5, -0.8]) + RNG.normal(0, 0.6, size=12)


def test_regression_nig_matches_raw_data_closed_forms():
    X = np.column_stack([np.ones(12), X_REG])
    m0, V0, a0, b0 = np.array([0.0, 1.0, 0.0]), np.diag([4.0, 2.0, 3.0]), 2.5, 1.5
    V0[0, 1] = V0[1, 0] = 0.5
    prior = bg.priors.NormalInverseGamma(mean=m0, cov=V0, a=a0, b=b0)
    post = conjugate(bg.LinearRegression(X=X, y=Y_REG, prior=prior))
    # textbook update from the raw data
    P0 = np.linalg.inv(V0)
    Vn = np.linalg.inv(P0 + X.T @ X)
    mn = Vn @ (P0 @ m0 + X.T @ Y_REG)
    an = a0 + 6
    bn = b0 + 0.5 * (Y_REG @ Y_REG + m0 @ P0 @ m0 - mn @ np.linalg.solve(Vn, mn))
    h = post.hyper
    np.testing.assert_allclose(h["mean"], mn, rtol=1e-10)
    np.testing.assert_allclose(h["cov"], Vn, rtol=1e-10)
    np.testing.assert_allclose([h["a"], h["b"]], [an, bn], rtol=1e-10)
    ref = stats.multivariate_t(
        loc=X @ m0, shape=(b0 / a0) * (np.eye(12) + X @ V0 @ X.T), df=2 * a0
    )
    np.testing.assert_allclose(post.log_evidence, ref.logpdf(Y_REG), rtol=1e-11)
    sd_t = np.sqrt(bn / an * np.diag(Vn) * (2 * an) / (2 * an - 2))
    np.testing.assert_allclose(post.sd()["coef"], sd_t, rtol=1e-10)

    # joint mode by scipy.optimize on the unnormalised density (scipy densities)
    def neg(x):
        s2 = np.exp(x[3])
        lp = stats.multivariate_normal.logpdf(x[:3], m0, s2 * V0)
        lp += stats.invgamma.logpdf(s2, a0, scale=b0)
        return -(lp + stats.norm.logpdf(Y_REG, X @ x[:3], np.sqrt(s2)).sum())

    res = optimize.minimize(neg, x0=np.zeros(4), method="BFGS", options={"gtol": 1e-9})
    mode = post.mode()
    np.testing.assert_allclose(mode["coef"], res.x[:3], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(mode["sigma2"], np.exp(res.x[3]), rtol=1e-5)
    assert mode["sigma2"] == pytest.approx(bn / (an + 1 + 1.5), rel=1e-14)
    # predictive at new rows
    Xn = np.array([[1.0, 0.3, -1.0], [1.0, 2.0, 0.5]])
    pred = post.predictive(X=Xn)
    np.testing.assert_allclose(pred.loc, Xn @ mn, rtol=1e-12)
    np.testing.assert_allclose(pred.shape, bn / an * (np.eye(2) + Xn @ Vn @ Xn.T), rtol=1e-10)
    _check_draws(post)
    draws = post.sample(20_000, rng=5)
    d = draws["coef"] - mn
    chi = np.einsum("ni,ij,nj->n", d, np.linalg.inv(Vn), d) / draws["sigma2"]
    assert abs(chi.mean() - 3) < 5 * np.sqrt(6 / 20_000)  # chi2(3) only for joint draws


def test_regression_nig_one_coefficient_against_cubature():
    x = X_REG[:, 0]
    y = Y_REG - 0.7
    prior = bg.priors.NormalInverseGamma(mean=[0.5], cov=2.0, a=2.0, b=1.0)
    post = conjugate(bg.LinearRegression(X=x[:, None], y=y + 0.7, intercept=0.7, prior=prior))

    def logpost(beta, s2):
        lp = stats.norm.logpdf(beta, 0.5, np.sqrt(2.0 * s2)) + stats.invgamma.logpdf(
            s2, 2.0, scale=1.0
        )
        return lp + np.sum(stats.norm.logpdf(y[:, None], x[:, None] * beta, np.sqrt(s2)), axis=0)

    mode = post.mode()
    c = float(logpost(mode["coef"], np.array([mode["sigma2"]]))[0])

    def cub(fn, lo=(-30.0, -14.0), hi=(30.0, 10.0)):
        def f(q):
            b, s2 = q[:, 0], np.exp(q[:, 1])
            return np.asarray(fn(b, s2)).T * (np.exp(logpost(b, s2) - c) * s2)[:, None]

        return integrate.cubature(f, list(lo), list(hi), rtol=1e-11, atol=0).estimate

    z, m_b, m_s, m_bb, m_ss = cub(lambda b, s: np.stack([np.ones_like(b), b, s, b * b, s * s]))
    np.testing.assert_allclose(post.log_evidence, np.log(z) + c, rtol=1e-10)
    np.testing.assert_allclose(post.mean()["coef"][0], m_b / z, rtol=1e-9)
    np.testing.assert_allclose(post.mean()["sigma2"], m_s / z, rtol=1e-9)
    np.testing.assert_allclose(post.sd()["coef"][0], np.sqrt(m_bb / z - (m_b / z) ** 2), rtol=1e-7)
    np.testing.assert_allclose(post.sd()["sigma2"], np.sqrt(m_ss / z - (m_s / z) ** 2), rtol=1e-7)
    low, high = post.hdi(0.9)["coef"]
    mass = cub(lambda b, s: np.stack([np.ones_like(b)]), (low[0], -14.0), (high[0], 10.0))[0]
    np.testing.assert_allclose(mass / z, 0.9, rtol=1e-8)
    # predictive at x0: the fixed intercept is added back
    x0, y0 = 1.3, 2.0
    pred = post.predictive(X=[[x0]])
    val = cub(lambda b, s: np.stack([stats.norm.pdf(y0, 0.7 + x0 * b, np.sqrt(s))]))[0]
    np.testing.assert_allclose(pred.pdf([y0]), val / z, rtol=1e-8)


def test_regression_known_sigma():
    sigma = 0.6
    cov_c = np.array([[2.0, 0.3], [0.3, 1.0]])
    m = bg.LinearRegression(
        X=X_REG,
        y=Y_REG,
        coef=stats.multivariate_normal([0.5, 0.0], cov_c),
        intercept=stats.norm(1.0, 3.0),
        sigma=sigma,
    )
    post = conjugate(m)
    Xa = np.column_stack([np.ones(12), X_REG])
    m0 = np.array([1.0, 0.5, 0.0])
    V0 = np.zeros((3, 3))
    V0[0, 0] = 9.0
    V0[1:, 1:] = cov_c
    ref = stats.multivariate_normal(Xa @ m0, sigma**2 * np.eye(12) + Xa @ V0 @ Xa.T)
    np.testing.assert_allclose(post.log_evidence, ref.logpdf(Y_REG), rtol=1e-11)
    cov_n = np.linalg.inv(np.linalg.inv(V0) + Xa.T @ Xa / sigma**2)
    mean_n = cov_n @ (np.linalg.solve(V0, m0) + Xa.T @ Y_REG / sigma**2)
    np.testing.assert_allclose(post.mean()["intercept"], mean_n[0], rtol=1e-10)
    np.testing.assert_allclose(post.mean()["coef"], mean_n[1:], rtol=1e-10)
    np.testing.assert_allclose(post.sd()["coef"], np.sqrt(np.diag(cov_n)[1:]), rtol=1e-10)
    np.testing.assert_allclose(post.dist["coef"].cov, cov_n[1:, 1:], rtol=1e-10)

    def neg(x):
        lp = stats.norm.logpdf(x[0], 1.0, 3.0) + stats.multivariate_normal.logpdf(
            x[1:], [0.5, 0.0], cov_c
        )
        return -(lp + stats.norm.logpdf(Y_REG, x[0] + X_REG @ x[1:], sigma).sum())

    res = optimize.minimize(neg, np.zeros(3), method="BFGS", options={"gtol": 1e-10})
    mode = post.mode()
    np.testing.assert_allclose([mode["intercept"], *mode["coef"]], res.x, rtol=1e-6)
    Xn = np.array([[0.2, -0.4]])
    pred = post.predictive(X=Xn)
    xa = np.r_[1.0, Xn[0]]
    np.testing.assert_allclose(pred.mean, [xa @ mean_n], rtol=1e-12)
    np.testing.assert_allclose(pred.cov, [[sigma**2 + xa @ cov_n @ xa]], rtol=1e-12)
    _check_draws(post)


def test_regression_known_sigma_one_coefficient_quad():
    x = X_REG[:, 1]
    m = bg.LinearRegression(X=x, y=Y_REG, coef=stats.norm(0.3, 1.5), sigma2=0.5)
    post = conjugate(m)

    def logpost(b):
        b = np.asarray(b, float)
        return stats.norm.logpdf(b, 0.3, 1.5) + np.sum(
            stats.norm.logpdf(Y_REG, b[..., None] * x, np.sqrt(0.5)), axis=-1
        )

    c = float(logpost(post.mode()["coef"][0]))
    res = optimize.minimize_scalar(
        lambda b: -logpost(b), bounds=(-10, 10), method="bounded", options={"xatol": 1e-12}
    )
    np.testing.assert_allclose(post.mode()["coef"][0], res.x, rtol=1e-7)
    vals = integrate.quad_vec(
        lambda b: np.array([1.0, b, b * b]) * np.exp(logpost(b) - c),
        -20,
        20,
        epsabs=0,
        epsrel=1e-12,
    )[0]
    z, m1, m2 = vals
    np.testing.assert_allclose(post.log_evidence, np.log(z) + c, rtol=1e-10)
    np.testing.assert_allclose(post.mean()["coef"][0], m1 / z, rtol=1e-9)
    np.testing.assert_allclose(post.sd()["coef"][0], np.sqrt(m2 / z - (m1 / z) ** 2), rtol=1e-8)


# ============================================================================================
# Streaming: Chan's merge keeps every digit with a large offset
# ============================================================================================


def test_streaming_normal_large_offset_equals_batch():
    rng = np.random.default_rng(11)
    y = 1e6 + rng.normal(0, 1, size=10_000)
    prior = stats.normal_inverse_gamma(1e6, 0.01, 2.0, 2.0)
    batch = conjugate(bg.Normal(y=y, prior=prior))
    chunks = np.array_split(y, 200)
    post = conjugate(bg.Normal(y=chunks[0], prior=prior))
    for chunk in chunks[1:]:
        post = post.update(y=chunk)
    exact_m2 = np.sum((y - y.mean()) ** 2)  # two-pass reference
    np.testing.assert_allclose(post.model.stats["m2"], exact_m2, rtol=1e-10)
    naive = np.sum(y * y) - len(y) * y.mean() ** 2  # what a running sum of squares would give
    assert (
        abs(naive - exact_m2) / exact_m2 > 100 * abs(post.model.stats["m2"] - exact_m2) / exact_m2
    )
    for key in ("mu", "lmbda", "a", "b"):
        np.testing.assert_allclose(post.hyper[key], batch.hyper[key], rtol=1e-10)
    np.testing.assert_allclose(post.log_evidence, batch.log_evidence, rtol=1e-10)
    # known-mu variance posterior with the offset
    m = bg.Normal(y=y[:100], mu=1e6, sigma2=stats.invgamma(2, scale=1))
    for chunk in np.array_split(y[100:], 50):
        m.update(y=chunk)
    one = conjugate(bg.Normal(y=y, mu=1e6, sigma2=stats.invgamma(2, scale=1)))
    np.testing.assert_allclose(conjugate(m).hyper["b"], one.hyper["b"], rtol=1e-10)
    np.testing.assert_allclose(one.hyper["b"], 1 + 0.5 * np.sum((y - 1e6) ** 2), rtol=1e-10)


# ============================================================================================
# Batched groups
# ============================================================================================


def _compare_groups(batched: ConjugatePosterior, singles: list[ConjugatePosterior]) -> None:
    for name in batched.names:
        for g, single in enumerate(singles):
            for fn in ("mean", "sd", "mode", "median"):
                np.testing.assert_allclose(
                    getattr(batched, fn)()[name][g], getattr(single, fn)()[name], rtol=1e-12
                )
            lo, hi = batched.hdi(0.8)[name]
            slo, shi = single.hdi(0.8)[name]
            np.testing.assert_allclose([lo[g], hi[g]], [slo, shi], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(
        batched.group_log_evidence, [s.log_evidence for s in singles], rtol=1e-12
    )
    np.testing.assert_allclose(
        batched.log_evidence, sum(s.log_evidence for s in singles), rtol=1e-12
    )


def test_groups_equal_a_loop_over_groups():
    rng = np.random.default_rng(5)
    G = 4
    a, b = np.array([1.0, 2.0, 0.5, 3.0]), np.array([1.0, 5.0, 2.0, 0.7])
    n = rng.integers(1, 20, size=(6, G))
    k = rng.binomial(n, 0.4)
    batched = conjugate(bg.Binomial(k=k, n=n, p=stats.beta(a, b)))
    singles = [
        conjugate(bg.Binomial(k=k[:, g], n=n[:, g], p=stats.beta(a[g], b[g]))) for g in range(G)
    ]
    _compare_groups(batched, singles)
    assert batched.dist["p"].mean().shape == (G,)
    assert batched.sample(5, rng=0)["p"].shape == (5, G)
    assert batched.quantile([0.1, 0.5, 0.9])["p"].shape == (3, G)
    pred = batched.predictive(n=3)
    np.testing.assert_allclose(pred.mean()[2], singles[2].predictive(n=3).mean(), rtol=1e-12)

    counts = rng.poisson(3.0, size=(5, G))
    t = rng.uniform(0.5, 2.0, size=(5, G))
    batched = conjugate(bg.Poisson(k=counts, exposure=t, mu=stats.gamma(a + 1, scale=1 / b)))
    singles = [
        conjugate(
            bg.Poisson(k=counts[:, g], exposure=t[:, g], mu=stats.gamma(a[g] + 1, scale=1 / b[g]))
        )
        for g in range(G)
    ]
    _compare_groups(batched, singles)

    y = rng.normal(size=(7, G))
    prior = stats.normal_inverse_gamma(np.arange(G) * 0.5, b, a + 1, a)
    batched = conjugate(bg.Normal(y=y, prior=prior))
    singles = [
        conjugate(
            bg.Normal(y=y[:, g], prior=stats.normal_inverse_gamma(0.5 * g, b[g], a[g] + 1, a[g]))
        )
        for g in range(G)
    ]
    _compare_groups(batched, singles)

    batched = conjugate(bg.Normal(y=y, mu=stats.norm(np.zeros(G), b), sigma=a))
    singles = [
        conjugate(bg.Normal(y=y[:, g], mu=stats.norm(0, b[g]), sigma=a[g])) for g in range(G)
    ]
    _compare_groups(batched, singles)

    batched = conjugate(bg.Normal(y=y, mu=np.arange(G), sigma2=stats.invgamma(a + 1, scale=b)))
    singles = [
        conjugate(bg.Normal(y=y[:, g], mu=float(g), sigma2=stats.invgamma(a[g] + 1, scale=b[g])))
        for g in range(G)
    ]
    _compare_groups(batched, singles)


def test_shared_parameter_pools_groups():
    """A scalar prior with group-shaped fixed values pools the groups' statistics."""
    y = np.array([[0.4, 2.2, -1.0], [1.1, -1.5, 0.3], [0.7, 3.9, 0.0]])
    mu = np.array([0.5, 1.0, -0.5])
    post = conjugate(bg.Normal(y=y, mu=mu, sigma2=stats.invgamma(2.0, scale=1.5)))
    assert post.hyper["a"] == 2.0 + 4.5
    assert post.hyper["b"] == pytest.approx(1.5 + 0.5 * np.sum((y - mu) ** 2), rel=1e-14)
    ref = np.sum(stats.norm.logpdf(y, mu, np.sqrt(0.8)))
    np.testing.assert_allclose(post.model.log_likelihood(sigma2=0.8), ref, rtol=1e-12)
    pred = post.predictive()  # one new observation per group, each about its own mu
    np.testing.assert_allclose(pred.mean(), mu, rtol=1e-14)
    # a Binomial with a scalar prior and 2-D data pools every element
    k, n = np.array([[3, 1], [4, 2]]), np.array([[5, 5], [6, 4]])
    post = conjugate(bg.Binomial(k=k, n=n, p=stats.beta(2, 2)))
    flat = conjugate(bg.Binomial(k=k.ravel(), n=n.ravel(), p=stats.beta(2, 2)))
    assert post.hyper == flat.hyper == {"a": 12.0, "b": 12.0}
    assert post.log_evidence == pytest.approx(flat.log_evidence, rel=1e-14)
    # a NegativeBinomial with r per observation needs r= for the new one
    nb = conjugate(bg.NegativeBinomial(k=[1, 4, 2], r=[2.0, 3.0, 2.0], p=stats.beta(2, 2)))
    assert nb.hyper == {"a": 9.0, "b": 9.0}
    with pytest.raises(TypeError, match="pass r="):
        nb.predictive()
    assert nb.predictive(r=2).mean() == pytest.approx(2 * 9.0 / 8.0, rel=1e-14)


# ============================================================================================
# Interface details
# ============================================================================================


def test_dist_types_and_hyper():
    post = conjugate(bg.Binomial(k=7, n=10, p=stats.beta(2, 2)))
    assert post.hyper == {"a": 9.0, "b": 5.0} and post.prior_hyper == {"a": 2.0, "b": 2.0}
    assert post.dist["p"].dist.name == "beta"
    assert post.pair == "beta-binomial"
    post = conjugate(bg.Normal(y=Y_NIG, prior=stats.normal_inverse_gamma(*NIG_ARGS)))
    assert post.dist["mu"].dist.name == "t" and post.dist["sigma2"].dist.name == "invgamma"
    post = conjugate(bg.Multinomial(x=X_MULT, p=stats.dirichlet(ALPHA0)))
    np.testing.assert_allclose(post.dist["p"].alpha, ALPHA0 + X_MULT.sum(axis=0))
    table = post.summary(prob=0.9)
    assert list(table.index) == ["p[0]", "p[1]", "p[2]"]
    assert list(table.columns) == ["mean", "sd", "mode", "median", "hdi_5%", "hdi_95%"]


def test_empty_data_is_the_prior():
    post = conjugate(bg.Normal(y=[], mu=stats.norm(1.0, 2.0), sigma=1.0))
    assert post.log_evidence == 0.0
    assert post.hyper == {"loc": 1.0, "scale": 2.0}
    post = conjugate(bg.Poisson(k=np.zeros(0, int), mu=stats.gamma(2, scale=3)))
    assert post.log_evidence == 0.0 and post.hyper == {"a": 2.0, "b": pytest.approx(1 / 3)}


def test_predictive_families():
    assert (
        conjugate(bg.Bernoulli(y=[1, 0], p=stats.beta(1, 1))).predictive().dist.name == "bernoulli"
    )
    assert conjugate(bg.Geometric(k=[2], p=stats.beta(3, 1))).predictive().dist.name == "betageom"
    assert (
        conjugate(bg.NegativeBinomial(k=[2], r=2, p=stats.beta(3, 1))).predictive().dist.name
        == "betanbinom"
    )
    assert (
        conjugate(bg.NegativeBinomial(k=[2], r=2.5, p=stats.beta(3, 1))).predictive().dist.name
        == "betanbinom_real"
    )
    # the real-r version agrees with scipy's at a whole r
    np.testing.assert_allclose(
        betanbinom_real(3, 2.5, 4).pmf(np.arange(30)),
        stats.betanbinom(3, 2.5, 4).pmf(np.arange(30)),
        rtol=1e-12,
    )
    d = betageom(3.5, 2.0)
    np.testing.assert_allclose(
        d.cdf(np.arange(1, 40)), np.cumsum(d.pmf(np.arange(1, 40))), rtol=1e-12
    )
    assert d.var() == pytest.approx(
        np.sum((np.arange(1, 400_000) - d.mean()) ** 2 * d.pmf(np.arange(1, 400_000))), rel=1e-4
    )
    draws = d.rvs(size=20_000, random_state=np.random.default_rng(1))
    assert abs(draws.mean() - d.mean()) < 5 * d.std() / np.sqrt(20_000)
    assert conjugate(bg.Exponential(y=[1.0], lam=stats.gamma(2))).predictive().dist.name == "lomax"
    assert conjugate(bg.Poisson(k=[1], mu=stats.gamma(2))).predictive().dist.name == "nbinom"


# ============================================================================================
# Bad input
# ============================================================================================


@pytest.fixture(scope="module")
def simple():
    return conjugate(bg.Binomial(k=7, n=10, p=stats.beta(2, 2)))


def test_bad_probabilities_and_sizes(simple):
    with pytest.raises(ValueError, match="prob"):
        simple.hdi(1.5)
    with pytest.raises(ValueError, match="prob"):
        simple.hdi(0.0)
    with pytest.raises(TypeError, match="prob"):
        simple.hdi("wide")
    with pytest.raises(ValueError, match="q"):
        simple.quantile([0.5, 1.2])
    with pytest.raises(ValueError, match="q"):
        simple.quantile(-0.1)
    with pytest.raises(TypeError, match="q"):
        simple.quantile("median")
    with pytest.raises(ValueError, match="size"):
        simple.sample(-1)
    with pytest.raises(TypeError, match="size"):
        simple.sample(2.5)
    with pytest.raises(TypeError, match="rng"):
        simple.sample(3, rng="seed")
    with pytest.raises(ValueError, match="prob"):
        simple.summary(prob=2.0)


def test_invalid_prior_rejected_by_the_model():
    with pytest.raises(ValueError, match="p"):
        bg.Binomial(k=3, n=5, p=stats.norm(0.5, 0.1))
    with pytest.raises(ValueError, match="invalid parameter"):
        bg.Binomial(k=3, n=5, p=stats.beta(-1, 2))


@pytest.mark.parametrize(
    ("build", "needle"),
    [
        (
            lambda: bg.Normal(y=[1.0], mu=stats.norm(0, 1), sigma=stats.halfnorm(scale=2)),
            "halfnorm prior on sigma",
        ),
        (
            lambda: bg.Normal(y=[1.0], mu=stats.norm(0, 1), sigma2=stats.invgamma(2)),
            "semi-conjugate",
        ),
        (lambda: bg.Normal(y=[1.0], mu=0.0, sigma=stats.invgamma(2)), "sigma2=stats.invgamma"),
        (lambda: bg.Binomial(k=3, n=5, p=stats.beta(2, 2, loc=0.1, scale=0.8)), "loc=0, scale=1"),
        (lambda: bg.Binomial(k=3, n=5, p=stats.uniform(0.2, 0.5)), "uniform prior on p"),
        (lambda: bg.Poisson(k=[3], mu=stats.lognorm(1.0)), "lognorm prior on mu with a poisson"),
        (lambda: bg.Exponential(y=[1.0], lam=stats.gamma(2, loc=0.5)), "loc=0"),
        (lambda: bg.Normal(y=[1.0], mu=stats.t(3), sigma=1.0), "t prior on mu"),
        (lambda: bg.Normal(y=[1.0], mu=0.0, sigma2=stats.invgamma(2, loc=0.1)), "loc=0"),
        (
            lambda: bg.LogisticRegression(X=np.eye(2), y=[1, 0], coef=stats.norm(0, 1)),
            "logistic likelihood",
        ),
        (
            lambda: bg.LinearRegression(X=np.eye(2), y=[1.0, 0.0], coef=stats.t(3), sigma=1.0),
            "coef prior must be norm",
        ),
        (
            lambda: bg.LinearRegression(
                X=np.eye(2), y=[1.0, 0.0], coef=stats.norm(0, 1), intercept=stats.t(4), sigma=1.0
            ),
            "intercept's prior must be norm",
        ),
        (
            lambda: bg.LinearRegression(
                X=np.eye(2), y=[1.0, 0.0], coef=stats.norm(0, 1), sigma=stats.halfnorm()
            ),
            "linear likelihood",
        ),
        (
            lambda: bg.Model(priors={"a": stats.norm(0, 1)}, log_likelihood=lambda a: -a * a),
            "custom likelihood",
        ),
    ],
)
def test_not_conjugate(build, needle):
    with pytest.raises(NotConjugateError) as info:
        conjugate(build())
    message = str(info.value)
    assert needle in message
    assert "conjugate pairs are" in message
    for pair in CONJUGATE_PAIRS:
        assert pair in message
    assert isinstance(info.value, ValueError)


def test_conjugate_needs_a_model():
    with pytest.raises(TypeError, match="model"):
        conjugate(stats.beta(2, 2))


def test_bad_predictive_arguments():
    binom = conjugate(bg.Binomial(k=7, n=10, p=stats.beta(2, 2)))
    with pytest.raises(TypeError, match="n="):
        binom.predictive()
    with pytest.raises(ValueError, match="n must be a whole number"):
        binom.predictive(n=-1)
    with pytest.raises(ValueError, match="n must be a whole number"):
        binom.predictive(n=2.5)
    with pytest.raises(TypeError, match="n must be"):
        binom.predictive(n="ten")
    with pytest.raises(TypeError, match=r"unexpected argument\(s\) \['trials'\]"):
        binom.predictive(trials=3)
    bern = conjugate(bg.Bernoulli(y=[1, 0], p=stats.beta(1, 1)))
    with pytest.raises(TypeError, match="no arguments"):
        bern.predictive(n=1)
    pois = conjugate(bg.Poisson(k=[1, 2], mu=stats.gamma(2)))
    with pytest.raises(ValueError, match="exposure"):
        pois.predictive(exposure=-1.0)
    with pytest.raises(ValueError, match="exposure"):
        pois.predictive(exposure=np.nan)
    nb = conjugate(bg.NegativeBinomial(k=[1, 2], r=2, p=stats.beta(2, 2)))
    with pytest.raises(ValueError, match="r must be positive"):
        nb.predictive(r=0)
    mult = conjugate(bg.Multinomial(x=X_MULT, p=stats.dirichlet(ALPHA0)))
    with pytest.raises(TypeError, match="n="):
        mult.predictive()
    with pytest.raises(ValueError, match="n must be a single"):
        mult.predictive(n=[1, 2])
    reg = conjugate(
        bg.LinearRegression(
            X=X_REG, y=Y_REG, prior=bg.priors.NormalInverseGamma(np.zeros(2), 10.0, 2, 2)
        )
    )
    with pytest.raises(TypeError, match="X="):
        reg.predictive()
    with pytest.raises(ValueError, match=r"X must have shape \(m, 2\)"):
        reg.predictive(X=np.ones((3, 3)))
    with pytest.raises(ValueError, match="X must contain only finite"):
        reg.predictive(X=[np.nan, 1.0])
    with pytest.raises(TypeError, match="update"):
        binom.update(y=[1])


def test_moments_that_do_not_exist():
    # no data and a <= 1/2: the marginal of mu is a t with df <= 1, its mean is undefined
    post = conjugate(bg.Normal(y=[], prior=stats.normal_inverse_gamma(0.0, 1.0, 0.4, 1.0)))
    with pytest.warns(UserWarning, match="mean of mu does not exist") as record:
        mean = post.mean()
    assert record[0].filename == __file__  # the warning points at the caller
    assert np.isnan(mean["mu"])
    assert mean["sigma2"] == np.inf  # a <= 1: E[sigma2] diverges
    post = conjugate(bg.Normal(y=[0.3], prior=stats.normal_inverse_gamma(0.0, 1.0, 0.4, 1.0)))
    assert post.sd()["mu"] == np.inf  # df = 1.8: mean exists, variance infinite
    assert np.isfinite(post.mean()["mu"])
    post = conjugate(bg.Normal(y=[0.3, 1.0], mu=0.0, sigma2=stats.invgamma(0.5, scale=1.0)))
    assert post.mean()["sigma2"] == pytest.approx(stats.invgamma(1.5, scale=1.545).mean())
    assert post.sd()["sigma2"] == np.inf


def test_hyper_is_a_copy_and_repr():
    post = conjugate(bg.Binomial(k=[1, 2], n=3, p=stats.beta(np.ones(2), np.ones(2))))
    post.hyper["a"][0] = 100.0
    assert post.mean()["p"][0] == pytest.approx(2 / 5)
    text = repr(post)
    assert "beta-binomial" in text and "hdi_3%" in text


# ============================================================================================
# Laziness: construction does the update only, everything else on first use
# ============================================================================================


def test_large_batched_binomial_is_lazy_and_exact():
    """Many groups (the tabulated log-binomial path): each group's evidence is the
    beta-binomial pmf, the mean is exact, and nothing else is built before it is asked for."""
    rng = np.random.default_rng(11)
    G = 4000
    n = rng.integers(0, 300, size=G)
    k = rng.binomial(n, rng.beta(2, 5, size=G))
    a0, b0 = rng.uniform(0.5, 3.0, size=G), rng.uniform(0.5, 3.0, size=G)
    post = conjugate(bg.Binomial(k=k, n=n, p=stats.beta(a0, b0)))
    np.testing.assert_allclose(post.mean()["p"], (a0 + k) / (a0 + b0 + n), rtol=1e-15)
    lazy = ("dist", "_marginals", "_sds", "_modes", "_group_log_evidence", "hyper")
    assert not any(name in vars(post) for name in lazy)
    truth = stats.betabinom.logpmf(k, n, a0, b0)
    np.testing.assert_allclose(post.group_log_evidence, truth, rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(post.log_evidence, truth.sum(), rtol=1e-12)
    sd = stats.beta(a0 + k, b0 + n - k).std()
    np.testing.assert_allclose(post.sd()["p"], sd, rtol=1e-12)
    assert post.dist["p"] is post._marginals["p"]  # computed once, then cached
    assert post.dist is post.dist
    np.testing.assert_array_equal(post.hyper["a"], a0 + k)


# ============================================================================================
# Regressions: X means the same in update, predictive and predict
# ============================================================================================


def _nig_regression(X, y):
    prior = bg.priors.NormalInverseGamma(mean=[0.0, 0.0], cov=[[4.0, 0.5], [0.5, 2.0]], a=2, b=2)
    return bg.LinearRegression(X=X, y=y, prior=prior)


def test_regression_one_row_is_two_dimensional_in_update_predictive_and_predict():
    import re

    post = conjugate(_nig_regression(X_REG, Y_REG))
    msg = re.escape("must have shape (m, 2), a 2-D array with 2 columns, got a 1-D array")
    for call in (
        lambda: post.predictive(X=[1.0, 4.0]),
        lambda: post.update(X=[1.0, 4.0], y=[9.0]),
        lambda: post.predict([1.0, 4.0], size=10, rng=0),
    ):
        with pytest.raises(ValueError, match=msg):
            call()
    # the one accepted spelling of one row works everywhere, against closed forms
    row = np.array([[1.0, 4.0]])
    h = post.hyper
    pred = post.predictive(X=row)
    assert pred.dim == 1
    np.testing.assert_allclose(pred.loc, row @ h["mean"], rtol=1e-13)
    np.testing.assert_allclose(
        pred.shape, h["b"] / h["a"] * (1.0 + row @ h["cov"] @ row.T), rtol=1e-12
    )
    grown = post.update(X=row, y=[9.0])
    batch = conjugate(_nig_regression(np.vstack([X_REG, row]), np.r_[Y_REG, 9.0]))
    for key in ("mean", "cov", "a", "b"):
        np.testing.assert_allclose(grown.hyper[key], batch.hyper[key], rtol=1e-11)
    draws = post.sample(200, rng=np.random.default_rng(3))
    np.testing.assert_allclose(
        post.predict(row, size=200, rng=3).draws, draws["coef"] @ row.T, rtol=1e-12
    )


def test_regression_one_feature_takes_a_column_the_same_way_everywhere():
    import re

    x, y = X_REG[:, 0], Y_REG
    model = bg.LinearRegression(X=x, y=y, coef=stats.norm(0.3, 1.5), intercept=0.7, sigma2=0.5)
    post = conjugate(model)
    new = np.array([1.0, 4.0])
    flat, column = post.predictive(X=new), post.predictive(X=new[:, None])
    np.testing.assert_array_equal(flat.mean, column.mean)
    np.testing.assert_array_equal(flat.cov, column.cov)
    # closed form: b ~ N(m, v) gives y_new ~ N(0.7 + x m, 0.5 I + v x x')
    m, v = post.hyper["mean"][0], post.hyper["cov"][0, 0]
    np.testing.assert_allclose(flat.mean, 0.7 + new * m, rtol=1e-13)
    np.testing.assert_allclose(flat.cov, 0.5 * np.eye(2) + v * np.outer(new, new), rtol=1e-12)
    # update with the same 1-D input appends two rows, as the batch fit does
    grown = post.update(X=new, y=[1.0, 2.0])
    batch = conjugate(
        bg.LinearRegression(
            X=np.r_[x, new],
            y=np.r_[y, 1.0, 2.0],
            coef=stats.norm(0.3, 1.5),
            intercept=0.7,
            sigma2=0.5,
        )
    )
    np.testing.assert_allclose(grown.hyper["mean"], batch.hyper["mean"], rtol=1e-12)
    np.testing.assert_allclose(grown.hyper["cov"], batch.hyper["cov"], rtol=1e-12)
    np.testing.assert_array_equal(
        post.predict(new, size=20, rng=1).draws, post.predict(new[:, None], size=20, rng=1).draws
    )
    # a scalar is not a column of rows, in any of them
    shape_msg = re.escape("must have shape (m, 1), a 2-D array with 1 column, got a scalar")
    for call in (
        lambda: post.predictive(X=1.0),
        lambda: post.update(X=1.0, y=[1.0]),
        lambda: post.predict(1.0, size=10, rng=0),
    ):
        with pytest.raises(ValueError, match=shape_msg):
            call()
    with pytest.raises(ValueError, match=re.escape("X must have at least one row")):
        post.predictive(X=np.empty((0, 1)))
    with pytest.raises(TypeError, match=r"\bX\b must be numeric"):
        post.predictive(X=["a"])
