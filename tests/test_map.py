"""bayesgd.map: gradient descent reaches the closed-form modes, and fails loudly when it should."""

from __future__ import annotations

import json
import re
import tracemalloc
import warnings

import numpy as np
import pytest
from scipy import optimize, stats
from scipy.special import expit

import bayesgd as bg
from bayesgd import optim
from bayesgd.conjugate import conjugate
from bayesgd.errors import BoundaryWarning, ConvergenceWarning, DivergenceError
from bayesgd.map import MAPResult, central_point, map_estimate
from bayesgd.space import UnconstrainedSpace

_RNG = np.random.default_rng(3)
_Y = _RNG.normal(1.0, 1.5, size=25)


def _family_cases():
    """(name, model, closed-form joint mode) for every conjugate family."""
    cases = []
    y = np.array([1, 0, 1, 1, 0, 1, 1])
    a, b = 2.0, 3.0
    s, f = y.sum(), y.size - y.sum()
    cases.append(
        (
            "beta_bernoulli",
            bg.Bernoulli(y=y, p=stats.beta(a, b)),
            {"p": (s + a - 1) / (s + f + a + b - 2)},
        )
    )
    cases.append(
        ("beta_binomial", bg.Binomial(k=[7, 3], n=[10, 5], p=stats.beta(2, 2)), {"p": 11 / 17})
    )
    k = np.array([1, 4, 2, 7])
    cases.append(
        (
            "beta_geometric",
            bg.Geometric(k=k, p=stats.beta(1.5, 1.5)),
            {"p": (4 + 0.5) / (k.sum() + 1.0)},
        )
    )
    k = np.array([4, 6, 3])
    cases.append(
        (
            "beta_negbin",
            bg.NegativeBinomial(k=k, r=3, p=stats.beta(2, 2)),
            {"p": (9 + 1) / (9 + k.sum() + 2)},
        )
    )
    k, t = np.array([2, 5, 3]), np.array([1.0, 2.0, 0.5])
    cases.append(
        (
            "gamma_poisson",
            bg.Poisson(k=k, exposure=t, mu=stats.gamma(2, scale=1)),
            {"mu": (2 + k.sum() - 1) / (1 + t.sum())},
        )
    )
    yy = np.array([0.5, 1.5, 0.2])
    cases.append(
        (
            "gamma_exponential",
            bg.Exponential(y=yy, lam=stats.gamma(2, scale=0.5)),
            {"lam": (2 + 3 - 1) / (2 + yy.sum())},
        )
    )
    m0, s0, sig = 0.5, 2.0, 1.5
    prec = 1 / s0**2 + _Y.size / sig**2
    cases.append(
        (
            "normal_known_sigma",
            bg.Normal(y=_Y, mu=stats.norm(m0, s0), sigma=sig),
            {"mu": (m0 / s0**2 + _Y.sum() / sig**2) / prec},
        )
    )
    a0, b0, mu = 3.0, 2.0, 1.0
    an, bn = a0 + _Y.size / 2, b0 + np.sum((_Y - mu) ** 2) / 2
    cases.append(
        (
            "invgamma_sigma2",
            bg.Normal(y=_Y, mu=mu, sigma2=stats.invgamma(a0, scale=b0)),
            {"sigma2": bn / (an + 1)},
        )
    )
    mu0, lam, a0, b0 = 0.0, 1.0, 2.0, 2.0
    n, ybar = _Y.size, _Y.mean()
    lam_n = lam + n
    mu_n = (lam * mu0 + n * ybar) / lam_n
    a_n = a0 + n / 2
    b_n = b0 + 0.5 * (np.sum((_Y - ybar) ** 2) + lam * n * (ybar - mu0) ** 2 / lam_n)
    cases.append(
        (
            "nig_joint",
            bg.Normal(y=_Y, prior=stats.normal_inverse_gamma(mu0, lam, a0, b0)),
            {"mu": mu_n, "sigma2": b_n / (a_n + 1.5)},
        )
    )
    alpha = np.array([1.5, 2.0, 1.2, 3.0])
    labels = np.array([0, 1, 1, 2, 2, 2, 3])
    post = alpha + np.bincount(labels, minlength=4)
    cases.append(
        (
            "dirichlet_categorical",
            bg.Categorical(y=labels, p=stats.dirichlet(alpha)),
            {"p": (post - 1) / (post.sum() - 4)},
        )
    )
    x = np.array([[3, 1, 0], [2, 2, 1]])
    post = 2.0 + x.sum(axis=0)
    cases.append(
        (
            "dirichlet_multinomial",
            bg.Multinomial(x=x, p=stats.dirichlet([2, 2, 2])),
            {"p": (post - 1) / (post.sum() - 3)},
        )
    )
    return cases


CASES = _family_cases()
CASE_IDS = [c[0] for c in CASES]


def _assert_mode(params, expected, rtol):
    assert set(params) == set(expected)
    for name, value in expected.items():
        np.testing.assert_allclose(params[name], value, rtol=rtol, atol=0, err_msg=name)


def _lam_max(model, expected):
    space = UnconstrainedSpace(model)
    u = space.to_unconstrained(expected)
    return float(np.max(np.linalg.eigvalsh(space.hessian(u))))


# ------------------------------------------------------------------- closed-form modes


@pytest.mark.parametrize(("name", "model", "expected"), CASES, ids=CASE_IDS)
def test_default_optimizer_reaches_mode_to_1e8(name, model, expected):
    fit = map_estimate(model)
    assert fit.converged and not fit.at_boundary
    assert fit.optimizer == optim.DEFAULT_OPTIMIZER
    _assert_mode(fit.params, expected, 1e-8)
    assert fit.jacobian is False


@pytest.mark.parametrize(("name", "model", "expected"), CASES, ids=CASE_IDS)
def test_closed_forms_agree_with_conjugate_module(name, model, expected):
    _assert_mode(conjugate(model).mode(), expected, 1e-12)


@pytest.mark.parametrize(
    "opt", ["gd", "momentum", "nesterov", "adam", "backtracking", "bb", "lbfgs"]
)
@pytest.mark.parametrize(("name", "model", "expected"), CASES, ids=CASE_IDS)
def test_every_optimizer_reaches_every_mode(opt, name, model, expected):
    kwargs: dict = {"record": False}
    if opt in ("gd", "momentum", "nesterov"):
        # a fixed step from the curvature at the mode: 1 / largest eigenvalue of the Hessian
        kwargs.update(lr=1.0 / _lam_max(model, expected), max_iter=20_000, tol=1e-9)
    elif opt == "adam":
        kwargs.update(lr=0.02, max_iter=20_000, tol=1e-9)
    optimizer = opt
    if opt == "backtracking":
        # the default growth factor 2 zig-zags across the minimum (Armijo accepts steps up to
        # ~2/curvature) and can take thousands of iterations; a gentler growth does not
        optimizer = optim.backtracking(grow=1.2)
    fit = map_estimate(model, optimizer=optimizer, **kwargs)
    assert fit.converged, fit.message
    assert fit.optimizer == opt
    _assert_mode(fit.params, expected, 1e-6)


def test_optimizer_object_and_lr():
    model, expected = CASES[1][1], CASES[1][2]
    fit = map_estimate(model, optimizer=optim.gd(lr=0.2), record=False)
    assert fit.optimizer == "gd"
    _assert_mode(fit.params, expected, 1e-8)
    with pytest.raises(ValueError, match="lr"):
        map_estimate(model, optimizer=optim.gd(lr=0.2), lr=0.1)


# ------------------------------------------------------------------- regressions vs scipy


def _scipy_map(neg_log_post, grad, d):
    res = optimize.minimize(
        neg_log_post,
        np.zeros(d),
        jac=grad,
        method="L-BFGS-B",
        options={"maxiter": 10_000, "gtol": 1e-12, "ftol": 1e-16},
    )
    return res.x


def test_logistic_regression_matches_scipy():
    rng = np.random.default_rng(11)
    X = rng.normal(size=(300, 4)) * [1.0, 2.0, 0.5, 1.0]
    y = (rng.random(300) < expit(0.4 + X @ [1.0, -0.5, 0.8, 0.0])).astype(int)

    def nlp(w):
        eta = w[4] + X @ w[:4]
        return -(
            stats.bernoulli.logpmf(y, expit(eta)).sum()
            + stats.norm(0, 2.5).logpdf(w[:4]).sum()
            + stats.norm(0, 5).logpdf(w[4])
        )

    def grad(w):
        r = y - expit(w[4] + X @ w[:4])
        return -np.append(X.T @ r - w[:4] / 2.5**2, r.sum() - w[4] / 25)

    ref = _scipy_map(nlp, grad, 5)
    fit = map_estimate(
        bg.LogisticRegression(X=X, y=y, coef=stats.norm(0, 2.5), intercept=stats.norm(0, 5))
    )
    assert fit.converged
    np.testing.assert_allclose(fit.params["coef"], ref[:4], rtol=1e-6, atol=1e-9)
    assert fit.params["intercept"] == pytest.approx(ref[4], rel=1e-6)


def test_poisson_regression_matches_scipy():
    rng = np.random.default_rng(12)
    X = rng.normal(size=(200, 3))
    off = np.log(rng.uniform(0.5, 2.0, size=200))
    y = rng.poisson(np.exp(0.3 + off + X @ [0.5, -0.3, 0.2]))

    def nlp(w):
        eta = w[3] + off + X @ w[:3]
        return -(
            stats.poisson.logpmf(y, np.exp(eta)).sum()
            + stats.norm(0, 1).logpdf(w[:3]).sum()
            + stats.norm(0, 5).logpdf(w[3])
        )

    def grad(w):
        r = y - np.exp(w[3] + off + X @ w[:3])
        return -np.append(X.T @ r - w[:3], r.sum() - w[3] / 25)

    ref = _scipy_map(nlp, grad, 4)
    fit = map_estimate(
        bg.PoissonRegression(
            X=X, y=y, coef=stats.norm(0, 1), intercept=stats.norm(0, 5), offset=off
        )
    )
    np.testing.assert_allclose(fit.params["coef"], ref[:3], rtol=1e-6)
    assert fit.params["intercept"] == pytest.approx(ref[3], rel=1e-6)


# ---------------------------------------------------------------------------- Jacobian


def test_jacobian_changes_the_mode_beta_9_5():
    m = bg.Binomial(k=7, n=10, p=stats.beta(2, 2))  # posterior Beta(9, 5)
    plain = map_estimate(m)
    adjusted = map_estimate(m, jacobian=True)
    # density of p: mode (9 - 1) / (9 + 5 - 2) = 0.6667
    assert plain.params["p"] == pytest.approx(8 / 12, rel=1e-9)
    # density of u = logit(p): Beta(p; 9, 5) p (1 - p) ~ p^9 (1 - p)^5: mode 9 / 14 = 0.6429
    assert adjusted.params["p"] == pytest.approx(9 / 14, rel=1e-9)
    assert plain.jacobian is False and adjusted.jacobian is True
    assert "Jacobian" in adjusted.mode_kind and "Jacobian" not in plain.mode_kind
    # and the loss reported is the objective minimised: -log p(theta|D) - log|J|
    space = UnconstrainedSpace(m)
    assert adjusted.loss == pytest.approx(float(space.loss(adjusted.u, jacobian=True)), rel=1e-12)


def test_jacobian_gamma_poisson():
    # Gamma(alpha, beta) posterior of mu; the density of log(mu) is ~ mu^alpha e^(-beta mu)
    m = bg.Poisson(k=[2, 5, 3], mu=stats.gamma(2, scale=1))
    alpha, beta = 12.0, 4.0
    assert map_estimate(m, jacobian=True).params["mu"] == pytest.approx(alpha / beta, rel=1e-9)
    assert map_estimate(m).params["mu"] == pytest.approx((alpha - 1) / beta, rel=1e-9)


# ------------------------------------------------------------------------ loud failures


def test_divergence_names_iteration_point_and_step():
    m = bg.Normal(y=_RNG.normal(size=50), mu=stats.norm(0, 10), sigma=1.0)  # curvature ~ 50
    with pytest.raises(DivergenceError) as info:
        map_estimate(m, optimizer="gd", lr=1.0)
    text = str(info.value)
    assert isinstance(info.value, RuntimeError)
    assert re.search(r"diverged at iteration \d+", text)
    assert "Last finite point" in text and "mu=" in text
    lr = float(re.search(r"lr=([0-9.eE+-]+)", text).group(1))
    assert 0.1 / 50 < lr < 2.0 / 50  # from the local curvature: stable for gd
    fit = map_estimate(m, optimizer="gd", lr=lr)
    assert fit.converged
    err = info.value  # the facts of the message are attributes too
    assert re.search(rf"diverged at iteration {err.iteration}:", text)
    assert err.suggested_lr == pytest.approx(lr, rel=5e-3)
    assert set(err.last_params) == {"mu"} and np.isfinite(err.last_params["mu"])
    assert f"mu={err.last_params['mu']:.10g}" in text
    assert err.reason == "blowup"


def test_divergence_to_non_finite_loss():
    m = bg.Binomial(k=7, n=10, p=stats.beta(2, 2))
    with pytest.raises(DivergenceError, match=r"iteration \d+.*loss became inf") as info:
        map_estimate(m, optimizer="gd", lr=200.0)
    err = info.value
    assert err.iteration >= 1 and err.reason == "nonfinite"
    assert 0.0 < err.last_params["p"] < 1.0


def test_unbounded_density_at_the_edge_raises_quickly():
    # One observation: sigma -> 0 with mu -> y makes the density blow up (loss -> -inf);
    # the posterior has no mode. Must stop early, not after 10,000 iterations.
    m = bg.Normal(y=[1.0], mu=stats.norm(0, 10), sigma=stats.halfnorm(scale=5))
    with pytest.raises(DivergenceError, match="unbounded as sigma") as info:
        map_estimate(m)
    err = info.value
    assert err.reason == "unbounded" and err.parameter == "sigma"
    assert err.iteration <= 200
    assert err.last_params["mu"] == pytest.approx(1.0, abs=1e-8)
    assert err.last_params["sigma"] < 1e-10
    assert "no MAP exists" in str(err)
    # the loss there is truly below anything a finite mode could give: -log p at the last
    # point is below the loss at sigma = 1e-3 (exact density from scipy)
    loss_at = -(
        stats.norm.logpdf(1.0, 1.0, 1e-3)
        + stats.norm.logpdf(1.0, 0, 10)
        + stats.halfnorm.logpdf(1e-3, scale=5)
    )
    assert (
        float(UnconstrainedSpace(m).loss(UnconstrainedSpace(m).to_unconstrained(err.last_params)))
        < loss_at
    )
    # two observations: the density is bounded and the mode is found as before
    fit = map_estimate(
        bg.Normal(y=[1.0, 2.0], mu=stats.norm(0, 10), sigma=stats.halfnorm(scale=5))
    )
    assert fit.converged and fit.params["sigma"] > 0.1


def test_finite_limit_edge_is_still_a_boundary_not_unbounded():
    # k = 0 under a flat prior: the loss tends to a finite limit as p -> 0 (u -> -inf)
    with pytest.warns(BoundaryWarning):
        fit = map_estimate(bg.Binomial(k=0, n=30, p=stats.beta(1, 1)), optimizer="gd", lr=0.01)
    assert fit.at_boundary and fit.params["p"] == 0.0


def test_convergence_warning_never_suggests_the_running_optimizer():
    m = CASES[8][1]
    with pytest.warns(ConvergenceWarning) as rec:
        map_estimate(m, max_iter=2)
    text = str(rec[0].message)
    assert "optimizer='lbfgs'" not in text and "already in use" in text
    with pytest.warns(ConvergenceWarning, match="optimizer='lbfgs'"):
        map_estimate(m, optimizer="gd", lr=1e-4, max_iter=2)


def _symmetric_mixture():
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.normal(3.0, 0.5, 100), rng.normal(-3.0, 0.5, 100)])

    def loglik(mu):
        mu = np.asarray(mu, dtype=float)[..., None]
        a, b = stats.norm.logpdf(x, mu, 0.5), stats.norm.logpdf(x, -mu, 0.5)
        return np.sum(np.logaddexp(a, b), axis=-1)

    def grad(mu):
        mu = np.asarray(mu, dtype=float)[..., None]
        a, b = stats.norm.logpdf(x, mu, 0.5), stats.norm.logpdf(x, -mu, 0.5)
        w = np.exp(a - np.logaddexp(a, b))
        return {"mu": np.sum(w * (x - mu) / 0.25 - (1 - w) * (x + mu) / 0.25, axis=-1)}

    model = bg.Model(
        priors={"mu": stats.norm(0, 10)}, log_likelihood=loglik, grad_log_likelihood=grad
    )
    return model, loglik


def test_stationary_start_at_a_maximum_is_not_accepted():
    model, loglik = _symmetric_mixture()
    assert abs(float(grad_at := model.grad_log_density(mu=np.array(0.0))["mu"])) < 1e-9, grad_at
    fit = map_estimate(model)  # the default start mu = 0 has exactly zero gradient
    assert fit.converged and fit.iterations > 0
    mu = abs(fit.params["mu"])

    def neg(m):
        return -(loglik(m) + stats.norm(0, 10).logpdf(m))

    ref = optimize.minimize_scalar(
        neg, bounds=(1.0, 5.0), method="bounded", options={"xatol": 1e-12}
    )
    assert mu == pytest.approx(ref.x, rel=1e-8)
    assert fit.loss == pytest.approx(ref.fun, rel=1e-10)
    assert fit.loss < neg(0.0) - 100


def test_stationary_minimum_start_is_accepted_at_once():
    m = bg.Normal(y=[-1.0, 1.0], mu=stats.norm(0, 10), sigma=1.0)  # mode exactly at mu = 0
    fit = map_estimate(m)
    assert fit.converged and fit.iterations == 0 and fit.params["mu"] == 0.0


def test_mode_at_a_kink_of_a_laplace_prior():
    # posterior of mu: N(y | mu, 1) likelihood, Laplace(0.05, 0.01) prior: the sharp prior
    # peak beats the likelihood slope (|sum(y - mu)| = 0.05 < 1 / 0.01), so the mode is 0.05
    m = bg.Normal(y=[0.3, -0.2, 0.1], mu=stats.laplace(0.05, 0.01), sigma=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = map_estimate(m)
    assert fit.converged and fit.at_kink and "kink" in fit.message
    assert fit.params["mu"] == pytest.approx(0.05, abs=1e-12)
    assert fit.iterations < 100
    with pytest.raises(ValueError, match="kink"):
        bg.laplace(m, space="constrained")
    # away from the kink (a wide Laplace prior), an ordinary smooth mode
    fit = map_estimate(bg.Normal(y=[2.0, 3.0, 2.5], mu=stats.laplace(0, 10), sigma=1.0))
    assert fit.converged and not fit.at_kink
    assert fit.params["mu"] == pytest.approx((7.5 - 0.1) / 3, rel=1e-8)


def test_max_iter_warns_and_flags():
    m = CASES[8][1]  # NIG: two parameters, a few L-BFGS steps needed
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        fit = map_estimate(m, max_iter=2)
    assert not fit.converged and fit.iterations == 2
    assert "max_iter" in fit.message


@pytest.mark.parametrize(
    ("k", "n"), [(92_348_827, 300_000_000), (813_270_239, 1_000_000_000), (7, 10**9)]
)
def test_large_counts_stop_at_floating_point_precision(k, n):
    """With 1e8+ trials the gradient's rounding noise exceeds tol * |L| at the exact mode: the
    run stops when steps no longer move u or lower the loss, and counts as converged."""
    m = bg.Binomial(k=k, n=n, p=stats.beta(1, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        fit = map_estimate(m)
    assert fit.converged and fit.iterations < 100
    assert fit.params["p"] == pytest.approx(k / n, rel=1e-12)
    # the gradient left is at its rounding level: n * eps relative to the two terms' size
    assert fit.grad_norm <= 1e3 * n * np.finfo(float).eps


def test_stall_far_from_the_mode_is_not_convergence():
    """A step too small to move u, but with the gradient far from zero, is reported as such."""
    m = bg.Binomial(k=7, n=10, p=stats.beta(2, 2))
    with pytest.warns(ConvergenceWarning, match="floating-point precision"):
        fit = map_estimate(m, optimizer="gd", lr=1e-300)
    assert not fit.converged and fit.iterations < 100


def test_non_finite_start_is_invalid_input():
    def loglik(mu):
        mu = np.asarray(mu)
        return np.where(mu > 1.0, -((mu - 2.0) ** 2), -np.inf)

    m = bg.Model(
        priors={"mu": stats.norm(0, 3)},
        log_likelihood=loglik,
        grad_log_likelihood=lambda mu: {"mu": -2.0 * (np.asarray(mu) - 2.0)},
    )
    with pytest.raises(ValueError, match="not finite at the starting point"):
        map_estimate(m)  # the prior median 0 has zero likelihood
    fit = map_estimate(m, init={"mu": 1.5})
    # loss (mu - 2)^2 + mu^2 / 18: minimum at mu = 4 / (2 + 1/9)
    assert fit.params["mu"] == pytest.approx(4.0 / (2.0 + 1.0 / 9.0), rel=1e-8)


def test_argument_validation():
    m = CASES[1][1]
    with pytest.raises(ValueError, match="tol"):
        map_estimate(m, tol=-1.0)
    with pytest.raises(TypeError, match="tol"):
        map_estimate(m, tol="small")
    with pytest.raises(ValueError, match="max_iter"):
        map_estimate(m, max_iter=0)
    with pytest.raises(ValueError, match="unknown optimizer"):
        map_estimate(m, optimizer="sgd-ish")
    with pytest.raises(TypeError, match="record"):
        map_estimate(m, record="yes")
    with pytest.raises(TypeError, match="jacobian"):
        map_estimate(m, jacobian=None)
    with pytest.raises(ValueError, match="starts"):
        map_estimate(m, starts=0)
    with pytest.raises(ValueError, match="init"):
        map_estimate(m, init={"p": 1.5})
    with pytest.raises(ValueError, match="init"):
        map_estimate(m, init={"q": 0.5})
    with pytest.raises(TypeError, match="model"):
        map_estimate("model")


# ------------------------------------------------------------------------------- edges


@pytest.mark.parametrize("opt", ["lbfgs", "gd", "adam", "bb"])
def test_boundary_mode_all_zeros(opt):
    m = bg.Bernoulli(y=np.zeros(10, dtype=int), p=stats.beta(1, 1))
    with pytest.warns(BoundaryWarning, match="edge of the support"):
        fit = map_estimate(m, optimizer=opt, max_iter=500)
    assert fit.at_boundary and fit.converged
    assert fit.params["p"] == 0.0  # exactly on the edge
    assert fit.boundary == ("p",)
    assert fit.iterations < 100
    assert fit.u[0] == -np.inf


def test_boundary_mode_all_ones_and_rate_zero():
    with pytest.warns(BoundaryWarning):
        fit = map_estimate(bg.Bernoulli(y=np.ones(5, dtype=int), p=stats.beta(1, 1)))
    assert fit.params["p"] == 1.0
    with pytest.warns(BoundaryWarning):
        fit = map_estimate(bg.Poisson(k=[0, 0, 0], mu=stats.gamma(1, scale=2.0)))
    assert fit.params["mu"] == 0.0 and fit.at_boundary


def test_boundary_on_a_face_of_the_simplex():
    m = bg.Categorical(y=[0, 0, 2, 2, 2], p=stats.dirichlet([1, 1, 1]))
    with pytest.warns(BoundaryWarning, match=r"p\[1\]"):
        fit = map_estimate(m)
    np.testing.assert_allclose(fit.params["p"], [0.4, 0.0, 0.6], rtol=1e-8, atol=0)
    assert fit.params["p"][1] == 0.0
    assert fit.boundary == ("p[1]",)


def test_boundary_with_other_parameters_free():
    # p hits 0 while the Normal mean still has to be found
    def loglik(p, mu):
        p, mu = np.asarray(p), np.asarray(mu)
        return 5 * np.log1p(-p) - 0.5 * ((mu - 1.5) / 0.3) ** 2

    def grad(p, mu):
        return {"p": -5 / (1 - np.asarray(p)), "mu": -(np.asarray(mu) - 1.5) / 0.09}

    m = bg.Model(
        priors={"p": stats.uniform(0, 1), "mu": stats.norm(0, 10)},
        log_likelihood=loglik,
        grad_log_likelihood=grad,
    )
    with pytest.warns(BoundaryWarning):
        fit = map_estimate(m)
    assert fit.params["p"] == 0.0
    assert fit.params["mu"] == pytest.approx(1.5 / (1 + 0.09 / 100), rel=1e-8)


def test_interior_mode_near_the_edge_is_not_a_boundary():
    m = bg.Binomial(k=1, n=10**6, p=stats.beta(1, 1))  # mode 1e-6, zero density at 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = map_estimate(m)
    assert not fit.at_boundary
    assert fit.params["p"] == pytest.approx(1e-6, rel=1e-8)
    # with the Jacobian a flat prior and k = 0 have an interior mode: 1 / (n + 2)
    fit = map_estimate(bg.Bernoulli(y=np.zeros(8, dtype=int), p=stats.beta(1, 1)), jacobian=True)
    assert not fit.at_boundary
    assert fit.params["p"] == pytest.approx(1 / 10, rel=1e-8)


# ------------------------------------------------------------------------- the record


def test_history_columns_and_rows():
    X = _RNG.normal(size=(30, 2))
    y = (_RNG.random(30) < 0.5).astype(int)
    m = bg.LogisticRegression(X=X, y=y, coef=stats.norm(0, 1), intercept=stats.norm(0, 2))
    fit = map_estimate(m)
    h = fit.history
    assert list(h.columns) == [
        "iteration",
        "loss",
        "grad_norm",
        "step_size",
        "coef[0]",
        "coef[1]",
        "intercept",
        "u[coef[0]]",
        "u[coef[1]]",
        "u[intercept]",
    ]
    assert len(h) == fit.iterations + 1
    np.testing.assert_array_equal(h["iteration"], np.arange(fit.iterations + 1))
    assert h["loss"].iloc[-1] == pytest.approx(fit.loss)
    assert np.isnan(h["step_size"].iloc[0]) and (h["step_size"].iloc[1:] > 0).all()
    assert (np.diff(h["loss"]) <= 1e-12).all()  # L-BFGS never goes up
    assert h["coef[1]"].iloc[-1] == pytest.approx(fit.params["coef"][1])
    # theta and u columns agree through the transforms
    m2 = bg.Poisson(k=[2, 5], mu=stats.gamma(2))
    h2 = map_estimate(m2).history
    np.testing.assert_allclose(h2["mu"], np.exp(h2["u[mu]"]), rtol=1e-14)


def test_record_false_keeps_nothing():
    X = _RNG.normal(size=(20, 100))
    y = (_RNG.random(20) < 0.5).astype(int)
    m = bg.LogisticRegression(X=X, y=y, coef=stats.norm(0, 1))
    kwargs = dict(optimizer="gd", lr=1e-4, max_iter=600, tol=1e-15)
    with pytest.warns(ConvergenceWarning):
        fit = map_estimate(m, record=False, **kwargs)  # warm up
    assert fit.history is None
    peaks = {}
    for record in (False, True):
        tracemalloc.start()
        with pytest.warns(ConvergenceWarning):
            map_estimate(m, record=record, **kwargs)
        peaks[record] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    # 600 iterates of 100 coordinates take 480 kB; without a record nothing accumulates
    assert peaks[True] > 480_000
    assert peaks[False] < 150_000


def test_result_repr_and_dict():
    fit = map_estimate(CASES[1][1])
    text = repr(fit)
    assert "p" in text and "converged" in text and "lbfgs" in text
    d = fit.to_dict()
    json.dumps(d)
    assert d["params"]["p"] == pytest.approx(11 / 17)
    assert isinstance(fit, MAPResult)
    assert fit.n_evaluations >= fit.iterations + 1
    assert fit.grad_norm < 1e-8
    vec = map_estimate(CASES[9][1]).to_dict()
    assert len(vec["params"]["p"]) == 4


def test_progress_line(capsys):
    map_estimate(CASES[1][1], progress=True)
    err = capsys.readouterr().err
    assert "iter" in err and "loss" in err and "|grad|" in err and err.endswith("\n")


# -------------------------------------------------------------------- starts and custom


def test_starts_disagree_on_a_bimodal_posterior():
    def loglik(mu):
        mu = np.asarray(mu)
        return np.logaddexp(
            np.log(0.4) + stats.norm.logpdf(mu, -3, 0.7),
            np.log(0.6) + stats.norm.logpdf(mu, 3, 0.7),
        )

    m = bg.Model(priors={"mu": stats.norm(0, 10)}, log_likelihood=loglik)
    with pytest.warns(UserWarning) as record:
        fit = map_estimate(m, starts=8, rng=1)
    messages = [str(w.message) for w in record]
    assert any("finite differences" in msg for msg in messages)
    multi = [msg for msg in messages if "different modes" in msg]
    assert len(multi) == 1 and "mode 0" in multi[0] and "mode 1" in multi[0]
    assert fit.starts_agree is False
    assert fit.starts["mode"].nunique() == 2 and len(fit.starts) == 8
    assert fit.params["mu"] == pytest.approx(3.0, abs=0.05)  # the higher mode wins


def test_starts_agree_on_a_unimodal_posterior():
    m = CASES[8][1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = map_estimate(m, starts=4, rng=2)
    assert fit.starts_agree is True
    assert len(fit.starts) == 4 and fit.starts["best"].sum() == 1
    _assert_mode(fit.params, CASES[8][2], 1e-8)


def test_finite_difference_model_warns_and_converges():
    y = np.array([0.3, -1.2, 2.2, 0.7])

    def loglik(mu):
        return stats.norm.logpdf(y, loc=np.asarray(mu)[..., None], scale=1.0).sum(axis=-1)

    m = bg.Model(priors={"mu": stats.norm(0, 10)}, log_likelihood=loglik)
    with pytest.warns(UserWarning, match="finite differences"):
        fit = map_estimate(m)
    assert fit.params["mu"] == pytest.approx(y.sum() / (4 + 0.01), rel=1e-6)


def test_central_point_is_prior_median():
    m = bg.Normal(y=_Y, mu=stats.norm(2, 1), sigma=stats.halfnorm(scale=3))
    start = central_point(m)
    assert float(start["mu"]) == 2.0
    assert float(start["sigma"]) == pytest.approx(stats.halfnorm(scale=3).median())
    c = central_point(CASES[9][1])
    np.testing.assert_allclose(c["p"], np.array([1.5, 2.0, 1.2, 3.0]) / 7.7)
    with pytest.warns(ConvergenceWarning):
        fit = map_estimate(m, max_iter=1, record=True, init={"mu": 0.5, "sigma": 1.0})
    assert fit.history["mu"].iloc[0] == 0.5


def test_fixed_step_that_overshoots_is_reported_with_a_smaller_step():
    """Fixed-step descent on raw temperatures bounces far above its start without blowing up:
    the warning says the loss never settled and names a step size that fits the curvature."""
    df = bg.datasets.load_challenger()
    m = bg.LogisticRegression(
        X=df[["temperature_f"]].to_numpy(float),
        y=df["damaged"].to_numpy(),
        coef=stats.norm(0, 2.5),
        intercept=stats.norm(0, 5),
    )
    with pytest.warns(ConvergenceWarning, match="never settled") as caught:
        fit = map_estimate(m, optimizer="gd", lr=0.01, max_iter=200)
    assert not fit.converged
    start = float(UnconstrainedSpace(m).loss(np.zeros(2), jacobian=False))
    assert fit.loss > 10 * start  # far above where it began
    text = str(caught[0].message)
    suggested = float(re.search(r"lower lr \(about ([0-9.e+-]+)", text).group(1))
    assert 0 < suggested < 0.01
    # the suggested step is the exact line minimiser along -g at the start (g'g / g'Hg)
    space = UnconstrainedSpace(m)
    g = space.objective(jacobian=False)(np.zeros(2))[1]
    h = optimize.approx_fprime(np.zeros(2), lambda u: space.objective(jacobian=False)(u)[1] @ g)
    assert suggested == pytest.approx(float(g @ g) / float(h @ g), rel=1e-2)


@pytest.mark.parametrize("opt", ["gd", "momentum", "nesterov"])
def test_suggested_step_size_after_a_divergence_converges(opt):
    """The curvature in log mu is 52 at the start but 1200 at the mode: a step size from the
    start alone diverged again; the suggestion must be one the same optimizer can use."""
    m = bg.Poisson(k=[30, 50, 40] * 10, mu=stats.gamma(2, scale=1.0))
    with pytest.raises(DivergenceError) as info:
        map_estimate(m, optimizer=opt, lr=1.0)
    message = str(info.value)
    assert " or or " not in message
    lr = info.value.suggested_lr
    assert 0 < lr < 2.0 / 1202.0  # below the stability limit at the mode
    fit = map_estimate(m, optimizer=opt, lr=lr)
    assert fit.converged
    assert fit.params["mu"] == pytest.approx(1201.0 / 31.0, rel=1e-7)  # Gamma(1202, 31) mode


@pytest.mark.parametrize("opt", ["gd", "adam", "momentum", "nesterov", "backtracking"])
def test_every_optimizer_reports_an_unbounded_posterior_as_such(opt):
    """One observation, unknown mu and sigma: the density grows without bound as sigma -> 0 at
    mu = y. Fixed steps oscillate or blow up before they get far out; the failure must still
    name the real cause (no MAP exists), not a step size."""
    m = bg.Normal(y=[1.0], mu=stats.norm(0, 10), sigma=stats.halfnorm(scale=5))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with pytest.raises(DivergenceError, match="no MAP exists") as info:
            map_estimate(m, optimizer=opt)
    assert info.value.reason == "unbounded" and info.value.parameter == "sigma"


# ----------------------------------------- suggested steps fit the curvature (issue 13, 16)


def _regression_perceptron(seed, hidden, sigma, n):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, (n, 1))
    y = np.sin(2 * X[:, 0]) + rng.normal(0, 0.3, n)
    return bg.Perceptron(X, y, hidden=hidden, task="regression", sigma=sigma)


def _exact_lam_max(model, u):
    """Largest eigenvalue of the Hessian of the loss in u (scipy.differentiate, adaptive)."""
    from scipy.differentiate import jacobian

    space = UnconstrainedSpace(model)

    def grad(x):  # scipy puts the coordinate axis first
        return np.moveaxis(space.loss_and_grad(np.moveaxis(x, 0, -1))[1], -1, 0)

    res = jacobian(grad, np.asarray(u, dtype=float))
    return float(np.max(np.linalg.eigvalsh(0.5 * (res.df + res.df.T))))


@pytest.mark.parametrize(
    ("opt", "bound"), [("gd", 2.0), ("momentum", 2.0 * 1.9), ("nesterov", 2.0 * 1.9 / 2.8)]
)
def test_suggested_step_is_stable_for_the_rule_at_the_mode(opt, bound):
    """The issue's case: the old suggestion (6.2e-4) exceeded gd's limit 2/lambda_max = 4.3e-4."""
    m = _regression_perceptron(0, 3, 0.3, 100)
    mode = map_estimate(m, optimizer="lbfgs")
    lam = _exact_lam_max(m, mode.u)
    with pytest.raises(DivergenceError) as info:
        map_estimate(m, optimizer=opt, lr=0.05)
    lr = info.value.suggested_lr
    assert 0 < lr < bound / lam
    assert f"lr={lr:.3g}" in str(info.value) and "below the stability limit" in str(info.value)


def test_following_the_suggested_gd_step_converges_on_a_perceptron():
    m = _regression_perceptron(2, 1, 0.5, 100)
    mode = map_estimate(m, optimizer="lbfgs")
    with pytest.raises(DivergenceError) as info:
        map_estimate(m, optimizer="gd", lr=0.05)
    lr = info.value.suggested_lr
    assert lr < 2.0 / _exact_lam_max(m, mode.u)
    fit = map_estimate(m, optimizer="gd", lr=lr, max_iter=10_000, record=False)
    assert fit.converged
    assert fit.loss == pytest.approx(mode.loss, rel=1e-10)


# ------------------------------------------- perceptron modes and symmetry (issue 13, 18)


def _classification_perceptron(seed, hidden, n, **kwargs):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, (n, 1))
    y = (rng.random(n) < expit(3 * np.sin(2 * X[:, 0]))).astype(int)
    kwargs = {"weights": stats.norm(0, 1.5), "biases": stats.norm(0, 1.5), **kwargs}
    return bg.Perceptron(X, y, hidden=hidden, **kwargs)


def test_multistart_finds_and_reports_the_other_modes_of_a_perceptron():
    m = _classification_perceptron(0, 3, 40)
    default = map_estimate(m)
    with pytest.warns(UserWarning, match="different modes") as caught:
        fit = map_estimate(m, starts=8, rng=1)
    table = fit.starts
    assert fit.starts_agree is False
    assert fit.loss < default.loss - 1.0  # the default start sits in a poor local mode
    assert fit.loss == pytest.approx(table["loss"].min(), rel=1e-12)
    # symmetric copies (permuted units, flipped tanh signs) are one mode: a mode's starts
    # share their loss, and distinct modes have distinct losses
    by_mode = table.groupby("mode")["loss"]
    assert (by_mode.max() - by_mode.min()).max() <= 1e-8 * table["loss"].abs().max()
    levels = np.sort(by_mode.min().to_numpy())
    assert np.all(np.diff(levels) > 1e-6)
    assert table["mode"].nunique() < len(table)  # not one "mode" per start
    assert (
        f"reached by {int((table['mode'] == table.loc[table['best'], 'mode'].iloc[0]).sum())}"
        in str(caught[0].message)
    )


def test_canonical_params_of_a_perceptron_is_invariant_under_its_symmetries():
    m = _classification_perceptron(1, 3, 20)
    rng = np.random.default_rng(2)
    point = {n: rng.normal(size=p.shape) for n, p in m.parameters.items()}
    perm, sign = np.array([2, 0, 1]), np.array([1.0, -1.0, -1.0])
    copy = dict(point)
    copy["W1"] = (point["W1"] * sign)[:, perm]
    copy["b1"] = (point["b1"] * sign)[perm]
    copy["w2"] = (point["w2"] * sign)[perm]
    assert float(m.log_density(**copy)) == pytest.approx(float(m.log_density(**point)), rel=1e-12)
    a, b = m.canonical_params(point), m.canonical_params(copy)
    for name in m.parameters:
        np.testing.assert_allclose(a[name], b[name], rtol=1e-12)
    assert np.all(a["w2"] >= 0) and np.all(np.diff(a["w2"]) >= 0)
    # ReLU units are not odd: no sign flip; priors of their own per unit: no permutation
    relu = _classification_perceptron(1, 3, 20, activation="relu")
    assert np.array_equal(relu.canonical_params(copy)["w2"], np.sort(copy["w2"]))
    own = _classification_perceptron(
        1, 3, 20, weights={"W1": stats.norm(0, [[1.0, 2.0, 3.0]]), "w2": stats.norm(0, 1)}
    )
    kept = own.canonical_params(copy)
    flip = np.where(copy["w2"] < 0, -1.0, 1.0)  # signs may still flip (the priors are even)
    np.testing.assert_array_equal(kept["w2"], copy["w2"] * flip)
    np.testing.assert_array_equal(kept["W1"], copy["W1"] * flip)
