"""Shared machinery of likelihoods whose observations are independent scalars.

Each family reduces its data to sufficient statistics (sums over the observation axis, one
per group) once, so that evaluating the log likelihood on a grid of a million points, or at
every step of an optimizer, never touches the data again. Statistics are mergeable, which is
what makes ``update`` (sequential updating and streaming over chunks) equal to one batch.

Data broadcast against parameters as in PyMC: the trailing axes of an observed array align with
the parameters' (group) shape and every leading index is one more independent observation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .base import KEEP_DATA_LIMIT, Model

__all__ = ["ElementwiseModel", "check_counts", "check_real"]


def _as_array(name: str, value: Any) -> Any:
    if hasattr(value, "compute") and hasattr(value, "dtype"):  # dask collections stay lazy
        return value
    if isinstance(value, str | bytes) or value is None:
        raise TypeError(f"{name} must be numeric array-like, got {type(value).__name__}")
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numeric array-like, got {type(value).__name__}") from exc
    if arr.dtype == bool:
        arr = arr.astype(np.int8)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be numeric, got an array of dtype {arr.dtype}")
    return arr


def _is_lazy(arr: Any) -> bool:
    return not isinstance(arr, np.ndarray)


def check_real(name: str, value: Any, *, low: float = -np.inf, strict: bool = False) -> Any:
    """Finite real data, optionally bounded below."""
    arr = _as_array(name, value)
    if _is_lazy(arr):
        return arr
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite values (found NaN or inf)")
    if np.isfinite(low) and (np.any(arr <= low) if strict else np.any(arr < low)):
        bound = f"> {low}" if strict else f">= {low}"
        raise ValueError(f"{name} must be {bound}, got a minimum of {arr.min()}")
    return arr


def check_counts(name: str, value: Any, *, low: int = 0, high: Any = None) -> Any:
    """Integer-valued counts in ``[low, high]`` (``high`` may be an array, e.g. trials)."""
    arr = _as_array(name, value)
    if _is_lazy(arr):
        return arr
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite counts (found NaN or inf)")
    if arr.dtype.kind == "f" and np.any(arr != np.floor(arr)):
        raise ValueError(f"{name} must be whole numbers, got non-integer values")
    if np.any(arr < low):
        raise ValueError(f"{name} must be >= {low}, got a minimum of {arr.min()}")
    if high is not None and np.any(arr > high):
        if np.ndim(high) == 0:
            raise ValueError(f"{name} must be <= {high}, got a maximum of {arr.max()}")
        raise ValueError(f"{name} must not exceed its number of trials")
    return arr


def _arrays(stats: Mapping[str, Any]) -> dict[str, np.ndarray]:
    return {k: np.asarray(v, dtype=float) for k, v in stats.items()}


def _compute(value: Any) -> np.ndarray:
    return np.asarray(value.compute() if hasattr(value, "compute") else value, dtype=float)


class ElementwiseModel(Model):
    """Base class of the scalar-observation families (Bernoulli ... Normal).

    Subclasses define ``likelihood``, ``observed`` (data names), ``domains`` and
    :meth:`_validate`, :meth:`_stats`, :meth:`_ll` and :meth:`_grad_ll`; the default merge of
    statistics is a sum.
    """

    observed: tuple[str, ...] = ()
    domains: Mapping[str, Any] = {}

    def _init_family(self, data: Mapping[str, Any], params: Mapping[Any, Any]) -> None:
        self._setup_priors(params, domains=self.domains)
        shapes = [p.shape for p in self.parameters.values()]
        shapes += [np.shape(v) for v in self.fixed.values()]
        self.group_shape: tuple[int, ...] = np.broadcast_shapes(*shapes)
        arrays = self._normalise(data)
        self.stats: dict[str, np.ndarray] = _arrays(self._stats(arrays))
        self.n_obs = self._count(arrays)
        self.data = (
            arrays
            if self.n_obs * max(1, int(np.prod(self.group_shape))) <= KEEP_DATA_LIMIT
            else None
        )

    def _normalise(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Validate and broadcast data to shape ``(n_obs, *group_shape)``."""
        arrays = self._validate(dict(data))
        shapes = {k: tuple(np.shape(v)) for k, v in arrays.items()}
        try:
            full = np.broadcast_shapes(*shapes.values(), self.group_shape)
        except ValueError:
            raise ValueError(
                f"data shapes {shapes} do not broadcast against the parameters' shape "
                f"{self.group_shape} (the trailing axes of the data must match it)"
            ) from None
        nd = len(self.group_shape)
        if full[len(full) - nd :] != self.group_shape:
            raise ValueError(
                f"data shapes {shapes} would give every parameter group more than one shape: "
                f"the trailing axes must match {self.group_shape}"
            )
        out = {}
        for key, arr in arrays.items():
            if _is_lazy(arr):
                arr = arr[None] if arr.ndim == nd else arr
                if tuple(arr.shape[arr.ndim - nd :]) != self.group_shape:
                    raise ValueError(f"{key} must have trailing shape {self.group_shape}")
                out[key] = arr.reshape((-1, *self.group_shape))
            else:
                out[key] = np.broadcast_to(arr, full).reshape((-1, *self.group_shape))
        return out

    @staticmethod
    def _count(arrays: Mapping[str, Any]) -> int:
        return int(next(iter(arrays.values())).shape[0])

    def _sum(self, value: Any) -> np.ndarray:
        return _compute(value.sum(axis=0))

    # hooks ---------------------------------------------------------------------------------
    def _validate(self, data: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def _stats(self, arrays: Mapping[str, Any]) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def _merge(
        self, a: Mapping[str, np.ndarray], b: Mapping[str, np.ndarray]
    ) -> dict[str, np.ndarray]:
        return {k: a[k] + b[k] for k in a}

    def _ll(self, v: Mapping[str, np.ndarray]) -> np.ndarray:
        """Elementwise log likelihood of aligned parameters (shape ``batch + group``)."""
        raise NotImplementedError

    def _grad_ll(self, v: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        raise NotImplementedError

    # Model hooks ---------------------------------------------------------------------------
    def _aligned(
        self, values: Mapping[str, np.ndarray], batch: tuple[int, ...]
    ) -> dict[str, np.ndarray]:
        nd = len(self.group_shape)
        out = {}
        for name, arr in self._all(values).items():
            own = self.parameters[name].shape if name in self.parameters else np.shape(arr)
            lead = arr.shape[: arr.ndim - len(own)] if name in self.parameters else ()
            out[name] = arr.reshape((*lead, *(1,) * (nd - len(own)), *own))
        return out

    def _loglik(self, values, batch):
        ll = self._ll(self._aligned(values, batch))
        nd = len(self.group_shape)
        ll = np.broadcast_to(ll, (*batch, *self.group_shape)) if ll.ndim < len(batch) + nd else ll
        return ll.sum(axis=tuple(range(ll.ndim - nd, ll.ndim))) if nd else ll

    def _grad_loglik(self, values, batch):
        grads = self._grad_ll(self._aligned(values, batch))
        nb = len(batch)
        out = {}
        for name, param in self.parameters.items():
            g = np.broadcast_to(grads[name], (*batch, *self.group_shape))
            extra = len(self.group_shape) - len(param.shape)
            if extra:
                g = g.sum(axis=tuple(range(nb, nb + extra)))
            axes = tuple(
                nb + i
                for i, (s, full) in enumerate(zip(param.shape, g.shape[nb:], strict=True))
                if s == 1 and full != 1
            )
            if axes:
                g = g.sum(axis=axes, keepdims=True)
            out[name] = g
        return out

    @property
    def bytes_per_evaluation(self) -> int:
        return 8 * 8 * max(1, int(np.prod(self.group_shape)))

    def update(self, **data: Any) -> ElementwiseModel:
        """A new model that has also seen ``data`` (same names as the constructor's data).

        Sufficient statistics are merged, so any sequence of updates equals one batch. Raw data
        are kept beside them while they stay small (for :func:`bayesgd.to_pymc`).

        Examples
        --------
        >>> from scipy import stats
        >>> import bayesgd as bg
        >>> m = bg.Binomial(k=7, n=10, p=stats.beta(2, 2)).update(k=3, n=5)
        >>> m.stats["successes"], m.stats["failures"]
        (array(10.), array(5.))
        """
        missing = [k for k in self.observed if k not in data and k not in self._optional_data()]
        unknown = [k for k in data if k not in self.observed]
        if unknown:
            raise TypeError(f"update() got unknown data {unknown}; expected {list(self.observed)}")
        if missing:
            raise TypeError(f"update() is missing data {missing}")
        arrays = self._normalise(data)
        new = self.copy()
        new.stats = _arrays(self._merge(self.stats, self._stats(arrays)))
        new.n_obs = self.n_obs + self._count(arrays)
        if (
            self.data is not None
            and new.n_obs * max(1, int(np.prod(self.group_shape))) <= KEEP_DATA_LIMIT
            and not any(_is_lazy(a) for a in arrays.values())
        ):
            new.data = {k: np.concatenate([self.data[k], arrays[k]]) for k in self.data}
        else:
            new.data = None
        return new

    def _optional_data(self) -> tuple[str, ...]:
        return ()

    def __repr__(self) -> str:
        base = super().__repr__()[:-1]
        return f"{base}; {self.n_obs} observation(s) per group)"
