"""Grid sizes are counted in Python integers and refused before anything is allocated.

``points=2**63`` used to raise an OverflowError from C, ``points=2**32`` on two axes wrapped
the int64 point count to 0 (the memory check passed and 32 GiB were requested), and
``points=2**16`` on four axes failed in ``reshape``.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from scipy import stats

import bayesgd as bg
from bayesgd.grid import grid

pytestmark = pytest.mark.filterwarnings("error::bayesgd.errors.GridWarning")

Y = np.array([1.2, 0.4, 2.2, 1.1])


def _one_dim():
    return bg.Bernoulli(y=[1, 0, 1, 1], p=stats.beta(1, 1))


def _two_dim():
    return bg.Normal(y=Y, prior=stats.normal_inverse_gamma(0.0, 1.0, 2.0, 2.0))


def _four_dim():
    X = np.random.default_rng(0).normal(size=(12, 3))
    return bg.LinearRegression(
        X=X, y=X[:, 0], coef=stats.norm(0, 1), intercept=stats.norm(0, 1), sigma=1.0
    )


def _refused(model, max_bytes: int | None = None, **kwargs) -> str:
    """The error message of a refused grid, checking that it allocated under 1 MiB first."""
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="points") as info:
            if max_bytes is None:
                grid(model, **kwargs)
            else:
                grid(model, max_bytes=max_bytes, **kwargs)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20, peak
    return str(info.value)


@pytest.mark.parametrize(
    ("make", "points", "total"),
    [
        (_one_dim, 2**63, 2**63),
        (_one_dim, 2**64 + 3, 2**64 + 3),
        (_two_dim, 2**32, 2**64),
        (_four_dim, 2**16, 2**64),
        (_four_dim, 2**20, 2**80),
    ],
)
def test_huge_points_are_refused_by_the_memory_check(make, points, total):
    text = _refused(make(), points=points)
    assert f"= {total} points" in text
    assert "more than max_bytes=268435456 (256 MiB)" in text


def test_dict_valued_points_are_counted_exactly():
    text = _refused(_two_dim(), points={"mu": 2**32, "sigma2": 2**32})
    assert f"{2**32} x {2**32} = {2**64} points" in text
    text = _refused(_four_dim(), points={"coef": [2**16, 2**16, 2**16], "intercept": 2**16})
    assert f"= {2**64} points" in text
    # one huge element of a vector parameter, the others small
    text = _refused(_four_dim(), points={"coef[1]": 2**62})
    assert f"= {2**62 * 41**3} points" in text


def test_a_grid_no_machine_can_index_is_impossible_whatever_the_budget():
    text = _refused(_two_dim(), max_bytes=2**100, points=2**40)
    assert "cannot be indexed" in text
    text = _refused(_one_dim(), max_bytes=2**100, points=2**63)
    assert "cannot be indexed" in text


def test_a_grid_that_fits_is_still_built():
    post = grid(_one_dim(), points=2**10)
    assert post.shape == (2**10,)
    assert post.mean()["p"] == pytest.approx(stats.beta(4, 2).mean(), rel=1e-6)
