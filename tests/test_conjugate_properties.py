"""Property tests of bayesgd.conjugate: streaming equals batch, the chain rule of evidence, scale.

Hypothesis draws random chunkings of fixed datasets (every conjugate pair) and random data; the
posterior after any sequence of ``update`` calls must equal the one-batch posterior, and the
log evidence must obey ``log p(D1, D2) = log p(D1) + log p(D2 | D1)``, where ``p(D2 | D1)`` is
the evidence of ``D2`` under the posterior after ``D1`` used as a prior.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import bayesgd as bg
from bayesgd.conjugate import conjugate

RNG = np.random.default_rng(2024)
N = 24
X2 = RNG.normal(size=(N, 2))
DATA: dict[str, dict[str, np.ndarray]] = {
    "bernoulli": {"y": RNG.integers(0, 2, size=N)},
    "binomial": {"k": RNG.integers(0, 6, size=N), "n": np.full(N, 6)},
    "binomial-groups": {"k": RNG.integers(0, 6, size=(N, 3)), "n": np.full((N, 3), 6)},
    "geometric": {"k": RNG.integers(1, 9, size=N)},
    "negbin": {"k": RNG.integers(0, 12, size=N)},
    "poisson": {"k": RNG.poisson(3.0, size=N), "exposure": RNG.uniform(0.5, 2, size=N)},
    "exponential": {"y": RNG.exponential(2.0, size=N)},
    "normal-mu": {"y": RNG.normal(3.0, 2.0, size=N)},
    "normal-sigma2": {"y": RNG.normal(3.0, 2.0, size=N)},
    "nig": {"y": RNG.normal(3.0, 2.0, size=N)},
    "nig-groups": {"y": RNG.normal(3.0, 2.0, size=(N, 2))},
    "multinomial": {"x": RNG.multinomial(5, [0.2, 0.5, 0.3], size=N)},
    "categorical": {"y": RNG.integers(0, 4, size=N)},
    "regression-nig": {"X": X2, "y": X2 @ [1.0, -2.0] + 0.5 + RNG.normal(0, 0.5, N)},
    "regression-known": {"X": X2, "y": X2 @ [1.0, -2.0] + 0.5 + RNG.normal(0, 0.5, N)},
}

NIG_REG = bg.priors.NormalInverseGamma(mean=[0.0, 0.0], cov=[[4.0, 1.0], [1.0, 3.0]], a=2.0, b=1.5)

BUILD: dict[str, Callable[..., Any]] = {
    "bernoulli": lambda **d: bg.Bernoulli(**d, p=stats.beta(2, 3)),
    "binomial": lambda **d: bg.Binomial(**d, p=stats.beta(0.7, 1.2)),
    "binomial-groups": lambda **d: bg.Binomial(
        **d, p=stats.beta([1.0, 2.0, 0.5], [1.0, 0.5, 3.0])
    ),
    "geometric": lambda **d: bg.Geometric(**d, p=stats.beta(2, 2)),
    "negbin": lambda **d: bg.NegativeBinomial(**d, r=2.5, p=stats.beta(2, 2)),
    "poisson": lambda **d: bg.Poisson(**d, mu=stats.gamma(2, scale=2)),
    "exponential": lambda **d: bg.Exponential(**d, lam=stats.gamma(1.5, scale=1)),
    "normal-mu": lambda **d: bg.Normal(**d, mu=stats.norm(0, 10), sigma=2.0),
    "normal-sigma2": lambda **d: bg.Normal(**d, mu=3.0, sigma2=stats.invgamma(2, scale=2)),
    "nig": lambda **d: bg.Normal(**d, prior=stats.normal_inverse_gamma(0, 0.5, 2, 2)),
    "nig-groups": lambda **d: bg.Normal(
        **d, prior=stats.normal_inverse_gamma([0, 1], 0.5, 2, [2, 1])
    ),
    "multinomial": lambda **d: bg.Multinomial(**d, p=stats.dirichlet([1.0, 2.0, 0.5])),
    "categorical": lambda **d: bg.Categorical(**d, p=stats.dirichlet([1.0, 1.0, 2.0, 0.5])),
    "regression-nig": lambda **d: bg.LinearRegression(**d, intercept=0.5, prior=NIG_REG),
    "regression-known": lambda **d: bg.LinearRegression(
        **d, coef=stats.norm(0, 3), intercept=stats.norm(0, 5), sigma=0.5
    ),
}


def _chunk(data: dict[str, np.ndarray], lo: int, hi: int) -> dict[str, np.ndarray]:
    return {k: v[lo:hi] for k, v in data.items()}


def _assert_same(a, b, rtol=1e-10):
    assert a.hyper.keys() == b.hyper.keys()
    for key in a.hyper:
        np.testing.assert_allclose(a.hyper[key], b.hyper[key], rtol=rtol, atol=1e-12)
    np.testing.assert_allclose(a.log_evidence, b.log_evidence, rtol=rtol)
    for name in a.names:
        np.testing.assert_allclose(a.mean()[name], b.mean()[name], rtol=rtol)
        np.testing.assert_allclose(a.mode()[name], b.mode()[name], rtol=rtol, atol=1e-14)


@pytest.mark.parametrize("kind", list(DATA))
@settings(max_examples=15, deadline=None)
@given(cuts=st.sets(st.integers(1, N - 1), max_size=8))
def test_sequential_updates_equal_batch(kind, cuts):
    data = DATA[kind]
    batch = conjugate(BUILD[kind](**data))
    edges = [0, *sorted(cuts), N]
    post = conjugate(BUILD[kind](**_chunk(data, edges[0], edges[1])))
    for lo, hi in itertools.pairwise(edges[1:]):
        post.update(**_chunk(data, lo, hi))
    _assert_same(post, batch)


def _posterior_as_prior(kind: str, post) -> Callable[..., Any]:
    """A model builder whose prior is ``post`` (same family), for the chain rule."""
    h = post.hyper
    if kind in ("binomial", "bernoulli"):
        cls = bg.Binomial if kind == "binomial" else bg.Bernoulli
        return lambda **d: cls(**d, p=stats.beta(h["a"], h["b"]))
    if kind == "poisson":
        return lambda **d: bg.Poisson(**d, mu=stats.gamma(h["a"], scale=1 / h["b"]))
    if kind == "normal-mu":
        return lambda **d: bg.Normal(**d, mu=stats.norm(h["loc"], h["scale"]), sigma=2.0)
    if kind == "nig":
        return lambda **d: bg.Normal(
            **d, prior=stats.normal_inverse_gamma(h["mu"], h["lmbda"], h["a"], h["b"])
        )
    if kind == "multinomial":
        return lambda **d: bg.Multinomial(**d, p=stats.dirichlet(h["alpha"]))
    if kind == "regression-nig":
        prior = bg.priors.NormalInverseGamma(h["mean"], h["cov"], h["a"], h["b"])
        return lambda **d: bg.LinearRegression(**d, intercept=0.5, prior=prior)
    raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind",
    ["bernoulli", "binomial", "poisson", "normal-mu", "nig", "multinomial", "regression-nig"],
)
@settings(max_examples=10, deadline=None)
@given(cut=st.integers(1, N - 1))
def test_evidence_chain_rule(kind, cut):
    data = DATA[kind]
    first = conjugate(BUILD[kind](**_chunk(data, 0, cut)))
    second = conjugate(_posterior_as_prior(kind, first)(**_chunk(data, cut, N)))
    whole = conjugate(BUILD[kind](**data))
    np.testing.assert_allclose(
        first.log_evidence + second.log_evidence, whole.log_evidence, rtol=1e-10
    )
    for key in whole.hyper:
        np.testing.assert_allclose(second.hyper[key], whole.hyper[key], rtol=1e-10, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(
    k=st.lists(st.integers(0, 10), min_size=1, max_size=6),
    a=st.floats(0.2, 20),
    b=st.floats(0.2, 20),
)
def test_beta_binomial_evidence_is_the_betabinom_pmf(k, a, b):
    """For one Binomial observation the evidence is the prior predictive (betabinom) pmf."""
    k = np.array(k)
    post = conjugate(bg.Binomial(k=k, n=10, p=stats.beta(a, b)))
    # chain rule through scipy's betabinom, one observation at a time
    total = 0.0
    a_i, b_i = a, b
    for k_i in k:
        total += stats.betabinom.logpmf(k_i, 10, a_i, b_i)
        a_i, b_i = a_i + k_i, b_i + 10 - k_i
    np.testing.assert_allclose(post.log_evidence, total, rtol=1e-10, atol=1e-12)
    assert (post.hyper["a"], post.hyper["b"]) == pytest.approx((a_i, b_i), rel=1e-14)


@settings(max_examples=25, deadline=None)
@given(
    y=st.lists(st.floats(-50, 50), min_size=1, max_size=8),
    mu0=st.floats(-5, 5),
    lam=st.floats(0.05, 20),
    a=st.floats(0.6, 10),
    b=st.floats(0.1, 10),
)
def test_nig_evidence_is_the_multivariate_t(y, mu0, lam, a, b):
    y = np.array(y)
    post = conjugate(bg.Normal(y=y, prior=stats.normal_inverse_gamma(mu0, lam, a, b)))
    n = len(y)
    ref = stats.multivariate_t(
        loc=np.full(n, mu0), shape=(b / a) * (np.eye(n) + np.ones((n, n)) / lam), df=2 * a
    ).logpdf(y)
    np.testing.assert_allclose(post.log_evidence, ref, rtol=1e-9, atol=1e-9)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_million_groups(record_property):
    """One million Beta-Binomial groups: update, mean, sd and HDI without a loop (timed)."""
    G = 1_000_000
    rng = np.random.default_rng(0)
    n = rng.integers(1, 50, size=G)
    k = rng.binomial(n, rng.uniform(0.05, 0.95, size=G))
    start = time.perf_counter()
    post = conjugate(bg.Binomial(k=k, n=n, p=stats.beta(np.ones(G), np.ones(G))))
    mean, sd = post.mean()["p"], post.sd()["p"]
    t_update = time.perf_counter() - start
    low, high = post.hdi(0.9)["p"]
    t_total = time.perf_counter() - start
    record_property("seconds_update_mean_sd", round(t_update, 3))
    record_property("seconds_with_hdi", round(t_total, 3))
    print(f"1e6 groups: update+mean+sd {t_update:.2f}s, with hdi {t_total:.2f}s")
    assert mean.shape == sd.shape == low.shape == (G,)
    for g in rng.integers(0, G, size=5):
        ref = stats.beta(1 + k[g], 1 + n[g] - k[g])
        assert mean[g] == pytest.approx(ref.mean(), rel=1e-12)
        assert sd[g] == pytest.approx(ref.std(), rel=1e-12)
        np.testing.assert_allclose(ref.cdf(high[g]) - ref.cdf(low[g]), 0.9, rtol=1e-10)
    assert np.all(np.isfinite(low)) and np.all(low < high)
    # and one more streamed chunk of data for every group, still without a loop
    more = post.updated(k=k, n=n)
    np.testing.assert_allclose(more.hyper["a"], 1 + 2 * k)


# ============================================================================================
# Extremes of scale (issue 13 item 6) and returned arrays (item 3)
# ============================================================================================


def _log_uniform(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(np.log10(lo), np.log10(hi)).map(lambda e: float(10.0**e))


@settings(max_examples=60, deadline=None)
@given(
    a=_log_uniform(1e-3, 1e300),
    b=_log_uniform(1e-3, 1e300),
    k=st.integers(0, 50),
    extra=st.integers(0, 50),
)
def test_beta_posterior_is_finite_and_exact_at_any_scale(a, b, k, extra):
    n = k + extra
    post = conjugate(bg.Binomial(k=k, n=n, p=stats.beta(a, b)))
    mean, sd = post.mean()["p"], post.sd()["p"]
    A, B = a + k, b + extra
    # closed forms, scaled by max(A, B) so that no product overflows: p = A/(A+B), and
    # sd^2 = p q / (A + B + 1)
    big = max(A, B)
    p, q = (A / big) / (A / big + B / big), (B / big) / (A / big + B / big)
    assert np.isfinite(mean) and np.isfinite(sd) and sd > 0
    assert mean == pytest.approx(p, rel=1e-13)
    assert sd == pytest.approx(
        np.sqrt(p * q) / np.sqrt(big) / np.sqrt(A / big + B / big + 1 / big), rel=1e-13
    )
    # the log evidence is finite here: one observation, p(k) <= 1
    assert np.isfinite(post.log_evidence) and post.log_evidence <= 1e-12


@settings(max_examples=60, deadline=None)
@given(
    sigma=_log_uniform(1e-200, 1e200),
    scale=_log_uniform(1e-300, 1e300),
    s0=_log_uniform(1e-100, 1e100),
)
def test_normal_mean_posterior_is_finite_at_any_scale(sigma, scale, s0):
    y = scale * np.array([0.25, 0.5, 0.75])
    post = conjugate(bg.Normal(y=y, sigma=sigma, mu=stats.norm(0.0, s0)))
    mean, sd = post.mean()["mu"], post.sd()["mu"]
    # closed forms with ratios only: r = sigma^2 / (n s0^2), mean = ybar / (1 + r),
    # sd = sigma / sqrt(n (1 + r))
    log_r = 2 * (np.log(sigma) - np.log(s0)) - np.log(3.0)
    w = np.exp(-np.logaddexp(0.0, log_r))
    assert np.isfinite(mean) and np.isfinite(sd) and sd > 0
    # formed in log space: w alone may be subnormal (sigma / s0 = 1e157), with too few digits
    want_mean = (
        np.exp(np.log(w) + np.log(0.5 * scale))
        if w > 1e-300
        else np.exp(-np.logaddexp(0.0, log_r) + np.log(0.5 * scale))
    )
    assert mean == pytest.approx(want_mean, rel=1e-12, abs=1e-300)
    want_sd = np.exp(np.log(sigma) - 0.5 * (np.log(3.0) + np.logaddexp(0.0, log_r)))
    assert sd == pytest.approx(want_sd, rel=1e-12)


@settings(max_examples=25, deadline=None)
@given(kind=st.sampled_from(sorted(DATA)))
def test_answers_do_not_change_after_returned_arrays_are_written_to(kind):
    post = conjugate(BUILD[kind](**DATA[kind]))
    before = post.summary()
    hyper_before = post.hyper
    answers = [post.mean(), post.sd(), post.mode(), post.median(), post.quantile([0.2, 0.8])]
    for answer in answers:
        for value in answer.values():
            if isinstance(value, np.ndarray) and value.flags.writeable:
                value[...] = -123.0
    for low, high in post.hdi().values():
        for end in (low, high):
            if isinstance(end, np.ndarray) and end.flags.writeable:
                end[...] = -123.0
    for value in post.hyper.values():
        if isinstance(value, np.ndarray):
            value[...] = -123.0
    after = post.summary()
    np.testing.assert_array_equal(after.to_numpy(), before.to_numpy())
    for key, value in post.hyper.items():
        np.testing.assert_array_equal(value, hyper_before[key])
