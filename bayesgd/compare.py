"""All methods side by side: ``bg.compare(model)``.

Runs every method that applies to a model (exact conjugate update, grid, gradient-descent MAP,
Laplace, PyMC's NUTS), times each, and lays the answers out in one tidy table with the distance
of every method from the best reference available (exact, else grid, else NUTS). It answers the
question bayesgd exists for in words too: how far the MAP lies from the posterior mean, in
posterior standard deviations.

Examples
--------
>>> from scipy import stats
>>> import bayesgd as bg
>>> cmp = bg.compare(bg.Binomial(k=9, n=12, p=stats.beta(1, 1)), methods=["conjugate", "map"])
>>> list(cmp.table["method"])
['conjugate', 'map']
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ._validation import as_rng, check_prob
from .errors import DivergenceError, NotApplicableError
from .models.base import Model, routes_to_hierarchical

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["METHODS", "Comparison", "compare"]

#: Every method name ``compare`` knows, in the order it reports them.
METHODS: tuple[str, ...] = ("conjugate", "grid", "map", "laplace", "vi", "pathfinder", "pymc")
#: The grid is run by default only up to this many scalar dimensions.
GRID_MAX_DIMS = 3
#: What a point estimate's row says of its empty cells.
POINT_NOTE = "point estimate: no mean, sd or HDI"
_SHOWN = [
    "method", "parameter", "mean", "sd", "mode", "hdi_low", "hdi_high", "seconds", "khat", "note"
]  # fmt: skip
_FLOATS = ("mean", "sd", "mode", "hdi_low", "hdi_high", "seconds", "khat")


@dataclass
class Comparison:
    """What :func:`compare` returns.

    Attributes
    ----------
    model : Model
    results : dict
        Method name -> its result (a posterior, or a ``MAPResult`` for ``"map"``).
    table : pandas.DataFrame
        One row per method and scalar parameter: ``method``, ``parameter``, ``mean``, ``sd``,
        ``mode`` (the MAP for ``"map"``), ``hdi_low``, ``hdi_high``, ``seconds``, and the
        distance from the reference, ``mean_error`` and ``mode_error`` in reference posterior
        standard deviations; ``healthy`` (False on the rows of a method whose own diagnostics
        failed, e.g. NUTS with divergences or a large R-hat: do not trust those numbers) and
        ``note`` (why a row is unhealthy, or why its cells are empty: the MAP is a point
        estimate, with no mean, sd or HDI); ``khat``, the PSIS trust number of an
        approximation against the model's exact log density (below 0.5 good, up to 0.7
        usable, above 0.7 do not trust; NaN for exact methods, NUTS and the MAP).
    reference : str
        The method the distances are measured from.
    skipped : dict
        Method name -> why it did not run.
    """

    model: Model
    results: dict[str, Any]
    table: pd.DataFrame
    reference: str | None
    prob: float
    skipped: dict[str, str] = field(default_factory=dict)
    predictions: pd.DataFrame | None = None

    def map_vs_mean(self) -> pd.DataFrame:
        """Per parameter: the MAP, the posterior mean and sd, and their distance in sds."""
        import pandas as pd

        if "map" not in self.results or self.reference is None:
            raise ValueError("map_vs_mean needs the 'map' method and a reference posterior")
        ref = self.table[self.table["method"] == self.reference].set_index("parameter")
        mp = self.table[self.table["method"] == "map"].set_index("parameter")
        out = pd.DataFrame(
            {
                "map": mp["mode"],
                "posterior_mean": ref["mean"],
                "posterior_sd": ref["sd"],
            }
        )
        out["distance_sd"] = (out["map"] - out["posterior_mean"]) / out["posterior_sd"]
        return out

    def explain(self) -> str:
        """The answer in words: where the MAP lies against the posterior, per parameter."""
        lines = []
        if "map" in self.results and self.reference is not None:
            for name, row in self.map_vs_mean().iterrows():
                side = "above" if row["distance_sd"] > 0 else "below"
                lines.append(
                    f"{name}: the MAP {row['map']:.4g} lies "
                    f"{abs(row['distance_sd']):.2f} posterior sd {side} the posterior mean "
                    f"{row['posterior_mean']:.4g} "
                    f"(reference: {self.reference})."
                )
        if self.predictions is not None:
            p = self.predictions.pivot(index="row", columns="method", values="mean")
            if "map" in p.columns:
                others = [c for c in p.columns if c != "map"]
                if others:
                    gap = (p[others].sub(p["map"], axis=0)).abs().max(axis=1)
                    worst = int(gap.idxmax())
                    lines.append(
                        f"predictions: the largest gap between the MAP plug-in and a posterior "
                        f"predictive mean is {gap.max():.3g} (input row {worst})."
                    )
        lines += self._trust_lines()
        for method, result in self.results.items():
            if _problems(result):
                lines.append(
                    f"{method} is UNHEALTHY, do not trust its rows: "
                    + "; ".join(_problems(result))
                    + "."
                )
        if "map" in self.results:
            lines.append(f"map: a {POINT_NOTE} (its cells are empty, NaN).")
        for method, why in self.skipped.items():
            lines.append(f"{method} not run: {why}")
        return "\n".join(lines)

    def _trust_lines(self) -> list[str]:
        """One sentence per approximation with a k-hat: can it be trusted here?"""
        from .trust import khat_verdict

        out = []
        khats = self.table.groupby("method", sort=False)["khat"].first().dropna()
        for method, k in khats.items():
            verdict = khat_verdict(float(k))
            advice = {
                "good": "close to the posterior",
                "usable": "usable, its importance-resampled draws more so",
                "do not trust": "do not trust it here; importance resampling cannot fix it either",
            }[verdict]
            out.append(f"{method}: k-hat {k:.2f}, {advice}.")
        return out

    def _shown(self) -> pd.DataFrame:
        """The table as printed: an unhealthy row's note points to the words below it."""
        shown = self.table[_SHOWN].copy()
        shown.loc[~self.table["healthy"], "note"] = "UNHEALTHY (see below)"
        return shown

    def plot(self, **kwargs: Any) -> Any:
        """Overlay each method's marginal densities, MAP and means marked (see bayesgd.plots)."""
        from .plots import plot_comparison

        return plot_comparison(self, **kwargs)

    def __repr__(self) -> str:
        text = self._shown().to_string(index=False, float_format=lambda v: f"{v:.5g}")
        explanation = self.explain()
        return f"Comparison (reference: {self.reference})\n{text}" + (
            f"\n{explanation}" if explanation else ""
        )

    def _repr_html_(self) -> str:
        words = "<br>".join(self.explain().splitlines())
        return (
            f"<p><b>Comparison</b> (reference: {self.reference})</p>"
            + self._shown().to_html(index=False, float_format=lambda v: f"{v:.5g}")
            + f"<p>{words}</p>"
        )


def _problems(result: Any) -> list[str]:
    """The failed diagnostics a method reports on its result (a posterior's ``problems``)."""
    from .posterior import Posterior

    return list(result.problems) if isinstance(result, Posterior) else []


def _point_note(result: Any) -> str:
    note = POINT_NOTE
    if not result.converged:
        note += "; did not converge"
    if result.at_boundary:
        note += "; on the edge of the support"
    return note


def _rows_for(method: str, result: Any, model: Model, prob: float, seconds: float) -> list[dict]:
    from .posterior import Posterior

    rows = []
    if not isinstance(result, Posterior):  # a point estimate (MAPResult): no spread
        note = _point_note(result)
        for name, param in model.parameters.items():
            values = np.broadcast_to(result.params[name], param.shape).reshape(-1)
            for element, value in zip(param.element_names(), values, strict=True):
                rows.append(
                    {
                        "method": method,
                        "parameter": element,
                        "mode": float(value),
                        "seconds": seconds,
                        "healthy": True,
                        "note": note,
                    }
                )
        return rows
    problems = _problems(result)
    note = ("unhealthy: " + "; ".join(problems)) if problems else ""
    khat = _khat(result, model)
    summary = result.summary(prob=prob)
    low_name, high_name = summary.columns[-2], summary.columns[-1]
    for element, row in summary.iterrows():
        rows.append(
            {
                "method": method,
                "parameter": element,
                "mean": row["mean"],
                "sd": row["sd"],
                "mode": row["mode"],
                "hdi_low": row[low_name],
                "hdi_high": row[high_name],
                "seconds": seconds,
                "khat": khat,
                "healthy": not problems,
                "note": note,
            }
        )
    return rows


def _khat(result: Any, model: Model) -> float:
    """The PSIS k-hat of an approximation (NaN where it cannot evaluate its own density)."""
    try:
        return float(result.khat(model, rng=0))
    except NotApplicableError:
        return np.nan


def _runners(
    options: Mapping[str, Mapping[str, Any]], rng: np.random.Generator
) -> dict[str, Callable[[Model], Any]]:
    from .conjugate import conjugate
    from .grid import grid
    from .laplace import laplace
    from .map import map_estimate
    from .variational import pathfinder, vi

    def run_pymc(model: Model) -> Any:
        from .pymc import sample_pymc

        return sample_pymc(model, rng=rng, **options.get("pymc", {}))

    return {
        "conjugate": lambda m: conjugate(m, **options.get("conjugate", {})),
        "grid": lambda m: grid(m, **options.get("grid", {})),
        "map": lambda m: map_estimate(m, **options.get("map", {})),
        "laplace": lambda m: laplace(m, **options.get("laplace", {})),
        "vi": lambda m: vi(m, **{"rng": rng, **options.get("vi", {})}),
        "pathfinder": lambda m: pathfinder(m, **{"rng": rng, **options.get("pathfinder", {})}),
        "pymc": run_pymc,
    }


def _predictions(
    model: Model,
    results: Mapping[str, Any],
    X_new: Any,
    offset: Any,
    prob: float,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Predictive mean and interval at ``X_new`` for every method, in one tidy table."""
    import pandas as pd

    from .posterior import Posterior
    from .predictive import predict

    rows = []
    for method, result in results.items():
        if not isinstance(result, Posterior):  # a point estimate: its plug-in prediction
            mean = predict(model, X_new, result, offset=offset)
            low = high = np.full_like(mean, np.nan)
        else:
            pred = predict(model, X_new, posterior=result, prob=prob, rng=rng, offset=offset)
            mean, low, high = pred.mean, pred.low, pred.high
        for i in range(len(mean)):
            rows.append(
                {"method": method, "row": i, "mean": mean[i], "low": low[i], "high": high[i]}
            )
    return pd.DataFrame(rows, columns=["method", "row", "mean", "low", "high"])


def compare(
    model: Model,
    methods: Sequence[str] | None = None,
    *,
    prob: float = 0.94,
    rng: Any = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    X_new: Any = None,
    offset_new: Any = None,
) -> Comparison:
    """Run every method that applies to ``model`` and put the answers side by side.

    Parameters
    ----------
    model : Model
        Any bayesgd model.
    methods : sequence of str, optional
        A subset of ``("conjugate", "grid", "map", "laplace", "pymc")``. By default every method
        that applies: ``conjugate`` when a closed form exists, ``grid`` up to three scalar
        dimensions, ``map``, ``laplace`` and ``pymc``. A method named explicitly that cannot run
        raises its error; one chosen by default that cannot run is reported in ``skipped``.
    prob : float
        Mass of the highest-density intervals in the table.
    rng : None, int or numpy Generator
        Seeds PyMC (and any other random method).
    options : dict, optional
        Per-method keyword arguments, e.g. ``{"grid": {"points": 501}, "pymc": {"draws": 500}}``.
    X_new : array_like, optional
        New inputs for models that predict (regressions, :class:`bayesgd.Perceptron`): the
        comparison then also holds ``predictions``, each method's predictive mean and interval
        at every row. For a Perceptron, whose weights are not identifiable (hidden units can be
        permuted or flip sign), predictions are what should be compared; they default to the
        training inputs.
    offset_new : float or array_like, optional
        The offset of each row of ``X_new`` for a :class:`bayesgd.PoissonRegression` (required
        when the model was fitted with an offset, e.g. ``np.log(exposure_new)``).

    Returns
    -------
    Comparison

    Examples
    --------
    >>> from scipy import stats
    >>> import bayesgd as bg
    >>> cmp = bg.compare(bg.Binomial(k=1, n=20, p=stats.beta(1, 1)),
    ...                  methods=["conjugate", "map", "laplace"])
    >>> round(float(cmp.map_vs_mean().loc["p", "distance_sd"]), 2)
    -0.68
    """
    if not isinstance(model, Model):
        raise TypeError(f"model must be a bayesgd Model, got {type(model).__name__}")
    prob = check_prob(prob, "prob")
    if routes_to_hierarchical(model):  # nested grid, marginal MAP and Laplace, NUTS
        return model.compare(methods=methods, rng=rng)
    X_new = _prediction_inputs(model, X_new, offset_new)
    options = dict(options or {})
    unknown_options = set(options) - set(METHODS)
    if unknown_options:
        raise ValueError(
            f"options names unknown methods {sorted(unknown_options)}; use {list(METHODS)}"
        )
    explicit = methods is not None
    chosen = _chosen(methods)
    generator = as_rng(rng)
    results, seconds, skipped = _run_all(
        model, chosen, _runners(options, generator), explicit=explicit, options=options
    )
    table, reference = _table(model, results, seconds, prob)
    if skipped and explicit:
        warnings.warn(f"methods not run: {skipped}", UserWarning, stacklevel=2)
    predictions = None
    if X_new is not None:
        predictions = _predictions(model, results, X_new, offset_new, prob, generator)
    return Comparison(model, results, table, reference, prob, skipped, predictions)


def _prediction_inputs(model: Model, X_new: Any, offset_new: Any) -> Any:
    """``X_new`` checked before any method runs (default: the model's own prediction inputs).

    The model is asked through its declared prediction hooks (``can_predict``, ``_check_X``,
    ``default_prediction_inputs``).
    """
    if X_new is None:
        X_new = model.default_prediction_inputs()
    if X_new is not None:
        if not model.can_predict:
            raise TypeError(f"X_new is given but {type(model).__name__} does not predict")
        from .predictive import _offset_argument

        X_new = model._check_X(X_new, "X_new")
        _offset_argument(model, offset_new, X_new.shape[0])
    elif offset_new is not None:
        raise TypeError("offset_new is the offset of the rows of X_new: give X_new too")
    return X_new


def _chosen(methods: Sequence[str] | str | None) -> list[str]:
    if methods is None:
        return list(METHODS)
    chosen = [methods] if isinstance(methods, str) else list(methods)
    bad = [m for m in chosen if m not in METHODS]
    if bad or not chosen:
        raise ValueError(f"methods must be a non-empty subset of {list(METHODS)}, got {methods!r}")
    return [m for m in METHODS if m in chosen]


def _first_line(exc: Exception) -> str:
    first = str(exc).splitlines()[0]
    # drop a trailing "The conjugate pairs are:" whose list is on the next lines
    return first.rsplit(". ", 1)[0] + "." if first.endswith(":") else first


def _run_all(
    model: Model,
    chosen: list[str],
    runners: Mapping[str, Callable[[Model], Any]],
    *,
    explicit: bool,
    options: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, float], dict[str, str]]:
    """Run each method, timed; one chosen by default that cannot run is skipped with why."""
    results: dict[str, Any] = {}
    seconds: dict[str, float] = {}
    skipped: dict[str, str] = {}
    for method in chosen:
        big = model.size > GRID_MAX_DIMS and "grid" not in options
        if not explicit and method == "grid" and big:
            skipped[method] = (
                f"{model.size} dimensions (grids run by default up to {GRID_MAX_DIMS})"
            )
            continue
        start = time.perf_counter()
        try:
            results[method] = runners[method](model)
        except (NotApplicableError, DivergenceError) as exc:
            if explicit:
                raise
            skipped[method] = _first_line(exc)
            continue
        seconds[method] = time.perf_counter() - start
    if not results:
        raise ValueError(f"no method could run on this model: {skipped}")
    return results, seconds, skipped


def _table(
    model: Model, results: Mapping[str, Any], seconds: Mapping[str, float], prob: float
) -> tuple[pd.DataFrame, str | None]:
    """The tidy table and the reference its distances are measured from."""
    import pandas as pd

    rows = []
    for method, result in results.items():
        rows += _rows_for(method, result, model, prob, seconds[method])
    table = pd.DataFrame(rows, columns=[*_SHOWN[:-1], "healthy", "note"]).astype(
        {**dict.fromkeys(_FLOATS, float), "healthy": bool, "note": str}
    )
    # an unhealthy posterior (NUTS that failed its diagnostics) is no reference
    reference = next(
        (m for m in ("conjugate", "grid", "pymc") if m in results and not _problems(results[m])),
        None,
    )
    if reference is not None:
        ref = table[table["method"] == reference].set_index("parameter")
        ref_sd = table["parameter"].map(ref["sd"])
        table["mean_error"] = (table["mean"] - table["parameter"].map(ref["mean"])) / ref_sd
        table["mode_error"] = (table["mode"] - table["parameter"].map(ref["mode"])) / ref_sd
    else:
        table["mean_error"] = np.nan
        table["mode_error"] = np.nan
    return table, reference
