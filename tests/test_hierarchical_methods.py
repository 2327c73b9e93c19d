"""Marginal MAP, Laplace, PyMC and bad input for hierarchical models."""

import warnings

import numpy as np
import pytest
from scipy import optimize, special, stats

import bayesgd as bg
from bayesgd.hierarchical import (
    Bernoulli,
    Binomial,
    Normal,
    Poisson,
    datasets,
    marginal_laplace,
    marginal_map,
    nested_grid,
)

Y8 = np.array([28.0, 8, -3, 7, -1, 1, 18, 12])
S8 = np.array([15.0, 10, 16, 11, 9, 11, 10, 18])
PUMPS = datasets.load("pumps")
K, T = PUMPS["failures"].to_numpy(float), PUMPS["thousand_hours"].to_numpy(float)
HA, HS = stats.expon(scale=1.0), stats.gamma(2, scale=1.0)


def pumps():
    return Poisson(k=K, exposure=T, mu=bg.hierarchical(stats.gamma, a=HA, scale=HS))


def neg_log_post(x):
    """-log p(a, scale | y), written independently: negative binomial marginals."""
    a, s = x
    if a <= 0 or s <= 0:
        return np.inf
    return -(stats.nbinom.logpmf(K, a, (1 / s) / (1 / s + T)).sum() + HA.logpdf(a) + HS.logpdf(s))


MODELS = {
    "beta": lambda: Binomial(
        k=[0, 3, 7, 2],
        n=[10, 12, 15, 9],
        p=bg.hierarchical(stats.beta, a=stats.gamma(2, scale=2), b=stats.expon(scale=10)),
    ),
    "beta-improper": lambda: Binomial(
        k=[0, 3, 7, 2],
        n=[10, 12, 15, 9],
        p=bg.hierarchical(stats.beta, log_prior=lambda a, b: -2.5 * np.log(a + b)),
    ),
    "norm": lambda: Normal(
        y=[2.0, -1.0, 4.0],
        sigma=[1.0, 2.0, 1.5],
        mu=bg.hierarchical(stats.norm, loc=stats.norm(0, 5), scale=stats.halfnorm(scale=3)),
    ),
    "gamma": pumps,
    "fixed": lambda: Binomial(
        k=[0, 3, 7], n=[10, 12, 15], p=bg.hierarchical(stats.beta, a=2.0, b=stats.expon(scale=9))
    ),
}


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("jacobian", [True, False])
def test_gradient_matches_finite_differences(name, jacobian):
    m = MODELS[name]()
    z = m.coords.inverse(m.inner.start()) if not m.spec.fixed else np.array([np.log(3.0)])
    z = z + 0.1
    _, grad = m.value_and_grad(z, jacobian=jacobian)

    def f(x):
        return m.log_marginal_posterior(np.asarray(x)[None], jacobian=jacobian)[0]

    fd = optimize.approx_fprime(z, f, 1e-7)
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-6)


def test_marginal_map_matches_independent_optimum():
    fit = marginal_map(pumps())
    ref = optimize.minimize(
        neg_log_post,
        [1.0, 1.0],
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 5000},
    )
    assert fit.converged and not fit.at_boundary
    assert fit.params["a"] == pytest.approx(ref.x[0], rel=1e-6)
    assert fit.params["scale"] == pytest.approx(ref.x[1], rel=1e-6)


def test_marginal_map_jacobian_and_boundary():
    spec = bg.hierarchical(
        stats.norm,
        log_prior=lambda loc, scale: 0 * loc,
        names={"loc": "mu", "scale": "tau"},
        name="theta",
    )
    m = Normal(y=[28.0, 8, -3, 7, -1, 1, 18, 12], sigma=[15.0, 10, 16, 11, 9, 11, 10, 18], mu=spec)
    with pytest.warns(bg.BoundaryWarning, match="edge"):
        fit = marginal_map(m)  # flat prior on tau: p(tau | y) is largest at tau = 0
    assert fit.at_boundary and fit.params["tau"] == 0.0
    assert fit.params["mu"] == pytest.approx(np.average(Y8, weights=1 / S8**2), rel=1e-6)
    fit = marginal_map(m, jacobian=True)
    assert fit.converged and 1 < fit.params["tau"] < 20


def test_marginal_laplace_covariance_is_inverse_hessian():
    m = pumps()
    post = marginal_laplace(m, draws=20000, rng=3)
    # the Hessian of log p(log a, log s | y) by finite differences of the independent objective
    z0 = post.mode_z

    def logp(z):
        return -neg_log_post(np.exp(z)) + z.sum()

    h = 1e-4
    hess = np.empty((2, 2))
    for i in range(2):
        for j in range(2):
            ei, ej = np.eye(2)[i] * h, np.eye(2)[j] * h
            hess[i, j] = (
                logp(z0 + ei + ej) - logp(z0 + ei - ej) - logp(z0 - ei + ej) + logp(z0 - ei - ej)
            ) / (4 * h * h)
    np.testing.assert_allclose(post.cov_z, np.linalg.inv(-hess), rtol=1e-4)
    grid = nested_grid(m)
    # the Laplace draws land near the exact answer for this well-identified model
    np.testing.assert_allclose(post.mean()["mu"], grid.mean()["mu"], rtol=0.05)


def test_bernoulli_equals_binomial_totals():
    spec = bg.hierarchical(stats.beta, a=stats.expon(scale=5), b=stats.expon(scale=5))
    y = np.array([1, 0, 0, 1, 1, 1, 0])
    g = np.array(["u", "u", "u", "v", "v", "v", "v"])
    bern = nested_grid(Bernoulli(y=y, groups=g, p=spec), points=61)
    binom = nested_grid(Binomial(k=[1, 3], n=[3, 4], p=spec), points=61)
    np.testing.assert_allclose(bern.mean()["p"], binom.mean()["p"], rtol=1e-10)
    # Bernoulli rows carry no binomial coefficients
    assert bern.log_evidence == pytest.approx(binom.log_evidence - np.log(3 * 4), abs=1e-10)


# ------------------------------------------------------------------------- bad input
def test_no_group_axis():
    spec = bg.hierarchical(stats.beta, a=stats.expon(), b=stats.expon())
    with pytest.raises(ValueError, match="group axis"):
        Binomial(k=3, n=10, p=spec)
    with pytest.raises(ValueError, match="group axis"):
        Binomial(k=[[1, 2], [3, 4]], n=10, p=spec)


def test_group_labels_must_match():
    spec = bg.hierarchical(stats.beta, a=stats.expon(), b=stats.expon())
    with pytest.raises(ValueError, match="groups= must be 1-D with one label per observation"):
        Binomial(k=[1, 2, 3], n=10, groups=["a", "b"], p=spec)


def test_hyperprior_support_must_fit():
    with pytest.raises(ValueError, match="does not fit scale's domain"):
        bg.hierarchical(stats.norm, loc=stats.norm(0, 1), scale=stats.norm(0, 1))
    with pytest.raises(ValueError, match="outside its domain"):
        bg.hierarchical(stats.beta, a=-1.0, b=stats.expon())
    with pytest.raises(ValueError, match="no prior for"):
        bg.hierarchical(stats.beta, a=stats.expon())
    with pytest.raises(TypeError, match=r"stats\.beta has parameters"):
        bg.hierarchical(stats.beta, loc=stats.norm())
    with pytest.raises(TypeError, match="family must be one of"):
        bg.hierarchical(stats.beta(1, 1))


def test_family_must_match_likelihood():
    with pytest.raises(ValueError, match=r"needs hierarchical\(stats.beta"):
        Binomial(k=[1, 2], n=[3, 4], p=bg.hierarchical(stats.gamma, a=stats.expon(), scale=1.0))
    with pytest.raises(TypeError, match=r"bg\.hierarchical"):
        Binomial(k=[1, 2], n=[3, 4], p=stats.beta(1, 1))


def test_grid_refuses_more_than_four(monkeypatch):
    from bayesgd.hierarchical import grid

    m = pumps()
    monkeypatch.setattr(grid, "MAX_HYPER", 1)
    with pytest.raises(ValueError, match="too large: at most 1"):
        nested_grid(m)


def test_bad_points_and_bounds():
    m = pumps()
    with pytest.raises(ValueError, match="points"):
        nested_grid(m, points=2)
    with pytest.raises(ValueError, match="bounds must have exactly the keys"):
        nested_grid(m, bounds={"a": (0.1, 5)})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(bg.GridWarning, match="widen bounds"):
            nested_grid(m, bounds={"a": (0.5, 1.0), "scale": (0.5, 2.0)}, points=21)


def test_nuts_on_non_centred_eight_schools():
    """A small seeded NUTS run agrees with the nested grid (itself checked by quadrature)."""
    import arviz as az

    from bayesgd.hierarchical.pymc import sample

    spec = bg.hierarchical(
        stats.norm,
        log_prior=lambda loc, scale: 0 * loc,
        names={"loc": "mu", "scale": "tau"},
        name="theta",
    )
    m = Normal(y=[28.0, 8, -3, 7, -1, 1, 18, 12], sigma=[15.0, 10, 16, 11, 9, 11, 10, 18], mu=spec)
    nuts = sample(m, draws=1000, tune=1000, chains=2, rng=11)
    assert nuts.divergences <= 10
    exact = nested_grid(m).mean()
    for name in ("mu", "tau", "theta"):
        mcse = np.asarray(az.mcse(nuts.idata, var_names=[name])[name])
        diff = np.abs(np.asarray(nuts.mean()[name]) - np.asarray(exact[name]))
        assert np.all(diff < 4 * mcse), (name, diff, mcse)


def test_build_model_hook_and_compare():
    spec = bg.hierarchical(stats.gamma, a=HA, scale=HS)
    m = spec.build_model("poisson", k=K, exposure=T, mu=spec)
    np.testing.assert_array_equal(m.inner.k, K)
    with pytest.raises(NotImplementedError, match="no hierarchical lognormal"):
        spec.build_model("lognormal", y=[1.0, 2.0], mu=spec)
    from bayesgd.hierarchical import compare

    table = compare(m, methods=("grid", "map"))
    grid_a = table.query("method == 'grid' and parameter == 'a'")["mean"].item()
    assert grid_a == pytest.approx(nested_grid(m).mean()["a"], rel=1e-12)
    assert set(table.query("method == 'map'")["parameter"]) == {"a", "scale"}


def test_memory_linear_in_groups():
    """10,000 groups: chunked evaluation keeps the peak far below hyper points x groups."""
    import tracemalloc

    rng = np.random.default_rng(0)
    n = rng.integers(5, 50, size=10_000).astype(float)
    k = rng.binomial(n.astype(int), rng.beta(2, 8, size=10_000)).astype(float)
    m = Binomial(k=k, n=n, p=bg.hierarchical(stats.beta, a=HA, b=stats.expon(scale=20)))
    tracemalloc.start()
    post = nested_grid(m, points=61)
    mean = post.mean()["p"]
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert mean.shape == (10_000,)
    # one unchunked (points^2 x groups) float array alone would be 61^2 * 1e4 * 8 = 298 MB
    assert peak < 150e6
    # partial pooling: each group's mean lies between its own rate and the pooled one
    own, pooled = k / n, k.sum() / n.sum()
    assert np.all((mean - own) * (mean - pooled) <= 1e-12)


@pytest.mark.parametrize("name", ["beta", "norm", "gamma"])
def test_to_pymc_log_density_matches_scipy(name):
    """The PyMC model's joint log density at a point, against scipy written out here."""
    from bayesgd.hierarchical.pymc import to_pymc

    m = MODELS[name]()
    pm_model = to_pymc(m)
    rng = np.random.default_rng(5)
    g = m.n_groups
    inner = m.inner
    if name == "beta":
        a, b, p = 1.7, 6.0, rng.uniform(0.1, 0.6, g)
        point = {"a_log__": np.log(a), "b_log__": np.log(b), "p_logodds__": special.logit(p)}
        ref = stats.gamma(2, scale=2).logpdf(a) + stats.expon(scale=10).logpdf(b)
        ref += np.log(a) + np.log(b)  # Jacobians of the log transforms
        ref += np.sum(stats.beta.logpdf(p, a, b) + np.log(p * (1 - p)))
        ref += np.sum(stats.binom.logpmf(inner.k, inner.n, p))
    elif name == "norm":
        loc, scale, eta = 0.7, 1.3, rng.normal(size=g)
        point = {"loc": loc, "scale_log__": np.log(scale), "mu_eta": eta}
        ref = stats.norm(0, 5).logpdf(loc) + stats.halfnorm(scale=3).logpdf(scale) + np.log(scale)
        ref += np.sum(stats.norm.logpdf(eta))
        ref += np.sum(stats.norm.logpdf(inner.y, loc + scale * eta, np.sqrt(inner.s2)))
    else:
        a, s, mu = 0.8, 1.5, rng.uniform(0.05, 2.0, g)
        point = {"a_log__": np.log(a), "scale_log__": np.log(s), "mu_log__": np.log(mu)}
        ref = HA.logpdf(a) + HS.logpdf(s) + np.log(a) + np.log(s)
        ref += np.sum(stats.gamma.logpdf(mu, a, scale=s) + np.log(mu))
        ref += np.sum(stats.poisson.logpmf(inner.k, mu * inner.t))
    assert float(pm_model.compile_logp()(point)) == pytest.approx(ref, rel=1e-10)


def test_model_hooks_route_to_the_hierarchical_methods():
    m = pumps()
    assert m.is_hierarchical
    assert m.nested_grid(points=51).mean()["a"] == pytest.approx(
        nested_grid(m, points=51).mean()["a"], rel=1e-12
    )
    assert m.marginal_map().params == marginal_map(m).params
    assert set(m.compare(methods=("map",))["parameter"]) == {"a", "scale"}
