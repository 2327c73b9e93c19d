"""Issue 13: no silent wrong answer (update semantics, owned data, immutable posteriors, ...)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import bayesgd as bg

# ------------------------------------------------------------------ item 1: update semantics


def test_readme_update_loop_equals_one_batch():
    """``for c in chunks: m.update(y=c)`` changes m in place, so nothing is lost."""
    y = np.random.default_rng(13).binomial(1, 0.3, size=1000)
    chunks = np.array_split(y, 7)
    m = bg.Bernoulli(y=chunks[0], p=stats.beta(1, 1))
    for c in chunks[1:]:
        assert m.update(y=c) is None  # like dict.update
    batch = bg.Bernoulli(y=y, p=stats.beta(1, 1))
    assert m.n_obs == 1000
    # exact: Beta(1 + successes, 1 + failures)
    exact = (1 + y.sum()) / (2 + y.size)
    assert bg.conjugate(m).mean()["p"] == pytest.approx(exact, rel=1e-15)
    assert bg.conjugate(batch).mean()["p"] == pytest.approx(exact, rel=1e-15)
    np.testing.assert_array_equal(m.data["y"], batch.data["y"])


@pytest.mark.parametrize(
    ("build", "chunks"),
    [
        (
            lambda d: bg.Normal(y=d["y"], mu=stats.norm(0, 10), sigma=1.0),
            [{"y": [0.3, 0.1]}, {"y": [0.5]}, {"y": [0.2, 0.4, 0.1]}],
        ),
        (
            lambda d: bg.LogisticRegression(X=d["X"], y=d["y"], coef=stats.norm(0, 2)),
            [{"X": [[0.0], [1.0]], "y": [0, 1]}, {"X": [[2.0]], "y": [1]}],
        ),
        (
            lambda d: bg.LinearRegression(X=d["X"], y=d["y"], coef=stats.norm(0, 2), sigma=1.0),
            [{"X": [[0.0], [1.0]], "y": [0.1, 1.2]}, {"X": [[2.0], [3.0]], "y": [1.9, 3.2]}],
        ),
        (
            lambda d: bg.Perceptron(d["X"], d["y"], hidden=2),
            [{"X": [[0.0], [1.0]], "y": [0, 1]}, {"X": [[2.0]], "y": [1]}],
        ),
    ],
)
def test_update_in_place_and_updated_copy(build, chunks):
    m = build(chunks[0])
    first = build(chunks[0])
    grown = m.updated(**chunks[1])
    assert m.n_obs == first.n_obs  # updated() leaves the original alone
    for c in chunks[1:]:
        m.update(**c)
    whole = build({k: np.concatenate([np.asarray(c[k]) for c in chunks]) for k in chunks[0]})
    assert m.n_obs == whole.n_obs
    assert grown.n_obs == first.n_obs + build(chunks[1]).n_obs
    theta = whole.prior_sample(3, rng=0)
    np.testing.assert_allclose(m.log_density(**theta), whole.log_density(**theta), rtol=1e-12)


def test_a_refused_update_leaves_the_model_unchanged():
    m = bg.Binomial(k=7, n=10, p=stats.beta(2, 2))
    with pytest.raises(ValueError, match="k must not exceed n"):
        m.update(k=6, n=5)
    assert float(m.stats["successes"]) == 7.0 and m.n_obs == 1
    with pytest.raises(TypeError, match="custom Model"):
        bg.Model(priors={"a": stats.norm()}, log_likelihood=lambda a: -(a**2)).update(y=[1.0])
