"""ADVI (bg.vi) against exact Gaussian posteriors, the mean-field closed form, and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

import bayesgd as bg

#: Monte Carlo tolerance, in units of the fit's own reported standard error.
Z = 4.0


def _regression(rho_noise: float = 0.1, seed: int = 1):
    """Linear regression with known noise: its coefficient posterior is exactly Gaussian."""
    rng = np.random.default_rng(seed)
    n = 30
    x1 = rng.normal(size=n)
    X = np.c_[x1, x1 + rho_noise * rng.normal(size=n)]
    y = X @ [1.0, 2.0] + rng.normal(size=n)
    model = bg.LinearRegression(X=X, y=y, coef=stats.norm(0, 5), sigma=1.0)
    precision = X.T @ X + np.eye(2) / 25.0  # sigma = 1, prior sd 5
    cov = np.linalg.inv(precision)
    return model, cov @ (X.T @ y), cov, precision


def test_fullrank_recovers_an_exact_gaussian_mean_and_sd():
    m = bg.Normal(y=[1.0, 2.0, 0.5], mu=stats.norm(0, 10), sigma=1.0)
    post = bg.conjugate(m)
    q = bg.vi(m, family="fullrank", rng=0)
    assert q.converged
    assert abs(q.mean()["mu"] - post.mean()["mu"]) < Z * q.mcse["mean_vector"][0]
    assert abs(q.sd()["mu"] - post.sd()["mu"]) < Z * q.mcse["sd"][0]
    assert q.khat(m, rng=0) < 0.5
    # the ELBO is a lower bound of the evidence, equal to it for the exact q
    assert abs(q.elbo - post.log_evidence) < Z * q.elbo_mcse + 1e-3


def test_fullrank_recovers_a_correlated_regression_posterior():
    m, mean, cov, _ = _regression()
    q = bg.vi(m, family="fullrank", rng=2)
    np.testing.assert_array_less(np.abs(q.mean_vector - mean), Z * q.mcse["mean_vector"])
    np.testing.assert_array_less(
        np.abs(np.sqrt(np.diag(q.cov)) - np.sqrt(np.diag(cov))), Z * q.mcse["sd"]
    )
    corr = q.cov[0, 1] / np.sqrt(q.cov[0, 0] * q.cov[1, 1])
    assert corr == pytest.approx(cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1]), abs=0.01)
    assert q.khat(m, rng=0) < 0.5


def test_meanfield_underestimates_sds_by_the_closed_form_factor_and_khat_flags_it():
    m, mean, cov, precision = _regression()
    rho = cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1])
    assert abs(rho) > 0.98  # strongly correlated
    q = bg.vi(m, family="meanfield", rng=0)
    # KL(q || p) for a Gaussian p: q's variances are 1 / precision_ii, i.e. the marginal sds
    # shrink by sqrt(1 - rho^2) in two dimensions.
    expected = np.sqrt(np.diag(cov)) * np.sqrt(1 - rho**2)
    np.testing.assert_allclose(expected, 1 / np.sqrt(np.diag(precision)))
    np.testing.assert_array_less(np.abs(np.sqrt(np.diag(q.cov)) - expected), Z * q.mcse["sd"])
    np.testing.assert_array_less(np.abs(q.mean_vector - mean), Z * q.mcse["mean_vector"])
    assert q.khat(m, draws=4000, rng=0) > 0.7


def test_meanfield_on_a_skewed_posterior_is_near_the_exact_one_and_below_the_evidence():
    m = bg.Binomial(k=7, n=10, p=stats.beta(2, 2))
    q = bg.vi(m, rng=1)
    exact = stats.beta(9, 5)
    assert q.mean()["p"] == pytest.approx(exact.mean(), abs=0.01)
    assert q.sd()["p"] == pytest.approx(exact.std(), rel=0.05)
    # ELBO <= log p(D) (Jensen), up to its Monte Carlo error
    assert q.elbo <= bg.conjugate(m).log_evidence + Z * q.elbo_mcse


def test_optimal_logit_normal_matches_a_quadrature_fit():
    """Mean-field in 1-D is the KL-optimal logit-normal: check against a direct minimisation."""
    m = bg.Binomial(k=3, n=12, p=stats.beta(1, 1))
    q = bg.vi(m, rng=3)
    nodes, weights = np.polynomial.hermite_e.hermegauss(80)
    weights = weights / np.sqrt(2 * np.pi)

    def neg_elbo(params):
        mu, log_s = params
        u = mu + np.exp(log_s) * nodes
        p = 1 / (1 + np.exp(-u))
        log_joint = stats.binom.logpmf(3, 12, p) + np.log(p) + np.log1p(-p)  # + log|dp/du|
        return -(weights @ log_joint) - log_s

    from scipy import optimize

    best = optimize.minimize(neg_elbo, [0.0, 0.0], method="Nelder-Mead", options={"xatol": 1e-10})
    mu, s = best.x[0], np.exp(best.x[1])
    assert abs(q.mean_vector[0] - mu) < Z * q.mcse["mean_vector"][0]
    assert abs(np.sqrt(q.cov[0, 0]) - s) < Z * q.mcse["sd"][0]
    # and the ELBO at the optimum
    entropy_const = 0.5 * (1 + np.log(2 * np.pi))
    assert q.elbo == pytest.approx(-best.fun + entropy_const, abs=Z * q.elbo_mcse)
    # below the evidence, here by quadrature
    evidence = integrate.quad(lambda p: stats.binom.pmf(3, 12, p), 0, 1)[0]
    assert -best.fun + entropy_const < np.log(evidence)
    assert q.elbo < np.log(evidence) + Z * q.elbo_mcse


def test_reproducible_with_rng_and_two_seeds_agree_within_their_error():
    m, *_ = _regression()
    a = bg.vi(m, family="fullrank", rng=5)
    b = bg.vi(m, family="fullrank", rng=5)
    np.testing.assert_array_equal(a.mean_vector, b.mean_vector)
    np.testing.assert_array_equal(a.cov, b.cov)
    c = bg.vi(m, family="fullrank", rng=6)
    tol = Z * np.hypot(a.mcse["mean_vector"], c.mcse["mean_vector"])
    np.testing.assert_array_less(np.abs(a.mean_vector - c.mean_vector), tol)


def test_history_and_posterior_interface():
    m = bg.Poisson(k=[3, 5, 2], mu=stats.gamma(2, scale=1))
    q = bg.vi(m, rng=0)
    assert list(q.history.columns) == ["iteration", "elbo", "rel_change"]
    assert q.history["iteration"].iloc[-1] == q.iterations
    assert set(q.summary().columns) >= {"mean", "sd", "hdi_3%", "hdi_97%"}
    draws = q.sample(100, rng=0)["mu"]
    assert draws.shape == (100,) and np.all(draws > 0)
    assert q.log_evidence == q.elbo
    assert "VIPosterior (meanfield)" in repr(q)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"family": "fullrnak"}, ValueError, "family"),
        ({"grad_draws": 0}, ValueError, "grad_draws"),
        ({"elbo_draws": -3}, ValueError, "elbo_draws"),
        ({"grad_draws": 2.5}, TypeError, "grad_draws"),
        ({"tol": 0.0}, ValueError, "tol"),
        ({"max_iter": 0}, ValueError, "max_iter"),
        ({"optimizer": "sgdd"}, ValueError, "optimizer"),
    ],
)
def test_bad_input_is_named(kwargs, error, match):
    m = bg.Binomial(k=7, n=10, p=stats.beta(2, 2))
    with pytest.raises(error, match=match):
        bg.vi(m, **kwargs)


def test_a_model_is_required():
    with pytest.raises(TypeError, match="model"):
        bg.vi("binomial")


def test_a_diverging_step_raises_with_a_step_that_fits():
    m, *_ = _regression()
    with pytest.raises(bg.DivergenceError) as info:
        bg.vi(m, optimizer="gd", lr=1e6, rng=0)
    err = info.value
    assert err.iteration is not None and err.reason == "nonfinite"
    assert 0 < err.suggested_lr < 1e6
    q = bg.vi(m, optimizer="gd", lr=err.suggested_lr, rng=0, max_iter=4000)
    assert np.all(np.isfinite(q.mean_vector))


def test_plot_elbo_shows_the_history():
    import matplotlib

    matplotlib.use("Agg")
    q = bg.vi(bg.Binomial(k=7, n=10, p=stats.beta(2, 2)), rng=0)
    ax = bg.plots.plot_elbo(q)
    line = ax.get_lines()[0]
    np.testing.assert_array_equal(line.get_ydata(), q.history["elbo"].to_numpy()[:-1])
    with pytest.raises(TypeError, match=r"bg\.vi"):
        bg.plots.plot_elbo(bg.laplace(bg.Binomial(k=7, n=10, p=stats.beta(2, 2))))
