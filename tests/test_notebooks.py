"""Execute every walkthrough notebook in notebooks/ from a clean kernel; any error fails.

Each notebook is its own test. The notebooks assert their own claims (hand-computed gradient
steps equal ``map_estimate``'s history, the grid equals the closed form, a wrong approximation
fails ``check_with_pymc``, ...), so a notebook that runs is also a notebook whose story holds.
The committed notebooks carry no outputs; ``scripts/build_notebooks.py`` generates them from
their percent-format sources ``notebooks/*.py`` and a test checks that they match them.
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
BUILD_SCRIPT = ROOT / "scripts" / "build_notebooks.py"

#: Seconds a single cell may take before the run is abandoned.
CELL_TIMEOUT = 300


def test_there_are_notebooks():
    names = {path.stem for path in NOTEBOOKS}
    assert len(names) >= 6, f"expected the six walkthroughs in {NOTEBOOK_DIR}, found {names}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path: Path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")  # inherited by the kernel process
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    client = nbclient.NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    start = time.perf_counter()
    client.execute()  # raises CellExecutionError on the first failing cell
    elapsed = time.perf_counter() - start
    errors = [
        output
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert not errors
    print(f"{path.name}: {elapsed:.1f} s")


def test_notebooks_match_their_source():
    """The committed notebooks are what scripts/build_notebooks.py makes of notebooks/*.py."""
    spec = importlib.util.spec_from_file_location("build_notebooks", BUILD_SCRIPT)
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    sources = build.sources()
    assert {p.stem for p in NOTEBOOKS} == {s.stem for s in sources}
    for source in sources:
        committed = source.with_suffix(".ipynb").read_text(encoding="utf-8")
        generated = build.text(build.notebook(source))
        assert committed == generated, (
            f"{source.stem}.ipynb differs from {source.name}: run scripts/build_notebooks.py"
        )
        cells = nbformat.reads(committed, as_version=4).cells
        assert all(not c.get("outputs") for c in cells if c.cell_type == "code")
