"""Predictions of the regression models at new inputs: point values and posteriors."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from scipy.special import expit

import bayesgd as bg
from bayesgd.posterior import SamplePosterior

RNG = np.random.default_rng(7)
X = RNG.normal(size=(40, 2))


def test_logistic_point_prediction_is_the_inverse_logit():
    y = (X[:, 0] + 0.3 * RNG.normal(size=40) > 0).astype(int)
    m = bg.LogisticRegression(X=X, y=y, coef=stats.norm(0, 2), intercept=stats.norm(0, 2))
    theta = {"coef": np.array([1.5, -0.5]), "intercept": 0.25}
    x_new = np.array([[0.0, 0.0], [1.0, 2.0], [-3.0, 1.0]])
    want = expit(x_new @ theta["coef"] + theta["intercept"])
    np.testing.assert_allclose(m.predict(x_new, theta), want, rtol=1e-14)
    fit = bg.map_estimate(m)
    want_map = expit(x_new @ fit.params["coef"] + fit.params["intercept"])
    np.testing.assert_allclose(m.predict(x_new, fit), want_map, rtol=1e-14)


def test_poisson_regression_prediction_is_exp_of_the_linear_predictor():
    y = RNG.poisson(np.exp(0.2 + X @ [0.3, -0.2]))
    m = bg.PoissonRegression(X=X, y=y, coef=stats.norm(0, 1), intercept=stats.norm(0, 1))
    theta = {"coef": np.array([0.3, -0.2]), "intercept": np.array([0.2, 0.0])}  # a batch of 2
    out = m.predict(X[:3], theta)
    assert out.shape == (2, 3)
    np.testing.assert_allclose(out[0], np.exp(0.2 + X[:3] @ [0.3, -0.2]), rtol=1e-14)


def test_linear_posterior_prediction_matches_draws_by_hand():
    y = X @ [1.0, 2.0] + RNG.normal(size=40)
    prior = bg.NormalInverseGamma(mean=[0.0, 0.0], cov=10.0, a=2.0, b=2.0)
    m = bg.LinearRegression(X=X, y=y, prior=prior)
    post = bg.conjugate(m)
    x_new = np.array([[1.0, 1.0], [0.0, -2.0]])
    pred = m.predict(x_new, posterior=post, size=4000, rng=3)
    draws = post.sample(4000, rng=np.random.default_rng(3))
    np.testing.assert_allclose(pred.draws, draws["coef"] @ x_new.T, rtol=1e-12)
    # the posterior mean of x'coef is x' E[coef] (exact), within Monte Carlo error
    exact = x_new @ post.mean()["coef"]
    mcse = pred.draws.std(axis=0) / np.sqrt(4000)
    assert np.all(np.abs(pred.mean - exact) < 5 * mcse)
    noisy = m.predict(x_new, posterior=post, size=4000, rng=3, noise=True)
    assert np.all(noisy.high - noisy.low > pred.high - pred.low)


def test_prediction_from_samples_and_bad_inputs():
    y = (X[:, 0] > 0).astype(int)
    m = bg.LogisticRegression(X=X, y=y, coef=stats.norm(0, 1))
    post = SamplePosterior(m, m.prior_sample(300, rng=0))
    pred = m.predict([[0.0, 0.0]], posterior=post, size=300, rng=1)
    np.testing.assert_allclose(pred.mean, 0.5, rtol=1e-12)  # coef symmetric, x = 0 gives 1/2
    with pytest.raises(ValueError, match="X_new"):
        m.predict([[1.0, 2.0, 3.0]], {"coef": np.zeros(2)})
    with pytest.raises(TypeError, match="exactly one"):
        m.predict([[1.0, 2.0]])
    with pytest.raises(ValueError, match="noise"):
        m.predict([[1.0, 2.0]], posterior=post, noise=True)


def test_predict_from_any_posterior_or_map_result_directly():
    y = (X[:, 0] > 0).astype(int)
    m = bg.LogisticRegression(X=X, y=y, coef=stats.norm(0, 1), intercept=stats.norm(0, 1))
    lap = bg.laplace(m)
    x_new = [[0.5, -1.0]]
    a = lap.predict(x_new, size=500, rng=4)
    b = bg.predict(lap, x_new, size=500, rng=4)
    c = bg.predict(m, x_new, posterior=lap, size=500, rng=4)
    np.testing.assert_array_equal(a.draws, c.draws)
    np.testing.assert_array_equal(b.draws, c.draws)
    fit = bg.map_estimate(m)
    np.testing.assert_array_equal(bg.predict(fit, x_new), m.predict(x_new, fit))
    with pytest.raises(TypeError, match="either"):
        bg.predict(lap, x_new, posterior=lap)
