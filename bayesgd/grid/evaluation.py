"""Evaluation: the model's log density at grid coordinates, chunked to a memory budget."""

from __future__ import annotations

import numpy as np

from ..models.base import Model
from .layout import _Layout

__all__: list[str] = []


def _needs_memory_probe(model: Model) -> bool:
    """A model that does not say what one evaluation costs (a custom likelihood without a
    ``bytes_per_evaluation`` hint, a PyMC model): its cost is measured."""
    return type(model).bytes_per_evaluation is Model.bytes_per_evaluation and (
        model._bytes_hint is None
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
