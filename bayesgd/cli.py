r"""The ``bayesgd`` command: compare MAP and posterior from a shell.

``bayesgd demo`` runs :func:`bayesgd.compare` on the Challenger O-ring data shipped with the
package, prints the table and writes the comparison figure to a PNG. ``bayesgd compare`` does
the same for a model given on the command line (the help text, :data:`HELP`, says how).
"""

from __future__ import annotations

import argparse
import ast
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["HELP", "LIKELIHOODS", "build_model", "main", "parse_prior"]

#: ``bayesgd compare --help``: plain text, every example runnable as written.
HELP = """Compare the posterior with the point gradient descent finds (MAP), side by side.

examples:
  bayesgd compare binomial k=7 n=10 "p=beta(2, 2)"
  bayesgd compare normal y=@deviation --dataset newcomb \\
      "mu=norm(25, 10)" "sigma=halfnorm(scale=20)"
  bayesgd compare logistic X=@temperature_f y=@damaged --dataset challenger \\
      "coef=norm(0, 0.1)" "intercept=norm(0, 10)"

Each name=value is a prior in scipy.stats spelling (beta(2, 2)), a number or comma-separated
numbers (data, or a fixed parameter), or @column (@a,b for several columns) to take data from
a shipped data set (--dataset challenger or newcomb) or from your own CSV file (--csv FILE).

Every failure is one line on stderr and sets the exit status:
  0    the comparison ran and no bayesgd warning was raised
  1    a method failed numerically (a bayesgd error such as DivergenceError, or PyMC's
       SamplingError), or the comparison ran but raised a bayesgd warning: the table is
       printed, and each warning, one line, says what not to trust
  2    bad arguments (an --output that cannot be written is refused before any work)
  130  interrupted (Ctrl-C)
"""

#: Command-line likelihood names -> model class names in bayesgd.
LIKELIHOODS: dict[str, str] = {
    "bernoulli": "Bernoulli",
    "binomial": "Binomial",
    "geometric": "Geometric",
    "negative_binomial": "NegativeBinomial",
    "poisson": "Poisson",
    "exponential": "Exponential",
    "normal": "Normal",
    "gamma": "Gamma",
    "lognormal": "LogNormal",
    "studentt": "StudentT",
    "weibull": "Weibull",
    "categorical": "Categorical",
    "multinomial": "Multinomial",
    "linear": "LinearRegression",
    "logistic": "LogisticRegression",
    "poisson_regression": "PoissonRegression",
}


class UsageError(ValueError):
    """A command-line argument is wrong (exit status 2)."""


def _literal(node: ast.AST, text: str) -> Any:
    try:
        value = ast.literal_eval(node)
    except ValueError:
        raise UsageError(f"only numbers and lists of numbers are allowed in {text!r}") from None
    return value


def parse_prior(text: str) -> Any:
    """Parse scipy.stats spelling such as ``beta(2, 2)`` or ``norm(loc=0, scale=10)``.

    Only a call of a scipy.stats distribution with literal arguments is accepted; nothing is
    evaluated.

    Examples
    --------
    >>> parse_prior("beta(2, 2)").mean()
    np.float64(0.5)
    """
    from scipy import stats

    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        raise UsageError(f"cannot parse {text!r}; write a prior like beta(2, 2)") from None
    if not isinstance(tree, ast.Call) or not isinstance(tree.func, ast.Name):
        raise UsageError(f"{text!r} is not a distribution call like beta(2, 2)")
    name = tree.func.id
    dist = getattr(stats, name, None)
    if dist is None or not callable(dist) or name.startswith("_"):
        raise UsageError(f"scipy.stats has no distribution {name!r}")
    args = [_literal(a, text) for a in tree.args]
    kwargs = {k.arg: _literal(k.value, text) for k in tree.keywords if k.arg is not None}
    try:
        return dist(*args, **kwargs)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"invalid arguments in {text!r}: {exc}") from None


def _numbers(text: str, name: str) -> np.ndarray:
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise UsageError(f"{name}={text!r}: expected numbers separated by commas") from None
    if not values:
        raise UsageError(f"{name}= needs a value")
    arr = np.asarray(values)
    return arr[0] if arr.size == 1 else arr


def build_model(
    likelihood: str,
    assignments: Sequence[str],
    csv: str | None = None,
    *,
    dataset: str | None = None,
) -> Any:
    """Build a bayesgd model from command-line words (see :data:`HELP`)."""
    import bayesgd as bg

    if likelihood not in LIKELIHOODS:
        raise UsageError(
            f"unknown likelihood {likelihood!r}; choose one of {', '.join(LIKELIHOODS)}"
        )
    frame = None
    if csv is not None and dataset is not None:
        raise UsageError("give --csv FILE or --dataset NAME, not both")
    if dataset is not None:
        from .datasets import NAMES, load

        if dataset not in NAMES:
            raise UsageError(f"--dataset must be one of {', '.join(NAMES)}, got {dataset!r}")
        frame = load(dataset)
    if csv is not None:
        import pandas as pd

        try:
            frame = pd.read_csv(csv)
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot read --csv {csv!r}: {exc}") from None
    kwargs: dict[str, Any] = {}
    for word in assignments:
        name, sep, value = word.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier() or not value.strip():
            raise UsageError(f"expected name=value, got {word!r}")
        if name in kwargs:
            raise UsageError(f"{name} is given twice")
        value = value.strip()
        if value.startswith("@"):
            if frame is None:
                raise UsageError(
                    f"{name}={value} takes a column, so give --dataset NAME or --csv FILE"
                )
            columns = [c.strip() for c in value[1:].split(",")]
            missing = [c for c in columns if c not in frame.columns]
            if missing:
                raise UsageError(
                    f"the data have no column(s) {missing}; they have {list(frame.columns)}"
                )
            data = frame[columns].to_numpy(dtype=float)
            kwargs[name] = data if name == "X" else data[:, 0] if len(columns) == 1 else data
        elif "(" in value:
            kwargs[name] = parse_prior(value)
        else:
            kwargs[name] = _numbers(value, name)
    cls = getattr(bg, LIKELIHOODS[likelihood])
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise UsageError(f"{likelihood}: {exc}") from None


def _output_path(output: str | None) -> Path | None:
    """The figure's path, refused before any work if it cannot be written."""
    if not output:
        return None
    path = Path(output)
    if path.is_dir():
        raise UsageError(f"--output: cannot write {str(path)!r}: it is a directory")
    if not path.suffix:
        path = path.with_suffix(".png")
    from matplotlib.backend_bases import FigureCanvasBase

    kinds = FigureCanvasBase.get_supported_filetypes()
    if path.suffix[1:].lower() not in kinds:
        raise UsageError(
            f"--output: cannot write {str(path)!r}: matplotlib writes {', '.join(sorted(kinds))}"
        )
    folder = path.parent
    if path.is_dir():
        problem = "it is a directory"
    elif not folder.is_dir():
        problem = f"no directory {str(folder)!r}"
    elif not os.access(path if path.exists() else folder, os.W_OK):
        problem = "permission denied"
    else:
        return path
    raise UsageError(f"--output: cannot write {str(path)!r}: {problem}")


def _run(model: Any, args: argparse.Namespace, title: str, path: Path | None) -> int:
    import bayesgd as bg

    from .compare import METHODS

    methods = None
    if args.methods is not None:
        methods = [m.strip() for m in args.methods.split(",") if m.strip()]
        if not methods:
            raise UsageError(
                f"--methods needs one or more of {','.join(METHODS)}, got {args.methods!r}"
            )
    cmp = bg.compare(model, methods=methods, rng=args.seed)
    print(title)
    print(cmp)
    if path is not None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        result = cmp.plot()
        fig = result.figure if hasattr(result, "figure") else np.ravel(result)[0].figure
        try:
            fig.savefig(path, dpi=120, bbox_inches="tight")
        except OSError as exc:
            raise UsageError(
                f"--output: cannot write {str(path)!r}: {exc.strerror or exc}"
            ) from None
        finally:
            plt.close(fig)
        print(f"figure written to {path}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bayesgd",
        description="Compare the posterior with the point gradient descent finds (MAP).",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser, output: str | None) -> None:
        p.add_argument(
            "--methods",
            help="comma-separated subset of conjugate,grid,map,laplace,pymc "
            "(default: all that apply)",
        )
        p.add_argument(
            "--output", default=output, help=f"PNG file for the figure (default: {output})"
        )
        p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")

    demo = sub.add_parser(
        "demo", help="compare all methods on the Challenger O-ring data shipped with bayesgd"
    )
    common(demo, "bayesgd-demo.png")
    cmp = sub.add_parser(
        "compare",
        help="compare all methods on a model given on the command line",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cmp.add_argument("likelihood", help=f"one of: {', '.join(LIKELIHOODS)}")
    cmp.add_argument(
        "assignments", nargs="+", metavar="name=value", help="data, priors and fixed values"
    )
    cmp.add_argument("--csv", help="CSV file the @column values come from")
    cmp.add_argument(
        "--dataset", help="a shipped data set the @column values come from: challenger, newcomb"
    )
    common(cmp, None)
    return parser


def _bayesgd_classes(kind: type) -> tuple[type, ...]:
    """The public error (``kind=Exception``) or warning classes of bayesgd."""
    import bayesgd as bg

    found = (getattr(bg, name) for name in bg.__all__)
    classes = [c for c in found if isinstance(c, type) and issubclass(c, kind)]
    if kind is Exception:
        classes = [c for c in classes if not issubclass(c, Warning)]
    return tuple(classes)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _status_of(exc: Exception) -> int | None:
    """Exit status for a failure reported in one line; None for a bug (a traceback)."""
    if isinstance(exc, UsageError | ValueError | TypeError):
        return 2
    pymc_errors = sys.modules.get("pymc.exceptions")  # imported only if PyMC ran
    known = _bayesgd_classes(Exception)
    if pymc_errors is not None:
        known += (pymc_errors.SamplingError,)
    return 1 if isinstance(exc, known) else None


def _report_warnings(caught: list[warnings.WarningMessage]) -> int:
    """Each bayesgd warning (or one issued from bayesgd's code) as one line; 1 if any."""
    ours = _bayesgd_classes(Warning)
    package = str(Path(__file__).resolve().parent)
    status, seen = 0, set()
    for w in caught:
        from_bayesgd = str(Path(w.filename).resolve()).startswith(package)
        if not (issubclass(w.category, ours) or from_bayesgd):
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
            continue
        line = f"bayesgd: warning: {w.category.__name__}: {_one_line(w.message)}"
        if line not in seen:
            seen.add(line)
            print(line, file=sys.stderr)
        if issubclass(w.category, ours):
            status = 1
    return status


def _dispatch(args: argparse.Namespace) -> int:
    path = _output_path(args.output)  # before any work
    if args.command == "demo":
        from .datasets import challenger_model

        return _run(
            challenger_model(),
            args,
            "Challenger O-ring damage ~ launch temperature (logistic regression, "
            "temperature in 10 °F from 70 °F)",
            path,
        )
    model = build_model(args.likelihood, args.assignments, args.csv, dataset=args.dataset)
    return _run(model, args, f"{args.likelihood} model: {model!r}", path)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``bayesgd`` command; returns the exit status."""
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # name=value words given after an option such as --csv
        if args.command != "compare" or any(w.startswith("-") or "=" not in w for w in extra):
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        args.assignments += extra
    if args.seed < 0:
        parser.error(f"--seed must be a non-negative integer, got {args.seed}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)  # every bayesgd warning is one
        try:
            status = _dispatch(args)
        except KeyboardInterrupt:
            status = 130
            print("bayesgd: interrupted", file=sys.stderr)
        except Exception as exc:
            status = _status_of(exc)
            if status is None:
                raise
            kind = "" if status == 2 else f"{type(exc).__name__}: "
            print(f"bayesgd: error: {kind}{_one_line(exc)}", file=sys.stderr)
    return max(status, _report_warnings(caught))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
