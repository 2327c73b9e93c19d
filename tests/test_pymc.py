"""Tests of the PyMC bridge: to_pymc, sample_pymc, check_with_pymc and model_from_pymc.

The log-density tests compile PyMC models in FAST_COMPILE mode (no C compilation); the few NUTS
runs are small and seeded and reuse their compiled models through module-scoped fixtures.
"""

from __future__ import annotations

import warnings
import zlib

import arviz as az
import numpy as np
import pymc as pm
import pytensor
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pymc.model.transform.conditioning import remove_value_transforms
from scipy import stats

import bayesgd as bg
from bayesgd.conjugate import conjugate
from bayesgd.grid import grid
from bayesgd.map import map_estimate
from bayesgd.models import _elementwise, linear
from bayesgd.pymc import (
    PyMCCheck,
    PyMCModel,
    PyMCPosterior,
    _mcse_quantile,
    _mcse_sd,
    check_with_pymc,
    model_from_pymc,
    sample_pymc,
    to_pymc,
)

#: No C compilation for the log-density comparisons (fast with an empty PyTensor cache).
FAST = "FAST_COMPILE"
_R = np.random.default_rng(7)
Y_REAL = _R.normal(1.0, 2.0, size=12)
Y_POS = _R.exponential(1.5, size=10)
X2 = _R.normal(size=(15, 2))


def _normal(mu, sigma=1.3):
    return bg.Normal(y=Y_REAL, mu=mu, sigma=sigma)


def _poisson(mu):
    return bg.Poisson(k=[2, 0, 5, 3], exposure=[1.0, 0.5, 2.0, 1.5], mu=mu)


def _expo(lam):
    return bg.Exponential(y=Y_POS, lam=lam)


def _binom(p):
    return bg.Binomial(k=[3, 7, 1], n=[10, 12, 5], p=p)


def _loglik_custom(a, b):
    a = np.asarray(a)[..., None]
    b = np.asarray(b)[..., None]
    return stats.norm.logpdf(Y_REAL, loc=a, scale=np.exp(b)).sum(axis=-1)


def _grad_custom(a, b):
    a = np.asarray(a)[..., None]
    b = np.asarray(b)[..., None]
    z = (Y_REAL - a) / np.exp(b)
    return {"a": (z / np.exp(b)).sum(axis=-1), "b": (z * z - 1.0).sum(axis=-1)}


class HookModel(bg.Model):
    """A custom model that writes its own PyMC likelihood through the hook."""

    def _pymc_likelihood(self, params):
        pm.Normal("y_hook", mu=params["a"], sigma=pm.math.exp(params["b"]), observed=Y_REAL)


# every univariate prior family (standard and shifted/scaled), each joint prior, every likelihood
CASES = {
    # ---- priors on the real line (Normal likelihood, fixed sigma)
    "norm": lambda: _normal(stats.norm(1.0, 2.0)),
    "t": lambda: _normal(stats.t(4, loc=1.0, scale=2.0)),
    "cauchy": lambda: _normal(stats.cauchy(0.5, 2.0)),
    "laplace": lambda: _normal(stats.laplace(-1.0, 0.5)),
    "logistic": lambda: _normal(stats.logistic(0.3, 1.2)),
    "gumbel_r": lambda: _normal(stats.gumbel_r(0.2, 2.0)),
    "uniform": lambda: _normal(stats.uniform(-3.0, 6.0)),
    "truncnorm": lambda: _normal(stats.truncnorm(-1.0, 2.0, loc=0.5, scale=1.5)),
    # ---- priors on (0, inf) and shifted (loc, inf)
    "truncnorm_one_sided": lambda: _poisson(stats.truncnorm(0.25, np.inf, loc=0.0, scale=2.0)),
    "gamma": lambda: _poisson(stats.gamma(2.0, scale=1.5)),
    "gamma_shifted": lambda: _poisson(stats.gamma(2.0, loc=0.5, scale=1.5)),
    "invgamma": lambda: bg.Normal(y=Y_REAL, mu=1.0, sigma2=stats.invgamma(3.0, scale=2.0)),
    "invgamma_shifted": lambda: bg.Normal(
        y=Y_REAL, mu=1.0, sigma2=stats.invgamma(3.0, loc=0.2, scale=2.0)
    ),
    "halfnorm": lambda: bg.Normal(y=Y_REAL, mu=1.0, sigma=stats.halfnorm(scale=2.0)),
    "halfnorm_shifted": lambda: bg.Normal(
        y=Y_REAL, mu=1.0, sigma=stats.halfnorm(loc=0.1, scale=2.0)
    ),
    "halfcauchy": lambda: bg.Normal(y=Y_REAL, mu=1.0, sigma=stats.halfcauchy(scale=1.0)),
    "halfcauchy_shifted": lambda: bg.Normal(
        y=Y_REAL, mu=1.0, sigma=stats.halfcauchy(loc=0.3, scale=1.0)
    ),
    "lognorm": lambda: _expo(stats.lognorm(0.5, scale=2.0)),
    "lognorm_shifted": lambda: _expo(stats.lognorm(0.5, loc=0.3, scale=2.0)),
    "expon": lambda: _expo(stats.expon(scale=2.0)),
    "expon_shifted": lambda: _expo(stats.expon(loc=0.2, scale=2.0)),
    "weibull_min": lambda: _expo(stats.weibull_min(1.5, scale=2.0)),
    "weibull_min_shifted": lambda: _expo(stats.weibull_min(1.5, loc=0.1, scale=2.0)),
    "chi2": lambda: _expo(stats.chi2(3.0)),
    "chi2_scaled": lambda: _expo(stats.chi2(3.0, scale=2.0)),
    "chi2_shifted": lambda: _expo(stats.chi2(3.0, loc=0.1, scale=0.5)),
    "loguniform": lambda: _expo(stats.loguniform(0.1, 10.0)),
    "loguniform_scaled": lambda: _expo(stats.loguniform(0.5, 4.0, loc=0.1, scale=2.0)),
    "reciprocal": lambda: _expo(stats.reciprocal(0.2, 5.0)),
    # ---- priors on (0, 1) and sub-intervals
    "beta": lambda: _binom(stats.beta(2.0, 3.0)),
    "beta_scaled": lambda: _binom(stats.beta(2.0, 3.0, loc=0.1, scale=0.8)),
    "uniform_unit": lambda: _binom(stats.uniform(0.0, 1.0)),
    "beta_batched": lambda: bg.Binomial(
        k=[[1, 2, 3], [0, 4, 2]], n=5, p=stats.beta(np.array([1.0, 2.0, 3.0]), 2.0)
    ),
    # ---- joint and vector priors
    "dirichlet_multinomial": lambda: bg.Multinomial(
        x=[[3, 1, 0], [2, 2, 1]], p=stats.dirichlet([1.0, 2.0, 1.5])
    ),
    "dirichlet_categorical": lambda: bg.Categorical(
        y=[0, 2, 2, 1, 3], p=stats.dirichlet([1.0, 1.0, 2.0, 0.5])
    ),
    "scipy_nig": lambda: bg.Normal(
        y=Y_REAL, prior=stats.normal_inverse_gamma(mu=0.5, lmbda=2.0, a=3.0, b=2.0)
    ),
    "bayesgd_nig": lambda: bg.LinearRegression(
        X=np.column_stack([np.ones(15), X2]),
        y=X2 @ [1.0, -2.0] + 0.5 + _R.normal(size=15),
        prior=bg.priors.NormalInverseGamma(mean=[0.0, 1.0, 0.0], cov=[4.0, 2.0, 3.0], a=2, b=3),
    ),
    "mvnormal_regression": lambda: bg.LinearRegression(
        X=X2,
        y=X2 @ [1.0, -2.0] + _R.normal(size=15),
        coef=stats.multivariate_normal([0.0, 1.0], [[2.0, 0.5], [0.5, 1.0]]),
        intercept=stats.norm(0.0, 5.0),
        sigma=stats.halfnorm(scale=2.0),
    ),
    # ---- likelihood families
    "bernoulli": lambda: bg.Bernoulli(y=[1, 0, 1, 1, 0, 1], p=stats.beta(2.0, 2.0)),
    "geometric": lambda: bg.Geometric(k=[1, 3, 2, 6], p=stats.beta(1.5, 1.0)),
    "negative_binomial": lambda: bg.NegativeBinomial(
        k=[4, 6, 0, 9], r=3.5, p=stats.beta(2.0, 2.0)
    ),
    "normal_sigma2_fixed_mu_groups": lambda: bg.Normal(
        y=Y_REAL.reshape(4, 3),
        mu=stats.norm(np.zeros(3), 2.0),
        sigma=np.array([1.0, 2.0, 0.5]),
    ),
    "linear_fixed_intercept": lambda: bg.LinearRegression(
        X=X2, y=X2 @ [1.0, 2.0] + 1.0, coef=stats.norm(0.0, 3.0), intercept=1.0, sigma2=0.5
    ),
    "logistic_regression": lambda: bg.LogisticRegression(
        X=X2,
        y=(X2[:, 0] + _R.normal(size=15) > 0).astype(int),
        coef=stats.norm(0.0, 2.5),
        intercept=stats.norm(0.0, 5.0),
    ),
    "poisson_regression": lambda: bg.PoissonRegression(
        X=X2,
        y=_R.poisson(2.0, size=15),
        coef=stats.laplace(0.0, 1.0),
        offset=np.log(np.linspace(0.5, 2.0, 15)),
    ),
    "custom_with_gradient": lambda: bg.Model(
        priors={"a": stats.norm(0.0, 5.0), "b": stats.norm(0.0, 1.0)},
        log_likelihood=_loglik_custom,
        grad_log_likelihood=_grad_custom,
    ),
    "custom_finite_differences": lambda: bg.Model(
        priors={"a": stats.norm(0.0, 5.0), "b": stats.norm(0.0, 1.0)},
        log_likelihood=_loglik_custom,
    ),
    "custom_hook": lambda: HookModel(
        priors={"a": stats.norm(0.0, 5.0), "b": stats.norm(0.0, 1.0)},
        log_likelihood=_loglik_custom,
        grad_log_likelihood=_grad_custom,
    ),
}


def _constrained_logp(pm_model):
    """PyMC's log density (no Jacobian) as a function of the constrained values."""
    return remove_value_transforms(pm_model).compile_logp(jacobian=False, mode=FAST)


def _assert_same_density(model, pm_model, points):
    logp = _constrained_logp(pm_model)
    n = len(next(iter(points.values())))
    ours = model.log_density(**points)
    theirs = np.array([logp({k: v[i] for k, v in points.items()}) for i in range(n)])
    assert np.all(np.isfinite(ours)), ours
    diff = theirs - ours
    # one constant across all points, and that constant is 0: both are fully normalised
    np.testing.assert_allclose(diff, 0.0, atol=1e-9 * max(1.0, np.max(np.abs(ours))))


def _points(model, rng, n=12):
    """Points spread over the prior, kept inside the support (interior) of every parameter."""
    draws = model.prior_sample(n, rng=rng)
    for name, param in model.parameters.items():
        low, high = param.support
        if param.prior.family != "dirichlet":
            draws[name] = np.clip(draws[name], low + 1e-6, high - 1e-6)
    return draws


@pytest.mark.parametrize("case", list(CASES))
def test_to_pymc_log_density_matches(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # finite-difference notice
        model = CASES[case]()
        pm_model = to_pymc(model)
    shapes = {rv.name: tuple(rv.shape.eval()) for rv in pm_model.free_RVs}
    assert shapes == {n: p.shape for n, p in model.parameters.items()}
    if case == "custom_hook":
        assert [rv.name for rv in pm_model.observed_RVs] == ["y_hook"]
    elif case.startswith("custom"):
        assert not pm_model.observed_RVs and len(pm_model.potentials) == 1
    else:
        assert len(pm_model.observed_RVs) == 1 and not pm_model.potentials
    rng = np.random.default_rng(zlib.crc32(case.encode()))
    _assert_same_density(model, pm_model, _points(model, rng))


@pytest.mark.parametrize("r", [3.0, [3.0, 2.5, 1.0, 4.0], [2.0, 2.0, 2.0, 2.0]])
def test_to_pymc_negative_binomial_compiles_without_rewrite_errors(r, caplog):
    """An all-equal constant ``n`` vector once made PyTensor log a failed graph rewrite."""
    k = np.array([4, 6, 0, 9])
    model = bg.NegativeBinomial(k=k, r=r, p=stats.beta(2.0, 2.0))
    with caplog.at_level("WARNING"):
        logp = to_pymc(model).compile_logp(jacobian=False)
        p = 0.37
        got = logp({"p_logodds__": np.log(p / (1.0 - p))})
    assert not [rec for rec in caplog.records if rec.levelno >= 30], caplog.text[:2000]
    expected = stats.beta(2.0, 2.0).logpdf(p) + stats.nbinom(np.asarray(r), p).logpmf(k).sum()
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_to_pymc_uses_pymc_families_and_loc_scale():
    pm_model = to_pymc(_normal(stats.t(4, loc=1.0, scale=2.0)))
    assert type(pm_model["mu"].owner.op).__name__ == "StudentTRV"
    pm_model = to_pymc(_expo(stats.weibull_min(1.5, scale=2.0)))
    assert type(pm_model["lam"].owner.op).__name__ == "WeibullBetaRV"
    assert pm_model.rvs_to_transforms[pm_model["lam"]] is not None
    pm_model = to_pymc(_poisson(stats.gamma(2.0, loc=0.5, scale=1.5)))
    # the shifted family is sampled on the real line through an interval transform at loc
    assert pm_model.value_vars[0].name == "mu_interval__"
    pm_model = to_pymc(_binom(stats.beta(2.0, 3.0)))
    assert [v.name for v in pm_model.value_vars] == ["p_logodds__"]


@pytest.mark.parametrize(
    "make",
    [
        lambda: _binom(stats.beta(2.0, 3.0)),
        lambda: bg.NegativeBinomial(k=[4, 6, 0, 9], r=3.5, p=stats.beta(2.0, 2.0)),
        lambda: _poisson(stats.gamma(2.0, scale=1.5)),
        lambda: _expo(stats.gamma(2.0)),
        lambda: bg.Normal(y=Y_REAL, mu=stats.norm(0, 3), sigma2=stats.invgamma(3.0, scale=2.0)),
        lambda: bg.Multinomial(x=[[3, 1, 0], [2, 2, 1]], p=stats.dirichlet([1.0, 2.0, 1.5])),
        lambda: bg.Categorical(y=[0, 2, 2, 1, 0], p=stats.dirichlet([1.0, 1.0, 2.0])),
    ],
)
def test_to_pymc_from_sufficient_statistics(make, monkeypatch):
    monkeypatch.setattr(_elementwise, "KEEP_DATA_LIMIT", 1)
    model = make()
    assert model.data is None
    pm_model = to_pymc(model)
    assert not pm_model.observed_RVs
    assert [p.name for p in pm_model.potentials] == ["log_likelihood"]
    _assert_same_density(model, pm_model, _points(model, np.random.default_rng(3)))


def test_to_pymc_linear_regression_after_streaming(monkeypatch):
    monkeypatch.setattr(linear, "KEEP_DATA_LIMIT", 10)
    y = X2 @ [1.0, -1.0] + 0.3 + _R.normal(size=15)
    model = bg.LinearRegression(
        X=X2[:8], y=y[:8], coef=stats.norm(0, 3), intercept=stats.norm(0, 5),
        sigma=stats.halfnorm(scale=2),
    ).updated(X=X2[8:], y=y[8:])  # fmt: skip
    assert model.data is None
    pm_model = to_pymc(model)
    assert not pm_model.observed_RVs
    _assert_same_density(model, pm_model, _points(model, np.random.default_rng(4)))


def test_to_pymc_rejects_non_models():
    with pytest.raises(TypeError, match="model must be a bayesgd Model"):
        to_pymc(stats.norm(0, 1))


def test_import_bayesgd_does_not_import_pymc():
    import subprocess
    import sys

    code = (
        "import sys, bayesgd, bayesgd.pymc; "
        "bad = [m for m in ('pymc', 'pytensor', 'arviz') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ------------------------------------------------------------------------------ MCSE helpers
def test_mcse_sd_and_quantile_match_iid_theory():
    rng = np.random.default_rng(11)
    x = rng.normal(size=(4, 5000))
    # iid normal: sd(sd_hat) = 1 / sqrt(2 n); sd(q_hat) = sqrt(p (1 - p) / n) / phi(z_p)
    assert _mcse_sd(x) == pytest.approx(1 / np.sqrt(2 * x.size), rel=0.1)
    p = 0.1
    expected = np.sqrt(p * (1 - p) / x.size) / stats.norm.pdf(stats.norm.ppf(p))
    assert _mcse_quantile(x, p) == pytest.approx(expected, rel=0.15)


# ----------------------------------------------------------------------------------- NUTS
def _skewed_beta_model():
    return bg.Binomial(k=1, n=20, p=stats.beta(1, 1))


@pytest.fixture(scope="module")
def skewed_reference():
    model = _skewed_beta_model()
    return model, sample_pymc(model, draws=1000, tune=500, chains=2, rng=2024)


def test_sample_pymc_returns_posterior(skewed_reference):
    _, post = skewed_reference
    assert isinstance(post, PyMCPosterior) and isinstance(post, bg.posterior.SamplePosterior)
    assert post.method == "pymc" and post.ok and post.divergences == 0
    assert post.draws["p"].shape == (2000,)
    assert post.to_inference_data() is post.idata
    assert list(post.diagnostics.columns) == ["r_hat", "ess_bulk", "ess_tail"]
    exact = stats.beta(2, 20)
    assert abs(post.mean()["p"] - exact.mean()) < 5 * exact.std() / np.sqrt(300)


def test_check_passes_for_exact_and_fails_for_constrained_laplace(skewed_reference):
    model, reference = skewed_reference
    exact = conjugate(model)
    good = check_with_pymc(model, exact, reference=reference, rng=1)
    assert isinstance(good, PyMCCheck)
    assert good.passed and good.verdict == "passed" and good.reason == "", good
    table = good.table
    assert list(table.columns) == [
        "parameter", "statistic", "level", "candidate", "pymc", "difference", "mcse", "z",
        "passed",
    ]  # fmt: skip
    assert table["statistic"].tolist() == ["mean", "sd", "hdi_3%", "hdi_97%"]
    assert np.all(table["mcse"] > 0) and np.all(table["mcse"] < 0.01)
    assert good.map_table["pymc"].iloc[0] == pytest.approx(0.05, rel=1e-4)
    assert good.map_table["passed"].all()
    assert "PASSED" in repr(good) and "<table" in good._repr_html_()

    from bayesgd.laplace import SupportWarning, laplace

    with pytest.warns(SupportWarning, match="leaves the support"):
        skewed = laplace(model, space="constrained")
    wrong = check_with_pymc(model, skewed, reference=reference)
    assert not wrong.passed and wrong.verdict == "failed" and "MCSE" in wrong.reason
    assert "FAILED" in repr(wrong)
    rows = wrong.table.set_index("statistic")
    assert not rows.loc["mean", "passed"] and rows.loc["mean", "z"] > 10
    assert not rows.loc["hdi_3%", "passed"]


def test_check_second_conjugate_family_with_joint_prior():
    model = bg.Normal(y=Y_REAL, prior=stats.normal_inverse_gamma(mu=0.5, lmbda=2.0, a=3.0, b=2.0))
    report = check_with_pymc(model, rng=5, draws=1000, tune=500)
    assert report.candidate.method == "conjugate"
    assert report.passed, report
    assert set(report.table["parameter"]) == {"mu", "sigma2"} and len(report.table) == 8


def test_check_non_conjugate_against_grid():
    y = np.random.default_rng(8).normal(0.5, 1.5, size=20)
    model = bg.Normal(y=y, mu=stats.norm(0, 10), sigma=stats.halfnorm(scale=5))
    report = check_with_pymc(model, rng=6, draws=1000, tune=500)
    assert report.candidate.method == "grid"
    assert report.passed, report


def test_nuts_on_custom_model_through_the_op():
    model = bg.Model(
        priors={"a": stats.norm(0.0, 5.0), "b": stats.norm(0.0, 1.0)},
        log_likelihood=_loglik_custom,
        grad_log_likelihood=_grad_custom,
    )
    report = check_with_pymc(
        model, grid(model), rng=9, draws=1000, tune=500, map_kwargs={"init": {"a": 1.0, "b": 0.5}}
    )
    assert report.passed, report


@pytest.mark.filterwarnings("ignore:the model has no grad_log_likelihood")
@pytest.mark.parametrize("with_gradient", [False, True])
def test_custom_model_gives_nuts_a_nan_gradient_where_pymc_would(with_gradient):
    """Far out in logit space log(1 - p) is -inf and its gradient NaN: NUTS must see a NaN (a
    divergence) as with PyMC's own Bernoulli, not an exception that ends the run."""
    y = np.array([1, 0, 1, 1, 0, 1, 1, 1])
    s, f = y.sum(), y.size - y.sum()

    def loglik(p):
        with np.errstate(divide="ignore"):
            return s * np.log(p) + f * np.log1p(-p)

    def grad(p):
        with np.errstate(divide="ignore", invalid="ignore"):
            return {"p": s / p - f / (1.0 - p)}

    model = bg.Model(
        priors={"p": stats.beta(2, 2)},
        log_likelihood=loglik,
        grad_log_likelihood=grad if with_gradient else None,
    )
    ours = to_pymc(model)
    with pm.Model() as native:
        p = pm.Beta("p", 2, 2)
        pm.Bernoulli("y", p, observed=y)
    for u in (0.0, 20.0, 40.0):
        point = {"p_logodds__": np.array(u)}
        p_u = 1.0 / (1.0 + np.exp(-u))
        with np.errstate(divide="ignore"):  # log density + log Jacobian p (1 - p) of the logit
            exact = stats.beta(2, 2).logpdf(p_u) + loglik(p_u) + np.log(p_u) + np.log1p(-p_u)
        # PyMC's own Beta log density is 2e-8 off, so the native model is not the reference;
        # at u = 20, 1 - p is 2e-9 and the rounding of p (1e-16) moves log(1 - p) by 5e-8
        rtol = 1e-10 if u == 0.0 else 1e-6
        np.testing.assert_allclose(ours.compile_logp()(point), exact, rtol=rtol)
        got, want = ours.compile_dlogp()(point), native.compile_dlogp()(point)
        assert np.isnan(got).all() == np.isnan(want).all()
        if not np.isnan(want).any():
            np.testing.assert_allclose(got, want, rtol=1e-5)


def test_check_rejects_bad_arguments(skewed_reference):
    model, reference = skewed_reference
    exact = conjugate(model)
    with pytest.raises(ValueError, match="z must be"):
        check_with_pymc(model, exact, reference=reference, z=0)
    with pytest.raises(TypeError, match="posterior must be"):
        check_with_pymc(model, {"p": 0.1}, reference=reference)
    with pytest.raises(ValueError, match="prob"):
        check_with_pymc(model, exact, reference=reference, prob=1.5)


# ------------------------------------------------------------------------------- warnings
def test_sampling_warning_from_constructed_draws():
    model = bg.Normal(y=[0.0], mu=stats.norm(0, 1), sigma=1.0)
    rng = np.random.default_rng(0)
    draws = np.stack([rng.normal(0, 1, 300), rng.normal(3, 1, 300)])  # chains disagree
    diverging = np.zeros((2, 300), dtype=bool)
    diverging[0, :5] = True
    idata = az.from_dict(posterior={"mu": draws}, sample_stats={"diverging": diverging})
    with pytest.warns(bg.SamplingWarning, match=r"R-hat > 1.01 for \['mu'\]") as record:
        post = PyMCPosterior(model, idata)
    message = str(record[0].message)
    assert "5 divergent" in message and "bulk ESS" in message
    assert not post.ok and len(post.problems) >= 3


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"rhat_max": 0.9}, ValueError, r"rhat_max must be finite and > 1"),
        ({"rhat_max": 1.0}, ValueError, r"rhat_max must be finite and > 1"),
        ({"rhat_max": np.nan}, ValueError, "rhat_max"),
        ({"rhat_max": "1.01"}, TypeError, "rhat_max must be a real number"),
        ({"min_ess_per_chain": -1}, ValueError, r"min_ess_per_chain must be finite and >= 0"),
    ],
)
def test_diagnostic_thresholds_are_checked_before_sampling(kwargs, exc, match, monkeypatch):
    import pymc

    def never(*args, **kwargs):  # pragma: no cover - reaching it is the failure
        raise AssertionError("sampled before checking the thresholds")

    monkeypatch.setattr(pymc, "sample", never)
    model = bg.Normal(y=[0.0], mu=stats.norm(0, 1), sigma=1.0)
    with pytest.raises(exc, match=match):
        sample_pymc(model, **kwargs)
    idata = az.from_dict(posterior={"mu": np.zeros((2, 10))})
    with pytest.raises(exc, match=match):
        PyMCPosterior(model, idata, **kwargs)


def test_sampling_warning_from_a_real_short_run():
    # sd 1e-3 next to sd 1e3: without tuning NUTS cannot mix in 30 draws
    model = bg.Model(
        priors={"a": stats.norm(0.0, 1e-3), "b": stats.norm(0.0, 1e3)},
        log_likelihood=lambda a, b: np.zeros(np.broadcast_shapes(np.shape(a), np.shape(b))),
        grad_log_likelihood=lambda a, b: {"a": np.zeros(np.shape(a)), "b": np.zeros(np.shape(b))},
    )
    with pytest.warns(bg.SamplingWarning, match="ESS"):
        sample_pymc(model, draws=30, tune=0, chains=2, rng=3)


# ------------------------------------------------------------------------ model_from_pymc
@pytest.fixture(scope="module")
def pymc_round_trip():
    y = np.random.default_rng(12).normal(1.0, 2.0, size=25)
    with pm.Model() as pm_model:
        mu = pm.Normal("mu", 0.0, 10.0)
        sigma = pm.HalfNormal("sigma", 5.0)
        w = pm.Dirichlet("w", np.array([3.0, 2.0, 2.0]))
        pm.Normal("y", mu + w[0], sigma, observed=y)
    return pm_model, model_from_pymc(pm_model, mode=FAST)


def test_model_from_pymc_is_a_bayesgd_model(pymc_round_trip):
    _, model = pymc_round_trip
    assert isinstance(model, bg.Model) and isinstance(model, PyMCModel)
    assert model.names == ("mu", "sigma_log__", "w_simplex__")
    assert model.parameters["w_simplex__"].shape == (2,)
    for param in model.parameters.values():
        low, high = param.support
        assert np.all(low == -np.inf) and np.all(high == np.inf)


def test_model_from_pymc_log_density_and_gradient(pymc_round_trip, fd):
    pm_model, model = pymc_round_trip
    rng = np.random.default_rng(1)
    pts = {
        "mu": rng.normal(1, 1, size=(3, 4)),
        "sigma_log__": rng.normal(0.5, 0.5, size=(3, 4)),
        "w_simplex__": rng.normal(0, 1, size=(3, 4, 2)),
    }
    ours = model.log_density(**pts)
    assert ours.shape == (3, 4)
    logp = pm_model.compile_logp(mode=FAST)
    dlogp = pm_model.compile_dlogp(mode=FAST)
    grads = model.grad_log_density(**pts)
    for idx in np.ndindex(3, 4):
        point = {k: v[idx] for k, v in pts.items()}
        assert ours[idx] == pytest.approx(float(logp(point)), rel=1e-12, abs=1e-10)
        flat = np.concatenate([np.atleast_1d(grads[k][idx]) for k in model.names])
        np.testing.assert_allclose(flat, dlogp(point), rtol=1e-10, atol=1e-10)
    # split into prior (free variables, with Jacobian) and likelihood (observed)
    point = {k: v[0, 0] for k, v in pts.items()}
    prior_fn = pm_model.compile_fn(pm_model.varlogp, inputs=pm_model.value_vars, mode=FAST)
    assert float(model.log_prior(**point)) == pytest.approx(float(prior_fn(point)), rel=1e-12)
    # the analytic gradient agrees with finite differences
    x0 = np.concatenate([np.atleast_1d(point[k]) for k in model.names])

    def f(x):
        return float(model.log_density(mu=x[0], sigma_log__=x[1], w_simplex__=x[2:]))

    g = model.grad_log_density(**point)
    flat = np.concatenate([np.atleast_1d(g[k]) for k in model.names])
    np.testing.assert_allclose(flat, fd(f, x0, 1e-6), rtol=1e-6, atol=1e-6)


@given(
    batch=st.lists(st.integers(1, 3), min_size=0, max_size=2).map(tuple),
    seed=st.integers(0, 2**16),
)
def test_model_from_pymc_vectorises_over_any_batch(pymc_round_trip, batch, seed):
    _, model = pymc_round_trip
    rng = np.random.default_rng(seed)
    pts = {n: rng.normal(size=(*batch, *p.shape)) for n, p in model.parameters.items()}
    batched = model.log_density(**pts)
    assert batched.shape == batch
    for idx in np.ndindex(*batch):
        single = model.log_density(**{k: v[idx] for k, v in pts.items()})
        assert batched[idx] == pytest.approx(float(single), rel=1e-12, abs=1e-10)


def test_model_from_pymc_map_matches_find_map(pymc_round_trip):
    pm_model, _ = pymc_round_trip
    no_jac = model_from_pymc(pm_model, jacobian=False, mode=FAST)
    fit = map_estimate(no_jac)
    ours = no_jac.constrained(**fit.params)
    with warnings.catch_warnings(), pytensor.config.change_flags(mode=FAST):
        warnings.simplefilter("ignore")
        theirs = pm.find_MAP(
            model=pm_model, progressbar=False, include_transformed=False,
            options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 10000},
        )  # fmt: skip
    for name in ("mu", "sigma", "w"):
        np.testing.assert_allclose(ours[name], theirs[name], rtol=1e-4, atol=1e-6)


def test_to_pymc_of_model_from_pymc_round_trip(pymc_round_trip):
    pm_model, model = pymc_round_trip
    back = to_pymc(model)
    assert sorted(v.name for v in back.free_RVs) == sorted(model.names)
    logp_back = back.compile_logp(mode=FAST)
    logp = pm_model.compile_logp(mode=FAST)
    rng = np.random.default_rng(2)
    for _ in range(5):
        point = {n: rng.normal(size=p.shape) for n, p in model.parameters.items()}
        assert float(logp_back(point)) == pytest.approx(float(logp(point)), rel=1e-12)


def test_model_from_pymc_prior_draws_and_errors(pymc_round_trip):
    _, model = pymc_round_trip
    draws = model.prior_sample(2000, rng=0)
    assert draws["w_simplex__"].shape == (2000, 2)
    # sigma ~ HalfNormal(5): log sigma of the draws has the right median
    assert np.median(np.exp(draws["sigma_log__"])) == pytest.approx(
        stats.halfnorm(scale=5).median(), rel=0.1
    )
    with pytest.raises(TypeError, match=r"pymc\.Model"):
        model_from_pymc("not a model")
    with pm.Model() as discrete:
        pm.Poisson("k", 3.0)
    with pytest.raises(TypeError, match="continuous"):
        model_from_pymc(discrete)


def test_model_from_pymc_grid_and_nuts_agree_with_the_bayesgd_model():
    """The converted model's posterior (grid on log sigma) is the original posterior."""
    y = np.random.default_rng(21).normal(0.5, 1.5, size=20)
    with pm.Model() as pm_model:
        mu = pm.Normal("mu", 0.0, 10.0)
        sigma = pm.HalfNormal("sigma", 5.0)
        pm.Normal("y", mu, sigma, observed=y)
    converted = model_from_pymc(pm_model)
    native = bg.Normal(y=y, mu=stats.norm(0, 10), sigma=stats.halfnorm(scale=5))
    post_u, post_x = grid(converted), grid(native)
    assert post_u.mean()["mu"] == pytest.approx(post_x.mean()["mu"], abs=1e-4)
    # quantiles commute with the monotone map sigma = exp(u): a wrong Jacobian would show here
    q = np.array([0.05, 0.5, 0.95])
    np.testing.assert_allclose(
        np.exp(post_u.quantile(q)["sigma_log__"]), post_x.quantile(q)["sigma"], rtol=2e-3
    )
    # NUTS on to_pymc(converted): flat variables on the value space plus potentials
    report = check_with_pymc(converted, post_u, rng=4, draws=1000, tune=500)
    assert report.passed, report
    assert set(report.reference.draws) == {"mu", "sigma_log__"}


# ------------------------------------------------------- verdicts: candidate vs reference
def test_check_reruns_an_unhealthy_reference_instead_of_failing_the_candidate():
    """Issue 13 item 9: one divergent transition of NUTS is the reference's trouble, not the
    candidate's. The reference is rerun with a higher target_accept and longer tuning."""
    model = bg.Normal(
        y=[4.9, 5.6, 3.8, 6.1, 5.0, 4.4], mu=stats.norm(0, 10), sigma=stats.halfnorm(scale=5)
    )
    report = check_with_pymc(model, rng=5)
    first, last = report.attempts.iloc[0], report.attempts.iloc[-1]
    assert not first["healthy"] and "divergent" in first["problems"]
    assert last["healthy"] and last["target_accept"] == 0.95 and last["tune"] == 2000
    assert report.reference.ok and report.verdict == "passed" and report.passed, report
    assert report.reason == "" and "NUTS runs:" in repr(report)


def _unhealthy_reference(model, post, shift):
    """Draws of the exact posterior in two chains that disagree by ``shift`` sds (R-hat)."""
    rng = np.random.default_rng(3)
    draws = np.asarray(post.sample(2000, rng=rng)["mu"]).reshape(2, 1000)
    draws[1] += shift * post.sd()["mu"]
    with pytest.warns(bg.SamplingWarning):
        return PyMCPosterior(model, az.from_dict(posterior={"mu": draws}))


def test_check_is_inconclusive_never_failed_when_the_reference_stays_unhealthy(monkeypatch):
    import bayesgd.pymc.check as module

    model = bg.Normal(y=Y_REAL, mu=stats.norm(0, 10), sigma=1.3)
    exact = conjugate(model)
    bad = _unhealthy_reference(model, exact, shift=3.0)
    report = check_with_pymc(model, exact, reference=bad, reruns=0, map=False)
    assert not report.table["passed"].all()  # the statistics disagree, but NUTS is to blame
    assert report.verdict == "inconclusive" and not report.passed and not report
    assert "R-hat" in report.reason and "unhealthy after 1 run" in report.reason
    assert report.candidate_problems and report.reference_problems
    assert "INCONCLUSIVE" in repr(report) and "darkorange" in report._repr_html_()

    calls = []

    def still_unhealthy(model, **kwargs):
        calls.append(kwargs)
        return _unhealthy_reference(model, exact, shift=3.0)

    monkeypatch.setattr(module, "sample_pymc", still_unhealthy)
    report = check_with_pymc(model, exact, rng=0, draws=300, tune=200, map=False)
    assert [c["target_accept"] for c in calls] == [0.8, 0.95, 0.99]
    assert [c["tune"] for c in calls] == [200, 400, 800]
    assert [c["draws"] for c in calls] == [300, 600, 1200]  # the ESS was too low: more draws
    assert report.verdict == "inconclusive" and len(report.attempts) == 3
    assert not report.attempts["healthy"].any()

    calls.clear()
    report = check_with_pymc(model, exact, reference=bad, reruns=1, map=False, target_accept=0.9)
    assert [c["target_accept"] for c in calls] == [0.95] and calls[0]["tune"] == 2000
    assert report.attempts["target_accept"].isna().tolist() == [True, False]
    calls.clear()  # pm.sample's other spelling, nuts={"target_accept": ...}, is read too
    nuts = {"target_accept": 0.97, "max_treedepth": 8}
    check_with_pymc(model, exact, rng=0, draws=300, tune=200, map=False, reruns=1, nuts=nuts)
    assert [c["target_accept"] for c in calls] == [0.97, 0.97]
    assert all(c["nuts"] == {"max_treedepth": 8} for c in calls) and len(nuts) == 2
    with pytest.raises(ValueError, match="reruns"):
        check_with_pymc(model, exact, reference=bad, reruns=-1)


def test_check_fails_the_candidate_only_against_a_healthy_reference(skewed_reference):
    model, reference = skewed_reference
    wrong = conjugate(bg.Binomial(k=3, n=20, p=stats.beta(1, 1)))  # the posterior of other data
    report = check_with_pymc(model, wrong, reference=reference, map=False)
    assert report.reference.ok and report.verdict == "failed" and not report.passed
    assert "beyond 4 MCSE" in report.reason and report.reference_problems == []
    assert len(report.attempts) == 1  # a healthy reference is not rerun


# ------------------------------------------------------------------ interrupted sampling
@pytest.fixture(scope="module")
def tiny_normal():
    model = bg.Normal(y=Y_REAL, mu=stats.norm(0, 10), sigma=1.3)
    return model, to_pymc(model)


def _interrupt_at(how, when, monkeypatch):
    """Interrupt sampling once, at iteration ``when`` of the first chain: by a
    KeyboardInterrupt from pm.sample's ``callback`` (returned), or from inside the NUTS step,
    where PyMC catches it before any callback runs, as a real SIGINT (Ctrl-C) or raised."""
    import signal

    from pymc.step_methods.hmc.nuts import NUTS

    if how == "callback":

        def callback(trace, draw):
            if draw.chain == 0 and draw.draw_idx == when:
                raise KeyboardInterrupt

        return callback

    original, calls = NUTS.astep, []

    def astep(self, q0):
        calls.append(1)
        if len(calls) == when + 1:
            if how == "sigint":
                signal.raise_signal(signal.SIGINT)  # the handler raises KeyboardInterrupt
            raise KeyboardInterrupt
        return original(self, q0)

    monkeypatch.setattr(NUTS, "astep", astep)
    return None


@pytest.mark.parametrize("how", ["callback", "sigint", "step"])
@pytest.mark.parametrize("when", [20, 150], ids=["tuning", "drawing"])
def test_an_interrupt_during_nuts_reaches_the_caller(tiny_normal, how, when, monkeypatch):
    """Issue 13 item 8: PyMC turns a Ctrl-C in tuning into "Not enough samples to build a
    trace", returns the partial draws after tuning, and runs the next chain regardless."""
    model, pm_model = tiny_normal
    callback = _interrupt_at(how, when, monkeypatch)
    kwargs = {} if callback is None else {"callback": callback}
    with pytest.raises(KeyboardInterrupt):
        sample_pymc(model, draws=100, tune=100, chains=2, rng=1, pymc_model=pm_model, **kwargs)


@pytest.mark.filterwarnings("ignore::bayesgd.SamplingWarning")
def test_an_uninterrupted_run_with_a_callback_is_unchanged(tiny_normal):
    model, pm_model = tiny_normal
    seen = []
    post = sample_pymc(
        model,
        draws=100,
        tune=100,
        chains=2,
        rng=1,
        pymc_model=pm_model,
        callback=lambda trace, draw: seen.append(draw.draw_idx),
    )
    assert post.draws["mu"].shape == (200,) and len(seen) == 400
    import signal

    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


# -------------------------------------------- from_pymc: no data, untransformed supports
def test_from_pymc_without_observed_data_is_the_prior():
    """Issue 13 item 12: "zero-dimensional arrays cannot be concatenated"."""
    with pm.Model() as pm_model:
        pm.Normal("mu", 1.0, 2.0)
        pm.HalfNormal("s", 1.5)
    model = bg.Model.from_pymc(pm_model, mode=FAST)
    mu, u = np.linspace(-3.0, 4.0, 5), np.linspace(-2.0, 1.0, 5)
    assert model.log_likelihood(mu=mu, s_log__=u).tolist() == [0.0] * 5
    # the density of (mu, log s): the priors times the Jacobian s of the log
    want = stats.norm(1.0, 2.0).logpdf(mu) + stats.halfnorm(scale=1.5).logpdf(np.exp(u)) + u
    got = model.log_density(mu=mu, s_log__=u)
    np.testing.assert_allclose(got, want, rtol=1e-8)  # PyMC's normalising constants: 1e-8 off
    np.testing.assert_allclose(got - got[0], want - want[0], atol=1e-12)
    post = grid(model, points=201)
    assert post.mean()["mu"] == pytest.approx(1.0, abs=1e-6)
    assert post.sd()["mu"] == pytest.approx(2.0, rel=1e-3)


def _logit_normal_binomial():
    with pm.Model() as pm_model:
        p = pm.LogitNormal("p", mu=0.3, sigma=1.2)
        pm.Binomial("k", n=10, p=p, observed=7)
    return pm_model


def _logit_normal_binomial_logpdf(p):
    logit = np.log(p) - np.log1p(-p)
    prior = stats.norm(0.3, 1.2).logpdf(logit) - np.log(p) - np.log1p(-p)
    return prior + stats.binom(10, p).logpmf(7)


def test_from_pymc_reads_the_support_of_a_variable_pymc_leaves_untransformed():
    """Issue 13 item 17: pm.LogitNormal has no transform; its value lives in (0, 1). The MAP
    started at p = 0 ("not finite at the starting point") and the grid raised PyMC's
    ParameterValueError: the graph was compiled without PyMC's check-to--inf rewrite."""
    from scipy import integrate, optimize

    pm_model = _logit_normal_binomial()
    assert pm_model.rvs_to_transforms[pm_model["p"]] is None
    model = bg.Model.from_pymc(pm_model, mode=FAST)
    assert model.names == ("p",)
    low, high = model.parameters["p"].support
    assert (float(low), float(high)) == (0.0, 1.0)
    assert model.parameters["p"].transform.name != "identity"
    p = np.array([0.05, 0.5, 0.93])
    np.testing.assert_allclose(
        model.log_density(p=p), _logit_normal_binomial_logpdf(p), rtol=1e-10
    )
    with np.errstate(all="ignore"):  # outside the support: -inf, as in PyMC, never an error
        assert np.all(model.log_density(p=np.array([-0.5, 1.5])) == -np.inf)
    # the MAP: the mode of the density of p, against a bounded scalar search
    want = optimize.minimize_scalar(
        lambda x: -_logit_normal_binomial_logpdf(x), bounds=(1e-9, 1 - 1e-9),
        method="bounded", options={"xatol": 1e-12},
    ).x  # fmt: skip
    assert map_estimate(model).params["p"] == pytest.approx(want, rel=1e-7)
    # the grid: its mean against quadrature of the exact density
    norm = integrate.quad(lambda x: np.exp(_logit_normal_binomial_logpdf(x)), 0, 1)[0]
    mean = integrate.quad(lambda x: x * np.exp(_logit_normal_binomial_logpdf(x)), 0, 1)[0]
    assert grid(model).mean()["p"] == pytest.approx(mean / norm, rel=1e-5)
