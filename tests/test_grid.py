"""bayesgd.grid against closed forms, independent scipy references and the exact posterior.

Truth comes from scipy.stats posteriors written out here (beta, gamma, norm, invgamma,
normal-inverse-gamma, Dirichlet marginals), closed-form log evidences, an exact shortest-interval
solver, and fine reference grids computed with scipy (Simpson's rule) for non-conjugate models.
Good default grids must not warn: GridWarning is an error in this module unless a test expects it.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from grid_truth import exact_hdi, log_multibeta
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, optimize, stats
from scipy.special import betaln, gammaln, logsumexp

import bayesgd as bg
from bayesgd.conjugate import conjugate
from bayesgd.errors import GridWarning
from bayesgd.grid import GridPosterior, grid
from bayesgd.numerics.intervals import hdi_of_grid

pytestmark = pytest.mark.filterwarnings("error::bayesgd.errors.GridWarning")


# ------------------------------------------------------------------------------ helpers
RNG = np.random.default_rng(20240601)
Y01 = (RNG.random(40) < 0.35).astype(int)
K_BIN, N_BIN = np.array([3, 7, 2, 9]), np.array([10, 12, 8, 15])
K_GEOM = RNG.geometric(0.3, size=25)
K_NB = RNG.negative_binomial(4, 0.4, size=30)
K_POIS, T_POIS = (
    RNG.poisson(2.0 * np.array([1.0, 2.5, 0.5, 3.0, 1.5])),
    np.array([1.0, 2.5, 0.5, 3.0, 1.5]),
)
Y_EXP = RNG.exponential(1 / 1.7, size=35)
Y_NORM = RNG.normal(1.3, 2.0, size=30)
Y_CAT2 = RNG.integers(0, 2, size=33)
X_MULT2 = RNG.multinomial(6, [0.3, 0.7], size=5)


def _case_bernoulli():
    a, b = 2.0, 3.0
    s, f = Y01.sum(), Y01.size - Y01.sum()
    return (
        bg.Bernoulli(y=Y01, p=stats.beta(a, b)),
        "p",
        stats.beta(a + s, b + f),
        (a + s - 1) / (a + b + Y01.size - 2),
        betaln(a + s, b + f) - betaln(a, b),
    )


def _case_binomial():
    a, b = 1.5, 1.5
    s, f = K_BIN.sum(), (N_BIN - K_BIN).sum()
    const = np.sum(gammaln(N_BIN + 1) - gammaln(K_BIN + 1) - gammaln(N_BIN - K_BIN + 1))
    return (
        bg.Binomial(k=K_BIN, n=N_BIN, p=stats.beta(a, b)),
        "p",
        stats.beta(a + s, b + f),
        (a + s - 1) / (a + b + s + f - 2),
        const + betaln(a + s, b + f) - betaln(a, b),
    )


def _case_geometric():
    a, b = 1.0, 1.0
    n, tot = K_GEOM.size, K_GEOM.sum()
    return (
        bg.Geometric(k=K_GEOM, p=stats.beta(a, b)),
        "p",
        stats.beta(a + n, b + tot - n),
        (a + n - 1) / (a + b + tot - 2),
        betaln(a + n, b + tot - n) - betaln(a, b),
    )


def _case_negative_binomial():
    a, b, r = 2.0, 2.0, 4
    n, tot = K_NB.size, K_NB.sum()
    const = np.sum(gammaln(K_NB + r) - gammaln(K_NB + 1) - gammaln(r))
    return (
        bg.NegativeBinomial(k=K_NB, r=r, p=stats.beta(a, b)),
        "p",
        stats.beta(a + r * n, b + tot),
        (a + r * n - 1) / (a + b + r * n + tot - 2),
        const + betaln(a + r * n, b + tot) - betaln(a, b),
    )


def _case_poisson_exposure():
    a, rate = 3.0, 0.5  # gamma(3, scale=2)
    k_sum, t_sum = K_POIS.sum(), T_POIS.sum()
    const = np.sum(K_POIS * np.log(T_POIS) - gammaln(K_POIS + 1))
    evidence = (
        const
        + a * np.log(rate)
        - gammaln(a)
        + gammaln(a + k_sum)
        - (a + k_sum) * np.log(rate + t_sum)
    )
    return (
        bg.Poisson(k=K_POIS, exposure=T_POIS, mu=stats.gamma(a, scale=1 / rate)),
        "mu",
        stats.gamma(a + k_sum, scale=1 / (rate + t_sum)),
        (a + k_sum - 1) / (rate + t_sum),
        evidence,
    )


def _case_exponential():
    a, rate = 2.0, 1.0
    n, tot = Y_EXP.size, Y_EXP.sum()
    return (
        bg.Exponential(y=Y_EXP, lam=stats.gamma(a, scale=1 / rate)),
        "lam",
        stats.gamma(a + n, scale=1 / (rate + tot)),
        (a + n - 1) / (rate + tot),
        a * np.log(rate) - gammaln(a) + gammaln(a + n) - (a + n) * np.log(rate + tot),
    )


def _case_normal_known_sigma():
    m0, s0, sigma = 0.0, 5.0, 2.0
    n = Y_NORM.size
    prec = 1 / s0**2 + n / sigma**2
    mean = (m0 / s0**2 + Y_NORM.sum() / sigma**2) / prec
    cov = sigma**2 * np.eye(n) + s0**2 * np.ones((n, n))
    return (
        bg.Normal(y=Y_NORM, mu=stats.norm(m0, s0), sigma=sigma),
        "mu",
        stats.norm(mean, prec**-0.5),
        mean,
        stats.multivariate_normal(np.full(n, m0), cov).logpdf(Y_NORM),
    )


def _case_normal_known_mu():
    mu, a, b = 1.0, 3.0, 4.0
    n, ss = Y_NORM.size, np.sum((Y_NORM - mu) ** 2)
    evidence = (
        -0.5 * n * np.log(2 * np.pi)
        + a * np.log(b)
        - gammaln(a)
        + gammaln(a + n / 2)
        - (a + n / 2) * np.log(b + ss / 2)
    )
    return (
        bg.Normal(y=Y_NORM, mu=mu, sigma2=stats.invgamma(a, scale=b)),
        "sigma2",
        stats.invgamma(a + n / 2, scale=b + ss / 2),
        (b + ss / 2) / (a + n / 2 + 1),
        evidence,
    )


def _case_categorical2():
    alpha = np.array([2.0, 1.5])
    counts = np.bincount(Y_CAT2, minlength=2)
    post = alpha + counts
    return (
        bg.Categorical(y=Y_CAT2, p=stats.dirichlet(alpha)),
        "p",
        stats.beta(post[0], post[1]),
        (post[0] - 1) / (post.sum() - 2),
        log_multibeta(post) - log_multibeta(alpha),
    )


def _case_multinomial2():
    alpha = np.array([1.0, 3.0])
    counts = X_MULT2.sum(axis=0)
    post = alpha + counts
    const = np.sum(gammaln(X_MULT2.sum(axis=1) + 1)) - np.sum(gammaln(X_MULT2 + 1))
    return (
        bg.Multinomial(x=X_MULT2, p=stats.dirichlet(alpha)),
        "p",
        stats.beta(post[0], post[1]),
        (post[0] - 1) / (post.sum() - 2),
        const + log_multibeta(post) - log_multibeta(alpha),
    )


ONE_D_CASES = {
    "bernoulli": _case_bernoulli,
    "binomial": _case_binomial,
    "geometric": _case_geometric,
    "negative_binomial": _case_negative_binomial,
    "poisson_exposure": _case_poisson_exposure,
    "exponential": _case_exponential,
    "normal_known_sigma": _case_normal_known_sigma,
    "normal_known_mu_invgamma": _case_normal_known_mu,
    "categorical_k2": _case_categorical2,
    "multinomial_k2": _case_multinomial2,
}


def _first(value):
    """The first element (p[0] of a probability vector) or the scalar itself."""
    return float(np.ravel(value)[0])


# ------------------------------------------------------------------ 1-D conjugate families
@pytest.mark.parametrize("case", list(ONE_D_CASES))
def test_one_dimensional_families_match_the_exact_posterior(case):
    model, name, exact, mode, log_evidence = ONE_D_CASES[case]()
    post = grid(model, points=2001)
    assert isinstance(post, GridPosterior) and post.method == "grid"
    assert post.shape == (2001,)
    sd = exact.std()
    assert _first(post.mean()[name]) == pytest.approx(exact.mean(), rel=1e-6)
    assert _first(post.sd()[name]) == pytest.approx(sd, rel=1e-6)
    q = np.array([0.05, 0.5, 0.95])
    got_q = np.asarray(post.quantile(q)[name]).reshape(3, -1)[:, 0]
    np.testing.assert_allclose(got_q, exact.ppf(q), atol=1e-6 * sd)
    assert _first(post.median()[name]) == pytest.approx(exact.median(), abs=1e-6 * sd)
    low, high = post.hdi(0.94)[name]
    e_low, e_high = exact_hdi(exact, 0.94)
    assert _first(low) == pytest.approx(e_low, abs=1e-4)
    assert _first(high) == pytest.approx(e_high, abs=1e-4)
    assert _first(post.mode()[name]) == pytest.approx(mode, rel=1e-8)
    assert post.log_evidence == pytest.approx(log_evidence, abs=1e-4)
    # the same numbers as the package's own closed forms
    exact_post = conjugate(model)
    assert _first(post.mean()[name]) == pytest.approx(_first(exact_post.mean()[name]), rel=1e-6)
    assert post.log_evidence == pytest.approx(exact_post.log_evidence, abs=1e-4)


@pytest.mark.parametrize("case", ["categorical_k2", "multinomial_k2"])
def test_implied_last_component_of_a_probability_vector(case):
    model, name, exact, _, _ = ONE_D_CASES[case]()
    post = grid(model)
    other = stats.beta(exact.args[1], exact.args[0])  # p[1] = 1 - p[0]
    assert post.mean()[name][1] == pytest.approx(other.mean(), rel=1e-6)
    assert post.sd()[name][1] == pytest.approx(other.std(), rel=1e-6)
    assert post.median()[name][1] == pytest.approx(other.median(), abs=1e-6)
    low, high = post.hdi()[name]
    e_low, e_high = exact_hdi(other)
    assert (low[1], high[1]) == pytest.approx((e_low, e_high), abs=1e-4)
    assert post.mean()[name].sum() == pytest.approx(1.0, abs=1e-12)
    draws = post.sample(2000, rng=1)[name]
    assert draws.shape == (2000, 2)
    np.testing.assert_allclose(draws.sum(axis=1), 1.0, atol=1e-12)


# ---------------------------------------------------------------------- 2-D: NIG, Dirichlet
def test_normal_inverse_gamma_on_a_2d_grid():
    y = np.random.default_rng(5).normal(1.0, 2.0, size=20)
    mu0, lam0, a0, b0 = 0.0, 1.0, 2.0, 2.0
    model = bg.Normal(y=y, prior=stats.normal_inverse_gamma(mu=mu0, lmbda=lam0, a=a0, b=b0))
    post = grid(model)
    assert post.shape == (801, 801)
    n, ybar = y.size, y.mean()
    lam_n = lam0 + n
    mu_n = (lam0 * mu0 + n * ybar) / lam_n
    a_n = a0 + n / 2
    b_n = b0 + 0.5 * np.sum((y - ybar) ** 2) + lam0 * n * (ybar - mu0) ** 2 / (2 * lam_n)
    mu_marg = stats.t(2 * a_n, loc=mu_n, scale=np.sqrt(b_n / (a_n * lam_n)))
    s2_marg = stats.invgamma(a_n, scale=b_n)
    for name, dist in (("mu", mu_marg), ("sigma2", s2_marg)):
        assert post.mean()[name] == pytest.approx(dist.mean(), rel=1e-5)
        assert post.sd()[name] == pytest.approx(dist.std(), rel=1e-5)
        assert post.median()[name] == pytest.approx(dist.median(), abs=1e-4 * dist.std())
        assert post.hdi()[name] == pytest.approx(exact_hdi(dist), abs=1e-3)
    # the joint mode of the NIG density: (mu_n, b_n / (a_n + 1.5))
    assert post.mode()["mu"] == pytest.approx(mu_n, rel=1e-8)
    assert post.mode()["sigma2"] == pytest.approx(b_n / (a_n + 1.5), rel=1e-8)
    evidence = (
        gammaln(a_n)
        - gammaln(a0)
        + a0 * np.log(b0)
        - a_n * np.log(b_n)
        + 0.5 * (np.log(lam0) - np.log(lam_n))
        - 0.5 * n * np.log(2 * np.pi)
    )
    assert post.log_evidence == pytest.approx(evidence, abs=1e-4)


def test_dirichlet_three_components_on_a_2d_grid():
    alpha = np.array([1.5, 2.0, 1.0])
    x = np.array([[3, 4, 5], [1, 2, 3], [2, 0, 4]])
    model = bg.Multinomial(x=x, p=stats.dirichlet(alpha))
    post = grid(model)
    assert post.shape == (801, 801)
    a_post = alpha + x.sum(axis=0)
    total = a_post.sum()
    for k in range(3):
        marg = stats.beta(a_post[k], total - a_post[k])
        assert post.mean()["p"][k] == pytest.approx(marg.mean(), rel=1e-6)
        assert post.sd()["p"][k] == pytest.approx(marg.std(), rel=1e-6)
        low, high = post.hdi()["p"]
        assert (low[k], high[k]) == pytest.approx(exact_hdi(marg), abs=1e-4)
        assert post.median()["p"][k] == pytest.approx(marg.median(), abs=1e-4)
    np.testing.assert_allclose(post.mode()["p"], (a_post - 1) / (total - 3), rtol=1e-8)
    const = np.sum(gammaln(x.sum(axis=1) + 1)) - np.sum(gammaln(x + 1))
    evidence = const + log_multibeta(a_post) - log_multibeta(alpha)
    assert post.log_evidence == pytest.approx(evidence, abs=1e-4)
    draws = post.sample(4000, rng=2)["p"]
    assert np.all(draws >= 0) and np.allclose(draws.sum(axis=1), 1.0)


# ---------------------------------------------------------------- non-conjugate: logistic
def _logistic_data(seed=11, n=120):
    r = np.random.default_rng(seed)
    x = r.normal(size=n)
    y = (r.random(n) < 1 / (1 + np.exp(-(0.4 + 1.3 * x)))).astype(int)
    return x, y


def _reference_logistic(x, y, n_points=201):
    """Posterior mean/sd of (intercept, coef), log evidence and mode, from scipy alone:
    Simpson's rule on a fine grid over +-10 sd around the MAP, and scipy.optimize."""

    def log_post(b0, b1):
        eta = b0[..., None] + b1[..., None] * x
        ll = b0 * y.sum() + b1 * (x @ y) - np.sum(np.logaddexp(0.0, eta), axis=-1)
        log_prior = -0.5 * (b0 / 5.0) ** 2 - np.log(5.0) - 0.5 * (b1 / 2.5) ** 2 - np.log(2.5)
        return ll + log_prior - np.log(2 * np.pi)

    def neg(t):
        return -log_post(np.array(t[0]), np.array(t[1]))

    res = optimize.minimize(neg, [0.0, 0.0], tol=1e-12)
    # curvature at the mode by central differences: the Laplace sd sets the box
    e = 1e-4
    hess = np.empty((2, 2))
    for i in range(2):
        for j in range(2):
            di, dj = np.eye(2)[i] * e, np.eye(2)[j] * e
            hess[i, j] = (
                neg(res.x + di + dj)
                - neg(res.x + di - dj)
                - neg(res.x - di + dj)
                + neg(res.x - di - dj)
            ) / (4 * e * e)
    sd = np.sqrt(np.diag(np.linalg.inv(hess)))
    b0 = np.linspace(res.x[0] - 14 * sd[0], res.x[0] + 14 * sd[0], n_points)
    b1 = np.linspace(res.x[1] - 14 * sd[1], res.x[1] + 14 * sd[1], n_points)
    lp = log_post(b0[:, None], b1[None, :])
    top = lp.max()
    dens = np.exp(lp - top)

    def integral(f):
        return integrate.simpson(integrate.simpson(f, x=b1, axis=1), x=b0)

    z = integral(dens)
    m0, m1 = integral(dens * b0[:, None]) / z, integral(dens * b1[None, :]) / z
    v0 = integral(dens * (b0[:, None] - m0) ** 2) / z
    v1 = integral(dens * (b1[None, :] - m1) ** 2) / z
    return (m0, m1), (np.sqrt(v0), np.sqrt(v1)), top + np.log(z), res.x


def test_logistic_regression_matches_an_independent_scipy_reference_grid():
    x, y = _logistic_data()
    model = bg.LogisticRegression(
        X=x[:, None], y=y, coef=stats.norm(0, 2.5), intercept=stats.norm(0, 5)
    )
    post = grid(model)
    (m0, m1), (s0, s1), log_z, mode = _reference_logistic(x, y)
    assert post.mean()["intercept"] == pytest.approx(m0, abs=1e-6 * s0)
    assert post.mean()["coef"][0] == pytest.approx(m1, abs=1e-6 * s1)
    assert post.sd()["intercept"] == pytest.approx(s0, rel=1e-6)
    assert post.sd()["coef"][0] == pytest.approx(s1, rel=1e-6)
    assert post.log_evidence == pytest.approx(log_z, abs=1e-6)
    assert post.mode()["intercept"] == pytest.approx(mode[0], abs=1e-5 * s0)
    assert post.mode()["coef"][0] == pytest.approx(mode[1], abs=1e-5 * s1)
    # vector parameters: element names and marginals
    table = post.summary()
    assert list(table.index) == ["coef[0]", "intercept"]
    xs, dens = post.marginal("coef", 0)
    xs2, dens2 = post.marginal("coef[0]")
    np.testing.assert_array_equal(xs, xs2)
    np.testing.assert_array_equal(dens, dens2)
    assert integrate.trapezoid(dens, xs) == pytest.approx(1.0, abs=1e-6)


def test_updated_equals_the_batch_grid():
    x, y = _logistic_data(n=160)
    first = bg.LogisticRegression(
        X=x[:100, None], y=y[:100], coef=stats.norm(0, 2.5), intercept=stats.norm(0, 5)
    )
    full = bg.LogisticRegression(
        X=x[:, None], y=y, coef=stats.norm(0, 2.5), intercept=stats.norm(0, 5)
    )
    post = grid(first)
    before = post.mean()
    updated = post.updated(X=x[100:, None], y=y[100:])
    batch = grid(full)  # the grid is laid anew for the whole data
    assert updated.bounds["intercept"] == batch.bounds["intercept"] != post.bounds["intercept"]
    np.testing.assert_allclose(updated.log_density, batch.log_density, rtol=1e-12, atol=1e-9)
    assert updated.log_evidence == pytest.approx(batch.log_evidence, rel=1e-12)
    for name in ("coef", "intercept"):
        np.testing.assert_allclose(updated.mean()[name], batch.mean()[name], rtol=1e-12)
        np.testing.assert_allclose(updated.sd()[name], batch.sd()[name], rtol=1e-12)
        np.testing.assert_array_equal(post.mean()[name], before[name])  # unchanged
    # given points and bounds are kept
    fixed = grid(first, points=301, bounds={"intercept": (-2.0, 2.0)})
    again = fixed.updated(X=x[100:, None], y=y[100:])
    assert again.points == {"coef": (301,), "intercept": 301}
    assert again.bounds["intercept"] == (-2.0, 2.0)


def test_update_in_place_over_chunks_equals_one_batch():
    chunks = np.array_split(Y01, 4)
    post = grid(bg.Bernoulli(y=chunks[0], p=stats.beta(1, 1)))
    for chunk in chunks[1:]:
        assert post.update(y=chunk) is None
    exact = stats.beta(1 + Y01.sum(), 1 + Y01.size - Y01.sum())
    batch = grid(bg.Bernoulli(y=Y01, p=stats.beta(1, 1)))
    assert post.mean()["p"] == pytest.approx(exact.mean(), rel=1e-6)
    assert post.sd()["p"] == pytest.approx(exact.std(), rel=1e-6)
    assert post.mean()["p"] == pytest.approx(batch.mean()["p"], rel=1e-12)
    assert post.bounds == batch.bounds
    # bad data leave the posterior unchanged
    with pytest.raises((ValueError, TypeError)):
        post.update(y=[3])
    assert post.mean()["p"] == pytest.approx(exact.mean(), rel=1e-6)


# ------------------------------------------------------------------------- log space
def test_one_hundred_thousand_bernoulli_observations_stay_in_log_space():
    y = (np.random.default_rng(0).random(100_000) < 0.3).astype(int)
    model = bg.Bernoulli(y=y, p=stats.beta(1, 1))
    post = grid(model, points=4001)
    s = y.sum()
    exact = stats.beta(1 + s, 1 + y.size - s)
    assert post.mean()["p"] == pytest.approx(exact.mean(), rel=1e-9)
    assert post.sd()["p"] == pytest.approx(exact.std(), rel=1e-6)
    assert post.mode()["p"] == pytest.approx(s / y.size, rel=1e-10)
    assert post.log_evidence == pytest.approx(betaln(1 + s, 1 + y.size - s), abs=1e-4)
    low, high = post.bounds["p"]
    assert high - low < 0.05  # narrowed from [0, 1] to where the mass is
    assert post.sd_spacings["p"] > 50


def test_edge_mode_stays_on_the_support_boundary():
    model = bg.Bernoulli(y=np.zeros(20, dtype=int), p=stats.beta(1, 1))
    post = grid(model)
    exact = stats.beta(1, 21)
    assert post.bounds["p"][0] == 0.0
    assert post.mode()["p"] == 0.0
    assert post.hdi()["p"][0] == 0.0
    assert post.hdi()["p"][1] == pytest.approx(exact.ppf(0.94), abs=1e-6)
    assert post.mean()["p"] == pytest.approx(exact.mean(), rel=1e-6)
    assert post.edge_mass["p"][0] > 1e-3 and post.truncated["p"] == (False, False)


def test_unbounded_density_at_an_edge_is_integrated_accurately():
    # Jeffreys prior and no success: p^(-1/2) at p = 0
    model = bg.Binomial(k=0, n=30, p=stats.beta(0.5, 0.5))
    post = grid(model)
    exact = stats.beta(0.5, 30.5)
    assert post.mean()["p"] == pytest.approx(exact.mean(), rel=1e-6)
    assert post.sd()["p"] == pytest.approx(exact.std(), rel=1e-6)
    assert post.log_evidence == pytest.approx(betaln(0.5, 30.5) - betaln(0.5, 0.5), abs=1e-5)
    assert post.mode()["p"] == 0.0
    assert post.hdi()["p"][1] == pytest.approx(exact.ppf(0.94), abs=1e-4)


def test_posterior_far_outside_the_prior_quantiles_is_found():
    y = np.random.default_rng(3).normal(100.0, 1.0, size=1000)
    model = bg.Normal(y=y, mu=stats.norm(0, 1), sigma=1.0)
    post = grid(model)
    n = y.size
    exact = stats.norm(y.sum() / (n + 1), (n + 1) ** -0.5)
    assert post.mean()["mu"] == pytest.approx(exact.mean(), rel=1e-12)
    assert post.sd()["mu"] == pytest.approx(exact.std(), rel=1e-6)


# --------------------------------------------------------------------------- custom model
def test_custom_model_with_two_parameters():
    y = np.random.default_rng(8).normal(1.5, 0.8, size=50)

    def loglik(mu, sigma):
        mu, sigma = np.asarray(mu)[..., None], np.asarray(sigma)[..., None]
        z = (y - mu) / sigma
        return np.sum(-0.5 * z * z - np.log(sigma), axis=-1) - 0.5 * y.size * np.log(2 * np.pi)

    priors = {"mu": stats.norm(0, 10), "sigma": stats.halfnorm(scale=5)}
    post = grid(bg.Model(priors=priors, log_likelihood=loglik))
    family = grid(bg.Normal(y=y, mu=priors["mu"], sigma=priors["sigma"]))
    # independent reference: scipy Simpson on a fine, wide grid (the sigma tail is long)
    mu = np.linspace(0.2, 2.5, 801)
    sig = np.linspace(0.45, 2.3, 801)
    n, ybar, ss = y.size, y.mean(), np.sum((y - y.mean()) ** 2)
    lp = (
        -n * np.log(sig)[None, :]
        - 0.5 * n * np.log(2 * np.pi)
        - (ss + n * (ybar - mu[:, None]) ** 2) / (2 * sig[None, :] ** 2)
        + priors["mu"].logpdf(mu)[:, None]
        + priors["sigma"].logpdf(sig)[None, :]
    )
    dens = np.exp(lp - lp.max())

    def integral(f):
        return integrate.simpson(integrate.simpson(f, x=sig, axis=1), x=mu)

    z = integral(dens)
    ref_mean = {"mu": integral(dens * mu[:, None]) / z, "sigma": integral(dens * sig[None, :]) / z}
    ref_sd = {
        "mu": np.sqrt(integral(dens * (mu[:, None] - ref_mean["mu"]) ** 2) / z),
        "sigma": np.sqrt(integral(dens * (sig[None, :] - ref_mean["sigma"]) ** 2) / z),
    }
    for name in ("mu", "sigma"):
        assert post.mean()[name] == pytest.approx(ref_mean[name], abs=1e-6 * ref_sd[name])
        assert post.sd()[name] == pytest.approx(ref_sd[name], rel=1e-6)
        assert post.mean()[name] == pytest.approx(family.mean()[name], rel=1e-10)
    assert post.log_evidence == pytest.approx(lp.max() + np.log(z), abs=1e-6)
    assert post.log_evidence == pytest.approx(family.log_evidence, abs=1e-8)


def test_chunking_gives_the_same_grid_as_one_chunk():
    data = np.random.default_rng(4).normal(1.0, 0.5, size=10_000)
    batches = []

    def loglik(mu, log_s):
        # O(n) per point, in cache-sized blocks of points and observations
        mu, log_s = np.asarray(mu), np.asarray(log_s)
        batches.append(mu.shape[0])
        inv = np.exp(-log_s)
        quad = np.empty(mu.shape)
        for p0 in range(0, mu.size, 1000):
            m, iv = mu[p0 : p0 + 1000, None], inv[p0 : p0 + 1000, None]
            acc = np.zeros(m.shape[0])
            for start in range(0, data.size, 1000):
                z = (data[start : start + 1000] - m) * iv
                acc += np.einsum("ij,ij->i", z, z)
            quad[p0 : p0 + 1000] = acc
        return -0.5 * quad - data.size * (log_s + 0.5 * np.log(2 * np.pi))

    # the function's memory per point: one row of a 1000-observation block
    model = bg.Model(
        priors={"mu": stats.norm(0, 5), "log_s": stats.norm(0, 2)},
        log_likelihood=loglik,
        bytes_per_evaluation=8 * 1000,
    )
    assert model.bytes_per_evaluation == 8000
    ybar, s = data.mean(), data.std()
    bounds = {"mu": (ybar - 0.04, ybar + 0.04), "log_s": (np.log(s) - 0.05, np.log(s) + 0.05)}
    one = grid(model, points=200, bounds=bounds, max_bytes=2**30)
    assert max(batches) == 200 * 200  # 1 GiB holds the whole grid at once
    batches.clear()
    many = grid(model, points=200, bounds=bounds, max_bytes=1_500_000)
    limit = 1_500_000 // (8000 + 16 * 4)
    assert max(batches) <= limit and len(batches) >= 200 * 200 // limit
    np.testing.assert_allclose(many.log_density, one.log_density, rtol=1e-13, atol=1e-10)
    assert many.mean() == pytest.approx(one.mean(), rel=1e-13)
    assert many.log_evidence == pytest.approx(one.log_evidence, rel=1e-13)
    # and both are right: the posterior of mu is nearly N(ybar, s^2 / n)
    assert one.mean()["mu"] == pytest.approx(ybar, abs=1e-3 * s / 100)
    assert one.sd()["mu"] == pytest.approx(s / 100, rel=1e-2)


def test_max_bytes_holds_for_a_custom_likelihood_that_costs_memory_per_point():
    # the naive O(n)-memory likelihood: a (points, n) array of residuals
    import tracemalloc

    n = 20_000
    data = np.random.default_rng(14).normal(0.3, 1.2, size=n)
    batches = []

    def loglik(mu, log_s):
        batches.append(np.shape(mu)[0])
        r = data - np.asarray(mu)[..., None]
        quad = np.einsum("...i,...i->...", r, r) * np.exp(-2 * np.asarray(log_s))
        return -0.5 * quad - n * (log_s + 0.5 * np.log(2 * np.pi))

    # its real cost per point, measured here independently of the package
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        loglik(np.zeros(50), np.zeros(50))
        per_point = (tracemalloc.get_traced_memory()[1] - base) / 50
    finally:
        tracemalloc.stop()
    assert per_point >= 8 * n  # O(n) per point: far beyond the nominal 512 bytes
    batches.clear()
    priors = {"mu": stats.norm(0, 5), "log_s": stats.norm(0, 2)}
    model = bg.Model(priors=priors, log_likelihood=loglik)
    ybar, sd = data.mean(), data.std()
    bounds = {"mu": (ybar - 0.05, ybar + 0.05), "log_s": (np.log(sd) - 0.04, np.log(sd) + 0.04)}
    budget = 50_000_000
    post = grid(model, points=200, bounds=bounds, max_bytes=budget)
    assert max(batches) * per_point <= budget
    assert max(batches) * per_point >= 0.2 * budget  # and the chunks are not needlessly small
    # the same grid from sufficient statistics in one chunk
    ss = np.sum((data - ybar) ** 2)

    def loglik_stats(mu, log_s):
        quad = ss + n * (ybar - np.asarray(mu)) ** 2
        return -0.5 * quad * np.exp(-2 * np.asarray(log_s)) - n * (log_s + 0.5 * np.log(2 * np.pi))

    ref = grid(bg.Model(priors=priors, log_likelihood=loglik_stats), points=200, bounds=bounds)
    np.testing.assert_allclose(post.log_density, ref.log_density, rtol=0, atol=1e-7)
    assert post.mean() == pytest.approx(ref.mean(), rel=1e-10)
    assert post.log_evidence == pytest.approx(ref.log_evidence, abs=1e-7)
    # a hint replaces the measurement
    hinted = bg.Model(priors=priors, log_likelihood=loglik, bytes_per_evaluation=10**6)
    batches.clear()
    with warnings.catch_warnings():  # 20 points are coarse here; only the chunks matter
        warnings.simplefilter("ignore", GridWarning)
        grid(hinted, points=20, bounds=bounds, max_bytes=50_000_000)
    assert max(batches) <= 50
    with pytest.raises(ValueError, match="bytes_per_evaluation"):
        bg.Model(priors=priors, log_likelihood=loglik, bytes_per_evaluation=0)
    with pytest.raises(TypeError, match="bytes_per_evaluation"):
        bg.Model(priors=priors, log_likelihood=loglik, bytes_per_evaluation=1.5)


# ---------------------------------------------------------------------------- 3-D vectors
def test_three_dimensional_regression_with_a_vector_parameter():
    r = np.random.default_rng(9)
    X = np.column_stack([np.ones(30), r.normal(size=30)])
    y = X @ [0.5, 1.5] + r.normal(0, 0.7, size=30)
    prior = bg.priors.NormalInverseGamma(mean=[0.0, 0.0], cov=10.0, a=3.0, b=2.0)
    model = bg.LinearRegression(X=X, y=y, prior=prior)
    post = grid(model)
    exact = conjugate(model)
    assert post.shape == (81, 81, 81)
    np.testing.assert_allclose(post.mean()["coef"], exact.mean()["coef"], rtol=1e-5)
    np.testing.assert_allclose(post.sd()["coef"], exact.sd()["coef"], rtol=1e-4)
    assert post.mean()["sigma2"] == pytest.approx(exact.mean()["sigma2"], rel=1e-4)
    np.testing.assert_allclose(post.mode()["coef"], exact.mode()["coef"], rtol=1e-8)
    assert post.mode()["sigma2"] == pytest.approx(exact.mode()["sigma2"], rel=1e-8)
    assert post.log_evidence == pytest.approx(exact.log_evidence, abs=1e-4)


# ------------------------------------------------------------------------ sampling & misc
def test_joint_samples_reproduce_the_grid_moments():
    y = np.random.default_rng(5).normal(1.0, 2.0, size=20)
    model = bg.Normal(y=y, prior=stats.normal_inverse_gamma(mu=0, lmbda=1, a=2, b=2))
    post = grid(model)
    draws = post.sample(40_000, rng=7)
    again = post.sample(40_000, rng=7)
    np.testing.assert_array_equal(draws["mu"], again["mu"])
    for name in ("mu", "sigma2"):
        se = post.sd()[name] / np.sqrt(40_000)
        assert draws[name].mean() == pytest.approx(post.mean()[name], abs=5 * se)
        assert draws[name].std() == pytest.approx(post.sd()[name], rel=0.03)
    corr_exact = np.corrcoef(draws["mu"], draws["sigma2"])[0, 1]
    assert abs(corr_exact) < 0.05  # mu and sigma2 are uncorrelated under NIG
    assert post.sample((3, 4), rng=1)["mu"].shape == (3, 4)


def test_summary_inference_data_and_round_trip_of_bounds():
    model, *_ = _case_binomial()
    post = grid(model)
    table = post.summary()
    assert list(table.columns) == ["mean", "sd", "mode", "median", "hdi_3%", "hdi_97%"]
    assert table.loc["p", "mean"] == pytest.approx(post.mean()["p"])
    again = grid(model, bounds=post.bounds, points=post.points)
    np.testing.assert_array_equal(again.log_density, post.log_density)
    idata = post.to_inference_data(draws=500, rng=0)
    assert idata.posterior["p"].shape == (1, 500)
    assert "GridPosterior" in repr(post)


# -------------------------------------------------------------------------------- warnings
def test_truncating_grid_warns():
    model, *_ = _case_binomial()
    with pytest.warns(GridWarning, match="truncates the posterior of p at its lower bound"):
        post = grid(model, bounds={"p": (0.45, 1.0)})
    assert post.truncated["p"] == (True, False)
    assert post.edge_mass["p"][0] > 1e-6


def test_too_coarse_grid_warns():
    model, *_ = _case_binomial()
    with pytest.warns(GridWarning, match="too coarse"):
        post = grid(model, points=6, bounds={"p": (0.0, 1.0)})
    assert post.sd_spacings["p"] < 3


def test_good_default_grids_do_not_warn():
    models = [
        bg.Bernoulli(y=np.ones(15, dtype=int), p=stats.beta(1, 1)),  # mode on p = 1
        bg.Normal(y=Y_NORM, mu=stats.cauchy(0, 1), sigma=stats.halfcauchy(scale=1)),
        bg.Poisson(k=[0, 0, 1], mu=stats.expon(scale=3)),
        bg.Exponential(y=Y_EXP[:3], lam=stats.gamma(1.0)),
    ]
    for model in models:
        with warnings.catch_warnings():
            warnings.simplefilter("error", GridWarning)
            post = grid(model)
        assert all(v >= 3 for v in post.sd_spacings.values())
        assert not any(any(t) for t in post.truncated.values())


# ----------------------------------------------------------------------------- bad input
def test_bad_points_and_bounds_raise_clear_errors():
    model, *_ = _case_binomial()
    with pytest.raises(ValueError, match="points must be an integer >= 2"):
        grid(model, points=1)
    with pytest.raises(TypeError, match="points must be an integer"):
        grid(model, points=2.5)
    with pytest.raises(TypeError, match="points must be an integer"):
        grid(model, points=True)
    with pytest.raises(ValueError, match="points names unknown parameter 'q'"):
        grid(model, points={"q": 10})
    with pytest.raises(ValueError, match="low < high"):
        grid(model, bounds={"p": (0.8, 0.2)})
    with pytest.raises(ValueError, match="finite"):
        grid(model, bounds={"p": (0.1, np.nan)})
    with pytest.raises(ValueError, match="unknown parameter 'mu'"):
        grid(model, bounds={"mu": (0.0, 1.0)})
    with pytest.raises(ValueError, match="outside the prior's support"):
        grid(model, bounds={"p": (-0.1, 0.5)})
    with pytest.raises(TypeError, match="pair"):
        grid(model, bounds={"p": 0.5})
    with pytest.raises(TypeError, match="bounds must be a dict"):
        grid(model, bounds=[(0, 1)])
    with pytest.raises(TypeError, match="model must be a bayesgd Model"):
        grid("not a model")
    with pytest.raises(ValueError, match="max_bytes"):
        grid(model, points=4001, max_bytes=10_000)
    dirichlet = bg.Categorical(y=[0, 1, 2], p=stats.dirichlet([1, 1, 1]))
    with pytest.raises(ValueError, match="implied"):
        grid(dirichlet, bounds={"p[2]": (0.0, 1.0)})


def test_too_many_dimensions_need_max_dims():
    X = np.random.default_rng(0).normal(size=(20, 4))
    model = bg.LinearRegression(
        X=X, y=X[:, 0], coef=stats.norm(0, 1), intercept=stats.norm(0, 1), sigma=1.0
    )
    with pytest.raises(ValueError, match=r"5 scalar dimensions .*max_dims=4"):
        grid(model)


def test_bad_log_likelihoods_raise_clear_errors():
    priors = {"mu": stats.norm(0, 1)}
    nan_model = bg.Model(priors=priors, log_likelihood=lambda mu: np.full(np.shape(mu), np.nan))
    with pytest.raises(ValueError, match="NaN"):
        grid(nan_model)
    scalar_model = bg.Model(priors=priors, log_likelihood=lambda mu: float(np.sum(mu**2)))
    with pytest.raises(ValueError, match="one value per leading"):
        grid(scalar_model)
    wide_model = bg.Model(priors=priors, log_likelihood=lambda mu: np.zeros((np.size(mu), 3)))
    with pytest.raises(ValueError, match="shape"):
        grid(wide_model)
    zero_model = bg.Model(priors=priors, log_likelihood=lambda mu: np.full(np.shape(mu), -np.inf))
    with pytest.raises(ValueError, match=r"posterior is zero .* bounds="):
        grid(zero_model)
    with pytest.raises(ValueError, match=r"posterior is zero .* bounds="):
        grid(
            bg.Model(priors=priors, log_likelihood=lambda mu: np.where(mu > 50, 0.0, -np.inf)),
            bounds={"mu": (-1.0, 1.0)},
        )


def test_marginal_argument_errors():
    x, y = _logistic_data(n=60)
    post = grid(bg.LogisticRegression(X=x[:, None], y=y, coef=stats.norm(0, 2.5), intercept=1.0))
    with pytest.raises(ValueError, match="vector parameter"):
        post.marginal("coef")
    with pytest.raises(ValueError, match="out of range"):
        post.marginal("coef", 3)
    with pytest.raises(ValueError, match="unknown parameter"):
        post.marginal("beta")


# ------------------------------------------------------------------------------ property
@given(
    a=st.floats(0.5, 20.0),
    b=st.floats(0.5, 20.0),
    n=st.integers(0, 200),
    frac=st.floats(0.0, 1.0),
)
def test_grid_equals_exact_for_random_beta_binomial_data(a, b, n, frac):
    k = round(frac * n)
    post = grid(bg.Binomial(k=k, n=n, p=stats.beta(a, b)))
    alpha, beta = a + k, b + n - k
    exact = stats.beta(alpha, beta)
    assert post.mean()["p"] == pytest.approx(exact.mean(), rel=1e-6)
    assert post.sd()["p"] == pytest.approx(exact.std(), rel=1e-6)
    assert post.log_evidence == pytest.approx(
        betaln(a + k, b + n - k)
        - betaln(a, b)
        + gammaln(n + 1)
        - gammaln(k + 1)
        - gammaln(n - k + 1),
        abs=1e-5,
    )
    assert post.quantile(0.5)["p"] == pytest.approx(exact.median(), abs=1e-5 * exact.std())
    if alpha > 1 and beta > 1:
        assert post.mode()["p"] == pytest.approx((alpha - 1) / (alpha + beta - 2), abs=1e-9)
    elif alpha < beta:  # the density is largest (or unbounded) at p = 0
        assert post.mode()["p"] == 0.0
    elif beta < alpha:
        assert post.mode()["p"] == 1.0


def test_logsumexp_normalisation_of_the_density():
    model, *_ = _case_poisson_exposure()
    post = grid(model)
    x = post.axes["mu"]
    # the normalised log density integrates to one (trapezoid on the centres, tails negligible)
    assert logsumexp(post.log_density, b=np.gradient(x)) == pytest.approx(0.0, abs=1e-6)


# ------------------------------------------------------------- heavy tails on a half-line
def test_heavy_tailed_positive_parameters_are_accurate_or_warn():
    # posterior InvGamma(0.9, 1.5): infinite mean, a tail no evenly spaced grid can hold
    heavy = bg.Normal(y=[1.0], mu=0.0, sigma2=stats.invgamma(0.4, scale=1))
    with pytest.warns(GridWarning, match="too coarse for sigma2"):
        post = grid(heavy)
    assert post.iqr_spacings["sigma2"] < 3 * 1.349
    # posterior InvGamma(2.5, .): the 1e-7 tail cut still leaves the bulk in a few cells
    y = np.array([0.3, -1.2, 0.8])
    model = bg.Normal(y=y, mu=0.0, sigma2=stats.invgamma(1))
    with pytest.warns(GridWarning, match="too coarse for sigma2"):
        grid(model)
    # half-Cauchy prior on sigma: found and resolved in log coordinates, no warning
    prior = stats.halfcauchy(scale=5)

    def unnorm(s):
        return prior.pdf(s) * np.prod(stats.norm.pdf(y[:, None], 0.0, s), axis=0)

    z = integrate.quad(lambda s: unnorm(np.array([s]))[0], 0, np.inf, epsabs=0, epsrel=1e-12)[0]

    def cdf(t):
        return integrate.quad(lambda s: unnorm(np.array([s]))[0], 0, t, epsrel=1e-12)[0] / z

    median = optimize.brentq(lambda t: cdf(t) - 0.5, 0.1, 10, xtol=1e-12)
    mean = integrate.quad(lambda s: s * unnorm(np.array([s]))[0], 0, np.inf, epsrel=1e-12)[0] / z
    post = grid(bg.Normal(y=y, mu=0.0, sigma=prior))
    assert post.median()["sigma"] == pytest.approx(median, abs=1e-4)
    assert post.mean()["sigma"] == pytest.approx(mean, rel=1e-4)
    assert post.log_evidence == pytest.approx(np.log(z), abs=1e-4)
    # exact HDI: equal density at both ends, 94% of the mass between them
    mode = optimize.minimize_scalar(
        lambda t: -unnorm(np.array([t]))[0], bounds=(0.1, 3), method="bounded"
    ).x

    def high_of(low):
        level = unnorm(np.array([low]))[0]
        return optimize.brentq(lambda t: unnorm(np.array([t]))[0] - level, mode, 1e4, xtol=1e-13)

    e_low = optimize.brentq(
        lambda t: cdf(high_of(t)) - cdf(t) - 0.94, 0.2, mode - 1e-6, xtol=1e-12
    )
    low, high = post.hdi(0.94)["sigma"]
    assert high == pytest.approx(high_of(e_low), abs=1e-4)
    # the steep lower flank (log density ~ -ss / 2 sigma^2) costs the HDI's lower end
    # first-order accuracy in the spacing (1.2e-3 at the default spacing 0.056): before the
    # log-coordinate box it was 0.09 off
    assert low == pytest.approx(e_low, abs=2e-3)


def test_truncation_advice_names_where_the_box_came_from():
    rng = np.random.default_rng(3)
    model = bg.Normal(y=rng.normal(5.0, 1.0, 20), mu=stats.norm(0, 100), sigma=1.0)
    with pytest.warns(GridWarning, match=r"widen bounds\['mu'\] \(or leave it to the default\)"):
        grid(model, bounds={"mu": (6.0, 8.0)})
    post = grid(model)
    moved = post.updated(y=np.full(200, 50.0))  # far outside the first box: laid anew
    assert moved.truncated["mu"] == (False, False)
    exact = bg.conjugate(moved.model).dist["mu"]
    assert moved.mean()["mu"] == pytest.approx(exact.mean(), rel=1e-9)
    assert moved.sd()["mu"] == pytest.approx(exact.std(), rel=1e-6)


def test_memory_error_states_both_sizes_in_readable_units():
    model = bg.Bernoulli(y=Y01, p=stats.beta(1, 1))
    with pytest.raises(ValueError, match=r"62\.5 KiB, more than max_bytes=10 \(10 bytes\)"):
        grid(model, points=2001, max_bytes=10)
    with pytest.raises(ValueError, match=r"max_bytes=20000 \(19\.5 KiB\)"):
        grid(model, points=2001, max_bytes=20_000)


def test_default_2d_grid_resolves_a_heavy_tailed_few_data_posterior():
    """Three observations, unknown mu and sigma: mu's marginal is heavy-tailed, so the box is
    wide; the default grid must still resolve sigma's HDI near its steep lower end, where
    mu's conditional posterior is narrow (201 points per axis put that end 0.1 too low)."""
    y = np.array([1.2, 0.4, 2.2])
    model = bg.Normal(y=y, mu=stats.norm(0, 10), sigma=stats.halfnorm(scale=5))
    with warnings.catch_warnings():
        warnings.simplefilter("error", GridWarning)
        post = grid(model)
    # sigma's exact marginal: the Gaussian integral over mu in closed form, then a fine 1-D grid
    s = np.linspace(1e-4, 60.0, 600_001)
    prec = 1.0 / 10.0**2 + y.size / s**2
    mean = (y.sum() / s**2) / prec
    log_marg = (
        stats.halfnorm(scale=5).logpdf(s)
        - y.size * np.log(s)
        - 0.5 * np.log(prec * 10.0**2)
        - 0.5 * (np.sum(y**2) / s**2 - prec * mean**2)
    )
    dens = np.exp(log_marg - log_marg.max())
    low, high = hdi_of_grid(s, dens, 0.94)
    assert post.hdi()["sigma"] == pytest.approx((low, high), abs=2e-3)
