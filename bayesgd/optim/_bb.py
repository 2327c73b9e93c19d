"""Barzilai–Borwein steps with a non-monotone line search and a diagonal preconditioner."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ._base import (
    Eval,
    Fun,
    Optimizer,
    _check_grad,
    _check_int,
    _check_lr,
    _check_real,
    _check_state,
    _frozen,
    _need_fun,
    _quiet,
    _vec,
)
from ._search import (
    _backtrack,
    _secant_pair,
    _update_diag,
)

__all__ = ["BBState", "bb"]


class BBState(NamedTuple):
    """State of :func:`bb`.

    ``prev_theta``/``prev_grad`` give the secant pair at the next update; ``lr`` is the last
    accepted step length; ``ref_value``/``ref_weight`` are Zhang–Hager's reference value
    ``C_k`` and weight ``Q_k``; ``diag`` is the diagonal Hessian estimate of the preconditioner
    (``None`` when off or not yet known).
    """

    prev_theta: np.ndarray | None
    prev_grad: np.ndarray | None
    lr: float | None
    ref_value: float | None
    ref_weight: float
    diag: np.ndarray | None
    count: int
    n_evals: int
    last_eval: Eval | None
    stalled: bool


def bb(
    *,
    lr: float | None = None,
    c: float = 1e-4,
    shrink: float = 0.5,
    eta: float = 0.85,
    precondition: bool = True,
    max_evals: int = 60,
) -> Optimizer:
    """Barzilai–Borwein steps with a Zhang–Hager non-monotone line search.

    The step length alternates BB1 ``s'Ms / s'y`` and BB2 ``s'y / y'M^-1 y`` (``M`` the diagonal
    preconditioner, the identity when ``precondition=False``), is clipped to a wide safe range,
    and is accepted when ``L(theta + alpha d) <= C_k + c alpha g'd`` where ``C_k`` is the
    Zhang–Hager weighted average of past values (non-monotone: BB's characteristic rises are
    allowed, divergence is not); otherwise it is multiplied by ``shrink``.

    Parameters
    ----------
    lr : float or None, default None
        First step length, > 0. ``None``: ``1 / max|grad|`` (a first step of length one in the
        largest coordinate), which the line search then corrects.
    c : float, default 1e-4
        Armijo constant in (0, 0.5).
    shrink : float, default 0.5
        Backtracking factor in (0, 1).
    eta : float, default 0.85
        Zhang–Hager averaging weight in [0, 1]; ``0`` is the monotone Armijo search.
    precondition : bool, default True
        Scale the direction by a diagonal Hessian estimate built from the secant pairs
        (Gilbert–Lemaréchal's diagonal BFGS update, as in :func:`lbfgs`), moved towards each
        new estimate with a weight ``1 / (1 + k / 20)`` so that the metric settles (BB steps
        lose their meaning under a metric that keeps changing). It costs no evaluations and
        is what makes BB usable when the parameters live on different scales.
    max_evals : int, default 60
        Evaluations allowed per line search before the state is marked ``stalled``.

    Returns
    -------
    Optimizer

    Examples
    --------
    >>> import numpy as np
    >>> H = np.diag([1.0, 10.0])
    >>> fun = lambda t: (float(0.5 * t @ H @ t), H @ t)
    >>> opt = bb()
    >>> theta = np.array([1.0, 1.0])
    >>> state = opt.init(theta)
    >>> v, g = fun(theta)
    >>> for _ in range(20):
    ...     step, state = opt.update(g, state, theta, value=v, fun=fun)
    ...     theta = theta + step
    ...     v, g = fun(theta)
    >>> bool(np.allclose(theta, 0.0, atol=1e-10))
    True
    """
    lr0 = None if lr is None else _check_lr(lr)
    c = _check_real(c, "c", low=0.0, high=0.5, high_open=True)
    shrink = _check_real(shrink, "shrink", low=0.0, high=1.0, high_open=True)
    eta = _check_real(eta, "eta", low=0.0, high=1.0, low_open=False)
    if not isinstance(precondition, bool | np.bool_):
        raise TypeError(f"precondition must be a bool, got {precondition!r}")
    max_evals = _check_int(max_evals, "max_evals", minimum=1)

    def init(theta: np.ndarray) -> BBState:
        _vec(theta, "theta")
        return BBState(
            prev_theta=None,
            prev_grad=None,
            lr=lr0,
            ref_value=None,
            ref_weight=0.0,
            diag=None,
            count=0,
            n_evals=0,
            last_eval=None,
            stalled=False,
        )

    def update(
        grad: np.ndarray,
        state: BBState,
        theta: np.ndarray | None = None,
        *,
        value: float | None = None,
        fun: Fun | None = None,
    ) -> tuple[np.ndarray, BBState]:
        _check_state(state, BBState, "bb")
        fun, f0, th = _need_fun(fun, value, theta, "bb")
        g = _check_grad(grad, th)
        if not np.any(g):
            return np.zeros_like(th), state._replace(count=state.count + 1, last_eval=None)
        diag = state.diag
        pair = _secant_pair(state.prev_theta, state.prev_grad, th, g)
        if pair is not None:
            s, y, sy = pair
            if precondition:
                # BB needs a settling metric: move geometrically towards the new estimate with
                # a weight decaying as 1 / (1 + k / 20), so the preconditioner converges.
                new_diag = _update_diag(diag, s, y, sy, state.prev_grad)
                if diag is not None:
                    w = 1.0 / (1.0 + state.count / 20.0)
                    new_diag = diag * (new_diag / diag) ** w
                diag = new_diag
            m = np.ones_like(s) if diag is None else diag
            if state.count % 2 == 1:
                alpha = float(s @ (m * s)) / sy  # BB1 (long)
            else:
                alpha = sy / float(y @ (y / m))  # BB2 (short)
        else:
            alpha = math.nan
        if not (math.isfinite(alpha) and alpha > 0.0):
            alpha = state.lr if state.lr is not None else 1.0 / float(np.max(np.abs(g)))
        alpha = min(max(alpha, 1e-30), 1e30)
        direction = -g if diag is None else -g / diag
        dphi0 = float(g @ direction)
        ref = f0 if state.ref_value is None else max(state.ref_value, f0)
        trial, n = _backtrack(
            fun, th, direction, f0, ref, dphi0, alpha, c1=c, shrink=shrink, max_evals=max_evals
        )
        if trial is None:
            return np.zeros_like(th), state._replace(
                count=state.count + 1,
                n_evals=state.n_evals + n,
                diag=diag,
                last_eval=None,
                stalled=True,
            )
        q_old = state.ref_weight if state.ref_value is not None else 0.0
        c_old = ref
        q_new = eta * q_old + 1.0
        c_new = (eta * q_old * c_old + trial.value) / q_new
        new = BBState(
            prev_theta=_frozen(th),
            prev_grad=_frozen(g),
            lr=trial.alpha,
            ref_value=c_new,
            ref_weight=q_new,
            diag=None if diag is None else _frozen(diag),
            count=state.count + 1,
            n_evals=state.n_evals + n,
            last_eval=(_frozen(trial.theta), trial.value, _frozen(trial.grad)),
            stalled=False,
        )
        return trial.step, new

    return Optimizer("bb", init, _quiet(update))
