"""The ``grid()`` driver: parse the arguments, find the box, tabulate, settle and diagnose."""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from .._validation import check_positive_int
from ..models.base import Model, routes_to_hierarchical
from .box import _initial_box, find_box
from .constants import _GRID_BYTES_PER_POINT, _MAX_REFINEMENT, DEFAULT_MAX_BYTES
from .diagnostics import _Diagnostics, diagnose
from .evaluation import _Evaluator, _measure_bytes_per_point, _needs_memory_probe
from .layout import _check_grid_size, _Layout, _parse_bounds, _parse_points
from .posterior import GridPosterior
from .table import _Table

__all__ = ["grid"]


def grid(
    model: Model,
    *,
    points: int | Mapping[str, Any] | None = None,
    bounds: Mapping[str, Any] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_dims: int = 4,
) -> GridPosterior:
    """Posterior by Bayes' rule on a grid, kept in log space.

    Parameters
    ----------
    model : Model
        Any model with one to ``max_dims`` scalar dimensions (a vector parameter of size ``d``
        counts ``d``; a Dirichlet parameter with ``K`` components counts ``K - 1``).
    points : int or dict, optional
        Points per axis: one int for every axis, or a dict parameter name -> int (or a sequence
        of ints, one per element of a vector parameter); element names such as ``"coef[0]"``
        are accepted too. Missing entries default to 2001 (1-D), 801 (2-D), 81 (3-D) or 41
        (4-D) per axis; for models that cost O(n) per point (regressions without sufficient
        statistics) the 2-D and 3-D defaults shrink, down to 101 and 51, so that
        ``points * n`` stays near 5e7.
    bounds : dict, optional
        Parameter name -> ``(low, high)`` of the grid. For a vector parameter ``low`` and
        ``high`` are each a number (all elements) or an array with one entry per element (per
        grid axis: the first ``K - 1`` components of a probability vector); an element name
        (``"coef[0]"``) bounds one element. Parameters left out get the automatic range
        described in the module docstring. Bounds are used as given (never narrowed).
    max_bytes : int, default 256 MiB
        Memory budget: the log density is evaluated in chunks of at most
        ``max_bytes // model.bytes_per_evaluation`` points, and the grid itself (8 bytes per
        point, a few arrays of it) must fit in it too.
    max_dims : int, default 4
        Refuse models with more scalar dimensions than this (a grid costs ``points ** ndim``).

    Returns
    -------
    GridPosterior

    Raises
    ------
    TypeError
        ``model`` is not a Model, or ``points``/``bounds`` have the wrong type.
    ValueError
        ``points`` below 2; bounds reversed, non-finite, outside the prior's support or naming
        unknown parameters; too many dimensions; a log density that is NaN or of the wrong
        shape; a posterior that is zero at every grid point; a grid that does not fit in
        ``max_bytes``.

    Warns
    -----
    GridWarning
        When the grid truncates the posterior (more than ``1e-6`` of the mass in an outermost
        cell at an edge that is not a support boundary) or is too coarse (posterior sd below
        3 grid spacings along an axis).

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> import bayesgd as bg
    >>> m = bg.Normal(y=[1.2, 0.4, 2.2], mu=stats.norm(0, 10), sigma=stats.halfnorm(scale=5))
    >>> post = bg.grid(m)                      # 801 x 801 cells, bounds chosen automatically
    >>> post.shape
    (801, 801)
    >>> post.summary().columns[:4].tolist()
    ['mean', 'sd', 'mode', 'median']
    """
    if routes_to_hierarchical(model):  # hyperparameters on the grid, groups integrated out
        return model.nested_grid(points=points, bounds=bounds)
    if not isinstance(model, Model):
        raise TypeError(f"model must be a bayesgd Model, got {type(model).__name__}")
    max_bytes = check_positive_int(max_bytes, "max_bytes")
    max_dims = check_positive_int(max_dims, "max_dims")
    layout = _Layout(model)
    ndim = layout.ndim
    if ndim > max_dims:
        raise ValueError(
            f"the model has {ndim} scalar dimensions ({layout.describe_sizes()}), more than "
            f"max_dims={max_dims}: a grid costs points**{ndim} evaluations. Raise max_dims= if "
            "you mean it, or use map_estimate/laplace/sample_pymc"
        )
    if ndim == 0:
        raise ValueError("the model has no free dimension to put a grid on")
    n, given = _parse_points(layout, points)
    lo, hi, fixed = _parse_bounds(layout, bounds)
    n = _check_grid_size(n, max_bytes)
    lo, hi = _initial_box(layout, lo, hi, fixed)
    _Evaluator(model, layout, max_bytes).probe_shape(lo, hi)
    per_point = (
        _measure_bytes_per_point(model, layout, lo, hi) if _needs_memory_probe(model) else None
    )
    ev = _Evaluator(model, layout, max_bytes, per_point)
    lo, hi = find_box(ev, layout, lo, hi, fixed, n)
    table = _settle(ev, lo, hi, n, fixed, ~given, max_bytes)
    # the arguments, for updates to lay their grids with (copied: the caller's may change)
    request = {
        "points": copy.deepcopy(points),
        "bounds": copy.deepcopy(bounds),
        "max_bytes": max_bytes,
        "max_dims": max_dims,
    }
    post = GridPosterior(model, table, auto=~fixed, request=request)
    post._warn(stacklevel=2)
    return post


def _settle(ev: _Evaluator, lo, hi, n, fixed: np.ndarray, auto_points: np.ndarray, max_bytes):
    """Tabulate the grid; widen automatic sides that truncate the posterior (the box search's
    tail estimates were coarse), at most 4 times, and give automatic-points axes with a steep
    flank more points, once."""
    budget = min(max_bytes // _GRID_BYTES_PER_POINT, _MAX_REFINEMENT * math.prod(n.tolist()))
    widenings, refined = 0, False
    while True:
        table = _Table(ev, lo, hi, n)
        diag = diagnose(table)
        grown = None if widenings == 4 else _widen_truncated(table, diag, fixed, lo, hi)
        if grown is not None:
            lo, hi = grown
            widenings += 1
            continue
        finer = None if refined else _refined_points(table, diag, n, auto_points, budget)
        if finer is None:
            return table
        n, refined = finer, True


def _refined_points(
    t: _Table, diag: _Diagnostics, n: np.ndarray, auto: np.ndarray, budget: int
) -> np.ndarray | None:
    """More points on automatic axes that resolve their marginal too coarsely, or None.

    An axis with a steep flank (a narrow quantile gap, ``gap_spacings``) gets
    enough points for ``_TARGET_GAP_SPACINGS`` per gap, all such axes scaled back together to
    keep the total within ``budget`` points.
    """
    factor = np.ones(n.size)
    for j, name in enumerate(t.layout.axis_names):
        if auto[j]:
            factor[j] = diag.resolution[name].refinement()
    if np.all(factor == 1.0):
        return None
    grow = factor > 1.0
    total = math.prod(n.tolist()) * float(np.prod(factor))
    if total > budget:
        factor[grow] *= (budget / total) ** (1.0 / int(grow.sum()))
    new = np.maximum(n, np.floor(n * factor).astype(np.int64))
    return new if np.any(new > n) else None


def _widen_truncated(t: _Table, diag: _Diagnostics, fixed: np.ndarray, lo, hi):
    """New box sides for automatic axes whose outermost cell holds too much mass, or None.

    The side moves out by enough cells for the mass there, decaying at the rate seen across
    the two outermost cells, to fall below 1e-10 (at least two cells, at most the width).
    """
    lo, hi = lo.copy(), hi.copy()
    lay = t.layout
    changed = False
    for j, name in enumerate(lay.axis_names):
        if fixed[j]:
            continue
        q, h = t.axis_q[j], t.h[j]
        for side, cut in enumerate(diag.truncated[name]):
            if not cut:
                continue
            outer, inner = (q[0], q[1]) if side == 0 else (q[-1], q[-2])
            with np.errstate(divide="ignore", invalid="ignore"):
                rate = np.log(inner / outer) if outer > 0 and inner > outer else 0.0
            cells = np.log(outer / 1e-10) / rate if rate > 0 else np.inf
            step = float(min(max(2.0, 1.5 * cells + 1.0) * h, hi[j] - lo[j]))
            if side == 0:
                lo[j] = max(lay.support_low[j], lo[j] - step)
            else:
                hi[j] = min(lay.support_high[j], hi[j] + step)
            changed = True
    return (lo, hi) if changed else None
