"""Run the bayesgd benchmarks side by side and write ``benchmarks/results.md``.

Usage::

    python benchmarks/run.py                 # every case, full sizes (a few minutes)
    python benchmarks/run.py --cases 3 5     # chosen cases
    python benchmarks/run.py --quick         # tiny sizes, PyMC cases skipped (a smoke run)

Contenders are timed in alternation (A B A B ...) and reported as medians with their ratio to
bayesgd; BLAS is pinned to one thread for every contender (threadpoolctl when installed, and
the usual environment variables, set here before NumPy is imported, for subprocesses and for
libraries threadpoolctl does not see). ``OPENBLAS_CORETYPE`` is left as the machine sets it.
"""

from __future__ import annotations

import os
import sys

for _var in (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import contextlib  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import cases  # noqa: E402
import harness  # noqa: E402


def _limits() -> contextlib.AbstractContextManager:
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, no PyMC cases")
    parser.add_argument(
        "--cases",
        nargs="+",
        choices=sorted(cases.CASES),
        default=sorted(cases.CASES),
        help="cases to run (default: all): "
        + ", ".join(f"{k} {v[0]}" for k, v in sorted(cases.CASES.items())),
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="Markdown file to write (default: benchmarks/results.md for a full run, "
        "nothing for --quick)",
    )
    args = parser.parse_args(argv)
    sizes = cases.Sizes.small() if args.quick else cases.Sizes()
    output = args.output
    if output is None and not args.quick:
        output = HERE / "results.md"
    pymc = not args.quick
    done = []
    start = time.perf_counter()
    with _limits():
        import numpy  # noqa: F401  (loaded under the limits, so its BLAS is seen)

        for key in args.cases:
            name, needs_pymc = cases.CASES[key]
            if needs_pymc and not pymc:
                print(f"case {key} ({name}) skipped: needs PyMC (quick run)", flush=True)
                continue
            t0 = time.perf_counter()
            print(f"case {key} ({name}) ...", flush=True)
            try:
                done.append(cases.run_case(key, sizes, pymc=pymc))
            except Exception as exc:  # a broken case is reported, never hidden
                failed = harness.Case(key, f"{name}: raised {type(exc).__name__}")
                failed.failures.append(f"{type(exc).__name__}: {exc}")
                done.append(failed)
            print(f"case {key} done in {time.perf_counter() - t0:.1f} s", flush=True)
        info = harness.machine_info()
    text = harness.render(done, info, quick=args.quick, seconds=time.perf_counter() - start)
    print()
    print(text)
    if output is not None:
        output.write_text(text + "\n", encoding="utf-8")
        print(f"written to {output}")
    failed = [f"case {c.key}: {f}" for c in done for f in c.failures]
    if failed:
        print("\nANSWER CHECKS FAILED:\n" + "\n".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
