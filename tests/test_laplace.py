"""bayesgd.laplace: Gaussians at the mode against closed forms, quadrature and exact evidence."""

from __future__ import annotations

import dataclasses
import itertools
import warnings

import numpy as np
import pytest
from scipy import integrate, optimize, stats
from scipy.special import expit, logit

import bayesgd as bg
from bayesgd.conjugate import conjugate
from bayesgd.laplace import LaplacePosterior, NotPositiveDefiniteError, SupportWarning, laplace
from bayesgd.map import map_estimate

_Y = np.array([0.3, 1.2, -0.5, 2.0, 0.9])


def _normal_normal():
    return bg.Normal(y=_Y, mu=stats.norm(0.5, 2.0), sigma=1.3)


# ------------------------------------------------------------------ exact for Gaussians


@pytest.mark.parametrize("space", ["unconstrained", "constrained"])
def test_normal_normal_is_exact(space):
    post = laplace(_normal_normal(), space=space)
    prec = 1 / 2.0**2 + _Y.size / 1.3**2
    mean = (0.5 / 2.0**2 + _Y.sum() / 1.3**2) / prec
    assert post.mean()["mu"] == pytest.approx(mean, rel=1e-8)
    assert post.sd()["mu"] == pytest.approx(prec**-0.5, rel=1e-8)
    assert post.mode()["mu"] == pytest.approx(mean, rel=1e-8)
    q = post.quantile([0.05, 0.5, 0.9])["mu"]
    np.testing.assert_allclose(q, stats.norm(mean, prec**-0.5).ppf([0.05, 0.5, 0.9]), rtol=1e-8)
    low, high = post.hdi(0.9)["mu"]
    assert low == pytest.approx(stats.norm(mean, prec**-0.5).ppf(0.05), rel=1e-8)
    assert high == pytest.approx(stats.norm(mean, prec**-0.5).ppf(0.95), rel=1e-8)
    # the evidence: y ~ MvNormal(m0 1, sigma^2 I + s0^2 11')
    cov = 1.3**2 * np.eye(_Y.size) + 2.0**2
    exact = stats.multivariate_normal(np.full(_Y.size, 0.5), cov).logpdf(_Y)
    assert post.log_evidence == pytest.approx(exact, rel=1e-8, abs=1e-8)
    assert post.log_evidence == pytest.approx(conjugate(_normal_normal()).log_evidence, rel=1e-8)
    assert post.method == "laplace" and post.space == space
    assert isinstance(post, LaplacePosterior) and isinstance(post, bg.posterior.Posterior)


def test_linear_regression_known_sigma_is_exact():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(30, 2))
    y = X @ [1.0, -2.0] + rng.normal(0, 0.7, size=30)
    m = bg.LinearRegression(
        X=X, y=y, coef=stats.multivariate_normal(np.zeros(2), 4 * np.eye(2)), sigma=0.7
    )
    post = laplace(m)
    prec = X.T @ X / 0.49 + np.eye(2) / 4
    cov = np.linalg.inv(prec)
    np.testing.assert_allclose(post.cov, cov, rtol=1e-8)
    np.testing.assert_allclose(post.mean()["coef"], cov @ (X.T @ y / 0.49), rtol=1e-8)
    exact = stats.multivariate_normal(np.zeros(30), 0.49 * np.eye(30) + 4 * X @ X.T).logpdf(y)
    assert post.log_evidence == pytest.approx(exact, rel=1e-8)


# ------------------------------------------------------------------------ constrained


def test_constrained_beta_sd_is_the_curvature():
    a, b, k, n = 2.0, 2.0, 7, 10  # posterior Beta(9, 5): mode 2/3
    post = laplace(bg.Binomial(k=k, n=n, p=stats.beta(a, b)), space="constrained")
    p = 8 / 12
    curvature = (k + a - 1) / p**2 + (n - k + b - 1) / (1 - p) ** 2  # -d2/dp2 log density
    assert post.mean()["p"] == pytest.approx(p, rel=1e-9)
    assert post.mode()["p"] == pytest.approx(p, rel=1e-9)
    assert post.sd()["p"] == pytest.approx(curvature**-0.5, rel=1e-8)
    assert post.hessian[0, 0] == pytest.approx(curvature, rel=1e-8)
    assert post.map_result.jacobian is False
    # evidence: log p(D) ~ log p(D | p*) + log p(p*) + 1/2 log(2 pi / curvature)
    approx = (
        stats.binom.logpmf(k, n, p)
        + stats.beta(a, b).logpdf(p)
        + 0.5 * np.log(2 * np.pi / curvature)
    )
    assert post.log_evidence == pytest.approx(approx, rel=1e-10)


def test_constrained_warns_when_it_leaves_the_support():
    # Beta(2, 20) posterior, MAP 1/20: the Gaussian on p has 15% of its mass below 0
    m = bg.Binomial(k=1, n=20, p=stats.beta(1, 1))
    with pytest.warns(SupportWarning, match=r"leaves the support.*space='unconstrained'"):
        post = laplace(m, space="constrained")
    mean, sd = post.mean()["p"], post.sd()["p"]
    assert mean == pytest.approx(0.05, rel=1e-9)
    assert sd == pytest.approx((1 / 0.05**2 + 19 / 0.95**2) ** -0.5, rel=1e-8)
    exact = stats.norm.cdf(0, mean, sd) + stats.norm.sf(1, mean, sd)
    assert post.mass_outside["p"] == pytest.approx(exact, rel=1e-12)
    assert exact > 0.1
    # the answers are still those of the Gaussian, impossible values included
    assert post.quantile(0.01)["p"] == pytest.approx(stats.norm.ppf(0.01, mean, sd), rel=1e-9)
    assert post.hdi(0.94)["p"][0] < 0
    # the unconstrained approximation stays inside and does not warn
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        inside = laplace(m, space="unconstrained")
    assert inside.hdi(0.94)["p"][0] > 0


def test_constrained_inside_the_support_is_quiet():
    # Beta(9, 5): 0.7% of the Gaussian's mass is above 1, under the 1% limit
    m = bg.Binomial(k=7, n=10, p=stats.beta(2, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        post = laplace(m, space="constrained")
    mean, sd = post.mean()["p"], post.sd()["p"]
    exact = stats.norm.cdf(0, mean, sd) + stats.norm.sf(1, mean, sd)
    assert post.mass_outside["p"] == pytest.approx(exact, rel=1e-12)
    assert 0.001 < exact < 0.01
    # a simplex: the last entry counts too; the per-element masses are exact Normal tails
    m = bg.Categorical(y=[0, 1, 1, 2, 2, 2, 2], p=stats.dirichlet([1.0, 1.0, 1.0]))
    with pytest.warns(SupportWarning, match=r"p\[0\]"):
        post = laplace(m, space="constrained")
    mean, sd = post.mean()["p"], post.sd()["p"]
    exact = stats.norm.cdf(0, mean, sd) + stats.norm.sf(1, mean, sd)
    np.testing.assert_allclose(post.mass_outside["p"], exact, rtol=1e-10)


def test_constrained_simplex_last_entry():
    m = bg.Categorical(y=[0, 1, 1, 2, 2, 2, 2], p=stats.dirichlet([2.0, 2.0, 2.0]))
    with pytest.warns(SupportWarning, match=r"p\[0\]: 5.69% outside"):
        post = laplace(m, space="constrained")
    alpha = np.array([3.0, 4.0, 6.0])
    mode = (alpha - 1) / (alpha.sum() - 3)
    np.testing.assert_allclose(post.mean()["p"], mode, rtol=1e-8)
    # Hessian of -sum (alpha - 1) log p with p_3 = 1 - p_1 - p_2
    w = (alpha - 1) / mode**2
    H = np.diag(w[:2]) + w[2]
    cov = np.linalg.inv(H)
    sd = np.sqrt(np.append(np.diag(cov), cov.sum()))
    np.testing.assert_allclose(post.sd()["p"], sd, rtol=1e-8)
    draws = post.sample(4000, rng=1)["p"]
    np.testing.assert_allclose(draws.sum(axis=1), 1.0, rtol=1e-12)
    assert post.coordinate_names == ["p[0]", "p[1]"]


# ---------------------------------------------------------------------- unconstrained


def test_unconstrained_gamma_poisson_is_its_lognormal():
    k = np.array([3, 5, 4, 7])
    a, rate = 2.0, 1.5
    m = bg.Poisson(k=k, mu=stats.gamma(a, scale=1 / rate))
    post = laplace(m)
    alpha, beta = a + k.sum(), rate + k.size
    # density of u = log mu ~ exp(alpha u - beta e^u): mode log(alpha/beta), curvature alpha
    ln = stats.lognorm(s=alpha**-0.5, scale=alpha / beta)
    assert post.mean_vector[0] == pytest.approx(np.log(alpha / beta), rel=1e-9)
    assert post.cov[0, 0] == pytest.approx(1 / alpha, rel=1e-8)
    assert post.mean()["mu"] == pytest.approx(ln.mean(), rel=1e-8)
    assert post.sd()["mu"] == pytest.approx(ln.std(), rel=1e-8)
    np.testing.assert_allclose(
        post.quantile([0.025, 0.5, 0.975])["mu"], ln.ppf([0.025, 0.5, 0.975]), rtol=1e-8
    )
    assert post.mode()["mu"] == pytest.approx(np.exp(np.log(alpha / beta) - 1 / alpha), rel=1e-8)
    # shortest 90% interval of the lognormal, by brute force
    width = lambda t: ln.ppf(t + 0.9) - ln.ppf(t)  # noqa: E731
    t = optimize.minimize_scalar(
        width, bounds=(0, 0.1), method="bounded", options={"xatol": 1e-12}
    ).x
    low, high = post.hdi(0.9)["mu"]
    assert low == pytest.approx(ln.ppf(t), rel=1e-7)
    assert high == pytest.approx(ln.ppf(t + 0.9), rel=1e-7)
    # Laplace evidence in u: -L(u*) + 1/2 log(2 pi / alpha), L with -log|J| = -u
    mu = alpha / beta
    log_joint = (
        stats.poisson.logpmf(k, mu).sum() + stats.gamma(a, scale=1 / rate).logpdf(mu) + np.log(mu)
    )
    assert post.log_evidence == pytest.approx(
        log_joint + 0.5 * np.log(2 * np.pi / alpha), rel=1e-10
    )
    assert post.map_result.jacobian is True


def test_unconstrained_logit_normal_against_quadrature():
    m = bg.Binomial(k=7, n=10, p=stats.beta(2, 2))
    post = laplace(m)
    mu_u = post.mean_vector[0]
    s = np.sqrt(post.cov[0, 0])
    assert mu_u == pytest.approx(logit(9 / 14), rel=1e-9)  # Jacobian-adjusted centre
    assert s == pytest.approx((14 * (9 / 14) * (5 / 14)) ** -0.5, rel=1e-8)

    def density(p):
        return stats.norm(mu_u, s).pdf(logit(p)) / (p * (1 - p))

    mean = integrate.quad(lambda p: p * density(p), 0, 1, epsabs=1e-13)[0]
    var = integrate.quad(lambda p: (p - mean) ** 2 * density(p), 0, 1, epsabs=1e-13)[0]
    assert post.mean()["p"] == pytest.approx(mean, rel=1e-9)
    assert post.sd()["p"] == pytest.approx(np.sqrt(var), rel=1e-8)
    assert post.median()["p"] == pytest.approx(9 / 14, rel=1e-9)
    assert post.quantile(0.1)["p"] == pytest.approx(expit(mu_u + s * stats.norm.ppf(0.1)))
    low, high = post.hdi(0.9)["p"]
    assert integrate.quad(density, low, high)[0] == pytest.approx(0.9, rel=1e-8)
    assert density(low) == pytest.approx(density(high), rel=1e-6)  # equal height: shortest
    mode = optimize.minimize_scalar(
        lambda p: -density(p), bounds=(0.3, 0.9), method="bounded", options={"xatol": 1e-12}
    ).x
    assert post.mode()["p"] == pytest.approx(mode, rel=1e-7)


def test_unconstrained_upper_bound_transform():
    # mu ~ truncnorm with support (-inf, 2.5): u = log(2.5 - mu), a decreasing map
    m = bg.Normal(y=_Y, mu=stats.truncnorm(-np.inf, 1.0, loc=0.5, scale=2.0), sigma=1.3)
    post = laplace(m)
    mu_u, s = post.mean_vector[0], np.sqrt(post.cov[0, 0])
    q = post.quantile([0.1, 0.9])["mu"]
    np.testing.assert_allclose(q, 2.5 - np.exp(mu_u + s * stats.norm.ppf([0.9, 0.1])), rtol=1e-10)
    assert post.mean()["mu"] == pytest.approx(2.5 - np.exp(mu_u + s**2 / 2), rel=1e-10)
    low, high = post.hdi(0.8)["mu"]
    ln = stats.lognorm(s=s, scale=np.exp(mu_u))  # the law of 2.5 - mu
    assert low < high < 2.5
    assert ln.cdf(2.5 - low) - ln.cdf(2.5 - high) == pytest.approx(0.8, rel=1e-8)
    assert ln.pdf(2.5 - low) == pytest.approx(ln.pdf(2.5 - high), rel=1e-6)  # shortest


def test_unconstrained_simplex_from_draws():
    m = bg.Categorical(y=[0, 1, 1, 2, 2, 2, 2], p=stats.dirichlet([2.0, 2.0, 2.0]))
    post = laplace(m)
    mean = post.mean()["p"]
    assert mean.sum() == pytest.approx(1.0, rel=1e-12)
    draws = post.sample(20_000, rng=3)["p"]
    np.testing.assert_allclose(mean, draws.mean(axis=0), atol=0.005)
    np.testing.assert_allclose(post.sd()["p"], draws.std(axis=0), rtol=0.03)
    low, high = post.hdi(0.9)["p"]
    assert np.all((low > 0) & (high < 1) & (low < high))
    # deterministic: summaries use a fixed seed
    assert np.array_equal(post.quantile(0.3)["p"], laplace(m).quantile(0.3)["p"])
    # the pushforward mode is near the Dirichlet(3, 4, 6) mode (2, 3, 5)/10
    np.testing.assert_allclose(post.mode()["p"], [0.2, 0.3, 0.5], atol=0.02)
    assert post.mode()["p"].sum() == pytest.approx(1.0)


def test_samples_and_summary():
    m = bg.Normal(y=_Y, mu=stats.norm(0, 10), sigma=stats.halfnorm(scale=3))
    post = laplace(m)
    draws = post.sample((2000, 2), rng=np.random.default_rng(0))
    assert draws["mu"].shape == (2000, 2) and draws["sigma"].shape == (2000, 2)
    assert np.all(draws["sigma"] > 0)
    again = post.sample((2000, 2), rng=np.random.default_rng(0))
    assert np.array_equal(draws["mu"], again["mu"])
    z = np.log(draws["sigma"]).reshape(-1)
    assert z.mean() == pytest.approx(post.mean_vector[1], abs=0.05)
    table = post.summary()
    assert list(table.index) == ["mu", "sigma"]
    assert {"mean", "sd", "mode", "median", "hdi_3%", "hdi_97%"} <= set(table.columns)
    assert post.coordinate_names == ["u[mu]", "u[sigma]"]
    assert "LaplacePosterior" in repr(post)


# --------------------------------------------------------------------------- failures


def test_non_positive_definite_hessian():
    # a saddle at the start (0, 0): zero gradient, negative curvature along b
    def loglik(a, b):
        a, b = np.asarray(a), np.asarray(b)
        return -(a**2) + 1.5 * b**2 * np.exp(-(b**2))

    def grad(a, b):
        a, b = np.asarray(a), np.asarray(b)
        return {"a": -2 * a, "b": 1.5 * np.exp(-(b**2)) * (2 * b - 2 * b**3)}

    m = bg.Model(
        priors={"a": stats.norm(0, 1), "b": stats.norm(0, 1)},
        log_likelihood=loglik,
        grad_log_likelihood=grad,
    )
    for space in ("constrained", "unconstrained"):
        # map_estimate does not stop at the saddle (it probes the curvature there) ...
        fit = map_estimate(m, jacobian=space == "unconstrained")
        assert fit.converged and abs(fit.params["b"]) > 0.5
        assert laplace(m, space=space, map_result=fit).sd()["b"] > 0
        # ... but a Laplace approximation centred on the saddle is refused
        saddle = dataclasses.replace(fit, params={"a": 0.0, "b": 0.0}, u=np.zeros(2))
        with pytest.raises(
            NotPositiveDefiniteError, match=r"not positive definite.*along (u\[)?b"
        ):
            laplace(m, space=space, map_result=saddle)
    assert issubclass(NotPositiveDefiniteError, np.linalg.LinAlgError)
    assert issubclass(NotPositiveDefiniteError, ValueError)


def test_argument_errors():
    m = _normal_normal()
    with pytest.raises(ValueError, match="space"):
        laplace(m, space="latent")
    with pytest.raises(TypeError, match="jacobian"):
        laplace(m, jacobian=True)
    fit = map_estimate(m)
    with pytest.raises(ValueError, match="jacobian=True"):
        laplace(m, map_result=fit)  # unconstrained needs the Jacobian-adjusted mode
    post = laplace(m, space="constrained", map_result=fit)
    assert post.map_result is fit
    with pytest.raises(ValueError, match="another model"):
        laplace(_normal_normal(), space="constrained", map_result=fit)
    with pytest.raises(TypeError, match="map_result"):
        laplace(m, space="constrained", map_result=fit, optimizer="bb")
    with pytest.raises(ValueError, match="edge of the support"):
        with pytest.warns(bg.BoundaryWarning):
            laplace(bg.Bernoulli(y=[0, 0, 0], p=stats.beta(1, 1)), space="constrained")


def test_map_options_pass_through():
    post = laplace(_normal_normal(), optimizer="bb", tol=1e-12)
    assert post.map_result.optimizer == "bb"


def test_mode_of_a_pushed_forward_gaussian_with_two_modes():
    """A wide Gaussian on the logit scale is bimodal in p; its mean is a stationary point at
    the lowest density between the modes, which must not be reported as the mode."""
    lp = bg.laplace(bg.Bernoulli(y=np.zeros(0, int), p=stats.beta(0.6, 0.6)))
    m, s = float(lp.mean_vector[0]), float(np.sqrt(lp.cov[0, 0]))
    p = np.linspace(1e-6, 1 - 1e-6, 2_000_001)
    u = np.log(p) - np.log1p(-p)
    density = stats.norm(m, s).pdf(u) / (p * (1 - p))  # the density of p = expit(u)
    best = p[np.argmax(density)]
    mode = lp.mode()["p"]
    assert min(abs(mode - best), abs(mode - (1 - best))) < 1e-5  # either of the two modes
    assert np.interp(mode, p, density) == pytest.approx(density.max(), rel=1e-6)


def test_probability_vector_quantiles_zero_and_one_are_the_support_ends():
    """A logistic-normal on the simplex has support (0, 1) in every component."""
    lap = bg.laplace(bg.Multinomial(x=[[3, 1, 0], [2, 2, 1]], p=stats.dirichlet([1.0, 2.0, 3.0])))
    q = lap.quantile([0.0, 0.5, 1.0])["p"]
    np.testing.assert_array_equal(q[0], 0.0)
    np.testing.assert_array_equal(q[2], 1.0)
    draws = lap.sample(20_000, rng=4)["p"]
    np.testing.assert_allclose(q[1], np.median(draws, axis=0), atol=0.01)
    assert lap.quantile([[0.0, 1.0]])["p"].shape == (1, 2, 3)


# ------------------------------------------------------- badly scaled data (issue 13, 13)


def _cpunish():
    import statsmodels.api as sm

    d = sm.datasets.cpunish.load_pandas().data
    X = d[["INCOME", "PERPOVERTY", "PERBLACK", "VC100k96", "SOUTH", "DEGREE"]].to_numpy(float)
    X[:, 3] = np.log(X[:, 3])  # statsmodels' Poisson example: income in dollars
    y = d["EXECUTIONS"].to_numpy()
    fit = sm.GLM(y, sm.add_constant(X), family=sm.families.Poisson()).fit(tol=1e-12)
    return X, y, fit


def _poisson_custom(X, y, d):
    """The same Poisson regression as a custom model: no analytic Hessian, so the Laplace
    Hessian comes from differences of the gradient."""

    def loglik(coef, intercept):
        eta = np.asarray(coef) @ X.T + np.asarray(intercept)[..., None]
        return (y * eta - np.exp(eta)).sum(axis=-1)

    def grad(coef, intercept):
        r = y - np.exp(np.asarray(coef) @ X.T + np.asarray(intercept)[..., None])
        return {"coef": r @ X, "intercept": r.sum(axis=-1)}

    return bg.Model(
        priors={"coef": stats.norm(0, 1e6), "intercept": stats.norm(0, 1e6)},
        log_likelihood=loglik,
        grad_log_likelihood=grad,
        shapes={"coef": (d,)},
    )


@pytest.mark.parametrize("space", ["constrained", "unconstrained"])
@pytest.mark.parametrize("kind", ["glm", "custom"])
def test_poisson_income_in_dollars_matches_statsmodels(space, kind):
    X, y, fit = _cpunish()
    if kind == "glm":
        m = bg.PoissonRegression(X=X, y=y, coef=stats.norm(0, 1e6), intercept=stats.norm(0, 1e6))
    else:
        m = _poisson_custom(X, y, X.shape[1])
    post = laplace(m, space=space)
    mean = np.r_[post.mean()["intercept"], post.mean()["coef"]]
    sd = np.r_[post.sd()["intercept"], post.sd()["coef"]]
    np.testing.assert_allclose(mean, fit.params, rtol=1e-7)
    # a 1e6 prior sd moves these by < 1e-9; statsmodels' IRLS stops ~1e-7 short
    np.testing.assert_allclose(sd, fit.bse, rtol=1e-6)


@pytest.mark.parametrize("width", [1e3, 1e4])
def test_poisson_regression_sd_is_inverse_fisher_information(width):
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1000, 200)
    y = rng.poisson(np.exp(0.5 + 0.002 * x))
    x = x * width / 1e3
    m = bg.PoissonRegression(
        X=x[:, None], y=y, coef=stats.norm(0, 1e6), intercept=stats.norm(0, 1e6)
    )
    post = laplace(m, space="constrained")
    Xa = np.column_stack([x, np.ones_like(x)])
    mu = np.exp(Xa @ np.r_[post.mean()["coef"], post.mean()["intercept"]])
    exact = np.sqrt(np.diag(np.linalg.inv(Xa.T @ (Xa * mu[:, None]))))
    sd = np.r_[post.sd()["coef"], post.sd()["intercept"]]
    np.testing.assert_allclose(sd, exact, rtol=1e-6)  # was +2.1% (1e3), NotPositiveDefinite


# ------------------------------------------------ poorly identified modes (issue 13, 18)


def test_perceptron_mode_wider_than_the_prior_warns():
    rng = np.random.default_rng(3)
    X = rng.uniform(-2, 2, (20, 1))
    y = (rng.random(20) < expit(3 * np.sin(2 * X[:, 0]))).astype(int)
    m = bg.Perceptron(X, y, hidden=3, weights=stats.norm(0, 1.5), biases=stats.norm(0, 1.5))
    for space in ("constrained", "unconstrained"):
        with pytest.warns(bg.NearSingularWarning, match="wider than the prior") as caught:
            post = laplace(m, space=space)
        # the truth: a Laplace sd (inverse Hessian) far above the prior sd 1.5 of a weight
        sd = np.sqrt(np.diag(post.cov))
        assert sd.max() > 2 * 1.5
        assert "vs prior sd 1.5" in str(caught[0].message)


def test_flat_ridge_warns():
    # only a + b is identified; the vague priors pin the ridge down 1e12 times less
    def loglik(a, b):
        return -50.0 * (np.asarray(a) + np.asarray(b) - 1.0) ** 2

    def grad(a, b):
        r = -100.0 * (np.asarray(a) + np.asarray(b) - 1.0)
        return {"a": r, "b": r}

    m = bg.Model(
        priors={"a": stats.norm(0, 1e5), "b": stats.norm(0, 1e5)},
        log_likelihood=loglik,
        grad_log_likelihood=grad,
    )
    with pytest.warns(bg.NearSingularWarning, match="nearly flat direction"):
        post = laplace(m, space="constrained")
    H = np.array([[100 + 1e-10, 100], [100, 100 + 1e-10]])  # exact
    np.testing.assert_allclose(post.hessian, H, rtol=1e-6)


def test_well_identified_modes_do_not_warn():
    X, y, _ = _cpunish()
    m = bg.PoissonRegression(X=X, y=y, coef=stats.norm(0, 1e6), intercept=stats.norm(0, 1e6))
    with warnings.catch_warnings():
        warnings.simplefilter("error", bg.NearSingularWarning)
        laplace(m, space="constrained")
        laplace(_normal_normal())
        laplace(bg.Binomial(k=7, n=10, p=stats.beta(2, 2)))


# ----------------------------------------------------------- marginal densities (plots)


def _marginal_cases():
    rng = np.random.default_rng(8)
    X = rng.normal(size=(30, 2))
    y = rng.normal(X @ [1.0, -0.5], 0.7)
    reg = bg.LinearRegression(X=X, y=y, coef=stats.norm(0, 5), sigma=stats.halfnorm(scale=2))
    cat = bg.Categorical(y=[0, 1, 1, 2, 2, 2, 3], p=stats.dirichlet([1.0, 1.0, 1.0, 1.0]))
    bern = bg.Bernoulli(y=[1, 0, 1, 1, 0, 1], p=stats.beta(2, 2))
    return [
        (reg, "coef[1]"),
        (reg, "sigma"),
        (bern, "p"),
        (cat, "p[0]"),
        (cat, "p[2]"),
        (cat, "p[3]"),
    ]


@pytest.mark.parametrize("space", ["unconstrained", "constrained"])
@pytest.mark.parametrize("case", range(6))
def test_marginal_pdf_integrates_to_one_and_matches_draws(space, case):
    model, element = _marginal_cases()[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SupportWarning)
        post = laplace(model, space=space)
    name = element.split("[")[0]
    k = int(element[element.index("[") + 1 : -1]) if "[" in element else None
    draws = post.sample(100_000, rng=3)[name]
    draws = draws[:, k] if k is not None else draws
    lo, hi = np.quantile(draws, [1e-4, 1 - 1e-4])
    if space == "unconstrained" and name == "p":
        lo, hi = 0.0, 1.0  # the push-forward lives on (0, 1)
    elif space == "unconstrained" and name == "sigma":
        lo, hi = 0.0, 2 * hi
    else:
        width = hi - lo
        lo, hi = lo - width, hi + width
    total, err = integrate.quad(lambda t: float(post.marginal_pdf(element, t)), lo, hi, limit=200)
    assert total == pytest.approx(1.0, abs=2e-6 + 2 * err)
    # against a histogram of draws: each bin's mass within 5 binomial sds
    edges = np.quantile(draws, np.linspace(0.02, 0.98, 13))
    counts, _ = np.histogram(draws, edges)
    mass = np.array(
        [
            integrate.quad(lambda t: float(post.marginal_pdf(element, t)), a, b)[0]
            for a, b in itertools.pairwise(edges)
        ]
    )
    n = draws.size
    assert np.all(np.abs(counts / n - mass) <= 5 * np.sqrt(mass * (1 - mass) / n) + 1e-4)
    assert post.marginal_pdf(element, np.zeros((2, 3))).shape == (2, 3)


def test_marginal_pdf_names_the_element_it_needs():
    post = laplace(_normal_normal())
    with pytest.raises(ValueError, match="element label"):
        post.marginal_pdf("sigma", 1.0)
    with pytest.raises(TypeError, match="element"):
        post.marginal_pdf(0, 1.0)
    m, s = post.mean()["mu"], post.sd()["mu"]
    np.testing.assert_allclose(
        post.marginal_pdf("mu", [m, m + s]), stats.norm(m, s).pdf([m, m + s]), rtol=1e-12
    )


@pytest.mark.parametrize("space", ["unconstrained", "constrained"])
def test_returned_arrays_do_not_alias_the_posterior(space):
    m = bg.LogisticRegression(
        X=np.array([[0.0], [1.0], [2.0], [3.0]]),
        y=[0, 1, 0, 1],
        coef=stats.norm(0, 2.5),
        intercept=stats.norm(0, 5),
    )
    post = laplace(m, space=space)
    before = post.summary()
    for answer in (post.mean(), post.sd(), post.mode(), post.median()):
        for value in answer.values():
            if isinstance(value, np.ndarray) and value.flags.writeable:  # else read-only
                value[...] = 123.0
    pd_testing = pytest.importorskip("pandas").testing
    pd_testing.assert_frame_equal(post.summary(), before)
    for attr in ("mean_vector", "cov", "hessian"):
        with pytest.raises(ValueError, match="read-only"):
            getattr(post, attr)[...] = 0.0
