"""Advice in failure messages: a stable step size for the rule that diverged, another optimizer."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import optim
from ..numerics.differences import curvature_steps, five_point_hessian
from ..optim._fixed import _gd_stable_lr

if TYPE_CHECKING:
    pass

__all__ = []


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

    rule = opt.stable_lr if opt.stable_lr is not None else _gd_stable_lr
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
