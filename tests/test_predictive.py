"""Predictions of the regression models at new inputs: point values and posteriors."""

from __future__ import annotations

import re

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


# ------------------------------------------------------------------ offsets (Poisson)
EXPOSURE = RNG.uniform(0.5, 4.0, size=40)
Y_EXPOSED = RNG.poisson(EXPOSURE * np.exp(0.2 + X @ [0.3, -0.2]))


def _poisson_with_exposure():
    return bg.PoissonRegression(
        X=X,
        y=Y_EXPOSED,
        coef=stats.norm(0, 1),
        intercept=stats.norm(0, 1),
        offset=np.log(EXPOSURE),
    )


class _GaussianDraws:
    """A known Gaussian posterior over ``(intercept, coef)``: any ``.sample(size, rng=)`` works."""

    def __init__(self, mean, cov):
        self.mean, self.cov = np.asarray(mean, float), np.asarray(cov, float)

    def sample(self, size, *, rng=None):
        z = np.random.default_rng(rng).multivariate_normal(self.mean, self.cov, size=size)
        return {"intercept": z[:, 0], "coef": z[:, 1:]}


def test_poisson_prediction_with_an_offset_is_exp_of_the_linear_predictor_plus_offset():
    m = _poisson_with_exposure()
    theta = {"coef": np.array([0.3, -0.2]), "intercept": np.array([0.2, -0.1])}  # a batch of 2
    x_new = np.array([[0.0, 0.0], [1.0, 2.0], [-0.5, 0.7]])
    off = np.log([1.0, 2.5, 0.3])
    out = m.predict(x_new, theta, offset=off)
    assert out.shape == (2, 3)
    for i, icpt in enumerate(theta["intercept"]):
        np.testing.assert_allclose(out[i], np.exp(icpt + x_new @ theta["coef"] + off), rtol=1e-14)
    # a scalar offset is shared by every row
    shared = m.predict(x_new, theta, offset=np.log(2.0))
    np.testing.assert_allclose(
        shared, 2.0 * np.exp(theta["intercept"][:, None] + x_new @ [0.3, -0.2])
    )
    # the same through bg.predict, a MAPResult and a posterior's own predict
    fit = bg.map_estimate(m)
    by_hand = np.exp(fit.params["intercept"] + x_new @ fit.params["coef"] + off)
    np.testing.assert_allclose(bg.predict(fit, x_new, offset=off), by_hand, rtol=1e-14)
    np.testing.assert_allclose(m.predict(x_new, fit, offset=off), by_hand, rtol=1e-14)
    lap = bg.laplace(m)
    a = lap.predict(x_new, offset=off, size=300, rng=2)
    b = bg.predict(m, x_new, posterior=lap, offset=off, size=300, rng=2)
    np.testing.assert_array_equal(a.draws, b.draws)
    draws = lap.sample(300, rng=np.random.default_rng(2))
    want = np.exp(draws["intercept"][:, None] + draws["coef"] @ x_new.T + off)
    np.testing.assert_allclose(a.draws, want, rtol=1e-12)


def test_poisson_posterior_predictive_mean_with_an_offset_is_the_lognormal_mean():
    # With (intercept, coef) ~ N(mu, S), E[exp(x~'b + o)] = exp(x~'mu + o + x~'S x~ / 2).
    m = _poisson_with_exposure()
    mu = np.array([0.2, 0.3, -0.2])
    S = np.array([[0.04, 0.01, 0.0], [0.01, 0.09, -0.02], [0.0, -0.02, 0.05]])
    post = _GaussianDraws(mu, S)
    x_new = np.array([[0.0, 0.0], [1.0, 2.0], [-1.5, 0.5]])
    off = np.log([1.0, 3.0, 0.2])
    size = 40_000
    pred = m.predict(x_new, posterior=post, offset=off, size=size, rng=9)
    xt = np.column_stack([np.ones(3), x_new])
    loc, var = xt @ mu + off, np.einsum("ij,jk,ik->i", xt, S, xt)
    exact_mean = np.exp(loc + var / 2)
    exact_sd = np.sqrt((np.exp(var) - 1) * np.exp(2 * loc + var))
    assert np.all(np.abs(pred.mean - exact_mean) < 5 * exact_sd / np.sqrt(size))
    # and the draws are exactly exp(intercept_s + x @ coef_s + offset)
    z = post.sample(size, rng=np.random.default_rng(9))
    want = np.exp(z["intercept"][:, None] + z["coef"] @ x_new.T + off)
    np.testing.assert_allclose(pred.draws, want, rtol=1e-12)
    # the interval ends are the lognormal quantiles, within 5 Monte Carlo SEs of a quantile
    truth = stats.lognorm(np.sqrt(var), scale=np.exp(loc))
    for level, got in ((0.03, pred.low), (0.97, pred.high)):
        q = truth.ppf(level)
        se = np.sqrt(level * (1 - level) / size) / truth.pdf(q)
        assert np.all(np.abs(got - q) < 5 * se)


def test_poisson_offset_is_required_when_fitted_with_one_and_zero_otherwise():
    m = _poisson_with_exposure()
    theta = {"coef": np.array([0.3, -0.2]), "intercept": 0.2}
    x_new = np.array([[1.0, 2.0], [0.0, 0.0], [-1.0, 0.5]])
    with pytest.raises(TypeError, match="offset= is required"):
        m.predict(x_new, theta)
    with pytest.raises(TypeError, match="offset= is required"):
        bg.predict(bg.map_estimate(m), x_new)
    with pytest.raises(TypeError, match="offset= is required"):
        bg.laplace(m).predict(x_new, size=10, rng=0)
    bad = [
        ([0.0, np.nan, 0.0], ValueError, r"\boffset\b must contain only finite"),
        (np.zeros(2), ValueError, re.escape("one value per row of X_new (3), got shape (2,)")),
        (
            np.zeros((3, 1)),
            ValueError,
            re.escape("one value per row of X_new (3), got shape (3, 1)"),
        ),
        ("log", TypeError, r"\boffset\b must be numeric"),
    ]
    for value, exc, match in bad:
        with pytest.raises(exc, match=match):
            m.predict(x_new, theta, offset=value)
    # fitted without an offset: 0 by default, and a given offset still scales the mean
    plain = bg.PoissonRegression(
        X=X, y=Y_EXPOSED, coef=stats.norm(0, 1), intercept=stats.norm(0, 1)
    )
    base = np.exp(0.2 + x_new @ theta["coef"])
    np.testing.assert_allclose(plain.predict(x_new, theta), base, rtol=1e-14)
    np.testing.assert_allclose(plain.predict(x_new, theta, offset=0.0), base, rtol=1e-14)
    np.testing.assert_allclose(
        plain.predict(x_new, theta, offset=np.log([2.0, 1.0, 0.5])), base * [2.0, 1.0, 0.5]
    )


def test_models_without_an_offset_term_refuse_offset():
    yb = (X[:, 0] > 0).astype(int)
    logit = bg.LogisticRegression(X=X, y=yb, coef=stats.norm(0, 1))
    with pytest.raises(TypeError, match="LogisticRegression has no offset term"):
        logit.predict([[0.0, 1.0]], {"coef": np.zeros(2)}, offset=0.0)
    lin = bg.LinearRegression(X=X, y=X @ [1.0, 2.0], coef=stats.norm(0, 5), sigma=1.0)
    with pytest.raises(TypeError, match="LinearRegression has no offset term"):
        bg.predict(lin, [[0.0, 1.0]], posterior=bg.conjugate(lin), offset=1.0)
    net = bg.Perceptron(np.array([[-1.0], [1.0]]), [0, 1], hidden=2)
    theta = dict(W1=np.ones((1, 2)), b1=np.zeros(2), w2=np.ones(2), b2=0.0)
    with pytest.raises(TypeError, match="Perceptron has no offset term"):
        bg.predict(net, [[0.0]], theta, offset=0.0)


# --------------------------------------------------------------- one rule for X_new
def test_one_dimensional_X_new_is_the_single_feature_or_refused_everywhere():
    x = X[:, 0]
    y = 0.5 + 1.5 * x + RNG.normal(size=40)
    one = bg.LinearRegression(
        X=x, y=y, coef=stats.norm(0, 5), intercept=stats.norm(0, 5), sigma=1.0
    )
    theta = {"coef": np.array([1.5]), "intercept": 0.5}
    new = np.array([-1.0, 0.0, 2.0])
    np.testing.assert_allclose(one.predict(new, theta), 0.5 + 1.5 * new, rtol=1e-14)
    np.testing.assert_array_equal(one.predict(new, theta), one.predict(new[:, None], theta))
    post = bg.conjugate(one)
    np.testing.assert_array_equal(
        post.predict(new, size=50, rng=1).draws, post.predict(new[:, None], size=50, rng=1).draws
    )
    with pytest.raises(ValueError, match=re.escape("X_new must have shape (m, 1)")):
        one.predict(1.0, theta)
    two = bg.LinearRegression(X=X, y=y, coef=stats.norm(0, 5), sigma=1.0)
    theta2 = {"coef": np.array([1.0, 4.0])}
    msg = re.escape("X_new must have shape (m, 2), a 2-D array with 2 columns, got a 1-D array")
    post2 = bg.conjugate(two)
    fit2 = bg.map_estimate(two)
    for call in (
        lambda: two.predict([1.0, 4.0], theta2),
        lambda: bg.predict(two, [1.0, 4.0], theta2),
        lambda: post2.predict([1.0, 4.0], size=10, rng=0),
        lambda: bg.predict(post2, [1.0, 4.0], size=10, rng=0),
        lambda: bg.predict(fit2, [1.0, 4.0]),
    ):
        with pytest.raises(ValueError, match=msg):
            call()
    np.testing.assert_allclose(two.predict([[1.0, 4.0]], theta2), [17.0], rtol=1e-15)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_parameter_values_are_refused(bad):
    model = bg.LogisticRegression(
        X=[[0.0], [1.0], [2.0]], y=[0, 1, 1], coef=stats.norm(0, 1), intercept=stats.norm(0, 1)
    )
    with pytest.raises(ValueError, match=r"params\['coef'\] must be finite"):
        bg.predict(model, [[1.0]], {"coef": [bad], "intercept": 0.0})
    with pytest.raises(ValueError, match=r"params\['intercept'\] must be finite"):
        model.predict([[1.0]], {"coef": [1.0], "intercept": bad})
    assert model.predict([[1.0]], {"coef": [1.0], "intercept": 0.0}) == pytest.approx(
        [1.0 / (1.0 + np.exp(-1.0))]
    )
