"""Finite differences: the one home of the package's numerical derivatives.

:func:`five_point_hessian` differentiates an analytic gradient with the five-point central
stencil (error of order ``h^4``), every perturbed point in one vectorised call.
:func:`curvature_steps` chooses its steps from the curvature itself: a step of a fixed
fraction of a coordinate's *value* is 20 posterior standard deviations for a regression
coefficient of a feature measured in dollars (and the stencil then measures the curvature of
the wrong region), so the step is made a fraction of ``1 / sqrt(curvature)``, the scale on which
the function changes, found by a few rounds of differences.

Examples
--------
>>> import numpy as np
>>> def grad(x):                       # f(x) = x0^2 / 2 + 1e12 x1^2 / 2 + x0 x1
...     return np.stack([x[..., 0] + x[..., 1], 1e12 * x[..., 1] + x[..., 0]], axis=-1)
>>> x = np.array([1.0, 0.0])
>>> h = curvature_steps(grad, x, np.array([1e-3, 1e-3]))
>>> bool(h[1] < 1e-8)                  # the stiff coordinate gets a step of its own scale
True
>>> np.round(five_point_hessian(grad, x, h) / [[1, 1], [1, 1e12]], 6)
array([[1., 1.],
       [1., 1.]])
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["curvature_steps", "directional_curvature", "five_point_hessian"]

#: A step is this fraction of ``1 / sqrt(curvature)``: truncation ~1e-12, rounding ~1e-13.
_CURVATURE_FRACTION = 1e-3


def five_point_hessian(
    grad_fn: Callable[[np.ndarray], np.ndarray], x: np.ndarray, h: np.ndarray
) -> np.ndarray:
    """Jacobian of ``grad_fn`` at ``x`` by the five-point central stencil, symmetrised.

    Parameters
    ----------
    grad_fn : callable
        ``grad_fn(points)`` for ``points`` of shape ``(m, d)`` returns ``(m, d)`` gradients.
    x : ndarray, shape (d,)
    h : ndarray, shape (d,)
        Step of each coordinate.

    Returns
    -------
    ndarray, shape (d, d)

    Examples
    --------
    >>> import numpy as np
    >>> five_point_hessian(lambda p: 3.0 * p**2, np.array([2.0]), np.array([0.1]))
    array([[12.]])
    """
    d = x.size
    eye = np.eye(d) * h[:, None]
    pts = np.concatenate([x + 2 * eye, x + eye, x - eye, x - 2 * eye], axis=0)
    g = np.asarray(grad_fn(pts), dtype=float).reshape(4, d, d)
    # row j of each block is the gradient with coordinate j moved: column j of the Hessian
    jac = (-g[0] + 8.0 * g[1] - 8.0 * g[2] + g[3]) / (12.0 * h[:, None])
    hess = jac.T
    return 0.5 * (hess + hess.T)


def curvature_steps(
    grad_fn: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    h0: np.ndarray,
    *,
    fraction: float = _CURVATURE_FRACTION,
    rounds: int = 12,
) -> np.ndarray:
    """Steps for differencing ``grad_fn`` at ``x``: ``fraction / sqrt(curvature)``, at most ``h0``.

    Each round measures the curvature ``(g_j(x + h e_j) - g_j(x - h e_j)) / 2h`` of every
    coordinate and moves ``h`` to ``fraction / sqrt(curvature)`` (never above ``h0``, which also
    keeps the points inside a support). A step far too long overestimates a curvature that grows
    away from ``x`` (an exponential), so the next one is shorter: the rounds settle within a
    factor 2. A coordinate whose measured curvature is not positive and finite (an overflow
    far away, a saddle) has its step cut tenfold; if it never becomes positive its step is
    ``h0`` again, and the Hessian shows the negative curvature.

    Parameters
    ----------
    grad_fn : callable
        As in :func:`five_point_hessian`.
    x, h0 : ndarray, shape (d,)
        The point and the largest step allowed per coordinate.
    fraction : float, default 1e-3
    rounds : int, default 12

    Returns
    -------
    ndarray, shape (d,)

    Examples
    --------
    >>> import numpy as np
    >>> float(curvature_steps(lambda p: 1e6 * p, np.array([0.0]), np.array([1.0]))[0])
    1e-06
    """
    x = np.asarray(x, dtype=float)
    h = np.array(h0, dtype=float)
    d = x.size
    rows = np.arange(d)
    ever_good = np.zeros(d, dtype=bool)
    for _ in range(rounds):
        pts = np.concatenate([x + np.diag(h), x - np.diag(h)], axis=0)
        with np.errstate(all="ignore"):
            g = np.asarray(grad_fn(pts), dtype=float).reshape(2, d, d)
            curv = (g[0, rows, rows] - g[1, rows, rows]) / (2.0 * h)
            good = np.isfinite(curv) & (curv > 0)
            target = np.where(good, fraction / np.sqrt(np.where(good, curv, 1.0)), h / 10.0)
        target = np.minimum(target, h0)
        ever_good |= good
        settled = good & (target >= 0.5 * h) & (target <= 2.0 * h)
        h = np.where(settled, h, target)
        if settled.all():
            break
    return np.where(ever_good, h, h0)


def directional_curvature(
    grad_fn: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    g: np.ndarray,
    direction: np.ndarray,
    *,
    tries: int = 30,
) -> float:
    """``d' H d`` at ``x`` for a unit ``direction``: a forward difference of the gradient.

    The step is ``sqrt(eps) * max(1, |x|)``, cut tenfold while the gradient there is not
    finite (up to ``tries`` times); ``nan`` if it never is.

    Parameters
    ----------
    grad_fn : callable
        ``grad_fn(point) -> gradient`` at one point.
    x, g : ndarray, shape (d,)
        The point and the gradient there.
    direction : ndarray, shape (d,)
        A unit vector.

    Examples
    --------
    >>> import numpy as np
    >>> H = np.diag([1.0, 4.0])
    >>> d = np.array([0.0, 1.0])
    >>> round(directional_curvature(lambda p: H @ p, np.ones(2), H @ np.ones(2), d), 6)
    4.0
    """
    h = float(np.sqrt(np.finfo(float).eps)) * max(1.0, float(np.linalg.norm(x)))
    for _ in range(tries):
        with np.errstate(all="ignore"):
            g_h = np.asarray(grad_fn(x + h * direction), dtype=np.float64)
            if g_h.shape == x.shape and np.all(np.isfinite(g_h)):
                return float(direction @ (g_h - g)) / h
        h *= 0.1
    return float("nan")
