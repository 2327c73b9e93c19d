"""Build the walkthrough notebooks ``notebooks/*.ipynb`` from their sources ``notebooks/*.py``.

Each source is a plain Python script in jupytext's percent format (``# %%`` starts a code cell,
``# %% [markdown]`` a markdown cell), linted and formatted with ruff like the package::

    python scripts/build_notebooks.py            # write notebooks/*.ipynb from the sources
    python scripts/build_notebooks.py --check    # exit 1 if a notebook differs from its source
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jupytext
import nbformat

__all__ = ["NOTEBOOK_DIR", "main", "notebook", "sources", "text"]

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def sources() -> list[Path]:
    """The notebook sources: ``notebooks/NN_*.py``."""
    return sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.py"))


def notebook(source: Path) -> nbformat.NotebookNode:
    """The notebook (no outputs, stable cell ids, no cell metadata) of a percent-format source."""
    nb = jupytext.read(source, fmt="py:percent")
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    for i, cell in enumerate(nb.cells):
        cell.id, cell.metadata = f"cell-{i:02d}", nbformat.NotebookNode()
    nbformat.validate(nb)
    return nb


def text(nb: nbformat.NotebookNode) -> str:
    """The notebook's file content."""
    return nbformat.writes(nb) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    parser.add_argument("names", nargs="*", help="notebook names, e.g. 02_gradient_descent")
    args = parser.parse_args(argv)
    stale = 0
    for source in sources():
        if args.names and source.stem not in args.names:
            continue
        path, generated = source.with_suffix(".ipynb"), text(notebook(source))
        if not args.check:
            path.write_text(generated, encoding="utf-8")
        elif not path.exists() or path.read_text(encoding="utf-8") != generated:
            stale += 1
            print(f"{path.relative_to(ROOT)} is out of date: run scripts/build_notebooks.py")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
