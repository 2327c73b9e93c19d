"""Issue 13 item 6: extreme but valid inputs give finite, correct answers (or a named error).

Every expected value is a closed form written out here (scaled inputs or the algebra of the
conjugate update), never bayesgd's own output.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from scipy.special import betaln, gammaln

import bayesgd as bg
from bayesgd.conjugate import conjugate
from bayesgd.numerics.special import beta_mean_sd, log_gamma_ratio
from bayesgd.numerics.special import betaln as betaln_wide


def test_normal_mean_of_data_near_the_float_maximum():
    post = conjugate(bg.Normal(y=[1e308, 1e308], sigma=1.0, mu=stats.norm(0, 1)))
    # prior precision 1, data precision 2: mean = 2 * 1e308 / 3, sd = 1 / sqrt(3)
    assert post.mean()["mu"] == pytest.approx(1e308 / 3 * 2, rel=1e-15)
    assert post.sd()["mu"] == pytest.approx(1 / math.sqrt(3), rel=1e-15)
    # scaled input: the same posterior for y = [1, 1], scaled by 1e308 (prior scale 1e308)
    scaled = conjugate(bg.Normal(y=[1e308, 1e308], sigma=1e308, mu=stats.norm(0, 1e308)))
    assert scaled.mean()["mu"] / 1e308 == pytest.approx(2 / 3, rel=1e-15)
    # the stats and the model's own log density stay finite at those data
    m = bg.Normal(y=[1e308, 1e308], sigma=1.0, mu=stats.norm(0, 1))
    assert float(m.stats["mean"]) == 1e308
    assert np.isfinite(m.log_likelihood(mu=1e308))


def test_normal_mean_merge_of_opposite_extremes():
    post = conjugate(bg.Normal(y=[1e308], sigma=1e308, mu=stats.norm(0, 1e308)))
    post.update(y=[-1e308])
    assert float(post.model.stats["mean"]) == 0.0
    assert post.mean()["mu"] == 0.0


def test_binomial_at_the_float_maximum():
    k, n = 5e307, 1e308
    post = conjugate(bg.Binomial(k=k, n=n, p=stats.beta(1, 1)))
    # Beta(k + 1, n - k + 1): mean 1/2, sd sqrt(1/4 / (n + 3))
    assert post.mean()["p"] == pytest.approx(0.5, rel=1e-15)
    assert post.sd()["p"] == pytest.approx(0.5 / math.sqrt(n), rel=1e-14)
    # under a uniform prior every k in 0..n is equally likely: p(k) = 1 / (n + 1)
    assert post.log_evidence == pytest.approx(-math.log(n), rel=1e-15)


def test_binomial_log_evidence_at_huge_n_with_a_beta_prior():
    # For one observation, C(n, k) B(k + a, f + b) / B(a, b) with k, f -> inf tends to
    # k^(a-1) f^(b-1) / n^(a+b-1) / B(a, b), relative error O(1/n) (1e-307 here).
    k, n, a, b = 3e307, 1e308, 2.0, 3.0
    f = n - k
    post = conjugate(bg.Binomial(k=k, n=n, p=stats.beta(a, b)))
    want = (a - 1) * math.log(k) + (b - 1) * math.log(f) - (a + b - 1) * math.log(n)
    assert post.log_evidence == pytest.approx(want - betaln(a, b), rel=1e-13)


def test_binomial_log_evidence_of_two_huge_observations():
    # Shares 0.6 and 0.4 of n = 5e307 each under one p: to leading order (the rest is ~1e-305
    # relative), log p(D) = n H(0.6) + n H(0.4) - 2n H(0.5), H the entropy in nats.
    def entropy(p):
        return -p * math.log(p) - (1 - p) * math.log1p(-p)

    n = 5e307
    m = bg.Binomial(k=[0.6 * n, 0.4 * n], n=[n, n], p=stats.beta(1, 1))
    want = n * (entropy(0.6) + entropy(0.4) - 2 * math.log(2))
    assert conjugate(m).log_evidence == pytest.approx(want, rel=1e-12)


def test_binomial_log_evidence_refuses_what_the_statistics_cannot_hold():
    # two huge observations with equal shares: sum_i log C(n_i, k_i) is ~1e308 and the answer
    # ~-1e3, so the sufficient statistics hold no digit of it; a named error, never a number
    m = bg.Binomial(k=[2.5e307, 2.5e307], n=[5e307, 5e307], p=stats.beta(1, 1))
    with pytest.raises(OverflowError, match="successes"):
        _ = conjugate(m).log_evidence


def test_beta_prior_with_counts_near_1e200():
    post = conjugate(bg.Bernoulli(y=[1, 0], p=stats.beta(1e200, 1e200)))
    # Beta(a, a), a = 1e200 (+1 is below its rounding): sd^2 = 1 / (4 (2a + 1))
    assert post.sd()["p"] == pytest.approx(0.5 / math.sqrt(2e200), rel=1e-14)
    assert post.mean()["p"] == 0.5
    # p(y) = E[p (1 - p)] = a^2 / ((2a)(2a + 1)) -> 1/4
    assert post.log_evidence == pytest.approx(math.log(0.25), rel=1e-14)


def test_beta_with_a_plus_b_beyond_the_float_range():
    post = conjugate(bg.Bernoulli(y=[1, 0], p=stats.beta(1e308, 1e308)))
    assert post.mean()["p"] == 0.5 and post.mode()["p"] == 0.5  # (a - 1) / (a + b - 2)
    assert post.sd()["p"] == pytest.approx(0.5 / math.sqrt(2) / 1e154, rel=1e-14)
    assert post.median()["p"] == 0.5  # within 1e-154 of it
    assert np.all(np.isfinite(post.summary().to_numpy(dtype=float)))
    # a + b = 1.8e308 overflows; Beta(1.2e308, 0.6e308) has mean 2/3 and sd ~1e-154
    skew = conjugate(bg.Bernoulli(y=[1, 0], p=stats.beta(1.2e308, 0.6e308)))
    assert skew.median()["p"] == pytest.approx(2 / 3, rel=1e-15)
    assert skew.mean()["p"] == pytest.approx(2 / 3, rel=1e-15)


def test_counts_beyond_the_float_range_are_named():
    with pytest.raises(OverflowError, match="gamma posterior's shape"):
        conjugate(bg.Poisson(k=[1e308, 1e308], mu=stats.gamma(2, scale=1)))
    with pytest.raises(OverflowError, match="beta posterior's a"):
        conjugate(bg.Binomial(k=[1e308, 1e308], n=[1e308, 1e308], p=stats.beta(1, 1)))


def test_dirichlet_with_alpha_sum_beyond_the_float_range():
    with np.errstate(over="ignore", invalid="ignore"):  # the prior's own normaliser (priors.py)
        model = bg.Categorical(y=[0, 1], p=stats.dirichlet([1e308, 1e308]))
    post = conjugate(model)
    np.testing.assert_allclose(post.mean()["p"], [0.5, 0.5], rtol=1e-15)
    # marginal Beta(alpha, alpha) with alpha = 1e308: sd = 1 / (2 sqrt(2 alpha + 1))
    np.testing.assert_allclose(post.sd()["p"], 0.5 / math.sqrt(2) / 1e154, rtol=1e-14)
    # mode (alpha - 1) / (sum - K) = 1/2; every quantile is 1/2 within 1e-154
    np.testing.assert_array_equal(post.mode()["p"], [0.5, 0.5])
    np.testing.assert_array_equal(post.median()["p"], [0.5, 0.5])
    low, high = post.hdi(0.9)["p"]  # 0.5 -+ 1.64 sd: 0.5 to float resolution
    np.testing.assert_array_equal(low, [0.5, 0.5])
    np.testing.assert_array_equal(high, [0.5, 0.5])
    assert np.all(np.isfinite(post.summary().to_numpy(dtype=float)))
    # a small alpha beside them has no exact float marginal: named, not nan
    with np.errstate(over="ignore", invalid="ignore"):
        mixed = bg.Categorical(y=[0, 1], p=stats.dirichlet([1e308, 1e308, 1.0]))
    with pytest.raises(OverflowError, match="sums past the float range"):
        conjugate(mixed).median()


def test_dirichlet_alpha_beyond_the_float_range_is_refused():
    with np.errstate(over="ignore", invalid="ignore"):  # the prior's own normaliser (priors.py)
        m = bg.Multinomial(x=[[0, 1e308]], p=stats.dirichlet([1.0, 1e308]))
    with pytest.raises(OverflowError, match="alpha"):
        conjugate(m)


def test_tiny_sigma():
    post = conjugate(bg.Normal(y=[1.0, 2.0], sigma=1e-200, mu=stats.norm(0, 1)))
    assert post.mean()["mu"] == pytest.approx(1.5, rel=1e-15)
    assert post.sd()["mu"] == pytest.approx(1e-200 / math.sqrt(2), rel=1e-14)
    # log p(y) ~ -0.5 * 0.5 / 1e-400: beyond the float range, named
    with pytest.raises(OverflowError, match="log_evidence"):
        _ = post.log_evidence
    # equal data: p(y) = N(1 | 0, 1) N(0 | 0, 2 s^2) for s -> 0
    same = conjugate(bg.Normal(y=[1.0, 1.0], sigma=1e-200, mu=stats.norm(0, 1)))
    want = stats.norm.logpdf(1.0) - 0.5 * math.log(2 * math.pi * 2) - math.log(1e-200)
    assert same.log_evidence == pytest.approx(want, rel=1e-14)
    # the model's log likelihood at the data mean: -n log(sigma sqrt(2 pi)) - m2 / (2 sigma^2)
    m = bg.Normal(y=[1.0, 1.0], sigma=1e-200, mu=stats.norm(0, 1))
    want_ll = -2 * (math.log(1e-200) + 0.5 * math.log(2 * math.pi))
    assert float(m.log_likelihood(mu=1.0)) == pytest.approx(want_ll, rel=1e-14)


def test_huge_sigma_conjugate_map_and_grid():
    y = [1.0, 2.0]
    m = bg.Normal(y=y, sigma=1e200, mu=stats.norm(0, 1))
    # the data carry no information: the posterior is the prior N(0, 1)
    want_ll = stats.norm(0, 1e200).logpdf(y).sum()  # scipy standardises before squaring
    assert float(m.log_likelihood(mu=0.0)) == pytest.approx(want_ll, rel=1e-15)
    grad = m.grad_log_likelihood(mu=0.0)["mu"]
    assert np.isfinite(grad) and abs(float(grad)) < 1e-390 + 1e-300
    post = conjugate(m)
    assert post.mean()["mu"] == pytest.approx(0.0, abs=1e-300)
    assert post.sd()["mu"] == pytest.approx(1.0, rel=1e-15)
    assert post.log_evidence == pytest.approx(want_ll, rel=1e-15)
    assert float(bg.map_estimate(m).params["mu"]) == pytest.approx(0.0, abs=1e-6)
    g = bg.grid(m)
    assert g.mean()["mu"] == pytest.approx(0.0, abs=1e-6)
    assert g.sd()["mu"] == pytest.approx(1.0, rel=1e-3)


def test_huge_sigma_as_a_free_parameter_has_finite_density():
    m = bg.Normal(y=[1.0, 2.0], mu=0.0, sigma=stats.halfnorm(scale=1e200))
    for s in (1e200, 1e-200):
        with np.errstate(over="ignore"):
            want = stats.norm(0, s).logpdf([1.0, 2.0]).sum()
        got = float(m.log_likelihood(sigma=s))
        assert got == pytest.approx(want, rel=1e-14) if np.isfinite(want) else got == want
        # d/d sigma of sum log N(y | 0, sigma) = -n / sigma + sum y^2 / sigma^3
        g = float(m.grad_log_likelihood(sigma=s)["sigma"])
        with np.errstate(over="ignore"):
            want_g = (-2.0 + 5.0 / np.float64(s) / s) / s
        assert g == pytest.approx(want_g, rel=1e-14)


# --------------------------------------------------------------------------------- numerics
@pytest.mark.parametrize("v", [1e4, 3.7e5, 1e12, 1e300])
def test_log_gamma_ratio_against_closed_forms(v):
    # Γ(v + 1) / Γ(v) = v; Γ(v + 2) / Γ(v) = v (v + 1); Γ(v + 1/2) / Γ(v) ~ sqrt(v) (1 - 1/(8v))
    assert log_gamma_ratio(v, 1.0) == pytest.approx(math.log(v), rel=1e-15)
    assert log_gamma_ratio(v, 2.0) == pytest.approx(math.log(v) + math.log1p(v), rel=1e-15)
    assert log_gamma_ratio(v + 1.0, -1.0) == pytest.approx(-math.log(v), rel=1e-15)
    want = 0.5 * math.log(v) + math.log1p(-1 / (8 * v) + 1 / (128 * v * v))
    assert log_gamma_ratio(v, 0.5) == pytest.approx(want, rel=1e-14, abs=1e-15)


def test_log_gamma_ratio_matches_gammaln_where_that_is_exact():
    v = np.array([0.5, 3.0, 20.0, 150.0])
    d = np.array([2.5, -1.5, 7.0, 33.0])
    np.testing.assert_allclose(log_gamma_ratio(v, d), gammaln(v + d) - gammaln(v), rtol=1e-14)


def test_betaln_near_the_float_maximum():
    # B(a, a) with a -> inf: log B = log(2 sqrt(pi)) ... use the duplication formula:
    # B(a, a) = 2^(1 - 2a) B(1/2, a), and log B(1/2, a) = log Γ(1/2) - [log Γ(a + 1/2) - log Γ(a)]
    for a in (1e4, 5e307):  # scipy's own path between these is good to ~1e-14
        want = (1 - 2 * a) * math.log(2) + gammaln(0.5) - (0.5 * math.log(a) - 1 / (8 * a))
        assert betaln_wide(a, a) == pytest.approx(want, rel=1e-14)
    assert betaln_wide(2.0, 3.0) == pytest.approx(math.log(1 / 12), rel=1e-15)


def test_beta_mean_sd_closed_forms():
    a, b = np.array([2.0, 1e200, 1e308]), np.array([3.0, 3e200, 1e308])
    mean, sd = beta_mean_sd(a, b)
    np.testing.assert_allclose(mean, [0.4, 0.25, 0.5], rtol=1e-15)
    want_sd = [math.sqrt(6 / (25 * 6)), math.sqrt(3 / 16 / 4e200), 0.5 / math.sqrt(2e308 + 0)]
    np.testing.assert_allclose(sd[:2], want_sd[:2], rtol=1e-14)
    assert sd[2] == pytest.approx(0.5 / math.sqrt(2) / 1e154, rel=1e-14)


# ------------------------------------------------------- ill-conditioned regression (item 14)
# NIST StRD "Longley" certified values (https://www.itl.nist.gov/div898/strd/lls/data/Longley.shtml)
_LONGLEY_COEF = np.array(
    [
        -3482258.63459582,
        15.0618722713733,
        -0.358191792925910e-01,
        -2.02022980381683,
        -1.03322686717359,
        -0.511041056535807e-01,
        1829.15146461355,
    ]
)
_LONGLEY_SE = np.array(
    [
        890420.383607373,
        84.9149257747669,
        0.334910077722432e-01,
        0.488399681651699,
        0.214274163161675,
        0.226073200069370,
        455.478499142212,
    ]
)


def _longley():
    sm = pytest.importorskip("statsmodels.api")
    data = sm.datasets.longley.load_pandas()
    X = np.column_stack([np.ones(len(data.exog)), data.exog.to_numpy()])
    return X, data.endog.to_numpy()


def _vague_nig(d):
    return bg.priors.NormalInverseGamma(mean=np.zeros(d), cov=1e30, a=1e-10, b=1e-10)


def test_longley_vague_prior_matches_nist_and_answers_every_summary():
    X, y = _longley()
    n, d = X.shape
    post = conjugate(bg.LinearRegression(X=X, y=y, prior=_vague_nig(d)))
    np.testing.assert_allclose(post.mean()["coef"], _LONGLEY_COEF, rtol=1e-8)
    # a -> n/2, b -> rss/2: the coef marginals are t(n) with scale se * sqrt((n - d) / n)
    truth = stats.t(n, loc=_LONGLEY_COEF, scale=_LONGLEY_SE * np.sqrt((n - d) / n))
    np.testing.assert_allclose(post.sd()["coef"], truth.std(), rtol=1e-7)
    np.testing.assert_allclose(post.median()["coef"], _LONGLEY_COEF, rtol=1e-8)
    np.testing.assert_allclose(post.quantile(0.1)["coef"], truth.ppf(0.1), rtol=1e-7)
    low, high = post.hdi(0.9)["coef"]  # a t marginal is symmetric: the central interval
    np.testing.assert_allclose(low, truth.ppf(0.05), rtol=1e-7)
    np.testing.assert_allclose(high, truth.ppf(0.95), rtol=1e-7)
    table = post.summary()
    assert np.all(np.isfinite(table.to_numpy(dtype=float)))
    assert post.dist["coef"].dim == d  # the joint is still there, built without the PSD check


def test_quadratic_trend_on_years_answers_every_summary():
    # X = [1, t, t^2], t = 1947..1962: condition number ~1e12
    sm = pytest.importorskip("statsmodels.api")
    _, y = _longley()
    t = np.arange(1947.0, 1963.0)
    X = np.column_stack([np.ones_like(t), t, t * t])
    fit = sm.OLS(y, X).fit()  # statsmodels' pinv: (X'X)^-1 to 5e-11 (checked in fractions)
    n, d = X.shape
    post = conjugate(bg.LinearRegression(X=X, y=y, prior=_vague_nig(d)))
    np.testing.assert_allclose(post.mean()["coef"], fit.params, rtol=1e-8)
    # The model keeps X'X, whose rounding (entries ~1e14) alone moves (X'X)^-1 by ~1e-5
    # relative on this design (condition number 1e12); the spread is checked to that.
    truth = stats.t(n, loc=fit.params, scale=fit.bse * np.sqrt((n - d) / n))
    np.testing.assert_allclose(post.quantile(0.9)["coef"], truth.ppf(0.9), rtol=3e-5)
    assert np.all(np.isfinite(post.summary().to_numpy(dtype=float)))
    # known noise, Gaussian prior: a normal posterior around the same fit
    s = float(np.sqrt(fit.scale))
    known = bg.LinearRegression(X=X, y=y, coef=stats.norm(0, 1e15), sigma=s)
    gpost = conjugate(known)
    np.testing.assert_allclose(gpost.mean()["coef"], fit.params, rtol=1e-8)
    np.testing.assert_allclose(gpost.sd()["coef"], fit.bse, rtol=3e-5)
    assert np.all(np.isfinite(gpost.summary().to_numpy(dtype=float)))
