"""post.prob and post.derive against closed forms and quadrature."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

import bayesgd as bg


def _ab_model():
    return bg.Binomial(k=[50, 65], n=[1000, 1000], p=stats.beta(np.ones(2), np.ones(2)))


def _p_b_greater():
    a, b = stats.beta(51, 951), stats.beta(66, 936)
    return integrate.quad(lambda x: b.pdf(x) * a.cdf(x), 0, 1, points=[0.05, 0.065], limit=200)[0]


def test_prob_by_monte_carlo_states_its_error():
    post = bg.conjugate(_ab_model())
    p = post.prob(lambda p: p[1] > p[0], rng=0)
    assert p.mcse > 0 and "Monte Carlo" in p.method
    assert float(p) == pytest.approx(_p_b_greater(), abs=4 * p.mcse)
    assert post.prob(lambda p: p[1] > p[0], rng=0) == p  # reproducible


def test_derive_lift_has_the_exact_distribution():
    post = bg.conjugate(_ab_model())
    d = post.derive(lift=lambda p: p[1] / p[0] - 1, diff=lambda p: p[1] - p[0], rng=1)
    a, b = stats.beta(51, 951), stats.beta(66, 936)
    for q in (0.05, 0.5, 0.95):
        t = d.quantile(q)["lift"]
        cdf = integrate.quad(
            lambda x, t=t: a.pdf(x) * b.cdf(min((1 + t) * x, 1)), 0, 1, limit=200
        )[0]
        assert cdf == pytest.approx(q, abs=4 * np.sqrt(q * (1 - q) / 100_000))
    assert d.mean()["diff"] == pytest.approx(b.mean() - a.mean(), abs=1e-4)
    assert set(d.summary().index) == {"lift", "diff"}


def test_functions_by_parameter_name():
    m = bg.Normal(y=[4.9, 5.6, 3.8, 6.1, 5.0, 4.4], prior=stats.normal_inverse_gamma(5, 1, 2, 2))
    post = bg.conjugate(m)
    d = post.derive(sd=lambda sigma2: np.sqrt(sigma2), draws=200_000, rng=0)
    want = integrate.quad(lambda v: np.sqrt(v) * post.dist["sigma2"].pdf(v), 0, np.inf, limit=200)[
        0
    ]
    assert d.mean()["sd"] == pytest.approx(want, rel=5e-3)
    p = post.prob(lambda mu: mu > 5, rng=0)
    assert float(p) == pytest.approx(post.dist["mu"].sf(5), abs=4 * p.mcse)


def test_sampler_draws_are_used_as_they_are_with_arviz_mcse():
    import arviz as az

    m = bg.Normal(y=[0.0], mu=stats.norm(0, 1), sigma=1.0)
    draws = np.random.default_rng(0).normal(0, 0.7, size=(2, 500))
    post = bg.SamplePosterior(m, {"mu": draws})
    p = post.prob(lambda mu: mu > 0)
    hit = (draws > 0).astype(float)
    assert float(p) == pytest.approx(hit.mean())
    assert p.mcse == pytest.approx(float(np.ravel(az.mcse(hit, method="mean"))[0]))


@pytest.mark.parametrize(
    ("fn", "error", "match"),
    [
        (lambda q: q[0] > 0, TypeError, "parameter names"),
        (lambda mu, tau: mu > 0, TypeError, "parameter names"),
        (lambda p: 0.5, ValueError, "one value per draw"),
        ("p > 0", TypeError, "function"),
        (lambda p: np.array(["a"] * p.shape[-1]), TypeError, "numbers"),
    ],
)
def test_bad_functions_are_named(fn, error, match):
    m = bg.Normal(y=[1.0], mu=stats.norm(0, 1), sigma=stats.halfnorm(scale=1))
    one = bg.Normal(y=[1.0], mu=stats.norm(0, 1), sigma=1.0)
    post = bg.laplace(m if match == "parameter names" else one)
    with pytest.raises(error, match=match):
        post.prob(fn, draws=100, rng=0)


def test_derive_needs_names():
    post = bg.conjugate(_ab_model())
    with pytest.raises(TypeError, match="at least one"):
        post.derive()
    with pytest.raises(ValueError, match="draws"):
        post.derive(x=lambda p: p[0], draws=0)


def test_grid_prob_is_a_sum_over_its_cells():
    g = bg.grid(_ab_model())
    p = g.prob(lambda p: p[1] > p[0])
    assert p.mcse == 0 and "grid" in p.method
    assert float(p) == pytest.approx(_p_b_greater(), abs=2e-5)  # to the grid's resolution
    d = g.derive(diff=lambda p: p[1] - p[0], rng=0)
    assert d.mean()["diff"] == pytest.approx(66 / 1002 - 51 / 1002, abs=3e-4)
