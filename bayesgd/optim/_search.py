"""Line searches (weak Wolfe, Armijo backtracking) and the diagonal Hessian estimate that the
line-search rules share (Gilbert & Lemaréchal's diagonal BFGS update)."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ._base import Fun

__all__: list[str] = []


class _Trial(NamedTuple):
    alpha: float
    step: np.ndarray
    theta: np.ndarray
    value: float
    grad: np.ndarray
    dphi: float


def _evaluate(fun: Fun, theta: np.ndarray, direction: np.ndarray, alpha: float) -> _Trial | None:
    """Evaluate ``fun`` at ``theta + alpha * direction``; ``None`` if anything is non-finite."""
    step = alpha * direction
    theta_new = theta + step
    value, grad = fun(theta_new)
    value = float(value)
    grad = np.asarray(grad, dtype=np.float64)
    if not math.isfinite(value) or grad.shape != theta.shape or not np.all(np.isfinite(grad)):
        return None
    return _Trial(alpha, step, theta_new, value, grad, float(grad @ direction))


def _decrease_ok(trial: _Trial, ref: float, f0: float, dphi0: float, c1: float) -> bool:
    """Armijo's sufficient decrease against the reference value ``ref`` (``f0`` if monotone).

    When ``phi(a) - phi(0)`` is within ``1e-8 |phi(0)|`` of zero, where rounding can decide the
    comparison of two values, the change is estimated instead by the trapezoid rule
    ``a (phi'(0) + phi'(a)) / 2``, exact for a quadratic and computed from gradients, which keep
    their relative accuracy near the optimum. For the monotone search this is Hager & Zhang's
    approximate Wolfe condition ``phi'(a) <= (2 c1 - 1) phi'(0)``. Without it the iterates of a
    line search stop improving at about ``sqrt(eps)`` relative accuracy.
    """
    delta = trial.value - f0
    if abs(delta) <= 1e-8 * abs(f0):
        delta = 0.5 * trial.alpha * (dphi0 + trial.dphi)
    return delta <= (ref - f0) + c1 * trial.alpha * dphi0


def _cubic_min(a: float, fa: float, da: float, b: float, fb: float, db: float) -> float:
    """Minimiser of the cubic through (a, fa, da), (b, fb, db); nan if it has none."""
    if a == b:
        return math.nan
    d1 = da + db - 3.0 * (fa - fb) / (a - b)
    disc = d1 * d1 - da * db
    if not math.isfinite(disc) or disc < 0.0:
        return math.nan
    d2 = math.copysign(math.sqrt(disc), b - a)
    den = db - da + 2.0 * d2
    if den == 0.0:
        return math.nan
    return b - (b - a) * (db + d2 - d1) / den


def _wolfe_search(
    fun: Fun,
    theta: np.ndarray,
    direction: np.ndarray,
    f0: float,
    dphi0: float,
    alpha0: float,
    *,
    c1: float,
    c2: float,
    max_evals: int,
) -> tuple[_Trial | None, int]:
    """Weak Wolfe line search by bracketing and safeguarded cubic interpolation.

    Returns the accepted trial (or the best Armijo point found, or None) and the number of
    evaluations made.
    """
    lo_a, lo_f, lo_d = 0.0, f0, dphi0
    hi_a, hi_f, hi_d = math.inf, math.nan, math.nan
    best: _Trial | None = None
    alpha = alpha0
    n = 0
    while n < max_evals:
        trial = _evaluate(fun, theta, direction, alpha)
        n += 1
        if trial is None:  # non-finite: far too long
            hi_a, hi_f, hi_d = alpha, math.nan, math.nan
            alpha = lo_a + 0.1 * (alpha - lo_a)
            continue
        if not _decrease_ok(trial, f0, f0, dphi0, c1):
            hi_a, hi_f, hi_d = alpha, trial.value, trial.dphi
        elif trial.dphi < c2 * dphi0:  # sufficient decrease but still steep: too short
            best = trial
            lo_a, lo_f, lo_d = alpha, trial.value, trial.dphi
        else:
            return trial, n
        if math.isinf(hi_a):  # extrapolate by the secant of phi', within [2, 100] * alpha
            sec = lo_a - lo_d * lo_a / (lo_d - dphi0) if lo_d != dphi0 else math.nan
            guess = sec if math.isfinite(sec) else 4.0 * alpha
            alpha = min(max(guess, 2.0 * alpha), 100.0 * alpha)
        else:
            width = hi_a - lo_a
            guess = (
                _cubic_min(lo_a, lo_f, lo_d, hi_a, hi_f, hi_d)
                if math.isfinite(hi_f)
                else lo_a + 0.1 * width
            )
            if not math.isfinite(guess):
                guess = lo_a + 0.5 * width
            alpha = min(max(guess, lo_a + 0.1 * width), hi_a - 0.1 * width)
            if width <= 1e-16 * max(hi_a, 1e-300):
                break
    return best, n


def _backtrack(
    fun: Fun,
    theta: np.ndarray,
    direction: np.ndarray,
    f0: float,
    ref: float,
    dphi0: float,
    alpha0: float,
    *,
    c1: float,
    shrink: float,
    max_evals: int,
) -> tuple[_Trial | None, int]:
    """Armijo backtracking against ``ref`` (``f0`` for a monotone search), by ``shrink``.

    Returns the accepted trial (or None) and the number of evaluations made.
    """
    alpha = alpha0
    n = 0
    while n < max_evals:
        trial = _evaluate(fun, theta, direction, alpha)
        n += 1
        if trial is not None and _decrease_ok(trial, ref, f0, dphi0, c1):
            return trial, n
        alpha *= shrink
    return None, n


def _initial_diag(g0: np.ndarray) -> np.ndarray:
    """Starting diagonal curvature ``|g0|^1.5`` (up to a scalar fixed by the first pair).

    When the parameters live on different scales ``S`` the Hessian is ``S C S`` (``C`` well
    conditioned) and the gradient scales as ``S`` in GLM-like problems (diagonal curvature
    ``~ |g|^2``) or as ``S^2`` in separable ones (``~ |g|``); the exponent 1.5 was the best
    compromise on a suite of such problems. Zero components take the geometric mean of the
    others, and the spread is capped at 1e12.
    """
    a = np.abs(g0)
    nz = a > 0
    if not np.any(nz):
        return np.ones_like(a)
    b = np.empty_like(a)
    b[nz] = a[nz] ** 1.5
    b[~nz] = np.exp(np.mean(np.log(b[nz])))
    return np.maximum(b, 1e-12 * float(np.max(b)))


def _update_diag(
    diag: np.ndarray | None, s: np.ndarray, y: np.ndarray, sy: float, g0: np.ndarray | None = None
) -> np.ndarray:
    """Diagonal Hessian estimate ``B`` updated with the secant pair ``(s, y)``, ``s'y > 0``.

    The previous estimate (or :func:`_initial_diag` of the first gradient ``g0``) is rescaled by
    ``sqrt(y'B^-1 y / s'Bs)``, the geometric mean of the two Oren–Spedicato factors (for a
    scalar ``B`` it gives ``|y| / |s|``), then updated by the diagonal of the BFGS formula,
    ``B_i + y_i^2 / s'y - (B_i s_i)^2 / s'Bs``, which keeps ``B > 0`` (Gilbert & Lemaréchal,
    Math. Programming 45, 1989, the diagonal scaling of M1QN3).
    """
    fallback = np.full(s.shape, float(y @ y) / sy)  # the scalar of plain L-BFGS
    if diag is None:
        b = _initial_diag(g0) if g0 is not None else np.ones_like(s)
    else:
        b = diag
    scale = np.sqrt((y @ (y / b)) / (s @ (b * s)))
    if not (np.isfinite(scale) and scale > 0.0):
        return fallback
    b = b * scale
    bs = b * s
    b = b + y * y / sy - bs * bs / (s @ bs)
    top = float(np.max(b))
    if not (top > 0.0 and math.isfinite(top) and np.all(np.isfinite(b))):
        return fallback
    return np.maximum(b, 1e-12 * top)


def _secant_pair(
    state_theta: np.ndarray | None, state_grad: np.ndarray | None, theta: np.ndarray, g: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float] | None:
    """The secant pair from the stored previous point, or None if unusable (``s'y <= 0``)."""
    if state_theta is None or state_grad is None or state_theta.shape != theta.shape:
        return None
    s = theta - state_theta
    y = g - state_grad
    sy = float(s @ y)
    ss = float(s @ s)
    yy = float(y @ y)
    if not (sy > 1e-10 * math.sqrt(ss * yy)) or not math.isfinite(sy):
        return None
    return s, y, sy
