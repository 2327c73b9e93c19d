"""bayesgd._validation argument checks, and the package's import hygiene."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import bayesgd
from bayesgd._validation import (
    as_rng,
    check_finite_array,
    check_positive_int,
    check_prob,
    check_probs,
    check_size,
)


def test_as_rng():
    g = np.random.default_rng(0)
    assert as_rng(g) is g
    assert isinstance(as_rng(None), np.random.Generator)
    assert as_rng(5).random() == np.random.default_rng(5).random()
    assert as_rng(np.int64(5)).random() == np.random.default_rng(5).random()
    ss = np.random.SeedSequence(3)
    assert as_rng(ss).random() == np.random.default_rng(np.random.SeedSequence(3)).random()
    for bad in ("1", 1.5, np.random.RandomState(0), [1, 2]):
        with pytest.raises(TypeError, match="rng"):
            as_rng(bad)


def test_check_prob():
    assert check_prob(0.94) == 0.94
    assert isinstance(check_prob(np.float32(0.5)), float)
    assert check_prob(1e-12, "level") == 1e-12
    for bad in (0.0, 1.0, -0.5, 2.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match=r"level must lie strictly between 0 and 1"):
            check_prob(bad, "level")
    for bad in ("0.5", None, True, [0.5], np.array(0.5)):
        with pytest.raises(TypeError, match="prob"):
            check_prob(bad)


def test_check_probs():
    np.testing.assert_array_equal(check_probs([0.0, 0.5, 1.0]), [0.0, 0.5, 1.0])
    assert check_probs(0.3).shape == ()
    assert check_probs(np.full((2, 3), 0.2)).shape == (2, 3)
    assert check_probs(1).dtype == float
    for bad in (1.5, -0.1, [0.2, np.nan], [0.1, np.inf]):
        with pytest.raises(ValueError, match=r"q must lie in \[0, 1\]"):
            check_probs(bad)
    for bad in ("0.5", ["a"], None):
        with pytest.raises(TypeError, match=r"\bq\b"):
            check_probs(bad)


def test_check_positive_int():
    assert check_positive_int(3, "draws") == 3
    assert type(check_positive_int(np.int64(3), "draws")) is int
    assert check_positive_int(0, "n", minimum=0) == 0
    with pytest.raises(ValueError, match="draws must be an integer >= 1, got 0"):
        check_positive_int(0, "draws")
    with pytest.raises(ValueError, match="n must be an integer >= 2"):
        check_positive_int(1, "n", minimum=2)
    for bad in (1.0, "3", True, None):
        with pytest.raises(TypeError, match="draws must be an integer"):
            check_positive_int(bad, "draws")


def test_check_size():
    assert check_size(5) == (5,)
    assert check_size(np.int32(5)) == (5,)
    assert check_size((2, 3)) == (2, 3)
    assert check_size(()) == ()
    assert check_size(0) == (0,)
    assert all(type(s) is int for s in check_size((np.int64(2), 3)))
    for bad in (-1, (2, -1)):
        with pytest.raises(ValueError, match="size must be non-negative"):
            check_size(bad)
    for bad in (2.0, [2, 3], (2.0,), (True,), "3", None):
        with pytest.raises(TypeError, match="size must be a non-negative integer"):
            check_size(bad)


def test_check_finite_array():
    out = check_finite_array([1, 2], "x")
    assert out.dtype == float
    np.testing.assert_array_equal(out, [1.0, 2.0])
    for bad in ([1.0, np.nan], [np.inf], -np.inf):
        with pytest.raises(ValueError, match="x must contain only finite values"):
            check_finite_array(bad, "x")
    for bad in ("abc", [[1.0], [1.0, 2.0]], {"a": 1}):
        with pytest.raises(TypeError, match="x must be numeric"):
            check_finite_array(bad, "x")


def test_public_names_exist():
    assert len(bayesgd.__all__) == len(set(bayesgd.__all__))
    for name in bayesgd.__all__:
        assert hasattr(bayesgd, name), name
    for name in (
        "Model",
        "Binomial",
        "Normal",
        "LinearRegression",
        "NotConjugateError",
        "DivergenceError",
        "NormalInverseGamma",
    ):
        assert name in bayesgd.__all__
    assert issubclass(bayesgd.NotConjugateError, ValueError)
    assert issubclass(bayesgd.DivergenceError, RuntimeError)


def test_import_does_not_pull_in_heavy_or_gui_modules():
    code = (
        "import sys, bayesgd\n"
        "heavy = [m for m in ('pymc', 'pytensor', 'arviz', 'matplotlib.pyplot', 'pandas') "
        "if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "", f"import bayesgd imported {out.stdout.strip()}"


def test_map_estimate_builds_its_history_table_only_when_read():
    code = (
        "import sys\n"
        "from scipy import stats\n"
        "import bayesgd as bg\n"
        "r = bg.map_estimate(bg.Binomial(k=7, n=10, p=stats.beta(2, 2)))\n"
        "before = 'pandas' in sys.modules\n"
        "rows = len(r.history)\n"
        "print(before, 'pandas' in sys.modules, rows == r.iterations + 1 or rows)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.split() == ["False", "True", "True"], out.stdout
