"""Grid posteriors: Bayes' rule done numerically on a tensor grid, kept in log space.

:func:`grid` evaluates the model's unnormalised log posterior ``log p(θ) + log p(D|θ)`` at the
centres of the cells of a regular grid over one to four scalar dimensions, normalises it with
``logsumexp`` and answers the whole posterior interface (:class:`bayesgd.posterior.Posterior`)
from the tabulated density. It works for any model, conjugate or not, custom likelihoods
included, as long as the log density is vectorised over leading (batch) axes.

How the grid is chosen
----------------------
Each scalar dimension is one axis: a scalar parameter is one axis, a vector parameter of size
``d`` is ``d`` axes (``coef[0]``, ``coef[1]``, ...), and a Dirichlet parameter with ``K``
components is ``K - 1`` axes (its first ``K - 1`` components; the last one is implied,
``1 - sum``, and the density is zero where it would be negative).

Without ``bounds``, each axis starts from the prior's support where it is finite and from the
prior's ``1e-6`` and ``1 - 1e-6`` quantiles where it is not. A coarse grid over that box is then
evaluated repeatedly: where the log density lies within 30 nats of its maximum, the box is
shrunk to that region (plus one coarse cell), and a side where that region touches a box edge
that is not a support boundary is pushed outwards, until the box stops changing. A second,
shrink-only phase trims each axis to the points that leave at most ``1e-10`` of the posterior
mass outside (estimated from coarse cells, interpolated in log mass, plus half a coarse cell;
up to ``1e-7`` for heavy-tailed posteriors that would otherwise get fewer than four grid
spacings per sd). Support boundaries holding mass (``k = 0`` successes under a flat prior) are
kept. Axes on a half-line (a scale, a rate, a variance) are searched in log coordinates
instead (``log(x - a)``, Jacobian included), where a tail spanning decades is a few cells: the
box runs from the ``1e-10`` quantile (or the support end) to the ``1e-10`` quantile, or, for a
heavy tail, to the ``1e-9`` ... ``1e-7`` quantile that leaves the interquartile range at least
``points / 25`` spacings. Should the full grid still find more than ``1e-6`` of the mass in an
outermost cell at
such an automatic edge, that side is widened and the grid recomputed (up to four times). A new
user therefore gets a grid that holds all but a negligible mass and resolves it finely,
without choosing bounds. Heavy-tailed posteriors (a scale with very little data) remain hard
for any evenly spaced grid: they get a GridWarning saying so.

Quadrature
----------
Points are cell centres; every summary uses the same product weights, the midpoint rule with
end corrections (Euler-Maclaurin, ``+h/12, -h/8, +h/24`` on the three outer cells of each
side), which is fourth order even when the density is not zero at an edge and spectrally
accurate when it decays inside the grid. Where the marginal density behaves like a power of
the distance to a support edge (``p^-1/2`` under a Jeffreys prior with ``k = 0``, or ``p^1/2``),
the cells near that edge get the exact power-law weights instead, and the moments use the
shifted exponents, so such posteriors converge as fast as smooth ones. Cells cut by the face
``sum(p[:-1]) = 1`` of a probability vector count with their exact inside volume, integrated
over their ``2^d`` half-width sub-cells (each inside part at its centroid; second order there);
the cells wholly inside form runs along each axis that end at the face, and each run gets the
end correction at that end (added over the axes). Where posterior mass reaches the face the
cut cells are ``d`` spacings wide across it, so a 4-D grid over a 5-component vector can still
err by ~1e-2 in the log evidence: the difference between the one-point and the sub-cell values
estimates that error (``GridPosterior.face_error``) and above :data:`FACE_ERROR_TOLERANCE` the
grid warns (GridWarning). The log evidence is the log of the quadrature of
``exp(log prior + log likelihood)`` (volume element included).

Examples
--------
>>> from scipy import stats
>>> import bayesgd as bg
>>> post = bg.grid(bg.Binomial(k=7, n=10, p=stats.beta(2, 2)))
>>> round(post.mean()["p"], 6)   # exact: Beta(9, 5) mean 9/14
0.642857
"""

from __future__ import annotations

import copy
import numbers
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from ._validation import check_positive_int
from .errors import GridWarning
from .models.base import Model
from .posterior import Posterior

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_POINTS",
    "EDGE_CELL_SHARE",
    "EDGE_MASS_TOLERANCE",
    "FACE_ERROR_TOLERANCE",
    "MIN_SD_SPACINGS",
    "GridPosterior",
    "grid",
]

#: Default points per axis by number of dimensions (the total stays below ~3 million).
DEFAULT_POINTS: dict[int, int] = {1: 2001, 2: 801, 3: 81, 4: 41}
#: Default memory budget (bytes) of one chunk of log-density evaluations.
DEFAULT_MAX_BYTES = 256 * 2**20
#: Posterior mass in an outermost cell above which a grid edge counts as truncating.
EDGE_MASS_TOLERANCE = 1e-6
#: A posterior sd below this many grid spacings along an axis counts as too coarse.
MIN_SD_SPACINGS = 3.0

_COARSE: dict[int, int] = {1: 257, 2: 65, 3: 25, 4: 17}
#: A fitted edge exponent this close to an integer is that integer (a smooth edge).
_INTEGER_BETA = 0.02
_LEVEL_NATS = 30.0
_TAIL_MASSES = (1e-10, 1e-9, 1e-8, 1e-7)
_PRIOR_QUANTILE = 1e-6
_LOCATE_ITERATIONS = 60
_TRIM_ITERATIONS = 8
_TARGET_SD_SPACINGS = 4.0  # resolution the tail trimming aims for (sd / spacing)
#: Fewest interquartile-range spacings the far end of a half-line axis aims for (a heavy
#: tail is cut at a larger tail mass, up to the last of ``_FAR_TAIL_MASSES``).
_MIN_TARGET_IQR_SPACINGS = 1.349 * _TARGET_SD_SPACINGS
_FAR_TAIL_MASSES = (1e-10, 1e-9, 1e-8, 1e-7)
#: Share of the mass in one edge cell, at a support edge without a power-law fit, that warns.
EDGE_CELL_SHARE = 0.05
#: Estimated quadrature error of the cells cut by a simplex face (log evidence, or a posterior
#: mean in posterior sds; see ``GridPosterior.face_error``) above which the grid warns.
FACE_ERROR_TOLERANCE = 1e-3


#: Fewest default points per axis when the model is costly per point (O(n) likelihoods).
_MIN_DEFAULT_POINTS: dict[int, int] = {1: 2001, 2: 101, 3: 51, 4: 41}
#: Work budget of a default grid, in units of 32 bytes of ``model.bytes_per_evaluation``
#: (about one data row of a GLM) per point.
_DEFAULT_WORK = 5e7


def _default_points(ndim: int, model: Model | None = None) -> int:
    """Default points per axis: fewer for models that cost O(n) per point, within limits."""
    full = DEFAULT_POINTS.get(ndim, max(5, int(3e6 ** (1.0 / ndim))))
    if model is None:
        return full
    cost = max(1.0, float(model.bytes_per_evaluation) / 32.0)
    affordable = int((_DEFAULT_WORK / cost) ** (1.0 / ndim))
    floor = _MIN_DEFAULT_POINTS.get(ndim, 5)
    return int(min(full, max(floor, affordable)))


def _coarse_points(ndim: int) -> int:
    return _COARSE.get(ndim, max(5, int(1e5 ** (1.0 / ndim))))


# ============================================================================================
# Layout: parameters <-> grid axes
# ============================================================================================


@dataclass(frozen=True)
class _Element:
    """One scalar component of a parameter; ``axis`` is None for an implied simplex part."""

    name: str
    param: str
    index: tuple[int, ...]
    axis: int | None


class _Layout:
    """Maps the model's parameters onto grid axes and grid coordinates back to parameters."""

    def __init__(self, model: Model):
        self.model = model
        self.elements: dict[str, _Element] = {}
        self.param_elements: dict[str, list[str]] = {}
        self.param_axes: dict[str, list[int]] = {}
        self.simplex: set[str] = set()
        axis_names: list[str] = []
        lows: list[float] = []
        highs: list[float] = []
        for name, param in model.parameters.items():
            names = param.element_names()
            indices = list(np.ndindex(*param.shape)) if param.shape else [()]
            is_simplex = param.prior.family == "dirichlet"
            if is_simplex:
                self.simplex.add(name)
            low, high = (
                np.broadcast_to(np.asarray(v, dtype=float), param.shape) for v in param.support
            )
            self.param_elements[name] = names
            self.param_axes[name] = []
            for k, (el, idx) in enumerate(zip(names, indices, strict=True)):
                if is_simplex and k == len(names) - 1:
                    self.elements[el] = _Element(el, name, idx, None)
                    continue
                self.elements[el] = _Element(el, name, idx, len(axis_names))
                self.param_axes[name].append(len(axis_names))
                axis_names.append(el)
                lows.append(float(low[idx]))
                highs.append(float(high[idx]))
        self.axis_names = axis_names
        self.support_low = np.array(lows)
        self.support_high = np.array(highs)

    @property
    def ndim(self) -> int:
        return len(self.axis_names)

    def theta(self, coords: np.ndarray) -> dict[str, np.ndarray]:
        """Grid coordinates ``(m, ndim)`` -> parameter arrays ``(m, *shape)``."""
        m = coords.shape[0]
        out = {}
        for name, param in self.model.parameters.items():
            cols = coords[:, self.param_axes[name]]
            if name in self.simplex:
                last = 1.0 - cols.sum(axis=1)
                last = np.where((last < 0) & (last > -1e-12), 0.0, last)
                out[name] = np.concatenate([cols, last[:, None]], axis=1)
            else:
                out[name] = cols.reshape((m, *param.shape))
        return out

    def coordinate_gradient(self, grads: Mapping[str, np.ndarray], m: int) -> np.ndarray:
        """Gradient with respect to the parameters -> gradient with respect to the axes."""
        out = np.empty((m, self.ndim))
        for name in self.model.parameters:
            g = np.asarray(grads[name], dtype=float).reshape(m, -1)
            if name in self.simplex:
                g = g[:, :-1] - g[:, -1:]  # the last component is 1 - sum of the others
            out[:, self.param_axes[name]] = g
        return out

    def describe_sizes(self) -> str:
        return ", ".join(f"{n}: {len(a)}" for n, a in self.param_axes.items())


# ============================================================================================
# Argument parsing
# ============================================================================================


def _element_key(layout: _Layout, key: Any, what: str) -> tuple[str, list[int]]:
    """A bounds/points key -> (label, axes it covers)."""
    if not isinstance(key, str):
        raise TypeError(f"{what} keys must be parameter names (str), got {key!r}")
    if key in layout.param_axes:
        return key, list(layout.param_axes[key])
    if key in layout.elements:
        el = layout.elements[key]
        if el.axis is None:
            others = ", ".join(layout.param_elements[el.param][:-1])
            raise ValueError(
                f"{what}[{key!r}]: {key} is implied by the other components of the probability "
                f"vector {el.param} (1 - their sum) and is not a grid axis; give {what} for "
                f"{others} instead"
            )
        return key, [el.axis]
    known = list(layout.param_axes)
    vector = [
        e for p, a in layout.param_axes.items() if len(a) > 1 for e in layout.param_elements[p]
    ]
    hint = f" or elements {vector}" if vector else ""
    raise ValueError(
        f"{what} names unknown parameter {key!r}; the model's parameters are {known}{hint}"
    )


def _parse_points(layout: _Layout, points: Any) -> np.ndarray:
    ndim = layout.ndim
    default = _default_points(ndim, layout.model)
    out = np.full(ndim, default, dtype=np.int64)

    def check(value: Any, label: str) -> int:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"points{label} must be an integer >= 2, got {value!r}")
        if value < 2:
            raise ValueError(f"points{label} must be an integer >= 2, got {value}")
        return int(value)

    if points is None:
        return out
    if isinstance(points, Mapping):
        for key, value in points.items():
            label, axes = _element_key(layout, key, "points")
            if isinstance(value, numbers.Integral) and not isinstance(value, bool):
                out[axes] = check(value, f"[{label!r}]")
                continue
            values = (
                list(np.ravel(np.asarray(value, dtype=object)))
                if not isinstance(value, str)
                else [value]
            )
            if len(values) != len(axes):
                raise ValueError(
                    f"points[{label!r}] must be one integer or {len(axes)} integers (one per "
                    f"grid axis of {label}), got {value!r}"
                )
            for ax, v in zip(axes, values, strict=True):
                out[ax] = check(v, f"[{label!r}]")
        return out
    out[:] = check(points, "")
    return out


def _parse_bounds(layout: _Layout, bounds: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ndim = layout.ndim
    lo = np.full(ndim, np.nan)
    hi = np.full(ndim, np.nan)
    fixed = np.zeros(ndim, dtype=bool)
    if bounds is None:
        return lo, hi, fixed
    if not isinstance(bounds, Mapping):
        raise TypeError(
            f"bounds must be a dict of parameter name -> (low, high), got {type(bounds).__name__}"
        )
    for key, value in bounds.items():
        label, axes = _element_key(layout, key, "bounds")
        if isinstance(value, str | bytes) or not hasattr(value, "__len__") or len(value) != 2:
            raise TypeError(
                f"bounds[{label!r}] must be a pair (low, high) (each a number, or an array "
                f"with one entry per element of {label}), got {value!r}"
            )
        pair = []
        for part, side in zip(value, ("low", "high"), strict=True):
            try:
                arr = np.asarray(part, dtype=float)
            except (TypeError, ValueError):
                raise TypeError(
                    f"bounds[{label!r}] {side} must be numeric, got {part!r}"
                ) from None
            if arr.size not in (1, len(axes)):
                raise ValueError(
                    f"bounds[{label!r}] {side} must be a number or have {len(axes)} entries (one "
                    f"per grid axis of {label}), got shape {arr.shape}"
                )
            pair.append(np.broadcast_to(arr.reshape(-1), (len(axes),)))
        low, high = pair
        if not (np.all(np.isfinite(low)) and np.all(np.isfinite(high))):
            raise ValueError(f"bounds[{label!r}] must be finite, got {value!r}")
        if np.any(low >= high):
            raise ValueError(
                f"bounds[{label!r}] must have low < high, got {value!r} (reversed or empty)"
            )
        s_lo, s_hi = layout.support_low[axes], layout.support_high[axes]
        if np.any(low < s_lo) or np.any(high > s_hi):
            raise ValueError(
                f"bounds[{label!r}] = {value!r} reach outside the prior's support "
                f"[{_fmt(s_lo)}, {_fmt(s_hi)}] of {label}"
            )
        lo[axes], hi[axes] = low, high
        fixed[axes] = True
    return lo, hi, fixed


def _fmt(arr: np.ndarray) -> str:
    arr = np.asarray(arr)
    return f"{float(arr[0]):g}" if arr.size == 1 else np.array2string(arr, precision=4)


# ============================================================================================
# Default boxes from the priors
# ============================================================================================


def _prior_range(param: Any, q: float) -> tuple[np.ndarray, np.ndarray]:
    """Elementwise ``(q, 1 - q)`` prior quantiles of one parameter (shape ``param.shape``)."""
    from .priors import DirichletPrior, MvNIGPrior, MvNormalPrior, NIGPrior, UnivariatePrior

    prior, shape, name = param.prior, param.shape, param.name
    if isinstance(prior, UnivariatePrior):
        lo, hi = prior.dist.ppf(q), prior.dist.isf(q)
    elif isinstance(prior, DirichletPrior):
        lo, hi = 0.0, 1.0
    elif isinstance(prior, MvNormalPrior):
        dist = stats.norm(prior.mean_, np.sqrt(np.diag(prior.cov)))
        lo, hi = dist.ppf(q), dist.isf(q)
    elif isinstance(prior, NIGPrior | MvNIGPrior):
        if isinstance(prior, NIGPrior):
            m, scale2, a, b = prior.mu, 1.0 / prior.lmbda, prior.a, prior.b
        else:
            d = prior.dist
            m, scale2, a, b = d.mean_, np.diag(d.cov), d.a, d.b
        if name == prior.names[0]:
            dist = stats.t(2 * a, loc=m, scale=np.sqrt(b * scale2 / a))
        else:
            dist = stats.invgamma(a, scale=b)
        lo, hi = dist.ppf(q), dist.isf(q)
    else:  # any other prior: its draws
        draws = prior.rvs((20000,), np.random.default_rng(0))[name]
        lo, hi = np.quantile(draws, [1e-3, 1 - 1e-3], axis=0)
        span = hi - lo
        lo, hi = lo - span, hi + span
    return (
        np.broadcast_to(np.asarray(lo, dtype=float), shape),
        np.broadcast_to(np.asarray(hi, dtype=float), shape),
    )


def _initial_box(layout: _Layout, lo: np.ndarray, hi: np.ndarray, fixed: np.ndarray):
    lo, hi = lo.copy(), hi.copy()
    for name, param in layout.model.parameters.items():
        axes = layout.param_axes[name]
        finite = np.isfinite(layout.support_low[axes]) & np.isfinite(layout.support_high[axes])
        if all(fixed[a] for a in axes) or finite.all():
            q_lo = q_hi = np.zeros(param.shape)
        else:
            q_lo, q_hi = _prior_range(param, _PRIOR_QUANTILE)
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


# ============================================================================================
# Evaluation
# ============================================================================================


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
    predict the next two; only non-trivial, integrable exponents (``-1 < β``, ``|β| > 0.02``)
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
    if not (np.isfinite(beta) and -1.0 < beta < 2.0 and abs(beta - round(beta)) > _INTEGER_BETA):
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


def _needs_memory_probe(model: Model) -> bool:
    """A custom likelihood without a ``bytes_per_evaluation`` hint: its cost is unknown."""
    return (
        model.likelihood == "custom"
        and type(model).bytes_per_evaluation is Model.bytes_per_evaluation
        and getattr(model, "_bytes_hint", None) is None
    )


def _measure_bytes_per_point(model: Model, layout: _Layout, lo, hi) -> int:
    """Peak memory per parameter point of the model's log density, measured.

    Evaluates batches of 8 and 64 points inside the box under :mod:`tracemalloc` (NumPy's
    allocations are traced) and takes the larger of the growth per point between them and the
    larger batch's peak per point, times 1.25 for allocator slack. Falls back to the model's
    declared ``bytes_per_evaluation`` if the probe fails.
    """
    import tracemalloc

    declared = max(1, int(model.bytes_per_evaluation))
    rng = np.random.default_rng(0)
    peaks = []
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        for m in (8, 64):
            coords = lo + rng.uniform(0.2, 0.8, size=(m, layout.ndim)) * (hi - lo)
            for name in layout.simplex:  # inside the simplex
                axes = layout.param_axes[name]
                coords[:, axes] = rng.uniform(0.5, 1.0, size=(m, len(axes))) / (len(axes) + 1)
            theta = layout.theta(coords)
            tracemalloc.reset_peak()
            base = tracemalloc.get_traced_memory()[0]
            with np.errstate(all="ignore"):
                model.log_density(**theta)
            peaks.append(max(0, tracemalloc.get_traced_memory()[1] - base))
    except Exception:  # the real evaluation reports the model's errors clearly
        return declared
    finally:
        if not was_tracing:
            tracemalloc.stop()
    slope = (peaks[1] - peaks[0]) / 56.0
    measured = int(1.25 * max(slope, peaks[1] / 64.0))
    return max(declared, measured, 1)


class _Evaluator:
    """Evaluates the model's log density at grid coordinates, in chunks, with clear errors.

    ``bytes_per_point`` is the memory one point of the log density needs (default: the
    model's ``bytes_per_evaluation``); chunks hold at most ``max_bytes`` of it.
    """

    def __init__(
        self, model: Model, layout: _Layout, max_bytes: int, bytes_per_point: int | None = None
    ):
        self.model = model
        self.layout = layout
        cost = model.bytes_per_evaluation if bytes_per_point is None else bytes_per_point
        self.bytes_per_point = max(1, int(cost))
        per_point = self.bytes_per_point + 16 * (layout.ndim + 2)
        self.chunk = max(1, int(max_bytes) // per_point)
        self.calls = 0

    def points(self, coords: np.ndarray, *, allow_posinf: bool = False) -> np.ndarray:
        """Log density at coordinates ``(m, ndim)`` (chunked)."""
        m = coords.shape[0]
        out = np.empty(m)
        for start in range(0, m, self.chunk):
            stop = min(m, start + self.chunk)
            out[start:stop] = self._call(coords[start:stop])
        self._check(out, coords, allow_posinf)
        return out

    def lenient(self, coords: np.ndarray) -> np.ndarray:
        """Log density at a few probe points (edges of the support); where the model cannot
        evaluate it (``0 * log 0``-type NaN exactly on a boundary), ``-inf``."""
        try:
            with np.errstate(invalid="ignore"):
                vals = self.points(coords, allow_posinf=True)
        except ValueError:
            vals = np.empty(coords.shape[0])
            for i in range(coords.shape[0]):  # a handful of probe points
                try:
                    with np.errstate(invalid="ignore"):
                        vals[i] = self.points(coords[i : i + 1], allow_posinf=True)[0]
                except ValueError:
                    vals[i] = -np.inf
        return vals

    def tensor(self, nodes: list[np.ndarray]) -> np.ndarray:
        """Log density on the tensor grid of ``nodes`` (one array per axis), chunked."""
        shape = tuple(len(x) for x in nodes)
        total = int(np.prod(shape, dtype=np.int64))
        out = np.empty(total)
        for start in range(0, total, self.chunk):
            stop = min(total, start + self.chunk)
            idx = np.unravel_index(np.arange(start, stop), shape)
            coords = np.stack([x[i] for x, i in zip(nodes, idx, strict=True)], axis=1)
            vals = self._call(coords)
            self._check(vals, coords, False)
            out[start:stop] = vals
        return out.reshape(shape)

    def gradient(self, coords: np.ndarray, faces: frozenset[str] = frozenset()) -> np.ndarray:
        """Gradient along the axes. On the face ``p[-1] = 0`` of a probability vector named in
        ``faces`` its last component's gradient cancels out and is dropped (it may be 0/0)."""
        theta = self.layout.theta(coords)
        with np.errstate(all="ignore"):
            grads = dict(self.model.grad_log_density(**theta))
        for name in faces:
            g = np.array(grads[name], dtype=float)
            g[..., -1] = 0.0
            grads[name] = g
        return self.layout.coordinate_gradient(grads, coords.shape[0])

    def _call(self, coords: np.ndarray) -> np.ndarray:
        theta = self.layout.theta(coords)
        self.calls += 1
        try:
            with np.errstate(divide="ignore", over="ignore", under="ignore"):
                vals = self.model.log_density(**theta)
        except ValueError as exc:
            raise ValueError(
                f"grid: evaluating the model's log density at {coords.shape[0]} grid point(s) "
                f"failed: {exc}"
            ) from exc
        vals = np.asarray(vals, dtype=float)
        if vals.shape != (coords.shape[0],):
            raise ValueError(
                f"grid: the model's log density returned shape {vals.shape} for a batch of "
                f"{coords.shape[0]} points; it must return one value per point"
            )
        return vals

    def _check(self, vals: np.ndarray, coords: np.ndarray, allow_posinf: bool) -> None:
        bad = np.isnan(vals) | ((vals == np.inf) & (not allow_posinf))
        if bad.any():
            i = int(np.argmax(bad))
            where = dict(zip(self.layout.axis_names, coords[i].tolist(), strict=True))
            kind = "NaN" if np.isnan(vals[i]) else "+inf"
            raise ValueError(
                f"grid: the model's log density is {kind} at {where}; it must be finite or -inf "
                "(outside the support) at every grid point"
            )

    def probe_shape(self, box_lo: np.ndarray, box_hi: np.ndarray) -> None:
        """Check that the log likelihood returns one value per batch point (not a scalar)."""
        coords = np.stack([box_lo + f * (box_hi - box_lo) for f in (0.4, 0.6)])
        for name in self.layout.simplex:  # inside the simplex: near its centre
            axes = self.layout.param_axes[name]
            coords[:, axes] = np.array([[0.9], [1.1]]) / (len(axes) + 1)
        values, batch = self.model._theta(self.layout.theta(coords))
        try:
            with np.errstate(all="ignore"):
                ll = self.model._loglik(values, batch)
        except ValueError as exc:
            raise ValueError(
                f"grid: the model's log likelihood failed on a batch of 2 points: {exc}"
            ) from exc
        shape = np.shape(ll)
        if shape != batch:
            raise ValueError(
                f"grid: the model's log likelihood returned shape {shape} for a batch of 2 "
                f"parameter points; it must return one value per leading (batch) index, shape "
                f"{batch}. Vectorise it over leading axes, e.g. sum over the data axis with "
                "axis=-1 after adding one with mu[..., None]"
            )


# ============================================================================================
# Choosing the box
# ============================================================================================


class _LogAxesEvaluator:
    """The model's log density in coordinates where half-line axes are logarithmic.

    Axis ``j`` in ``log_axes`` with ``sign[j] = +1`` is ``u = log(x - a)`` (support
    ``(a, inf)``), with ``-1`` it is ``u = log(b - x)`` (support ``(-inf, b)``); the log
    Jacobian ``u`` is added, so masses in ``u`` are posterior masses. A heavy tail that spans
    decades is then a few coarse cells, and the box search sees where the mass really is.
    """

    def __init__(self, ev: _Evaluator, log_axes: np.ndarray, anchor: np.ndarray, sign: np.ndarray):
        self.ev, self.log_axes, self.anchor, self.sign = ev, log_axes, anchor, sign

    def to_x(self, coords: np.ndarray) -> np.ndarray:
        x = coords.copy()
        k = self.log_axes
        with np.errstate(over="ignore"):
            x[:, k] = self.anchor[k] + self.sign[k] * np.exp(coords[:, k])
        return x

    def _jac(self, coords: np.ndarray) -> np.ndarray:
        return coords[:, self.log_axes].sum(axis=1)

    def points(self, coords: np.ndarray, *, allow_posinf: bool = False) -> np.ndarray:
        return self.ev.points(self.to_x(coords), allow_posinf=allow_posinf) + self._jac(coords)

    def lenient(self, coords: np.ndarray) -> np.ndarray:
        x = self.to_x(coords)
        ok = np.all(np.isfinite(x), axis=1)
        out = np.full(coords.shape[0], -np.inf)
        if ok.any():
            out[ok] = self.ev.lenient(x[ok]) + self._jac(coords[ok])
        return out

    def tensor(self, nodes: list[np.ndarray]) -> np.ndarray:
        shape = tuple(len(v) for v in nodes)
        xs = list(nodes)
        jac = np.zeros(shape)
        for j in self.log_axes.tolist():
            with np.errstate(over="ignore"):
                xs[j] = self.anchor[j] + self.sign[j] * np.exp(nodes[j])
            jac = jac + nodes[j].reshape((-1,) + (1,) * (len(nodes) - 1 - j))
        if not all(np.all(np.isfinite(v)) for v in xs):
            raise ValueError("grid: the automatic box search overflowed; pass bounds=")
        return self.ev.tensor(xs) + jac


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


# ============================================================================================
# The posterior
# ============================================================================================


@dataclass
class _Marginal:
    """A 1-D marginal: cell edges, centres, cell masses (summing to 1), density at centres."""

    edges: np.ndarray
    centres: np.ndarray
    masses: np.ndarray
    density: np.ndarray
    power: tuple[float | None, float | None] = (None, None)
    _fine: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def fine(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A finer reconstruction ``(x, density, cdf)`` over the whole box, for quantiles/HDI.

        The log density is interpolated by a cubic spline through the cell centres (a
        shape-preserving PCHIP of the density itself where it vanishes somewhere), on a grid
        ``r`` times finer that reaches the box edges; the CDF is its cumulative Simpson
        integral (exact power-law cells next to a power-law edge), normalised.
        """
        if self._fine is None:
            from scipy.interpolate import CubicSpline, PchipInterpolator

            n = self.centres.size
            r = int(min(16, max(1, -(-8000 // n))))
            xf = np.linspace(self.edges[0], self.edges[-1], n * r + 1)
            d = self.density
            lo, hi = self.edges[0], self.edges[-1]
            b_lo, b_hi = self.power
            if n >= 4 and np.all(d > 0):
                # spline the smooth part: a power law at an edge is factored out first
                def factor(x: np.ndarray) -> np.ndarray:
                    out = np.zeros(x.shape)
                    with np.errstate(divide="ignore"):
                        if b_lo is not None:
                            out = out + b_lo * np.log(x - lo)
                        if b_hi is not None:
                            out = out + b_hi * np.log(hi - x)
                    return out

                inner = slice(
                    1 if b_lo is not None else 0, xf.size - 1 if b_hi is not None else xf.size
                )
                df = np.zeros(xf.shape)
                spline = CubicSpline(self.centres, np.log(d) - factor(self.centres))
                with np.errstate(over="ignore"):
                    df[inner] = np.exp(spline(xf[inner]) + factor(xf[inner]))
                # at a power-law edge, the value that gives the first fine cell its exact mass
                if b_lo is not None:
                    df[0] = max(0.0, df[1] * (2.0 / (b_lo + 1.0) - 1.0))
                if b_hi is not None:
                    df[-1] = max(0.0, df[-2] * (2.0 / (b_hi + 1.0) - 1.0))
            elif n >= 2:
                df = np.maximum(PchipInterpolator(self.centres, d)(xf), 0.0)
            else:
                df = np.full(xf.shape, d[0])
            df = np.where(df > 1e-200 * df.max(), df, 0.0)  # no denormal noise in the tails
            if xf.size >= 3:
                from scipy.integrate import cumulative_simpson

                cells = np.diff(cumulative_simpson(df, x=xf, initial=0.0))
            else:
                cells = 0.5 * (df[1:] + df[:-1]) * np.diff(xf)
            # next to a power-law edge: trapezoid cells with the exact power-law ratio
            for beta, side in ((b_lo, 0), (b_hi, 1)):
                if beta is not None:
                    near = _power_law_trapezoid(
                        0.5 * (df[1:] + df[:-1]) * np.diff(xf), df, np.diff(xf), beta, side
                    )
                    m = min(cells.size // 2, 64)
                    part = slice(0, m) if side == 0 else slice(cells.size - m, cells.size)
                    cells[part] = near[part]
            cf = np.maximum.accumulate(np.concatenate([[0.0], np.cumsum(cells)]))
            total = cf[-1]
            self._fine = (xf, df / total, cf / total)
        return self._fine


def _power_law_trapezoid(
    cells: np.ndarray, df: np.ndarray, dx: np.ndarray, beta: float, side: int
) -> np.ndarray:
    """Trapezoid cell masses corrected for ``u^β`` near a power-law edge (``side`` 0 or 1).

    Cell ``k`` from the edge gets the ratio of the exact integral of ``u^β`` over it to its
    trapezoid value; the edge cell itself is ``density(next node) * dx / (β + 1)``.
    """
    out = cells.copy()
    half = cells.size // 2
    k = np.arange(1, half, dtype=float)
    exact = ((k + 1) ** (beta + 1) - k ** (beta + 1)) / (beta + 1)
    ratio = exact / (0.5 * (k**beta + (k + 1) ** beta))
    # the edge cell: A u^β g(u) with g linear through the next node, A dx^β g(dx) = df[1]
    d1, d2, step = (df[1], df[2], dx[0]) if side == 0 else (df[-2], df[-3], dx[-1])
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma = np.log(d2 / d1) - beta * np.log(2.0)
    sigma = float(sigma) if np.isfinite(sigma) else 0.0
    edge = d1 * step * (1.0 / (beta + 1) + sigma * (1.0 / (beta + 2) - 1.0 / (beta + 1)))
    if side == 0:
        out[1:half] *= ratio
        out[0] = max(edge, 0.0)
    else:
        out[-half:-1] *= ratio[::-1]
        out[-1] = max(edge, 0.0)
    return out


def _shortest_interval(
    x: np.ndarray, dens: np.ndarray, cdf: np.ndarray, prob: float
) -> tuple[float, float]:
    """Shortest interval of mass ``prob`` from a tabulated CDF (a unimodal density's HDI).

    Minimises ``Q(a + prob) - Q(a)`` over the lower tail mass ``a`` (bounded Brent), and
    compares with the two extreme intervals, where a mode on an edge puts the optimum.
    """
    from scipy.optimize import minimize_scalar

    def ends(a: float) -> tuple[float, float]:
        q = _inverse_cdf(np.array([a, min(a + prob, 1.0)]), cdf, x, dens)
        return float(q[0]), float(q[1])

    res = minimize_scalar(
        lambda a: np.subtract(*ends(a)[::-1]),
        bounds=(0.0, 1.0 - prob),
        method="bounded",
        options={"xatol": 1e-12},
    )
    candidates = [ends(0.0), ends(float(res.x)), ends(1.0 - prob)]
    return min(candidates, key=lambda pair: pair[1] - pair[0])


class GridPosterior(Posterior):
    """A posterior tabulated on a grid of cell centres (build it with :func:`grid`).

    Attributes
    ----------
    model : Model
    axes : dict
        Axis (element) name -> cell centres, e.g. ``{"p": array([...])}`` or
        ``{"coef[0]": ..., "intercept": ...}``.
    spacing : dict
        Axis name -> cell width.
    bounds : dict
        Parameter name -> ``(low, high)`` of the grid box: floats for scalars, arrays of the
        grid axes for vectors (the first ``K - 1`` components of a probability vector). Pass it
        back as ``bounds=`` to rebuild the same grid.
    points : dict
        Parameter name -> points per axis (int, or a tuple for vector parameters).
    shape : tuple of int
        Shape of the grid (one entry per axis).
    log_density : numpy.ndarray
        Normalised log posterior density at the grid points, of shape :attr:`shape` (the
        quadrature of ``exp(log_density)`` is 1).
    edge_mass : dict
        Axis name -> ``(mass in the lowest cell, mass in the highest cell)`` of the marginal.
    truncated : dict
        Axis name -> ``(low, high)`` booleans: the edge is not a support boundary and holds more
        than :data:`EDGE_MASS_TOLERANCE` of the mass.
    sd_spacings : dict
        Axis name -> posterior sd in grid spacings.
    iqr_spacings : dict
        Axis name -> interquartile range of the marginal in grid spacings. The grid is too
        coarse (GridWarning) where the smaller of ``sd`` and ``IQR / 1.349`` is below
        :data:`MIN_SD_SPACINGS` spacings, or where more than :data:`EDGE_CELL_SHARE` of the mass
        sits in one cell at a support edge without a power-law edge correction.
    face_error : dict
        Only with probability vectors of 3+ components: ``"log_evidence"`` and each element
        of the vector -> estimated quadrature error, from the cells cut by the face of the
        simplex, of the log evidence and of the posterior mean (in posterior sds). The grid
        warns (GridWarning) where one exceeds :data:`FACE_ERROR_TOLERANCE`.

    Notes
    -----
    ``mean``, ``sd`` and the evidence are quadratures over the joint grid. ``quantile``,
    ``median`` and ``hdi`` use each marginal reconstructed between the cell centres (a cubic
    spline of its log density, the power law factored out at a power-law edge) on a finer grid
    reaching the box edges: quantiles invert its cumulative Simpson integral (cubic Hermite
    inside a cell), the HDI is :func:`bayesgd.intervals.hdi_of_grid` of it (or the shortest
    interval of its CDF next to a power-law edge, where linear pieces mismeasure the mass).
    ``mode`` starts at the best grid point and is refined by Newton steps on the model's own log
    density and gradient, so it is accurate far beyond the grid spacing; a mode on a box edge
    (``k = 0`` under a flat prior) or on a face of the simplex stays there. ``sample`` draws
    cells by probability and jitters uniformly inside the cell (inside the simplex).

    The implied last component of a probability vector has exact mean and sd (from the joint);
    for ``K >= 3`` its quantiles and HDI come from a weighted histogram of ``1 - sum`` over
    the grid (each cell spread over its sub-cells), accurate to a small fraction of a spacing;
    with equal spacings (the default box) the bins sit on the lattice of those values, so the
    density has no aliasing ripple. Unequal spacings (bounds given per component) can leave
    a ripple in that density of some percent.
    A probability vector whose density does not vanish on the face ``p[-1] = 0`` (a zero count
    under a flat Dirichlet prior) converges at second order in the spacing there.
    """

    method = "grid"

    def __init__(
        self,
        model: Model,
        *,
        _layout: _Layout,
        _lo: np.ndarray,
        _hi: np.ndarray,
        _points: np.ndarray,
        _max_bytes: int,
        _stacklevel: int = 3,
        _warn: bool = True,
        _bytes_per_point: int | None = None,
        _auto: np.ndarray | None = None,
        _after_update: bool = False,
    ):
        super().__init__(model)
        self._layout = _layout
        # which axes got automatic bounds, and whether the box was chosen for earlier data:
        # both only change what a truncation warning advises
        self._auto = np.zeros(_layout.ndim, dtype=bool) if _auto is None else _auto
        self._after_update = _after_update
        self._lo = np.asarray(_lo, dtype=float)
        self._hi = np.asarray(_hi, dtype=float)
        self._n = np.asarray(_points, dtype=np.int64)
        self._max_bytes = int(_max_bytes)
        self._ev = _Evaluator(model, _layout, self._max_bytes, _bytes_per_point)
        ndim = _layout.ndim
        self._h = (self._hi - self._lo) / self._n
        self._nodes = [_centres(self._lo[j], self._hi[j], int(self._n[j])) for j in range(ndim)]
        self._w = [_weights(int(self._n[j]), float(self._h[j])) for j in range(ndim)]
        L = self._ev.tensor(self._nodes)
        frac = self._simplex_cells(L)
        if not np.isfinite(L).any():
            _raise_zero(_layout, self._lo, self._hi)
        top = float(L.max())
        prob = np.exp(L - top)
        self._edge_power = self._detect_power_edges(prob)
        for j, w in enumerate(self._w):
            prob *= w.reshape((-1,) + (1,) * (ndim - 1 - j))
        if frac is not None:
            prob *= frac
        if self._run_end:  # end corrections of the runs of cells inside a simplex
            extra = np.zeros(())
            for j, (low, high) in self._run_end.items():
                if (j, 0) not in self._edge_power:
                    extra = extra + low
                if (j, 1) not in self._edge_power:
                    extra = extra + high
            prob *= 1.0 + extra
        total = float(prob.sum())
        self._log_z = top + float(np.log(total))
        prob /= total
        self._prob = prob  # cell probabilities (quadrature weight x density), sum to 1
        self._L = L
        self._cache: dict[Any, Any] = {}
        self._axis_q = [_marginal_masses(prob, j) for j in range(ndim)]
        moments = [self._axis_moments(j) for j in range(ndim)]
        self._axis_mean = np.array([m[0] for m in moments])
        self._axis_var = np.array([m[1] for m in moments])
        self._face_error_estimate()
        self._diagnose(_stacklevel + 1, _warn)

    def _face_error_estimate(self) -> None:
        """Estimated quadrature error of the cells cut by a simplex face.

        The cut cells are integrated over half-width sub-cells; the one-point values (density
        at the cell's centroid) differ from those by about three times the cut cells'
        remaining error (both are second order there). The midpoint rule next to the face
        errs by about as much again, so the whole difference is the estimate: ``face_error``
        maps ``"log_evidence"`` and each simplex element (the implied last component
        included) to it, for the log evidence and for the posterior mean in posterior sds.
        """
        self.face_error: dict[str, float] = {}
        if not self._cut_idx.size or not hasattr(self, "_cut_L1"):
            return
        p2 = self._prob.ravel()[self._cut_idx]
        L2 = self._L.ravel()[self._cut_idx]
        with np.errstate(invalid="ignore", over="ignore"):
            ratio = np.where(np.isfinite(L2), np.exp(self._cut_L1 - L2), 1.0)
        diff = p2 * (1.0 - np.where(np.isfinite(ratio), ratio, 1.0))
        self.face_error["log_evidence"] = abs(float(diff.sum()))
        idx = np.unravel_index(self._cut_idx, self.shape)
        lay = self._layout
        for name in sorted(lay.simplex):
            axes = lay.param_axes[name]
            if len(axes) < 2:
                continue
            shifts = []
            for j in axes:
                x = self._nodes[j][idx[j]] + self._cut_off[:, j]
                shifts.append(float(np.sum(diff * (x - self._axis_mean[j]))))
                sd = float(np.sqrt(self._axis_var[j]))
                self.face_error[lay.axis_names[j]] = abs(shifts[-1]) / sd if sd > 0 else 0.0
            last = f"{name}[{len(axes)}]"
            sd_last = float(np.sqrt(max(self._implied_variance(name), 0.0)))
            err_last = abs(float(np.sum(shifts)))
            self.face_error[last] = err_last / sd_last if sd_last > 0 else 0.0

    def _simplex_cells(self, L: np.ndarray) -> np.ndarray | None:
        """Cells cut by a simplex face (``sum(p[:-1]) = 1``): exact inside volume and centroid.

        A cell straddling the face counts with the fraction of its volume inside the simplex,
        its density taken at the centroid of that part (re-evaluated; ``L`` is updated in
        place). Returns the fractions (None without probability vectors of 3+ components).
        Offsets of the centroids from the centres are kept for the moments and the mode.
        """
        ndim = self._layout.ndim
        self._cut_idx = np.zeros(0, dtype=np.int64)
        self._cut_off = np.zeros((0, ndim))
        self._run_end: dict[int, np.ndarray] = {}
        frac = None
        offsets: dict[int, np.ndarray] = {}
        for name in sorted(self._layout.simplex):
            axes = self._layout.param_axes[name]
            if len(axes) < 2:
                continue  # K = 2: the face p[0] = 1 is the box's edge
            h = self._h[axes]
            t = 1.0 - (self._sum_over(axes) - 0.5 * float(np.sum(h)))  # slack at lower corner
            f = np.where(t <= 0, 0.0, 1.0)
            cut = np.flatnonzero(((t > 0) & (t < float(np.sum(h)))).ravel())
            if cut.size:
                vol, mom = _box_below_plane(t.ravel()[cut], h)
                f.ravel()[cut] = np.clip(vol / float(np.prod(h)), 0.0, 1.0)
                off = np.zeros((cut.size, ndim))
                off[:, axes] = mom / np.maximum(vol, 1e-300)[:, None] - 0.5 * h
                for c, o in zip(cut.tolist(), off, strict=True):
                    offsets[c] = offsets.get(c, 0.0) + o
            frac = f if frac is None else frac * f
            # The cells wholly inside form, along each axis, a run from the low end of the
            # box up to the face (or the box's high end). The midpoint rule over a run misses
            # ``h^2/24 (f'(end) - f'(start))``; its end corrections go on the run's first and
            # last three cells. They are added over the axes, not multiplied: along the
            # staircase face the cells ending a run on two axes are the same, and a product
            # would leave an O(h) error there. They replace the box-end corrections.
            full = t >= float(np.sum(h))
            corr = np.array([1.0 / 12.0, -1.0 / 8.0, 1.0 / 24.0])
            for j in axes:
                n = int(self._n[j])
                self._w[j][:] = self._h[j]
                run = full.sum(axis=j, keepdims=True)
                shape = [1] * ndim
                shape[j] = -1
                i = np.arange(n).reshape(shape)
                k = run - 1 - i  # cells from the run's end
                ok = run >= 3
                low = np.where(ok & (i < 3), corr[np.clip(i, 0, 2)], 0.0)
                high = np.where(ok & (k >= 0) & (k < 3), corr[np.clip(k, 0, 2)], 0.0)
                self._run_end[j] = (low, high)
        if offsets:
            self._cut_idx = np.array(sorted(offsets), dtype=np.int64)
            self._cut_off = np.array([offsets[c] for c in self._cut_idx.tolist()])
            idx = np.unravel_index(self._cut_idx, self.shape)
            centres = np.stack([x[i] for x, i in zip(self._nodes, idx, strict=True)], axis=1)
            L.ravel()[self._cut_idx] = self._ev.points(centres + self._cut_off)
            self._cut_L1 = L.ravel()[self._cut_idx].copy()
            cut_axes = [self._layout.param_axes[n] for n in self._layout.simplex]
            cut_axes = [a for a in cut_axes if len(a) >= 2]
            if len(cut_axes) == 1:
                self._refine_cut_cells(L, centres, cut_axes[0])
        return frac

    def _refine_cut_cells(self, L: np.ndarray, centres: np.ndarray, axes: list[int]) -> None:
        """Integrate each cut cell over its ``2^d`` half-width sub-cells (``d`` simplex axes).

        Each inside part of a sub-cell counts with its exact volume and its density at its
        centroid; the cell's ``L`` becomes the log of its mean density and its point the
        centroid of its mass. ``_cut_L1`` keeps the one-point value (density at the cell's
        centroid): the two differ by about three times the remaining error (second order),
        which :meth:`_diagnose` reports.
        """
        h = self._h[axes]
        hs = 0.5 * h
        d = len(axes)
        corner = centres[:, axes] - 0.5 * h  # (m, d)
        t = 1.0 - corner.sum(axis=1)  # slack at the lower corner
        offs = np.array(np.meshgrid(*([[0.0, 1.0]] * d), indexing="ij")).reshape(d, -1).T
        ts = t[:, None] - (offs * hs).sum(axis=1)[None, :]  # (m, 2^d)
        vol = np.zeros(ts.shape)
        mom = np.zeros((*ts.shape, d))
        full = ts >= float(np.sum(hs))
        vol[full] = float(np.prod(hs))
        mom[full] = 0.5 * hs * float(np.prod(hs))
        part = (ts > 0) & ~full
        if part.any():
            vol[part], mom[part] = _box_below_plane(ts[part], hs)
        inside = vol > 0
        pts = np.repeat(centres[:, None, :], offs.shape[0], axis=1)
        pts[..., axes] = corner[:, None, :] + offs[None, :, :] * hs
        pts[..., axes] += mom / np.maximum(vol, 1e-300)[..., None]
        Ls = np.full(ts.shape, -np.inf)
        Ls[inside] = self._ev.points(pts[inside])
        with np.errstate(divide="ignore"):
            lw = Ls + np.log(vol)
        top = lw.max(axis=1)
        ok = np.isfinite(top)
        w = np.exp(lw[ok] - top[ok, None])
        total = w.sum(axis=1)
        cell_vol = vol[ok].sum(axis=1)
        flat = self._cut_idx[ok]
        L.ravel()[flat] = top[ok] + np.log(total) - np.log(cell_vol)
        mass_centre = np.einsum("ms,msk->mk", w, pts[ok]) / total[:, None]
        self._cut_off[ok] = mass_centre - centres[ok]

    def _detect_power_edges(self, prob: np.ndarray) -> dict[tuple[int, int], float]:
        """Find support edges where the marginal density is a power law (``p^-1/2``, ...).

        There the midpoint rule converges slowly (like ``h^(1+β)``); the cells near such an
        edge get exact power-law weights instead of the smooth end correction.
        """
        lay, ndim = self._layout, self._layout.ndim
        found: dict[tuple[int, int], float] = {}
        self._edge_slope: dict[tuple[int, int], np.ndarray] = {}
        for j in range(ndim):
            n = int(self._n[j])
            if n < 12:
                continue
            sides = []
            if self._lo[j] == lay.support_low[j]:
                sides.append((0, np.arange(5)))
            if self._hi[j] == lay.support_high[j]:
                sides.append((1, np.arange(n - 1, n - 6, -1)))
            for side, idx in sides:
                sub = np.take(prob, idx, axis=j)
                for k in range(ndim):
                    if k != j:
                        shape = [1] * ndim
                        shape[k] = -1
                        sub = sub * self._w[k].reshape(shape)
                axes = tuple(k for k in range(ndim) if k != j)
                dens = sub.sum(axis=axes) if axes else sub
                beta = _power_law_exponent(np.asarray(dens, dtype=float))
                if beta is None:
                    continue
                found[(j, side)] = beta
                half = n // 2
                # slope of the smooth factor g = density / x^β, per cell, from the marginal
                full = prob
                for k in range(ndim):
                    if k != j:
                        shape = [1] * ndim
                        shape[k] = -1
                        full = full * self._w[k].reshape(shape)
                marg = full.sum(axis=axes) if axes else full
                marg = marg if side == 0 else marg[::-1]
                with np.errstate(divide="ignore", invalid="ignore"):
                    smooth = np.log(marg) - beta * np.log(np.arange(n) + 0.5)
                    slope = np.gradient(smooth)
                slope = np.where(np.isfinite(slope), slope, 0.0)[:half]
                self._edge_slope[(j, side)] = slope
                pw = _power_law_weights(float(self._h[j]), beta, slope)
                if side == 0:
                    self._w[j][:half] = pw
                else:
                    self._w[j][n - half :] = pw[::-1]
        return found

    def _axis_moments(self, j: int) -> tuple[float, float]:
        """Mean and variance of axis ``j`` by the grid's quadrature.

        Next to a power-law edge ``e`` (``u = |x - e|``), ``x f`` and ``(x - m)^2 f`` are
        expanded in powers of ``u`` and each ``u^k f`` gets the exact power-law weights of
        exponent ``β + k``: the plain weights would be wrong there at order ``h^(1+β)``.
        """
        q, x, w = self._axis_q[j], self._nodes[j], self._w[j]
        n, h = int(self._n[j]), float(self._h[j])
        half = n // 2
        plain = np.ones(n, dtype=bool)
        pieces = []  # (edge, sign, sum d W0, sum d u W1, sum d u^2 W2)
        for side, edge, sign in ((0, self._lo[j], 1.0), (1, self._hi[j], -1.0)):
            beta = self._edge_power.get((j, side))
            if beta is None:
                continue
            idx = np.arange(half) if side == 0 else np.arange(n - 1, n - 1 - half, -1)
            slope = self._edge_slope[(j, side)]
            u = (np.arange(half) + 0.5) * h
            d = q[idx] / w[idx]
            sums = [float(np.sum(q[idx]))]
            for k in (1, 2):
                sums.append(float(np.sum(d * u**k * _power_law_weights(h, beta + k, slope))))
            pieces.append((float(edge), sign, *sums))
            plain[idx] = False
        # cells cut by a simplex face sit at their centroid, not their centre
        if self._cut_idx.size and np.any(self._cut_off[:, j]):
            p_cut = self._prob.ravel()[self._cut_idx]
            x_cut = x[np.unravel_index(self._cut_idx, self.shape)[j]]
            o_cut = self._cut_off[:, j]
        else:
            p_cut = x_cut = o_cut = np.zeros(0)
        mean = float(np.sum(q[plain] * x[plain])) + float(np.sum(p_cut * o_cut))
        mean += sum(e * s0 + sign * s1 for e, sign, s0, s1, _ in pieces)
        var = float(np.sum(q[plain] * (x[plain] - mean) ** 2))
        var += float(np.sum(p_cut * (2.0 * o_cut * (x_cut - mean) + o_cut**2)))
        for e, sign, s0, s1, s2 in pieces:
            c = e - mean
            var += c * c * s0 + 2.0 * sign * c * s1 + s2
        return mean, max(var, 0.0)

    # ----------------------------------------------------------------- public attributes
    @property
    def axes(self) -> dict[str, np.ndarray]:
        return {n: x.copy() for n, x in zip(self._layout.axis_names, self._nodes, strict=True)}

    @property
    def spacing(self) -> dict[str, float]:
        return {n: float(h) for n, h in zip(self._layout.axis_names, self._h, strict=True)}

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(int(n) for n in self._n)

    @property
    def bounds(self) -> dict[str, Any]:
        out = {}
        for name, axes in self._layout.param_axes.items():
            scalar = not self.model.parameters[name].shape
            lo, hi = self._lo[axes], self._hi[axes]
            out[name] = (float(lo[0]), float(hi[0])) if scalar else (lo.copy(), hi.copy())
        return out

    @property
    def points(self) -> dict[str, Any]:
        out = {}
        for name, axes in self._layout.param_axes.items():
            scalar = not self.model.parameters[name].shape
            out[name] = int(self._n[axes[0]]) if scalar else tuple(int(v) for v in self._n[axes])
        return out

    @property
    def log_density(self) -> np.ndarray:
        return self._L - self._log_z

    @property
    def log_evidence(self) -> float:
        """Log marginal likelihood ``log ∫ p(D|θ) p(θ) dθ`` by quadrature over the grid.

        Accurate when the grid holds essentially all the posterior mass (no truncation warning)
        and the model's likelihood is normalised (the families are; a custom likelihood gives
        the evidence up to whatever constant it leaves out).
        """
        return self._log_z

    # ----------------------------------------------------------------------- diagnostics
    def _diagnose(self, stacklevel: int, warn: bool = True) -> None:
        lay = self._layout
        self.edge_mass: dict[str, tuple[float, float]] = {}
        self.truncated: dict[str, tuple[bool, bool]] = {}
        self.sd_spacings: dict[str, float] = {}
        self.iqr_spacings: dict[str, float] = {}
        for j, name in enumerate(lay.axis_names):
            q = self._axis_q[j]
            low_mass, high_mass = float(q[0]), float(q[-1])
            self.edge_mass[name] = (low_mass, high_mass)
            cut_low = low_mass > EDGE_MASS_TOLERANCE and self._lo[j] > lay.support_low[j]
            cut_high = high_mass > EDGE_MASS_TOLERANCE and self._hi[j] < lay.support_high[j]
            self.truncated[name] = (bool(cut_low), bool(cut_high))
            if warn and (cut_low or cut_high):
                sides = " and ".join(
                    f"{side} bound {val:.6g} ({mass:.2g} of the mass in the outermost cell)"
                    for side, val, mass, cut in (
                        ("lower", self._lo[j], low_mass, cut_low),
                        ("upper", self._hi[j], high_mass, cut_high),
                    )
                    if cut
                )
                if self._after_update:
                    advice = (
                        "the box was chosen for the data before update(); build a grid for the "
                        f"updated model, bg.grid(post.model), or give wider bounds[{name!r}]"
                    )
                elif self._auto[j]:
                    advice = (
                        f"the automatic bounds could not hold it; give bounds[{name!r}] wide "
                        "enough for the posterior"
                    )
                else:
                    advice = f"widen bounds[{name!r}] (or leave it to the default)"
                warnings.warn(
                    f"the grid truncates the posterior of {name} at its {sides}: {advice}",
                    GridWarning,
                    stacklevel=stacklevel,
                )
            sd = float(np.sqrt(self._axis_var[j]))
            h = float(self._h[j])
            ratio = sd / h
            self.sd_spacings[name] = ratio
            # a robust width too: a heavy tail inflates the sd (even past any finite value)
            cdf = np.cumsum(q)
            edges = self._lo[j] + h * np.arange(q.size + 1)
            q25, q75 = np.interp([0.25, 0.75], np.concatenate([[0.0], cdf]), edges)
            iqr = float(q75 - q25)
            self.iqr_spacings[name] = iqr / h
            width = min(sd, iqr / 1.349)
            if warn and width / h < MIN_SD_SPACINGS:
                if sd <= iqr / 1.349:
                    what = f"posterior sd {sd:.3g} is only {sd / h:.2g} grid spacings"
                else:
                    what = (
                        f"interquartile range {iqr:.3g} is only {iqr / h:.2g} grid spacings "
                        "(a heavy tail stretches the grid)"
                    )
                warnings.warn(
                    f"the grid is too coarse for {name}: its {what}; use more points or "
                    "narrower bounds (or a parametrisation without the heavy tail, e.g. a log "
                    "scale)",
                    GridWarning,
                    stacklevel=stacklevel,
                )
            # much mass in one cell at a support edge the quadrature has no power law for
            for side, mass in ((0, low_mass), (1, high_mass)):
                at_support = (
                    (self._lo[j] <= lay.support_low[j])
                    if side == 0
                    else (self._hi[j] >= lay.support_high[j])
                )
                if (
                    warn
                    and at_support
                    and mass > EDGE_CELL_SHARE
                    and (j, side) not in self._edge_power
                ):
                    edge = self._lo[j] if side == 0 else self._hi[j]
                    warnings.warn(
                        f"the grid is too coarse for {name} at its support edge {edge:.6g}: "
                        f"{mass:.2g} of the mass is in the outermost cell; use more points or "
                        f"narrower bounds",
                        GridWarning,
                        stacklevel=stacklevel,
                    )

        worst = max(self.face_error.items(), key=lambda kv: kv[1], default=None)
        if warn and worst is not None and worst[1] > FACE_ERROR_TOLERANCE:
            what, err = worst
            where = "log evidence" if what == "log_evidence" else f"mean of {what}"
            unit = "" if what == "log_evidence" else " posterior sds"
            warnings.warn(
                f"the grid is too coarse where the posterior reaches the face of the simplex "
                f"(a last component near 0): the estimated quadrature error of the {where} is "
                f"{err:.2g}{unit}; use more points, narrower bounds, or the exact "
                "(conjugate) posterior",
                GridWarning,
                stacklevel=stacklevel,
            )

    # ----------------------------------------------------------------------- marginals
    def _marginal(self, element: str) -> _Marginal:
        key = ("marginal", element)
        if key in self._cache:
            return self._cache[key]
        el = self._layout.elements[element]
        if el.axis is not None:
            j = el.axis
            x = self._nodes[j]
            edges = self._lo[j] + self._h[j] * np.arange(self._n[j] + 1)
            q = self._axis_q[j]
            power = (self._edge_power.get((j, 0)), self._edge_power.get((j, 1)))
            out = _Marginal(edges, x, q, q / self._w[j], power)
        else:
            out = self._implied_marginal(el.param)
        self._cache[key] = out
        return out

    def _implied_marginal(self, param: str) -> _Marginal:
        axes = self._layout.param_axes[param]
        if len(axes) == 1:  # K = 2: the reflection of the other component
            j = axes[0]
            edges = 1.0 - (self._lo[j] + self._h[j] * np.arange(self._n[j] + 1))[::-1]
            q = self._axis_q[j][::-1]
            power = (self._edge_power.get((j, 1)), self._edge_power.get((j, 0)))
            return _Marginal(edges, 1.0 - self._nodes[j][::-1], q, q / self._w[j][::-1], power)
        # spread each cell's mass over the values 1 - sum takes inside the cell (uniform in the
        # cell), by sub-cell midpoints; the distinct offsets of the sum are few
        d = len(axes)
        sub = int(max(1, min(8, (2**22 / self._prob.size) ** (1.0 / d))))
        parts = [((np.arange(sub) + 0.5) / sub - 0.5) * self._h[j] for j in axes]
        offsets = np.zeros(1)
        for part in parts:
            offsets = (offsets[:, None] + part[None, :]).ravel()
        offsets, counts = np.unique(np.round(offsets, 15), return_counts=True)
        v_lo = max(0.0, 1.0 - float(np.sum(self._hi[axes])))
        v_hi = min(1.0, 1.0 - float(np.sum(self._lo[axes])))
        nb = int(max(self._n[axes]))
        h = self._h[axes]
        if np.allclose(h, h[0], rtol=1e-12, atol=0.0):  # (cut cells, at the face, are off it)
            # equal spacings: every value of 1 - sum lies on a lattice of step h / sub; bins
            # of that width centred on it take each value whole (bins of another width
            # alias against the lattice: a sawtooth of +-20% in the density)
            step = float(h[0]) / sub
            origin = 1.0 - float(np.sum(self._lo[axes])) - 0.5 * d * float(h[0])  # a lattice value
            k_lo = int(np.floor((v_lo - origin) / step - 0.5))
            k_hi = int(np.ceil((v_hi - origin) / step + 0.5))
            edges = origin + step * (np.arange(k_lo, k_hi + 1) - 0.5)
            edges = edges[(edges > v_lo - step) & (edges < v_hi + step)]
            nb, v_lo, v_hi = edges.size - 1, float(edges[0]), float(edges[-1])
        centre_values = (1.0 - self._cell_sums(axes)).ravel()
        masses = np.zeros(nb)
        flat_prob = self._prob.ravel()
        for off, count in zip(offsets, counts, strict=True):  # a few dozen offsets at most
            masses += np.histogram(
                np.clip(centre_values - off, v_lo, v_hi),
                bins=nb,
                range=(v_lo, v_hi),
                weights=flat_prob * (count / counts.sum()),
            )[0]
        masses /= masses.sum()
        edges = np.linspace(v_lo, v_hi, nb + 1)
        width = edges[1] - edges[0]
        return _Marginal(edges, 0.5 * (edges[:-1] + edges[1:]), masses, masses / width)

    def _cell_sums(self, axes: list[int]) -> np.ndarray:
        """Sum of the ``axes`` coordinates where each cell was evaluated (centroids if cut)."""
        total = np.array(self._sum_over(axes))
        if self._cut_idx.size:
            total.ravel()[self._cut_idx] += self._cut_off[:, axes].sum(axis=1)
        return total

    def _sum_over(self, axes: list[int]) -> np.ndarray:
        ndim = self._layout.ndim
        total = np.zeros(())
        for j in axes:
            total = total + self._nodes[j].reshape((-1,) + (1,) * (ndim - 1 - j))
        return np.broadcast_to(total, self.shape)

    def marginal(self, name: str, index: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Marginal posterior density of one scalar element, on the grid's cell centres.

        Parameters
        ----------
        name : str
            A scalar parameter (``"p"``), or an element of a vector one, spelled as in
            :meth:`summary` (``"coef[0]"``, ``"p[2]"``), or a vector parameter's name with
            ``index``.
        index : int or tuple of int, optional
            Element of a vector parameter: ``marginal("coef", 0)`` is ``marginal("coef[0]")``.

        Returns
        -------
        x, density : numpy.ndarray
            Cell centres and the normalised density there (it integrates to 1 with the grid's
            quadrature; the trapezoid rule on ``x`` agrees closely).

        Examples
        --------
        >>> from scipy import stats
        >>> import bayesgd as bg
        >>> x, dens = bg.grid(bg.Binomial(k=3, n=10, p=stats.beta(1, 1))).marginal("p")
        >>> x.shape
        (2001,)
        """
        element = self._element_name(name, index)
        m = self._marginal(element)
        return m.centres.copy(), m.density.copy()

    def _element_name(self, name: Any, index: Any) -> str:
        if not isinstance(name, str):
            raise TypeError(f"name must be a parameter name (str), got {name!r}")
        if index is not None:
            if name not in self.model.parameters:
                raise ValueError(f"unknown parameter {name!r}; the model's are {list(self.names)}")
            idx = (index,) if isinstance(index, numbers.Integral) else tuple(index)
            shape = self.model.parameters[name].shape
            if len(idx) != len(shape) or any(
                not 0 <= i < s for i, s in zip(idx, shape, strict=True)
            ):
                raise ValueError(f"index {index!r} is out of range for {name} of shape {shape}")
            name = f"{name}[{','.join(str(int(i)) for i in idx)}]"
        if name in self._layout.elements:
            return name
        if name in self.model.parameters:
            raise ValueError(
                f"{name} is a vector parameter; name one element: "
                f"{self._layout.param_elements[name]} (or pass index=)"
            )
        raise ValueError(
            f"unknown parameter {name!r}; the model's elements are {list(self._layout.elements)}"
        )

    # ----------------------------------------------------------------------------- hooks
    def _element_stat(self, name: str, fn) -> np.ndarray:
        shape = self.model.parameters[name].shape
        out = np.empty(shape if shape else ())
        for el_name in self._layout.param_elements[name]:
            el = self._layout.elements[el_name]
            out[el.index] = fn(el)
        return out

    def _mean(self, name):
        axes = self._layout.param_axes[name]

        def one(el):
            if el.axis is not None:
                return self._axis_mean[el.axis]
            return 1.0 - float(np.sum(self._axis_mean[axes]))

        return self._element_stat(name, one)

    def _sd(self, name):
        def one(el):
            if el.axis is not None:
                return np.sqrt(self._axis_var[el.axis])
            return np.sqrt(self._implied_variance(el.param))

        return self._element_stat(name, one)

    def _implied_variance(self, param: str) -> float:
        """Var(1 - sum) = Var(sum): exact from the joint grid."""
        key = ("implied_var", param)
        if key not in self._cache:
            axes = self._layout.param_axes[param]
            s = self._cell_sums(axes)
            mean = float(np.sum(self._axis_mean[axes]))
            self._cache[key] = float(np.sum(self._prob * (s - mean) ** 2))
        return self._cache[key]

    def _quantile(self, name, q):
        shape = self.model.parameters[name].shape
        out = np.empty(q.shape + shape)
        for el_name in self._layout.param_elements[name]:
            el = self._layout.elements[el_name]
            x, dens, cdf = self._marginal(el_name).fine()
            out[(..., *el.index)] = _inverse_cdf(q, cdf, x, dens)
        return out

    def _hdi(self, name, prob):
        from .intervals import hdi_of_grid

        shape = self.model.parameters[name].shape
        low = np.empty(shape if shape else ())
        high = np.empty(shape if shape else ())
        for el_name in self._layout.param_elements[name]:
            el = self._layout.elements[el_name]
            marginal = self._marginal(el_name)
            x, dens, cdf = marginal.fine()
            if marginal.power == (None, None):
                low[el.index], high[el.index] = hdi_of_grid(x, dens, prob)
            else:  # an unbounded (or root-like) edge: linear pieces mismeasure the mass there
                low[el.index], high[el.index] = _shortest_interval(x, dens, cdf, prob)
        return low, high

    def _mode(self):
        if "mode" not in self._cache:
            x = self._mode_point()
            theta = self._layout.theta(x[None, :])
            self._cache["mode"] = {n: v[0] for n, v in theta.items()}
        return dict(self._cache["mode"])

    def _sample(self, shape, rng):
        size = int(np.prod(shape, dtype=np.int64))
        cdf = np.cumsum(self._prob.ravel())
        cdf /= cdf[-1]
        cells = np.searchsorted(cdf, rng.random(size), side="right")
        cells = np.minimum(cells, cdf.size - 1)
        idx = np.unravel_index(cells, self.shape)
        centres = np.stack([x[i] for x, i in zip(self._nodes, idx, strict=True)], axis=1)
        coords = centres + (rng.random(centres.shape) - 0.5) * self._h
        for name in self._layout.simplex:  # keep draws on the simplex
            axes = self._layout.param_axes[name]
            for _ in range(50):
                bad = coords[:, axes].sum(axis=1) > 1.0
                if not bad.any():
                    break
                jitter = (rng.random((int(bad.sum()), len(axes))) - 0.5) * self._h[axes]
                coords[np.ix_(np.flatnonzero(bad), axes)] = (
                    centres[np.ix_(np.flatnonzero(bad), axes)] + jitter
                )
            else:  # cells barely inside: put the stragglers on the face
                sums = coords[:, axes].sum(axis=1)
                bad = np.flatnonzero(sums > 1.0)
                coords[np.ix_(bad, axes)] /= sums[bad, None]
        theta = self._layout.theta(coords)
        return {n: v.reshape(shape + v.shape[1:]) for n, v in theta.items()}

    # ------------------------------------------------------------------------------ mode
    def _cell_point(self, flat: int) -> np.ndarray:
        """Where cell ``flat`` was evaluated: its centre, or its centroid inside the simplex."""
        idx = np.unravel_index(flat, self.shape)
        x = np.array([self._nodes[j][idx[j]] for j in range(self._layout.ndim)])
        if self._cut_idx.size:
            k = int(np.searchsorted(self._cut_idx, flat))
            if k < self._cut_idx.size and self._cut_idx[k] == flat:
                x = x + self._cut_off[k]
        return x

    def _mode_point(self) -> np.ndarray:
        """Best grid point, refined by projected Newton steps on the model's log density."""
        ev, lo, hi, h = self._ev, self._lo, self._hi, self._h
        ndim = self._layout.ndim
        finite = self._L[np.isfinite(self._L)]
        if finite.size == self._L.size and finite.max() == finite.min():
            return 0.5 * (lo + hi)  # a flat density: every point is a mode; take the centre
        flat = int(np.argmax(self._L))
        idx = np.unravel_index(flat, self.shape)
        x = self._cell_point(flat)
        fx = float(self._L[idx])
        # a mode on a box edge: the density there is at least that of the best grid point
        active = np.zeros(ndim, dtype=bool)
        cands, which = [], []
        for j in range(ndim):
            for side, at in ((lo, 0), (hi, int(self._n[j]) - 1)):
                if idx[j] == at:
                    y = x.copy()
                    y[j] = side[j]
                    cands.append(y)
                    which.append((j, side[j]))
        if cands:
            vals = ev.lenient(np.array(cands))
            for (j, edge), v in zip(which, vals, strict=True):
                if v >= fx and not active[j]:
                    active[j] = True
                    x[j] = edge
            if active.any():
                fx = float(ev.lenient(x[None, :])[0])
        free = np.flatnonzero(~active)
        if free.size == 0 or not np.isfinite(fx):
            return x
        tau = 1e-9 * h
        inner_lo, inner_hi = lo + tau, hi - tau
        try:
            x, fx = self._newton(x, fx, free, inner_lo, inner_hi, {})
        except (ValueError, FloatingPointError, np.linalg.LinAlgError):
            pass
        # ascent that ran into a face of a simplex (a zero component, p_K = 0): optimise on
        # that face, the last free axis of the vector then being 1 - the sum of the others
        for name in self._layout.simplex:
            every = self._layout.param_axes[name]
            axes = [a for a in every if a in set(free.tolist())]
            if len(axes) < 2 or 1.0 - x[every].sum() > 0.5 * h[axes].min():
                continue
            y, fy = x.copy(), fx
            while len(axes) >= 2:
                dep = {axes[-1]: [a for a in every if a != axes[-1]]}
                trial = y.copy()
                trial[axes[-1]] = 1.0 - trial[dep[axes[-1]]].sum()
                f_trial = float(ev.lenient(trial[None, :])[0])
                try:
                    trial, f_trial = self._newton(
                        trial, f_trial, np.array(axes[:-1]), inner_lo, inner_hi, dep
                    )
                except (ValueError, FloatingPointError, np.linalg.LinAlgError):
                    break
                y, fy = trial, f_trial
                # the dependent component ran into its own zero too (two faces meet, as
                # p = (0.75, 0.25, 0, 0)): hold it there and go on along the smaller face
                last = axes[-1]
                if y[last] - lo[last] > 1e-6 * h[last]:  # Newton stops short of the edge
                    break
                y[last] = lo[last]
                axes = axes[:-1]
                fy = float(ev.lenient(y[None, :])[0])
            if fy >= fx:
                x, fx = y, fy
        # ascent that ran into the box's edge: the supremum is on the edge (the density may
        # even be unbounded there, as for a Beta(0.5, .) posterior with k = 0)
        for j in free:
            if x[j] - lo[j] <= 2 * tau[j]:
                x[j] = lo[j]
            elif hi[j] - x[j] <= 2 * tau[j]:
                x[j] = hi[j]
        return x

    def _newton(self, x, fx, free, inner_lo, inner_hi, dependent):
        """Newton ascent over the ``free`` axes, steps backtracked and kept inside the box.

        ``dependent`` maps an axis to the axes it is ``1 - sum`` of (a simplex face).
        """
        ev, h = self._ev, self._h
        ndim = self._layout.ndim
        steps = 2.0 ** -np.arange(25)

        def complete(pts: np.ndarray) -> np.ndarray:
            for k, others in dependent.items():
                pts[:, k] = 1.0 - pts[:, others].sum(axis=1)
            return pts

        faces = frozenset(
            self._layout.elements[self._layout.axis_names[k]].param for k in dependent
        )

        def total_gradient(pts: np.ndarray) -> np.ndarray:
            g = ev.gradient(pts, faces)
            for k, others in dependent.items():
                g[:, others] -= g[:, [k]]
            return g[:, free]

        for _ in range(60):
            s = 0.05 * h[free]
            s = np.minimum(
                s,
                0.5
                * np.maximum(np.minimum(x[free] - inner_lo[free], inner_hi[free] - x[free]), 0),
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
                delta = np.where(
                    diag < 0, -g / np.where(diag < 0, diag, -1.0), np.sign(g) * h[free]
                )
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

    # ---------------------------------------------------------------------------- update
    def update(self, **more_data: Any) -> GridPosterior:
        """The posterior after also seeing ``more_data``, on the same grid.

        Recomputes with ``model.update(**more_data)`` at the same points, so it equals the grid
        of the whole data at once (with the same ``bounds`` and ``points``).

        Examples
        --------
        >>> from scipy import stats
        >>> import bayesgd as bg
        >>> post = bg.grid(bg.Bernoulli(y=[1, 0, 1], p=stats.beta(1, 1)))
        >>> round(post.update(y=[1, 1]).mean()["p"], 6)   # Beta(5, 2)
        0.714286
        """
        new_model = self.model.updated(**more_data)
        return GridPosterior(
            new_model,
            _layout=_Layout(new_model),
            _lo=self._lo,
            _hi=self._hi,
            _points=self._n,
            _max_bytes=self._max_bytes,
            _stacklevel=3,
            _bytes_per_point=self._ev.bytes_per_point if _needs_memory_probe(new_model) else None,
            _auto=self._auto,
            _after_update=True,
        )

    def __repr__(self) -> str:
        box = ", ".join(
            f"{n}: [{a:.4g}, {b:.4g}] x {k}"
            for n, a, b, k in zip(
                self._layout.axis_names, self._lo, self._hi, self._n, strict=True
            )
        )
        return f"<GridPosterior ({box}) of {self.model!r}>\n{self.summary().to_string()}"


def _inverse_cdf(q: np.ndarray, cdf: np.ndarray, x: np.ndarray, dens: np.ndarray) -> np.ndarray:
    """Invert a CDF tabulated at ``x`` with its density: cubic Hermite inside each cell.

    Starts from linear interpolation and polishes with Newton steps on the Hermite cubic
    through ``(cdf, dens)`` at the cell's ends (fourth order, where linear interpolation of
    the CDF is only second order).
    """
    i = np.clip(np.searchsorted(cdf, q, side="left"), 1, cdf.size - 1) - 1
    c0, c1 = cdf[i], cdf[i + 1]
    step = x[i + 1] - x[i]
    m0, m1 = dens[i] * step, dens[i + 1] * step
    span = c1 - c0
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.clip(np.where(span > 0, (q - c0) / span, 1.0), 0.0, 1.0)
        for _ in range(4):
            t2, t3 = t * t, t * t * t
            val = (
                (2 * t3 - 3 * t2 + 1) * c0
                + (t3 - 2 * t2 + t) * m0
                + (-2 * t3 + 3 * t2) * c1
                + (t3 - t2) * m1
            )
            der = (6 * t2 - 6 * t) * c0 + (3 * t2 - 4 * t + 1) * m0
            der = der + (-6 * t2 + 6 * t) * c1 + (3 * t2 - 2 * t) * m1
            ok = (der > 0) & (span > 0)
            t = np.where(ok, np.clip(t - (val - q) / np.where(ok, der, 1.0), 0.0, 1.0), t)
    return x[i] + t * step


# ============================================================================================
# The function
# ============================================================================================


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
    n = _parse_points(layout, points)
    lo, hi, fixed = _parse_bounds(layout, bounds)
    total = int(np.prod(n, dtype=np.int64))
    if 4 * 8 * total > max_bytes:
        raise ValueError(
            f"a grid of {' x '.join(map(str, n))} = {total} points needs about "
            f"{_size_text(4 * 8 * total)}, more than max_bytes={max_bytes} "
            f"({_size_text(max_bytes)}); use fewer points or raise max_bytes"
        )
    lo, hi = _initial_box(layout, lo, hi, fixed)
    _Evaluator(model, layout, max_bytes).probe_shape(lo, hi)
    per_point = (
        _measure_bytes_per_point(model, layout, lo, hi) if _needs_memory_probe(model) else None
    )
    ev = _Evaluator(model, layout, max_bytes, per_point)
    log_axes, anchor, sign = _log_axes(layout, fixed)
    if fixed.all():  # every bound given: no box to find, nothing to widen
        pass
    elif log_axes.size:  # half-line axes: find the mass in log coordinates
        lev = _LogAxesEvaluator(ev, log_axes, anchor, sign)
        lay_u = copy.copy(layout)
        lay_u.support_low = layout.support_low.copy()
        lay_u.support_high = layout.support_high.copy()
        lay_u.support_low[log_axes], lay_u.support_high[log_axes] = -np.inf, np.inf
        lo_u, hi_u = _to_log_box(lo, hi, log_axes, anchor, sign)
        lo_u, hi_u = _locate(lev, lay_u, lo_u, hi_u, fixed)
        n_u = n.copy()
        n_u[log_axes] = 2**40  # cut the log axes' tails at 1e-10 there; resolution comes next
        lo_u, hi_u = _trim(lev, lay_u, lo_u, hi_u, fixed, n_u)
        lo, hi = _box_from_log(lev, lay_u, lo_u, hi_u, lo_u, hi_u, n)
    else:
        lo, hi = _locate(ev, layout, lo, hi, fixed)
        lo, hi = _trim(ev, layout, lo, hi, fixed, n)
    # the tail estimates were coarse: widen any side the grid truncates, at most 4 times
    for widenings in range(5):
        post = GridPosterior(
            model,
            _layout=layout,
            _lo=lo,
            _hi=hi,
            _points=n,
            _max_bytes=max_bytes,
            _bytes_per_point=per_point,
            _warn=False,
            _auto=~fixed,
        )
        grown = None if widenings == 4 else _widen_truncated(post, fixed, lo, hi)
        if grown is None:
            break
        lo, hi = grown
    post._diagnose(stacklevel=3)
    return post


def _size_text(n_bytes: float) -> str:
    """``n_bytes`` in the largest binary unit that keeps it at least 1 (bytes to GiB)."""
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n_bytes >= size:
            return f"{n_bytes / size:.3g} {unit}"
    return f"{int(n_bytes)} bytes"


def _widen_truncated(post: GridPosterior, fixed: np.ndarray, lo: np.ndarray, hi: np.ndarray):
    """New box sides for automatic axes whose outermost cell holds too much mass, or None.

    The side moves out by enough cells for the mass there, decaying at the rate seen across
    the two outermost cells, to fall below 1e-10 (at least two cells, at most the width).
    """
    lo, hi = lo.copy(), hi.copy()
    lay = post._layout
    changed = False
    for j, name in enumerate(lay.axis_names):
        if fixed[j]:
            continue
        q, h = post._axis_q[j], post._h[j]
        for side, cut in enumerate(post.truncated[name]):
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
