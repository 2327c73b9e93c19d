"""The one-hidden-layer Bayesian network: backprop against finite differences and PyTensor,
batching, weight decay, prediction, MAP/Laplace/NUTS integration and bad input."""

from __future__ import annotations

import itertools
from functools import partial

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from scipy import stats
from scipy.special import expit

from bayesgd.models.perceptron import Backward, Forward, Perceptron
from bayesgd.numerics.intervals import hdi_of_samples
from bayesgd.posterior import SamplePosterior
from bayesgd.predictive import Prediction, predict

ACTIVATIONS = ("tanh", "relu")
TASKS = ("classification", "regression")
LOG_2PI = np.log(2.0 * np.pi)


# ------------------------------------------------------------------------------- helpers
def make_model(n, d, hidden, activation, task, seed, **kwargs):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    if task == "classification":
        y = rng.integers(0, 2, size=n)
        kwargs.setdefault("sigma", None)
    else:
        y = rng.normal(size=n)
        kwargs.setdefault("sigma", stats.halfnorm(scale=2.0))
    return Perceptron(X, y, hidden=hidden, activation=activation, task=task, **kwargs)


def random_params(model, rng, batch=()):
    out = {}
    for name, param in model.parameters.items():
        if name == "sigma":
            out[name] = rng.uniform(0.5, 2.0, size=batch)
        else:
            out[name] = rng.normal(size=(*batch, *param.shape))
    return out


def flatten(model, params):
    return np.concatenate([np.ravel(params[n]) for n in model.names])


def unflatten(model, vec):
    out, i = {}, 0
    for name, param in model.parameters.items():
        out[name] = vec[i : i + param.size].reshape(param.shape)
        i += param.size
    return out


def reference_forward(X, W1, b1, w2, b2, activation):
    """The network written independently of the model (one point, plain loops over units)."""
    pre = np.empty((X.shape[0], W1.shape[1]))
    for j in range(W1.shape[1]):
        pre[:, j] = X @ W1[:, j] + b1[j]
    h = np.tanh(pre) if activation == "tanh" else np.where(pre > 0, pre, 0.0)
    return sum(h[:, j] * w2[j] for j in range(len(w2))) + b2


def reference_loglik(model, params):
    v = {**model.fixed, **params}
    f = reference_forward(model.data["X"], v["W1"], v["b1"], v["w2"], v["b2"], model.activation)
    y = model.data["y"]
    if model.task == "classification":
        p = expit(f)
        return float(np.sum(y * np.log(p) + (1 - y) * np.log1p(-p)))
    return float(np.sum(stats.norm.logpdf(y, f, v["sigma"])))


def min_abs_pre(model, params):
    v = {**model.fixed, **params}
    return np.min(np.abs(model.data["X"] @ v["W1"] + v["b1"]))


# ----------------------------------------------------------- gradients: finite differences
@given(
    n=st.integers(1, 12),
    d=st.integers(1, 4),
    hidden=st.integers(1, 5),
    activation=st.sampled_from(ACTIVATIONS),
    task=st.sampled_from(TASKS),
    seed=st.integers(0, 2**32 - 1),
)
def test_backprop_matches_finite_differences(n, d, hidden, activation, task, seed, fd):
    model = make_model(n, d, hidden, activation, task, seed)
    params = random_params(model, np.random.default_rng(seed + 1))
    if activation == "relu":  # stay away from the kinks of relu, where there is no derivative
        assume(min_abs_pre(model, params) > 1e-3)
    x0 = flatten(model, params)
    h = 1e-6 * np.maximum(1.0, np.abs(x0))
    for fun, grad_fun in (
        (model.log_likelihood, model.grad_log_likelihood),
        (model.log_density, model.grad_log_density),
    ):
        numeric = fd(lambda x, fun=fun: float(fun(**unflatten(model, x))), x0, h)
        analytic = flatten(model, grad_fun(**params))
        scale = np.max(np.abs(numeric))
        assert np.max(np.abs(analytic - numeric)) <= 1e-6 * scale + 1e-8
    # the log likelihood itself against a network written independently
    assert float(model.log_likelihood(**params)) == pytest.approx(
        reference_loglik(model, params), rel=1e-12, abs=1e-10
    )


def _row_loss(model, x, y, params, name, value):
    """The loss of one row with one parameter replaced."""
    return float(model.backward(x[None, :], np.array([y]), **{**params, name: value}).loss)


def test_backward_layers_match_single_row_finite_differences(fd):
    """∂L/∂f and ∂L/∂pre per row: the gradient of that row's loss in b2 and in b1."""
    for activation in ACTIVATIONS:
        for task in TASKS:
            model = make_model(7, 3, 4, activation, task, seed=3)
            params = random_params(model, np.random.default_rng(4))
            back = model.backward(**params)
            assert isinstance(back, Backward)
            X, y = model.data["X"], model.data["y"]
            for i in range(7):
                row = model.backward(X[i : i + 1], y[i : i + 1], **params)
                g_b2 = fd(
                    partial(_row_loss, model, X[i], y[i], params, "b2"),
                    np.asarray(params["b2"]),
                    1e-6,
                )
                g_b1 = fd(partial(_row_loss, model, X[i], y[i], params, "b1"), params["b1"], 1e-6)
                assert back.d_output[i] == pytest.approx(float(g_b2), rel=1e-7, abs=1e-9)
                np.testing.assert_allclose(back.d_pre[i], g_b1, rtol=1e-6, atol=1e-9)
                np.testing.assert_allclose(back.d_hidden[i], back.d_output[i] * params["w2"])
                np.testing.assert_allclose(row.d_output[0], back.d_output[i])
            # the summed gradients are minus the model's log-likelihood gradient
            grads = model.grad_log_likelihood(**params)
            for name in model.names:
                np.testing.assert_allclose(back.params[name], -grads[name], rtol=1e-12, atol=1e-12)
            assert float(back.loss) == pytest.approx(-float(model.log_likelihood(**params)))


def test_forward_exposes_layers():
    model = make_model(9, 2, 3, "relu", "classification", seed=5)
    params = random_params(model, np.random.default_rng(6))
    out = model.forward(**params)
    assert isinstance(out, Forward)
    X = model.data["X"]
    np.testing.assert_allclose(out.pre, X @ params["W1"] + params["b1"])
    np.testing.assert_allclose(out.hidden, np.maximum(out.pre, 0.0))
    np.testing.assert_allclose(out.output, out.hidden @ params["w2"] + params["b2"])
    np.testing.assert_allclose(out.mean, expit(out.output))
    new = np.array([[0.5, -1.0]])
    assert model.forward(new, **params).output.shape == (1,)
    batched = {k: np.stack([v, 2 * v]) for k, v in params.items()}
    assert model.forward(**batched).hidden.shape == (2, 9, 3)


# ------------------------------------------------------------- gradients: PyTensor
def _pytensor_network(activation, task):
    import pytensor
    import pytensor.tensor as pt

    X, W1 = pt.dmatrix("X"), pt.dmatrix("W1")
    y, b1, w2 = pt.dvector("y"), pt.dvector("b1"), pt.dvector("w2")
    b2, sigma, s_w, s_b = (
        pt.dscalar("b2"),
        pt.dscalar("sigma"),
        pt.dscalar("s_w"),
        pt.dscalar("s_b"),
    )
    pre = pt.dot(X, W1) + b1
    h = pt.tanh(pre) if activation == "tanh" else pt.maximum(pre, 0.0)
    f = pt.dot(h, w2) + b2
    if task == "classification":
        ll = pt.sum(y * f - pt.softplus(f))
    else:
        ll = pt.sum(-0.5 * LOG_2PI - pt.log(sigma) - 0.5 * ((y - f) / sigma) ** 2)
    # normal priors N(0, s_w) on the weights and N(0, s_b) on the biases (the sigma prior is
    # added outside: halfnorm(2) on sigma > 0 has log density -sigma^2/8 + const)
    logprior = (
        -0.5 * (pt.sum(W1**2) + pt.sum(w2**2)) / s_w**2 - 0.5 * (pt.sum(b1**2) + b2**2) / s_b**2
    )
    if task == "regression":
        logprior = logprior - sigma**2 / 8.0
    wrt = [W1, b1, w2, b2] + ([sigma] if task == "regression" else [])
    outs = [ll, *pytensor.grad(ll, wrt), *pytensor.grad(ll + logprior, wrt)]
    return pytensor.function(
        [X, y, W1, b1, w2, b2, sigma, s_w, s_b], outs, on_unused_input="ignore"
    )


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("task", TASKS)
def test_backprop_matches_pytensor_gradient(activation, task):
    fn = _pytensor_network(activation, task)
    rng = np.random.default_rng(11)
    checked = 0
    for n, d, hidden in [(1, 1, 1), (5, 2, 3), (30, 4, 6), (50, 3, 2)]:
        model = make_model(
            n,
            d,
            hidden,
            activation,
            task,
            seed=int(rng.integers(1 << 30)),
            weights=stats.norm(0, 1.5),
            biases=stats.norm(0, 3.0),
        )
        for _ in range(3):
            params = random_params(model, rng)
            if activation == "relu" and min_abs_pre(model, params) < 1e-6:
                continue
            sigma = params.get("sigma", 1.0)
            outs = fn(
                model.data["X"],
                model.data["y"],
                params["W1"],
                params["b1"],
                params["w2"],
                params["b2"],
                sigma,
                1.5,
                3.0,
            )
            k = len(model.names)
            ll, g_ll, g_lp = outs[0], outs[1 : 1 + k], outs[1 + k :]
            assert float(model.log_likelihood(**params)) == pytest.approx(float(ll), rel=1e-12)
            for grads, ours in (
                (g_ll, model.grad_log_likelihood(**params)),
                (g_lp, model.grad_log_density(**params)),
            ):
                ref = np.concatenate([np.ravel(g) for g in grads])
                mine = flatten(model, ours)
                assert np.max(np.abs(mine - ref)) <= 1e-6 * np.max(np.abs(ref)) + 1e-12
            checked += 1
    assert checked >= 9


@pytest.mark.parametrize(
    ("activation", "task"), [("tanh", "classification"), ("relu", "regression")]
)
def test_pymc_likelihood_hook_matches_model(activation, task):
    """``_pymc_likelihood`` under flat priors: PyMC's logp and dlogp are the model's."""
    import pymc as pm

    model = make_model(
        25, 3, 4, activation, task, seed=21, sigma=1.3 if task == "regression" else None
    )
    with pm.Model() as pm_model:
        params = {n: pm.Flat(n, shape=p.shape) for n, p in model.parameters.items()}
        obs = model._pymc_likelihood(params)
    assert obs.name == "y"
    logp = pm_model.compile_logp(jacobian=False)
    dlogp = pm_model.compile_dlogp(jacobian=False)
    rng = np.random.default_rng(22)
    for _ in range(3):
        point = random_params(model, rng)
        assert float(logp(point)) == pytest.approx(float(model.log_likelihood(**point)), rel=1e-10)
        ours = flatten(model, model.grad_log_likelihood(**point))
        ref = dlogp(point)  # in the order of pm_model.value_vars: W1, b1, w2, b2
        assert np.max(np.abs(ours - ref)) <= 1e-6 * np.max(np.abs(ref))


# ---------------------------------------------------------------- batching and chunking
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("task", TASKS)
def test_batched_equals_looped_and_chunked_equals_whole(activation, task):
    model = make_model(40, 3, 5, activation, task, seed=31)
    rng = np.random.default_rng(32)
    params = random_params(model, rng, batch=(4, 3))
    params["b2"] = rng.normal(size=(3,))  # batch shapes broadcast: (4, 3) with (3,)
    ll = model.log_likelihood(**params)
    lp = model.log_density(**params)
    grads = model.grad_log_likelihood(**params)
    assert ll.shape == (4, 3)
    for i in range(4):
        for j in range(3):
            point = {k: (v[j] if k == "b2" else v[i, j]) for k, v in params.items()}
            assert float(ll[i, j]) == pytest.approx(
                float(model.log_likelihood(**point)), rel=1e-12
            )
            assert float(lp[i, j]) == pytest.approx(float(model.log_density(**point)), rel=1e-12)
            g = model.grad_log_likelihood(**point)
            for name in model.names:
                np.testing.assert_allclose(grads[name][i, j], g[name], rtol=1e-10, atol=1e-12)
    small = make_model(40, 3, 5, activation, task, seed=31)
    small.chunk_elements = 7  # at most one row per chunk of a (4, 3) batch
    assert list(small._chunks(40, (4, 3))) == [(i, i + 1) for i in range(40)]
    X_new = np.random.default_rng(33).normal(size=(9, 3))
    mean = model.predict(X_new, params)
    # caps of 7 and 23 numbers: one row of the 12-point batch (12 x 5 hidden) is over the cap,
    # so the batch itself is split (into 12 single points, or 4 x 3 points)
    for cap in (7, 23):
        small.chunk_elements = cap
        np.testing.assert_allclose(small.log_likelihood(**params), ll, rtol=1e-12)
        np.testing.assert_allclose(small.log_density(**params), lp, rtol=1e-12)
        small_grads = small.grad_log_likelihood(**params)
        for name in model.names:
            np.testing.assert_allclose(small_grads[name], grads[name], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(small.predict(X_new, params), mean, rtol=1e-12)


def test_chunks_bound_memory():
    model = make_model(1000, 2, 16, "tanh", "classification", seed=1)
    for batch in [(), (10,), (50, 20)]:
        spans = list(model._chunks(1000, batch))
        assert spans[0][0] == 0 and spans[-1][1] == 1000
        assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))
        per_row = int(np.prod(batch, dtype=int)) * 16
        assert max(hi - lo for lo, hi in spans) * per_row <= max(model.chunk_elements, per_row)


# -------------------------------------------------------------------- weight decay
def test_gaussian_prior_is_weight_decay():
    """-log p(θ | D) = cross-entropy + Σ λ_p ‖p‖² + const, with λ = 1 / (2 s²)."""
    s_w1, s_w2, s_b = 0.7, 1.9, 4.0
    model = make_model(
        30,
        3,
        4,
        "tanh",
        "classification",
        seed=41,
        weights={"W1": stats.norm(0, s_w1), "w2": stats.norm(0, s_w2)},
        biases=stats.norm(0, s_b),
    )
    lam = model.weight_decay()
    assert lam == pytest.approx(
        {
            "W1": 1 / (2 * s_w1**2),
            "b1": 1 / (2 * s_b**2),
            "w2": 1 / (2 * s_w2**2),
            "b2": 1 / (2 * s_b**2),
        }
    )
    per_obs = model.weight_decay(per_observation=True)
    assert per_obs["W1"] == pytest.approx(lam["W1"] / 30)
    scales = {"W1": s_w1, "b1": s_b, "w2": s_w2, "b2": s_b}
    const = sum(p.size * (np.log(scales[n]) + 0.5 * LOG_2PI) for n, p in model.parameters.items())
    rng = np.random.default_rng(42)
    y = model.data["y"]
    for _ in range(5):
        params = random_params(model, rng)
        f = reference_forward(model.data["X"], **params, activation="tanh")
        p = expit(f)
        cross_entropy = -np.sum(y * np.log(p) + (1 - y) * np.log1p(-p))
        penalty = sum(lam[n] * np.sum(np.square(params[n])) for n in model.names)
        assert -float(model.log_density(**params)) == pytest.approx(
            cross_entropy + penalty + const, rel=1e-12
        )


def test_weight_decay_leaves_out_non_gaussian_priors():
    model = make_model(
        10,
        2,
        3,
        "tanh",
        "classification",
        seed=1,
        weights={"W1": stats.norm(0, 2.0), "w2": stats.laplace(0, 1)},
        biases={"b1": stats.norm(1.0, 1.0), "b2": stats.norm(0, np.sqrt(0.5))},
    )
    assert model.weight_decay() == pytest.approx({"W1": 0.125, "b2": 1.0})
    vec = make_model(
        10,
        2,
        3,
        "tanh",
        "classification",
        seed=1,
        weights={"W1": stats.norm(0, [[1.0, 2.0, 4.0]]), "w2": stats.norm(0, 1)},
    )
    np.testing.assert_allclose(
        vec.weight_decay()["W1"], np.broadcast_to([[0.5, 0.125, 0.03125]], (2, 3))
    )


# ---------------------------------------------------------------------- priors & setup
def test_parameters_shapes_and_priors():
    model = make_model(12, 3, 5, "tanh", "regression", seed=2)
    assert model.names == ("W1", "b1", "w2", "b2", "sigma")
    assert {n: p.shape for n, p in model.parameters.items()} == {
        "W1": (3, 5),
        "b1": (5,),
        "w2": (5,),
        "b2": (),
        "sigma": (),
    }
    assert model.parameters["sigma"].prior.family == "halfnorm"
    assert model.size == 3 * 5 + 5 + 5 + 1 + 1
    assert model.has_gradient
    assert "3-5-1 tanh network" in repr(model)


def test_fixed_and_missing_biases():
    X = np.random.default_rng(0).normal(size=(8, 2))
    y = np.array([0, 1] * 4)
    model = Perceptron(X, y, hidden=3, biases=0)
    assert model.names == ("W1", "w2")
    np.testing.assert_array_equal(model.fixed["b1"], np.zeros(3))
    params = {"W1": np.ones((2, 3)), "w2": np.ones(3)}
    f = reference_forward(X, np.ones((2, 3)), np.zeros(3), np.ones(3), 0.0, "tanh")
    np.testing.assert_allclose(model.forward(**params).output, f)
    assert set(model.grad_log_density(**params)) == {"W1", "w2"}
    fixed = Perceptron(X, y, hidden=3, biases={"b1": stats.norm(0, 1), "b2": 0.5})
    assert fixed.names == ("W1", "b1", "w2")
    assert float(fixed.fixed["b2"]) == 0.5
    # a fixed parameter may be passed to predict/forward when it equals its value
    theta = {"W1": np.ones((2, 3)), "b1": np.zeros(3), "w2": np.ones(3)}
    np.testing.assert_allclose(fixed.predict(X, {**theta, "b2": 0.5}), fixed.predict(X, theta))
    with pytest.raises(ValueError, match="b2 is fixed"):
        fixed.predict(X, {**theta, "b2": 1.0})
    sigma_fixed = Perceptron(X, X[:, 0], hidden=2, task="regression", sigma=0.5)
    assert "sigma" not in sigma_fixed.names
    assert float(sigma_fixed.fixed["sigma"]) == 0.5


def test_update_appends_rows():
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(20, 2)), rng.integers(0, 2, size=20)
    whole = Perceptron(X, y, hidden=3)
    part = Perceptron(X[:12], y[:12], hidden=3).updated(X=X[12:], y=y[12:])
    params = random_params(whole, rng)
    assert part.n_obs == 20
    assert float(part.log_likelihood(**params)) == pytest.approx(
        float(whole.log_likelihood(**params))
    )
    with pytest.raises(ValueError, match="column"):
        whole.update(X=np.zeros((2, 3)), y=[0, 1])
    with pytest.raises(TypeError, match="X and y"):
        whole.update(X=X)


def test_initial_point_breaks_symmetry():
    model = make_model(30, 3, 6, "tanh", "regression", seed=4)
    start = model.initial_point(rng=0)
    assert set(start) == set(model.names)
    assert np.all(np.isfinite(model.log_density(**start)))
    assert np.std(start["W1"]) > 0 and np.std(start["w2"]) > 0
    assert float(start["sigma"]) == pytest.approx(np.std(model.data["y"]))
    np.testing.assert_array_equal(start["W1"], model.initial_point(rng=0)["W1"])
    # at all-zero weights backprop gives W1 and w2 no gradient: the saddle the start avoids
    zeros = {n: np.zeros(p.shape) for n, p in model.parameters.items()} | {"sigma": 1.0}
    g = model.grad_log_likelihood(**zeros)
    assert np.all(g["W1"] == 0) and np.all(g["w2"] == 0)


# -------------------------------------------------------------------------- prediction
def test_predict_from_params():
    model = make_model(15, 2, 3, "tanh", "classification", seed=7)
    params = random_params(model, np.random.default_rng(8))
    X_new = np.array([[0.0, 0.0], [1.0, -2.0], [5.0, 5.0]])
    expected = expit(reference_forward(X_new, **params, activation="tanh"))
    np.testing.assert_allclose(model.predict(X_new, params), expected, rtol=1e-12)
    np.testing.assert_allclose(predict(model, X_new, params), expected, rtol=1e-12)

    class FakeMAP:  # anything with a .params dict, like bg.map_estimate's result
        pass

    fit = FakeMAP()
    fit.params = params
    np.testing.assert_allclose(model.predict(X_new, fit), expected, rtol=1e-12)
    batched = {k: np.stack([v, v]) for k, v in params.items()}
    assert model.predict(X_new, batched).shape == (2, 3)
    reg = make_model(15, 2, 3, "relu", "regression", seed=7)
    rp = random_params(reg, np.random.default_rng(8))
    np.testing.assert_allclose(
        reg.predict(X_new, rp),
        reference_forward(X_new, rp["W1"], rp["b1"], rp["w2"], rp["b2"], "relu"),
    )


def test_predict_from_posterior_draws():
    model = make_model(15, 1, 3, "tanh", "classification", seed=9)
    rng = np.random.default_rng(10)
    draws = random_params(model, rng, batch=(400,))
    post = SamplePosterior(model, draws)
    X_new = np.linspace(-3, 3, 7)[:, None]
    pred = model.predict(X_new, posterior=post, size=300, prob=0.9, rng=5)
    assert isinstance(pred, Prediction)
    assert pred.draws.shape == (300, 7) and pred.mean.shape == (7,)
    # the draws are the networks of the posterior's own sample with the same seed
    chosen = post.sample(300, rng=np.random.default_rng(5))
    np.testing.assert_allclose(pred.draws, model.predict(X_new, chosen), rtol=1e-12)
    np.testing.assert_allclose(pred.mean, pred.draws.mean(axis=0))
    np.testing.assert_allclose(pred.low, np.quantile(pred.draws, 0.05, axis=0))
    np.testing.assert_allclose(pred.high, np.quantile(pred.draws, 0.95, axis=0))
    assert np.all((pred.low <= pred.mean) & (pred.mean <= pred.high))
    hdi = model.predict(X_new, posterior=post, size=300, prob=0.9, interval="hdi", rng=5)
    low, high = hdi_of_samples(hdi.draws, 0.9)
    np.testing.assert_allclose(hdi.low, low)
    np.testing.assert_allclose(hdi.high, high)
    inside = (hdi.draws >= hdi.low) & (hdi.draws <= hdi.high)
    assert np.all(inside.sum(axis=0) >= np.floor(0.9 * 300))
    frame = pred.to_frame()
    assert list(frame.columns) == ["mean", "sd", "low", "high"] and len(frame) == 7
    assert "Prediction" in repr(pred)


def test_predict_regression_noise():
    model = make_model(20, 1, 2, "tanh", "regression", seed=12)
    rng = np.random.default_rng(13)
    draws = random_params(model, rng, batch=(2000,))
    draws["sigma"] = np.full(2000, 0.5)
    post = SamplePosterior(model, draws)
    X_new = np.array([[0.0], [1.0]])
    mean_only = model.predict(X_new, posterior=post, size=4000, rng=1)
    noisy = model.predict(X_new, posterior=post, size=4000, rng=1, noise=True)
    assert noisy.noise and not mean_only.noise
    # Var(y) = Var(f) + sigma^2: the noise adds 0.25 to the variance of the draws
    np.testing.assert_allclose(noisy.sd**2, mean_only.sd**2 + 0.25, rtol=0.1)
    assert np.all(noisy.width > mean_only.width)


# ----------------------------------------------------------------------- bad input
def test_bad_input():
    X = np.random.default_rng(0).normal(size=(6, 2))
    y = np.array([0, 1, 0, 1, 1, 0])
    with pytest.raises(ValueError, match="X must be"):
        Perceptron(np.zeros((2, 3, 4)), [0, 1])
    with pytest.raises(ValueError, match="y must be"):
        Perceptron(X, y[:5])
    with pytest.raises(ValueError, match="y must be"):
        Perceptron(X, y[:, None])
    with pytest.raises(ValueError, match="y must be <= 1"):
        Perceptron(X, [0, 1, 2, 0, 1, 0])
    with pytest.raises(ValueError, match="y must be whole"):
        Perceptron(X, [0, 0.5, 1, 0, 1, 0])
    with pytest.raises(ValueError, match="y must be >= 0"):
        Perceptron(X, [0, -1, 1, 0, 1, 0])
    with pytest.raises(ValueError, match="X must contain only finite"):
        Perceptron(np.full((6, 2), np.nan), y)
    with pytest.raises(ValueError, match="hidden"):
        Perceptron(X, y, hidden=0)
    with pytest.raises(TypeError, match="hidden"):
        Perceptron(X, y, hidden=2.5)
    with pytest.raises(TypeError, match="hidden"):
        Perceptron(X, y, hidden=True)
    with pytest.raises(ValueError, match="activation"):
        Perceptron(X, y, activation="sigmoid")
    with pytest.raises(TypeError, match="activation"):
        Perceptron(X, y, activation=np.tanh)
    with pytest.raises(ValueError, match="task"):
        Perceptron(X, y, task="multiclass")
    with pytest.raises(TypeError, match="sigma"):
        Perceptron(X, X[:, 0], task="regression")
    with pytest.raises(ValueError, match="sigma"):
        Perceptron(X, y, sigma=1.0)
    with pytest.raises(ValueError, match="sigma"):
        Perceptron(X, X[:, 0], task="regression", sigma=-1.0)
    with pytest.raises(ValueError, match="sigma"):
        Perceptron(X, X[:, 0], task="regression", sigma=stats.norm(0, 1))
    with pytest.raises(ValueError, match="weights"):
        Perceptron(X, y, weights={"W1": stats.norm(0, 1)})
    with pytest.raises(ValueError, match="biases"):
        Perceptron(X, y, biases={"b1": stats.norm(0, 1), "b3": stats.norm(0, 1)})
    with pytest.raises(TypeError, match="weights"):
        Perceptron(X, y, weights={"W1": None, "w2": stats.norm(0, 1)})
    with pytest.raises(TypeError, match="biases"):
        Perceptron(X, y, biases={"b1": stats.norm(0, 1), "b2": None})
    with pytest.raises(TypeError, match="prior for W1"):
        Perceptron(X, y, weights="normal")
    with pytest.raises(ValueError, match="W1"):
        Perceptron(
            X, y, hidden=3, weights={"W1": stats.norm(0, np.ones(4)), "w2": stats.norm(0, 1)}
        )
    with pytest.raises(ValueError, match="fixed W1"):
        Perceptron(X, y, hidden=3, weights={"W1": np.ones(4), "w2": stats.norm(0, 1)})
    model = Perceptron(X, y, hidden=3)
    params = random_params(model, np.random.default_rng(1))
    with pytest.raises(ValueError, match="X_new"):
        model.predict(np.zeros((2, 3)), params)
    with pytest.raises(TypeError, match="exactly one"):
        model.predict(
            X,
            params,
            posterior=SamplePosterior(model, random_params(model, np.random.default_rng(2), (5,))),
        )
    with pytest.raises(TypeError, match="exactly one"):
        model.predict(X)
    with pytest.raises(TypeError, match="params"):
        model.predict(X, [1, 2, 3])
    with pytest.raises(TypeError, match="posterior"):
        model.predict(X, posterior=params)
    with pytest.raises(TypeError, match="posterior"):
        model.predict(X, posterior=object())
    post = SamplePosterior(model, random_params(model, np.random.default_rng(2), (5,)))
    with pytest.raises(ValueError, match="interval"):
        model.predict(X, posterior=post, interval="central")
    with pytest.raises(ValueError, match="prob"):
        model.predict(X, posterior=post, prob=1.5)
    with pytest.raises(ValueError, match="size"):
        model.predict(X, posterior=post, size=0)
    with pytest.raises(ValueError, match="noise"):
        model.predict(X, posterior=post, noise=True)
    with pytest.raises(TypeError, match="missing parameter"):
        model.forward(W1=params["W1"])
    with pytest.raises(TypeError, match="both X and y"):
        model.backward(X, **params)


# -------------------------------------------------------- MAP, Laplace, PyMC integration
def test_map_training_converges_and_loss_decreases():
    from bayesgd.map import map_estimate

    rng = np.random.default_rng(51)
    X = rng.normal(size=(80, 2))
    y = (np.sin(2 * X[:, 0]) + X[:, 1] + 0.3 * rng.normal(size=80) > 0).astype(int)
    model = Perceptron(X, y, hidden=4, weights=stats.norm(0, 1.5), biases=stats.norm(0, 3.0))
    fit = map_estimate(model)
    assert fit.converged
    losses = fit.history["loss"].to_numpy()
    assert losses[-1] < losses[0] - 5.0
    assert np.all(np.diff(losses) <= 1e-10 * abs(losses[0]))  # the line search never goes up
    assert fit.loss == pytest.approx(-float(model.log_density(**fit.params)), rel=1e-12)
    assert fit.loss == pytest.approx(losses[-1], rel=1e-12)
    # the mode is a stationary point of cross-entropy + Σ λ‖w‖² (the weight-decay objective),
    # checked with the layer-by-layer backward pass: ∂CE/∂w + 2 λ w = 0
    back = model.backward(**fit.params)
    lam = model.weight_decay()
    for name in model.names:
        total = back.params[name] + 2.0 * lam[name] * fit.params[name]
        assert np.max(np.abs(total)) <= 1e-7 * max(1.0, fit.loss)
    # the default start is model.initial_point(): from all-zero weights, backprop gives W1
    # and w2 no gradient and gradient descent stays on the saddle
    zeros = {n: np.zeros(p.shape) for n, p in model.parameters.items()}
    stuck = map_estimate(model, init=zeros)
    np.testing.assert_array_equal(stuck.params["W1"], 0.0)
    np.testing.assert_array_equal(stuck.params["w2"], 0.0)
    assert stuck.loss > fit.loss + 5.0


def test_laplace_predictions_match_the_delta_method(fd):
    """With much data the Laplace posterior is narrow, so the spread of the predictive mean is
    the linearised ``sqrt(J Σ Jᵀ)`` with ``J = ∂f(x)/∂θ`` at the mode.

    One hidden unit keeps the network identified: with redundant units (``w2_j ≈ 0``) the
    posterior is wide along ``W1_j`` and no linearisation holds.
    """
    from bayesgd.laplace import laplace

    rng = np.random.default_rng(61)
    X = rng.uniform(-2, 2, size=(400, 1))
    truth = lambda x: 1.5 * np.tanh(1.2 * x - 0.3) + 0.2  # noqa: E731
    y = truth(X[:, 0]) + 0.3 * rng.normal(size=400)
    model = Perceptron(X, y, hidden=1, task="regression", sigma=0.3)
    post = laplace(model, space="constrained")
    X_new = np.array([[-1.5], [0.0], [1.0], [2.5]])
    pred = model.predict(X_new, posterior=post, size=20000, rng=0)
    mode = post.map_result.params
    x0 = flatten(model, mode)
    J = np.stack(
        [
            fd(
                lambda x, i=i: float(model.predict(X_new[i : i + 1], unflatten(model, x))[0]),
                x0,
                1e-6,
            )
            for i in range(len(X_new))
        ]
    )
    sd_linear = np.sqrt(np.einsum("ij,jk,ik->i", J, post.cov, J))
    np.testing.assert_allclose(pred.sd, sd_linear, rtol=0.05)
    # the mean to second order: f(θ̂) + tr(∇²f Σ) / 2, ∇²f by central differences
    k, h = x0.size, 1e-4
    steps = np.eye(k) * h
    f = lambda x: model.predict(X_new, unflatten(model, x))  # noqa: E731
    hess = np.empty((len(X_new), k, k))
    for i in range(k):
        for j in range(k):
            hess[:, i, j] = (
                f(x0 + steps[i] + steps[j])
                - f(x0 + steps[i] - steps[j])
                - f(x0 - steps[i] + steps[j])
                + f(x0 - steps[i] - steps[j])
            ) / (4 * h * h)
    second_order = model.predict(X_new, mode) + 0.5 * np.einsum("ijk,kj->i", hess, post.cov)
    np.testing.assert_allclose(pred.mean, second_order, atol=4 * sd_linear.max() / np.sqrt(20000))
    assert np.all((pred.low < pred.mean) & (pred.mean < pred.high))
    # outside the data (x = 2.5) the prediction is less certain than inside
    assert pred.sd[3] > 1.3 * pred.sd[:3].max()


def test_to_pymc_log_density_matches_model():
    from bayesgd.pymc import to_pymc

    model = make_model(
        20,
        2,
        3,
        "tanh",
        "regression",
        seed=71,
        weights={"W1": stats.norm(0, 1), "w2": stats.norm(0, 2)},
        biases={"b1": stats.norm(0, 3), "b2": 0.25},
    )
    pm_model = to_pymc(model)
    assert sorted(v.name for v in pm_model.free_RVs) == ["W1", "b1", "sigma", "w2"]
    assert [v.name for v in pm_model.observed_RVs] == ["y"]
    logp = pm_model.compile_logp(jacobian=False)
    rng = np.random.default_rng(72)
    for _ in range(3):
        point = random_params(model, rng)
        values = {v.name: point[v.name.removesuffix("_log__")] for v in pm_model.value_vars}
        values["sigma_log__"] = np.log(point["sigma"])
        assert float(logp(values)) == pytest.approx(float(model.log_density(**point)), rel=1e-10)


def _weak_signal_data(n=30, seed=0):
    """1-D inputs on [-2, 2] with labels that only weakly depend on x."""
    rng = np.random.default_rng(seed)
    x = np.linspace(-2.0, 2.0, n)
    y = (rng.uniform(size=n) < expit(0.8 * x)).astype(int)
    return x[:, None], y


@pytest.fixture(scope="module")
def relu_nuts():
    """A tiny ReLU network (hidden=2, n=30) sampled with a short seeded NUTS run."""
    import warnings

    from bayesgd.errors import SamplingWarning
    from bayesgd.pymc import sample_pymc

    X, y = _weak_signal_data()
    model = Perceptron(X, y, hidden=2, activation="relu")
    with warnings.catch_warnings():
        # the posterior of a network is multimodal (hidden units can swap): R-hat of single
        # weights is not a diagnostic of the predictions, which are invariant to the swap
        warnings.simplefilter("ignore", SamplingWarning)
        post = sample_pymc(model, draws=300, tune=300, chains=2, rng=1)
    return model, post


def test_nuts_posterior_predictions(relu_nuts):
    model, post = relu_nuts
    X = model.data["X"]
    pred = model.predict(X, posterior=post, size=600, rng=0)
    assert pred.draws.shape == (600, 30)
    assert np.all(
        (0 <= pred.low) & (pred.low <= pred.mean) & (pred.mean <= pred.high) & (pred.high <= 1)
    )
    # the posterior predictive probability follows the data: it rises from left to right
    left, right = pred.mean[:10].mean(), pred.mean[-10:].mean()
    assert (
        left < model.data["y"][:15].mean() + 0.15 and right > model.data["y"][-15:].mean() - 0.15
    )
    assert right - left > 0.2


def test_map_is_overconfident_far_from_the_data_and_the_posterior_is_not(relu_nuts):
    """Far from the data a ReLU network's MAP extrapolates its slope with certainty (P ≈ 0 or
    1) while the posterior draws disagree there, so the posterior interval is wide."""
    import warnings

    from bayesgd.errors import ConvergenceWarning
    from bayesgd.map import map_estimate

    model, post = relu_nuts
    with warnings.catch_warnings():
        # a ReLU MAP sits where a hidden unit's kink meets a data point: the loss has no
        # gradient there, so the gradient tolerance is not met; the loss is still minimal
        warnings.simplefilter("ignore", ConvergenceWarning)
        fit = map_estimate(model, max_iter=300)
    far = np.array([[-50.0], [50.0]])
    p_map = model.predict(far, fit)
    assert np.all(np.minimum(p_map, 1.0 - p_map) < 1e-4)  # MAP: certain
    pred_far = model.predict(far, posterior=post, size=600, rng=0)
    pred_data = model.predict(model.data["X"], posterior=post, size=600, rng=0)
    assert np.all(pred_far.low < 0.1) and np.all(pred_far.high > 0.9)  # posterior: not
    assert np.all(np.minimum(pred_far.mean, 1.0 - pred_far.mean) > 0.05)
    assert pred_far.width.min() > pred_data.width.max() + 0.2  # wider than anywhere near the data
