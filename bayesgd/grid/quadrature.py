"""Quadrature: cell centres, end-corrected midpoint weights and power-law edge weights.

Points are cell centres; every summary uses the same product weights, the midpoint rule with
end corrections (Euler-Maclaurin, ``+h/12, -h/8, +h/24`` on the three outer cells of each
side). Where the marginal density behaves like a power of the distance to a support edge,
the cells near that edge get the exact power-law weights instead. Cells cut by the face of a
probability vector's simplex count with their exact inside volume (:func:`_box_below_plane`).
"""

from __future__ import annotations

import numpy as np

from .constants import _INTEGER_BETA, _ZERO_BETA

__all__: list[str] = []


def _centres(low: float, high: float, n: int) -> np.ndarray:
    h = (high - low) / n
    return low + h * (np.arange(n) + 0.5)


def _weights(n: int, h: float) -> np.ndarray:
    """Midpoint weights with fourth-order end corrections (all positive)."""
    w = np.full(n, h)
    if n >= 6:
        corr = h * np.array([1.0 / 12.0, -1.0 / 8.0, 1.0 / 24.0])
        w[:3] += corr
        w[-3:] += corr[::-1]
    return w


def _power_law_exponent(d: np.ndarray) -> float | None:
    """Exponent ``β`` if the density near an edge behaves like ``x^β e^(s x)``, else None.

    ``d`` holds the density at the first cell centres counted from the edge (``x = h/2,
    3h/2, ...``). ``log d = c + β log x + s x`` is solved on the first three and must
    predict the next two; only non-trivial, integrable exponents (``-1 < β``, not within
    ``_ZERO_BETA`` of 0 or ``_INTEGER_BETA`` of 1)
    count. Smooth densities give ``β ≈ 0`` and keep the Euler-Maclaurin end correction.
    """
    if d.size < 5 or not np.all(d[:5] > 0):
        return None
    x = np.arange(5) + 0.5
    y = np.log(d[:5])
    A = np.column_stack([np.ones(3), np.log(x[:3]), x[:3]])
    try:
        c, beta, slope = np.linalg.solve(A, y[:3])
    except np.linalg.LinAlgError:
        return None
    pred = c + beta * np.log(x[3:]) + slope * x[3:]
    # integer exponents are smooth (the end correction handles them); above 2 the midpoint
    # rule's error is already of higher order than the correction's. The fit of an integer
    # exponent is off by O(h) (1.001 for p^1 near a face of the simplex at 111 points), so
    # within _INTEGER_BETA of an integer counts as that integer
    snap = _ZERO_BETA if round(beta) == 0 else _INTEGER_BETA
    if not (np.isfinite(beta) and -1.0 < beta < 2.0 and abs(beta - round(beta)) > snap):
        return None
    if np.max(np.abs(pred - y[3:])) > 1e-3 * max(1.0, abs(beta)):
        return None
    return float(beta)


def _power_law_weights(h: float, beta: float, smooth_slope: np.ndarray) -> np.ndarray:
    """Cell weights for ``x^β g(x)`` sampled at cell centres, cells counted from the edge.

    ``∫ x^β g / (x_i^β g(x_i))`` over cell ``i`` with ``g`` linear in the cell (``smooth_slope``
    is ``h g'/g`` there): ``h (A_i + smooth_slope_i B_i)``, both in closed form (asymptotic
    series far from the edge, where the closed form cancels).
    """
    n = smooth_slope.size
    i = np.arange(n, dtype=float)
    c = i + 0.5
    b1, b2 = beta + 1.0, beta + 2.0
    A = ((i + 1) ** b1 - i**b1) / (b1 * c**beta)
    near = i <= 50
    B = beta / (12 * c) + beta * (beta - 1) * (beta - 2) / (480 * c**3)
    ii, cc = i[near], c[near]
    B[near] = (((ii + 1) ** b2 - ii**b2) / b2 - cc * ((ii + 1) ** b1 - ii**b1) / b1) / cc**beta
    w = A + smooth_slope * B
    return h * np.where(w > 0.5 * A, w, A)


def _box_below_plane(t: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Volume and first moments of ``{y in [0, h_1] x ... x [0, h_d] : sum(y) <= t}``.

    Inclusion-exclusion over the upper faces: with ``s_S = t - sum_{j in S} h_j``, the volume
    is ``sum_S (-1)^|S| s_S+^d / d!`` and the moment along ``k`` is
    ``sum_S (-1)^|S| (s_S+^(d+1) / (d+1)! + [k in S] h_k s_S+^d / d!)``.
    """
    from itertools import combinations
    from math import factorial

    d = h.size
    vol = np.zeros(t.shape)
    mom = np.zeros((*t.shape, d))
    for r in range(d + 1):
        for subset in combinations(range(d), r):
            sp = np.maximum(t - float(np.sum(h[list(subset)])), 0.0)
            sign = -1.0 if r % 2 else 1.0
            pd = sp**d / factorial(d)
            vol += sign * pd
            base = sp ** (d + 1) / factorial(d + 1)
            for k in range(d):
                mom[..., k] += sign * (base + (h[k] * pd if k in subset else 0.0))
    return vol, mom
