"""Likelihood families and the Model core against scipy.stats, finite differences and loops."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from scipy.special import log_expit

import bayesgd as bg
from bayesgd.priors import NormalInverseGamma

RNG = np.random.default_rng(12345)
X3 = RNG.normal(size=(40, 3))
X_LOGIT = RNG.normal(size=(60, 2))
Y_LOGIT = RNG.integers(0, 2, size=60)
X_POIS = RNG.normal(scale=0.5, size=(50, 2))
Y_POIS = RNG.poisson(2.0, size=50)
OFFSET = RNG.normal(scale=0.3, size=50)
Y_LIN = 0.7 + X3 @ np.array([1.0, -2.0, 0.5]) + RNG.normal(scale=0.8, size=40)
Y_NORMAL = RNG.normal(1.3, 2.0, size=25)
K_POIS = RNG.poisson(3.0, size=30)
EXPOSURE = RNG.uniform(0.5, 3.0, size=30)
BIN_N = RNG.integers(1, 20, size=15)
BIN_K = RNG.binomial(BIN_N, 0.4)
MULTI_X = RNG.multinomial(7, [0.2, 0.5, 0.3], size=12)
NIG_PRIOR = NormalInverseGamma(mean=[0.5, -0.5, 0.0], cov=np.diag([4.0, 2.0, 1.0]), a=3.0, b=2.0)
MV_PRIOR = stats.multivariate_normal([0.0, 1.0, -1.0], np.diag([4.0, 1.0, 2.0]) + 0.3)
# grouped data: 5 observations of 3 groups
Y_GROUPS = RNG.normal([0.0, 1.0, -1.0], [1.0, 2.0, 0.5], size=(5, 3))
K_GROUPS = RNG.poisson([1.0, 3.0, 6.0], size=(4, 3))
R_GROUPS = np.array([1.0, 2.5, 4.0])
T_GROUPS = np.array([0.5, 1.0, 2.0])


def _custom_ll(a, b):
    mean = np.asarray(a)[..., None] + np.asarray(b)[..., None] * X3[:, 0]
    return stats.norm.logpdf(Y_LIN, mean, 1.5).sum(axis=-1)


def _custom_grad(a, b):
    r = (Y_LIN - (np.asarray(a)[..., None] + np.asarray(b)[..., None] * X3[:, 0])) / 1.5**2
    return {"a": r.sum(axis=-1), "b": (r * X3[:, 0]).sum(axis=-1)}


@dataclass
class Case:
    """A model, an independent scipy reference for one parameter point, and a point sampler."""

    name: str
    build: Callable[[], Any]
    ref_ll: Callable[[dict[str, np.ndarray]], float]
    ref_lp: Callable[[dict[str, np.ndarray]], float]


def _logistic_ref(eta):
    # scipy's bernoulli.logpmf(y, expit(eta)) rounds p to 1 for large eta; log_expit does not
    return np.where(Y_LOGIT == 1, log_expit(eta), log_expit(-eta)).sum()


def _ig(s2, a, b):
    return stats.invgamma.logpdf(s2, a, scale=b)


CASES = [
    Case(
        "bernoulli",
        lambda: bg.Bernoulli(y=BIN_K > 3, p=stats.beta(2.5, 1.5)),
        lambda t: stats.bernoulli.logpmf(BIN_K > 3, t["p"]).sum(),
        lambda t: stats.beta.logpdf(t["p"], 2.5, 1.5),
    ),
    Case(
        "binomial",
        lambda: bg.Binomial(k=BIN_K, n=BIN_N, p=stats.beta(2.0, 3.0)),
        lambda t: stats.binom.logpmf(BIN_K, BIN_N, t["p"]).sum(),
        lambda t: stats.beta.logpdf(t["p"], 2.0, 3.0),
    ),
    Case(
        "geometric",
        lambda: bg.Geometric(k=BIN_K + 1, p=stats.beta(1.5, 1.5)),
        lambda t: stats.geom.logpmf(BIN_K + 1, t["p"]).sum(),
        lambda t: stats.beta.logpdf(t["p"], 1.5, 1.5),
    ),
    Case(
        "negative_binomial",
        lambda: bg.NegativeBinomial(k=K_POIS, r=3.5, p=stats.uniform(0, 1)),
        lambda t: stats.nbinom.logpmf(K_POIS, 3.5, t["p"]).sum(),
        lambda t: 0.0,
    ),
    Case(
        "poisson",
        lambda: bg.Poisson(k=K_POIS, mu=stats.gamma(2.0, scale=1.5)),
        lambda t: stats.poisson.logpmf(K_POIS, t["mu"]).sum(),
        lambda t: stats.gamma.logpdf(t["mu"], 2.0, scale=1.5),
    ),
    Case(
        "poisson_exposure",
        lambda: bg.Poisson(k=K_POIS, exposure=EXPOSURE, mu=stats.lognorm(0.5, scale=2.0)),
        lambda t: stats.poisson.logpmf(K_POIS, t["mu"] * EXPOSURE).sum(),
        lambda t: stats.lognorm.logpdf(t["mu"], 0.5, scale=2.0),
    ),
    Case(
        "exponential",
        lambda: bg.Exponential(y=EXPOSURE, lam=stats.gamma(2.0, scale=0.5)),
        lambda t: stats.expon.logpdf(EXPOSURE, scale=1.0 / t["lam"]).sum(),
        lambda t: stats.gamma.logpdf(t["lam"], 2.0, scale=0.5),
    ),
    Case(
        "normal_sigma",
        lambda: bg.Normal(y=Y_NORMAL, mu=stats.norm(1.0, 3.0), sigma=stats.halfnorm(scale=2.0)),
        lambda t: stats.norm.logpdf(Y_NORMAL, t["mu"], t["sigma"]).sum(),
        lambda t: stats.norm.logpdf(t["mu"], 1.0, 3.0) + stats.halfnorm.logpdf(t["sigma"], 0, 2),
    ),
    Case(
        "normal_sigma2",
        lambda: bg.Normal(y=Y_NORMAL, mu=stats.t(4, 0.5, 2.0), sigma2=stats.invgamma(3, scale=4)),
        lambda t: stats.norm.logpdf(Y_NORMAL, t["mu"], np.sqrt(t["sigma2"])).sum(),
        lambda t: stats.t.logpdf(t["mu"], 4, 0.5, 2.0) + _ig(t["sigma2"], 3, 4),
    ),
    Case(
        "normal_fixed_sigma",
        lambda: bg.Normal(y=Y_NORMAL, mu=stats.norm(0.0, 10.0), sigma=2.0),
        lambda t: stats.norm.logpdf(Y_NORMAL, t["mu"], 2.0).sum(),
        lambda t: stats.norm.logpdf(t["mu"], 0.0, 10.0),
    ),
    Case(
        "normal_nig",
        lambda: bg.Normal(y=Y_NORMAL, prior=stats.normal_inverse_gamma(1.0, 2.0, 3.0, 4.0)),
        lambda t: stats.norm.logpdf(Y_NORMAL, t["mu"], np.sqrt(t["sigma2"])).sum(),
        lambda t: (
            stats.norm.logpdf(t["mu"], 1.0, np.sqrt(t["sigma2"] / 2.0))
            + _ig(t["sigma2"], 3.0, 4.0)
        ),
    ),
    Case(
        "multinomial",
        lambda: bg.Multinomial(x=MULTI_X, p=stats.dirichlet([1.5, 2.0, 1.2])),
        lambda t: stats.multinomial.logpmf(MULTI_X, MULTI_X.sum(1), t["p"]).sum(),
        lambda t: stats.dirichlet.logpdf(t["p"], [1.5, 2.0, 1.2]),
    ),
    Case(
        "categorical",
        lambda: bg.Categorical(y=BIN_K % 4, p=stats.dirichlet([2.0, 1.0, 1.0, 3.0])),
        lambda t: stats.multinomial.logpmf(np.eye(4)[BIN_K % 4], 1, t["p"]).sum(),
        lambda t: stats.dirichlet.logpdf(t["p"], [2.0, 1.0, 1.0, 3.0]),
    ),
    Case(
        "linear_intercept_sigma",
        lambda: bg.LinearRegression(
            X=X3,
            y=Y_LIN,
            coef=stats.norm(0, 2),
            intercept=stats.norm(0, 5),
            sigma=stats.halfnorm(scale=3),
        ),
        lambda t: stats.norm.logpdf(Y_LIN, t["intercept"] + X3 @ t["coef"], t["sigma"]).sum(),
        lambda t: (
            stats.norm.logpdf(t["coef"], 0, 2).sum()
            + stats.norm.logpdf(t["intercept"], 0, 5)
            + stats.halfnorm.logpdf(t["sigma"], 0, 3)
        ),
    ),
    Case(
        "linear_no_intercept_sigma2",
        lambda: bg.LinearRegression(
            X=X3, y=Y_LIN, coef=stats.norm([0, 1, 2], [1, 2, 3]), sigma2=stats.invgamma(2, scale=1)
        ),
        lambda t: stats.norm.logpdf(Y_LIN, X3 @ t["coef"], np.sqrt(t["sigma2"])).sum(),
        lambda t: (
            stats.norm.logpdf(t["coef"], [0, 1, 2], [1, 2, 3]).sum() + _ig(t["sigma2"], 2, 1)
        ),
    ),
    Case(
        "linear_nig",
        lambda: bg.LinearRegression(X=X3, y=Y_LIN, prior=NIG_PRIOR),
        lambda t: stats.norm.logpdf(Y_LIN, X3 @ t["coef"], np.sqrt(t["sigma2"])).sum(),
        lambda t: (
            stats.multivariate_normal.logpdf(
                t["coef"], NIG_PRIOR.mean_, t["sigma2"] * NIG_PRIOR.cov
            )
            + _ig(t["sigma2"], 3.0, 2.0)
        ),
    ),
    Case(
        "linear_nig_fixed_intercept",
        lambda: bg.LinearRegression(X=X3, y=Y_LIN, prior=NIG_PRIOR, intercept=0.7),
        lambda t: stats.norm.logpdf(Y_LIN, 0.7 + X3 @ t["coef"], np.sqrt(t["sigma2"])).sum(),
        lambda t: (
            stats.multivariate_normal.logpdf(
                t["coef"], NIG_PRIOR.mean_, t["sigma2"] * NIG_PRIOR.cov
            )
            + _ig(t["sigma2"], 3.0, 2.0)
        ),
    ),
    Case(
        "linear_fixed_intercept_mvn",
        lambda: bg.LinearRegression(X=X3, y=Y_LIN, coef=MV_PRIOR, intercept=1.5, sigma=0.7),
        lambda t: stats.norm.logpdf(Y_LIN, 1.5 + X3 @ t["coef"], 0.7).sum(),
        lambda t: MV_PRIOR.logpdf(t["coef"]),
    ),
    Case(
        "logistic",
        lambda: bg.LogisticRegression(
            X=X_LOGIT, y=Y_LOGIT, coef=stats.norm(0, 2.5), intercept=stats.norm(0, 5)
        ),
        lambda t: _logistic_ref(t["intercept"] + X_LOGIT @ t["coef"]),
        lambda t: (
            stats.norm.logpdf(t["coef"], 0, 2.5).sum() + stats.norm.logpdf(t["intercept"], 0, 5)
        ),
    ),
    Case(
        "logistic_no_intercept",
        lambda: bg.LogisticRegression(X=X_LOGIT, y=Y_LOGIT, coef=stats.cauchy(0, 2.5)),
        lambda t: _logistic_ref(X_LOGIT @ t["coef"]),
        lambda t: stats.cauchy.logpdf(t["coef"], 0, 2.5).sum(),
    ),
    Case(
        "poisson_regression",
        lambda: bg.PoissonRegression(
            X=X_POIS, y=Y_POIS, coef=stats.norm(0, 1), intercept=stats.norm(0, 2), offset=OFFSET
        ),
        lambda t: stats.poisson.logpmf(
            Y_POIS, np.exp(t["intercept"] + X_POIS @ t["coef"] + OFFSET)
        ).sum(),
        lambda t: (
            stats.norm.logpdf(t["coef"], 0, 1).sum() + stats.norm.logpdf(t["intercept"], 0, 2)
        ),
    ),
    Case(
        "custom_with_gradient",
        lambda: bg.Model(
            priors={"a": stats.norm(0, 5), "b": stats.norm(0, 10)},
            log_likelihood=_custom_ll,
            grad_log_likelihood=_custom_grad,
        ),
        lambda t: _custom_ll(t["a"], t["b"]),
        lambda t: stats.norm.logpdf(t["a"], 0, 5) + stats.norm.logpdf(t["b"], 0, 10),
    ),
    Case(
        "custom_finite_differences",
        lambda: bg.Model(
            priors={"a": stats.norm(0, 5), "b": stats.norm(0, 10)}, log_likelihood=_custom_ll
        ),
        lambda t: _custom_ll(t["a"], t["b"]),
        lambda t: stats.norm.logpdf(t["a"], 0, 5) + stats.norm.logpdf(t["b"], 0, 10),
    ),
    # groups: batched priors, shared parameters and per-group known values mixed
    Case(
        "groups_normal_mu_per_group_sigma_shared",
        lambda: bg.Normal(
            y=Y_GROUPS, mu=stats.norm([0.0, 1.0, 2.0], 3.0), sigma=stats.halfnorm(scale=2.0)
        ),
        lambda t: stats.norm.logpdf(Y_GROUPS, t["mu"], t["sigma"]).sum(),
        lambda t: (
            stats.norm.logpdf(t["mu"], [0.0, 1.0, 2.0], 3.0).sum()
            + stats.halfnorm.logpdf(t["sigma"], 0, 2.0)
        ),
    ),
    Case(
        "groups_normal_mu_shared_sigma_per_group",
        lambda: bg.Normal(
            y=Y_GROUPS, mu=stats.norm(0.0, 3.0), sigma=stats.gamma([2.0, 3.0, 4.0], scale=0.5)
        ),
        lambda t: stats.norm.logpdf(Y_GROUPS, t["mu"], t["sigma"]).sum(),
        lambda t: (
            stats.norm.logpdf(t["mu"], 0.0, 3.0)
            + stats.gamma.logpdf(t["sigma"], [2.0, 3.0, 4.0], scale=0.5).sum()
        ),
    ),
    Case(
        "groups_normal_nig",
        lambda: bg.Normal(
            y=Y_GROUPS, prior=stats.normal_inverse_gamma([0.0, 1.0, 0.0], [1.0, 2.0, 0.5], 3, 2)
        ),
        lambda t: stats.norm.logpdf(Y_GROUPS, t["mu"], np.sqrt(t["sigma2"])).sum(),
        lambda t: (
            stats.normal_inverse_gamma([0.0, 1.0, 0.0], [1.0, 2.0, 0.5], 3, 2)
            .logpdf(t["mu"], t["sigma2"])
            .sum()
        ),
    ),
    Case(
        "groups_negative_binomial_r_per_group",
        lambda: bg.NegativeBinomial(k=K_GROUPS, r=R_GROUPS, p=stats.beta(np.ones(3), 2.0)),
        lambda t: stats.nbinom.logpmf(K_GROUPS, R_GROUPS, t["p"]).sum(),
        lambda t: stats.beta.logpdf(t["p"], 1.0, 2.0).sum(),
    ),
    Case(
        "groups_poisson_mu_shared_exposure_per_group",
        lambda: bg.Poisson(k=K_GROUPS, exposure=T_GROUPS, mu=stats.gamma(2.0)),
        lambda t: stats.poisson.logpmf(K_GROUPS, t["mu"] * T_GROUPS).sum(),
        lambda t: stats.gamma.logpdf(t["mu"], 2.0),
    ),
    Case(
        "groups_exponential",
        lambda: bg.Exponential(y=np.abs(Y_GROUPS), lam=stats.gamma([1.0, 2.0, 3.0])),
        lambda t: stats.expon.logpdf(np.abs(Y_GROUPS), scale=1.0 / t["lam"]).sum(),
        lambda t: stats.gamma.logpdf(t["lam"], [1.0, 2.0, 3.0]).sum(),
    ),
]
CASE_IDS = [c.name for c in CASES]
MODELS = {c.name: c.build() for c in CASES}


def _point(model, rng):
    """A parameter point near the bulk of the likelihood: a prior draw pulled to the data."""
    draw = model.prior_sample(1, rng=rng)
    theta = {n: v[0] for n, v in draw.items()}
    # a prior draw can sit far in the tails; mix it with a typical value for stable differences
    typical = {
        "p": None,
        "mu": 2.0,
        "lam": 0.8,
        "sigma": 1.5,
        "sigma2": 2.0,
        "intercept": 0.5,
        "coef": np.array([0.8, -1.5, 0.4]),
        "a": 0.6,
        "b": 1.5,
    }
    for name, value in theta.items():
        param = model.parameters[name]
        if param.transform.name == "stickbreaking":
            continue
        t = typical.get(name)
        if t is None:
            theta[name] = 0.5 * value + 0.25
            continue
        t = np.resize(t, np.shape(value))
        theta[name] = 0.8 * np.asarray(t) + 0.2 * value
    return {n: np.asarray(v, dtype=float) for n, v in theta.items()}


def _flatten(model, theta):
    return np.concatenate([np.ravel(theta[n]) for n in model.names])


def _unflatten(model, vec):
    out, i = {}, 0
    for name, param in model.parameters.items():
        out[name] = vec[i : i + param.size].reshape(param.shape)
        i += param.size
    return out


# ------------------------------------------------------------------ values against scipy
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_log_likelihood_prior_and_density_match_scipy(case):
    model = MODELS[case.name]
    rng = np.random.default_rng(1)
    for _ in range(4):
        theta = _point(model, rng)
        ll, lp = case.ref_ll(theta), case.ref_lp(theta)
        np.testing.assert_allclose(model.log_likelihood(**theta), ll, rtol=1e-10, atol=1e-9)
        np.testing.assert_allclose(model.log_prior(**theta), lp, rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(model.log_density(**theta), ll + lp, rtol=1e-10, atol=1e-9)
        assert np.shape(model.log_density(**theta)) == ()


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@given(seed=st.integers(0, 2**32 - 1))
def test_grad_log_density_matches_finite_differences_of_scipy(case, seed):
    model = MODELS[case.name]
    theta = _point(model, np.random.default_rng(seed))
    grads = model.grad_log_density(**theta)
    assert set(grads) == set(model.names)
    vec = _flatten(model, theta)

    def f(v):
        t = _unflatten(model, v)
        return case.ref_ll(t) + case.ref_lp(t)

    h = 1e-6 * np.maximum(1.0, np.abs(vec))
    if any(p.transform.name == "stickbreaking" for p in model.parameters.values()):
        # scipy refuses points off the simplex: compare directional derivatives along it
        p = theta["p"]
        for j in range(p.size - 1):
            v = np.zeros(p.size)
            v[j], v[-1] = 1.0, -1.0
            eps = 1e-4 * p.min()  # small against the smallest probability
            fd = (f(vec + eps * v) - f(vec - eps * v)) / (2 * eps)
            np.testing.assert_allclose(grads["p"] @ v, fd, rtol=2e-6, atol=1e-5)
        return
    fd = np.array(
        [(f(vec + h * e) - f(vec - h * e)) / (2 * h[i]) for i, e in enumerate(np.eye(vec.size))]
    )
    got = _flatten(model, grads)
    # the custom model without a gradient is itself a finite difference: looser
    rtol = 1e-5 if case.name == "custom_finite_differences" else 2e-6
    np.testing.assert_allclose(got, fd, rtol=rtol, atol=1e-5 * np.max(np.abs(fd)) + 1e-6)
    # the prior and likelihood parts add up
    gp, gl = model.grad_log_prior(**theta), model.grad_log_likelihood(**theta)
    for n in model.names:
        np.testing.assert_allclose(gp[n] + gl[n], grads[n], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_batched_evaluation_equals_looped(case):
    model = MODELS[case.name]
    draws = model.prior_sample((3, 4), rng=np.random.default_rng(2))
    for name, param in model.parameters.items():
        assert draws[name].shape == (3, 4, *param.shape)
    ld = model.log_density(**draws)
    ll = model.log_likelihood(**draws)
    lp = model.log_prior(**draws)
    g = model.grad_log_density(**draws)
    assert ld.shape == ll.shape == lp.shape == (3, 4)
    for name, param in model.parameters.items():
        assert g[name].shape == (3, 4, *param.shape)
    for i in range(3):
        for j in range(4):
            t = {n: v[i, j] for n, v in draws.items()}
            np.testing.assert_allclose(ld[i, j], model.log_density(**t), rtol=1e-12)
            np.testing.assert_allclose(ll[i, j], case.ref_ll(t), rtol=1e-10, atol=1e-9)
            np.testing.assert_allclose(lp[i, j], case.ref_lp(t), rtol=1e-10, atol=1e-10)
            gi = model.grad_log_density(**t)
            for n in model.names:
                np.testing.assert_allclose(g[n][i, j], gi[n], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_parameters_broadcast_against_each_other(case):
    """One parameter batched, the others unbatched: same as broadcasting them by hand."""
    model = MODELS[case.name]
    if len(model.names) < 2:
        return
    draws = model.prior_sample(5, rng=np.random.default_rng(3))
    first, *rest = model.names
    mixed = {first: draws[first], **{n: draws[n][0] for n in rest}}
    full = {first: draws[first], **{n: np.broadcast_to(draws[n][0], draws[n].shape) for n in rest}}
    np.testing.assert_allclose(model.log_density(**mixed), model.log_density(**full), rtol=1e-12)
    gm, gf = model.grad_log_density(**mixed), model.grad_log_density(**full)
    for n in model.names:
        assert gm[n].shape == gf[n].shape
        np.testing.assert_allclose(gm[n], gf[n], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_prior_sample_shapes_and_seeding(case):
    model = MODELS[case.name]
    a = model.prior_sample(7, rng=11)
    b = model.prior_sample(7, rng=np.random.default_rng(11))
    assert list(a) == list(model.names)
    for name, param in model.parameters.items():
        assert a[name].shape == (7, *param.shape)
        np.testing.assert_array_equal(a[name], b[name])
        low, high = param.support
        assert np.all((a[name] >= low) & (a[name] <= high))
    assert np.all(np.isfinite(model.log_prior(**a)))
    with pytest.raises(ValueError, match="size"):
        model.prior_sample(-1)
    with pytest.raises(TypeError, match="rng"):
        model.prior_sample(2, rng="seed")


def test_outside_the_support_is_minus_inf_without_calling_the_likelihood():
    calls = []

    def ll(mu):
        calls.append(np.array(mu))
        mu = np.asarray(mu)
        if np.any(mu <= 0):
            return np.full(mu.shape, np.nan)
        return -mu

    m = bg.Model(priors={"mu": stats.gamma(2.0)}, log_likelihood=ll)
    out = m.log_density(mu=np.array([-1.0, 2.0, 0.0, 3.0]))
    assert out[0] == -np.inf and out[2] == -np.inf
    np.testing.assert_allclose(out[[1, 3]], stats.gamma.logpdf([2.0, 3.0], 2.0) - [2.0, 3.0])
    np.testing.assert_array_equal(calls[-1], [2.0, 3.0])
    m2 = MODELS["poisson"]
    out = m2.log_density(mu=np.array([[-1.0, 2.0], [1.0, -3.0]]))
    assert out[0, 0] == -np.inf and out[1, 1] == -np.inf
    np.testing.assert_allclose(out[0, 1], m2.log_density(mu=2.0))
    assert np.all(m2.log_density(mu=np.array([-1.0, -2.0])) == -np.inf)


def test_model_metadata():
    m = MODELS["linear_intercept_sigma"]
    assert m.names == ("coef", "intercept", "sigma")
    assert m.size == 5
    assert m.parameters["coef"].shape == (3,)
    assert m.parameters["coef"].element_names() == ["coef[0]", "coef[1]", "coef[2]"]
    assert m.parameters["sigma"].element_names() == ["sigma"]
    assert m.likelihood == "linear"
    assert m.has_gradient
    assert not MODELS["custom_finite_differences"].has_gradient
    assert MODELS["custom_with_gradient"].has_gradient
    assert MODELS["custom_with_gradient"].likelihood == "custom"
    assert MODELS["normal_nig"].names == ("mu", "sigma2")
    assert MODELS["normal_fixed_sigma"].fixed["sigma"] == 2.0
    assert MODELS["linear_nig"].names == ("coef", "sigma2")
    assert "sigma ~ halfnorm" in repr(m)
    assert "sigma=2.0" in repr(MODELS["normal_fixed_sigma"])
    low, high = MODELS["binomial"].parameters["p"].support
    assert (float(low), float(high)) == (0.0, 1.0)


# ----------------------------------------------------------------- data broadcasting
def test_binomial_two_experiments_share_p():
    m = bg.Binomial(k=[7, 3], n=[10, 5], p=stats.beta(2, 2))
    assert m.n_obs == 2
    p = np.array([0.2, 0.5, 0.9])
    np.testing.assert_allclose(
        m.log_likelihood(p=p), stats.binom.logpmf([7, 3], [10, 5], p[:, None]).sum(-1), rtol=1e-12
    )
    one = bg.Binomial(k=10, n=15, p=stats.beta(2, 2))
    # same kernel in p; only the binomial coefficients differ
    diff = m.log_likelihood(p=p) - one.log_likelihood(p=p)
    np.testing.assert_allclose(diff, diff[0])


@pytest.mark.parametrize(
    ("build", "shared"),
    [
        (lambda y: bg.Normal(y=y, mu=stats.norm(0, 10), sigma=np.array([1.0, 2.0])), "mu"),
        (lambda y: bg.Normal(y=y, mu=np.array([0.0, 1.0]), sigma2=stats.invgamma(2)), "sigma2"),
    ],
)
def test_data_are_not_copied_into_a_parameter_the_groups_share(build, shared):
    """A fixed value per position makes groups; an observation without that axis is refused
    (it would count once per group in the shared parameter), in the constructor and update."""
    model = build(np.array([1.0, 2.0]))
    assert model.n_obs == 1 and model.group_shape == (2,)
    for y in (np.array([3.0]), 3.0, np.array([[3.0], [4.0]])):
        with pytest.raises(ValueError, match=rf"count 2 times in {shared}"):
            model.update(**{model.observed[0]: y})
        with pytest.raises(ValueError, match=rf"count 2 times in {shared}"):
            build(y)
    # one value per position stays allowed and equals the observations written out by hand
    two = model.updated(**{model.observed[0]: np.array([3.0, 4.0])})
    assert two.n_obs == 2


def test_same_data_for_every_group_with_its_own_parameters_is_allowed():
    """Batched priors over shared data (prior sensitivity) see each observation once per group."""
    m = bg.Binomial(k=7, n=10, p=stats.beta([1.0, 2.0, 5.0], [1.0, 2.0, 5.0]))
    np.testing.assert_array_equal(m.stats["successes"], [7.0, 7.0, 7.0])
    post = bg.conjugate(m)
    np.testing.assert_allclose(post.hyper["a"], [8.0, 9.0, 12.0])


@pytest.mark.parametrize("data_shape", ["G", "NG"])
def test_batched_prior_gives_one_parameter_per_group(data_shape):
    G = 3
    a, b = np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 1.0])
    k = np.array([[3, 0, 5], [2, 4, 1]]) if data_shape == "NG" else np.array([3, 0, 5])
    n = 6
    m = bg.Binomial(k=k, n=n, p=stats.beta(a, b))
    assert m.parameters["p"].shape == (G,)
    assert m.n_obs == (2 if data_shape == "NG" else 1)
    p = np.array([[0.2, 0.5, 0.7], [0.9, 0.1, 0.4]])
    kk = np.atleast_2d(k)
    expected_ll = stats.binom.logpmf(kk[None], n, p[:, None, :]).sum(axis=(1, 2))
    np.testing.assert_allclose(m.log_likelihood(p=p), expected_ll, rtol=1e-12)
    np.testing.assert_allclose(m.log_prior(p=p), stats.beta.logpdf(p, a, b).sum(-1), rtol=1e-12)
    # gradient per group: d/dp_g sum_i log Binom(k_ig | n, p_g)
    g = m.grad_log_likelihood(p=p)["p"]
    s, f = kk.sum(0), (n - kk).sum(0)
    np.testing.assert_allclose(g, s / p - f / (1 - p), rtol=1e-12)
    # groups are independent: one model per group gives the same numbers
    for j in range(G):
        mj = bg.Binomial(k=kk[:, j], n=n, p=stats.beta(a[j], b[j]))
        np.testing.assert_allclose(m.stats["successes"][j], mj.stats["successes"], rtol=1e-12)


def test_batched_groups_other_families():
    y = RNG.normal(size=(6, 2)) + np.array([0.0, 5.0])
    m = bg.Normal(y=y, mu=stats.norm([0.0, 1.0], [10.0, 5.0]), sigma=[1.0, 2.0])
    mu = np.array([0.3, 4.0])
    np.testing.assert_allclose(
        m.log_likelihood(mu=mu), stats.norm.logpdf(y, mu, [1.0, 2.0]).sum(), rtol=1e-12
    )
    k = RNG.poisson([1.0, 4.0, 9.0], size=(5, 3))
    m = bg.Poisson(k=k, mu=stats.gamma(np.array([1.0, 2.0, 3.0])))
    mu = np.array([[1.0, 3.0, 8.0]])
    np.testing.assert_allclose(
        m.log_likelihood(mu=mu), stats.poisson.logpmf(k, mu).sum(), rtol=1e-12
    )
    np.testing.assert_allclose(m.grad_log_likelihood(mu=mu)["mu"], k.sum(0) / mu - 5, rtol=1e-12)


def test_fixed_parameter_shapes_and_shared_scalar_prior():
    # a scalar prior for mu with a per-group fixed sigma: mu is shared by both groups
    y = RNG.normal(size=(4, 2))
    m = bg.Normal(y=y, mu=stats.norm(0, 1), sigma=[1.0, 3.0])
    assert m.parameters["mu"].shape == ()
    mu = np.array([0.1, -0.4])
    np.testing.assert_allclose(
        m.log_likelihood(mu=mu), stats.norm.logpdf(y, mu[:, None, None], [1.0, 3.0]).sum((1, 2))
    )
    g = m.grad_log_likelihood(mu=mu)["mu"]
    assert g.shape == (2,)
    np.testing.assert_allclose(g, ((y - mu[:, None, None]) / np.array([1.0, 9.0])).sum((1, 2)))


def test_multinomial_single_row_and_categorical_counts():
    m = bg.Multinomial(x=[3, 1, 0], p=stats.dirichlet([1, 1, 1]))
    assert m.n_obs == 1
    p = np.array([0.5, 0.3, 0.2])
    np.testing.assert_allclose(m.log_likelihood(p=p), stats.multinomial.logpmf([3, 1, 0], 4, p))
    c = bg.Categorical(y=[0, 2, 2, 1], p=stats.dirichlet([1, 1, 1]))
    np.testing.assert_array_equal(c.stats["counts"], [1.0, 1.0, 2.0])
    np.testing.assert_allclose(c.log_likelihood(p=p), np.log(p[[0, 2, 2, 1]]).sum())


# ----------------------------------------------------------------------------- update
def _split(n: int, cuts: list[int]) -> list[slice]:
    edges = [0, *sorted({c % (n + 1) for c in cuts}), n]
    return [slice(a, b) for a, b in itertools.pairwise(edges) if b > a]


UPDATE_CASES = {
    "bernoulli": (lambda d: bg.Bernoulli(y=d["y"], p=stats.beta(2, 2)), {"y": BIN_K > 3}),
    "binomial": (
        lambda d: bg.Binomial(k=d["k"], n=d["n"], p=stats.beta(2, 2)),
        {"k": BIN_K, "n": BIN_N},
    ),
    "geometric": (lambda d: bg.Geometric(k=d["k"], p=stats.beta(2, 2)), {"k": BIN_K + 1}),
    "negative_binomial": (
        lambda d: bg.NegativeBinomial(k=d["k"], r=2.5, p=stats.beta(2, 2)),
        {"k": K_POIS},
    ),
    "poisson": (lambda d: bg.Poisson(k=d["k"], mu=stats.gamma(2)), {"k": K_POIS}),
    "poisson_exposure": (
        lambda d: bg.Poisson(k=d["k"], exposure=d["exposure"], mu=stats.gamma(2)),
        {"k": K_POIS, "exposure": EXPOSURE},
    ),
    "exponential": (lambda d: bg.Exponential(y=d["y"], lam=stats.gamma(2)), {"y": EXPOSURE}),
    "normal": (
        lambda d: bg.Normal(y=d["y"], mu=stats.norm(0, 10), sigma=stats.halfnorm(scale=5)),
        {"y": 1e6 + RNG.normal(size=40)},
    ),
    "normal_nig": (
        lambda d: bg.Normal(y=d["y"], prior=stats.normal_inverse_gamma(0, 1, 2, 2)),
        {"y": Y_NORMAL},
    ),
    "multinomial": (
        lambda d: bg.Multinomial(x=d["x"], p=stats.dirichlet([1, 2, 3])),
        {"x": MULTI_X},
    ),
    "categorical": (
        lambda d: bg.Categorical(y=d["y"], p=stats.dirichlet([1, 1, 1, 1])),
        {"y": BIN_K % 4},
    ),
    "binomial_groups": (
        lambda d: bg.Binomial(k=d["k"], n=d["n"], p=stats.beta(np.ones(3), np.ones(3))),
        {"k": RNG.binomial(12, [0.2, 0.5, 0.8], size=(9, 3)), "n": np.full((9, 3), 12)},
    ),
    "linear": (
        lambda d: bg.LinearRegression(
            X=d["X"],
            y=d["y"],
            coef=stats.norm(0, 2),
            intercept=stats.norm(0, 5),
            sigma=stats.halfnorm(scale=3),
        ),
        {"X": X3, "y": Y_LIN},
    ),
    "linear_nig_fixed_intercept": (
        lambda d: bg.LinearRegression(X=d["X"], y=d["y"], prior=NIG_PRIOR, intercept=0.7),
        {"X": X3, "y": Y_LIN},
    ),
    "logistic": (
        lambda d: bg.LogisticRegression(
            X=d["X"], y=d["y"], coef=stats.norm(0, 1), intercept=stats.norm(0, 1)
        ),
        {"X": X_LOGIT, "y": Y_LOGIT},
    ),
    "poisson_regression": (
        lambda d: bg.PoissonRegression(
            X=d["X"], y=d["y"], coef=stats.norm(0, 1), offset=d["offset"]
        ),
        {"X": X_POIS, "y": Y_POIS, "offset": OFFSET},
    ),
}


@pytest.mark.parametrize("name", list(UPDATE_CASES))
@given(cuts=st.lists(st.integers(0, 60), min_size=1, max_size=4))
def test_update_equals_batch(name, cuts):
    build, data = UPDATE_CASES[name]
    n = len(next(iter(data.values())))
    pieces = _split(n, cuts)
    batch = build(data)
    model = build({k: v[pieces[0]] for k, v in data.items()})
    for piece in pieces[1:]:
        model.update(**{k: v[piece] for k, v in data.items()})
    assert model.n_obs == batch.n_obs
    assert model is not batch
    theta = batch.prior_sample(4, rng=np.random.default_rng(5))
    if name == "normal":
        theta["mu"] = 1e6 + np.linspace(-1.0, 1.0, 4)
    np.testing.assert_allclose(
        model.log_likelihood(**theta), batch.log_likelihood(**theta), rtol=1e-9
    )
    gm, gb = model.grad_log_likelihood(**theta), batch.grad_log_likelihood(**theta)
    for k in gb:
        np.testing.assert_allclose(gm[k], gb[k], rtol=1e-7, atol=1e-6 * np.max(np.abs(gb[k])))
    stats_b = getattr(batch, "stats", None)
    if stats_b is not None:
        for key, value in stats_b.items():
            tol = 1e-9 if key not in ("coef_ols",) else 1e-7
            np.testing.assert_allclose(model.stats[key], value, rtol=tol, atol=1e-8)
    if batch.data is not None and model.data is not None:
        for key in batch.data:
            np.testing.assert_array_equal(model.data[key], batch.data[key])


def test_normal_chan_merge_is_exact_far_from_zero():
    y = 1e6 + np.random.default_rng(9).normal(size=1000)
    m = bg.Normal(y=y[:1], mu=stats.norm(0, 1e7), sigma=1.0)
    for lo in range(1, 1000, 37):
        m.update(y=y[lo : lo + 37])
    assert m.n_obs == 1000
    mean = np.mean(y)
    m2 = np.sum((y - mean) ** 2)
    np.testing.assert_allclose(m.stats["mean"], mean, rtol=1e-15)
    np.testing.assert_allclose(m.stats["m2"], m2, rtol=1e-10)
    # the naive sum of squares would have lost every digit here
    np.testing.assert_allclose(m.stats["m2"], 999 * np.var(y, ddof=1), rtol=1e-10)


def test_update_does_not_change_the_original():
    m = bg.Binomial(k=7, n=10, p=stats.beta(2, 2))
    m2 = m.updated(k=3, n=5)
    assert float(m.stats["successes"]) == 7.0 and float(m2.stats["successes"]) == 10.0
    assert m.n_obs == 1 and m2.n_obs == 2
    lr = MODELS["linear_intercept_sigma"]
    n0 = lr.n_obs
    lr.updated(X=X3[:5], y=Y_LIN[:5])
    assert lr.n_obs == n0


def test_update_errors():
    m = bg.Binomial(k=7, n=10, p=stats.beta(2, 2))
    with pytest.raises(TypeError, match="unknown data"):
        m.update(k=3, n=5, y=1)
    with pytest.raises(TypeError, match=r"missing data \['n'\]"):
        m.update(k=3)
    with pytest.raises(ValueError, match="k must not exceed n"):
        m.update(k=6, n=5)
    with pytest.raises(TypeError, match="custom Model"):
        MODELS["custom_with_gradient"].update(y=[1.0])
    with pytest.raises(ValueError, match="3 columns"):
        MODELS["linear_intercept_sigma"].update(X=np.ones((2, 2)), y=[1.0, 2.0])
    with pytest.raises(TypeError, match="X and y"):
        MODELS["linear_intercept_sigma"].update(X=np.ones((2, 3)))
    with pytest.raises(TypeError, match="offset"):
        MODELS["poisson_regression"].update(X=np.ones((2, 2)), y=[1, 2])


# ------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("build", "exc", "match"),
    [
        (lambda: bg.Binomial(k=[3, -1], n=5, p=stats.beta(1, 1)), ValueError, r"\bk\b.*>= 0"),
        (lambda: bg.Binomial(k=[3, 1.5], n=5, p=stats.beta(1, 1)), ValueError, r"\bk\b.*whole"),
        (lambda: bg.Binomial(k=[3, 6], n=5, p=stats.beta(1, 1)), ValueError, r"\bk\b.*exceed"),
        (lambda: bg.Binomial(k=[3, np.nan], n=5, p=stats.beta(1, 1)), ValueError, r"\bk\b.*NaN"),
        (lambda: bg.Binomial(k=[3, np.inf], n=5, p=stats.beta(1, 1)), ValueError, r"\bk\b.*inf"),
        (lambda: bg.Binomial(k=3, n=-5, p=stats.beta(1, 1)), ValueError, r"\bn\b"),
        (lambda: bg.Binomial(k=3, n=5.5, p=stats.beta(1, 1)), ValueError, r"\bn\b.*whole"),
        (lambda: bg.Binomial(k="3", n=5, p=stats.beta(1, 1)), TypeError, r"\bk\b"),
        (lambda: bg.Binomial(k=[3, 4, 1], n=[5, 5], p=stats.beta(1, 1)), ValueError, "k and n"),
        (lambda: bg.Bernoulli(y=[0, 1, 2], p=stats.beta(1, 1)), ValueError, r"\by\b.*<= 1"),
        (lambda: bg.Bernoulli(y=[0, 0.5], p=stats.beta(1, 1)), ValueError, r"\by\b.*whole"),
        (lambda: bg.Bernoulli(y=["a"], p=stats.beta(1, 1)), TypeError, r"\by\b"),
        (lambda: bg.Geometric(k=[0, 2], p=stats.beta(1, 1)), ValueError, r"\bk\b.*>= 1"),
        (lambda: bg.NegativeBinomial(k=[1], r=0, p=stats.beta(1, 1)), ValueError, r"\br\b"),
        (
            lambda: bg.NegativeBinomial(k=[1, 2, 3], r=[1, 2], p=stats.beta(1, 1)),
            ValueError,
            r"\br\b",
        ),
        (lambda: bg.Poisson(k=[-1], mu=stats.gamma(1)), ValueError, r"\bk\b"),
        (
            lambda: bg.Poisson(k=[1, 2], exposure=[1.0, 0.0], mu=stats.gamma(1)),
            ValueError,
            "exposure",
        ),
        (
            lambda: bg.Poisson(k=[1, 2], exposure=[1.0, 2.0, 3.0], mu=stats.gamma(1)),
            ValueError,
            "shape",
        ),
        (lambda: bg.Exponential(y=[1.0, -0.1], lam=stats.gamma(1)), ValueError, r"\by\b"),
        (lambda: bg.Normal(y=[1.0, np.nan], mu=stats.norm(), sigma=1.0), ValueError, r"\by\b"),
        (lambda: bg.Normal(y=[1.0, np.inf], mu=stats.norm(), sigma=1.0), ValueError, r"\by\b"),
        (
            lambda: bg.Multinomial(x=[[1, 2], [0, 1]], p=stats.dirichlet([1, 1, 1])),
            ValueError,
            r"\bx\b.*3 categories",
        ),
        (
            lambda: bg.Multinomial(x=[[1, -2, 0]], p=stats.dirichlet([1, 1, 1])),
            ValueError,
            r"\bx\b",
        ),
        (lambda: bg.Categorical(y=[0, 3], p=stats.dirichlet([1, 1, 1])), ValueError, r"\by\b"),
        (lambda: bg.Categorical(y=[0, -1], p=stats.dirichlet([1, 1, 1])), ValueError, r"\by\b"),
        (
            lambda: bg.Binomial(k=[[1, 2, 3]], n=5, p=stats.beta([1, 1], [1, 1])),
            ValueError,
            "shape",
        ),
        # invalid priors and supports
        (lambda: bg.Binomial(k=3, n=5, p=stats.beta(-1, 2)), ValueError, r"'p'.*\ba\b"),
        (lambda: bg.Binomial(k=3, n=5, p=stats.norm(0.5, 0.1)), ValueError, r"\bp\b.*\[0, 1\]"),
        (lambda: bg.Binomial(k=3, n=5, p=stats.uniform(0, 2)), ValueError, r"\bp\b"),
        (lambda: bg.Poisson(k=3, mu=stats.norm(3, 1)), ValueError, r"\bmu\b.*\(0, inf\)"),
        (
            lambda: bg.Normal(y=[1.0], mu=stats.norm(), sigma=stats.norm(1, 1)),
            ValueError,
            r"\bsigma\b",
        ),
        (
            lambda: bg.Binomial(k=3, n=5, p=stats.dirichlet([1, 1])),
            ValueError,
            r"\bp\b.*not a probability vector",
        ),
        (lambda: bg.Multinomial(x=[[1, 2]], p=stats.beta(1, 1)), ValueError, r"\bp\b.*dirichlet"),
        (lambda: bg.Binomial(k=3, n=5, p=stats.poisson(1)), TypeError, r"\bp\b.*discrete"),
        (lambda: bg.Binomial(k=3, n=5, p="beta"), TypeError, r"\bp\b"),
        # fixed values out of range
        (lambda: bg.Binomial(k=3, n=5, p=1.5), ValueError, r"fixed p"),
        (lambda: bg.Binomial(k=3, n=5, p=-0.1), ValueError, r"fixed p"),
        (lambda: bg.Normal(y=[1.0], mu=stats.norm(), sigma=-1.0), ValueError, r"fixed sigma"),
        (lambda: bg.Normal(y=[1.0], mu=stats.norm(), sigma=0.0), ValueError, r"fixed sigma"),
        (lambda: bg.Normal(y=[1.0], mu=np.nan, sigma=stats.halfnorm()), ValueError, r"fixed mu"),
        (lambda: bg.Normal(y=[1.0], mu=stats.norm(), sigma2=np.inf), ValueError, "sigma2"),
        (lambda: bg.Poisson(k=3, mu=0.0), ValueError, r"fixed mu must lie in \(0, inf\)"),
        (lambda: bg.Poisson(k=3, mu=2.0), ValueError, "model has no free parameter"),
        # argument combinations
        (lambda: bg.Normal(y=[1.0], mu=stats.norm()), TypeError, "sigma"),
        (lambda: bg.Normal(y=[1.0], mu=stats.norm(), sigma=1.0, sigma2=1.0), TypeError, "sigma"),
        (lambda: bg.Normal(y=[1.0], sigma=1.0), TypeError, r"\bmu\b"),
        (
            lambda: bg.Normal(
                y=[1.0], mu=stats.norm(), prior=stats.normal_inverse_gamma(0, 1, 1, 1)
            ),
            TypeError,
            "prior",
        ),
        (
            lambda: bg.Normal(y=[1.0], prior=stats.norm()),
            ValueError,
            r"one parameter.*\(mu, sigma2\)",
        ),
        # regression designs
        (
            lambda: bg.LinearRegression(X=X3, y=Y_LIN[:-1], coef=stats.norm(), sigma=1.0),
            ValueError,
            r"\by\b.*one value per row",
        ),
        (
            lambda: bg.LinearRegression(
                X=np.ones((2, 2, 2)), y=[1.0, 2.0], coef=stats.norm(), sigma=1.0
            ),
            ValueError,
            r"\bX\b.*2-D",
        ),
        (
            lambda: bg.LinearRegression(
                X=[[1.0], [np.nan]], y=[1.0, 2.0], coef=stats.norm(), sigma=1.0
            ),
            ValueError,
            r"\bX\b",
        ),
        (
            lambda: bg.LinearRegression(X=X3, y=Y_LIN, coef=stats.norm(np.zeros(2), 1), sigma=1.0),
            ValueError,
            r"coef",
        ),
        (
            lambda: bg.LinearRegression(
                X=X3, y=Y_LIN, coef=stats.multivariate_normal(np.zeros(2)), sigma=1.0
            ),
            ValueError,
            r"coef.*3 columns",
        ),
        (
            lambda: bg.LinearRegression(X=X3, y=Y_LIN, prior=NormalInverseGamma(np.zeros(2))),
            ValueError,
            r"coef.*3 columns",
        ),
        (
            lambda: bg.LinearRegression(X=X3, y=Y_LIN, prior=NIG_PRIOR, intercept=stats.norm()),
            TypeError,
            "intercept",
        ),
        (lambda: bg.LinearRegression(X=X3, y=Y_LIN, coef=stats.norm()), TypeError, "sigma"),
        (
            lambda: bg.LogisticRegression(X=X_LOGIT, y=Y_LOGIT + 1, coef=stats.norm()),
            ValueError,
            r"\by\b",
        ),
        (
            lambda: bg.PoissonRegression(X=X_POIS, y=Y_POIS - 5, coef=stats.norm()),
            ValueError,
            r"\by\b",
        ),
        (
            lambda: bg.PoissonRegression(X=X_POIS, y=Y_POIS, coef=stats.norm(), offset=[np.nan]),
            ValueError,
            "offset",
        ),
        # custom models
        (lambda: bg.Model(priors={}, log_likelihood=_custom_ll), TypeError, "priors"),
        (
            lambda: bg.Model(priors={"a": stats.norm()}, log_likelihood=3.0),
            TypeError,
            "log_likelihood",
        ),
        (
            lambda: bg.Model(
                priors={"a": stats.norm()}, log_likelihood=_custom_ll, grad_log_likelihood=1
            ),
            TypeError,
            "grad_log_likelihood",
        ),
        (
            lambda: bg.Model(priors={"a b": stats.norm()}, log_likelihood=_custom_ll),
            TypeError,
            "identifiers",
        ),
        (
            lambda: bg.Model(
                priors={"a": stats.norm()}, log_likelihood=_custom_ll, shapes={"z": (2,)}
            ),
            ValueError,
            "z",
        ),
    ],
)
def test_bad_input_is_refused_naming_the_argument(build, exc, match):
    with pytest.raises(exc, match=match):
        build()


@pytest.mark.parametrize(
    ("theta", "exc", "match"),
    [
        ({}, TypeError, r"missing parameter\(s\) \['mu', 'sigma'\]"),
        ({"mu": 0.0}, TypeError, r"missing parameter\(s\) \['sigma'\]"),
        ({"mu": 0.0, "sigma": 1.0, "tau": 1.0}, TypeError, r"unknown parameter\(s\) \['tau'\]"),
        ({"mu": [0.0, 1.0], "sigma": [1.0, 2.0, 3.0]}, ValueError, "do not broadcast"),
    ],
)
def test_log_density_argument_errors(theta, exc, match):
    m = MODELS["normal_sigma"]
    for fn in (m.log_density, m.grad_log_density, m.log_prior, m.log_likelihood):
        with pytest.raises(exc, match=match):
            fn(**theta)


def test_fixed_parameters_are_not_arguments():
    m = MODELS["normal_fixed_sigma"]
    with pytest.raises(TypeError, match=r"\['sigma'\] \(fixed\)"):
        m.log_density(mu=0.0, sigma=1.0)


def test_wrong_trailing_shapes():
    m = MODELS["linear_intercept_sigma"]
    with pytest.raises(ValueError, match=r"coef must have trailing shape \(3,\)"):
        m.log_density(coef=np.zeros(2), intercept=0.0, sigma=1.0)
    with pytest.raises(ValueError, match=r"coef must have trailing shape"):
        m.log_density(coef=0.0, intercept=0.0, sigma=1.0)
    with pytest.raises(ValueError, match=r"\bp must have trailing shape \(4,\)"):
        MODELS["categorical"].log_density(p=np.full(3, 1 / 3))


def test_custom_log_likelihood_returning_nan_or_the_wrong_shape():
    nan_model = bg.Model(
        priors={"a": stats.norm()}, log_likelihood=lambda a: np.full(np.shape(a), np.nan)
    )
    with pytest.raises(ValueError, match="log_likelihood returned NaN"):
        nan_model.log_density(a=0.5)
    with pytest.raises(ValueError, match="log_likelihood returned NaN"):
        nan_model.log_likelihood(a=np.zeros(3))
    shape_model = bg.Model(
        priors={"a": stats.norm()}, log_likelihood=lambda a: np.zeros((*np.shape(a), 2))
    )
    with pytest.raises(ValueError, match=r"log_likelihood returned shape \(3, 2\)"):
        shape_model.log_density(a=np.zeros(3))
    with pytest.raises(ValueError, match=r"log_likelihood returned shape \(2,\)"):
        shape_model.log_likelihood(a=0.0)
    bad_grad = bg.Model(
        priors={"a": stats.norm(), "b": stats.norm()},
        log_likelihood=_custom_ll,
        grad_log_likelihood=lambda a, b: {"a": 0.0 * a},
    )
    with pytest.raises(ValueError, match="grad_log_likelihood must return a dict"):
        bad_grad.grad_log_density(a=0.0, b=0.0)


def test_custom_model_with_joint_prior_fixed_values_and_shapes():
    y = Y_NORMAL

    def ll(mu, s2, shift):
        return stats.norm.logpdf(
            y, np.asarray(mu)[..., None] + shift, np.sqrt(np.asarray(s2))[..., None]
        ).sum(-1)

    m = bg.Model(
        priors={("mu", "s2"): stats.normal_inverse_gamma(0, 1, 2, 2), "shift": 0.5},
        log_likelihood=ll,
    )
    assert m.names == ("mu", "s2")
    assert not m.has_gradient
    theta = {"mu": np.array([0.2, 1.0]), "s2": np.array([2.0, 3.0])}
    expected = ll(theta["mu"], theta["s2"], 0.5) + stats.normal_inverse_gamma(0, 1, 2, 2).logpdf(
        theta["mu"], theta["s2"]
    )
    np.testing.assert_allclose(m.log_density(**theta), expected, rtol=1e-12)

    def wll(w):
        return -0.5 * np.sum((np.asarray(w) - [1.0, 2.0, 3.0]) ** 2, axis=-1)

    mw = bg.Model(priors={"w": stats.norm(0, 1)}, log_likelihood=wll, shapes={"w": (3,)})
    assert mw.parameters["w"].shape == (3,)
    w = np.array([[0.5, 0.1, -1.0]])
    g = mw.grad_log_density(w=w)["w"]
    np.testing.assert_allclose(g, -w + ([1.0, 2.0, 3.0] - w), rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_results_are_writeable_float_arrays(case):
    model = MODELS[case.name]
    one = {n: v[0] for n, v in model.prior_sample(1, rng=0).items()}
    many = model.prior_sample(3, rng=0)
    for fn in (model.log_density, model.log_prior, model.log_likelihood):
        for theta, shape in ((one, ()), (many, (3,))):
            out = fn(**theta)
            assert isinstance(out, np.ndarray) and out.shape == shape and out.dtype == float
    for fn in (model.grad_log_density, model.grad_log_prior, model.grad_log_likelihood):
        for theta in (one, many):
            for name, g in fn(**theta).items():
                assert isinstance(g, np.ndarray) and g.flags.writeable
                assert g.shape == np.shape(theta[name])


def test_negative_binomial_with_one_r_per_observation():
    k, r = np.array([4, 6, 0, 2]), np.array([3.0, 5.0, 1.5, 2.0])
    m = bg.NegativeBinomial(k=k, r=r, p=stats.beta(1, 1))
    assert float(m.stats["successes"]) == r.sum()
    p = np.array([0.2, 0.7])
    np.testing.assert_allclose(
        m.log_likelihood(p=p), stats.nbinom.logpmf(k, r, p[:, None]).sum(-1), rtol=1e-12
    )
    # one r per column of k with a shared p: every count with its column's r
    shared = bg.NegativeBinomial(k=K_GROUPS, r=R_GROUPS, p=stats.beta(1, 1))
    np.testing.assert_allclose(
        shared.log_likelihood(p=p),
        stats.nbinom.logpmf(K_GROUPS, R_GROUPS, p[:, None, None]).sum(axis=(1, 2)),
        rtol=1e-12,
    )
    assert shared.n_obs == K_GROUPS.size
    np.testing.assert_array_equal(shared.r, R_GROUPS)


def test_negative_binomial_update_takes_the_r_of_new_observations():
    k1, r1, k2, r2 = np.array([4, 6]), 3.0, np.array([2, 0, 5]), np.array([5.0, 1.5, 3.0])
    m = bg.NegativeBinomial(k=k1, r=r1, p=stats.beta(2, 2))
    batch = bg.NegativeBinomial(
        k=np.concatenate([k1, k2]), r=np.concatenate([[r1, r1], r2]), p=stats.beta(2, 2)
    )
    seq = m.updated(k=k2, r=r2)
    for key, value in batch.stats.items():
        np.testing.assert_allclose(seq.stats[key], value, rtol=1e-14)
    assert seq.r is None  # r now varies between observations
    with pytest.raises(TypeError, match="needs r="):
        seq.update(k=[1])
    with pytest.raises(TypeError, match="pass r="):
        bg.conjugate(seq).predictive()
    assert bg.conjugate(seq).predictive(r=2.0).mean() == pytest.approx(
        2.0 * (2 + batch.stats["failures"]) / (2 + batch.stats["successes"] - 1)
    )
    # the model's one r is taken when none is given, and kept when the same one is given
    same = m.updated(k=k2)
    assert same.r == r1 and float(same.stats["successes"]) == 5 * r1
    assert m.updated(k=k2, r=r1).r == r1
    with pytest.raises(ValueError, match=r"\br\b"):
        m.update(k=k2, r=[1.0, -2.0, 1.0])
    # PyMC gets each kept observation with its own r
    logp = bg.to_pymc(seq).compile_logp(jacobian=False)
    p = 0.42
    expected = (
        stats.beta(2, 2).logpdf(p)
        + stats.nbinom.logpmf(np.concatenate([k1, k2]), np.concatenate([[r1, r1], r2]), p).sum()
    )
    np.testing.assert_allclose(logp({"p_logodds__": np.log(p / (1 - p))}), expected, rtol=1e-12)


def test_model_from_pymc_is_the_design_spelling():
    """``bg.Model.from_pymc`` is ``bayesgd.pymc.model_from_pymc`` (tested in test_pymc)."""
    import bayesgd.pymc

    assert bg.Model.from_pymc is bayesgd.pymc.model_from_pymc


@pytest.mark.parametrize(
    "case", [c for c in CASES if len(MODELS[c.name].names) >= 2], ids=lambda c: c.name
)
def test_grid_style_outer_broadcasting_equals_looped(case):
    """First parameter along axis 0, second along axis 1, the rest unbatched: a (4, 3) grid."""
    model = MODELS[case.name]
    draws = model.prior_sample(4, rng=np.random.default_rng(8))
    names = model.names
    theta = {}
    for i, name in enumerate(names):
        shape = model.parameters[name].shape
        if i == 0:
            theta[name] = draws[name].reshape((4, 1, *shape))
        elif i == 1:
            theta[name] = draws[name][:3].reshape((1, 3, *shape))
        else:
            theta[name] = draws[name][0]
    ld, g = model.log_density(**theta), model.grad_log_density(**theta)
    assert ld.shape == (4, 3)
    for a in range(4):
        for b in range(3):
            point = {
                n: theta[n][a, 0] if i == 0 else theta[n][0, b] if i == 1 else theta[n]
                for i, n in enumerate(names)
            }
            np.testing.assert_allclose(ld[a, b], model.log_density(**point), rtol=1e-12)
            gp = model.grad_log_density(**point)
            for n in names:
                np.testing.assert_allclose(g[n][a, b], gp[n], rtol=1e-9, atol=1e-12)


def test_finite_difference_gradient_stays_inside_the_support():
    def ll(p):
        p = np.asarray(p)
        return 3 * np.log(p) + 5 * np.log1p(-p)

    m = bg.Model(priors={"p": stats.beta(1, 1)}, log_likelihood=ll)
    p = np.array([1e-9, 1e-7, 0.3, 1 - 1e-7])
    np.testing.assert_allclose(m.grad_log_likelihood(p=p)["p"], 3 / p - 5 / (1 - p), rtol=1e-6)
    with pytest.raises(ValueError, match=r"finite-difference gradient with respect to p is NaN"):
        with np.errstate(all="ignore"):
            m.grad_log_likelihood(p=0.0)


def test_custom_gradient_with_wrong_keys_or_shape_names_grad_log_likelihood():
    import re

    y = np.array([0.3, -0.2])

    def loglik(mu):
        return stats.norm.logpdf(y, np.asarray(mu)[..., None]).sum(axis=-1)

    wrong_key = bg.Model(
        priors={"mu": stats.norm(0, 1)},
        log_likelihood=loglik,
        grad_log_likelihood=lambda mu: {"m": np.sum(y - np.asarray(mu)[..., None], axis=-1)},
    )
    with pytest.raises(ValueError, match=re.escape("grad_log_likelihood must return a dict")):
        wrong_key.grad_log_likelihood(mu=0.1)
    wrong_shape = bg.Model(
        priors={"mu": stats.norm(0, 1)},
        log_likelihood=loglik,
        grad_log_likelihood=lambda mu: {"mu": np.ones(3)},
    )
    with pytest.raises(ValueError, match="grad_log_likelihood returned shape"):
        wrong_shape.grad_log_likelihood(mu=0.1)


# ------------------------------------------------------------ regressions: one rule for X
_ONE_FEATURE_BUILDERS = {
    "linear": lambda X, y, **kw: bg.LinearRegression(
        X=X, y=y, coef=stats.norm(0, 2), intercept=stats.norm(0, 3), sigma=0.7, **kw
    ),
    "logistic": lambda X, y, **kw: bg.LogisticRegression(
        X=X, y=(np.asarray(y) > 0).astype(int), coef=stats.norm(0, 2), **kw
    ),
    "poisson": lambda X, y, **kw: bg.PoissonRegression(
        X=X, y=np.abs(np.round(np.asarray(y))).astype(int), coef=stats.norm(0, 1), **kw
    ),
}


def _one_feature_loglik(kind: str, x: np.ndarray, y: np.ndarray, b: float, a: float) -> float:
    """The log likelihood of a one-feature regression written with scipy.stats by hand."""
    eta = b * x + (a if kind == "linear" else 0.0)
    if kind == "linear":
        return float(stats.norm.logpdf(y, eta, 0.7).sum())
    if kind == "logistic":
        return float(stats.bernoulli.logpmf((y > 0).astype(int), 1 / (1 + np.exp(-eta))).sum())
    return float(stats.poisson.logpmf(np.abs(np.round(y)).astype(int), np.exp(eta)).sum())


@pytest.mark.parametrize("kind", sorted(_ONE_FEATURE_BUILDERS))
def test_one_dimensional_X_is_the_single_feature_in_constructor_and_update(kind):
    build = _ONE_FEATURE_BUILDERS[kind]
    x, y = X3[:, 0], Y_LIN
    theta = {"coef": np.array([0.4])} | ({"intercept": 0.3} if kind == "linear" else {})
    flat, column = build(x, y), build(x[:, None], y)
    assert flat.n_features == column.n_features == 1
    truth = _one_feature_loglik(kind, x, y, 0.4, 0.3)
    assert float(flat.log_likelihood(**theta)) == pytest.approx(truth, rel=1e-12)
    assert float(column.log_likelihood(**theta)) == pytest.approx(truth, rel=1e-12)
    # update with a 1-D X of the same feature: the rows are appended, as a batch fit would
    head = build(x[:25], y[:25]).updated(X=x[25:], y=build(x, y).data["y"][25:])
    assert head.n_obs == 40
    assert float(head.log_likelihood(**theta)) == pytest.approx(truth, rel=1e-12)


@pytest.mark.parametrize("kind", sorted(_ONE_FEATURE_BUILDERS))
def test_one_dimensional_X_is_refused_with_more_features(kind):
    build = _ONE_FEATURE_BUILDERS[kind]
    m = build(X3[:, :2], Y_LIN)
    y_one = m.data["y"][:1]
    one_row = re.escape("X must have shape (m, 2), a 2-D array with 2 columns, got a 1-D array")
    with pytest.raises(ValueError, match=one_row) as info:
        m.update(X=[1.0, 4.0], y=y_one)
    assert "[[x1, x2]]" in str(info.value)  # the message says how to give one row
    with pytest.raises(ValueError, match=re.escape("X must have shape (m, 2)")):
        m.update(X=np.ones((1, 3)), y=y_one)
    with pytest.raises(ValueError, match=re.escape("X must have shape (m, 2)")):
        m.update(X=np.ones((1, 2, 1)), y=y_one)
    with pytest.raises(ValueError, match=re.escape("X must have shape (m, 2)")):
        m.update(X=1.0, y=y_one)
    with pytest.raises(ValueError, match=r"\bX\b must contain only finite"):
        m.update(X=[[np.nan, 1.0]], y=y_one)
    with pytest.raises(TypeError, match=r"\bX\b must be numeric"):
        m.update(X=[["a", "b"]], y=y_one)
    with pytest.raises(ValueError, match=r"y must be a vector with one value per row of X \(1\)"):
        m.update(X=[[1.0, 4.0]], y=np.concatenate([y_one, y_one]))
    # the accepted spelling of one row gives exactly one more observation
    assert m.updated(X=[[1.0, 4.0]], y=y_one).n_obs == m.n_obs + 1


@pytest.mark.parametrize("bad", [3.0, np.ones((4, 2, 1))])
def test_constructor_X_must_be_a_column_or_a_matrix(bad):
    with pytest.raises(ValueError, match=re.escape("X must be a 2-D array of shape (n, d)")):
        bg.LinearRegression(X=bad, y=np.ones(4), coef=stats.norm(), sigma=1.0)
    with pytest.raises(ValueError, match=re.escape("X must be a 2-D array of shape (n, d)")):
        bg.PoissonRegression(X=bad, y=np.ones(4, dtype=int), coef=stats.norm())


def test_poisson_regression_offset_shape_is_checked_in_constructor_and_update():
    X = X_POIS[:5]
    y = Y_POIS[:5]
    msg = re.escape("offset must be a scalar or have one value per row of X (5), got shape (3,)")
    with pytest.raises(ValueError, match=msg):
        bg.PoissonRegression(X=X, y=y, coef=stats.norm(), offset=np.zeros(3))
    with pytest.raises(ValueError, match=r"offset must be a scalar .* got shape \(5, 1\)"):
        bg.PoissonRegression(X=X, y=y, coef=stats.norm(), offset=np.zeros((5, 1)))
    m = bg.PoissonRegression(X=X, y=y, coef=stats.norm(), offset=0.5)  # a scalar is shared
    np.testing.assert_array_equal(m.data["offset"], np.full(5, 0.5))
    assert m.has_offset
    assert not bg.PoissonRegression(X=X, y=y, coef=stats.norm()).has_offset
    with pytest.raises(ValueError, match=re.escape("one value per row of X (2), got shape (3,)")):
        m.update(X=X_POIS[5:7], y=Y_POIS[5:7], offset=np.zeros(3))
    with pytest.raises(ValueError, match=r"\boffset\b must contain only finite"):
        m.update(X=X_POIS[5:7], y=Y_POIS[5:7], offset=[0.0, np.inf])
    grown = m.updated(X=X_POIS[5:7], y=Y_POIS[5:7], offset=-0.25)
    np.testing.assert_array_equal(grown.data["offset"], [0.5] * 5 + [-0.25] * 2)
    theta = {"coef": np.array([0.3, -0.6])}
    eta = X_POIS[:7] @ theta["coef"] + grown.data["offset"]
    truth = stats.poisson.logpmf(Y_POIS[:7], np.exp(eta)).sum()
    assert float(grown.log_likelihood(**theta)) == pytest.approx(truth, rel=1e-12)


@pytest.mark.filterwarnings("ignore:the model has no grad_log_likelihood")
def test_custom_likelihood_that_sums_over_the_batch_is_refused_everywhere():
    """A scalar for a batch of points made a flat loss: MAP at the prior mode, 'converged'."""
    summed = bg.Model(
        priors={"p": stats.beta(2, 2)}, log_likelihood=lambda p: stats.binom.logpmf(7, 10, p).sum()
    )
    assert float(summed.log_likelihood(p=0.3)) == pytest.approx(stats.binom.logpmf(7, 10, 0.3))
    for run in (
        lambda: summed.log_likelihood(p=np.array([0.3, 0.5])),
        lambda: summed.grad_log_likelihood(p=0.3),  # finite differences batch the points
        lambda: bg.map_estimate(summed),
        lambda: bg.laplace(summed),
    ):
        with pytest.raises(ValueError, match=r"log_likelihood returned shape \(\) for a batch"):
            run()
    summed_grad = bg.Model(
        priors={"p": stats.beta(2, 2)},
        log_likelihood=lambda p: stats.binom.logpmf(7, 10, p),
        grad_log_likelihood=lambda p: {"p": np.sum(7 / p - 3 / (1 - p))},
    )
    with pytest.raises(ValueError, match=r"grad_log_likelihood returned shape \(\) for 'p'"):
        summed_grad.grad_log_likelihood(p=np.array([0.3, 0.5]))
    # vectorised, both give the Beta(9, 5) mode 8/12
    good = bg.Model(
        priors={"p": stats.beta(2, 2)},
        log_likelihood=lambda p: stats.binom.logpmf(7, 10, p),
        grad_log_likelihood=lambda p: {"p": 7 / p - 3 / (1 - p)},
    )
    assert bg.map_estimate(good).params["p"] == pytest.approx(8 / 12, rel=1e-8)
