"""The public names route hierarchical models: bg.Binomial(..., p=bg.hierarchical(...)) etc."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

import bayesgd as bg

Y = np.array([28.0, 8, -3, 7, -1, 1, 18, 12])
SE = np.array([15.0, 10, 16, 11, 9, 11, 10, 18])


def _schools():
    spec = bg.hierarchical(
        stats.norm,
        log_prior=lambda loc, scale: 0 * loc,
        names={"loc": "mu", "scale": "tau"},
        name="theta",
    )
    return bg.Normal(y=Y, sigma=SE, mu=spec)


def test_family_constructors_build_hierarchical_models():
    m = _schools()
    assert m.is_hierarchical and isinstance(m, bg.HierarchicalModel)
    assert not bg.Normal(y=Y, sigma=SE, mu=stats.norm(0, 10)).is_hierarchical


def test_bg_grid_is_the_nested_grid_and_matches_quadrature_over_tau():
    post = bg.grid(_schools())

    # BDA3 5.4 with flat p(mu, tau): p(tau | y) ∝ V_mu^(1/2) prod N(y_j | mu_hat, se_j^2 + tau^2)
    def log_p_tau(tau):
        v = SE**2 + tau**2
        v_mu = 1 / np.sum(1 / v)
        mu_hat = v_mu * np.sum(Y / v)
        return 0.5 * np.log(v_mu) + np.sum(stats.norm(mu_hat, np.sqrt(v)).logpdf(Y))

    taus = np.linspace(1e-6, 60, 4001)
    dens = np.exp([log_p_tau(t) for t in taus])
    z = integrate.trapezoid(dens, taus)
    mean_tau = integrate.trapezoid(taus * dens, taus) / z
    assert post.mean()["tau"] == pytest.approx(mean_tau, rel=2e-3)


def test_map_estimate_needs_marginal_for_a_hierarchical_model():
    m = _schools()
    with pytest.raises(bg.NotApplicableError, match="funnel"):
        bg.map_estimate(m)
    fit = bg.map_estimate(m, marginal=True, jacobian=True)
    assert fit is not None
    with pytest.raises(ValueError, match="hierarchical"):
        bg.map_estimate(bg.Binomial(k=3, n=10, p=stats.beta(1, 1)), marginal=True)
