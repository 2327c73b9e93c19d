"""The public entry point :func:`map_estimate`: checks, starts, runs, the result."""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import optim
from .._validation import check_positive_int
from ..errors import DivergenceError, NotApplicableError
from ..models.base import Model, routes_to_hierarchical, warn_finite_differences
from ..space import UnconstrainedSpace

if TYPE_CHECKING:
    pass
from ._constants import (
    DEFAULT_MAX_ITER,
    DEFAULT_TOL,
)
from .result import MAPResult, _result
from .run import _Run
from .starts import _compare_starts, _multimodal_message, _start_points

__all__ = ["map_estimate"]


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
    marginal: bool = False,
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
    marginal : bool, default False
        For a hierarchical model (a prior written with ``bg.hierarchical``): the type-II MAP,
        descent on the hyperparameters' marginal posterior with the groups integrated out
        (the joint density has no maximum: it is unbounded as a group scale goes to 0).

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
    if routes_to_hierarchical(model) or marginal:
        return _marginal_map(model, marginal, jacobian=jacobian, tol=tol, max_iter=max_iter,
                             record=record, init=init)  # fmt: skip
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


def _marginal_map(model: Any, marginal: Any, **kwargs: Any) -> Any:
    """Type-II MAP of a hierarchical model: descent on its hyperparameters' marginal posterior.

    The joint density of a hierarchical model is unbounded as a group scale goes to 0 (the
    funnel), so its joint MAP does not exist: ``marginal=True`` is required.
    """
    if not routes_to_hierarchical(model):
        raise ValueError(
            "marginal=True is the type-II MAP of a hierarchical model (a prior written with "
            f"bg.hierarchical); {type(model).__name__} has no hyperparameters to keep"
        )
    if marginal is not True:
        raise NotApplicableError(
            "the joint density of a hierarchical model is unbounded as a group scale goes to 0 "
            "(the funnel), so it has no MAP: use bg.map_estimate(m, marginal=True), the mode "
            "of the hyperparameters' marginal posterior with the groups integrated out"
        )
    return model.marginal_map(**kwargs)
