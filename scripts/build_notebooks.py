"""Build the walkthrough notebooks ``notebooks/*.ipynb`` from their sources ``notebooks/*.py``.

Each source is a plain Python script in jupytext's percent format (``# %%`` starts a code cell,
``# %% [markdown]`` a markdown cell), linted and formatted with ruff like the package. The
notebooks are committed executed, so a reader browsing the repository sees every figure::

    python scripts/build_notebooks.py           # execute the sources, write notebooks/*.ipynb
    python scripts/build_notebooks.py --check   # exit 1 if a notebook's cells are out of date

Outputs are made deterministic: the notebooks seed every random draw; execution counts and
metadata carry no timings or versions; log records below WARNING are dropped (PyMC's INFO lines
time the sampling); warnings print as ``Category: message`` without file paths; figures are
80-dpi palette PNGs.
``tests/test_notebooks.py`` re-executes each notebook and compares its outputs with these.
"""

from __future__ import annotations

import argparse
import base64
import io
import os
import sys
import time
from pathlib import Path

import jupytext
import nbformat

__all__ = ["NOTEBOOK_DIR", "execute", "main", "notebook", "sources", "strip", "text"]

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
METADATA = {
    "kernelspec": {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    },
    "language_info": {"name": "python"},
}
#: Seconds a single cell may take before the run is abandoned.
CELL_TIMEOUT = 300
#: Run by the kernel before the first cell; binds no name in the notebook's namespace.
KERNEL_SETUP = """
import logging as _logging, warnings as _warnings
import matplotlib as _mpl
_mpl.rcParams["figure.dpi"] = 80
_logging.basicConfig(level=_logging.WARNING, format="%(name)s: %(message)s")
_warnings.filterwarnings("ignore", message="PyTensor could not link to a BLAS")
_warnings.formatwarning = lambda message, category, *_, **__: f"{category.__name__}: {message}\\n"
del _logging, _warnings, _mpl
"""


def sources() -> list[Path]:
    """The notebook sources: ``notebooks/NN_*.py``."""
    return sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.py"))


def notebook(source: Path) -> nbformat.NotebookNode:
    """The notebook (no outputs, stable cell ids, no cell metadata) of a percent-format source."""
    nb = jupytext.read(source, fmt="py:percent")
    nb.metadata = nbformat.from_dict(METADATA)
    for i, cell in enumerate(nb.cells):
        cell.id, cell.metadata = f"cell-{i:02d}", nbformat.NotebookNode()
    nbformat.validate(nb)
    return nb


def strip(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` without outputs or execution counts."""
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def _small_png(data: str) -> str:
    from PIL import Image  # a matplotlib dependency

    image = Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB").quantize(256)
    buffer = io.BytesIO()
    image.save(buffer, format="png", optimize=True)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def execute(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Run ``nb`` in place in a fresh kernel on this repository's code, outputs made stable."""
    from nbclient import NotebookClient

    env = dict(os.environ, MPLBACKEND="module://matplotlib_inline.backend_inline")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        record_timing=False,
        coalesce_streams=True,
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
        extra_arguments=[f"--IPKernelApp.exec_lines=exec({KERNEL_SETUP!r})"],
    ).execute(env=env)  # raises CellExecutionError on the first failing cell
    nb.metadata = nbformat.from_dict(METADATA)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if "image/png" in output.get("data", {}):
                output.data["image/png"] = _small_png(output.data["image/png"])
    return nb


def text(nb: nbformat.NotebookNode) -> str:
    """The notebook's file content."""
    return nbformat.writes(nb) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare cells, do not execute")
    parser.add_argument("names", nargs="*", help="notebook names, e.g. 02_gradient_descent")
    args = parser.parse_args(argv)
    stale = 0
    for source in sources():
        if args.names and source.stem not in args.names:
            continue
        path, nb = source.with_suffix(".ipynb"), notebook(source)
        if args.check:
            committed = nbformat.read(path, as_version=4) if path.exists() else None
            if committed is None or text(strip(committed)) != text(nb):
                stale += 1
                print(f"{path.relative_to(ROOT)} is out of date: run scripts/build_notebooks.py")
            continue
        start = time.perf_counter()
        path.write_text(text(execute(nb)), encoding="utf-8")
        print(f"{path.relative_to(ROOT)}: executed in {time.perf_counter() - start:.0f} s")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
