"""bayesgd.space: packing, the loss against the model's own density, exact gradients, Hessians."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.special import expit, logit

import bayesgd as bg
from bayesgd.space import UnconstrainedSpace

_RNG = np.random.default_rng(7)
_X = _RNG.normal(size=(40, 3))
_Y_BIN = (_RNG.random(40) < expit(_X @ [1.0, -0.5, 0.2])).astype(int)
_Y_CNT = _RNG.poisson(np.exp(0.3 + _X @ [0.3, -0.2, 0.1]))
_Y_REAL = _RNG.normal(1.0, 1.5, size=25)


def _custom_model(with_grad: bool) -> bg.Model:
    y = np.array([0.3, -1.2, 2.2, 0.7])

    def loglik(mu, tau):
        mu = np.asarray(mu)[..., None]
        tau = np.asarray(tau)[..., None]
        return stats.t.logpdf(y, df=4, loc=mu, scale=tau).sum(axis=-1)

    def grad(mu, tau):
        z = (y - np.asarray(mu)[..., None]) / np.asarray(tau)[..., None]
        w = 5.0 * z / (4.0 + z * z)
        tau_ = np.asarray(tau)
        return {
            "mu": w.sum(axis=-1) / tau_,
            "tau": (w * z).sum(axis=-1) / tau_ - y.size / tau_,
        }

    return bg.Model(
        priors={"mu": stats.norm(0, 3), "tau": stats.gamma(2.0, scale=1.0)},
        log_likelihood=loglik,
        grad_log_likelihood=grad if with_grad else None,
    )


MODELS = {
    "bernoulli": lambda: bg.Bernoulli(y=[1, 0, 1, 1, 0, 1], p=stats.beta(2, 3)),
    "binomial_groups": lambda: bg.Binomial(
        k=[[3, 5, 1], [2, 6, 0]], n=10, p=stats.beta(np.ones(3) * 1.5, np.ones(3) * 2)
    ),
    "geometric": lambda: bg.Geometric(k=[1, 4, 2, 7], p=stats.beta(1.5, 1.5)),
    "negbin": lambda: bg.NegativeBinomial(k=[4, 6, 3], r=3, p=stats.beta(2, 2)),
    "interval_prior": lambda: bg.Binomial(k=3, n=10, p=stats.uniform(0.1, 0.5)),
    "poisson": lambda: bg.Poisson(
        k=[2, 5, 3], exposure=[1.0, 2.0, 0.5], mu=stats.gamma(2, scale=1)
    ),
    "exponential": lambda: bg.Exponential(y=[0.5, 1.5, 0.2], lam=stats.gamma(2, scale=0.5)),
    "normal_mu": lambda: bg.Normal(y=_Y_REAL, mu=stats.norm(0, 10), sigma=1.5),
    "normal_upper": lambda: bg.Normal(
        y=_Y_REAL, mu=stats.truncnorm(-np.inf, 1.0, loc=0.5, scale=2.0), sigma=1.5
    ),
    "normal_mu_sigma": lambda: bg.Normal(
        y=_Y_REAL, mu=stats.norm(0, 10), sigma=stats.halfnorm(scale=5)
    ),
    "normal_sigma2": lambda: bg.Normal(y=_Y_REAL, mu=1.0, sigma2=stats.invgamma(3, scale=2)),
    "nig": lambda: bg.Normal(y=_Y_REAL, prior=stats.normal_inverse_gamma(0.0, 1.0, 2.0, 2.0)),
    "categorical": lambda: bg.Categorical(
        y=[0, 1, 1, 2, 2, 2, 3], p=stats.dirichlet([1.5, 2, 1, 3])
    ),
    "multinomial": lambda: bg.Multinomial(x=[[3, 1, 0], [2, 2, 1]], p=stats.dirichlet([2, 2, 2])),
    "linear_nig": lambda: bg.LinearRegression(
        X=_X,
        y=_X @ [0.5, 1.0, -1.0] + _RNG.normal(size=40),
        prior=bg.priors.NormalInverseGamma(mean=np.zeros(3), cov=4.0, a=2.0, b=2.0),
    ),
    "linear_sigma": lambda: bg.LinearRegression(
        X=_X,
        y=_X @ [0.5, 1.0, -1.0] + 0.3 + _RNG.normal(size=40),
        coef=stats.norm(0, 3),
        intercept=stats.norm(0, 5),
        sigma=stats.halfcauchy(scale=2),
    ),
    "logistic": lambda: bg.LogisticRegression(
        X=_X, y=_Y_BIN, coef=stats.norm(0, 2.5), intercept=stats.norm(0, 5)
    ),
    "logistic_no_intercept": lambda: bg.LogisticRegression(
        X=_X, y=_Y_BIN, coef=stats.norm(0, 2.5)
    ),
    "poisson_regression": lambda: bg.PoissonRegression(
        X=_X, y=_Y_CNT, coef=stats.norm(0, 1), intercept=stats.norm(0, 5), offset=0.1 * _X[:, 0]
    ),
    "custom": lambda: _custom_model(True),
}
NAMES = sorted(MODELS)
SPACES = {name: UnconstrainedSpace(MODELS[name]()) for name in NAMES}


def _point(space: UnconstrainedSpace, seed: int, scale: float = 1.0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, scale, size=space.dim)


def _fd_grad(space, u, jacobian, h=1e-6):
    pts = np.concatenate([u + h * np.eye(u.size), u - h * np.eye(u.size)])
    values = space.loss(pts, jacobian=jacobian)
    return (values[: u.size] - values[u.size :]) / (2 * h)


# ------------------------------------------------------------------------------ packing


def test_dimensions_and_names():
    space = SPACES["categorical"]
    assert space.dim == 3  # K - 1 coordinates for a simplex of K = 4
    assert space.names == ["u[p[0]]", "u[p[1]]", "u[p[2]]"]
    assert space.constrained_dim == 3
    assert space.theta_names == ["p[0]", "p[1]", "p[2]", "p[3]"]
    lr = SPACES["linear_sigma"]
    assert lr.dim == 5
    assert lr.names == ["u[coef[0]]", "u[coef[1]]", "u[coef[2]]", "u[intercept]", "u[sigma]"]


@pytest.mark.parametrize("name", NAMES)
def test_round_trip(name):
    space = SPACES[name]
    u = _point(space, 1, 0.7)
    params = space.to_constrained(u)
    np.testing.assert_allclose(space.to_unconstrained(params), u, rtol=1e-9, atol=1e-9)
    batch = _RNG.normal(size=(2, 3, space.dim))
    params = space.to_constrained(batch)
    for pname, param in space.model.parameters.items():
        assert params[pname].shape == (2, 3, *param.shape)
    np.testing.assert_allclose(space.to_unconstrained(params), batch, rtol=1e-9, atol=1e-9)
    c = space.flatten(params)
    assert c.shape == (2, 3, space.constrained_dim)
    back = space.unflatten(c)
    for pname in params:
        np.testing.assert_allclose(back[pname], params[pname], rtol=1e-12, atol=1e-15)
    A, off = space.affine_from_constrained()
    np.testing.assert_allclose(c @ A.T + off, space.theta_vector(params), atol=1e-15)


def test_transforms_used():
    u = np.array([0.3])
    assert float(SPACES["bernoulli"].to_constrained(u)["p"]) == pytest.approx(expit(0.3))
    assert float(SPACES["poisson"].to_constrained(u)["mu"]) == pytest.approx(np.exp(0.3))
    assert float(SPACES["interval_prior"].to_constrained(u)["p"]) == pytest.approx(
        0.1 + 0.5 * expit(0.3)
    )
    assert float(SPACES["normal_upper"].to_constrained(u)["mu"]) == pytest.approx(
        1.0 * 2.0 + 0.5 - np.exp(0.3)
    )


def test_outside_support_is_refused():
    with pytest.raises(ValueError, match="p"):
        SPACES["bernoulli"].to_unconstrained({"p": 1.2})
    with pytest.raises(ValueError, match="p"):
        SPACES["bernoulli"].to_unconstrained({"p": 0.0})
    with pytest.raises(ValueError, match="last axis"):
        SPACES["bernoulli"].loss(np.zeros(3))
    with pytest.raises(TypeError, match="Model"):
        UnconstrainedSpace("not a model")


# ---------------------------------------------------------------------------- the loss


@pytest.mark.parametrize("name", NAMES)
def test_loss_is_minus_log_density(name):
    space = SPACES[name]
    u = _RNG.normal(0.0, 0.8, size=(4, space.dim))
    params = space.to_constrained(u)
    expected = -space.model.log_density(**params)
    np.testing.assert_allclose(space.loss(u), expected, rtol=1e-12)
    # with the Jacobian: minus log|det J|, checked elementwise from the transforms
    logdet = np.zeros(4)
    for pname, param in space.model.parameters.items():
        sl = [i for i, n in enumerate(space.names) if n.startswith(f"u[{pname}")]
        ub = u[:, sl].reshape((4, *param.unconstrained_shape))
        ld = param.transform.log_det_jacobian(ub)
        logdet += ld.reshape(4, -1).sum(axis=1)
    np.testing.assert_allclose(space.loss(u, jacobian=True), expected - logdet, rtol=1e-12)
    loss, grad = space.loss_and_grad(u)
    np.testing.assert_allclose(loss, expected, rtol=1e-12)
    assert grad.shape == u.shape


@pytest.mark.parametrize("jacobian", [False, True])
@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=8)
@given(seed=st.integers(0, 2**32 - 1), scale=st.sampled_from([0.3, 1.0, 2.0]))
def test_gradient_matches_finite_differences(name, jacobian, seed, scale):
    space = SPACES[name]
    u = _point(space, seed, scale)
    loss, grad = space.loss_and_grad(u, jacobian=jacobian)
    assert np.isfinite(loss)
    fd = _fd_grad(space, u, jacobian)
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-5 * max(1.0, np.max(np.abs(grad))))


@pytest.mark.parametrize("name", NAMES)
def test_vectorised_equals_pointwise(name):
    space = SPACES[name]
    U = _RNG.normal(0.0, 0.5, size=(3, 2, space.dim))
    for jac in (False, True):
        loss, grad = space.loss_and_grad(U, jacobian=jac)
        assert loss.shape == (3, 2) and grad.shape == (3, 2, space.dim)
        fun = space.objective(jacobian=jac)
        for idx in np.ndindex(3, 2):
            value, g = fun(U[idx])
            assert isinstance(value, float)
            assert value == pytest.approx(float(loss[idx]), rel=1e-12)
            np.testing.assert_allclose(g, grad[idx], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_log_det_jacobian_gradient(name):
    space = SPACES[name]
    u = _point(space, 3, 0.8)
    g = space.grad_log_det_jacobian(u)
    h = 1e-6
    pts = np.concatenate([u + h * np.eye(u.size), u - h * np.eye(u.size)])
    ld = space.log_det_jacobian(pts)
    np.testing.assert_allclose(g, (ld[: u.size] - ld[u.size :]) / (2 * h), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", NAMES)
def test_constrained_gradient(name):
    space = SPACES[name]
    c = space.flatten(space.to_constrained(_point(space, 5, 0.5)))
    loss, grad = space.theta_loss_and_grad(c)
    np.testing.assert_allclose(loss, -space.model.log_density(**space.unflatten(c)), rtol=1e-12)
    h = 1e-7 * np.maximum(1.0, np.abs(c))
    pts = np.concatenate([c + np.diag(h), c - np.diag(h)])
    values = space.theta_loss_and_grad(pts)[0]
    fd = (values[: c.size] - values[c.size :]) / (2 * h)
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-5 * max(1.0, np.max(np.abs(grad))))


# ---------------------------------------------------------------------- GLM fast path


@pytest.mark.parametrize(
    "name", ["logistic", "logistic_no_intercept", "poisson_regression", "linear_sigma"]
)
def test_regression_loglik_matches_model(name):
    space = SPACES[name]
    model = space.model
    U = _RNG.normal(0.0, 0.7, size=(5, space.dim))
    params = space.to_constrained(U)
    ll, grads = space._grad_log_density(params, (5,))
    np.testing.assert_allclose(ll, model.log_density(**params), rtol=1e-12)
    expected = model.grad_log_density(**params)
    for pname in model.parameters:
        np.testing.assert_allclose(grads[pname], expected[pname], rtol=1e-10, atol=1e-10)


def test_logistic_extreme_linear_predictor():
    X = np.array([[1.0], [-1.0], [2.0]])
    m = bg.LogisticRegression(X=X, y=[1, 0, 0], coef=stats.norm(0, 1000))
    space = UnconstrainedSpace(m)
    for coef in (900.0, -900.0, 30.0, -40.0):
        loss, grad = space.loss_and_grad(np.array([coef]))
        eta = X[:, 0] * coef
        y = np.array([1, 0, 0])
        ll = np.sum(y * eta - np.logaddexp(0.0, eta))
        expected = -(ll + stats.norm(0, 1000).logpdf(coef))
        assert float(loss) == pytest.approx(expected, rel=1e-12)
        g = np.sum((y - expit(eta)) * X[:, 0]) - coef / 1000**2
        assert float(grad[0]) == pytest.approx(-g, rel=1e-10, abs=1e-12)


# ------------------------------------------------------------------------------ Hessians


def test_hessian_beta_binomial_closed_form():
    # L(u) = -(k + a - 1) log p - (n - k + b - 1) log(1 - p); d2L/du2 = (n + a + b - 2) p (1 - p)
    k, n, a, b = 7, 10, 2.0, 3.0
    space = UnconstrainedSpace(bg.Binomial(k=k, n=n, p=stats.beta(a, b)))
    for u in (-1.3, 0.0, 0.4, 2.0):
        p = expit(u)
        h = space.hessian(np.array([u]))
        assert h.shape == (1, 1)
        assert h[0, 0] == pytest.approx((n + a + b - 2) * p * (1 - p), rel=1e-9)
        hj = space.hessian(np.array([u]), jacobian=True)  # exponents one higher
        assert hj[0, 0] == pytest.approx((n + a + b) * p * (1 - p), rel=1e-9)
    # in theta: (k + a - 1) / p^2 + (n - k + b - 1) / (1 - p)^2
    for p in (0.05, 0.5, 0.93):
        h = space.theta_hessian(np.array([p]))
        assert h[0, 0] == pytest.approx(
            (k + a - 1) / p**2 + (n - k + b - 1) / (1 - p) ** 2, rel=1e-9
        )


def test_hessian_normal_and_regression_exact():
    m = bg.Normal(y=_Y_REAL, mu=stats.norm(0, 10), sigma=1.5)
    space = UnconstrainedSpace(m)
    expected = _Y_REAL.size / 1.5**2 + 1 / 100
    assert space.hessian(np.array([0.7]))[0, 0] == pytest.approx(expected, rel=1e-10)
    # logistic regression: X' W X + prior precision, against the analytic formula
    space = SPACES["logistic"]
    u = _point(space, 11, 0.3)
    coef, icpt = u[:3], u[3]
    Xa = np.column_stack([_X, np.ones(len(_X))])
    p = expit(_X @ coef + icpt)
    H = Xa.T @ (Xa * (p * (1 - p))[:, None]) + np.diag([1 / 2.5**2] * 3 + [1 / 25])
    np.testing.assert_allclose(space.hessian(u), H, rtol=1e-8)
    assert np.array_equal(space.hessian(u), space.hessian(u).T)


def test_hessian_simplex_constrained_matches_dirichlet():
    # Dirichlet(alpha) posterior: L(c) = -sum (alpha_k - 1) log p_k with p_K = 1 - sum c
    m = SPACES["categorical"].model
    alpha = np.array([1.5, 2, 1, 3]) + np.array([1, 2, 3, 1])
    c = np.array([0.2, 0.3, 0.25])
    p = np.append(c, 1 - c.sum())
    w = (alpha - 1) / p**2
    expected = np.diag(w[:-1]) + w[-1]
    np.testing.assert_allclose(UnconstrainedSpace(m).theta_hessian(c), expected, rtol=1e-9)
    with pytest.raises(ValueError, match="edge"):
        UnconstrainedSpace(m).theta_hessian(np.array([0.5, 0.5, 0.0]))


# -------------------------------------------------------------------------------- edges


def test_edges_and_snapping():
    bern, pois, upper = SPACES["bernoulli"], SPACES["poisson"], SPACES["normal_upper"]
    assert bern.has_edges and pois.has_edges and upper.has_edges
    assert not SPACES["logistic"].has_edges
    down, up = bern.edge_directions()
    assert down.all() and up.all()
    down, up = pois.edge_directions()
    assert down.all() and not up.any()
    u = np.array([-np.inf])
    assert float(bern.snap_to_edges(bern.to_constrained(u), u)["p"]) == 0.0
    u = np.array([np.inf])
    assert float(bern.snap_to_edges(bern.to_constrained(u), u)["p"]) == 1.0
    u = np.array([-np.inf])
    assert float(pois.snap_to_edges(pois.to_constrained(u), u)["mu"]) == 0.0
    assert float(upper.snap_to_edges(upper.to_constrained(u), u)["mu"]) == 2.5
    iv = SPACES["interval_prior"]
    U = np.array([[-np.inf], [0.0], [np.inf]])
    snapped = iv.snap_to_edges(iv.to_constrained(U), U)["p"]
    np.testing.assert_array_equal(snapped[[0, 2]], [0.1, 0.6])
    assert snapped[1] == pytest.approx(0.35)
    low, high = SPACES["categorical"].theta_bounds()
    np.testing.assert_array_equal(low, 0.0)
    np.testing.assert_array_equal(high, 1.0)
    # the loss at an edge is finite when the density is (k = 0 under a flat prior)
    flat = UnconstrainedSpace(bg.Bernoulli(y=[0, 0, 0], p=stats.beta(1, 1)))
    assert float(flat.loss(np.array([-np.inf]))) == 0.0
    assert float(flat.loss(np.array([np.inf]))) == np.inf
    assert float(flat.loss(np.array([-np.inf]), jacobian=True)) == np.inf


def test_logit_round_trip_precision():
    space = SPACES["bernoulli"]
    for p in (1e-12, 0.3, 1 - 1e-9):
        u = space.to_unconstrained({"p": p})
        assert float(u[0]) == pytest.approx(logit(p), rel=1e-12)


def test_models_with_a_fused_likelihood_and_gradient_use_it():
    calls = []

    class Fused(bg.Model):
        def _loglik_and_grad(self, values, batch):
            calls.append(batch)
            mu = values["mu"]
            return -0.5 * (mu - 1.0) ** 2, {"mu": -(mu - 1.0)}

    m = Fused(
        priors={"mu": stats.norm(0, 2)},
        log_likelihood=lambda mu: -0.5 * (np.asarray(mu) - 1.0) ** 2,
        grad_log_likelihood=lambda mu: {"mu": -(np.asarray(mu) - 1.0)},
    )
    space = UnconstrainedSpace(m)
    mu = np.array([0.3, 2.0])
    loss, grad = space.loss_and_grad(mu[:, None])
    assert calls == [(2,)]
    expected = 0.5 * (mu - 1.0) ** 2 - stats.norm(0, 2).logpdf(mu)
    np.testing.assert_allclose(loss, expected, rtol=1e-12)
    np.testing.assert_allclose(grad[:, 0], mu - 1.0 + mu / 4, rtol=1e-12)


def _fd_hessian_of_loglik(m, point):
    """Central differences of the model's analytic likelihood gradient (flat theta order)."""
    names = list(m.parameters)
    flat = np.concatenate([np.ravel(point[n]) for n in names])

    def grad(f):
        vals, i = {}, 0
        for n in names:
            size = m.parameters[n].size
            vals[n] = f[i : i + size].reshape(m.parameters[n].shape)
            i += size
        g = m.grad_log_likelihood(**vals)
        return np.concatenate([np.ravel(g[n]) for n in names])

    cols = []
    for j in range(flat.size):
        e = np.zeros(flat.size)
        e[j] = 1e-6
        cols.append((grad(flat + e) - grad(flat - e)) / 2e-6)
    return np.column_stack(cols)


@pytest.mark.parametrize(
    "model, point",
    [
        (
            bg.LinearRegression(
                X=_X,
                y=_Y_REAL[:1].repeat(40) + _X[:, 0],
                coef=stats.norm(0, 5),
                intercept=stats.norm(0, 5),
                sigma=stats.halfnorm(scale=2),
            ),
            {"coef": np.array([0.9, 0.1, -0.2]), "intercept": 0.4, "sigma": 1.3},
        ),
        (
            bg.LinearRegression(
                X=_X, y=_X[:, 1], prior=bg.priors.NormalInverseGamma(mean=[0] * 3, cov=9, a=2, b=2)
            ),
            {"coef": np.array([0.1, 0.8, 0.0]), "sigma2": 0.7},
        ),
        (
            bg.LogisticRegression(X=_X, y=_Y_BIN, coef=stats.norm(0, 2), intercept=stats.norm()),
            {"coef": np.array([0.9, -0.4, 0.3]), "intercept": -0.2},
        ),
        (
            bg.PoissonRegression(
                X=_X,
                y=_Y_CNT,
                coef=stats.norm(0, 2),
                intercept=stats.norm(),
                offset=np.linspace(-0.5, 0.5, 40),
            ),
            {"coef": np.array([0.2, -0.1, 0.1]), "intercept": 0.3},
        ),
        (
            bg.PoissonRegression(X=_X, y=_Y_CNT, coef=stats.norm(0, 2), intercept=0.5),
            {"coef": np.array([0.2, -0.1, 0.1])},
        ),
    ],
)
def test_glm_hessian_log_likelihood_matches_differences(model, point):
    point = {k: np.asarray(v, dtype=float) for k, v in point.items()}
    hess = model.hessian_log_likelihood(**point)
    assert hess.shape == (model.size, model.size)
    np.testing.assert_allclose(hess, _fd_hessian_of_loglik(model, point), rtol=1e-6, atol=1e-6)


def test_hessian_log_likelihood_default_is_none_and_needs_one_point():
    m = bg.Model(priors={"a": stats.norm()}, log_likelihood=lambda a: -(np.asarray(a) ** 2))
    assert m.hessian_log_likelihood(a=np.array(0.3)) is None
    glm = bg.LogisticRegression(X=_X, y=_Y_BIN, coef=stats.norm())
    with pytest.raises(ValueError, match="one parameter point"):
        glm.hessian_log_likelihood(coef=np.zeros((2, 3)))


# ------------------------------------------- the fused likelihood hook (issue 12, hooks)


def _glm_truth(kind, X, y, coef, icpt, offset):
    eta = coef @ X.T + icpt[..., None] + offset
    if kind == "logistic":
        p = expit(eta)
        return stats.bernoulli(p).logpmf(y).sum(-1), y - p
    mean = np.exp(eta)
    return stats.poisson(mean).logpmf(y).sum(-1), y - mean


@pytest.mark.parametrize("kind", ["logistic", "poisson"])
def test_glm_fused_likelihood_and_gradient_match_scipy(kind):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(300, 3))
    offset = 0.0
    if kind == "logistic":
        y = (rng.random(300) < 0.4).astype(int)
        m = bg.LogisticRegression(X=X, y=y, coef=stats.norm(), intercept=stats.norm())
    else:
        y = rng.poisson(2.0, 300)
        offset = rng.normal(0, 0.2, 300)
        m = bg.PoissonRegression(
            X=X, y=y, coef=stats.norm(), intercept=stats.norm(), offset=offset
        )
    coef = rng.normal(0, 0.3, size=(4, 3))
    icpt = rng.normal(0, 0.3, size=4)
    ll, grads = m._loglik_and_grad({"coef": coef, "intercept": icpt}, (4,))
    want, r = _glm_truth(kind, X, y, coef, icpt, offset)
    np.testing.assert_allclose(ll, want, rtol=1e-12)
    np.testing.assert_allclose(grads["coef"], r @ X, rtol=1e-10)
    np.testing.assert_allclose(grads["intercept"], r.sum(-1), rtol=1e-10)
    # the cached pieces of y follow new data (update replaces y)
    more = {"X": X[:50], "y": y[:50], **({"offset": offset[:50]} if kind == "poisson" else {})}
    returned = m.update(**more)  # a new model, or None when update works in place
    m2 = m if returned is None else returned
    ll2, _ = m2._loglik_and_grad({"coef": coef[0], "intercept": icpt[0]}, ())
    np.testing.assert_allclose(
        ll2, float(m2.log_likelihood(coef=coef[0], intercept=icpt[0])), rtol=1e-12
    )


def test_space_asks_the_model_for_the_fused_hook():
    calls = []

    class Counting(bg.PoissonRegression):
        def _loglik_and_grad(self, values, batch):
            calls.append(batch)
            return super()._loglik_and_grad(values, batch)

    m = Counting(X=_X, y=_Y_CNT, coef=stats.norm(), intercept=stats.norm())
    UnconstrainedSpace(m).loss_and_grad(np.zeros((3, 4)))
    assert calls == [(3,)]
