"""The Gamma, LogNormal, StudentT and Weibull likelihoods, checked against independent truth.

Log likelihoods against scipy.stats ``logpdf`` summed over the data; gradients against central
finite differences of that scipy sum; conjugate posteriors (moments, log evidence, predictive)
against ``scipy.integrate`` quadrature of prior x likelihood written with scipy densities; grids
against the same quadrature; MAP estimates against ``scipy.optimize`` on the scipy density;
``to_pymc`` against PyMC's own log density (without transforms or Jacobians).
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import differentiate, integrate, optimize, stats

import bayesgd as bg
from bayesgd.conjugate import shaped as _conjugate_new
from bayesgd.models import _elementwise

RNG = np.random.default_rng(20261203)
Y_POS = np.array([0.7, 1.9, 1.2, 3.4, 0.4, 2.2])
Y_REAL = np.array([0.3, -1.1, 2.4, 0.9, 7.5, -0.2, 1.4])
Y_GROUPED = np.array([[0.8, 2.5], [1.6, 4.1], [0.5, 3.3]])  # (n=3, G=2), positive


def _scipy_loglik(family, y, **p):
    """Sum over the data axis of scipy's logpdf, for parameter arrays with one leading axis."""
    y = np.asarray(y, dtype=float)
    p = {k: np.asarray(v, dtype=float)[..., None] for k, v in p.items()}
    if family == "gamma":
        lp = stats.gamma.logpdf(y, p["alpha"], scale=1.0 / p["beta"])
    elif family == "lognormal":
        lp = stats.lognorm.logpdf(y, p["sigma"], scale=np.exp(p["mu"]))
    elif family == "studentt":
        lp = stats.t.logpdf(y, p["nu"], loc=p["mu"], scale=p["sigma"])
    else:
        lp = stats.weibull_min.logpdf(y, p["alpha"], scale=p["beta"])
    return lp.sum(axis=-1)


# family -> (model with every parameter free, data, parameter points (one row per point))
FREE = {
    "gamma": (
        lambda: bg.Gamma(y=Y_POS, alpha=stats.gamma(2.0), beta=stats.gamma(2.0)),
        Y_POS,
        {"alpha": [0.6, 2.0, 5.5], "beta": [0.3, 1.0, 4.0]},
    ),
    "lognormal": (
        lambda: bg.LogNormal(y=Y_POS, mu=stats.norm(0, 2), sigma=stats.halfnorm(scale=2)),
        Y_POS,
        {"mu": [-0.5, 0.4, 1.7], "sigma": [0.2, 0.9, 3.0]},
    ),
    "studentt": (
        lambda: bg.StudentT(
            y=Y_REAL,
            nu=stats.gamma(2.0, scale=5.0),
            mu=stats.norm(0, 5),
            sigma=stats.halfnorm(scale=3),
        ),
        Y_REAL,
        {"nu": [0.7, 3.0, 40.0], "mu": [-1.0, 0.8, 2.5], "sigma": [0.3, 1.2, 5.0]},
    ),
    "weibull": (
        lambda: bg.Weibull(y=Y_POS, alpha=stats.gamma(2.0), beta=stats.gamma(2.0)),
        Y_POS,
        {"alpha": [0.5, 1.6, 4.0], "beta": [0.4, 1.8, 6.0]},
    ),
}


# ============================================================================================
# log likelihood and gradient
# ============================================================================================


@pytest.mark.parametrize("family", list(FREE))
def test_log_likelihood_matches_scipy(family):
    make, y, points = FREE[family]
    model = make()
    ours = model.log_likelihood(**points)
    np.testing.assert_allclose(ours, _scipy_loglik(family, y, **points), rtol=1e-12)
    # a 2-D batch (a grid) gives one value per point
    grid_pts = {k: np.tile(np.asarray(v)[:, None], (1, 2)) for k, v in points.items()}
    assert model.log_likelihood(**grid_pts).shape == (3, 2)
    # the log density adds scipy's log prior
    prior = sum(
        param.prior.logpdf({name: np.asarray(points[name])})
        for name, param in model.parameters.items()
    )
    np.testing.assert_allclose(model.log_density(**points), ours + prior, rtol=1e-12)


@pytest.mark.parametrize("family", list(FREE))
def test_gradient_matches_finite_differences(family):
    make, y, points = FREE[family]
    model = make()
    grads = model.grad_log_likelihood(**points)
    for name in points:
        h = 1e-6 * np.abs(np.asarray(points[name]))
        up = {**points, name: np.asarray(points[name]) + h}
        down = {**points, name: np.asarray(points[name]) - h}
        fd = (_scipy_loglik(family, y, **up) - _scipy_loglik(family, y, **down)) / (2 * h)
        np.testing.assert_allclose(grads[name], fd, rtol=2e-6, atol=1e-6, err_msg=name)


def test_weibull_with_known_shape_keeps_sufficient_statistics_only():
    m = bg.Weibull(y=Y_POS[:2], alpha=1.7, beta=stats.gamma(2.0))
    for chunk in (Y_POS[2:5], Y_POS[5:]):
        m.update(y=chunk)
    assert "y" not in m.stats and m.n_obs == len(Y_POS)
    beta = np.array([0.5, 1.3, 4.0])
    want = _scipy_loglik("weibull", Y_POS, alpha=1.7, beta=beta)
    np.testing.assert_allclose(m.log_likelihood(beta=beta), want, rtol=1e-12)
    h = 1e-6 * beta
    fd = (
        _scipy_loglik("weibull", Y_POS, alpha=1.7, beta=beta + h)
        - _scipy_loglik("weibull", Y_POS, alpha=1.7, beta=beta - h)
    ) / (2 * h)
    np.testing.assert_allclose(m.grad_log_likelihood(beta=beta)["beta"], fd, rtol=1e-6)
    # a free shape keeps the observations themselves
    assert bg.Weibull(y=Y_POS, alpha=stats.gamma(2), beta=1.0).stats["y"].shape == (6,)


def test_raw_data_families_copy_the_observations():
    y = Y_REAL.copy()
    m = bg.StudentT(y=y, nu=4.0, mu=stats.norm(0, 5), sigma=1.0)
    before = m.log_likelihood(mu=0.5)
    y[:] = 100.0  # the caller reuses the array
    assert m.log_likelihood(mu=0.5) == before


def test_fixed_parameters_and_groups_match_scipy():
    alpha = np.array([1.5, 3.0])  # one fixed shape per group
    m = bg.Weibull(y=Y_GROUPED, alpha=alpha, beta=stats.gamma(2.0 * np.ones(2)))
    beta = np.array([[1.0, 2.0], [2.5, 3.5]])  # batch of 2 points, 2 groups
    expected = stats.weibull_min.logpdf(Y_GROUPED, alpha, scale=beta[:, None, :]).sum(axis=1)
    np.testing.assert_allclose(m.log_likelihood(beta=beta), expected.sum(axis=-1), rtol=1e-12)
    g = m.grad_log_likelihood(beta=beta)["beta"]
    h = 1e-6 * beta
    fd = (
        stats.weibull_min.logpdf(Y_GROUPED, alpha, scale=(beta + h)[:, None, :]).sum(axis=1)
        - stats.weibull_min.logpdf(Y_GROUPED, alpha, scale=(beta - h)[:, None, :]).sum(axis=1)
    ) / (2 * h)
    np.testing.assert_allclose(g, fd, rtol=1e-6)
    s = bg.StudentT(y=Y_REAL, nu=4.0, mu=stats.norm(0, 3), sigma=1.5)
    mu = np.array([-0.5, 1.0])
    np.testing.assert_allclose(
        s.log_likelihood(mu=mu), _scipy_loglik("studentt", Y_REAL, nu=4.0, mu=mu, sigma=1.5)
    )


@pytest.mark.parametrize("family", list(FREE))
def test_update_equals_batch(family):
    make, y, points = FREE[family]
    kind = type(make())
    priors = {n: p.prior.dist for n, p in make().parameters.items()}
    m = kind(y=y[:2], **priors)
    for chunk in (y[2:3], y[3:]):
        m.update(y=chunk)
    batch = kind(y=y, **priors)
    assert m.n_obs == batch.n_obs == len(y)
    np.testing.assert_allclose(m.log_likelihood(**points), batch.log_likelihood(**points))
    for key in batch.stats:
        np.testing.assert_allclose(m.stats[key], batch.stats[key], rtol=1e-13)


@settings(max_examples=20, deadline=None)
@given(
    y=st.lists(st.floats(0.01, 100.0), min_size=1, max_size=12),
    alpha=st.floats(0.1, 20.0),
    beta=st.floats(0.05, 20.0),
)
def test_positive_families_match_scipy_for_any_data(y, alpha, beta):
    y = np.array(y)
    cases = [
        (bg.Gamma(y=y, alpha=alpha, beta=stats.gamma(2.0)), "gamma", {"alpha": alpha}, "beta"),
        (bg.Weibull(y=y, alpha=alpha, beta=stats.gamma(2.0)), "weibull", {"alpha": alpha}, "beta"),
        (bg.Weibull(y=y, alpha=stats.gamma(2.0), beta=beta), "weibull", {"beta": beta}, "alpha"),
        (bg.LogNormal(y=y, mu=stats.norm(), sigma=alpha), "lognormal", {"sigma": alpha}, "mu"),
    ]
    for model, family, fixed, free in cases:
        value = np.array([beta if free != "mu" else np.log(beta)])
        want = _scipy_loglik(family, y, **fixed, **{free: value})
        np.testing.assert_allclose(model.log_likelihood(**{free: value}), want, rtol=1e-10)


@settings(max_examples=15, deadline=None)
@given(cuts=st.sets(st.integers(1, len(Y_POS) - 1), max_size=4))
def test_conjugate_sequential_updates_equal_batch_for_any_split(cuts):
    bounds = [0, *sorted(cuts), len(Y_POS)]
    chunks = [Y_POS[a:b] for a, b in itertools.pairwise(bounds)]
    for make in (
        lambda y: bg.Gamma(y=y, alpha=1.3, beta=stats.gamma(2.0, scale=0.7)),
        lambda y: bg.LogNormal(y=y, mu=stats.norm(0.2, 1.5), sigma2=0.6),
        lambda y: bg.LogNormal(y=y, mu=-0.4, sigma2=stats.invgamma(2.5, scale=1.5)),
    ):
        post = bg.conjugate(make(chunks[0]))
        for chunk in chunks[1:]:
            post.update(y=chunk)
        batch = bg.conjugate(make(Y_POS))
        for key, value in batch.hyper.items():
            np.testing.assert_allclose(post.hyper[key], value, rtol=1e-12)
        np.testing.assert_allclose(post.log_evidence, batch.log_evidence, rtol=1e-12)


def test_dask_data_give_the_same_statistics_and_are_checked():
    da = pytest.importorskip("dask.array")
    y = da.from_array(Y_POS, chunks=2)
    for make in (
        lambda y: bg.Gamma(y=y, alpha=1.3, beta=stats.gamma(2.0)),
        lambda y: bg.LogNormal(y=y, mu=stats.norm(), sigma=1.0),
        lambda y: bg.Weibull(y=y, alpha=1.3, beta=stats.gamma(2.0)),
        lambda y: bg.StudentT(y=y, nu=3.0, mu=stats.norm(), sigma=1.0),
    ):
        lazy, eager = make(y), make(Y_POS)
        assert lazy.stats.keys() == eager.stats.keys()
        for key in eager.stats:
            np.testing.assert_allclose(lazy.stats[key], eager.stats[key], rtol=1e-13)
    bad = da.from_array(np.array([1.0, 2.0, -1.0, 3.0]), chunks=2)
    with pytest.raises(ValueError, match="y must be > 0"):
        bg.Gamma(y=bad, alpha=1.0, beta=stats.gamma(2.0))


# ============================================================================================
# Conjugate posteriors against quadrature
# ============================================================================================


def _quad_moments(logpost, lo, hi):
    """Normaliser (log), mean and sd of exp(logpost) on (lo, hi) by adaptive quadrature.

    A real parameter is integrated on a finite interval holding all but a negligible mass.
    """
    grid = np.linspace(lo, hi if np.isfinite(hi) else 50, 20001)[1:-1]
    c = np.max(logpost(grid))

    def w(t):
        return np.exp(logpost(np.array([t]))[0] - c)

    kw = {"epsabs": 0, "epsrel": 1e-12, "limit": 200}
    z = integrate.quad(w, lo, hi, **kw)[0]
    m1 = integrate.quad(lambda t: t * w(t), lo, hi, **kw)[0] / z
    m2 = integrate.quad(lambda t: (t - m1) ** 2 * w(t), lo, hi, **kw)[0] / z
    return np.log(z) + c, m1, np.sqrt(m2)


CONJ_1D = {
    "gamma-rate": (
        lambda: bg.Gamma(y=Y_POS, alpha=2.5, beta=stats.gamma(3.0, scale=0.5)),
        "beta",
        lambda b: (
            stats.gamma(3.0, scale=0.5).logpdf(b)
            + _scipy_loglik("gamma", Y_POS, alpha=2.5, beta=b)
        ),
        (0.0, np.inf),
    ),
    "gamma-rate-expon": (
        lambda: bg.Gamma(y=Y_POS, alpha=0.8, beta=stats.expon(scale=2.0)),
        "beta",
        lambda b: (
            stats.expon(scale=2.0).logpdf(b) + _scipy_loglik("gamma", Y_POS, alpha=0.8, beta=b)
        ),
        (0.0, np.inf),
    ),
    "lognormal-mu": (
        lambda: bg.LogNormal(y=Y_POS, mu=stats.norm(0.5, 2.0), sigma=0.8),
        "mu",
        lambda mu: (
            stats.norm(0.5, 2.0).logpdf(mu) + _scipy_loglik("lognormal", Y_POS, mu=mu, sigma=0.8)
        ),
        (-12.0, 12.0),  # the posterior sd is 0.32: the mass outside is below 1e-300
    ),
    "lognormal-sigma2": (
        lambda: bg.LogNormal(y=Y_POS, mu=0.3, sigma2=stats.invgamma(3.0, scale=2.0)),
        "sigma2",
        lambda s2: (
            stats.invgamma(3.0, scale=2.0).logpdf(s2)
            + _scipy_loglik("lognormal", Y_POS, mu=0.3, sigma=np.sqrt(s2))
        ),
        (0.0, np.inf),
    ),
}


@pytest.mark.parametrize("case", list(CONJ_1D))
def test_conjugate_matches_quadrature(case):
    make, name, logpost, (lo, hi) = CONJ_1D[case]
    post = bg.conjugate(make())
    assert bg.is_conjugate(make())
    log_z, mean, sd = _quad_moments(logpost, lo, hi)
    np.testing.assert_allclose(post.mean()[name], mean, rtol=1e-9)
    np.testing.assert_allclose(post.sd()[name], sd, rtol=1e-8)
    np.testing.assert_allclose(post.log_evidence, log_z, rtol=1e-10)
    # the mode is the argmax found by an independent bounded search
    res = optimize.minimize_scalar(
        lambda t: -logpost(np.array([np.exp(t) if lo == 0 else t]))[0],  # log scale if positive
        bounds=(-10, 10),
        method="bounded",
        options={"xatol": 1e-12},
    )
    mode = np.exp(res.x) if lo == 0 else res.x
    np.testing.assert_allclose(post.mode()[name], mode, rtol=1e-7)


def _predictive_by_quadrature(logpost, lo, hi, log_z, lik_pdf, y_new):
    """p(y_new | D) = ∫ p(y_new | θ) p(θ | D) dθ by quadrature."""
    return integrate.quad(
        lambda t: lik_pdf(y_new, t) * np.exp(logpost(np.array([t]))[0] - log_z),
        lo,
        hi,
        epsabs=0,
        epsrel=1e-11,
        limit=200,
    )[0]


PRED = {
    "gamma-rate": lambda y, b: stats.gamma.pdf(y, 2.5, scale=1.0 / b),
    "lognormal-mu": lambda y, mu: stats.lognorm.pdf(y, 0.8, scale=np.exp(mu)),
    "lognormal-sigma2": lambda y, s2: stats.lognorm.pdf(y, np.sqrt(s2), scale=np.exp(0.3)),
}


@pytest.mark.parametrize("case", list(PRED))
def test_predictive_matches_quadrature(case):
    make, _, logpost, (lo, hi) = CONJ_1D[case]
    post = bg.conjugate(make())
    pred = post.predictive()
    for y_new in (0.3, 1.4, 6.0):
        want = _predictive_by_quadrature(logpost, lo, hi, post.log_evidence, PRED[case], y_new)
        np.testing.assert_allclose(pred.pdf(y_new), want, rtol=1e-8)
    np.testing.assert_allclose(integrate.quad(pred.pdf, 0, np.inf)[0], 1.0, rtol=1e-8)
    with pytest.raises(TypeError, match="unexpected argument"):
        post.predictive(n=3)


def _nig_logpost(prior, y):
    def f(mu, s2):
        return prior.logpdf(mu, s2) + stats.lognorm.logpdf(
            y, np.sqrt(s2)[..., None], scale=np.exp(mu)[..., None]
        ).sum(axis=-1)

    return f


def test_lognormal_normal_inverse_gamma_matches_cubature():
    prior = stats.normal_inverse_gamma(0.5, 2.0, 3.0, 2.0)
    post = bg.conjugate(bg.LogNormal(y=Y_POS, prior=prior))
    logpost = _nig_logpost(prior, Y_POS)
    c = float(logpost(np.array(0.3), np.array(0.4)))

    def integrand(x):  # mu, log sigma2: the Jacobian is sigma2
        mu, s2 = x[:, 0], np.exp(x[:, 1])
        w = np.exp(logpost(mu, s2) - c) * s2
        return np.stack([w, mu * w, mu * mu * w, s2 * w, s2 * s2 * w], axis=-1)

    res = integrate.cubature(integrand, [-8.0, -9.0], [8.0, 5.0], rtol=1e-11, atol=0)
    assert res.status == "converged"
    z, m_mu, m_mu2, m_s2, m_s22 = res.estimate
    np.testing.assert_allclose(post.log_evidence, np.log(z) + c, rtol=1e-9)
    np.testing.assert_allclose(post.mean()["mu"], m_mu / z, rtol=1e-8)
    np.testing.assert_allclose(post.sd()["mu"], np.sqrt(m_mu2 / z - (m_mu / z) ** 2), rtol=1e-7)
    np.testing.assert_allclose(post.mean()["sigma2"], m_s2 / z, rtol=1e-8)
    np.testing.assert_allclose(
        post.sd()["sigma2"], np.sqrt(m_s22 / z - (m_s2 / z) ** 2), rtol=1e-6
    )
    # the predictive density of y at a point, by the same cubature
    y_new = 1.7
    pred = post.predictive()

    def pred_integrand(x):
        mu, s2 = x[:, 0], np.exp(x[:, 1])
        like = stats.lognorm.pdf(y_new, np.sqrt(s2), scale=np.exp(mu))
        return (like * np.exp(logpost(mu, s2) - c) * s2)[:, None]

    num = integrate.cubature(pred_integrand, [-8.0, -9.0], [8.0, 5.0], rtol=1e-11, atol=0)
    np.testing.assert_allclose(pred.pdf(y_new), num.estimate[0] / z, rtol=1e-8)


def test_logt_distribution():
    d = _conjugate_new.logt(4.0, 0.7, scale=np.exp(0.4))
    t = stats.t(4.0, loc=0.4, scale=0.7)
    x = np.array([0.2, 1.0, 3.5])
    np.testing.assert_allclose(d.logpdf(x), t.logpdf(np.log(x)) - np.log(x), rtol=1e-12)
    np.testing.assert_allclose(d.cdf(x), t.cdf(np.log(x)), rtol=1e-12)
    # in u = log x (the mass beyond |u| = 300 is 3e-11)
    mass = integrate.quad(lambda u: d.pdf(np.exp(u)) * np.exp(u), -300, 300, limit=200)[0]
    np.testing.assert_allclose(mass, 1.0, rtol=1e-9)
    assert d.pdf(0.0) == np.inf and d.cdf(0.0) == 0.0
    np.testing.assert_allclose(d.ppf([0.1, 0.5, 0.9]), np.exp(t.ppf([0.1, 0.5, 0.9])))
    draws = d.rvs(size=20000, random_state=np.random.default_rng(0))
    assert stats.kstest(np.log(draws), t.cdf).pvalue > 1e-3
    assert d.mean() == np.inf


def test_conjugate_update_equals_batch():
    prior = stats.normal_inverse_gamma(0.0, 1.0, 2.0, 2.0)
    one = bg.conjugate(bg.LogNormal(y=Y_POS, prior=prior))
    seq = bg.conjugate(bg.LogNormal(y=Y_POS[:2], prior=prior))
    for chunk in (Y_POS[2:4], Y_POS[4:]):
        seq.update(y=chunk)
    for key, value in one.hyper.items():
        np.testing.assert_allclose(seq.hyper[key], value, rtol=1e-13)
    np.testing.assert_allclose(seq.log_evidence, one.log_evidence, rtol=1e-13)
    g = bg.conjugate(bg.Gamma(y=Y_POS[:3], alpha=2.0, beta=stats.gamma(2.0)))
    g.update(y=Y_POS[3:])
    assert g.hyper == bg.conjugate(bg.Gamma(y=Y_POS, alpha=2.0, beta=stats.gamma(2.0))).hyper


def test_grouped_gamma_conjugate_matches_per_group():
    alpha = np.array([1.5, 3.0])
    m = bg.Gamma(y=Y_GROUPED, alpha=alpha, beta=stats.gamma([2.0, 3.0], scale=[1.0, 0.5]))
    post = bg.conjugate(m)
    for g in range(2):
        single = bg.conjugate(
            bg.Gamma(
                y=Y_GROUPED[:, g],
                alpha=alpha[g],
                beta=stats.gamma([2.0, 3.0][g], scale=[1.0, 0.5][g]),
            )
        )
        np.testing.assert_allclose(post.mean()["beta"][g], single.mean()["beta"], rtol=1e-13)
        np.testing.assert_allclose(post.group_log_evidence[g], single.log_evidence, rtol=1e-13)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: bg.Gamma(y=Y_POS, alpha=stats.gamma(2), beta=2.0), "conjugate only in its rate"),
        (lambda: bg.Gamma(y=Y_POS, alpha=2.0, beta=stats.halfnorm()), "rate beta needs a gamma"),
        (lambda: bg.Gamma(y=Y_POS, alpha=2.0, beta=stats.gamma(2, loc=1)), "loc=0"),
        (lambda: bg.LogNormal(y=Y_POS, mu=0.0, sigma=stats.halfnorm()), "invgamma prior on the"),
        (
            lambda: bg.LogNormal(y=Y_POS, mu=stats.norm(), sigma=stats.halfnorm()),
            "semi-conjugate",
        ),
        (lambda: bg.LogNormal(y=Y_POS, mu=stats.t(3), sigma=1.0), "Normal of log y"),
        (lambda: bg.StudentT(y=Y_REAL, nu=3.0, mu=stats.norm(), sigma=1.0), "studentt"),
        (lambda: bg.Weibull(y=Y_POS, alpha=2.0, beta=stats.gamma(2)), "weibull"),
    ],
)
def test_not_conjugate_says_why(make, match):
    model = make()
    assert not bg.is_conjugate(model)
    with pytest.raises(bg.NotConjugateError, match=match):
        bg.conjugate(model)


# ============================================================================================
# Grid and MAP against quadrature and scipy.optimize
# ============================================================================================


def test_grid_matches_exact_gamma_and_quadrature_studentt():
    make, name, logpost, (lo, hi) = CONJ_1D["gamma-rate"]
    g = bg.grid(make(), points=4001)
    log_z, mean, sd = _quad_moments(logpost, lo, hi)
    np.testing.assert_allclose(g.mean()[name], mean, rtol=1e-6)
    np.testing.assert_allclose(g.sd()[name], sd, rtol=1e-5)
    np.testing.assert_allclose(g.log_evidence, log_z, rtol=1e-6)

    m = bg.StudentT(y=Y_REAL, nu=3.0, mu=stats.norm(0, 5), sigma=1.2)

    def lp(mu):
        return stats.norm(0, 5).logpdf(mu) + _scipy_loglik(
            "studentt", Y_REAL, nu=3, mu=mu, sigma=1.2
        )

    log_z, mean, sd = _quad_moments(lp, -40.0, 40.0)  # t tails: mass outside < 1e-20
    g = bg.grid(m, points=4001)
    np.testing.assert_allclose(g.mean()["mu"], mean, rtol=1e-6)
    np.testing.assert_allclose(g.sd()["mu"], sd, rtol=1e-5)
    np.testing.assert_allclose(g.log_evidence, log_z, rtol=1e-6)


def test_grid_2d_weibull_matches_cubature():
    pa, pb = stats.gamma(3.0), stats.gamma(2.0, scale=1.5)
    m = bg.Weibull(y=Y_POS, alpha=pa, beta=pb)

    def logpost(a, b):
        return pa.logpdf(a) + pb.logpdf(b) + _scipy_loglik("weibull", Y_POS, alpha=a, beta=b)

    c = float(logpost(np.array(1.6), np.array(1.8)))

    def integrand(x):  # log alpha, log beta
        a, b = np.exp(x[:, 0]), np.exp(x[:, 1])
        w = np.exp(logpost(a, b) - c) * a * b
        return np.stack([w, a * w, b * w, a * a * w], axis=-1)

    res = integrate.cubature(integrand, [-4.0, -4.0], [3.5, 3.5], rtol=1e-10, atol=0)
    z, ma, mb, ma2 = res.estimate
    g = bg.grid(m, points=401)
    np.testing.assert_allclose(g.log_evidence, np.log(z) + c, rtol=1e-4)
    np.testing.assert_allclose(g.mean()["alpha"], ma / z, rtol=1e-4)
    np.testing.assert_allclose(g.mean()["beta"], mb / z, rtol=1e-4)
    np.testing.assert_allclose(g.sd()["alpha"], np.sqrt(ma2 / z - (ma / z) ** 2), rtol=1e-3)


@pytest.mark.parametrize("family", list(FREE))
def test_map_matches_scipy_optimize(family):
    make, y, _ = FREE[family]
    model = make()
    names = list(model.parameters)
    priors = {n: model.parameters[n].prior.dist for n in names}

    def values(x):  # x[i] is parameter i, on the log scale if it is positive
        return {
            n: (np.exp(v) if model.parameters[n].support[0] == 0 else v)
            for n, v in zip(names, x, strict=True)
        }

    def neg(x):  # x of shape (d, *batch): -log posterior from scipy densities
        vals = values(np.asarray(x, dtype=float))
        lp = sum(priors[n].logpdf(vals[n]) for n in names)
        return -(lp + _scipy_loglik(family, y, **vals))

    x0 = np.full(len(names), 0.1)
    res = optimize.minimize(
        lambda x: float(neg(x)), x0, method="Nelder-Mead", options={"xatol": 1e-8, "maxiter": 9000}
    )
    # polish: the root of the gradient from scipy.differentiate's adaptive differences
    root = optimize.root(lambda x: differentiate.jacobian(neg, x).df, res.x, tol=1e-13)
    assert np.max(np.abs(root.fun)) < 1e-8, root  # a stationary point to the differences' noise
    want = values(root.x)
    fit = bg.map_estimate(model)
    assert fit.converged
    for n in names:
        np.testing.assert_allclose(fit.params[n], want[n], rtol=1e-8, err_msg=n)


# ============================================================================================
# PyMC
# ============================================================================================


def _pymc_logp(pm_model):
    from pymc.model.transform.conditioning import remove_value_transforms

    return remove_value_transforms(pm_model).compile_logp(jacobian=False)


PYMC_CASES = {
    **{k: v[0] for k, v in FREE.items()},
    "gamma-fixed-alpha": lambda: bg.Gamma(y=Y_POS, alpha=2.0, beta=stats.gamma(2.0)),
    "lognormal-nig": lambda: bg.LogNormal(y=Y_POS, prior=stats.normal_inverse_gamma(0, 1, 2, 2)),
    "weibull-fixed-alpha": lambda: bg.Weibull(y=Y_POS, alpha=1.7, beta=stats.gamma(2.0)),
    "weibull-grouped": lambda: bg.Weibull(
        y=Y_GROUPED, alpha=np.array([1.5, 3.0]), beta=stats.gamma(2.0 * np.ones(2))
    ),
}


def _points(model, n=5, seed=1):
    draws = model.prior_sample(n, rng=seed)
    for name, p in model.parameters.items():
        if p.support[0].min() == 0:
            draws[name] = np.clip(draws[name], 0.05, 20.0)
    return draws


@pytest.mark.parametrize("case", list(PYMC_CASES))
def test_to_pymc_log_density_matches(case):
    model = PYMC_CASES[case]()
    pm_model = bg.to_pymc(model)
    assert [rv.name for rv in pm_model.observed_RVs] == ["y"]
    family = type(pm_model.observed_RVs[0].owner.op).__name__
    assert family.startswith(
        {"Gamma": "Gamma", "LogNormal": "LogNormal", "StudentT": "StudentT", "Weibull": "Weibull"}[
            type(model).__name__
        ]
    )
    _assert_same_density(model, pm_model)


def _assert_same_density(model, pm_model):
    logp = _pymc_logp(pm_model)
    pts = _points(model)
    ours = model.log_density(**pts)
    theirs = [logp({k: v[i] for k, v in pts.items()}) for i in range(len(ours))]
    np.testing.assert_allclose(theirs, ours, rtol=1e-10)


@pytest.mark.parametrize(
    "case", ["gamma", "lognormal", "lognormal-nig", "weibull-fixed-alpha", "weibull-grouped"]
)
def test_to_pymc_from_sufficient_statistics(case, monkeypatch):
    monkeypatch.setattr(_elementwise, "KEEP_DATA_LIMIT", 1)
    model = PYMC_CASES[case]()
    assert model.data is None
    pm_model = bg.to_pymc(model)
    assert not pm_model.observed_RVs and [p.name for p in pm_model.potentials] == [
        "log_likelihood"
    ]
    _assert_same_density(model, pm_model)


def test_studentt_keeps_its_data_whatever_their_size(monkeypatch):
    monkeypatch.setattr(_elementwise, "KEEP_DATA_LIMIT", 1)
    model = bg.StudentT(y=Y_REAL[:3], nu=4.0, mu=stats.norm(0, 5), sigma=1.0).updated(y=Y_REAL[3:])
    assert model.data is None and model.stats["y"].shape == (len(Y_REAL),)
    np.testing.assert_allclose(
        model.log_likelihood(mu=0.5), _scipy_loglik("studentt", Y_REAL, nu=4, mu=0.5, sigma=1.0)
    )
    _assert_same_density(model, bg.to_pymc(model))


def test_check_with_pymc_weibull():
    m = bg.Weibull(y=Y_POS, alpha=stats.gamma(3.0), beta=stats.gamma(2.0, scale=1.5))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rep = bg.check_with_pymc(m, bg.grid(m, points=201), rng=7, draws=1000, tune=500, map=False)
    assert rep.passed, rep.table


# ============================================================================================
# Bad input
# ============================================================================================


@pytest.mark.parametrize(
    "make, exc, match",
    [
        (
            lambda: bg.Gamma(y=[1.0, 0.0], alpha=2.0, beta=stats.gamma(2)),
            ValueError,
            "y must be > 0",
        ),
        (lambda: bg.LogNormal(y=[-1.0], mu=stats.norm(), sigma=1.0), ValueError, "y must be > 0"),
        (
            lambda: bg.Weibull(y=[0.0, 1.0], alpha=stats.gamma(2), beta=1.0),
            ValueError,
            "y must be > 0",
        ),
        (
            lambda: bg.StudentT(y=[np.nan], nu=3.0, mu=stats.norm(), sigma=1.0),
            ValueError,
            "y must contain only finite",
        ),
        (
            lambda: bg.StudentT(y="abc", nu=3.0, mu=stats.norm(), sigma=1.0),
            TypeError,
            "y must be numeric",
        ),
        (lambda: bg.Gamma(y=[1.0], alpha=-2.0, beta=stats.gamma(2)), ValueError, "fixed alpha"),
        (lambda: bg.Gamma(y=[1.0], alpha=2.0, beta=0.0), ValueError, "fixed beta"),
        (lambda: bg.StudentT(y=[1.0], nu=0.0, mu=stats.norm(), sigma=1.0), ValueError, "fixed nu"),
        (
            lambda: bg.StudentT(y=[1.0], nu=3.0, mu=stats.norm(), sigma=-1.0),
            ValueError,
            "fixed sigma",
        ),
        (lambda: bg.Weibull(y=[1.0], alpha=stats.gamma(2), beta=-1.0), ValueError, "fixed beta"),
        (lambda: bg.LogNormal(y=[1.0], mu=stats.norm(), sigma=0.0), ValueError, "fixed sigma"),
        (
            lambda: bg.Gamma(y=[1.0], alpha=2.0, beta=stats.norm(1, 1)),
            ValueError,
            "prior for beta",
        ),
        (lambda: bg.Weibull(y=[1.0], alpha=stats.norm(), beta=1.0), ValueError, "prior for alpha"),
        (
            lambda: bg.StudentT(y=[1.0], nu=stats.norm(), mu=0.0, sigma=1.0),
            ValueError,
            "prior for nu",
        ),
        (
            lambda: bg.LogNormal(y=[1.0], mu=stats.norm(), sigma=stats.norm()),
            ValueError,
            "prior for sigma",
        ),
        (lambda: bg.LogNormal(y=[1.0], sigma=1.0), TypeError, "LogNormal needs mu"),
        (lambda: bg.LogNormal(y=[1.0], mu=stats.norm()), TypeError, "LogNormal needs exactly one"),
        (
            lambda: bg.LogNormal(y=[1.0], mu=0.0, prior=stats.normal_inverse_gamma(0, 1, 1, 1)),
            TypeError,
            "not both",
        ),
        (lambda: bg.Gamma(y=[1.0], alpha=2.0), TypeError, "beta"),
    ],
)
def test_bad_input_names_the_argument(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


def test_update_rejects_bad_data_before_changing_anything():
    m = bg.Gamma(y=Y_POS, alpha=2.0, beta=stats.gamma(2.0))
    before = {k: v.copy() for k, v in m.stats.items()}
    with pytest.raises(ValueError, match="y must be > 0"):
        m.update(y=[1.0, -3.0])
    with pytest.raises(TypeError, match="unknown data"):
        m.update(x=[1.0])
    for k, v in before.items():
        np.testing.assert_array_equal(m.stats[k], v)
