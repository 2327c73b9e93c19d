"""Execute every walkthrough notebook from a clean kernel; its outputs must be the committed ones.

Each notebook is its own test. The notebooks assert their own claims (hand-computed gradient
steps equal ``map_estimate``'s history, the grid equals the closed form, a wrong approximation
fails ``check_with_pymc``, ...), so a notebook that runs is also a notebook whose story holds.
``scripts/build_notebooks.py`` generates the committed notebooks from their percent-format
sources ``notebooks/*.py`` and executes them, so a reader sees the figures without running
anything; the tests check that the cells match the sources and that re-executing the sources
on the current code gives the committed outputs (text exactly, figures by count and position).
"""

from __future__ import annotations

import importlib.util
import re
import time
import tomllib
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")
pytest.importorskip("jupytext")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
BUILD_SCRIPT = ROOT / "scripts" / "build_notebooks.py"
README = NOTEBOOK_DIR / "README.md"

#: The distribution that installs each ``jupyter <subcommand>`` the README uses.
JUPYTER_SUBCOMMANDS = {"lab": "jupyterlab", "notebook": "notebook", "nbconvert": "nbconvert"}

#: Largest committed notebook, outputs included (figures are 80-dpi palette PNGs).
MAX_BYTES = 250_000


def _build_script():
    spec = importlib.util.spec_from_file_location("build_notebooks", BUILD_SCRIPT)
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    return build


def _outputs(cell) -> list[tuple]:
    """What a cell shows: text exactly, figures by kind (PNG bytes vary across machines)."""
    shown: list[tuple] = [("execution_count", cell.get("execution_count"))]
    streams = {"stdout": "", "stderr": ""}
    for output in cell.get("outputs", []):
        kind = output.output_type
        if kind == "stream":
            streams[output.name] += output.text
        elif kind == "error":
            shown.append((kind, output.ename, output.evalue))
        else:
            data = output.data
            shown.append((kind, sorted(data), data.get("text/plain")))
    return shown + sorted(streams.items())


def test_there_are_notebooks():
    names = {path.stem for path in NOTEBOOKS}
    assert len(names) >= 6, f"expected the six walkthroughs in {NOTEBOOK_DIR}, found {names}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes_to_its_committed_outputs(path: Path):
    build = _build_script()
    start = time.perf_counter()
    executed = build.execute(build.notebook(path.with_suffix(".py")))  # raises on a failing cell
    print(f"{path.name}: {time.perf_counter() - start:.1f} s")
    errors = [o for c in executed.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    committed = nbformat.read(path, as_version=4)
    assert len(committed.cells) == len(executed.cells)
    for i, (now, then) in enumerate(zip(executed.cells, committed.cells, strict=True)):
        assert _outputs(now) == _outputs(then), (
            f"{path.name}, cell {i}: the committed outputs are not what the current code gives; "
            "run scripts/build_notebooks.py"
        )


def test_committed_notebooks_show_their_figures():
    """Every code cell was executed, every figure is a PNG, and the files stay small."""
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), path.name
        figures = [
            o
            for c in code
            for o in c.outputs
            if o.output_type == "display_data" and "Figure" in o.data.get("text/plain", "")
        ]
        assert figures, f"{path.name} shows no figure"
        assert all("image/png" in o.data for o in figures), path.name
        assert path.stat().st_size < MAX_BYTES, f"{path.name}: {path.stat().st_size} bytes"


def test_notebooks_match_their_source():
    """The committed notebooks' cells are what scripts/build_notebooks.py makes of the sources."""
    build = _build_script()
    sources = build.sources()
    assert {p.stem for p in NOTEBOOKS} == {s.stem for s in sources}
    for source in sources:
        committed = nbformat.read(source.with_suffix(".ipynb"), as_version=4)
        assert build.text(build.strip(committed)) == build.text(build.notebook(source)), (
            f"{source.stem}.ipynb differs from {source.name}: run scripts/build_notebooks.py"
        )
    assert build.main(["--check"]) == 0


def _readme_commands() -> list[list[str]]:
    blocks = re.findall(r"```bash\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    lines = [line.split("#")[0].strip() for block in blocks for line in block.splitlines()]
    return [line.split() for line in lines if line]


def test_readme_commands_are_installed_by_the_extra_it_names():
    """Every command in notebooks/README.md exists after the install command it gives."""
    commands = _readme_commands()
    installs = [c for c in commands if c[:2] == ["pip", "install"]]
    assert installs == [["pip", "install", "-e", '".[notebooks]"']]
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "optional-dependencies"
    ]
    installed = {re.match(r"[\w.-]+", r)[0].lower() for r in extras["notebooks"]}
    assert {"ipykernel", "jupytext"} <= installed  # the kernel, and the sources' format
    build = _build_script()
    ran = set()
    for command in commands:
        if command[0] == "jupyter":
            assert JUPYTER_SUBCOMMANDS[command[1]] in installed, command
            ran.add("jupyter")
        elif command[:2] == ["python", "scripts/build_notebooks.py"]:
            # the same arguments, compared rather than written: they parse, and pass
            assert build.main([*command[2:], "--check"]) == 0, command
            ran.add("build")
        else:
            assert command[:2] == ["pip", "install"], f"untested command in README: {command}"
    assert ran == {"jupyter", "build"}
