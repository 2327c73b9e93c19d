"""A step size from the curvature along the gradient."""

from __future__ import annotations

import math

import numpy as np

from ..numerics.differences import directional_curvature
from ._base import (
    Fun,
    _vec,
)

__all__ = ["suggest_step_size"]


def suggest_step_size(fun: Fun, theta: np.ndarray, grad: np.ndarray | None = None) -> float:
    """A step size from the curvature of ``fun`` along the gradient: ``g'g / g'Hg``.

    ``Hg`` is a finite difference of gradients along ``u = g / |g|``. For a quadratic, plain
    gradient descent is stable for ``lr < 2 / lambda_max``, and the returned value (the exact
    line minimiser along ``-g``) is at least ``1 / lambda_max``, so it is a sensible ``lr`` to
    suggest when a fixed step has diverged (halve it to be safe on stiff problems).

    Parameters
    ----------
    fun : callable
        ``fun(theta) -> (value, grad)``.
    theta : array_like
        Point (1-D, finite) at which the curvature is measured.
    grad : array_like or None, default None
        Gradient at ``theta``; computed by ``fun`` when None.

    Returns
    -------
    float
        ``g'g / g'Hg``; ``nan`` when the gradient is zero, the curvature along it is not
        positive, or the finite difference cannot be computed.

    Examples
    --------
    >>> import numpy as np
    >>> H = np.diag([1.0, 4.0])
    >>> fun = lambda t: (float(0.5 * t @ H @ t), H @ t)
    >>> theta = np.array([1.0, 1.0])                  # g = (1, 4): g'g / g'Hg = 17 / 65
    >>> round(suggest_step_size(fun, theta), 6)
    0.261538
    """
    th = _vec(theta, "theta")
    g = _vec(grad, "grad") if grad is not None else np.asarray(fun(th)[1], dtype=np.float64)
    if g.shape != th.shape:
        raise ValueError(f"grad has shape {g.shape} but theta has shape {th.shape}")
    if not (np.all(np.isfinite(th)) and np.all(np.isfinite(g))):
        return math.nan
    gnorm = float(np.linalg.norm(g))
    if gnorm == 0.0:
        return math.nan
    curv = directional_curvature(lambda p: fun(p)[1], th, g, g / gnorm)
    return 1.0 / curv if curv > 0.0 and math.isfinite(curv) else math.nan
