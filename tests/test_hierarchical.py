"""Nested grids over hyperparameters against brute-force quadrature (BDA3 chapter 5)."""

import numpy as np
import pytest
from scipy import integrate, optimize, special, stats

import bayesgd as bg
from bayesgd.hierarchical import Binomial, Normal, Poisson, datasets, nested_grid

Y8 = np.array([28.0, 8, -3, 7, -1, 1, 18, 12])
S8 = np.array([15.0, 10, 16, 11, 9, 11, 10, 18])


def eight_schools():
    spec = bg.hierarchical(
        stats.norm,
        log_prior=lambda loc, scale: np.zeros(np.shape(loc)),
        names={"loc": "mu", "scale": "tau"},
        name="theta",
    )
    return Normal(y=Y8, sigma=S8, mu=spec)


def _es_parts(tau):
    """BDA3 (5.19)-(5.21): p(tau | y) up to a constant, and theta_j | tau, y."""
    v = S8**2 + tau**2
    vmu = 1 / np.sum(1 / v)
    muhat = vmu * np.sum(Y8 / v)
    logp = 0.5 * np.log(vmu) + np.sum(stats.norm.logpdf(Y8, muhat, np.sqrt(v)))
    prec = 1 / S8**2 + 1 / tau**2
    mean = (Y8 / S8**2 + muhat / tau**2) / prec
    var = 1 / prec + (1 / tau**2 / prec) ** 2 * vmu
    return logp, muhat, mean, np.sqrt(var)


@pytest.fixture(scope="module")
def es_reference():
    c = _es_parts(5.0)[0]

    def dens(t):
        return np.exp(_es_parts(t)[0] - c)

    def expect(f):
        return integrate.quad(lambda t: f(t) * dens(t), 0, np.inf, limit=200)[0] / z

    z = integrate.quad(dens, 0, np.inf, limit=200)[0]
    ref = {
        "tau": expect(lambda t: t),
        "mu": expect(lambda t: _es_parts(t)[1]),
        "theta": np.array([expect(lambda t, j=j: _es_parts(t)[2][j]) for j in range(8)]),
    }
    tau_cdf = lambda x: integrate.quad(dens, 0, x, limit=200)[0] / z  # noqa: E731
    ref["tau_median"] = optimize.brentq(lambda x: tau_cdf(x) - 0.5, 0.1, 50)

    def theta_cdf(x, j):
        return expect(lambda t: stats.norm.cdf(x, _es_parts(t)[2][j], _es_parts(t)[3][j]))

    ref["interval"] = np.array(
        [
            [optimize.brentq(lambda x, j=j, q=q: theta_cdf(x, j) - q, -100, 100) for j in range(8)]
            for q in (0.025, 0.975)
        ]
    )
    return ref


def test_eight_schools_against_quadrature(es_reference):
    post = nested_grid(eight_schools())
    assert post.inner == "exact"
    mean = post.mean()
    assert mean["tau"] == pytest.approx(es_reference["tau"], rel=1e-4)
    assert mean["mu"] == pytest.approx(es_reference["mu"], rel=1e-4)
    np.testing.assert_allclose(mean["theta"], es_reference["theta"], rtol=1e-4)
    assert post.median()["tau"] == pytest.approx(es_reference["tau_median"], rel=2e-3)
    # the group quantiles carry the grid's error in mu where tau is small (each component is
    # then narrower than the mu spacing): 1e-2 on intervals 20-34 wide, shrinking with points
    q = post.quantile([0.025, 0.975])["theta"]
    np.testing.assert_allclose(q, es_reference["interval"], atol=1e-2)
    fine = nested_grid(eight_schools(), points=401).quantile([0.025, 0.975])["theta"]
    assert np.max(np.abs(fine - es_reference["interval"])) < 0.5 * np.max(
        np.abs(q - es_reference["interval"])
    )


def test_eight_schools_draws_and_summary(es_reference):
    post = nested_grid(eight_schools(), points=101)
    draws = post.sample(20000, rng=1)
    assert draws["theta"].shape == (20000, 8)
    se = draws["theta"].std(0) / np.sqrt(20000)
    assert np.all(np.abs(draws["theta"].mean(0) - es_reference["theta"]) < 5 * se)
    table = post.summary(prob=0.95)
    assert list(table.index[:3]) == ["mu", "tau", "theta[0]"]
    low, high = post.hdi(0.95)["theta"]
    assert np.all(low < es_reference["theta"]) and np.all(es_reference["theta"] < high)
    with pytest.raises(AttributeError, match="improper"):
        _ = post.log_evidence


def _rat_reference(k, n, box, nodes=400):
    """Brute-force 2-D Gauss-Legendre quadrature over (log(a/b), log(a+b)) on ``box``."""
    (u0, u1), (v0, v1) = box
    x, w = np.polynomial.legendre.leggauss(nodes)
    u = 0.5 * (u1 - u0) * x + 0.5 * (u1 + u0)
    v = 0.5 * (v1 - v0) * x + 0.5 * (v1 + v0)
    uu, vv = np.meshgrid(u, v, indexing="ij")
    a = np.exp(vv) / (1 + np.exp(-uu))
    b = np.exp(vv) / (1 + np.exp(uu))
    logp = np.log(a) + np.log(b) - 2.5 * np.log(a + b)
    for kj, nj in zip(k, n, strict=True):
        logp += special.betaln(a + kj, b + nj - kj) - special.betaln(a, b)
    ww = np.outer(w, w) * np.exp(logp - logp.max())
    ww /= ww.sum()
    last = (a + k[-1]) / (a + b + n[-1])
    return {"a": np.sum(ww * a), "b": np.sum(ww * b), "p71": np.sum(ww * last)}


def test_rat_tumours_against_quadrature():
    df = datasets.load("rats")
    k, n = df["tumors"].to_numpy(float), df["rats"].to_numpy(float)
    # under p(a, b) ∝ (a + b)^(-5/2) the tail in log(a + b) decays like exp(-v / 2), so the
    # means of a and b exist only on a bounded box (BDA3's grid is one): compare on the same box
    box = ((-2.6, -0.8), (0.5, 8.0))
    ref = _rat_reference(k, n, box)
    m = Binomial(
        k=k, n=n, p=bg.hierarchical(stats.beta, log_prior=lambda a, b: -2.5 * np.log(a + b))
    )
    post = nested_grid(m, points=151, bounds={"log(a/b)": box[0], "log(a+b)": box[1]})
    mean = post.mean()
    assert mean["a"] == pytest.approx(ref["a"], rel=1e-4)
    assert mean["b"] == pytest.approx(ref["b"], rel=1e-4)
    assert mean["p"][-1] == pytest.approx(ref["p71"], rel=1e-5)
    assert mean["a"] == pytest.approx(2.4, abs=0.05)  # BDA3 p. 111
    assert mean["b"] == pytest.approx(14.3, abs=0.05)


def test_two_groups_against_full_joint():
    """Proper hyperpriors, two groups: the 4-D joint (a, b, p1, p2) by brute force."""
    k, n = np.array([3.0, 9.0]), np.array([12.0, 15.0])
    ha, hb = stats.gamma(2, scale=2), stats.gamma(2, scale=4)
    m = Binomial(k=k, n=n, p=bg.hierarchical(stats.beta, a=ha, b=hb))
    post = nested_grid(m, points=121)
    # the joint on a dense grid over log a, log b and Gauss-Legendre in p1, p2 (no closed form)
    la = np.linspace(-5, 4.5, 241)
    lb = np.linspace(-5, 5.5, 241)
    x, wp = np.polynomial.legendre.leggauss(200)
    p = 0.5 * (x + 1)
    wp = 0.5 * wp
    A, B = np.meshgrid(np.exp(la), np.exp(lb), indexing="ij")
    inner, first = [], []
    for kj, nj in zip(k, n, strict=True):
        f = stats.binom.pmf(kj, nj, p)[:, None, None] * stats.beta.pdf(
            p[:, None, None], A, B
        )  # (P, A, B)
        inner.append(np.einsum("p,pab->ab", wp, f))
        first.append(np.einsum("p,pab->ab", wp * p, f))
    prior = ha.pdf(A) * hb.pdf(B) * A * B  # density of (log a, log b)
    joint = prior * inner[0] * inner[1]
    cell = (la[1] - la[0]) * (lb[1] - lb[0])
    evidence = joint.sum() * cell
    mean_p1 = (prior * first[0] * inner[1]).sum() * cell / evidence
    mean_a = (joint * A).sum() * cell / evidence
    assert post.log_evidence == pytest.approx(np.log(evidence), abs=1e-5)
    assert post.mean()["p"][0] == pytest.approx(mean_p1, rel=1e-5)
    assert post.mean()["a"] == pytest.approx(mean_a, rel=1e-4)


def test_pumps_evidence_against_quadrature():
    df = datasets.load("pumps")
    k, t = df["failures"].to_numpy(float), df["thousand_hours"].to_numpy(float)
    ha, hs = stats.expon(scale=1.0), stats.gamma(2, scale=1.0)
    m = Poisson(k=k, exposure=t, mu=bg.hierarchical(stats.gamma, a=ha, scale=hs))
    post = nested_grid(m)

    def integrand(s, a):
        nb = stats.nbinom.logpmf(k, a, (1 / s) / (1 / s + t))
        return np.exp(nb.sum() + ha.logpdf(a) + hs.logpdf(s) + 20)

    z = integrate.dblquad(integrand, 0, 20, 0, 20, epsabs=1e-13, epsrel=1e-9)[0]
    assert post.log_evidence == pytest.approx(np.log(z) - 20, abs=1e-5)
    # each rate's posterior mean: E[(a + k) / (1/s + t)]
    mean1 = integrate.dblquad(
        lambda s, a: integrand(s, a) * (a + k[0]) / (1 / s + t[0]),
        0,
        20,
        0,
        20,
        epsabs=1e-13,
        epsrel=1e-9,
    )[0]
    assert post.mean()["mu"][0] == pytest.approx(mean1 / z, rel=1e-5)


def test_groups_labels_aggregate():
    spec = bg.hierarchical(stats.beta, a=stats.expon(scale=5), b=stats.expon(scale=5))
    rows = Binomial(k=[1, 0, 2, 3], n=[3, 2, 4, 5], groups=["x", "x", "y", "y"], p=spec)
    total = Binomial(k=[1, 5], n=[5, 9], p=spec)
    z = np.array([[0.1, 1.0], [-0.5, 2.0]])
    diff = rows.log_marginal_posterior(z) - total.log_marginal_posterior(z)
    # the rows' binomial coefficients differ from the totals' by a constant
    const = np.sum(np.log([special.comb(3, 1), special.comb(2, 0), special.comb(4, 2), 10]))
    const -= np.log(special.comb(5, 1) * special.comb(9, 5))
    np.testing.assert_allclose(diff, const)
    assert rows.parameters["p"].element_names() == ["p[x]", "p[y]"]
