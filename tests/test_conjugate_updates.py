"""The pure update functions of bayesgd.conjugate.updates and the conjugate-role registry.

Expected posteriors are written out from the textbook update formulas here.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import bayesgd as bg
from bayesgd.conjugate import (
    CONJUGATE_PAIRS,
    ConjugatePosterior,
    conjugate,
    conjugate_pairs,
    register_role,
    role_of,
    updates,
)
from bayesgd.errors import NotConjugateError


def test_beta_gamma_dirichlet_updates():
    post = updates.beta_binomial(a=[1.0, 2.0], b=3.0, successes=[4, 0], failures=[1, 5])
    np.testing.assert_array_equal(post.args[0], [5.0, 2.0])
    np.testing.assert_array_equal(post.args[1], [4.0, 8.0])
    post = updates.gamma_rate(a=2.0, rate=0.5, count=7, extent=3.5)  # Gamma(9, rate 4)
    assert post.mean() == pytest.approx(9 / 4, rel=1e-15)
    assert post.var() == pytest.approx(9 / 16, rel=1e-15)
    post = updates.dirichlet_multinomial(alpha=[1.0, 2.0, 3.0], counts=[3, 0, 1])
    np.testing.assert_array_equal(post.alpha, [4.0, 2.0, 4.0])
    with pytest.raises(TypeError):
        updates.beta_binomial(1.0, 1.0, 2, 3)  # keyword-only


def test_normal_updates_against_the_textbook_formulas():
    m0, s0, n, ybar, sigma = 0.5, 2.0, 5, 1.3, 0.7
    prec = 1 / s0**2 + n / sigma**2
    want_loc = (m0 / s0**2 + n * ybar / sigma**2) / prec
    post = updates.normal_known_variance(loc=m0, scale=s0, n=n, mean=ybar, sigma=sigma)
    assert post.mean() == pytest.approx(want_loc, rel=1e-14)
    assert post.std() == pytest.approx(prec**-0.5, rel=1e-14)
    same = updates.normal_known_variance(loc=m0, scale=s0, n=n, mean=ybar, sigma2=sigma**2)
    assert same.mean() == pytest.approx(want_loc, rel=1e-14)
    with pytest.raises(TypeError, match="exactly one of sigma"):
        updates.normal_known_variance(loc=0, scale=1, n=1, mean=0)
    post = updates.invgamma_normal_known_mean(a=2.0, b=1.0, n=4, ss=3.0)
    assert post.args[0] == 4.0 and post.kwds["scale"] == 2.5
    # normal-inverse-gamma: lambda_n = l0 + n, mu_n = (l0 mu0 + n ybar) / lambda_n, ...
    mu0, l0, a0, b0, m2 = 1.0, 2.0, 3.0, 4.0, 2.5
    post = updates.normal_inverse_gamma(mu=mu0, lmbda=l0, a=a0, b=b0, n=n, mean=ybar, m2=m2)
    lam = l0 + n
    want = (
        (l0 * mu0 + n * ybar) / lam,
        lam,
        a0 + n / 2,
        b0 + m2 / 2 + l0 * n * (ybar - mu0) ** 2 / (2 * lam),
    )
    mu, lam, a, b = want  # read back through the moments: E = (mu, b/(a-1)),
    # Var(mu) = b / ((a - 1) lambda), Var(sigma2) = b^2 / ((a - 1)^2 (a - 2))
    np.testing.assert_allclose(post.mean(), (mu, b / (a - 1)), rtol=1e-14)
    want_var = (b / ((a - 1) * lam), b * b / ((a - 1) ** 2 * (a - 2)))
    np.testing.assert_allclose(post.var(), want_var, rtol=1e-14)


def test_linear_regression_update_against_the_normal_equations():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(30, 3))
    y = X @ [1.0, -2.0, 0.5] + rng.normal(size=30)
    m0, V0, a0, b0 = np.array([0.1, 0.0, -0.2]), np.diag([4.0, 2.0, 1.0]), 2.0, 3.0
    coef_ols = np.linalg.lstsq(X, y, rcond=None)[0]
    rss = float(np.sum((y - X @ coef_ols) ** 2))
    post = updates.linear_regression_nig(
        mean=m0, cov=V0, a=a0, b=b0, xtx=X.T @ X, coef_ols=coef_ols, rss=rss, n=30
    )
    P = np.linalg.inv(V0) + X.T @ X
    m = np.linalg.solve(P, np.linalg.solve(V0, m0) + X.T @ y)
    b = b0 + 0.5 * (y @ y + m0 @ np.linalg.solve(V0, m0) - m @ P @ m)
    np.testing.assert_allclose(post.mean_, m, rtol=1e-12)
    np.testing.assert_allclose(post.cov, np.linalg.inv(P), rtol=1e-12)
    assert post.a == a0 + 15 and post.b == pytest.approx(b, rel=1e-12)


class _Halved(bg.Model):
    """A custom model that plays a new role: Bernoulli data, posterior of p from beta(1, 1)."""

    conjugate_role = "test-halved"


def test_a_new_role_plugs_in_with_one_registration():
    def loglik(p):
        return 3 * np.log(p) + np.log1p(-p)

    model = _Halved(priors={"p": stats.beta(1, 1)}, log_likelihood=loglik)
    with pytest.raises(NotConjugateError, match="no closed-form posterior"):
        conjugate(model)  # declared, not yet registered

    class _Post(ConjugatePosterior):
        pair = "test-halved"

    register_role("test-halved", lambda m: _Post(m), pairs=("beta prior with the test role",))
    try:
        assert role_of(model).name == "test-halved"
        assert isinstance(conjugate(model), _Post)
        assert bg.is_conjugate(model)
        assert "beta prior with the test role" in conjugate_pairs()
        assert "beta prior with the test role" not in CONJUGATE_PAIRS  # the import-time list
        with pytest.raises(ValueError, match="already registered"):
            register_role("test-halved", lambda m: _Post(m), pairs=())
    finally:
        from bayesgd.conjugate import roles

        del roles._ROLES["test-halved"]
    assert not bg.is_conjugate(model)


def test_every_builtin_family_declares_a_registered_role():
    for cls in (
        bg.Bernoulli,
        bg.Binomial,
        bg.Geometric,
        bg.NegativeBinomial,
        bg.Poisson,
        bg.Exponential,
        bg.Normal,
        bg.Multinomial,
        bg.Categorical,
        bg.LinearRegression,
    ):
        from bayesgd.conjugate import roles

        assert cls.conjugate_role in roles._ROLES, cls
    assert bg.LogisticRegression.conjugate_role is None
    assert bg.Model.conjugate_role is None
