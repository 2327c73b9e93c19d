"""Family records: each piece a record holds, tested against scipy (the truth it encodes)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from test_priors import SHAPES, frozen

from bayesgd.families import (
    FAMILIES,
    UNIVARIATE_FAMILIES,
    Family,
    family,
    make_prior,
    normal_inverse_gamma,
    register,
)

Q = 1e-4


def test_registry_holds_one_record_per_accepted_name():
    assert set(FAMILIES) == set(UNIVARIATE_FAMILIES)
    for name, record in FAMILIES.items():
        assert isinstance(record, Family)
        assert isinstance(getattr(stats, name), stats.rv_continuous)
    assert family("reciprocal") is family("loguniform")
    with pytest.raises(KeyError, match="not an accepted family"):
        family("foldnorm")
    with pytest.raises(ValueError, match="already registered"):
        register(family("norm"))


@pytest.mark.parametrize("name", UNIVARIATE_FAMILIES)
def test_grid_box_is_the_prior_quantile_box(name):
    dist = frozen(name)
    prior = make_prior(("theta",), dist)
    lo, hi = prior.grid_box("theta", Q)
    assert lo.shape == hi.shape == ()
    np.testing.assert_allclose([lo, hi], [dist.ppf(Q), dist.isf(Q)], rtol=1e-13)
    # batched, and broadcast to a larger parameter shape
    batched = frozen(name, batched=True)
    prior = make_prior(("theta",), batched, shape=(2, 3))
    lo, hi = prior.grid_box("theta", Q)
    assert lo.shape == (2, 3)
    np.testing.assert_allclose(lo, np.broadcast_to(batched.ppf(Q), (2, 3)), rtol=1e-13)
    np.testing.assert_allclose(hi, np.broadcast_to(batched.isf(Q), (2, 3)), rtol=1e-13)


@pytest.mark.parametrize("name", UNIVARIATE_FAMILIES)
def test_central_point_is_the_median(name):
    dist = frozen(name)
    centre = make_prior(("theta",), dist).central_point()["theta"]
    np.testing.assert_allclose(dist.cdf(centre), 0.5, rtol=1e-9)


def test_joint_priors_boxes_are_their_marginal_quantiles():
    # Dirichlet: the simplex's unit box
    lo, hi = make_prior(("p",), stats.dirichlet([1.0, 2.0, 3.0])).grid_box("p", Q)
    np.testing.assert_array_equal(lo, np.zeros(3))
    np.testing.assert_array_equal(hi, np.ones(3))
    # multivariate normal: the normal marginals
    mvn = make_prior(("c",), stats.multivariate_normal([1.0, -1.0], [[4.0, 1.0], [1.0, 9.0]]))
    lo, hi = mvn.grid_box("c", Q)
    np.testing.assert_allclose(lo, [1.0 + 2.0 * stats.norm.ppf(Q), -1.0 + 3.0 * stats.norm.ppf(Q)])
    np.testing.assert_allclose(hi, [1.0 + 2.0 * stats.norm.isf(Q), -1.0 + 3.0 * stats.norm.isf(Q)])
    # scipy's NIG: the mean's marginal is a Student t; checked against draws of the joint
    nig = stats.normal_inverse_gamma(mu=0.5, lmbda=2.0, a=3.0, b=2.0)
    prior = make_prior(("mu", "sigma2"), nig)
    draws = prior.rvs((400_000,), np.random.default_rng(1))
    for name in ("mu", "sigma2"):
        lo, hi = prior.grid_box(name, 0.05)
        frac = np.mean(draws[name] < lo), np.mean(draws[name] > hi)
        np.testing.assert_allclose(frac, 0.05, atol=0.0015)
    # bayesgd's NIG over (coef, sigma2)
    prior = make_prior(("coef", "sigma2"), normal_inverse_gamma([0.0, 1.0], [4.0, 1.0], 2.5, 2.0))
    draws = prior.rvs((400_000,), np.random.default_rng(2))
    for name in ("coef", "sigma2"):
        lo, hi = prior.grid_box(name, 0.05)
        np.testing.assert_allclose(np.mean(draws[name] < lo, axis=0), 0.05, atol=0.0015)
        np.testing.assert_allclose(np.mean(draws[name] > hi, axis=0), 0.05, atol=0.0015)


def test_joint_priors_central_points():
    alpha = np.array([1.0, 2.0, 5.0])
    got = make_prior(("p",), stats.dirichlet(alpha)).central_point()["p"]
    np.testing.assert_allclose(got, stats.dirichlet(alpha).mean())
    mean = np.array([1.0, -1.0])
    got = make_prior(("c",), stats.multivariate_normal(mean, np.eye(2))).central_point()["c"]
    np.testing.assert_array_equal(got, mean)
    nig = stats.normal_inverse_gamma(mu=0.5, lmbda=2.0, a=3.0, b=2.0)
    got = make_prior(("mu", "sigma2"), nig).central_point()
    assert float(got["mu"]) == 0.5
    np.testing.assert_allclose(stats.invgamma(3.0, scale=2.0).cdf(got["sigma2"]), 0.5)
    prior = make_prior(("coef", "sigma2"), normal_inverse_gamma([0.0, 1.0], 1.0, 2.5, 2.0))
    got = prior.central_point()
    np.testing.assert_array_equal(got["coef"], [0.0, 1.0])
    np.testing.assert_allclose(stats.invgamma(2.5, scale=2.0).cdf(got["sigma2"]), 0.5)


# ---------------------------------------------------------------------- conjugate roles
ROLE_FORMS = {
    "beta": lambda a, b: stats.beta(a, b),
    "gamma": lambda shape, rate: stats.gamma(shape, scale=1.0 / rate),
    "normal": lambda mean, sd: stats.norm(mean, sd),
    "invgamma": lambda shape, scale: stats.invgamma(shape, scale=scale),
}
ROLES = {
    "beta": [stats.beta(2.5, 1.7), stats.uniform(), stats.beta([1.0, 3.0], 2.0)],
    "gamma": [stats.gamma(2.3, scale=1.7), stats.expon(scale=0.4), stats.chi2(3.5, scale=2.0)],
    "normal": [stats.norm(0.3, 1.7), stats.norm([0.0, 1.0], [1.0, 2.0])],
    "invgamma": [stats.invgamma(3.1, scale=1.7)],
}


@pytest.mark.parametrize(
    ("kind", "dist"), [(kind, dist) for kind, dists in ROLES.items() for dist in dists]
)
def test_conjugate_role_is_the_same_distribution(kind, dist):
    prior = make_prior(("theta",), dist)
    params = prior.as_conjugate(kind)
    assert isinstance(params, tuple)
    form = ROLE_FORMS[kind](*params)
    x = dist.ppf(np.linspace(0.05, 0.95, 7)[:, None] * np.ones(np.shape(dist.mean())))
    np.testing.assert_allclose(form.logpdf(x), dist.logpdf(x), rtol=1e-12)
    for other in set(ROLE_FORMS) - {kind}:
        assert prior.as_conjugate(other) == ""


@pytest.mark.parametrize(
    ("dist", "kind", "reason"),
    [
        (stats.beta(2, 2, loc=0.1), "beta", "must have the standard loc=0, scale=1"),
        (stats.beta(2, 2, scale=0.5), "beta", "must have the standard loc=0, scale=1"),
        (stats.uniform(0.0, 2.0), "beta", ""),
        (stats.gamma(2, loc=1.0), "gamma", "a gamma prior must have loc=0 to be conjugate"),
        (stats.expon(loc=1.0), "gamma", "a expon prior must have loc=0"),
        (stats.chi2(3, loc=1.0), "gamma", "a chi2 prior must have loc=0"),
        (stats.invgamma(3, loc=1.0), "invgamma", "an invgamma prior must have loc=0"),
        (stats.lognorm(1.0), "gamma", ""),
    ],
)
def test_conjugate_role_refusals_say_why(dist, kind, reason):
    got = make_prior(("theta",), dist).as_conjugate(kind)
    assert isinstance(got, str)
    assert reason in got
    assert (got == "") == (reason == "")


def test_joint_conjugate_roles():
    alpha = np.array([1.0, 2.0])
    (got,) = make_prior(("p",), stats.dirichlet(alpha)).as_conjugate("dirichlet")
    np.testing.assert_array_equal(got, alpha)
    cov = np.array([[2.0, 0.5], [0.5, 1.0]])
    mean, precision = make_prior(("c",), stats.multivariate_normal([1.0, 2.0], cov)).as_conjugate(
        "mvnormal"
    )
    np.testing.assert_allclose(precision @ cov, np.eye(2), atol=1e-14)
    np.testing.assert_array_equal(mean, [1.0, 2.0])
    assert make_prior(("c",), stats.multivariate_normal([0.0], 1.0)).as_conjugate("beta") == ""


# ------------------------------------------------------------------------------- HDI paths
@pytest.mark.parametrize("name", UNIVARIATE_FAMILIES)
def test_hdi_path_is_valid_for_the_family(name):
    record = family(name)
    dist = frozen(name)
    if record.hdi == "central":  # symmetric about loc: the HDI is the central interval
        d = np.linspace(0.01, 1.5, 9) * dist.std() if np.isfinite(dist.std()) else np.ones(9)
        d = np.minimum(d, 0.99 * (dist.support()[1] - dist.median()))
        np.testing.assert_allclose(
            dist.logpdf(dist.median() + d), dist.logpdf(dist.median() - d), rtol=1e-12
        )
    elif record.hdi is not None:  # the closed-form solver's family, after hdi_form
        shapes = tuple(np.asarray(s, dtype=float) for s in SHAPES.get(name, ()))
        scale = np.asarray(1.7)
        if record.hdi_form is not None:
            shapes, scale = record.hdi_form(shapes, scale)
        target = getattr(stats, record.hdi)(*shapes, loc=0.0, scale=scale)
        base = getattr(stats, name)(*SHAPES.get(name, ()), scale=1.7)
        x = base.ppf(np.linspace(0.05, 0.95, 7))
        np.testing.assert_allclose(target.logpdf(x), base.logpdf(x), rtol=1e-12)


def test_hdi_paths_name_the_closed_form_solvers():
    from bayesgd.numerics.families import _FAST as solvers

    paths = {record.hdi for record in FAMILIES.values()} - {None, "central"}
    assert paths <= set(solvers)


# ------------------------------------------------------------------------ PyMC constructors
NATIVE = {
    "norm": "Normal",
    "t": "StudentT",
    "cauchy": "Cauchy",
    "laplace": "Laplace",
    "logistic": "Logistic",
    "gumbel_r": "Gumbel",
    "uniform": "Uniform",
    "truncnorm": "TruncatedNormal",
    "gamma": "Gamma",
    "invgamma": "InverseGamma",
    "halfnorm": "HalfNormal",
    "halfcauchy": "HalfCauchy",
    "lognorm": "LogNormal",
    "expon": "Exponential",
    "weibull_min": "Weibull",
    "skewnorm": "SkewNormal",
    "pareto": "Pareto",
    "invgauss": "Wald",
}


@pytest.mark.parametrize(("name", "pymc_name"), NATIVE.items())
def test_pymc_constructor_names_pymc_own_distribution(name, pymc_name):
    assert family(name).pymc.pymc_name == pymc_name
