"""Box search: where the posterior's mass is, from coarse grids, before the full grid.

Each axis starts from the prior's support where it is finite and from the prior's ``1e-6``
and ``1 - 1e-6`` quantiles where it is not. :func:`_locate` shrinks and grows the box to the
region within 30 nats of the maximum; :func:`_trim` cuts tails holding at most ``1e-10`` of
the mass; half-line axes are searched in log coordinates (:func:`_box_from_log`).
"""

from __future__ import annotations

import copy

import numpy as np

from .constants import (
    _FAR_TAIL_MASSES,
    _LEVEL_NATS,
    _LOCATE_ITERATIONS,
    _MIN_TARGET_IQR_SPACINGS,
    _PRIOR_QUANTILE,
    _TAIL_MASSES,
    _TARGET_SD_SPACINGS,
    _TRIM_ITERATIONS,
    _coarse_points,
)
from .evaluation import _Evaluator, _LogAxesEvaluator
from .layout import _Layout
from .quadrature import _centres

__all__ = ["find_box"]


def _initial_box(layout: _Layout, lo: np.ndarray, hi: np.ndarray, fixed: np.ndarray):
    lo, hi = lo.copy(), hi.copy()
    for name, param in layout.model.parameters.items():
        axes = layout.param_axes[name]
        finite = np.isfinite(layout.support_low[axes]) & np.isfinite(layout.support_high[axes])
        if all(fixed[a] for a in axes) or finite.all():
            q_lo = q_hi = np.zeros(param.shape)
        else:
            q_lo, q_hi = param.prior.grid_box(name, _PRIOR_QUANTILE)
        for el_name in layout.param_elements[name]:
            el = layout.elements[el_name]
            if el.axis is None or fixed[el.axis]:
                continue
            j = el.axis
            s_lo, s_hi = layout.support_low[j], layout.support_high[j]
            lo[j] = s_lo if np.isfinite(s_lo) else float(q_lo[el.index])
            hi[j] = s_hi if np.isfinite(s_hi) else float(q_hi[el.index])
            if not (np.isfinite(lo[j]) and np.isfinite(hi[j]) and lo[j] < hi[j]):
                raise ValueError(
                    f"could not find a finite default grid range for {el_name} from its prior; "
                    "pass bounds="
                )
    return lo, hi


def _log_axes(layout: _Layout, fixed: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Automatic axes on a half-line (one finite support end): searched in log coordinates."""
    s_lo, s_hi = layout.support_low, layout.support_high
    half = ~fixed & (np.isfinite(s_lo) != np.isfinite(s_hi))
    simplex_axes = {a for n in layout.simplex for a in layout.param_axes[n]}
    half &= np.array([j not in simplex_axes for j in range(layout.ndim)], dtype=bool)
    anchor = np.where(np.isfinite(s_lo), s_lo, s_hi)
    sign = np.where(np.isfinite(s_lo), 1.0, -1.0)
    return np.flatnonzero(half), anchor, sign


def _to_log_box(lo, hi, log_axes, anchor, sign):
    """The prior-quantile box in log coordinates (the support end itself maps to -inf)."""
    lo, hi = lo.copy(), hi.copy()
    for j in log_axes.tolist():
        near, far = (lo[j], hi[j]) if sign[j] > 0 else (hi[j], lo[j])
        d_far = abs(far - anchor[j])
        d_near = abs(near - anchor[j])
        if not d_near > 0 or d_near < 1e-12 * d_far:
            d_near = 1e-12 * d_far
        lo[j], hi[j] = np.log(d_near), np.log(d_far)
    return lo, hi


def _box_from_log(lev: _LogAxesEvaluator, layout: _Layout, lo_u, hi_u, lo, hi, points: np.ndarray):
    """Linear box for the log-searched axes, from their marginal in log coordinates.

    The near end is the ``1e-10`` quantile (or the support end, when that is closer than 2% of
    the box). The far end is the ``1e-10`` quantile, or, where an evenly spaced grid of
    ``points`` over it would give the central 50% of the mass too few cells (a heavy tail), the
    ``1e-9`` ... ``1e-6`` quantile that gives it enough; a tail too heavy even for that is left
    to the grid's warnings.
    """
    ndim = layout.ndim
    n = _coarse_points(ndim)
    lo, hi = lo.copy(), hi.copy()
    nodes = [_centres(lo_u[j], hi_u[j], n) for j in range(ndim)]
    L = lev.tensor(nodes)
    h_all = (hi_u - lo_u) / n
    prob = np.exp(_cell_log_masses(L, h_all))
    for j in lev.log_axes.tolist():
        q = _marginal_masses(prob, j)
        edges = lo_u[j] + h_all[j] * np.arange(n + 1)
        cdf = np.concatenate([[0.0], np.cumsum(q)])
        cdf /= cdf[-1]

        def quant(p: float, upper: bool, cdf=cdf, edges=edges) -> float:
            # interpolated in log mass within the cell, from the tail's own side
            if upper:
                tail = 1.0 - cdf[::-1]
                return float(_tail_cut_exact(tail, edges[::-1], p))
            return float(_tail_cut_exact(cdf, edges, p))

        a, sgn = lev.anchor[j], lev.sign[j]
        near = np.exp(quant(1e-10, upper=False))
        q25, q75 = np.exp(quant(0.25, upper=False)), np.exp(quant(0.25, upper=True))
        iqr = q75 - q25
        far = None
        # light tails (an IQR of at least points / 25 spacings over the 1e-10 range) keep 1e-10
        target = max(_MIN_TARGET_IQR_SPACINGS, points[j] / 25.0)
        for eps in _FAR_TAIL_MASSES:
            far = np.exp(quant(eps, upper=True))
            if iqr / ((far - min(near, far)) / points[j]) >= target:
                break
        # keep half a coarse (log) cell of slack on the far side
        far = far * np.exp(0.5 * h_all[j])
        near = near * np.exp(-0.5 * h_all[j])
        if near < 0.02 * (far - near):
            near = 0.0
        x_near, x_far = a + sgn * near, a + sgn * far
        lo[j], hi[j] = (x_near, x_far) if sgn > 0 else (x_far, x_near)
        if not (np.isfinite(lo[j]) and np.isfinite(hi[j]) and lo[j] < hi[j]):
            raise ValueError(
                f"could not find a finite default grid range for {layout.axis_names[j]}; "
                "pass bounds="
            )
    return lo, hi


def _tail_cut_exact(tail: np.ndarray, edges: np.ndarray, eps: float) -> float:
    """Where the mass beyond a point reaches ``eps`` (``tail``/``edges`` as in ``_tail_cut``),
    interpolated in log mass inside its cell, without slack."""
    k = int(np.searchsorted(tail, eps, side="right")) - 1
    if k <= 0:
        return float(edges[0])
    if k >= tail.size - 1:
        return float(edges[-1])
    a, b = tail[k], tail[k + 1]
    t = 0.0 if a <= 0 else float((np.log(eps) - np.log(a)) / (np.log(b) - np.log(a)))
    return float(edges[k] + t * (edges[k + 1] - edges[k]))


def _marginal_masses(prob: np.ndarray, j: int) -> np.ndarray:
    axes = tuple(k for k in range(prob.ndim) if k != j)
    q = prob.sum(axis=axes) if axes else prob
    total = q.sum()
    return q / total if total > 0 else q


def _locate(ev: _Evaluator, layout: _Layout, lo, hi, fixed):
    """Phase 1: find a box holding the region within 30 nats of the maximum.

    The level is taken from the best point seen in any pass, so a coarse pass that misses the
    peak cannot lower it (which would let a heavy tail grow the box without end); a pass whose
    points all lie below the level zooms back onto the best point's neighbourhood.
    """
    ndim = layout.ndim
    n = _coarse_points(ndim)
    s_lo, s_hi = layout.support_low, layout.support_high
    free = ~fixed
    empty_tries = 0
    best, best_x, best_h = -np.inf, None, None
    for _ in range(_LOCATE_ITERATIONS):
        nodes = [_centres(lo[j], hi[j], n) for j in range(ndim)]
        L = ev.tensor(nodes)
        if not np.isfinite(L).any():
            grow = free & ((lo > s_lo) | (hi < s_hi))
            empty_tries += 1
            if best_x is not None:  # back to where the density was positive
                lo = np.where(free, np.maximum(s_lo, best_x - best_h), lo)
                hi = np.where(free, np.minimum(s_hi, best_x + best_h), hi)
                continue
            if not grow.any() or empty_tries > 12:
                _raise_zero(layout, lo, hi)
            width = hi - lo
            lo = np.where(grow, np.maximum(s_lo, lo - 2 * width), lo)
            hi = np.where(grow, np.minimum(s_hi, hi + 2 * width), hi)
            continue
        top = np.unravel_index(int(np.argmax(L)), L.shape)
        if L[top] > best:
            best = float(L[top])
            best_x = np.array([nodes[j][top[j]] for j in range(ndim)])
            best_h = (hi - lo) / n
            # the peak may hide inside a coarse cell (a narrow posterior, or one squeezed
            # against a support edge): climb to it so the level is the true maximum's
            best_x, best, best_h = _climb(ev, layout, best_x, best, best_h, free)
        mask = L >= best - _LEVEL_NATS
        if not mask.any():  # this pass is too coarse to see the peak: zoom back onto it
            lo = np.where(free, np.maximum(s_lo, best_x - best_h), lo)
            hi = np.where(free, np.minimum(s_hi, best_x + best_h), hi)
            continue
        new_lo, new_hi = lo.copy(), hi.copy()
        touched = False
        for j in np.flatnonzero(free):
            prof = mask.any(axis=tuple(k for k in range(ndim) if k != j)) if ndim > 1 else mask
            hit = np.flatnonzero(prof)
            i0, i1 = int(hit[0]), int(hit[-1])
            width = hi[j] - lo[j]
            h = width / n
            if i0 == 0 and lo[j] > s_lo[j]:
                new_lo[j] = max(s_lo[j], lo[j] - width)
                touched = True
            else:
                new_lo[j] = lo[j] + max(i0 - 1, 0) * h
            if i1 == n - 1 and hi[j] < s_hi[j]:
                new_hi[j] = min(s_hi[j], hi[j] + width)
                touched = True
            else:
                new_hi[j] = min(hi[j], lo[j] + min(i1 + 2, n) * h)
        shrunk = np.any((new_hi - new_lo) < 0.9 * (hi - lo))
        lo, hi = new_lo, new_hi
        if not touched and not shrunk:
            break
    return lo, hi


def _climb(ev: _Evaluator, layout: _Layout, x, fx, h, free):
    """Pattern search for the maximum near ``x`` (within about one coarse cell ``h``).

    Each step evaluates 5 points per free axis across ``x +- span`` (inside the support);
    the span doubles while the best point is on the window's edge (still climbing, possibly
    far: a posterior outside the prior's bulk) and shrinks fourfold otherwise. Returns the best
    point, its log density and a span that brackets it.
    """
    s_lo, s_hi = layout.support_low, layout.support_high
    axes = np.flatnonzero(free)
    span = np.where(free, h, 0.0)
    offsets = np.linspace(-1.0, 1.0, 5)
    for _ in range(40):
        grids = [
            np.clip(x[j] + offsets * span[j], s_lo[j], s_hi[j]) if j in axes else x[j : j + 1]
            for j in range(x.size)
        ]
        mesh = np.stack([g.ravel() for g in np.meshgrid(*grids, indexing="ij")], axis=1)
        vals = ev.lenient(mesh)
        vals = np.where(np.isnan(vals) | (vals == np.inf), -np.inf, vals)
        k = int(np.argmax(vals))
        on_edge = False
        if vals[k] > fx:
            idx = np.unravel_index(k, tuple(len(g) for g in grids))
            on_edge = any(idx[j] in (0, 4) for j in axes)
            x, fx = mesh[k].copy(), float(vals[k])
        span = span * 2.0 if on_edge else span / 4.0  # stride on while climbing
        if np.all(span[axes] <= 1e-3 * h[axes]):
            break
    return x, fx, np.maximum(span, 1e-3 * h) * np.where(free, 4.0, 0.0)


def _cell_log_masses(L: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Log masses of coarse cells, exact where the log density is linear across a cell.

    ``h * exp(l) * sinh(u) / u`` per axis with ``2 u`` the change of the log density across
    the cell: the plain midpoint rule badly underestimates cells in steep tails. The slope is
    the smaller one-sided difference (zero at a turning point), so a cell next to a steep drop
    is not inflated.
    """
    out = L - L.max()
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        for j in range(L.ndim):
            if L.shape[j] < 3:
                continue
            d = np.diff(L, axis=j)
            d = np.where(np.isfinite(d), d, np.nan)
            pad = np.full_like(np.take(d, [0], axis=j), np.nan)
            left = np.concatenate([pad, d], axis=j)  # l_i - l_{i-1}
            right = np.concatenate([d, pad], axis=j)  # l_{i+1} - l_i
            same = np.sign(left) == np.sign(right)
            slope = np.fmin(np.abs(left), np.abs(right))  # NaN only where both are missing
            slope = np.where(same | np.isnan(left) | np.isnan(right), slope, 0.0)
            u = np.clip(np.nan_to_num(slope, nan=0.0) / 2.0, 1e-8, 40.0)
            out = out + (u + np.log1p(-np.exp(-2 * u)) - np.log(2 * u))  # log(sinh(u) / u)
    return out + float(np.sum(np.log(h)))


def _trim(ev: _Evaluator, layout: _Layout, lo, hi, fixed, points):
    """Phase 2 (shrink only): drop tails holding at most ~1e-10 of the mass per side.

    Tail masses come from coarse cells (exponential-midpoint estimates) and the cut keeps one
    extra coarse cell beyond the cell where the tail mass reaches the target, so it errs on the
    side of keeping mass. The target grows up to 1e-7 only when a 1e-10 cut would leave the
    posterior sd below ``_TARGET_SD_SPACINGS`` final grid spacings (heavy tails).
    """
    ndim = layout.ndim
    n = _coarse_points(ndim)
    free = np.flatnonzero(~fixed)
    for _ in range(_TRIM_ITERATIONS):
        nodes = [_centres(lo[j], hi[j], n) for j in range(ndim)]
        L = ev.tensor(nodes)
        if not np.isfinite(L).any():
            _raise_zero(layout, lo, hi)
        h_all = (hi - lo) / n
        prob = np.exp(_cell_log_masses(L, h_all))
        new_lo, new_hi = lo.copy(), hi.copy()
        for j in free:
            q = _marginal_masses(prob, j)
            h = h_all[j]
            x = nodes[j]
            mean = float(np.sum(q * x))  # not BLAS: its thread wake-ups cost milliseconds
            sd = np.sqrt(max(float(np.sum(q * (x - mean) ** 2)), 0.0))
            edges = lo[j] + h * np.arange(n + 1)
            lower = np.concatenate([[0.0], np.cumsum(q)])  # mass below each edge
            upper = np.concatenate([np.cumsum(q[::-1])[::-1], [0.0]])  # mass above each edge
            if sd < 0.5 * h:  # mass in a few coarse cells: keep whole cells, one more each side
                k_lo = int(np.searchsorted(lower, _TAIL_MASSES[0], side="right")) - 1
                k_hi = int(np.searchsorted(-upper, -_TAIL_MASSES[0], side="left"))
                new_lo[j], new_hi[j] = edges[max(k_lo - 1, 0)], edges[min(k_hi + 1, n)]
                continue
            for eps in _TAIL_MASSES:
                a = _tail_cut(lower, edges, eps, h)
                b = _tail_cut(upper[::-1], edges[::-1], eps, h)
                if (b - a) / points[j] <= sd / _TARGET_SD_SPACINGS:
                    break
            new_lo[j], new_hi[j] = max(a, lo[j]), min(b, hi[j])
        shrink = (new_hi - new_lo) / (hi - lo)
        lo, hi = new_lo, new_hi
        if np.all(shrink > 0.95):
            break
    return lo, hi


def _tail_cut(tail: np.ndarray, edges: np.ndarray, eps: float, h: float) -> float:
    """Where the mass beyond a point reaches ``eps``, walking inwards from ``edges[0]``.

    ``tail[k]`` is the mass between ``edges[0]`` and ``edges[k]`` (growing with ``k``;
    ``edges`` run inwards, increasing for the lower tail and decreasing for the upper one).
    The crossing is interpolated in log mass inside its cell, then moved half a coarse cell
    outwards, never past ``edges[0]``.
    """
    k = int(np.searchsorted(tail, eps, side="right")) - 1  # tail[k] <= eps < tail[k + 1]
    if k <= 0:
        return float(edges[0])
    if k >= tail.size - 1:
        return float(edges[-1])
    a, b = tail[k], tail[k + 1]
    t = 0.0 if a <= 0 else float((np.log(eps) - np.log(a)) / (np.log(b) - np.log(a)))
    inward = 1.0 if edges[-1] > edges[0] else -1.0
    cut = edges[k] + t * (edges[k + 1] - edges[k]) - 0.5 * h * inward
    return float(max(cut, edges[0]) if inward > 0 else min(cut, edges[0]))


def _raise_zero(layout: _Layout, lo, hi) -> None:
    box = {n: (float(a), float(b)) for n, a, b in zip(layout.axis_names, lo, hi, strict=True)}
    raise ValueError(
        f"grid: the posterior is zero (log density -inf) at every point of the grid over {box}; "
        "the prior or the likelihood rules that whole region out. Pass bounds= covering where "
        "the posterior has mass"
    )


def find_box(ev: _Evaluator, layout: _Layout, lo, hi, fixed: np.ndarray, points: np.ndarray):
    """The automatic box: ``(lo, hi)`` for the axes not ``fixed`` by the caller's bounds.

    ``lo``/``hi`` start as the prior box (:func:`_initial_box`). Half-line axes (a scale, a
    rate, a variance) are searched in log coordinates, where a tail spanning decades is a few
    cells; the others directly.
    """
    log_axes, anchor, sign = _log_axes(layout, fixed)
    if fixed.all():  # every bound given: no box to find
        return lo, hi
    if not log_axes.size:
        lo, hi = _locate(ev, layout, lo, hi, fixed)
        return _trim(ev, layout, lo, hi, fixed, points)
    lev = _LogAxesEvaluator(ev, log_axes, anchor, sign)
    lay_u = copy.copy(layout)
    lay_u.support_low = layout.support_low.copy()
    lay_u.support_high = layout.support_high.copy()
    lay_u.support_low[log_axes], lay_u.support_high[log_axes] = -np.inf, np.inf
    lo_u, hi_u = _to_log_box(lo, hi, log_axes, anchor, sign)
    lo_u, hi_u = _locate(lev, lay_u, lo_u, hi_u, fixed)
    n_u = points.copy()
    n_u[log_axes] = 2**40  # cut the log axes' tails at 1e-10 there; resolution comes next
    lo_u, hi_u = _trim(lev, lay_u, lo_u, hi_u, fixed, n_u)
    return _box_from_log(lev, lay_u, lo_u, hi_u, lo_u, hi_u, points)
