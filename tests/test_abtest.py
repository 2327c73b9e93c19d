"""bg.ab_test against closed forms, quadrature and the bayesian-testing package."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats
from scipy.special import betaln

import bayesgd as bg


def _evan_miller(a_a: int, b_a: int, a_b: int, b_b: int) -> float:
    """P(p_B > p_A) for Beta(a_a, b_a), Beta(a_b, b_b) with integer a_b (Evan Miller's sum)."""
    i = np.arange(a_b)
    terms = betaln(a_a + i, b_a + b_b) - np.log(b_b + i) - betaln(1 + i, b_b) - betaln(a_a, b_a)
    return float(np.sum(np.exp(terms)))


def test_prob_best_equals_evan_millers_closed_form():
    ab = bg.ab_test(successes=[50, 65], trials=[1000, 1000])
    exact = _evan_miller(1 + 50, 1 + 950, 1 + 65, 1 + 935)
    assert ab.table.loc["B", "prob_best"] == pytest.approx(exact, abs=1e-10)
    assert ab.table["prob_best"].sum() == pytest.approx(1.0, abs=1e-12)


def test_three_variants_and_expected_loss_against_quadrature():
    ab = bg.ab_test(successes=[30, 41, 36], trials=[400, 410, 390], names=["ctl", "x", "y"])
    d = [stats.beta(1 + s, 1 + n - s) for s, n in ((30, 400), (41, 410), (36, 390))]
    for i, name in enumerate(["ctl", "x", "y"]):
        others = [dj for j, dj in enumerate(d) if j != i]
        want = integrate.quad(
            lambda x, i=i, others=others: d[i].pdf(x) * np.prod([o.cdf(x) for o in others]),
            0, 1, points=[0.07, 0.1], limit=200,
        )[0]  # fmt: skip
        assert ab.table.loc[name, "prob_best"] == pytest.approx(want, abs=1e-8)
    e_max = integrate.quad(
        lambda x: 1 - np.prod([dj.cdf(x) for dj in d]), 0, 1, points=[0.07, 0.1], limit=200
    )[0]
    for i, name in enumerate(["ctl", "x", "y"]):
        assert ab.table.loc[name, "expected_loss"] == pytest.approx(e_max - d[i].mean(), abs=1e-9)


def test_lift_mean_and_interval_against_monte_carlo():
    ab = bg.ab_test(successes=[50, 65], trials=[1000, 1000], prob=0.9)
    a, b = ab.dists
    rng = np.random.default_rng(0)
    n = 400_000
    lift = b.rvs(n, random_state=rng) / a.rvs(n, random_state=rng) - 1
    row = ab.table.loc["B"]
    assert row["lift_mean"] == pytest.approx(lift.mean(), abs=4 * lift.std() / np.sqrt(n))
    inside = np.mean((lift > row["lift_hdi_low"]) & (lift < row["lift_hdi_high"]))
    assert inside == pytest.approx(0.9, abs=4 * np.sqrt(0.09 / n))
    # shortest: the density is equal at both ends (histogram estimate)
    dens = stats.gaussian_kde(lift[:50_000])
    lo, hi = dens(row["lift_hdi_low"])[0], dens(row["lift_hdi_high"])[0]
    assert lo == pytest.approx(hi, rel=0.1)
    assert np.isnan(ab.table.loc["A", "lift_mean"])


def test_matches_the_bayesian_testing_package():
    bt = pytest.importorskip("bayesian_testing.experiments")
    test = bt.BinaryDataTest()
    test.add_variant_data_agg("A", totals=1000, positives=50)
    test.add_variant_data_agg("B", totals=1000, positives=65)
    sims = 200_000
    theirs = {r["variant"]: r for r in test.evaluate(sim_count=sims, seed=1)}
    ours = bg.ab_test(successes=[50, 65], trials=[1000, 1000], prior=stats.beta(0.5, 0.5)).table
    for v in ("A", "B"):
        p = ours.loc[v, "prob_best"]
        assert theirs[v]["prob_being_best"] == pytest.approx(
            p, abs=4 * np.sqrt(p * (1 - p) / sims) + 1e-4
        )
        assert theirs[v]["expected_loss"] == pytest.approx(ours.loc[v, "expected_loss"], abs=1e-4)
        assert theirs[v]["posterior_mean"] == pytest.approx(
            ours.loc[v, "posterior_mean"], abs=1e-5
        )


def test_the_posterior_is_the_conjugate_one():
    ab = bg.ab_test(successes=[3, 9], trials=[20, 25])
    np.testing.assert_allclose(ab.posterior.mean()["p"], [4 / 22, 10 / 27])
    assert ab.control == "A" and "ABTest" in repr(ab)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"successes": [5, 12], "trials": [10, 11]}, ValueError, "exceed"),
        ({"successes": [5, 2, 1], "trials": [10, 11]}, ValueError, "same length"),
        ({"successes": [5.5, 2], "trials": [10, 11]}, ValueError, "whole"),
        ({"successes": [5], "trials": [10]}, ValueError, "at least 2"),
        ({"successes": [5, 2], "trials": [10, -1]}, ValueError, "trials"),
        ({"successes": [5, 2], "trials": [10, 11], "prior": stats.norm(0, 1)}, TypeError, "prior"),
        ({"successes": [5, 2], "trials": [10, 11], "control": 2}, ValueError, "control"),
        ({"successes": [5, 2], "trials": [10, 11], "control": "Z"}, ValueError, "control"),
        ({"successes": [5, 2], "trials": [10, 11], "names": ["a", "a"]}, ValueError, "names"),
        ({"successes": [5, 2], "trials": [10, 11], "prob": 1.5}, ValueError, "prob"),
    ],
)
def test_bad_input_is_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        bg.ab_test(**kwargs)
