"""Execute every walkthrough notebook in notebooks/ from a clean kernel; any error fails.

Each notebook is its own test. The notebooks assert their own claims (hand-computed gradient
steps equal ``map_estimate``'s history, the grid equals the closed form, a wrong approximation
fails ``check_with_pymc``, ...), so a notebook that runs is also a notebook whose story holds.
The committed notebooks carry no outputs; ``scripts/build_notebooks.py`` generates them from
their percent-format sources ``notebooks/*.py`` and a test checks that they match them.
"""

from __future__ import annotations

import importlib.util
import re
import time
import tomllib
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
BUILD_SCRIPT = ROOT / "scripts" / "build_notebooks.py"
README = NOTEBOOK_DIR / "README.md"

#: The distribution that installs each ``jupyter <subcommand>`` the README uses.
JUPYTER_SUBCOMMANDS = {"lab": "jupyterlab", "notebook": "notebook", "nbconvert": "nbconvert"}

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


def _build_script():
    spec = importlib.util.spec_from_file_location("build_notebooks", BUILD_SCRIPT)
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    return build


def test_notebooks_match_their_source():
    """The committed notebooks are what scripts/build_notebooks.py makes of notebooks/*.py."""
    build = _build_script()
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
