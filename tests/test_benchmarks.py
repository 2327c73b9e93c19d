"""The benchmark runner works: a quick run (tiny sizes, PyMC cases skipped) end to end.

Every non-PyMC case runs its contenders, checks their answers against each other and against
closed forms, and renders the table; the runner exits non-zero if any answer check fails, so a
change that breaks a contender or bayesgd's answer fails here.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

RUNNER = Path(__file__).resolve().parents[1] / "benchmarks" / "run.py"


def test_quick_run_writes_the_table(tmp_path):
    out = tmp_path / "results.md"
    proc = subprocess.run(
        [sys.executable, str(RUNNER), "--quick", "--output", str(out)],
        capture_output=True,
        text=True,
        env={**os.environ, "MPLBACKEND": "Agg"},
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    text = out.read_text(encoding="utf-8")
    for heading in ("## 1. MAP", "## 3. Grid", "## 4. Conjugate", "## 5. Streaming", "## 6. "):
        assert heading in text
    assert "## 2." not in text and "## 7." not in text  # PyMC cases skipped when quick
    assert "case 2 (map_betabinomial) skipped" in proc.stdout
    assert "CHECK FAILED" not in text
    assert "## Targets" in text and "Machine: CPU" in text
    assert text.count("check passed") >= 15


def test_cases_can_be_chosen(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(RUNNER), "--quick", "--cases", "4", "--output", str(tmp_path / "r")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = (tmp_path / "r").read_text(encoding="utf-8")
    assert "## 4. Conjugate" in text and "## 3." not in text


def test_unknown_case_is_refused():
    proc = subprocess.run(
        [sys.executable, str(RUNNER), "--quick", "--cases", "9"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2 and "invalid choice" in proc.stderr
