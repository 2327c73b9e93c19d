"""Pathfinder against exact and grid posteriors; its options and errors."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import bayesgd as bg
from bayesgd.variational.pathfinder import _inverse_hessian


def test_exact_for_a_gaussian_posterior():
    m = bg.Normal(y=[1.0, 2.0, 0.5], mu=stats.norm(0, 10), sigma=1.0)
    exact = bg.conjugate(m)
    q = bg.pathfinder(m, draws=4000, rng=0)
    se = exact.sd()["mu"] / np.sqrt(min(q.ess, 4000))
    assert abs(q.mean()["mu"] - exact.mean()["mu"]) < 4 * se
    assert q.sd()["mu"] == pytest.approx(exact.sd()["mu"], rel=4 / np.sqrt(2 * 4000))
    # every path's best Gaussian is the posterior itself: its ELBO is the log evidence
    for path in q.paths:
        assert path.elbo == pytest.approx(exact.log_evidence, abs=1e-8)
    assert q.khat(m, rng=0) < 0.5


def test_challenger_logistic_regression_agrees_with_the_grid():
    m = bg.datasets.challenger_model()
    ref = bg.grid(m)
    q = bg.pathfinder(m, draws=2000, rng=1)
    assert q.psis_khat < 0.7
    n_eff = min(q.ess, 2000)
    for name in ("coef", "intercept"):
        se = np.ravel(ref.sd()[name]) / np.sqrt(n_eff)
        np.testing.assert_array_less(
            np.abs(np.ravel(q.mean()[name]) - np.ravel(ref.mean()[name])), 4 * se
        )


def test_inverse_hessian_is_the_bfgs_recursion_that_lbfgs_applies():
    """The dense matrix times a gradient equals L-BFGS's own two-loop direction."""
    from bayesgd import optim

    rng = np.random.default_rng(0)
    A = rng.normal(size=(4, 4))
    H = A @ A.T + 4 * np.eye(4)

    def fun(x):
        return float(0.5 * x @ H @ x), H @ x

    opt = optim.lbfgs(memory=5)
    x = np.ones(4)
    value, grad = fun(x)
    state = opt.init(x)
    for _ in range(3):
        step, state = opt.update(grad, state, x, value=value, fun=fun)
        x = x + step
        value, grad = fun(x)
    dense = _inverse_hessian(state, x, grad)
    assert np.all(np.linalg.eigvalsh(dense) > 0)
    step, _ = opt.update(grad, state, x, value=value, fun=fun)
    direction = -dense @ grad
    # the accepted step is a positive multiple of the two-loop direction
    cos = step @ direction / (np.linalg.norm(step) * np.linalg.norm(direction))
    assert cos == pytest.approx(1.0, abs=1e-10)


def test_reproducible_and_two_seeds_agree():
    m = bg.Binomial(k=7, n=10, p=stats.beta(2, 2))
    a = bg.pathfinder(m, rng=3)
    b = bg.pathfinder(m, rng=3)
    np.testing.assert_array_equal(a.draws["p"], b.draws["p"])
    c = bg.pathfinder(m, rng=4)
    sd = stats.beta(9, 5).std()
    tol = 4 * sd * np.sqrt(1 / min(a.ess, 1000) + 1 / min(c.ess, 1000))
    assert abs(a.mean()["p"] - c.mean()["p"]) < tol
    assert abs(a.mean()["p"] - stats.beta(9, 5).mean()) < 4 * sd / np.sqrt(min(a.ess, 1000))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"paths": 0}, ValueError, "paths"),
        ({"paths": 1.5}, TypeError, "paths"),
        ({"draws": 1}, ValueError, "draws"),
        ({"elbo_draws": 0}, ValueError, "elbo_draws"),
        ({"init_radius": -1.0}, ValueError, "init_radius"),
    ],
)
def test_bad_input_is_named(kwargs, error, match):
    m = bg.Binomial(k=7, n=10, p=stats.beta(2, 2))
    with pytest.raises(error, match=match):
        bg.pathfinder(m, **kwargs)


def test_a_model_is_required():
    with pytest.raises(TypeError, match="model"):
        bg.pathfinder(None)
