"""Highest-density intervals (HDIs): of distributions, of draws, of gridded densities.

Three functions, one definition: the HDI with probability ``prob`` is the shortest interval
holding that much mass, equivalently the set where the density is at least some level ``c``.

- :func:`hdi_of_dist` solves it exactly (to machine precision) for a frozen ``scipy.stats``
  continuous distribution, vectorised over any batch shape of its parameters
  (:mod:`bayesgd.numerics.hdi_dist`).
- :func:`hdi_of_samples` is the shortest interval spanned by sorted draws (ArviZ's rule).
- :func:`hdi_of_grid` finds the density level of a density tabulated on a grid, interpolating
  linearly inside cells so the ends are resolved finer than the grid spacing.

The last two share one search, :func:`shortest_window`: the narrowest of aligned candidate
intervals ``[low_i, high_i]`` that each hold the target mass.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .._validation import check_finite_array, check_prob
from .hdi_dist import hdi_of_dist

__all__ = ["hdi_of_dist", "hdi_of_grid", "hdi_of_samples", "shortest_window"]


def shortest_window(lows: Any, highs: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The narrowest of aligned candidate intervals, along the last axis.

    Candidates ``[lows[..., i], highs[..., i]]`` each hold the same mass; the first ``i``
    minimising ``highs - lows`` wins (ties: the lowest ``i``, as ArviZ's ``az.hdi``).

    Returns
    -------
    low, high, index : numpy.ndarray
        The chosen ends and their index, of the shape without the last axis.

    Examples
    --------
    >>> low, high, i = shortest_window([0.0, 1.0, 2.0], [5.0, 3.0, 4.0])
    >>> float(low), float(high), int(i)
    (1.0, 3.0, 1)
    """
    lows, highs = np.asarray(lows, dtype=float), np.asarray(highs, dtype=float)
    i = np.argmin(highs - lows, axis=-1)
    pick = i[..., None]
    low = np.take_along_axis(lows, pick, axis=-1)[..., 0]
    high = np.take_along_axis(highs, pick, axis=-1)[..., 0]
    return low, high, i


def hdi_of_samples(
    samples: Any, prob: float = 0.94, *, axis: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Shortest interval spanned by sorted draws, vectorised over the other axes.

    With ``n`` draws sorted as ``s[0] <= ... <= s[n-1]`` and ``k = floor(prob * n)``, the
    interval is ``[s[i], s[i + k]]`` for the ``i`` minimising ``s[i + k] - s[i]`` (the first
    such ``i`` on ties). This is exactly ArviZ's ``az.hdi`` rule: the interval holds
    ``k + 1`` draws, which is ``ceil(prob * n)`` unless ``prob * n`` is a whole number.

    Parameters
    ----------
    samples : array_like
        Finite draws; ``axis`` indexes the draws.
    prob : float, default 0.94
        Target mass, strictly between 0 and 1.
    axis : int, default 0
        Axis of ``samples`` holding the draws.

    Returns
    -------
    low, high : numpy.ndarray
        Ends of the interval, of the shape of ``samples`` without ``axis``.

    Examples
    --------
    >>> hdi_of_samples([1.0, 2.0, 2.5, 3.0, 10.0], prob=0.6)
    (array(1.), array(3.))
    >>> import numpy as np
    >>> draws = np.random.default_rng(0).normal(size=(4000, 3))
    >>> low, high = hdi_of_samples(draws, 0.9)
    >>> low.shape
    (3,)
    """
    prob = check_prob(prob, "prob")
    arr = check_finite_array(samples, "samples")
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"axis must be an integer, got {axis!r}")
    if arr.ndim == 0:
        raise ValueError("samples must have at least one dimension (the draws)")
    if not -arr.ndim <= axis < arr.ndim:
        raise ValueError(f"axis {axis} is out of bounds for samples with {arr.ndim} dimension(s)")
    arr = np.sort(np.moveaxis(arr, axis, -1), axis=-1)
    n = arr.shape[-1]
    if n == 0:
        raise ValueError("samples must hold at least one draw along axis")
    k = int(np.floor(prob * n))
    # az.hdi gives the same ends but was measured slower here: 7 ms against 0.3 ms for
    # (4000, 3) draws, 41 ms against 33 ms for (4000, 100) (its per-call overhead).
    low, high, _ = shortest_window(arr[..., : n - k], arr[..., k:])
    return low, high


def hdi_of_grid(x: Any, density: Any, prob: float = 0.94) -> tuple[float, float]:
    """HDI of a 1-D density tabulated on a sorted grid, with linear interpolation in cells.

    The density is taken to be the piecewise-linear interpolant of the values, on
    ``[x[0], x[-1]]`` and zero outside. The level ``c`` at which the mass where the interpolant
    is at least ``c`` equals ``prob`` (of the interpolant's total mass) is found exactly: that
    mass is piecewise quadratic in ``c``. The ends are where the interpolant crosses ``c``, or
    the grid's ends if the density there is above ``c``.

    Parameters
    ----------
    x : array_like, shape (n,)
        Strictly increasing grid, any spacing, ``n >= 2``.
    density : array_like, shape (n,)
        Non-negative density values (any normalisation), not all zero.
    prob : float, default 0.94
        Target mass, strictly between 0 and 1.

    Returns
    -------
    low, high : float
        Ends of the interval. For a multimodal or U-shaped density the region
        ``density >= c`` may be several intervals; then the shortest single interval of mass
        ``prob`` is returned, as for draws (ArviZ's ``az.hdi``) and :func:`hdi_of_dist`.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> x = np.linspace(0, 1, 2001)
    >>> low, high = hdi_of_grid(x, stats.beta(8, 4).pdf(x), prob=0.9)
    >>> print(f"{low:.4f} {high:.4f}")
    0.4584 0.8825
    """
    prob = check_prob(prob, "prob")
    xs = check_finite_array(x, "x")
    d = check_finite_array(density, "density")
    if xs.ndim != 1 or xs.size < 2:
        raise ValueError(f"x must be a 1-D grid of at least 2 points, got shape {xs.shape}")
    if d.shape != xs.shape:
        raise ValueError(f"density must have the shape of x {xs.shape}, got {d.shape}")
    if np.any(np.diff(xs) <= 0):
        raise ValueError("x must be sorted in strictly increasing order")
    if np.any(d < 0):
        raise ValueError("density must be non-negative")
    dx = np.diff(xs)
    d0, d1 = d[:-1], d[1:]
    cell_mass = 0.5 * (d0 + d1) * dx
    total = cell_mass.sum()
    if not total > 0:
        raise ValueError("density must not be all zero")
    target = prob * total

    # M(c), the mass where the interpolant is >= c, is a sum over cells: with lo/hi a cell's
    # smaller/larger end value, c <= lo counts the whole cell, lo < c < hi counts
    # dx (hi - c)(hi + c) / (2 (hi - lo)), c >= hi counts nothing. Between consecutive distinct
    # density values M is linear in c^2, so bisecting over those values and interpolating in
    # c^2 gives the level exactly (for the interpolant).
    lo_v = np.minimum(d0, d1)
    hi_v = np.maximum(d0, d1)
    span = np.where(hi_v > lo_v, hi_v - lo_v, 1.0)

    def mass_at(c: float, *, above: bool = False) -> float:
        # above=True gives the limit from above, M(c+), which drops cells flat at level c
        full = lo_v > c if above else lo_v >= c
        part = (lo_v <= c) & (c < hi_v) if above else (lo_v < c) & (c < hi_v)
        partial = np.zeros_like(span)
        # only cells that the level cuts: there (hi - c) <= span, so nothing overflows
        np.divide(dx * (hi_v - c) * (hi_v + c), 2 * span, out=partial, where=part)
        return float(np.sum(cell_mass, where=full) + np.sum(partial))

    v = np.unique(np.concatenate([d, [0.0]]))  # ascending distinct values, v[0] == 0
    if mass_at(v[-1]) >= target:  # a plateau at the maximum holds enough
        c = float(v[-1])
    else:
        a, b = 0, v.size - 1  # invariant: M(v[a]) > target >= M(v[b])
        while b - a > 1:
            mid = (a + b) // 2
            if mass_at(v[mid]) > target:
                a = mid
            else:
                b = mid
        m0, m1 = mass_at(v[a], above=True), mass_at(v[b])
        if m0 <= target:  # M jumps at v[a] (cells flat at that level): take that level
            c = float(v[a])
        else:
            frac = (target - m1) / (m0 - m1)
            c = float(np.sqrt(v[b] ** 2 - frac * (v[b] ** 2 - v[a] ** 2)))

    above = d >= c
    first = int(np.argmax(above))
    last = xs.size - 1 - int(np.argmax(above[::-1]))
    if not above[first : last + 1].all():  # the region is split: take the shortest interval
        return _shortest_of_interpolant(xs, d, cell_mass, prob)
    low = float(xs[0]) if first == 0 else _crossing(xs, d, first - 1, c)
    high = float(xs[-1]) if last == xs.size - 1 else _crossing(xs, d, last, c)
    return low, high


def _shortest_of_interpolant(
    xs: np.ndarray, d: np.ndarray, cell_mass: np.ndarray, prob: float
) -> tuple[float, float]:
    """Shortest interval holding ``prob`` of the piecewise-linear density through ``(xs, d)``.

    With ``a`` the mass below the interval, its width ``W(a) = Q(a + prob) - Q(a)`` is smooth
    between the breakpoints where an end crosses a grid node (the node's CDF value, or that
    minus ``prob``). ``W`` is evaluated at every breakpoint, then minimised (bounded Brent)
    over the two pieces beside the best one; ``Q`` inverts each cell's quadratic CDF exactly.
    """
    from scipy.optimize import minimize_scalar

    cdf = np.concatenate([[0.0], np.cumsum(cell_mass)])
    total = cdf[-1]
    cdf /= total
    dens = d / total
    slope = np.diff(dens) / np.diff(xs)

    def quantile(q: np.ndarray) -> np.ndarray:
        i = np.clip(np.searchsorted(cdf, q, side="right") - 1, 0, xs.size - 2)
        m = np.clip(q - cdf[i], 0.0, None)
        d0 = dens[i]
        # mass d0 t + slope t^2 / 2 = m, solved in the form that is stable for slope -> 0
        with np.errstate(invalid="ignore", divide="ignore"):
            root = np.sqrt(np.maximum(d0 * d0 + 2.0 * slope[i] * m, 0.0))
            t = np.where(d0 + root > 0, 2.0 * m / (d0 + root), 0.0)
        return np.minimum(xs[i] + t, xs[i + 1])

    room = 1.0 - prob
    breaks = np.concatenate([[0.0, room], cdf, cdf - prob])
    breaks = np.unique(breaks[(breaks >= 0.0) & (breaks <= room)])
    _, _, k = shortest_window(quantile(breaks), quantile(breaks + prob))
    k = int(k)
    width_k = float(quantile(breaks[k : k + 1] + prob)[0] - quantile(breaks[k : k + 1])[0])
    lo, hi = breaks[max(k - 1, 0)], breaks[min(k + 1, breaks.size - 1)]
    best = float(breaks[k])
    if hi > lo:
        # bounded Brent, not elementwise.find_minimum: 0.48 ms against 3.7 ms for this one
        # scalar search (measured on a 4001-point bimodal grid, same minimum)
        res = minimize_scalar(
            lambda a: float(np.subtract(*quantile(np.array([a + prob, a])))),
            bounds=(lo, hi),
            method="bounded",
            options={"xatol": 1e-14},
        )
        if res.fun < width_k:
            best = float(res.x)
    ends = quantile(np.array([best, best + prob]))
    return float(ends[0]), float(ends[1])


def _crossing(xs: np.ndarray, d: np.ndarray, i: int, c: float) -> float:
    """Where the linear interpolant on cell [x_i, x_{i+1}] equals c."""
    span = d[i + 1] - d[i]
    t = 0.0 if span == 0 else (c - d[i]) / span
    return float(xs[i] + min(max(t, 0.0), 1.0) * (xs[i + 1] - xs[i]))
