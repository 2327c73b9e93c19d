"""L-BFGS with a diagonal initial matrix and a weak Wolfe line search (the default)."""

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
    _secant_pair,
    _update_diag,
    _wolfe_search,
)

__all__ = ["LBFGSState", "lbfgs"]


class LBFGSState(NamedTuple):
    """State of :func:`lbfgs`.

    ``s_hist``/``y_hist`` hold the stored curvature pairs, oldest first, and ``rho_hist`` their
    ``1 / s'y``; ``diag`` is the diagonal Hessian estimate used as the initial matrix (``None``
    before the first pair); ``prev_theta``/``prev_grad`` give the next pair; ``lr`` is the last
    accepted step length; ``memory`` the number of pairs kept.
    """

    s_hist: tuple[np.ndarray, ...]
    y_hist: tuple[np.ndarray, ...]
    rho_hist: tuple[float, ...]
    diag: np.ndarray | None
    prev_theta: np.ndarray | None
    prev_grad: np.ndarray | None
    lr: float | None
    memory: int
    count: int
    n_evals: int
    last_eval: Eval | None
    stalled: bool


def _two_loop(
    g: np.ndarray,
    s_hist: tuple[np.ndarray, ...],
    y_hist: tuple[np.ndarray, ...],
    rho_hist: tuple[float, ...],
    diag: np.ndarray | None,
) -> np.ndarray:
    """``H g`` for the L-BFGS inverse-Hessian approximation with initial matrix ``diag^-1``."""
    q = g.copy()
    k = len(s_hist)
    a = [0.0] * k
    for i in range(k - 1, -1, -1):
        a[i] = rho_hist[i] * float(s_hist[i] @ q)
        q -= a[i] * y_hist[i]
    r = q if diag is None else q / diag
    for i in range(k):
        r += (a[i] - rho_hist[i] * float(y_hist[i] @ r)) * s_hist[i]
    return r


def _auto_memory(d: int) -> int:
    """Default L-BFGS memory: ``3 d`` pairs, at least 10 and at most 50 (fewer for huge ``d``).

    Up to about ``2.5 d`` pairs the iteration count keeps falling on ill-conditioned problems
    (a rotated 20-D quadratic of condition 1e4 took about 370 evaluations with 10 pairs, 110
    with 20 and 55 with 50); more than ``3 d`` pairs bring nothing but overhead. The cap
    ``1e6 // d`` (never below 10) keeps the stored pairs under about 16 MB.
    """
    return int(min(50, max(10, 3 * d), max(10, 1_000_000 // max(d, 1))))


def lbfgs(
    *,
    memory: int | None = None,
    lr: float | None = None,
    c1: float = 1e-4,
    c2: float = 0.9,
    diagonal: bool = True,
    max_evals: int = 30,
) -> Optimizer:
    """Limited-memory BFGS with a diagonal initial matrix and a weak Wolfe line search.

    The direction is the two-loop recursion over the last ``memory`` curvature pairs
    ``(s, y) = (theta_k - theta_{k-1}, g_k - g_{k-1})``; a pair with ``s'y <= 0`` (impossible
    after a Wolfe step on a smooth function, possible after a fallback) is skipped. The initial
    matrix is a diagonal Hessian estimate updated from every pair (Gilbert–Lemaréchal's diagonal
    BFGS update, as in M1QN3, started from ``|g_0|^1.5``) when ``diagonal=True``, else the usual
    scalar ``y'y / s'y``: on parameters living on different scales this is what makes the
    difference (see the module docstring). The unit step is tried first and is usually
    accepted; with the ``last_eval`` contract such an iteration costs one evaluation. The line
    search brackets a point satisfying the weak Wolfe conditions (Armijo with ``c1``, curvature
    with ``c2``) by safeguarded cubic interpolation. Near the optimum, where values differ at
    the rounding level, Armijo is replaced by its derivative form (Hager–Zhang's approximate
    Wolfe condition), so the gradient can still be driven down to its own rounding level.

    Parameters
    ----------
    memory : int or None, default None
        Number of curvature pairs kept, >= 1. ``None``: ``3 d`` clipped to [10, 50] (and to
        ``1e6 // d`` pairs, but at least 10, for very large ``d``); when the memory holds every
        pair since the start this is full BFGS.
    lr : float or None, default None
        Length of the first trial step, > 0. ``None``: ``1 / |grad|`` (a first step of unit
        length, as L-BFGS-B), which the line search extends or shortens. Later iterations
        always try the quasi-Newton step first.
    c1, c2 : float, default 1e-4, 0.9
        Wolfe constants, ``0 < c1 < 0.5`` and ``c1 < c2 < 1``.
    diagonal : bool, default True
        Use the diagonal (rather than scalar) initial matrix.
    max_evals : int, default 30
        Evaluations allowed per line search; if none is acceptable the memory is cleared and
        a diagonally scaled steepest-descent step is tried, after which the state is marked
        ``stalled``.

    Returns
    -------
    Optimizer

    Examples
    --------
    >>> import numpy as np
    >>> def rosen(t):
    ...     x, y = t
    ...     value = (1 - x) ** 2 + 100 * (y - x * x) ** 2
    ...     grad = np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])
    ...     return value, grad
    >>> opt = lbfgs()
    >>> theta = np.array([-1.2, 1.0])
    >>> state = opt.init(theta)
    >>> v, g = rosen(theta)
    >>> while np.max(np.abs(g)) > 1e-10:
    ...     step, state = opt.update(g, state, theta, value=v, fun=rosen)
    ...     theta, v, g = state.last_eval
    >>> np.round(theta, 8)
    array([1., 1.])
    """
    mem = None if memory is None else _check_int(memory, "memory", minimum=1)
    lr0 = None if lr is None else _check_lr(lr)
    c1 = _check_real(c1, "c1", low=0.0, high=0.5, high_open=True)
    c2 = _check_real(c2, "c2", low=c1, high=1.0, high_open=True)
    if not isinstance(diagonal, bool | np.bool_):
        raise TypeError(f"diagonal must be a bool, got {diagonal!r}")
    max_evals = _check_int(max_evals, "max_evals", minimum=1)

    def init(theta: np.ndarray) -> LBFGSState:
        th = _vec(theta, "theta")
        return LBFGSState(
            s_hist=(),
            y_hist=(),
            rho_hist=(),
            diag=None,
            prev_theta=None,
            prev_grad=None,
            lr=lr0,
            memory=mem or _auto_memory(th.size),
            count=0,
            n_evals=0,
            last_eval=None,
            stalled=False,
        )

    def update(
        grad: np.ndarray,
        state: LBFGSState,
        theta: np.ndarray | None = None,
        *,
        value: float | None = None,
        fun: Fun | None = None,
    ) -> tuple[np.ndarray, LBFGSState]:
        _check_state(state, LBFGSState, "lbfgs")
        fun, f0, th = _need_fun(fun, value, theta, "lbfgs")
        g = _check_grad(grad, th)
        if not np.any(g):
            return np.zeros_like(th), state._replace(count=state.count + 1, last_eval=None)
        hist = (state.s_hist, state.y_hist, state.rho_hist)
        diag = state.diag
        pair = _secant_pair(state.prev_theta, state.prev_grad, th, g)
        if pair is not None:
            s, y, sy = pair
            if diagonal:
                diag = _frozen(_update_diag(diag, s, y, sy, state.prev_grad))
            else:
                diag = _frozen(np.full(th.shape, float(y @ y) / sy))
            m = state.memory
            hist = (
                (*hist[0], _frozen(s))[-m:],
                (*hist[1], _frozen(y))[-m:],
                (*hist[2], 1.0 / sy)[-m:],
            )
        n_total = 0
        trial = None
        for attempt in range(2):
            if hist[0]:
                direction = -_two_loop(g, *hist, diag)
                alpha0 = 1.0
            elif diag is not None:
                direction = -g / diag
                alpha0 = 1.0
            else:
                direction = -g
                use_lr = state.lr is not None and state.count == 0
                alpha0 = state.lr if use_lr else 1.0 / max(math.sqrt(float(g @ g)), 1e-300)
            dphi0 = float(g @ direction)
            if not (dphi0 < 0.0 and math.isfinite(dphi0)):
                hist = ((), (), ())  # not a descent direction: drop the pairs and retry
                if attempt == 0:
                    continue
                break
            trial, n = _wolfe_search(
                fun, th, direction, f0, dphi0, alpha0, c1=c1, c2=c2, max_evals=max_evals
            )
            n_total += n
            if trial is not None or not hist[0]:
                break
            hist = ((), (), ())  # the quasi-Newton model failed: restart from the diagonal
        s_hist, y_hist, rho_hist = hist
        if trial is None:
            return np.zeros_like(th), state._replace(
                s_hist=s_hist,
                y_hist=y_hist,
                rho_hist=rho_hist,
                diag=diag,
                count=state.count + 1,
                n_evals=state.n_evals + n_total,
                last_eval=None,
                stalled=True,
            )
        new = LBFGSState(
            s_hist=s_hist,
            y_hist=y_hist,
            rho_hist=rho_hist,
            diag=diag,
            prev_theta=_frozen(th),
            prev_grad=_frozen(g),
            lr=trial.alpha,
            memory=state.memory,
            count=state.count + 1,
            n_evals=state.n_evals + n_total,
            last_eval=(_frozen(trial.theta), trial.value, _frozen(trial.grad)),
            stalled=False,
        )
        return trial.step, new

    return Optimizer("lbfgs", init, _quiet(update))
