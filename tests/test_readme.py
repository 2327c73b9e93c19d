"""The README's Python examples run as written (in order, in one namespace).

The quickstart's commented values are checked too, so the README cannot drift from the API.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_readme_has_python_examples():
    assert len(_python_blocks()) >= 2


def test_readme_examples_run_and_show_the_values_they_claim():
    namespace: dict = {}
    for block in _python_blocks():
        exec(compile(block, str(README), "exec"), namespace)
    # the streaming example: 100 million observations through dask, never loaded whole
    hyper = namespace["post"].hyper
    assert hyper["a"] + hyper["b"] == 2 + 100_000_000
    assert hyper["a"] / 1e8 == pytest.approx(0.3, abs=1e-3)
    # the quickstart's comments
    m = namespace["m"]
    import bayesgd as bg

    exact = bg.conjugate(m)
    assert exact.mean()["p"] == pytest.approx(0.6428, abs=1e-4)
    low, high = exact.hdi(0.94)["p"]
    assert (low, high) == pytest.approx((0.4118, 0.8674), abs=1e-4)
    assert namespace["fit"].params["p"] == pytest.approx(0.6666, abs=1e-4)
    assert bg.grid(m).mean()["p"] == pytest.approx(0.6428, abs=1e-4)
    assert bg.laplace(m).sd()["p"] == pytest.approx(0.1218, abs=1e-4)
    assert "lies 0.19 posterior sd above the posterior mean 0.6429" in namespace["cmp"].explain()
    # the analysis section's comments
    assert namespace["ab"].table.loc["B", "prob_best"] == pytest.approx(0.924, abs=5e-4)
    assert namespace["ab"].table.loc["B", "expected_loss"] == pytest.approx(0.00035, abs=5e-6)
    low, high = namespace["lift"].hdi(0.95)["lift"]
    assert (low, high) == pytest.approx((-0.12, 0.80), abs=0.01)
    bf = bg.bayes_factor(namespace["pooled"], namespace["rates"].model)
    assert bf.method == "conjugate" and bf.value == pytest.approx(13.6, abs=0.05)
    # the hierarchical example
    assert namespace["nested"].mean()["tau"] == pytest.approx(6.6, abs=0.05)
