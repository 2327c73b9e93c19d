"""Mode: the best grid point, refined by projected Newton steps on the model's own density.

The mode is accurate far beyond the grid spacing; a mode on a box edge (``k = 0`` under a flat
prior) or on a face of the simplex (a zero component) stays there.
"""

from __future__ import annotations

import numpy as np

from .table import _Table

__all__ = ["mode_point"]


_SOLVE_ERRORS = (ValueError, FloatingPointError, np.linalg.LinAlgError)


def mode_point(t: _Table) -> np.ndarray:
    """Best grid point, refined by projected Newton steps on the model's log density."""
    finite = t.L[np.isfinite(t.L)]
    if finite.size == t.L.size and finite.max() == finite.min():
        return 0.5 * (t.lo + t.hi)  # a flat density: every point is a mode; take the centre
    x, fx, active = _best_point(t)
    free = np.flatnonzero(~active)
    if free.size == 0 or not np.isfinite(fx):
        return x
    tau = 1e-9 * t.h
    inner = (t.lo + tau, t.hi - tau)
    try:
        x, fx = _newton(t, x, fx, free, *inner, {})
    except _SOLVE_ERRORS:
        pass
    # ascent that ran into a face of a simplex (a zero component, p_K = 0): optimise on
    # that face, the last free axis of the vector then being 1 - the sum of the others
    for name in t.layout.simplex:
        x, fx = _on_simplex_face(t, name, x, fx, free, inner)
    # ascent that ran into the box's edge: the supremum is on the edge (the density may
    # even be unbounded there, as for a Beta(0.5, .) posterior with k = 0)
    for j in free:
        if x[j] - t.lo[j] <= 2 * tau[j]:
            x[j] = t.lo[j]
        elif t.hi[j] - x[j] <= 2 * tau[j]:
            x[j] = t.hi[j]
    return x


def _best_point(t: _Table) -> tuple[np.ndarray, float, np.ndarray]:
    """The best grid point, moved onto a box edge where the density there is at least as high
    (a mode on the edge); returns it, its log density and the axes held on an edge."""
    ndim = t.layout.ndim
    flat = int(np.argmax(t.L))
    idx = np.unravel_index(flat, t.shape)
    x = t.cell_point(flat)
    fx = float(t.L[idx])
    active = np.zeros(ndim, dtype=bool)
    cands, which = [], []
    for j in range(ndim):
        for side, at in ((t.lo, 0), (t.hi, int(t.n[j]) - 1)):
            if idx[j] == at:
                y = x.copy()
                y[j] = side[j]
                cands.append(y)
                which.append((j, side[j]))
    if not cands:
        return x, fx, active
    vals = t.ev.lenient(np.array(cands))
    for (j, edge), v in zip(which, vals, strict=True):
        if v >= fx and not active[j]:
            active[j] = True
            x[j] = edge
    if active.any():
        fx = float(t.ev.lenient(x[None, :])[0])
    return x, fx, active


def _on_simplex_face(t: _Table, name: str, x, fx: float, free, inner):
    """Newton ascent on the face ``p[-1] = 0`` of probability vector ``name``, when the point
    is within half a spacing of it; the better of that and ``(x, fx)``."""
    h, lo = t.h, t.lo
    every = t.layout.param_axes[name]
    axes = [a for a in every if a in set(free.tolist())]
    if len(axes) < 2 or 1.0 - x[every].sum() > 0.5 * h[axes].min():
        return x, fx
    y, fy = x.copy(), fx
    while len(axes) >= 2:
        dep = {axes[-1]: [a for a in every if a != axes[-1]]}
        trial = y.copy()
        trial[axes[-1]] = 1.0 - trial[dep[axes[-1]]].sum()
        f_trial = float(t.ev.lenient(trial[None, :])[0])
        try:
            trial, f_trial = _newton(t, trial, f_trial, np.array(axes[:-1]), *inner, dep)
        except _SOLVE_ERRORS:
            break
        y, fy = trial, f_trial
        # the dependent component ran into its own zero too (two faces meet, as
        # p = (0.75, 0.25, 0, 0)): hold it there and go on along the smaller face
        last = axes[-1]
        if y[last] - lo[last] > 1e-6 * h[last]:  # Newton stops short of the edge
            break
        y[last] = lo[last]
        axes = axes[:-1]
        fy = float(t.ev.lenient(y[None, :])[0])
    return (y, fy) if fy >= fx else (x, fx)


def _newton(t: _Table, x, fx, free, inner_lo, inner_hi, dependent):
    """Newton ascent over the ``free`` axes, steps backtracked and kept inside the box.

    ``dependent`` maps an axis to the axes it is ``1 - sum`` of (a simplex face).
    """
    ev, h = t.ev, t.h
    ndim = t.layout.ndim
    steps = 2.0 ** -np.arange(25)

    def complete(pts: np.ndarray) -> np.ndarray:
        for k, others in dependent.items():
            pts[:, k] = 1.0 - pts[:, others].sum(axis=1)
        return pts

    faces = frozenset(t.layout.elements[t.layout.axis_names[k]].param for k in dependent)

    def total_gradient(pts: np.ndarray) -> np.ndarray:
        g = ev.gradient(pts, faces)
        for k, others in dependent.items():
            g[:, others] -= g[:, [k]]
        return g[:, free]

    for _ in range(60):
        s = 0.05 * h[free]
        s = np.minimum(
            s,
            0.5 * np.maximum(np.minimum(x[free] - inner_lo[free], inner_hi[free] - x[free]), 0),
        )
        pts = np.repeat(x[None, :], 1 + 2 * free.size, axis=0)
        use_h = s > 0
        for k, j in enumerate(free):
            pts[1 + 2 * k, j] += s[k]
            pts[2 + 2 * k, j] -= s[k]
        g_all = total_gradient(complete(pts))
        g = g_all[0]
        if not np.all(np.isfinite(g)):
            break
        hess = np.zeros((free.size, free.size))
        ok_h = (
            use_h
            & np.all(np.isfinite(g_all[1::2]), axis=1)
            & np.all(np.isfinite(g_all[2::2]), axis=1)
        )
        hess[ok_h] = (g_all[1::2][ok_h] - g_all[2::2][ok_h]) / (2 * s[ok_h, None])
        hess = 0.5 * (hess + hess.T)
        delta = None
        if ok_h.all():
            try:
                np.linalg.cholesky(-hess)
                delta = np.linalg.solve(-hess, g)
            except np.linalg.LinAlgError:
                delta = None
        if delta is None:  # not locally concave: a bounded ascent step
            diag = np.diag(hess)
            delta = np.where(diag < 0, -g / np.where(diag < 0, diag, -1.0), np.sign(g) * h[free])
        delta = np.clip(delta, -4 * h[free], 4 * h[free])
        full = np.zeros(ndim)
        full[free] = delta
        cand = np.clip(x[None, :] + steps[:, None] * full[None, :], inner_lo, inner_hi)
        vals = ev.points(complete(cand), allow_posinf=True)
        # not worse beyond rounding (the log density sums terms much larger than itself)
        accept = vals >= fx - 1e-10 * max(1.0, abs(fx))
        if not accept.any():
            break
        k = int(np.argmax(accept))
        moved = np.abs(cand[k] - x)[free]
        x, fx = cand[k], float(vals[k])
        if np.all(moved <= 1e-10 * h[free]):
            break
    return x, fx
