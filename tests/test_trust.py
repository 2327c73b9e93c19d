"""PSIS k-hat and importance resampling against exact posteriors (bayesgd.trust)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats

import bayesgd as bg
from bayesgd.trust import khat_verdict, psis


def _beta_2_20():
    return bg.Binomial(k=1, n=20, p=stats.beta(1, 1))  # posterior Beta(2, 20)


def test_constrained_laplace_of_a_skewed_posterior_is_not_to_be_trusted():
    m = _beta_2_20()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bg.SupportWarning)
        q = bg.laplace(m, space="constrained")
    # k-hat is itself an estimate: for this q it ranges over about 0.6 to 0.8 across seeds
    k = q.khat(m, rng=0)
    assert k > 0.7
    assert khat_verdict(k) == "do not trust"


def test_importance_resampled_unconstrained_laplace_recovers_the_exact_answer():
    m = _beta_2_20()
    exact = stats.beta(2, 20)
    q = bg.laplace(m)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bg.ImportanceWarning)
        fixed = q.importance_resample(m, size=20_000, draws=80_000, rng=1)
    se = exact.std() / np.sqrt(fixed.ess)
    assert abs(fixed.mean()["p"] - exact.mean()) < 4 * se
    assert abs(q.mean()["p"] - exact.mean()) > 4 * se  # the correction did something
    # The 94% HDI: the corrected interval holds 94% of the exact posterior and sits where the
    # exact one does (HDI ends of draws vary more than quantiles: compare their exact mass).
    n_eff = min(fixed.ess, 20_000)
    mass_se = np.sqrt(0.94 * 0.06 / n_eff)
    low, high = fixed.hdi(0.94)["p"]
    assert abs(exact.cdf(high) - exact.cdf(low) - 0.94) < 4 * mass_se
    exact_low, _ = bg.conjugate(m).hdi(0.94)["p"]
    assert abs(exact.cdf(low) - exact.cdf(exact_low)) < 4 * mass_se
    q_low, _ = q.hdi(0.94)["p"]
    assert abs(exact.cdf(q_low) - exact.cdf(exact_low)) > 4 * mass_se  # uncorrected is off


def test_an_exact_gaussian_approximation_is_good():
    m = bg.Normal(y=[1.0, 2.0, 0.5], mu=stats.norm(0, 10), sigma=1.0)
    result = psis(bg.laplace(m), m, draws=2000, rng=0)
    assert result.khat < 0.5 and result.verdict == "good"
    # importance ratios are constant: log p(D) is their log mean exactly
    assert result.elbo == pytest.approx(bg.conjugate(m).log_evidence, abs=1e-9)
    np.testing.assert_allclose(np.exp(result.log_weights), 1 / 2000, rtol=1e-9)
    with pytest.raises(ValueError):
        result.log_weights[0] = 0.0  # read-only


def test_probability_vectors_use_the_same_density_coordinates():
    m = bg.Categorical(y=[0, 1, 1, 2, 2, 2], p=stats.dirichlet([2.0, 2.0, 2.0]))
    q = bg.laplace(m)
    result = psis(q, m, draws=4000, rng=0)
    assert result.khat < 0.7
    exact = bg.conjugate(m).mean()["p"]
    fixed = q.importance_resample(m, size=4000, rng=0)
    np.testing.assert_allclose(fixed.mean()["p"], exact, atol=0.02)


def test_reproducible_with_rng():
    m = _beta_2_20()
    q = bg.laplace(m)
    assert q.khat(m, rng=3) == q.khat(m, rng=3)


def test_samples_cannot_be_trusted_by_their_own_density():
    m = bg.Normal(y=[0.0], mu=stats.norm(0, 1), sigma=1.0)
    draws = {"mu": np.random.default_rng(0).normal(0, 0.7, size=400)}
    with pytest.raises(bg.NotApplicableError, match="cannot evaluate its own density"):
        bg.SamplePosterior(m, draws).khat(m)


def test_a_different_model_is_refused():
    m = _beta_2_20()
    other = bg.Normal(y=[1.0], mu=stats.norm(0, 1), sigma=1.0)
    with pytest.raises(ValueError, match="model"):
        bg.laplace(m).khat(other)
    with pytest.raises(TypeError, match="model"):
        bg.laplace(m).khat("binomial")


@pytest.mark.parametrize(("draws", "error"), [(1, ValueError), (0, ValueError), (2.0, TypeError)])
def test_draw_counts_are_checked(draws, error):
    m = _beta_2_20()
    with pytest.raises(error, match="draws"):
        bg.laplace(m).khat(m, draws=draws)
    with pytest.raises(error, match=r"size|draws"):
        bg.laplace(m).importance_resample(m, size=draws)


def test_untrustworthy_correction_warns():
    m = _beta_2_20()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bg.SupportWarning)
        q = bg.laplace(m, space="constrained")
    with pytest.warns(bg.ImportanceWarning, match="k-hat"):
        q.importance_resample(m, size=250, rng=0)  # 1000 proposals, k-hat 0.72 at rng=0


def test_a_grid_posterior_checks_its_own_resolution():
    m = bg.datasets.challenger_model()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bg.GridWarning)
        coarse = bg.grid(m, points=15).khat(m, draws=4000, rng=0)
    fine = bg.grid(m).khat(m, draws=4000, rng=0)
    assert fine < 0.1 < coarse  # cells uniform in a coarse grid miss the density's shape
