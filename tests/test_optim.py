"""Tests of bayesgd.optim: optimizers as pure init/update pairs."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize as scipy_minimize
from scipy.special import expit

from bayesgd import optim
from bayesgd.optim import (
    DEFAULT_OPTIMIZER,
    OPTIMIZERS,
    Optimizer,
    adam,
    backtracking,
    bb,
    gd,
    get_optimizer,
    lbfgs,
    momentum,
    nesterov,
    suggest_step_size,
)
from bayesgd.optim._lbfgs import _two_loop

LINE_SEARCH = ("backtracking", "bb", "lbfgs")


# --------------------------------------------------------------------------------------------
# a minimal driver (the real one is bg.map_estimate) and test objectives


class Run(NamedTuple):
    theta: np.ndarray
    value: float
    grad: np.ndarray
    iterations: int
    converged: bool
    evals: int
    state: object


def drive(opt, fun, theta0, *, gtol=1e-10, max_iter=5000):
    """Iterate ``opt`` on ``fun`` until ``max|grad| <= gtol``, reusing ``last_eval``."""
    evals = [0]

    def counted(theta):
        evals[0] += 1
        return fun(theta)

    theta = np.array(theta0, dtype=float)
    state = opt.init(theta)
    value, grad = counted(theta)
    for it in range(max_iter):
        if np.max(np.abs(grad)) <= gtol:
            return Run(theta, value, grad, it, True, evals[0], state)
        step, state = opt.update(grad, state, theta, value=value, fun=counted)
        theta = theta + step
        last = getattr(state, "last_eval", None)
        if last is not None and np.array_equal(last[0], theta):
            _, value, grad = last
        else:
            value, grad = counted(theta)
        if getattr(state, "stalled", False):
            break
    return Run(theta, value, grad, max_iter, bool(np.max(np.abs(grad)) <= gtol), evals[0], state)


def quadratic(H, xstar, offset=0.0):
    H = np.asarray(H, dtype=float)
    xstar = np.asarray(xstar, dtype=float)

    def fun(x):
        e = x - xstar
        He = H @ e
        return float(0.5 * e @ He + offset), He

    return fun


def random_spd(rng, d, cond, scale=1.0):
    q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    eig = scale * np.exp(np.linspace(0.0, math.log(cond), d))
    return (q * eig) @ q.T


def rosenbrock(t):
    x, y = t
    value = (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2
    grad = np.array([-2.0 * (1.0 - x) - 400.0 * x * (y - x * x), 200.0 * (y - x * x)])
    return float(value), grad


def logistic_problem(n, d, seed, log_scale=2.0):
    """Logistic regression, features on scales 10**U(-s, s), N(0, 2.5^2) prior, intercept."""
    rng = np.random.default_rng(seed)
    scales = 10.0 ** rng.uniform(-log_scale, log_scale, d)
    X = rng.standard_normal((n, d)) * scales
    beta = rng.normal(0.0, 1.0, d) / scales
    y = (rng.uniform(size=n) < expit(X @ beta + 0.5)).astype(float)
    X = np.column_stack([np.ones(n), X])
    prior_var = np.r_[25.0, np.full(d, 2.5**2)]

    def fun(u):
        eta = X @ u
        value = np.sum(np.logaddexp(0.0, eta) - y * eta) + 0.5 * np.sum(u * u / prior_var)
        return float(value), X.T @ (expit(eta) - y) + u / prior_var

    def newton():
        u = np.zeros(d + 1)
        for _ in range(60):
            _, g = fun(u)
            p = expit(X @ u)
            H = (X * (p * (1.0 - p))[:, None]).T @ X + np.diag(1.0 / prior_var)
            u = u - np.linalg.solve(H, g)
        return u

    return fun, d + 1, newton


H5 = random_spd(np.random.default_rng(0), 5, 10.0)
X5 = np.array([1.0, -2.0, 3.0, 0.5, -0.25])
QUAD5 = quadratic(H5, X5, offset=7.0)


def make(name):
    """Each optimizer with a step size suited to QUAD5 (eigenvalues 1..10)."""
    return {
        "gd": gd(lr=0.1),
        "momentum": momentum(lr=0.02),
        "nesterov": nesterov(lr=0.02),
        "adam": adam(lr=0.1),
        "backtracking": backtracking(),
        "bb": bb(),
        "lbfgs": lbfgs(),
    }[name]


# --------------------------------------------------------------------------------------------
# convergence


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_every_optimizer_minimises_a_well_conditioned_quadratic(name):
    res = drive(make(name), QUAD5, np.zeros(5), gtol=1e-10, max_iter=5000)
    assert res.converged, (name, res.iterations)
    np.testing.assert_allclose(res.theta, X5, rtol=0, atol=1e-9)
    assert res.value == pytest.approx(7.0, abs=1e-12)


@pytest.mark.parametrize("name", ["adam", "bb", "lbfgs"])
def test_minimises_rosenbrock(name):
    res = drive(make(name), rosenbrock, [-1.2, 1.0], gtol=1e-9, max_iter=5000)
    assert res.converged, (name, res.iterations)
    np.testing.assert_allclose(res.theta, [1.0, 1.0], rtol=0, atol=1e-8)


def test_lbfgs_on_rosenbrock_is_fast():
    res = drive(lbfgs(), rosenbrock, [-1.2, 1.0], gtol=1e-10)
    assert res.converged
    assert res.evals <= 80  # scipy's L-BFGS-B and BFGS need 40-50 to get to 1e-8
    np.testing.assert_allclose(res.theta, [1.0, 1.0], rtol=0, atol=1e-10)


def test_backtracking_on_rosenbrock_descends_monotonically():
    opt = backtracking()
    theta = np.array([-1.2, 1.0])
    state = opt.init(theta)
    value, grad = rosenbrock(theta)
    for _ in range(2000):  # steepest descent is slow on the banana: L ~ 1e-3 after 2000 steps
        _, state = opt.update(grad, state, theta, value=value, fun=rosenbrock)
        theta, new_value, grad = state.last_eval
        assert new_value < value
        value = new_value
    assert value < 5e-3


def test_extended_rosenbrock_in_ten_dimensions():
    def rosen(x):
        f = np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)
        g = np.zeros_like(x)
        g[:-1] = -400.0 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2.0 * (1.0 - x[:-1])
        g[1:] += 200.0 * (x[1:] - x[:-1] ** 2)
        return float(f), g

    res = drive(lbfgs(), rosen, np.zeros(10), gtol=1e-10)
    assert res.converged
    np.testing.assert_allclose(res.theta, np.ones(10), rtol=0, atol=1e-9)


@settings(max_examples=25, deadline=None)
@given(
    d=st.integers(1, 6),
    log_cond=st.floats(0.0, math.log(100.0)),
    log_scale=st.floats(-3.0, 3.0),
    seed=st.integers(0, 2**32 - 1),
    offset=st.sampled_from([0.0, 3.0, -1e3]),
)
def test_line_search_methods_reach_minimiser_of_random_spd_quadratics(
    d, log_cond, log_scale, seed, offset
):
    rng = np.random.default_rng(seed)
    scale = math.exp(log_scale)
    H = random_spd(rng, d, math.exp(log_cond), scale=scale)
    xstar = rng.uniform(-10.0, 10.0, d)
    fun = quadratic(H, xstar, offset)
    theta0 = rng.uniform(-10.0, 10.0, d)
    for name in LINE_SEARCH:
        # gradient at 1e-10 of its scale: the error is below 1e-10 * cond <= 1e-8
        res = drive(get_optimizer(name), fun, theta0, gtol=1e-10 * scale, max_iter=20000)
        err = np.max(np.abs(res.theta - xstar))
        assert err <= 1e-8 * max(1.0, np.max(np.abs(xstar))), (name, err, res.iterations)


# --------------------------------------------------------------------------------------------
# exact update rules


def test_gd_follows_the_seed_rule_exactly():
    lr = 0.05
    opt = gd(lr=lr)
    theta = np.zeros(5)
    state = opt.init(theta)
    expected = np.zeros(5)
    for _ in range(5):
        _, grad = QUAD5(theta)
        step, state = opt.update(grad, state, theta)
        theta = theta + step
        expected = expected - lr * (H5 @ (expected - X5))  # theta_{t+1} = theta_t - lr grad
        np.testing.assert_array_equal(step, -lr * grad)
        np.testing.assert_allclose(theta, expected, rtol=1e-15, atol=1e-15)
    assert state.count == 5


def test_gd_with_too_large_a_step_grows_instead_of_being_clipped():
    # L = 5 x^2: stable for lr < 0.2; lr = 0.3 multiplies x by 1 - 3 = -2 each step.
    opt = gd(lr=0.3)
    theta = np.array([1.0])
    state = opt.init(theta)
    norms = []
    for _ in range(10):
        step, state = opt.update(10.0 * theta, state, theta)
        theta = theta + step
        norms.append(abs(theta[0]))
    assert norms == [2.0**k for k in range(1, 11)]


def test_momentum_and_nesterov_first_steps_by_hand():
    lr, beta = 0.1, 0.5
    g1, g2 = np.array([1.0, -2.0]), np.array([0.5, 1.0])
    theta = np.zeros(2)
    opt = momentum(lr=lr, beta=beta)
    s1, state = opt.update(g1, opt.init(theta), theta)
    s2, state = opt.update(g2, state, theta + s1)
    np.testing.assert_allclose(s1, -lr * g1)
    np.testing.assert_allclose(s2, beta * (-lr * g1) - lr * g2)
    np.testing.assert_allclose(state.velocity, s2)

    opt = nesterov(lr=lr, beta=beta)
    s1, state = opt.update(g1, opt.init(theta), theta)
    v1 = -lr * g1
    np.testing.assert_allclose(s1, beta * v1 - lr * g1)
    s2, state = opt.update(g2, state, theta + s1)
    v2 = beta * v1 - lr * g2
    np.testing.assert_allclose(s2, beta * v2 - lr * g2)


def test_adam_steps_by_hand():
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    opt = adam(lr=lr, b1=b1, b2=b2, eps=eps)
    theta = np.zeros(2)
    grads = [np.array([3.0, -0.01]), np.array([1.0, 0.02])]
    state = opt.init(theta)
    m = v = np.zeros(2)
    for t, g in enumerate(grads, start=1):
        step, state = opt.update(g, state, theta)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        expected = -lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        np.testing.assert_allclose(step, expected, rtol=1e-12)
    np.testing.assert_allclose(
        opt.update(grads[0], opt.init(theta), theta)[0], [-lr, lr], rtol=1e-5
    )


def test_backtracking_step_satisfies_armijo_and_restarts_from_grown_or_line_minimiser():
    opt = backtracking(lr=1.0, c=1e-4, shrink=0.5, grow=2.0)
    theta = np.zeros(5)
    value, grad = QUAD5(theta)
    calls = []

    def fun(x):
        calls.append(x.copy())
        return QUAD5(x)

    step, state = opt.update(grad, opt.init(theta), theta, value=value, fun=fun)
    alpha = state.lr
    # trials 1, 1/2, 1/4, ... until Armijo holds; the previous one (2 alpha) failed it
    assert [np.max(np.abs(c - theta)) for c in calls] == pytest.approx(
        [np.max(np.abs(grad)) * 0.5**k for k in range(len(calls))]
    )
    np.testing.assert_allclose(step, -alpha * grad)
    assert QUAD5(theta + step)[0] <= value - 1e-4 * alpha * grad @ grad
    if len(calls) > 1:
        assert QUAD5(theta - 2 * alpha * grad)[0] > value - 1e-4 * 2 * alpha * grad @ grad
    # next start: min(2 alpha, the minimiser of the quadratic along the last line)
    line_min = (grad @ grad) / (grad @ H5 @ grad)
    assert state.next_trial == pytest.approx(min(2 * alpha, line_min), rel=1e-12)
    theta = theta + step
    value, grad = QUAD5(theta)
    calls.clear()
    _, state2 = opt.update(grad, state, theta, value=value, fun=fun)
    np.testing.assert_allclose(calls[0], theta - state.next_trial * grad)
    assert state2.n_evals - state.n_evals == len(calls)


def test_backtracking_does_not_stall_at_twice_the_line_minimiser():
    # lambda_max just under 4: alpha = 1/2 passes Armijo (c=1e-4) yet barely shrinks that mode
    H = np.diag([0.2, 1.0, 3.9995])
    res = drive(backtracking(), quadratic(H, np.ones(3), 3.0), np.zeros(3), gtol=1e-10)
    assert res.converged and res.iterations < 500
    np.testing.assert_allclose(res.theta, 1.0, atol=1e-9)


def test_lbfgs_two_loop_equals_dense_bfgs_inverse():
    rng = np.random.default_rng(3)
    d, k = 6, 4
    A = random_spd(rng, d, 30.0)
    S = [rng.standard_normal(d) for _ in range(k)]
    Y = [A @ s for s in S]
    diag = rng.uniform(0.5, 2.0, d)
    Hinv = np.diag(1.0 / diag)
    for s, y in zip(S, Y, strict=True):
        rho = 1.0 / (s @ y)
        V = np.eye(d) - rho * np.outer(y, s)
        Hinv = V.T @ Hinv @ V + rho * np.outer(s, s)
    g = rng.standard_normal(d)
    got = _two_loop(
        g, tuple(S), tuple(Y), tuple(1.0 / (s @ y) for s, y in zip(S, Y, strict=True)), diag
    )
    np.testing.assert_allclose(got, Hinv @ g, rtol=1e-10)


def test_lbfgs_is_exact_on_a_quadratic_after_enough_pairs():
    # BFGS with exact line searches terminates in d steps on a quadratic; with the Wolfe search
    # and unit steps it is superlinear: a 6-D quadratic of condition 1e3 takes few iterations.
    H = random_spd(np.random.default_rng(5), 6, 1e3)
    xstar = np.arange(6.0)
    res = drive(lbfgs(), quadratic(H, xstar, 2.0), np.zeros(6), gtol=1e-11)
    assert res.converged and res.iterations <= 40
    np.testing.assert_allclose(res.theta, xstar, rtol=0, atol=1e-9)


def test_lbfgs_skips_pairs_with_nonpositive_curvature():
    opt = lbfgs()
    theta = np.array([1.0, 1.0])
    value, grad = QUAD5(np.r_[theta, 0, 0, 0])[0], np.array([1.0, 1.0])
    # previous point with s'y < 0: the pair must be dropped
    state = opt.init(theta)._replace(
        prev_theta=np.array([0.0, 0.0]), prev_grad=np.array([2.0, 2.0])
    )
    fun = quadratic(np.eye(2), np.zeros(2))
    value, grad = fun(theta)
    _, new = opt.update(grad, state, theta, value=value, fun=fun)
    assert new.s_hist == ()
    assert new.diag is None


def test_line_search_survives_non_finite_trial_points():
    # L = x^2 / 2 for |x| < 3, NaN beyond: a first trial of length 100 must be shrunk
    def fun(x):
        if np.max(np.abs(x)) >= 3:
            return math.nan, np.full_like(x, math.nan)
        return float(0.5 * x @ x), x.copy()

    for opt in (lbfgs(lr=100.0), backtracking(lr=100.0), bb(lr=100.0)):
        res = drive(opt, fun, np.array([2.0, -1.0]), gtol=1e-12)
        assert res.converged, opt.name
        np.testing.assert_allclose(res.theta, 0.0, atol=1e-12)


def test_stalled_when_no_decrease_is_possible():
    # the gradient claims descent but the value never decreases: no step is acceptable
    def fun(x):
        return 1.0, np.ones_like(x)

    for name in LINE_SEARCH:
        opt = get_optimizer(name)
        theta = np.zeros(3)
        step, state = opt.update(np.ones(3), opt.init(theta), theta, value=0.0, fun=fun)
        assert state.stalled, name
        assert state.last_eval is None
        np.testing.assert_array_equal(step, 0.0)
        assert state.n_evals > 0


def test_zero_gradient_gives_zero_step_without_evaluations():
    def fun(x):
        raise AssertionError("fun must not be called")

    for name in OPTIMIZERS:
        opt = get_optimizer(name)
        theta = np.ones(3)
        step, _ = opt.update(np.zeros(3), opt.init(theta), theta, value=1.0, fun=fun)
        np.testing.assert_array_equal(step, 0.0)


# --------------------------------------------------------------------------------------------
# the last_eval contract, purity and immutability


@pytest.mark.parametrize("name", LINE_SEARCH)
def test_last_eval_is_the_evaluation_at_theta_plus_step(name):
    opt = get_optimizer(name)
    theta = np.zeros(5)
    state = opt.init(theta)
    value, grad = QUAD5(theta)
    for _ in range(4):
        calls = []

        def fun(x, calls=calls):
            calls.append(x.copy())
            return QUAD5(x)

        n_before = state.n_evals
        step, state = opt.update(grad, state, theta, value=value, fun=fun)
        theta_new, value_new, grad_new = state.last_eval
        np.testing.assert_array_equal(theta_new, theta + step)  # bitwise
        np.testing.assert_array_equal(calls[-1], theta_new)  # the last call was the accepted one
        assert value_new == QUAD5(theta_new)[0]
        np.testing.assert_array_equal(grad_new, QUAD5(theta_new)[1])
        assert isinstance(value_new, float)
        assert state.n_evals - n_before == len(calls)
        theta, value, grad = theta_new, value_new, grad_new


def test_lbfgs_costs_one_evaluation_per_iteration_when_unit_steps_are_accepted():
    res = drive(lbfgs(), QUAD5, np.zeros(5), gtol=1e-10)
    assert res.converged
    assert res.evals <= res.iterations + 6  # 1 at the start, a few extra in early searches


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_states_are_immutable_named_tuples(name):
    opt = get_optimizer(name)
    theta = np.zeros(5)
    state = opt.init(theta)
    value, grad = QUAD5(theta)
    for _ in range(3):
        step, state = opt.update(grad, state, theta, value=value, fun=QUAD5)
        theta = theta + step
        value, grad = QUAD5(theta)
    assert isinstance(state, tuple) and hasattr(state, "_fields")
    with pytest.raises(AttributeError):
        state.count = 0
    arrays = [f for f in state if isinstance(f, np.ndarray)]
    for f in state:
        if isinstance(f, tuple):
            arrays += [a for a in f if isinstance(a, np.ndarray)]
    for arr in arrays:
        assert not arr.flags.writeable
        with pytest.raises(ValueError):
            arr[...] = 0.0


def _equal(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(a, b)
    if isinstance(a, tuple):
        return isinstance(b, tuple) and len(a) == len(b) and all(map(_equal, a, b))
    return a == b or (a != a and b != b)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_init_and_update_are_pure(name):
    opt = get_optimizer(name)
    theta = np.array([0.3, -0.2, 0.1, 0.0, 1.0])
    assert _equal(opt.init(theta), opt.init(theta.copy()))
    state = opt.init(theta)
    value, grad = QUAD5(theta)
    step, state = opt.update(grad, state, theta, value=value, fun=QUAD5)
    theta = theta + step
    value, grad = QUAD5(theta)
    copies = (theta.copy(), grad.copy(), state)
    out1 = opt.update(grad, state, theta, value=value, fun=QUAD5)
    out2 = opt.update(grad, state, theta, value=value, fun=QUAD5)
    assert _equal(out1, out2)
    np.testing.assert_array_equal(theta, copies[0])
    np.testing.assert_array_equal(grad, copies[1])
    assert _equal(state, copies[2])
    assert state.count == 1 and out1[1].count == 2


def test_fixed_step_optimizers_ignore_value_and_fun():
    for name in ("gd", "momentum", "nesterov", "adam"):
        opt = get_optimizer(name)
        theta = np.ones(2)
        grad = np.array([1.0, 2.0])
        a = opt.update(grad, opt.init(theta), theta)
        b = opt.update(grad, opt.init(theta), theta, value=3.0, fun=QUAD5)
        assert _equal(a, b)


@pytest.mark.parametrize("name", LINE_SEARCH)
def test_line_search_methods_need_fun_and_value(name):
    opt = get_optimizer(name)
    theta = np.ones(2)
    with pytest.raises(ValueError, match="fun"):
        opt.update(np.ones(2), opt.init(theta), theta, value=1.0)
    with pytest.raises(ValueError, match="value"):
        opt.update(np.ones(2), opt.init(theta), theta, fun=QUAD5)
    with pytest.raises(ValueError, match="finite"):
        opt.update(np.ones(2), opt.init(theta), theta, value=math.inf, fun=QUAD5)


def test_update_rejects_foreign_state_and_bad_shapes():
    theta = np.ones(3)
    with pytest.raises(TypeError, match="state"):
        gd().update(np.ones(3), adam().init(theta), theta)
    with pytest.raises(ValueError, match="shape"):
        adam().update(np.ones(2), adam().init(theta), theta)
    with pytest.raises(ValueError, match="1-D"):
        gd().init(np.ones((2, 2)))


# --------------------------------------------------------------------------------------------
# get_optimizer, validation, defaults


def test_get_optimizer_names_and_objects():
    assert set(OPTIMIZERS) == {"gd", "momentum", "nesterov", "adam", "backtracking", "bb", "lbfgs"}
    for name in OPTIMIZERS:
        opt = get_optimizer(name)
        assert isinstance(opt, Optimizer) and opt.name == name
    assert get_optimizer("  LBFGS ").name == "lbfgs"
    obj = gd(lr=0.5)
    assert get_optimizer(obj) is obj
    assert DEFAULT_OPTIMIZER in OPTIMIZERS
    assert set(optim.__all__) >= {
        "Optimizer",
        "get_optimizer",
        "DEFAULT_OPTIMIZER",
        "suggest_step_size",
        *OPTIMIZERS,
    }


def test_get_optimizer_passes_lr_and_documents_defaults():
    theta = np.ones(1)
    grad = np.array([2.0])
    # a first step is -lr * g, and -(1 + beta) * lr * g for Nesterov (beta = 0.9)
    for name, factor in [("gd", 1.0), ("momentum", 1.0), ("nesterov", 1.9)]:
        step, _ = get_optimizer(name).update(grad, get_optimizer(name).init(theta), theta)
        assert step[0] == pytest.approx(-factor * 1e-2 * 2.0)
        step, _ = get_optimizer(name, lr=0.25).update(grad, get_optimizer(name).init(theta), theta)
        assert step[0] == pytest.approx(-factor * 0.5)
    step, _ = get_optimizer("adam").update(grad, adam().init(theta), theta)
    assert step[0] == pytest.approx(-0.1)
    assert get_optimizer("backtracking").init(theta).next_trial == 1.0
    assert get_optimizer("bb", lr=0.3).init(theta).lr == 0.3
    assert get_optimizer("lbfgs", lr=0.3).init(theta).lr == 0.3


def test_get_optimizer_errors():
    with pytest.raises(ValueError, match="unknown optimizer 'sgd'") as info:
        get_optimizer("sgd")
    for name in OPTIMIZERS:
        assert repr(name) in str(info.value)
    with pytest.raises(TypeError, match="optimizer must be"):
        get_optimizer(3)
    with pytest.raises(TypeError):
        get_optimizer(None)
    with pytest.raises(ValueError, match="lr"):
        get_optimizer(gd(), lr=0.1)
    with pytest.raises(ValueError, match="lr"):
        get_optimizer("gd", lr=-1.0)


@pytest.mark.parametrize("factory", [gd, momentum, nesterov, adam, backtracking, bb, lbfgs])
@pytest.mark.parametrize("bad", [0.0, -0.1, math.nan, math.inf])
def test_bad_lr_is_a_value_error_naming_lr(factory, bad):
    with pytest.raises(ValueError, match="lr"):
        factory(lr=bad)


@pytest.mark.parametrize("factory", [gd, adam, lbfgs])
def test_non_numeric_lr_is_a_type_error_naming_lr(factory):
    with pytest.raises(TypeError, match="lr"):
        factory(lr="0.1")
    with pytest.raises(TypeError, match="lr"):
        factory(lr=True)


@pytest.mark.parametrize(
    ("factory", "kwargs", "arg"),
    [
        (momentum, {"beta": 1.0}, "beta"),
        (nesterov, {"beta": -0.1}, "beta"),
        (adam, {"b1": 1.0}, "b1"),
        (adam, {"b2": -1.0}, "b2"),
        (adam, {"eps": 0.0}, "eps"),
        (backtracking, {"c": 0.6}, "c"),
        (backtracking, {"shrink": 1.0}, "shrink"),
        (backtracking, {"grow": 0.5}, "grow"),
        (bb, {"eta": 1.5}, "eta"),
        (lbfgs, {"memory": 0}, "memory"),
        (lbfgs, {"c1": 0.0}, "c1"),
        (lbfgs, {"c2": 1e-5}, "c2"),
        (lbfgs, {"max_evals": 0}, "max_evals"),
    ],
)
def test_bad_options_name_the_argument(factory, kwargs, arg):
    with pytest.raises(ValueError, match=arg):
        factory(**kwargs)


def test_factories_are_keyword_only():
    with pytest.raises(TypeError):
        gd(0.1)
    with pytest.raises(TypeError):
        lbfgs(10)


# --------------------------------------------------------------------------------------------
# suggest_step_size


def test_suggest_step_size_is_the_curvature_along_the_gradient():
    H = random_spd(np.random.default_rng(7), 4, 50.0, scale=3.0)
    xstar = np.array([1.0, 2.0, -1.0, 0.5])
    fun = quadratic(H, xstar, 10.0)
    theta = np.zeros(4)
    g = fun(theta)[1]
    expected = (g @ g) / (g @ H @ g)
    assert suggest_step_size(fun, theta, g) == pytest.approx(expected, rel=1e-6)
    assert suggest_step_size(fun, theta) == pytest.approx(expected, rel=1e-6)
    # it is a stable step for gd: 1 / lambda_max <= lr <= 1 / lambda_min
    eig = np.linalg.eigvalsh(H)
    assert 1.0 / eig[-1] <= expected <= 1.0 / eig[0]


def test_suggest_step_size_on_a_nonquadratic_uses_local_curvature():
    theta = np.array([-1.2, 1.0])
    _, g = rosenbrock(theta)
    x, y = theta
    hess = np.array([[2 - 400 * (y - 3 * x * x), -400 * x], [-400 * x, 200.0]])
    expected = (g @ g) / (g @ hess @ g)
    assert suggest_step_size(rosenbrock, theta, g) == pytest.approx(expected, rel=1e-5)


def test_suggest_step_size_without_positive_curvature_is_nan():
    assert math.isnan(suggest_step_size(quadratic(np.eye(2), np.zeros(2)), np.zeros(2)))
    concave = quadratic(-np.eye(2), np.zeros(2))
    assert math.isnan(suggest_step_size(concave, np.ones(2)))
    with pytest.raises(ValueError, match="shape"):
        suggest_step_size(concave, np.ones(2), np.ones(3))


# --------------------------------------------------------------------------------------------
# logistic regression: the default optimizer against scipy's L-BFGS-B


def test_default_optimizer_reaches_the_lbfgsb_optimum_of_a_logistic_regression():
    fun, p, newton = logistic_problem(n=3000, d=6, seed=0, log_scale=1.0)
    ref = scipy_minimize(
        fun,
        np.zeros(p),
        jac=True,
        method="L-BFGS-B",
        options={"ftol": 1e-15, "gtol": 1e-9, "maxiter": 10000, "maxcor": 30},
    )
    exact = newton()
    assert np.linalg.norm(ref.x - exact) <= 1e-7 * np.linalg.norm(exact)  # the reference is good
    res = drive(get_optimizer(DEFAULT_OPTIMIZER), fun, np.zeros(p), gtol=1e-6, max_iter=500)
    assert res.converged
    assert np.linalg.norm(res.theta - ref.x) <= 1e-6 * np.linalg.norm(ref.x)
    assert res.evals <= ref.nfev


def test_default_optimizer_on_badly_scaled_logistic_regression_beats_lbfgsb():
    # features on scales 10**U(-2, 2): condition ~1e7, where the diagonal scaling pays
    fun, p, newton = logistic_problem(n=3000, d=10, seed=1, log_scale=2.0)
    exact = newton()
    res = drive(get_optimizer(DEFAULT_OPTIMIZER), fun, np.zeros(p), gtol=1e-7, max_iter=1000)
    assert res.converged
    assert np.linalg.norm(res.theta - exact) <= 1e-6 * np.linalg.norm(exact)
    assert res.evals <= 100
    # L-BFGS-B, given twice as many evaluations, is not there yet
    ref = scipy_minimize(
        fun,
        np.zeros(p),
        jac=True,
        method="L-BFGS-B",
        options={"ftol": 0.0, "gtol": 0.0, "maxfun": 2 * res.evals},
    )
    assert ref.nfev >= 2 * res.evals - 1
    assert np.linalg.norm(ref.x - exact) > 1e-6 * np.linalg.norm(exact)


def test_diagonal_scaling_is_what_makes_lbfgs_fast_on_uneven_scales():
    rng = np.random.default_rng(11)
    d = 20
    scales = 10.0 ** rng.uniform(-2.0, 2.0, d)
    A = rng.standard_normal((2 * d, d))
    H = scales[:, None] * (A.T @ A / (2 * d)) * scales[None, :]  # condition ~1e8
    xstar = rng.normal(size=d) / scales
    fun = quadratic(H, xstar, 1.0)
    fast = drive(lbfgs(), fun, np.zeros(d), gtol=1e-9, max_iter=3000)
    slow = drive(lbfgs(diagonal=False), fun, np.zeros(d), gtol=1e-9, max_iter=3000)
    assert fast.converged
    np.testing.assert_allclose(fast.theta, xstar, rtol=1e-7, atol=0)
    assert fast.evals <= 60
    assert 4 * fast.evals <= slow.evals  # 43 against 264 (and > 3000 with 10 pairs)


def test_updates_do_not_warn_when_diverging(recwarn):
    # a fixed step far too large overflows: the step becomes non-finite, silently, and the
    # driver is the one to raise; a line search never lets a non-finite trial through
    for name in ("gd", "momentum", "nesterov", "adam"):
        opt = get_optimizer(name, lr=1e300)
        theta = np.array([1e10])
        state = opt.init(theta)
        for _ in range(3):
            step, state = opt.update(np.array([1e300]), state, theta)
            theta = theta + step if np.all(np.isfinite(step)) else theta
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]

    def overflowing(x):
        e = np.exp(x)  # overflows for x > 709: a warning inside the line search
        return float(np.sum(e - x)), e - 1.0

    res = drive(lbfgs(lr=1e4), overflowing, np.array([0.5, -0.5]), gtol=1e-10)
    assert res.converged
    np.testing.assert_allclose(res.theta, 0.0, atol=1e-10)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


# ------------------------------------------------------ stability limits (issue 13, 16)


def _runs_stably(opt, lam, steps=400):
    """Whether ``opt`` shrinks ``theta`` on ``L = sum(lam theta^2) / 2`` (the top mode decides)."""
    theta = np.ones_like(lam)
    state = opt.init(theta)
    for _ in range(steps):
        step, state = opt.update(lam * theta, state, theta)
        theta = theta + step
    return float(np.max(np.abs(theta))) < 1.0


@pytest.mark.parametrize(
    "factory",
    [optim.gd, optim.momentum, optim.nesterov, lambda lr: optim.momentum(lr=lr, beta=0.5)],
)
def test_stable_lr_is_the_exact_limit_of_the_rule_on_a_quadratic(factory):
    lam = np.array([0.3, 7.0, 50.0])
    limit, suggested = factory(lr=1.0).stable_lr(lambda scale: float(lam.max()))
    assert 0 < suggested < limit
    assert _runs_stably(factory(lr=suggested), lam)
    assert _runs_stably(factory(lr=0.98 * limit), lam)
    assert not _runs_stably(factory(lr=1.02 * limit), lam)


def test_line_search_rules_declare_no_fixed_step_limit():
    for name in ("backtracking", "bb", "lbfgs"):
        assert optim.get_optimizer(name).stable_lr is None


def test_adam_stable_lr_uses_the_preconditioned_sharpness():
    lam = np.array([1.0, 100.0])
    opt = optim.adam(lr=1.0, b1=0.9)
    grad = np.array([2.0, 0.5])
    seen = {}

    def sharpness(scale):
        seen["scale"] = scale
        return float(np.max(lam * scale**2))

    limit, suggested = opt.stable_lr(sharpness, opt.init(np.zeros(2)), grad)
    assert suggested == pytest.approx(0.5 * limit)
    np.testing.assert_allclose(seen["scale"] ** -2, np.abs(grad) + 1e-8)  # P = sqrt(g^2) + eps
    assert limit == pytest.approx(38.0 / np.max(lam / (np.abs(grad) + 1e-8)))
