"""MAP estimation by gradient descent on ``L(theta) = -log p(theta | D)`` (unnormalised).

:func:`map_estimate` runs an optimizer from :mod:`bayesgd.optim` in the unconstrained space of
the model (:class:`~bayesgd.space.UnconstrainedSpace`) and reports the mode in the model's own
parametrisation. It fails loudly: a non-finite or exploding loss raises
:class:`~bayesgd.errors.DivergenceError`, running out of iterations warns
:class:`~bayesgd.errors.ConvergenceWarning`, and a mode on the edge of the support is reported
exactly on the edge with a :class:`~bayesgd.errors.BoundaryWarning`.

Which mode?
-----------
A density has no unique mode: it depends on the parametrisation. ``jacobian=False`` (the
default) minimises ``-log p(theta | D)`` and so finds the mode of the posterior density of
``theta`` as the model writes it, the MAP of textbooks and of ``pm.find_MAP``. ``jacobian=True``
minimises ``-log p(theta(u) | D) - log|det d theta / d u|``, the mode of the density of the
unconstrained ``u``, mapped back to ``theta`` (what Laplace approximations in ``u`` centre on).
With a Beta(9, 5) posterior of ``p``: the mode of the density of ``p`` is ``(9 - 1) / (9 + 5 -
2) = 8/12 = 0.6667``; the density of ``u = logit(p)`` is ``Beta(p; 9, 5) * p (1 - p)`` ``∝ p^9
(1 - p)^5``, whose mode is ``9/14 = 0.6429``.

Examples
--------
>>> from scipy import stats
>>> import bayesgd as bg
>>> m = bg.Binomial(k=7, n=10, p=stats.beta(2, 2))        # posterior Beta(9, 5)
>>> round(map_estimate(m).params["p"], 4)
0.6667
>>> round(map_estimate(m, jacobian=True).params["p"], 4)
0.6429
"""

from __future__ import annotations

import math
import numbers
import sys
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import stats

from . import optim
from ._validation import as_rng, check_positive_int
from .errors import BoundaryWarning, ConvergenceWarning, DivergenceError
from .models.base import Model, warn_finite_differences
from .numerics.differences import curvature_steps, five_point_hessian
from .priors import DirichletPrior, MvNIGPrior, MvNormalPrior, NIGPrior, UnivariatePrior
from .space import UnconstrainedSpace

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MAPResult", "map_estimate"]

#: Default tolerance (see :func:`map_estimate`).
DEFAULT_TOL = 1e-9
#: Default maximum number of iterations.
DEFAULT_MAX_ITER = 10_000
#: A loss this many times (1 + |best loss|) above the best loss is a blow-up.
_BLOWUP = 1e8
#: Where a coordinate that runs off to an edge is held while the others are optimised.
_EDGE_U = 40.0
#: Offsets along a coordinate at which the loss is probed on the way to an edge.
_RAY = np.array([0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0])
#: First iteration at which an edge is probed again (then every doubling).
_FIRST_CHECK = 16
#: A coordinate this far out in ``u`` may be running to an edge where the density is unbounded.
_FAR_U = 25.0
#: Offsets further toward the edge along which an unbounded loss must keep falling.
_RAY_FAR = np.array([0.25, 0.5, 1.0, 2.0])
#: Least fall of the loss per unit of ``u`` that counts as unbounded.
_SLOPE = 0.1
#: Seed of the fixed pseudo-random probe directions (stationary starts, kinks).
_PROBE_SEED = 12345
#: Two restarts agree when their ``u`` differ by less than this (relative to max(1, |u|)).
_AGREE = 1e-4
#: Steps this many ulps of ``max(1, |u|)`` or shorter that do not lower the loss make no
#: progress; after ``_STUCK`` of them in a row the run has stalled at floating-point precision.
_ULPS = 8.0
_STUCK = 3
#: A run that ends this far above its best loss (relative to max(1, |best|)) never settled.
_UNSETTLED = 0.1


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
        >>> d = map_estimate(bg.Binomial(k=7, n=10, p=stats.beta(2, 2))).to_dict()
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


# ------------------------------------------------------------------------------- public API


def map_estimate(
    model: Model,
    *,
    optimizer: str | optim.Optimizer | None = None,
    lr: float | None = None,
    max_iter: int = DEFAULT_MAX_ITER,
    tol: float = DEFAULT_TOL,
    record: bool = True,
    jacobian: bool = False,
    starts: int = 1,
    rng: Any = None,
    progress: bool = False,
    init: Mapping[str, Any] | None = None,
) -> MAPResult:
    """The posterior mode by gradient descent on ``-log p(theta | D)`` in unconstrained space.

    Parameters
    ----------
    model : Model
        Any bayesgd model. Custom models without ``grad_log_likelihood`` use central finite
        differences (with a warning saying so).
    optimizer : str or Optimizer, optional
        A name from :mod:`bayesgd.optim` (``"gd"``, ``"momentum"``, ``"nesterov"``,
        ``"adam"``, ``"backtracking"``, ``"bb"``, ``"lbfgs"``) or an ``Optimizer`` object.
        Default :data:`bayesgd.optim.DEFAULT_OPTIMIZER` (L-BFGS); ``optimizer="gd"`` is the
        plain rule ``u <- u - lr * grad``.
    lr : float, optional
        Step size of the fixed-step optimizers (first trial step of the line searches); each
        optimizer's default when None.
    max_iter : int, default 10000
        Maximum number of iterations (optimizer updates), >= 1.
    tol : float, default 1e-9
        Convergence needs both ``|grad L(u)|_2 <= tol * max(1, |L|)`` (the gradient in
        unconstrained space) and ``|L_prev - L| <= tol * max(1, |L|)`` (the relative change of
        the loss over the last iteration). With the default the mode is accurate to about 1e-8
        relative on well-conditioned problems. When a line search can no longer decrease the
        loss at floating-point precision the run stops; it counts as converged if
        ``|grad| <= sqrt(tol) * max(1, |L|)``.
    record : bool, default True
        Keep the path in ``result.history`` (built once at the end from preallocated arrays).
        With ``False`` only the last iterate is kept (constant memory) and ``history`` is None.
    jacobian : bool, default False
        ``False``: the mode of the density of ``theta`` (the model's parametrisation).
        ``True``: the mode of the density of ``u``, mapped back (see the module docstring;
        Beta(9, 5): 0.6667 without, 0.6429 with).
    starts : int, default 1
        Number of starts. The first is ``init`` (or the default point); the others are draws
        from the prior. The lowest loss wins; ``result.starts_agree`` says whether all starts
        reached the same mode, and a warning lists the distinct modes when they did not.
    rng : None, int or numpy Generator
        Randomness of the prior draws for ``starts > 1``.
    progress : bool, default False
        Show iteration, loss and gradient norm on stderr (at most 10 updates per second).
    init : dict, optional
        Starting values ``{name: value}`` inside the support. Default: the prior median of each
        parameter (the prior mean of a probability vector or multivariate normal).

    Returns
    -------
    MAPResult

    Raises
    ------
    ValueError
        Invalid arguments, or a log density that is not finite at the start (invalid input).
    bayesgd.DivergenceError
        Non-finite or exploding loss or gradient: the message names the iteration, the last
        finite point and a step size suggested by the local curvature (also attributes
        ``.iteration``, ``.last_params``, ``.suggested_lr``, ``.reason``). Also when the
        posterior density is unbounded at an edge (``reason="unbounded"``, ``.parameter``):
        the loss keeps falling by at least 0.1 per unit while a coordinate of ``u`` runs past
        ``|u| = 25`` toward an edge (a Normal scale collapsing onto a single observation).
        No MAP exists then, so no point is returned; this is detected within a few dozen
        iterations. (Where the loss has a finite limit at the edge, or is ``-inf`` on the
        edge itself for every value of the other parameters, the mode is reported on the
        edge with ``at_boundary=True`` instead.)

    Warns
    -----
    bayesgd.ConvergenceWarning
        ``max_iter`` reached before the tolerance (``converged=False``).
    bayesgd.BoundaryWarning
        The mode is on the edge of the support (``at_boundary=True``). It is detected when the
        loss keeps decreasing toward a finite (or ``-inf``) limit as a coordinate of ``u`` runs
        off to infinity; that coordinate is then held at the edge and the others optimised.
    UserWarning
        Gradients by finite differences (custom model without a gradient); several starts
        reaching different modes (the distinct modes are listed).

    Notes
    -----
    A start with zero gradient (a maximum or saddle of a symmetric posterior) is not accepted
    as a mode: the loss is probed along the axes, the diagonal and random directions and the
    run continues from a lower point if there is one. A mode at a kink (where the loss is not
    differentiable and rises in every probed direction, as at the peak of a Laplace prior)
    counts as converged with ``at_kink=True``.

    Examples
    --------
    >>> from scipy import stats
    >>> import bayesgd as bg
    >>> fit = map_estimate(bg.Binomial(k=7, n=10, p=stats.beta(2, 2)))
    >>> round(fit.params["p"], 6), fit.converged, fit.jacobian
    (0.666667, True, False)
    >>> fit = map_estimate(bg.Bernoulli(y=[0, 0, 0], p=stats.beta(1, 1)))   # doctest: +SKIP
    BoundaryWarning: the mode lies on the edge of the support: p = 0.0 ...
    """
    if not isinstance(model, Model):
        raise TypeError(f"model must be a bayesgd Model, got {type(model).__name__}")
    opt = optim.get_optimizer(optim.DEFAULT_OPTIMIZER if optimizer is None else optimizer, lr=lr)
    max_iter = check_positive_int(max_iter, "max_iter")
    tol = _check_tol(tol)
    record = _check_bool(record, "record")
    jacobian = _check_bool(jacobian, "jacobian")
    progress = _check_bool(progress, "progress")
    starts = check_positive_int(starts, "starts")
    if init is not None and not isinstance(init, Mapping):
        raise TypeError(f"init must be a dict of parameter values or None, got {init!r}")
    if not model.has_gradient:
        warn_finite_differences(model, stacklevel=3)

    space = UnconstrainedSpace(model)
    points = _start_points(space, init, starts, rng, jacobian)
    runs = []
    for i, u0 in enumerate(points):
        run = _Run(
            space,
            opt,
            jacobian=jacobian,
            max_iter=max_iter,
            tol=tol,
            record=record,
            progress=progress,
            label=f"start {i + 1}/{starts}" if starts > 1 else "",
        )
        try:
            outcome = run.solve(u0, first=(i == 0))
        except DivergenceError as exc:
            if exc.reason != "unbounded":
                _raise_if_unbounded(space, opt.name, u0, jacobian, tol, exc)
            raise
        if outcome.status == "max_iter" and not outcome.converged:
            _raise_if_unbounded(space, opt.name, u0, jacobian, tol, None)
        runs.append(outcome)
    best_index = int(np.argmin([r.value if np.isfinite(r.value) else np.inf for r in runs]))
    best = runs[best_index]
    result = _result(space, best, opt.name, jacobian, record)
    if starts > 1:
        result.starts_agree, result.starts = _compare_starts(space, runs, best_index)
    for category, message in best.warnings:
        warnings.warn(message, category, stacklevel=2)
    if result.starts_agree is False:
        warnings.warn(_multimodal_message(result.starts), UserWarning, stacklevel=2)
    return result


def _raise_if_unbounded(
    space: UnconstrainedSpace,
    name: str,
    u0: np.ndarray,
    jacobian: bool,
    tol: float,
    failure: DivergenceError | None,
) -> None:
    """After a failed fixed-step run, ask L-BFGS from the same start whether a mode exists.

    Fixed steps oscillate or blow up near a density that is unbounded at an edge (they rarely
    get far enough out to see it), so their failure reads as a step-size problem. A line
    search runs out to the edge quickly; if it finds the loss falling without bound, that is
    the real reason, raised as ``DivergenceError(reason="unbounded")``.
    """
    if name == "lbfgs" or not space.has_edges:  # unbounded only toward a support's edge
        return
    probe = _Run(
        space,
        optim.lbfgs(),
        jacobian=jacobian,
        max_iter=2000,
        tol=tol,
        record=False,
        progress=False,
        label="",
    )
    try:
        probe.solve(u0, first=True)
    except DivergenceError as exc:
        if exc.reason != "unbounded":
            return
        what = "diverged" if failure is not None else "did not converge"
        raise DivergenceError(
            f"{name} {what}, and no MAP exists: a line search (L-BFGS) from the same start "
            f"shows why. {exc}",
            iteration=exc.iteration,
            last_params=exc.last_params,
            suggested_lr=math.nan,
            reason="unbounded",
            parameter=exc.parameter,
        ) from failure
    return


# ------------------------------------------------------------------------------ validation


def _check_tol(tol: Any) -> float:
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real):
        raise TypeError(f"tol must be a positive number, got {tol!r}")
    tol = float(tol)
    if not (math.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be a positive finite number, got {tol}")
    return tol


def _check_bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


# ---------------------------------------------------------------------------------- starts


def central_point(model: Model) -> dict[str, np.ndarray]:
    """The default start: each parameter's prior median (mean for vector-valued priors).

    Examples
    --------
    >>> from scipy import stats
    >>> import bayesgd as bg
    >>> central_point(bg.Binomial(k=1, n=2, p=stats.beta(2, 2)))
    {'p': array(0.5)}
    """
    start = model.initial_point()
    if start is not None:  # models whose central point is a saddle (neural networks) give one
        return {name: np.asarray(value, dtype=float) for name, value in start.items()}
    out: dict[str, np.ndarray] = {}
    for prior in model.priors:
        if isinstance(prior, UnivariatePrior):
            out[prior.names[0]] = np.asarray(prior.dist.median(), dtype=float)
        elif isinstance(prior, DirichletPrior):
            out[prior.names[0]] = prior.alpha / prior.alpha.sum()
        elif isinstance(prior, MvNormalPrior):
            out[prior.names[0]] = prior.mean_.copy()
        elif isinstance(prior, NIGPrior):
            out[prior.names[0]] = np.asarray(prior.mu, dtype=float)
            out[prior.names[1]] = np.asarray(stats.invgamma(prior.a, scale=prior.b).median())
        elif isinstance(prior, MvNIGPrior):
            nig = prior.dist
            out[prior.names[0]] = nig.mean_.copy()
            out[prior.names[1]] = np.asarray(stats.invgamma(nig.a, scale=nig.b).median())
        else:  # an unknown prior: the image of u = 0
            for name in prior.names:
                param = model.parameters[name]
                out[name] = param.transform.forward(np.zeros(param.unconstrained_shape))
    return {
        name: np.broadcast_to(out[name], param.shape).astype(float)
        for name, param in model.parameters.items()
    }


def _start_points(space, init, starts, rng, jacobian) -> list[np.ndarray]:
    model = space.model
    if init is not None:
        unknown = sorted(set(init) - set(model.parameters))
        missing = sorted(set(model.parameters) - set(init))
        if unknown or missing:
            raise ValueError(
                f"init must give a value for each free parameter {list(model.parameters)}"
                + (f"; unknown: {unknown}" if unknown else "")
                + (f"; missing: {missing}" if missing else "")
            )
        try:
            u0 = space.to_unconstrained(init)
        except ValueError as exc:
            raise ValueError(f"init: {exc}") from None
        if u0.ndim != 1:
            raise ValueError(f"init must be a single point, got batch shape {u0.shape[:-1]}")
    else:
        u0 = space.to_unconstrained(central_point(model))
    points = [u0]
    if starts > 1:
        generator = as_rng(rng)
        tries = 0
        while len(points) < starts:
            tries += 1
            if tries > 100 * starts:
                raise ValueError(
                    "could not draw starting points with a finite log density from the prior "
                    "(starts > 1); pass starts=1 and init= instead"
                )
            draw = model.prior_sample(1, rng=generator)
            try:
                point = space.to_unconstrained({k: v[0] for k, v in draw.items()})
            except ValueError:  # a draw on the edge of the support
                continue
            if np.all(np.isfinite(point)) and np.isfinite(space.loss(point, jacobian=jacobian)):
                points.append(point)
    return points


# ------------------------------------------------------------------------------- the driver


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


class _Progress:
    """A progress line on stderr, rewritten at most every 0.1 s."""

    def __init__(self, name: str, label: str):
        self.prefix = f"map_estimate[{name}]" + (f" {label}" if label else "")
        self.last = 0.0
        self.shown = False

    def update(self, it: int, loss: float, gnorm: float, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self.last >= 0.1:
            self.last = now
            self.shown = True
            sys.stderr.write(
                f"\r{self.prefix} iter {it:>7d}  loss {loss: .10g}  |grad| {gnorm:.3e}   "
            )
            sys.stderr.flush()

    def close(self, it: int, loss: float, gnorm: float) -> None:
        self.update(it, loss, gnorm, force=True)
        sys.stderr.write("\n")
        sys.stderr.flush()


class _Run:
    """One start of :func:`map_estimate`: the optimisation loop and edge handling."""

    def __init__(self, space, opt, *, jacobian, max_iter, tol, record, progress, label):
        self.space = space
        self.opt = opt
        self.jacobian = jacobian
        self.max_iter = max_iter
        self.tol = tol
        self.record = record
        self.progress = _Progress(opt.name, label) if progress else None
        self.n_evals = 0
        inner = space.objective(jacobian=jacobian)

        def counted(u: np.ndarray) -> tuple[float, np.ndarray]:
            self.n_evals += 1
            return inner(u)

        self.fun = counted
        self.edge = np.zeros(space.dim)  # -1 / +1: held at that edge; 0: free
        self.edge_from = np.zeros(space.dim)  # the interior value a held coordinate came from
        self.unsettled: tuple[float, float, float] | None = None  # (last, best, suggested lr)

    # -------------------------------------------------------------------------- helpers
    def _report_u(self, u: np.ndarray) -> np.ndarray:
        if not self.edge.any():
            return u
        out = u.copy()
        held = self.edge != 0
        out[held] = self.edge[held] * np.inf
        return out

    def _theta_text(self, u: np.ndarray) -> str:
        params = self.space.to_constrained(self._report_u(u))
        params = self.space.snap_to_edges(params, self._report_u(u))
        return _params_text(params)

    def _edge_scale(self, value: float) -> float:
        return 1e-12 * max(1.0, abs(value))

    def _probe(
        self, u: np.ndarray, value: float, grad: np.ndarray, coords: np.ndarray
    ) -> dict[int, int]:
        """Coordinates (among ``coords``) along which the loss decreases all the way to an edge.

        Returns ``{j: -1 or +1}``, the direction of the edge in ``u``.
        """
        space = self.space
        down, up = space._down, space._up
        d = -np.sign(grad)
        far = (grad == 0) & (np.abs(u) > 20.0)
        d[far] = np.sign(u[far])
        cand = coords & (((d < 0) & down) | ((d > 0) & up))
        js = np.flatnonzero(cand)
        if js.size == 0:
            return {}
        rows = np.arange(js.size)
        pts = np.repeat(u[None], js.size, axis=0)
        pts[rows, js] = d[js] * np.inf
        at_edge = space.loss(pts, jacobian=self.jacobian)
        self.n_evals += js.size
        with np.errstate(invalid="ignore"):
            ok = ~np.isnan(at_edge) & (at_edge <= value + self._edge_scale(value))
        js, at_edge = js[ok], at_edge[ok]
        if js.size == 0:
            return {}
        k = _RAY.size
        pts = np.repeat(u[None], js.size * k, axis=0)
        idx = np.arange(js.size * k)
        pts[idx, np.repeat(js, k)] += np.repeat(d[js], k) * np.tile(_RAY, js.size)
        ray = space.loss(pts, jacobian=self.jacobian).reshape(js.size, k)
        self.n_evals += js.size * k
        seq = np.column_stack([np.full(js.size, value), ray, at_edge])
        with np.errstate(invalid="ignore"):
            rise = np.diff(seq, axis=1)
            slack = 1e-12 * np.maximum(1.0, np.abs(seq[:, :-1]))
            monotone = np.all((rise <= slack) | np.isneginf(seq[:, 1:]), axis=1)
            monotone &= ~np.any(np.isnan(seq), axis=1)
        return {int(j): int(d[j]) for j in js[monotone]}

    def _hold(self, u: np.ndarray, found: dict[int, int]) -> None:
        for j, sign in found.items():
            self.edge_from[j] = u[j]
            self.edge[j] = sign
            u[j] = sign * _EDGE_U

    def _directions(self, x: np.ndarray, g: np.ndarray | None) -> np.ndarray:
        """Unit probe directions in the optimised coordinates: each axis (up to 200 of them),
        the diagonal, two fixed pseudo-random directions and ``-g`` when given; both signs."""
        d = x.size
        rows = [np.eye(d)] if d <= 200 else []
        rand = np.random.default_rng(_PROBE_SEED).standard_normal((2, d))
        rows.append(np.vstack([np.ones((1, d)), rand]))
        if g is not None and np.any(g != 0):
            rows.append(-g[None, :])
        dirs = np.vstack(rows)
        dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
        return np.vstack([dirs, -dirs])

    def _probe_losses(self, f_sub, x: np.ndarray, pts: np.ndarray) -> np.ndarray:
        if x.size == self.space.dim:
            self.n_evals += len(pts)
            with np.errstate(all="ignore"):
                return np.asarray(self.space.loss(pts, jacobian=self.jacobian), dtype=float)
        return np.array([f_sub(p)[0] for p in pts])  # held coordinates: a few directions

    def _descend_from_stationary(self, f_sub, x: np.ndarray, value: float) -> np.ndarray | None:
        """At a point of zero gradient: a nearby point of lower loss (a maximum or a saddle),
        or None when every probe along the axes, the diagonal and random directions rises."""
        dirs = self._directions(x, None)
        scale = max(1.0, float(np.max(np.abs(x))) if x.size else 1.0)
        margin = 1e-10 * max(1.0, abs(value))
        for h in (1e-4, 1e-2, 1e-1):
            pts = x + h * scale * dirs
            losses = self._probe_losses(f_sub, x, pts)
            losses = np.where(np.isnan(losses), np.inf, losses)
            k = int(np.argmin(losses))
            if losses[k] < value - margin:
                return pts[k]
        return None

    def _at_kink(self, f_sub, x: np.ndarray, value: float, g: np.ndarray) -> bool:
        """Whether ``x`` is a minimum at a kink (a point where the loss is not differentiable
        and the subgradient contains 0, as at the peak of a Laplace prior): the gradient is
        not small, yet the loss rises along every probe direction, ``-g`` included, on both
        sides, by about ``|g|`` per unit length."""
        gnorm = math.sqrt(float(g @ g))
        if x.size == 0 or not gnorm > math.sqrt(self.tol) * max(1.0, abs(value)):
            return False
        scale = max(1.0, float(np.max(np.abs(x))))
        # cheap first: at a smooth point that is not a minimum the loss falls along -g
        ghat = g / gnorm
        for h in (1e-8, 1e-6):
            if not f_sub(x - h * scale * ghat)[0] >= value:
                return False
        dirs = self._directions(x, g)
        for h in (1e-8, 1e-6):
            step = h * scale
            losses = self._probe_losses(f_sub, x, x + step * dirs)
            if not np.all(losses >= value):  # NaN fails too
                return False
            # along -g: both one-sided slopes positive, their sum of the order of |g|
            n = len(dirs) // 2
            rise = (losses[n - 1] - value) + (losses[-1] - value)
            if rise < 0.25 * gnorm * step:
                return False
        return True

    def _check_unbounded(self, u, value, checked, free, it) -> None:
        """Raise DivergenceError when the loss decreases without bound as a coordinate of ``u``
        runs to an edge (the posterior density is unbounded there: no mode exists).

        Since the last check (``checked = (u_prev, value_prev, it_prev)``) coordinate ``j``
        moved toward an edge, is beyond ``|u_j| >= _FAR_U`` and the loss fell; it counts as
        unbounded when putting ``u_j`` back raises the loss by at least ``_SLOPE`` per unit
        and moving it ``_RAY_FAR`` further keeps lowering the loss by at least ``_SLOPE`` per
        unit. (Toward an edge where the loss has a finite limit, the loss changes by about
        ``exp(-|u_j|)`` per unit there, far below ``_SLOPE``.)
        """
        space = self.space
        u_prev, value_prev, it_prev = checked
        if not value < value_prev:
            return
        delta = u - u_prev
        d = np.sign(delta)
        cand = (
            free
            & (np.abs(u) >= _FAR_U)
            & (np.sign(u) == d)
            & (((d < 0) & space._down) | ((d > 0) & space._up))
        )
        for j in np.flatnonzero(cand):
            pts = np.repeat(u[None], 1 + _RAY_FAR.size, axis=0)
            pts[0, j] = u_prev[j]
            pts[1:, j] += d[j] * _RAY_FAR
            self.n_evals += len(pts)
            with np.errstate(all="ignore"):
                L = np.asarray(space.loss(pts, jacobian=self.jacobian), dtype=float)
            if not np.all(np.isfinite(L)):
                continue
            moved = abs(float(delta[j]))
            seq = np.concatenate([[value], L[1:]])
            if L[0] - value < _SLOPE * moved or not np.all(np.diff(seq) < 0):
                continue
            if seq[0] - seq[-1] < _SLOPE * _RAY_FAR[-1]:
                continue
            name = space.names[j][2:-1]
            edge_value = self._theta_text(pts[-1]).replace("{", "").replace("}", "")
            here = {n: _scalarise(v) for n, v in space.to_constrained(u).items()}
            slope = (seq[0] - seq[-1]) / _RAY_FAR[-1]
            raise DivergenceError(
                f"the posterior density is unbounded as {name} approaches the edge of its "
                f"support (u[{name}] -> {'-' if d[j] < 0 else '+'}inf): the loss "
                f"-log p(theta | D) fell from {value_prev:.6g} (iteration {it_prev}) to "
                f"{value:.6g} (iteration {it}) while u[{name}] went from {u_prev[j]:.4g} to "
                f"{u[j]:.4g}, and keeps falling by about {slope:.3g} per unit of u[{name}] "
                f"(near {edge_value}). The density has no maximum, so no MAP exists: the "
                "loss decreases without bound. A typical cause is a scale parameter "
                "collapsing onto a single observation (a Normal with one data point, a "
                "mixture component on one point). The posterior itself may still be proper: "
                "use bg.sample_pymc or bg.grid, add data, or use a prior whose density "
                f"vanishes at the edge of {name} (e.g. a gamma or inverse-gamma prior for a "
                "scale).",
                iteration=int(it),
                last_params=here,
                suggested_lr=math.nan,
                reason="unbounded",
                parameter=name,
            )

    # ----------------------------------------------------------------------------- run
    def solve(self, u0: np.ndarray, *, first: bool) -> _Outcome:
        space, fun = self.space, self.fun
        u = np.array(u0, dtype=float)
        value, grad = fun(u)
        if not (math.isfinite(value) and np.all(np.isfinite(grad))):
            what = "log density" if not math.isfinite(value) else "gradient of the log density"
            raise ValueError(
                f"the {what} is not finite at the starting point {self._theta_text(u)} "
                f"(loss {value}); map_estimate needs a start where the model has positive, "
                "finite density: pass init= with such a point"
                + ("" if first else " (this start was drawn from the prior)")
            )
        rec = _Recorder(space.dim, self.max_iter + 1) if self.record else None
        if rec is not None:
            rec.add(u, value, float(np.sqrt(grad @ grad)), math.nan)
        it = 0
        rounds = 0
        nudges = 0
        status = ""
        tol = self.tol
        free = np.ones(space.dim, dtype=bool)
        while True:
            rounds += 1
            # ---- edges reachable from here: hold them, optimise the rest
            if space.has_edges and it < self.max_iter:
                found = self._probe(u, value, grad, free)
                if found:
                    u = u.copy()
                    self._hold(u, found)
                    free = self.edge == 0
                    value, grad = fun(u)
            if not free.any():
                status = "edge"
                break
            idx = np.flatnonzero(free)
            if free.all():
                f_sub = fun
                x, g = u, grad
            else:
                base = u.copy()

                def f_sub(v, base=base, idx=idx):
                    w = base.copy()
                    w[idx] = v
                    L, gw = fun(w)
                    return L, gw[idx]

                x, g = u[idx].copy(), grad[idx]
            state = self.opt.init(x)
            update = self.opt.update
            best_value, best_x, best_g, best_state = value, x, g, state
            prev = math.nan
            next_check = max(_FIRST_CHECK, 2 * it)
            checked = (_embed(u, idx, x).copy(), value, it)
            it_round = it
            restart = False
            stuck = 0
            while True:
                gnorm = math.sqrt(float(g @ g))
                scale = max(1.0, abs(value))
                if gnorm <= tol * scale and not (abs(prev - value) > tol * scale):
                    status = "converged"
                    break
                if it >= self.max_iter:
                    status = "max_iter"
                    break
                if getattr(state, "stalled", False):
                    status = "stalled"
                    break
                step, state = update(g, state, x, value=value, fun=f_sub)
                x_new = x + step
                last = getattr(state, "last_eval", None)
                if last is not None and np.array_equal(last[0], x_new):
                    value_new, g_new = float(last[1]), last[2]
                else:
                    value_new, g_new = f_sub(x_new)
                it += 1
                if not (
                    math.isfinite(value_new)
                    and np.all(np.isfinite(g_new))
                    and value_new - best_value <= _BLOWUP * (1.0 + abs(best_value))
                ):
                    raise self._divergence(
                        it,
                        value_new,
                        g_new,
                        _embed(u, idx, x),
                        (best_x, best_g, best_state),
                        f_sub,
                    )
                # rounding, not curvature, limits a step this short that does not lower the
                # loss (large counts make gradient noise exceed tol * |L|): stop as stalled
                no_progress = value_new >= value and _ulps_short(step, x)
                stuck = stuck + 1 if no_progress else 0
                prev, x, value, g = value, x_new, value_new, g_new
                if stuck >= _STUCK:
                    status = "stalled"
                    break
                if value < best_value:
                    best_value, best_x, best_g, best_state = value, x, g, state
                if rec is not None:
                    rec.add(
                        self._report_u(_embed(u, idx, x)),
                        value,
                        math.sqrt(float(g @ g)),
                        math.sqrt(float(step @ step)),
                    )
                if self.progress is not None:
                    self.progress.update(it, value, math.sqrt(float(g @ g)))
                if it == next_check:
                    next_check *= 2
                    full_u = _embed(u, idx, x)
                    if space.has_edges:
                        full_g = np.zeros(space.dim)
                        full_g[idx] = g
                        found = self._probe(full_u, value, full_g, free)
                        if found:
                            u = full_u.copy()
                            self._hold(u, found)
                            free = self.edge == 0
                            value, grad = fun(u)
                            restart = True
                            break
                        self._check_unbounded(full_u, value, checked, free, it)
                    checked = (full_u.copy(), value, it)
                    if self._at_kink(f_sub, x, value, g):
                        status = "kink"
                        break
            if restart:
                continue
            if status in ("stalled", "max_iter") and self._at_kink(f_sub, x, value, g):
                status = "kink"
            overshoot = value - best_value > _UNSETTLED * max(1.0, abs(best_value))
            if status == "max_iter" and overshoot:
                try:
                    lr = optim.suggest_step_size(f_sub, best_x, best_g)
                except Exception:  # the suggestion must never hide the report itself
                    lr = math.nan
                self.unsettled = (value, best_value, lr)
            if status == "converged" and it == it_round and nudges < 3:
                # a start exactly at a stationary point (zero gradient) that is not a minimum
                lower = self._descend_from_stationary(f_sub, x, value)
                if lower is not None:
                    nudges += 1
                    u = _embed(u, idx, lower).copy()
                    value, grad = fun(u)
                    continue
            u = _embed(u, idx, x)
            grad = np.zeros(space.dim)
            grad[idx] = g
            # ---- at the end: edges reached by converging, and held ones still right?
            changed = False
            if space.has_edges and rounds < 6:
                found = self._probe(u, value, grad, free)
                if found:
                    u = u.copy()  # may be an optimizer's read-only array
                    self._hold(u, found)
                    changed = True
                for j in np.flatnonzero(self.edge != 0):
                    if j in found:
                        continue
                    trial = u.copy()
                    trial[j] = self.edge_from[j]
                    tv, tg = fun(trial)
                    mask = np.zeros(space.dim, dtype=bool)
                    mask[j] = True
                    if not self._probe(trial, tv, tg, mask):
                        u = trial
                        self.edge[j] = 0
                        changed = True
                if changed:
                    free = self.edge == 0
                    value, grad = fun(u)
            if changed and it < self.max_iter:
                continue
            break
        return self._finish(u, value, grad, free, status, it, rec)

    def _finish(self, u, value, grad, free, status, it, rec) -> _Outcome:
        space = self.space
        out = _Outcome()
        out.warnings = []
        u_rep = self._report_u(u)
        held = self.edge != 0
        if held.any():
            value = float(space.loss(u_rep, jacobian=self.jacobian))
        g_free = grad[free] if free.any() else np.zeros(0)
        gnorm = math.sqrt(float(g_free @ g_free))
        scale = max(1.0, abs(value)) if math.isfinite(value) else 1.0
        if status == "kink":
            converged = True
            message = (
                "converged at a kink: the loss is not differentiable at the mode (e.g. the "
                "peak of a Laplace prior) and rises in every probed direction on both sides, "
                f"so 0 is a subgradient; |grad| = {gnorm:.3g} is a one-sided gradient"
            )
        elif status == "stalled":
            converged = gnorm <= math.sqrt(self.tol) * scale
            message = (
                "stopped: the line search can no longer decrease the loss at floating-point "
                f"precision (|grad| = {gnorm:.3g})"
            )
        elif status == "max_iter" and self.unsettled is not None:
            converged = False
            last, best, lr = self.unsettled
            message = (
                f"the loss never settled in max_iter={self.max_iter} iterations: it ended at "
                f"{last:.6g}, far above the best {best:.6g} seen, so the steps overshoot (the "
                "step size is too large for the curvature here)"
            )
        elif status == "max_iter":
            converged = False
            message = (
                f"stopped after max_iter={self.max_iter} iterations before reaching tol="
                f"{self.tol:g} (|grad| = {gnorm:.3g}, loss scale {scale:.3g})"
            )
        else:
            converged = True
            message = f"converged: |grad| = {gnorm:.3g} <= tol * max(1, |loss|)"
        if status == "edge":
            message = "every coordinate is on the edge: nothing left to optimise"
        if not converged:
            if self.unsettled is None:
                advice = "increase max_iter, loosen tol, "
            elif math.isfinite(lr := self.unsettled[2]):
                advice = f"lower lr (about {lr:.3g} fits the curvature at the best point), "
            else:
                advice = "lower lr, "
            advice += _other_optimizer(self.opt.name)
            out.warnings.append(
                (ConvergenceWarning, f"map_estimate did not converge: {message}; {advice}")
            )
        if self.progress is not None:
            self.progress.close(it, value, gnorm)
        out.u = u_rep
        out.value = value
        out.grad_norm = gnorm
        out.iterations = it
        out.status = status
        out.message = message
        out.n_evals = self.n_evals
        out.edge = held
        out.history = rec
        out.converged = converged
        return out

    def _divergence(self, it, value_new, g_new, u_last, best, f_sub):
        try:
            lr, hint = _stable_step_advice(self.opt, f_sub, *best)
        except Exception:  # the suggestion must never hide the divergence itself
            lr, hint = math.nan, "no step size could be suggested"
        if math.isfinite(value_new) and np.all(np.isfinite(g_new)):
            what = f"the loss blew up to {value_new:.6g}"
        elif not math.isfinite(value_new):
            what = f"the loss became {value_new}"
        else:
            what = "the gradient became non-finite"
        last = self.space.snap_to_edges(
            self.space.to_constrained(self._report_u(u_last)), self._report_u(u_last)
        )
        return DivergenceError(
            f"{self.opt.name} diverged at iteration {it}: {what}. Last finite point: "
            f"{_params_text(last)}. The step is too large for the local curvature; "
            f"{hint}; {_other_optimizer(self.opt.name)}.",
            iteration=int(it),
            last_params={n: _scalarise(v) for n, v in last.items()},
            suggested_lr=lr,
            reason="nonfinite"
            if what.startswith("the loss became") or "gradient" in what
            else "blowup",
        )


def _ulps_short(step: np.ndarray, x: np.ndarray) -> bool:
    """Whether ``step`` is at most ``_ULPS`` ulps of ``max(1, |x|)`` in every coordinate."""
    tiny = _ULPS * np.finfo(float).eps * max(1.0, float(np.max(np.abs(x))))
    return float(np.max(np.abs(step))) <= tiny


def _stable_step_advice(opt, fun: Any, x: np.ndarray, g: np.ndarray, state: Any):
    """``(lr, text)``: a step size below the largest for which ``opt``'s rule is stable.

    The bound comes from the rule itself (``opt.stable_lr``: ``2 / lambda_max`` for gd,
    ``2 (1 + beta) / lambda_max`` for heavy-ball momentum, ...; gd's for a rule that chooses its
    own steps) and from the sharpest curvature met between the best point so far and the mode:
    the Hessians (differences of the gradient, steps scaled to the curvature) at the best point
    and along an L-BFGS descent from it. The curvature at the start can be far below the one at
    the mode (a rate on the log scale: 52 at the start, 1200 at the mode), so a step from the
    start alone diverges again.
    """
    hessians = _hessians_along_descent(fun, x, g)

    def sharpness(scale: np.ndarray | None = None) -> float:
        if scale is None:
            return max(float(np.linalg.eigvalsh(h)[-1]) for h in hessians)
        return max(float(np.linalg.eigvalsh(h * scale[:, None] * scale)[-1]) for h in hessians)

    rule = opt.stable_lr if opt.stable_lr is not None else optim._gd_stable_lr
    limit, lr = (float(v) for v in rule(sharpness, state, g))
    if not (math.isfinite(lr) and 0 < lr < limit):
        return math.nan, "no step size could be suggested (the curvature is not positive)"
    which = opt.name if opt.stable_lr is not None else "plain gd (lr=)"
    text = (
        f"suggested step size lr={lr:.3g}, below the stability limit {limit:.3g} of {which} "
        f"for the sharpest curvature of the loss (largest Hessian eigenvalue "
        f"{sharpness():.3g}) between the best point so far and the mode"
    )
    return lr, text


def _hessians_along_descent(fun: Any, x: np.ndarray, g: np.ndarray, max_iter: int = 200):
    """Hessians of ``fun`` at ``x`` and at iterates 1, 2, 4, 8, ... and the last of an L-BFGS
    descent from it (at most ``max_iter`` steps, stopping where the gradient vanishes)."""
    x = np.array(x, dtype=float)
    points = [x]
    opt = optim.lbfgs()
    state = opt.init(x)
    value, grad = fun(x)
    for it in range(1, max_iter + 1):
        if float(np.max(np.abs(grad))) <= 1e-10 * max(1.0, abs(value)):
            break
        step, state = opt.update(grad, state, x, value=value, fun=fun)
        if getattr(state, "stalled", False):
            break
        x = x + step
        value, grad = fun(x)
        if not (math.isfinite(value) and np.all(np.isfinite(grad))):
            break
        if it & (it - 1) == 0:
            points.append(x)
    if points[-1] is not x and math.isfinite(value):
        points.append(x)
    return [_hessian_of(fun, p) for p in points]


def _hessian_of(fun: Any, x: np.ndarray) -> np.ndarray:
    """Hessian of a one-point objective by differences of its gradient (steps scaled to it)."""

    def grad(pts: np.ndarray) -> np.ndarray:
        return np.array([fun(p)[1] for p in pts], dtype=float)

    h0 = 1e-3 * np.minimum(np.maximum(1.0, np.abs(x)), 10.0)
    with np.errstate(all="ignore"):
        return five_point_hessian(grad, x, curvature_steps(grad, x, h0))


#: Optimizers that choose their own step by a line search.
_LINE_SEARCH = ("lbfgs", "backtracking")


def _other_optimizer(name: str) -> str:
    """Advice on the optimizer, never suggesting the one that is running."""
    if name == "lbfgs":
        return (
            "or try another start (init=, starts=) or a differently conditioned "
            "parametrisation (lbfgs, a line-search optimizer, is already in use)"
        )
    if name in _LINE_SEARCH:
        return "or use the L-BFGS line-search optimizer, optimizer='lbfgs'"
    return "or use a line-search optimizer such as optimizer='lbfgs'"


def _embed(u: np.ndarray, idx: np.ndarray, x: np.ndarray) -> np.ndarray:
    if x.shape[0] == u.shape[0]:
        return x
    out = u.copy()
    out[idx] = x
    return out


def _params_text(params: Mapping[str, Any]) -> str:
    parts = []
    for name, value in params.items():
        arr = np.asarray(value)
        text = f"{float(arr):.10g}" if arr.ndim == 0 else np.array2string(arr, precision=8)
        parts.append(f"{name}={text}")
    return "{" + ", ".join(parts) + "}"


# ------------------------------------------------------------------------------- the result


def _scalarise(value: Any) -> Any:
    arr = np.asarray(value, dtype=float)
    return float(arr) if arr.ndim == 0 else arr.copy()


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


# ------------------------------------------------------------------------------ restarts


def _compare_starts(space, runs, best_index) -> tuple[bool, pd.DataFrame]:
    import pandas as pd

    canon = [_canonical_u(space, r.u) for r in runs]
    best = canon[best_index]
    rows = []
    distinct: list[np.ndarray] = []
    labels = []
    for r, cu in zip(runs, canon, strict=True):
        label = None
        for k, mode in enumerate(distinct):
            if _same_mode(cu, mode):
                label = k
                break
        if label is None:
            distinct.append(cu)
            label = len(distinct) - 1
        labels.append(label)
        theta = space.theta_vector(space.snap_to_edges(space.to_constrained(cu), cu))
        rows.append(
            {
                "loss": r.value,
                "converged": bool(r.converged),
                "iterations": r.iterations,
                "n_evaluations": r.n_evals,
                "mode": label,
                "best": False,
                **dict(zip(space.theta_names, theta.tolist(), strict=True)),
            }
        )
    rows[best_index]["best"] = True
    table = pd.DataFrame(rows, index=pd.RangeIndex(1, len(rows) + 1, name="start"))
    agree = len(distinct) == 1 and _same_mode(best, distinct[0])
    return agree, table


def _canonical_u(space, u: np.ndarray) -> np.ndarray:
    """``u`` of the model's canonical copy of the point (symmetric copies of a mode agree)."""
    if not np.all(np.isfinite(u)):  # a point on an edge: no symmetry moves it
        return u
    try:
        return space.to_unconstrained(space.model.canonical_params(space.to_constrained(u)))
    except ValueError:
        return u


def _same_mode(a: np.ndarray, b: np.ndarray) -> bool:
    both_inf = np.isinf(a) & np.isinf(b) & (np.sign(a) == np.sign(b))
    with np.errstate(invalid="ignore"):
        diff = np.where(both_inf, 0.0, np.abs(a - b))
    scale = np.maximum(
        1.0, np.maximum(np.abs(np.where(np.isinf(a), 0, a)), np.abs(np.where(np.isinf(b), 0, b)))
    )
    return bool(np.all(diff <= _AGREE * scale))


def _multimodal_message(table: pd.DataFrame) -> str:
    theta_cols = [
        c
        for c in table.columns
        if c not in ("loss", "converged", "iterations", "n_evaluations", "mode", "best")
    ]
    lines = []
    for label, group in table.groupby("mode"):
        row = group.sort_values("loss").iloc[0]
        values = ", ".join(f"{c}={row[c]:.6g}" for c in theta_cols)
        lines.append(
            f"mode {label}: {values} (loss {row['loss']:.10g}, reached by {len(group)} start(s))"
        )
    return (
        "the starts reached different modes (the posterior may be multimodal); the one with the "
        "lowest loss is returned. Distinct modes: " + "; ".join(lines)
    )
