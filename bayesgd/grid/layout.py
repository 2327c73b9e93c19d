"""Layout: the model's parameters as grid axes, and the parsing of ``points`` and ``bounds``.

A scalar parameter is one axis, a vector parameter of size ``d`` is ``d`` axes (``coef[0]``,
...), and a probability vector with ``K`` components is ``K - 1`` axes (the last component is
implied, ``1 - sum``).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..models.base import Model
from .constants import _GRID_BYTES_PER_POINT, _default_points

__all__: list[str] = []


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


def _parse_points(layout: _Layout, points: Any) -> tuple[list[int], np.ndarray]:
    """Points per axis as Python ints (exact at any size: nothing is allocated from them),
    and which axes the caller gave (the others are automatic: the driver may refine them)."""
    ndim = layout.ndim
    default = _default_points(ndim, layout.model)
    out = [default] * ndim
    given = np.zeros(ndim, dtype=bool)

    def check(value: Any, label: str) -> int:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"points{label} must be an integer >= 2, got {value!r}")
        if value < 2:
            raise ValueError(f"points{label} must be an integer >= 2, got {value}")
        return int(value)

    if points is None:
        return out, given
    if isinstance(points, Mapping):
        for key, value in points.items():
            label, axes = _element_key(layout, key, "points")
            given[axes] = True
            if isinstance(value, numbers.Integral) and not isinstance(value, bool):
                for ax in axes:
                    out[ax] = check(value, f"[{label!r}]")
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
        return out, given
    return [check(points, "")] * ndim, ~given


def _check_grid_size(n: list[int], max_bytes: int) -> np.ndarray:
    """Refuse a grid too large for ``max_bytes`` (or to index at all), before allocating.

    The count is a Python int, so ``points=2**32`` on two axes is 2**64 points, not a wrapped
    int64 0. Returns the points per axis as an int64 array once they are known to fit.
    """
    total = math.prod(n)
    shape = " x ".join(map(str, n))
    need = _GRID_BYTES_PER_POINT * total
    if need > max_bytes:
        raise ValueError(
            f"points: a grid of {shape} = {total} points needs about {_size_text(need)}, more "
            f"than max_bytes={max_bytes} ({_size_text(max_bytes)}); use fewer points or raise "
            "max_bytes"
        )
    if total > np.iinfo(np.intp).max // _GRID_BYTES_PER_POINT:
        raise ValueError(
            f"points: a grid of {shape} = {total} points cannot be indexed on this machine "
            f"(more than {np.iinfo(np.intp).max // _GRID_BYTES_PER_POINT} points); use fewer "
            "points"
        )
    return np.array(n, dtype=np.int64)


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


def _size_text(n_bytes: float) -> str:
    """``n_bytes`` in the largest binary unit that keeps it at least 1 (bytes to EiB)."""
    units = (("EiB", 2**60), ("PiB", 2**50), ("TiB", 2**40), ("GiB", 2**30))
    for unit, size in (*units, ("MiB", 2**20), ("KiB", 2**10)):
        if n_bytes >= size:
            return f"{n_bytes / size:.3g} {unit}"
    return f"{int(n_bytes)} bytes"
