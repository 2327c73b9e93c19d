"""The result of :func:`bayesgd.map_estimate`: :class:`MAPResult`, built from a run's outcome."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import BoundaryWarning
from ..models.base import Model

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MAPResult"]


@dataclass(repr=False, eq=False)
class MAPResult:
    """The result of :func:`map_estimate`.

    Attributes
    ----------
    params : dict
        The mode, keyed by parameter name, in the model's own parametrisation (floats for
        scalar parameters, arrays otherwise). Parameters at the edge of their support are
        exactly on it.
    loss : float
        The objective at the mode: ``-(log prior + log likelihood)``, minus ``log|det J|`` when
        ``jacobian=True``.
    grad_norm : float
        Euclidean norm of the gradient of the loss in unconstrained space at the mode (over the
        coordinates not held at an edge).
    iterations : int
        Iterations made (by the best start).
    converged : bool
        Whether the tolerance was met (or the mode was found exactly on the edge).
    at_boundary : bool
        Whether some parameter's mode is on the edge of its support.
    message : str
        How the run ended, in words.
    jacobian : bool
        ``False``: the mode of the density of ``theta``; ``True``: the mode of the density of
        the unconstrained ``u``, mapped back to ``theta``.
    optimizer : str
        Name of the optimizer used.
    n_evaluations : int
        Evaluations of the loss and gradient (by the best start, line searches included).
    history : pandas.DataFrame or None
        With ``record=True``, one row per iteration (row 0 is the start): ``iteration``,
        ``loss``, ``grad_norm``, ``step_size`` (the Euclidean length of the step in
        unconstrained space), then the parameters (``p``, ``coef[0]``, ...) and their
        unconstrained coordinates (``u[p]``, ``u[coef[0]]``, ...). ``None`` with
        ``record=False``.
    u : numpy.ndarray
        The mode in unconstrained space (``-inf``/``+inf`` for coordinates on an edge).
    boundary : tuple of str
        Element names of the parameters on an edge (``("p",)``), empty otherwise.
    starts_agree : bool or None
        With ``starts > 1``: whether every start reached the same mode (``None`` otherwise).
    starts : pandas.DataFrame or None
        With ``starts > 1``: one row per start (its loss, convergence, iterations and mode).
    model : Model
        The model.
    at_kink : bool
        Whether the mode is at a kink, a point where the loss is not differentiable (the peak
        of a Laplace prior): the loss rises in every probed direction although the (one-sided)
        gradient is not zero. Such a result counts as converged; no Laplace approximation
        exists there.
    """

    params: dict[str, Any]
    loss: float
    grad_norm: float
    iterations: int
    converged: bool
    at_boundary: bool
    message: str
    jacobian: bool
    optimizer: str
    n_evaluations: int
    history: pd.DataFrame | None = None
    u: np.ndarray = field(default_factory=lambda: np.zeros(0))
    boundary: tuple[str, ...] = ()
    starts_agree: bool | None = None
    starts: pd.DataFrame | None = None
    model: Model | None = None
    at_kink: bool = False

    @property
    def mode_kind(self) -> str:
        """``"mode of p(theta | D)"`` or ``"mode of p(u | D) (Jacobian-adjusted)"``."""
        return "mode of p(u | D) (Jacobian-adjusted)" if self.jacobian else "mode of p(theta | D)"

    def to_dict(self) -> dict[str, Any]:
        """Plain Python values (lists for arrays; no history), e.g. for JSON.

        Examples
        --------
        >>> from scipy import stats
        >>> import bayesgd as bg
        >>> d = bg.map_estimate(bg.Binomial(k=7, n=10, p=stats.beta(2, 2))).to_dict()
        >>> round(d["params"]["p"], 4), d["converged"], d["jacobian"]
        (0.6667, True, False)
        """
        return {
            "params": {k: _plain(v) for k, v in self.params.items()},
            "loss": float(self.loss),
            "grad_norm": float(self.grad_norm),
            "iterations": int(self.iterations),
            "converged": bool(self.converged),
            "at_boundary": bool(self.at_boundary),
            "boundary": list(self.boundary),
            "message": self.message,
            "jacobian": bool(self.jacobian),
            "optimizer": self.optimizer,
            "n_evaluations": int(self.n_evaluations),
            "starts_agree": self.starts_agree,
            "at_kink": bool(self.at_kink),
        }

    def __repr__(self) -> str:
        lines = [f"MAPResult: {self.mode_kind}, optimizer {self.optimizer!r}"]
        width = max(len(n) for n in self.params) if self.params else 0
        for name, value in self.params.items():
            text = np.array2string(np.asarray(value), precision=6, separator=", ")
            edge = (
                "  (on the edge of the support)"
                if any(b == name or b.startswith(f"{name}[") for b in self.boundary)
                else ""
            )
            lines.append(f"  {name:<{width}} = {text}{edge}")
        status = "converged" if self.converged else "NOT converged"
        lines.append(
            f"  loss = {self.loss:.10g}, |grad| = {self.grad_norm:.3g}, {status} after "
            f"{self.iterations} iteration(s), {self.n_evaluations} evaluation(s)"
        )
        if self.starts_agree is not None:
            lines.append(f"  starts agree: {self.starts_agree}")
        lines.append(f"  {self.message}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        import html

        return f"<pre>{html.escape(repr(self))}</pre>"


def _plain(value: Any) -> Any:
    arr = np.asarray(value, dtype=float)
    return float(arr) if arr.ndim == 0 else arr.tolist()


class _Outcome:
    """What one start produced (plain attributes, no per-iteration objects)."""

    __slots__ = (
        "converged",
        "edge",
        "grad_norm",
        "history",
        "iterations",
        "message",
        "n_evals",
        "status",
        "u",
        "value",
        "warnings",
    )


class _Recorder:
    """Preallocated, geometrically grown arrays of the path (used only with record=True)."""

    def __init__(self, dim: int, max_rows: int):
        self.n = 0
        cap = min(max_rows, 256)
        self.max_rows = max_rows
        self.scalars = np.empty((cap, 3))
        self.u = np.empty((cap, dim))

    def add(self, u: np.ndarray, loss: float, gnorm: float, step: float) -> None:
        n = self.n
        if n == len(self.scalars):
            cap = min(self.max_rows, 2 * n)
            self.scalars = np.resize(self.scalars, (cap, 3))
            self.u = np.resize(self.u, (cap, self.u.shape[1]))
        self.scalars[n] = (loss, gnorm, step)
        self.u[n] = u
        self.n = n + 1


def _scalarise(value: Any) -> Any:
    arr = np.asarray(value, dtype=float)
    return float(arr) if arr.ndim == 0 else arr.copy()


def _params_text(params: Mapping[str, Any]) -> str:
    parts = []
    for name, value in params.items():
        arr = np.asarray(value)
        text = f"{float(arr):.10g}" if arr.ndim == 0 else np.array2string(arr, precision=8)
        parts.append(f"{name}={text}")
    return "{" + ", ".join(parts) + "}"


def _result(space, out: _Outcome, opt_name: str, jacobian: bool, record: bool) -> MAPResult:
    params = space.snap_to_edges(space.to_constrained(out.u), out.u)
    boundary = _boundary_names(space, out)
    if boundary:
        out.warnings.append(
            (
                BoundaryWarning,
                "the mode lies on the edge of the support: "
                f"{_params_text(_edge_values(space, params, boundary))} (full mode "
                f"{_params_text(params)}); the loss keeps decreasing toward the edge, where "
                "unconstrained coordinates are infinite, so the edge value is reported exactly"
                + (" (the density is infinite there)" if out.value == -np.inf else "")
                + ". A Gaussian (Laplace) approximation does not apply there.",
            )
        )
    message = out.message
    if boundary:
        edge = _params_text(_edge_values(space, params, boundary))
        message = (
            f"mode on the edge of the support: {edge} (the loss decreases toward it); {message}"
        )
    rec = out.history
    if rec is not None:  # keep only the rows used until the history is read
        rec.scalars, rec.u = rec.scalars[: rec.n].copy(), rec.u[: rec.n].copy()
    # the DataFrame (and pandas) only when someone reads result.history
    history = (lambda: _history(space, rec)) if record and rec is not None else None
    return MAPResult(
        params={n: _scalarise(v) for n, v in params.items()},
        loss=float(out.value) + 0.0,  # no -0.0
        grad_norm=float(out.grad_norm),
        iterations=int(out.iterations),
        converged=bool(out.converged),
        at_boundary=bool(boundary),
        message=message,
        jacobian=jacobian,
        optimizer=opt_name,
        n_evaluations=int(out.n_evals),
        history=history,
        u=out.u,
        boundary=tuple(boundary),
        model=space.model,
        at_kink=out.status == "kink",
    )


def _get_history(self: MAPResult) -> pd.DataFrame | None:
    value = self.__dict__.get("_history")
    if callable(value):  # built on first access from the recorded arrays
        value = value()
        self.__dict__["_history"] = value
    return value


def _set_history(self: MAPResult, value: Any) -> None:
    self.__dict__["_history"] = value


MAPResult.history = property(  # type: ignore[assignment]
    _get_history,
    _set_history,
    doc="Per-iteration DataFrame (``record=True``), built on first access; else None.",
)


def _edge_values(space, params, names: list[str]) -> dict[str, float]:
    theta = space.theta_vector(params)
    return {n: float(theta[space.theta_names.index(n)]) for n in names}


def _boundary_names(space, out: _Outcome) -> list[str]:
    """Element names of theta exactly on an edge of the support (held coordinates only)."""
    if not out.edge.any():
        return []
    theta = space.theta_vector(space.snap_to_edges(space.to_constrained(out.u), out.u))
    low, high = space.theta_bounds()
    on_edge = (theta == low) | (theta == high)
    return [name for name, flag in zip(space.theta_names, on_edge, strict=True) if flag]


def _history(space, rec: _Recorder) -> pd.DataFrame:
    import pandas as pd

    n = rec.n
    U = rec.u[:n]
    cols: dict[str, Any] = {
        "iteration": np.arange(n),
        "loss": rec.scalars[:n, 0],
        "grad_norm": rec.scalars[:n, 1],
        "step_size": rec.scalars[:n, 2],
    }
    params = space.snap_to_edges(space.to_constrained(U), U)
    theta = np.concatenate([params[b.name].reshape(n, -1) for b in space._blocks], axis=1)
    for j, name in enumerate(space.theta_names):
        cols[name] = theta[:, j]
    for j, name in enumerate(space.names):
        cols[name] = U[:, j]
    return pd.DataFrame(cols)
