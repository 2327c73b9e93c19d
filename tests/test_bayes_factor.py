"""bg.bayes_factor against closed-form and quadrature evidence."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats
from scipy.special import betaln, comb

import bayesgd as bg


def _beta_binomial_log_evidence(k, n, a, b):
    return np.log(comb(n, k)) + betaln(k + a, n - k + b) - betaln(a, b)


def test_conjugate_bayes_factor_is_the_closed_form():
    m1 = bg.Binomial(k=7, n=10, p=stats.beta(1, 1))
    m2 = bg.Binomial(k=7, n=10, p=stats.beta(50, 50))
    bf = bg.bayes_factor(m1, m2)
    want = _beta_binomial_log_evidence(7, 10, 1, 1) - _beta_binomial_log_evidence(7, 10, 50, 50)
    assert bf.method == "conjugate" and bf.log_error == 0
    assert bf.log_value == pytest.approx(want, abs=1e-12)
    assert float(bf) == pytest.approx(np.exp(want))
    assert "m2" in bf.interpretation and "exact" in bf.accuracy


def test_grid_bayes_factor_against_quadrature():
    y = np.array([4.9, 5.6, 3.8, 6.1, 5.0, 4.4])

    def evidence(mu_prior):
        # mu integrates out in closed form given sigma: y ~ N(m0 1, sigma^2 I + s0^2 11');
        # then one quadrature over sigma
        m0, s0 = mu_prior.mean(), mu_prior.std()

        def given_sigma(sigma):
            cov = sigma**2 * np.eye(y.size) + s0**2
            return stats.multivariate_normal(np.full(y.size, m0), cov).pdf(y)

        return integrate.quad(
            lambda sg: given_sigma(sg) * stats.halfnorm(scale=5).pdf(sg),
            0, np.inf, epsabs=0, epsrel=1e-11, limit=200,
        )[0]  # fmt: skip

    p1, p2 = stats.norm(0, 10), stats.norm(5, 1)
    m1 = bg.Normal(y=y, mu=p1, sigma=stats.halfnorm(scale=5))
    m2 = bg.Normal(y=y, mu=p2, sigma=stats.halfnorm(scale=5))
    bf = bg.bayes_factor(m1, m2)
    assert bf.method == "grid"
    want = np.log(evidence(p1)) - np.log(evidence(p2))
    assert bf.log_value == pytest.approx(want, abs=1e-4)
    assert bf.log_error < 1e-4


def test_laplace_bayes_factor_is_exact_for_gaussian_posteriors():
    y = [1.0, 2.0, 0.5]
    m1 = bg.Normal(y=y, mu=stats.norm(0, 10), sigma=1.0)
    m2 = bg.Normal(y=y, mu=stats.norm(3, 1), sigma=1.0)
    exact = bg.bayes_factor(m1, m2, method="conjugate")
    lap = bg.bayes_factor(m1, m2, method="laplace")
    assert lap.log_value == pytest.approx(exact.log_value, abs=1e-8)
    assert np.isnan(lap.log_error) and "k-hat" in lap.accuracy


def test_different_data_are_refused():
    m1 = bg.Binomial(k=7, n=10, p=stats.beta(1, 1))
    m2 = bg.Binomial(k=6, n=10, p=stats.beta(1, 1))
    with pytest.raises(ValueError, match="different data"):
        bg.bayes_factor(m1, m2)


def test_regressors_may_differ():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2))
    y = X[:, 0] + rng.normal(size=30)
    m1 = bg.LinearRegression(X=X[:, :1], y=y, coef=stats.norm(0, 5), sigma=1.0)
    m2 = bg.LinearRegression(X=X, y=y, coef=stats.norm(0, 5), sigma=1.0)
    bf = bg.bayes_factor(m1, m2)
    assert bf.method == "conjugate" and np.isfinite(bf.log_value)


def test_bad_arguments():
    m = bg.Binomial(k=7, n=10, p=stats.beta(1, 1))
    with pytest.raises(TypeError, match="m2"):
        bg.bayes_factor(m, "model")
    with pytest.raises(ValueError, match="method"):
        bg.bayes_factor(m, m, method="nuts")
    custom = bg.Model(priors={"a": stats.norm(0, 1)}, log_likelihood=lambda a: -0.5 * a**2)
    with pytest.raises(ValueError, match="observations"):
        bg.bayes_factor(custom, custom)


def test_pooled_against_separate_rates_of_the_same_counts():
    from scipy.special import betaln

    k, n = np.array([412, 468, 431]), np.array([9850, 9912, 9790])
    separate = bg.Binomial(k=k, n=n, p=stats.beta(np.ones(3), np.ones(3)))
    pooled = bg.Binomial(k=k, n=n, p=stats.beta(1, 1))
    bf = bg.bayes_factor(pooled, separate)
    from scipy.special import gammaln

    log_c = np.sum(gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1))
    want = (betaln(1 + k.sum(), 1 + (n - k).sum()) + log_c) - (
        np.sum(betaln(1 + k, 1 + n - k)) + log_c
    )
    assert bf.log_value == pytest.approx(want, abs=1e-9)
