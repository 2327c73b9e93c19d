"""The Laplace-inner (INLA-style) nested grid: a Poisson GLMM with group intercepts."""

import numpy as np
import pytest
from scipy import integrate, optimize, special, stats

import bayesgd as bg
from bayesgd.hierarchical import Binomial, Poisson, marginal_map, nested_grid

K = np.array([12.0, 30, 7, 45, 22, 16])
T = np.array([2.0, 3.0, 1.5, 4.0, 2.5, 3.0])
LOC, SCALE = stats.norm(1.5, 2.0), stats.halfnorm(scale=1.0)


def glmm():
    return Poisson(k=K, exposure=T, log_mu=bg.hierarchical(stats.norm, loc=LOC, scale=SCALE))


def exact_group_log_marginal(m, s, j):
    """log ∫ Poisson(k_j | t_j e^b) N(b | m, s) db by adaptive quadrature."""

    def f(b):
        return np.exp(
            stats.poisson.logpmf(K[j], T[j] * np.exp(b)) + stats.norm.logpdf(b, m, s) + 5
        )

    lo, hi = np.log(K[j] / T[j]) - 3, np.log(K[j] / T[j]) + 3
    return np.log(integrate.quad(f, lo - 5, hi + 5, points=[lo, hi], epsabs=0, limit=200)[0]) - 5


def test_laplace_inner_close_to_exact_integral():
    m = glmm()
    h = {"loc": np.array([1.8]), "scale": np.array([0.6])}
    approx = m.inner.log_marginal(h)[0]
    exact = sum(exact_group_log_marginal(1.8, 0.6, j) for j in range(len(K)))
    # Laplace's error per group is O(1/k): small but not zero at these counts
    assert approx == pytest.approx(exact, abs=0.02)
    assert approx != pytest.approx(exact, abs=1e-9)


@pytest.mark.parametrize("jacobian", [True, False])
def test_implicit_function_gradient(jacobian):
    m = glmm()
    z = np.array([0.3, -0.4])
    _, grad = m.value_and_grad(z, jacobian=jacobian)

    def f(x):
        return m.log_marginal_posterior(np.asarray(x)[None], jacobian=jacobian)[0]

    np.testing.assert_allclose(grad, optimize.approx_fprime(z, f, 1e-7), rtol=1e-5, atol=1e-6)


def test_nested_laplace_grid_against_exact_quadrature_grid():
    """The same grid with the groups integrated out by quadrature instead (truth)."""
    m = glmm()
    post = nested_grid(m, points=41)
    assert post.inner == "laplace"
    mesh = np.stack(np.meshgrid(*post.axes, indexing="ij"), -1).reshape(-1, 2)
    h = m.hyper_at(mesh)
    x, w = np.polynomial.hermite_e.hermegauss(80)  # probabilists' Gauss-Hermite in b
    b = h["loc"][:, None] + h["scale"][:, None] * x  # (P, X)
    logp = LOC.logpdf(h["loc"]) + SCALE.logpdf(h["scale"]) + m.coords.forward(mesh)[1]
    cond_mean = []
    for j in range(len(K)):
        pmf = stats.poisson.pmf(K[j], T[j] * np.exp(b))
        like = pmf @ (w / np.sqrt(2 * np.pi))
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = (pmf * b) @ (w / np.sqrt(2 * np.pi)) / like
        cond_mean.append(np.where(like > 0, ratio, 0.0))  # weight 0 where like underflows
        with np.errstate(divide="ignore"):
            logp = logp + np.log(like)
    wt = np.exp(logp - special.logsumexp(logp))
    truth = {"loc": wt @ h["loc"], "scale": wt @ h["scale"], "log_mu": wt @ np.array(cond_mean).T}
    mean = post.mean()
    assert mean["loc"] == pytest.approx(truth["loc"], rel=5e-3)
    assert mean["scale"] == pytest.approx(truth["scale"], rel=5e-2)
    # each group's log rate: the mixture of Laplace Gaussians against the exact conditionals
    np.testing.assert_allclose(mean["log_mu"], truth["log_mu"], atol=0.02)


def test_marginal_map_and_exact_refused():
    m = glmm()
    fit = marginal_map(m)
    assert fit.converged
    with pytest.raises(bg.NotConjugateError, match="not conjugate"):
        nested_grid(m, inner="exact")
    conj = Poisson(k=K, exposure=T, mu=bg.hierarchical(stats.gamma, a=1.0, scale=stats.expon()))
    with pytest.raises(bg.NotConjugateError, match="exact: conjugate"):
        nested_grid(conj, inner="laplace")


KB = np.array([2.0, 9, 0, 5, 14, 3])
NB = np.array([15.0, 20, 12, 18, 25, 10])
LOCB = stats.norm(0, 3)


def logit_glmm():
    return Binomial(k=KB, n=NB, logit_p=bg.hierarchical(stats.norm, loc=LOCB, scale=SCALE))


@pytest.mark.parametrize("jacobian", [True, False])
def test_logit_implicit_function_gradient(jacobian):
    m = logit_glmm()
    z = np.array([-0.2, 0.3])
    _, grad = m.value_and_grad(z, jacobian=jacobian)

    def f(x):
        return m.log_marginal_posterior(np.asarray(x)[None], jacobian=jacobian)[0]

    np.testing.assert_allclose(grad, optimize.approx_fprime(z, f, 1e-7), rtol=1e-5, atol=1e-6)


def test_logit_glmm_against_quadrature_grid():
    m = logit_glmm()
    post = nested_grid(m, points=41)
    assert post.inner == "laplace"
    mesh = np.stack(np.meshgrid(*post.axes, indexing="ij"), -1).reshape(-1, 2)
    h = m.hyper_at(mesh)
    x, w = np.polynomial.hermite_e.hermegauss(80)
    b = h["loc"][:, None] + h["scale"][:, None] * x
    logp = LOCB.logpdf(h["loc"]) + SCALE.logpdf(h["scale"]) + m.coords.forward(mesh)[1]
    for j in range(len(KB)):
        like = stats.binom.pmf(KB[j], NB[j], special.expit(b)) @ (w / np.sqrt(2 * np.pi))
        logp = logp + np.log(like)
    wt = np.exp(logp - special.logsumexp(logp))
    mean = post.mean()
    assert mean["loc"] == pytest.approx(wt @ h["loc"], abs=0.02)
    assert mean["scale"] == pytest.approx(wt @ h["scale"], rel=5e-2)
