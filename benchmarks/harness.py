"""Timing harness of the benchmarks: alternating repeats, medians, targets and the table.

Contenders of a case are timed in alternation (A B A B ...), so that drift of the machine (a
neighbour's load, thermal throttling, page-cache state) hits every contender alike; each reported
number is the median over repeats. BLAS is pinned to one thread for every contender by
:mod:`benchmarks.run` before NumPy is imported.
"""

from __future__ import annotations

import gc
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Case",
    "Row",
    "Target",
    "alternate",
    "fmt_time",
    "machine_info",
    "render",
    "time_subprocess",
]


@dataclass
class Row:
    """One timed contender of a case."""

    contender: str
    seconds: float
    baseline: bool = False
    note: str = ""
    repeats: int = 0
    group: str = ""  # ratios are taken against the baseline of the same group


@dataclass
class Target:
    """A speed target: ``ratio`` compared against ``threshold`` (``>=`` or ``<=``)."""

    text: str
    ratio: float
    threshold: float
    sense: str = ">="  # ratio >= threshold is met

    @property
    def met(self) -> bool:
        if self.ratio != self.ratio:  # nan
            return False
        return self.ratio >= self.threshold if self.sense == ">=" else self.ratio <= self.threshold


@dataclass
class Case:
    """What one benchmark case reports."""

    key: str
    title: str
    rows: list[Row] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def check(self, ok: bool, text: str) -> None:
        """Record an answer check; a failed one is reported and fails the run."""
        (self.checks if ok else self.failures).append(text)

    def seconds(self, contender: str) -> float:
        for row in self.rows:
            if row.contender == contender:
                return row.seconds
        raise KeyError(contender)


def _clock(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def alternate(
    contenders: Mapping[str, Callable[[], Any]], *, repeats: int, warmup: bool = True
) -> tuple[dict[str, float], dict[str, Any]]:
    """Median seconds of each contender over ``repeats`` alternating rounds, and its last output.

    Each round calls every contender once, in the given order (A B A B ...). With ``warmup``
    every contender is called once before timing starts (imports, caches, page faults).
    """
    outputs: dict[str, Any] = {}
    if warmup:
        for name, fn in contenders.items():
            outputs[name] = fn()
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, fn in contenders.items():
            seconds, outputs[name] = _clock(fn)
            times[name].append(seconds)
    return {name: statistics.median(ts) for name, ts in times.items()}, outputs


def time_subprocess(code: str, *, env: Mapping[str, str] | None = None) -> tuple[float, str]:
    """Wall-clock seconds of ``python -c code`` in a fresh interpreter, and its stdout."""
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=dict(os.environ if env is None else env),
        check=False,
    )
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(
            f"subprocess failed ({proc.returncode}):\n{code}\n{proc.stderr[-2000:]}"
        )
    return seconds, proc.stdout


def fmt_time(seconds: float) -> str:
    if seconds != seconds:
        return "n/a"
    if seconds >= 1.0:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.0f} µs"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(module: str) -> str:
    try:
        from importlib.metadata import version

        return version(module)
    except Exception:
        return "not installed"


def machine_info() -> dict[str, str]:
    """CPU, cores, and the versions that matter for these numbers."""
    info = {
        "CPU": _cpu_model(),
        "cores": str(os.cpu_count()),
        "OS": platform.platform(),
        "Python": platform.python_version(),
    }
    for dist in (
        "numpy",
        "scipy",
        "pandas",
        "pymc",
        "pytensor",
        "dask",
        "empiricaldist",
        "conjugate-models",
    ):
        info[dist] = _version(dist)
    try:
        from threadpoolctl import threadpool_info

        pools = threadpool_info()
        info["BLAS"] = (
            ", ".join(
                f"{p.get('internal_api')} {p.get('version')} ({p.get('num_threads')} thread)"
                for p in pools
            )
            or "none loaded"
        )
    except ImportError:
        info["BLAS"] = "threadpoolctl not installed; pinned by environment variables"
    if os.environ.get("OPENBLAS_CORETYPE"):
        info["OPENBLAS_CORETYPE"] = os.environ["OPENBLAS_CORETYPE"]
    return info


def render(cases: list[Case], info: Mapping[str, str], *, quick: bool, seconds: float) -> str:
    """The results as Markdown: machine, one table per case, targets and answer checks."""
    lines = ["# bayesgd benchmarks", ""]
    if quick:
        lines += [
            "**Quick run (`--quick`): tiny sizes, PyMC cases skipped. The numbers only show "
            "that the runner works; the targets are not meaningful at these sizes.**",
            "",
        ]
    lines += ["Machine: " + "; ".join(f"{k} {v}" for k, v in info.items()) + ".", ""]
    lines += [
        "Every number is the median of alternating repeats (A B A B ...); BLAS pinned to one "
        "thread for every contender. Ratio = contender's time / bayesgd's time (above 1: "
        "bayesgd is faster).",
        "",
        f"Total run time {seconds:.0f} s.",
        "",
    ]
    all_targets: list[tuple[str, Target]] = []
    for case in cases:
        lines += [f"## {case.key}. {case.title}", ""]
        bases = {}
        for r in case.rows:
            if r.baseline:
                bases.setdefault(r.group, r)
        lines += [
            "| contender | median | ratio | repeats | note |",
            "| --- | ---: | ---: | ---: | --- |",
        ]
        for row in case.rows:
            base = bases.get(row.group)
            ratio = (
                "1 (baseline)"
                if row is base
                else (f"{row.seconds / base.seconds:.2f}x" if base and base.seconds > 0 else "")
            )
            lines.append(
                f"| {row.contender} | {fmt_time(row.seconds)} | {ratio} | {row.repeats or ''} "
                f"| {row.note} |"
            )
        lines.append("")
        for note in case.notes:
            lines.append(f"- {note}")
        for text in case.checks:
            lines.append(f"- check passed: {text}")
        for text in case.failures:
            lines.append(f"- **CHECK FAILED: {text}**")
        if case.notes or case.checks or case.failures:
            lines.append("")
        all_targets += [(case.key, t) for t in case.targets]
    if all_targets:
        lines += [
            "## Targets",
            "",
            "| case | target | measured | met |",
            "| --- | --- | ---: | --- |",
        ]
        for key, t in all_targets:
            lines.append(
                f"| {key} | {t.text} | {t.ratio:.3g} | {'met' if t.met else '**missed**'} |"
            )
        lines.append("")
    return "\n".join(lines)
