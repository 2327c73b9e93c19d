"""A grid posterior's returned arrays never alias its state, and its marginal density hook.

Every array or dict a GridPosterior returns is written to; its answers must not change.
``marginal_pdf`` is checked against exact marginals (scipy) and for unit mass by quadrature.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

import bayesgd as bg
from bayesgd.grid import grid

pytestmark = pytest.mark.filterwarnings("error::bayesgd.errors.GridWarning")

Y = np.random.default_rng(5).normal(1.0, 2.0, size=20)
NIG = (0.0, 1.0, 2.0, 2.0)


def _answers(post) -> dict:
    return {
        "mean": post.mean(),
        "sd": post.sd(),
        "mode": post.mode(),
        "q": post.quantile([0.1, 0.9]),
        "hdi": post.hdi(),
        "summary": post.summary().to_numpy(),
        "log_density": post.log_density,
        "axes": post.axes,
        "bounds": post.bounds,
        "points": post.points,
        "spacing": post.spacing,
        "edge_mass": post.edge_mass,
        "sd_spacings": post.sd_spacings,
        "truncated": post.truncated,
        "log_evidence": post.log_evidence,
    }


def _scribble(value) -> None:
    """Write zeros into every array (and clear every dict) reachable from ``value``."""
    if isinstance(value, np.ndarray):
        if value.flags.writeable:
            value[...] = 0
    elif isinstance(value, dict):
        for v in list(value.values()):
            _scribble(v)
        value.clear()
    elif isinstance(value, tuple | list):
        for v in value:
            _scribble(v)


def _same(a, b) -> None:
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, tuple | list):
        for u, v in zip(a, b, strict=True):
            _same(u, v)
    else:
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "make",
    [
        lambda: bg.Normal(y=Y, prior=stats.normal_inverse_gamma(*NIG)),
        lambda: bg.Multinomial(x=[[3, 4, 5]], p=stats.dirichlet([1.0, 1.0, 1.0])),
        lambda: bg.LogisticRegression(
            X=Y[:, None], y=(Y > 1).astype(int), coef=stats.norm(0, 2.5), intercept=1.0
        ),
    ],
)
def test_writing_to_returned_arrays_leaves_the_posterior_unchanged(make):
    post = grid(make(), points=101)
    before = _answers(post)
    for value in _answers(post).values():
        _scribble(value)
    for label in post.summary().index:  # every element, the implied last component too
        x, dens = post.marginal(label)
        x0, d0 = x.copy(), dens.copy()
        pdf = post.marginal_pdf(label, x0)
        p0 = pdf.copy()
        x[:] = 0
        dens[:] = 0
        pdf[:] = 0
        x2, dens2 = post.marginal(label)
        np.testing.assert_array_equal(x2, x0)
        np.testing.assert_array_equal(dens2, d0)
        np.testing.assert_array_equal(post.marginal_pdf(label, x0), p0)
    _same(_answers(post), before)


def _exact_nig(y):
    mu0, lam0, a0, b0 = NIG
    n, ybar = y.size, y.mean()
    lam = lam0 + n
    mu = (lam0 * mu0 + n * ybar) / lam
    a = a0 + n / 2
    b = b0 + 0.5 * np.sum((y - ybar) ** 2) + lam0 * n * (ybar - mu0) ** 2 / (2 * lam)
    return {
        "mu": stats.t(2 * a, loc=mu, scale=np.sqrt(b / (a * lam))),
        "sigma2": stats.invgamma(a, scale=b),
    }


def test_marginal_pdf_matches_the_exact_normal_inverse_gamma_marginals():
    post = grid(bg.Normal(y=Y, prior=stats.normal_inverse_gamma(*NIG)))
    for name, dist in _exact_nig(Y).items():
        low, high = post.bounds[name]
        x = dist.ppf(np.linspace(0.001, 0.999, 41))
        np.testing.assert_allclose(post.marginal_pdf(name, x), dist.pdf(x), rtol=1e-4)
        t = np.linspace(low, high, 1_000_001)
        mass = integrate.trapezoid(post.marginal_pdf(name, t), t)
        assert mass == pytest.approx(1.0, abs=1e-6)
        assert post.marginal_pdf(name, [low - 1.0, high + 1.0]).tolist() == [0.0, 0.0]
    assert post.marginal_pdf("mu", 0.5).shape == ()


def test_marginal_pdf_of_vector_elements_and_the_implied_component():
    x = [3, 4, 5]
    post = grid(bg.Multinomial(x=[x], p=stats.dirichlet([1.0, 1.0, 1.0])))
    a = np.asarray(x) + 1.0
    for k in range(3):
        exact = stats.beta(a[k], a.sum() - a[k])
        at = exact.ppf(np.linspace(0.01, 0.99, 25))
        np.testing.assert_allclose(post.marginal_pdf(f"p[{k}]", at), exact.pdf(at), rtol=5e-3)
        t = np.linspace(0.0, 1.0, 200_001)
        assert integrate.trapezoid(post.marginal_pdf(f"p[{k}]", t), t) == pytest.approx(
            1.0, abs=1e-6
        )


def test_marginal_pdf_refuses_bad_arguments():
    post = grid(bg.Binomial(k=3, n=10, p=stats.beta(1, 1)))
    with pytest.raises(ValueError, match="unknown parameter 'q'"):
        post.marginal_pdf("q", 0.5)
    with pytest.raises(TypeError, match="parameter name"):
        post.marginal_pdf(0, 0.5)
    with pytest.raises(ValueError, match="x must not contain NaN"):
        post.marginal_pdf("p", [0.5, np.nan])
    with pytest.raises(TypeError, match="x must be numeric"):
        post.marginal_pdf("p", "half")


def test_updates_use_the_arguments_as_given_not_as_later_changed():
    bounds = {"p": (0.001, 0.999)}
    points = {"p": 301}
    post = grid(bg.Binomial(k=3, n=10, p=stats.beta(1, 1)), bounds=bounds, points=points)
    bounds["p"] = (0.5, 0.6)
    points["p"] = 5
    again = post.updated(k=4, n=10)
    assert again.bounds["p"] == (0.001, 0.999)
    assert again.points == {"p": 301}
    exact = stats.beta(1 + 7, 1 + 13)
    assert again.mean()["p"] == pytest.approx(exact.mean(), rel=1e-6)


def test_marginal_pdf_of_the_implied_component_of_two():
    post = grid(bg.Categorical(y=[0, 1, 1, 1, 0, 1], p=stats.dirichlet([2.0, 1.0])))
    for k, exact in ((0, stats.beta(4, 5)), (1, stats.beta(5, 4))):
        at = exact.ppf(np.linspace(0.01, 0.99, 25))
        np.testing.assert_allclose(post.marginal_pdf(f"p[{k}]", at), exact.pdf(at), rtol=1e-5)
