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

from .._validation import owned, refuse_masked
from .base import KEEP_DATA_LIMIT, Model

__all__ = ["ElementwiseModel", "check_counts", "check_real", "check_rows"]


def _is_dask(value: Any) -> bool:
    return hasattr(value, "__dask_graph__") and hasattr(value, "compute")


def _as_array(name: str, value: Any) -> Any:
    if _is_dask(value):  # dask collections stay lazy
        return _dask_array(name, value)
    if isinstance(value, str | bytes) or value is None:
        raise TypeError(f"{name} must be numeric array-like, got {type(value).__name__}")
    refuse_masked(value, name)
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numeric array-like, got {type(value).__name__}") from exc
    if arr.dtype == bool:
        arr = arr.view(np.uint8)  # bool is one byte of 0 or 1: a view, not a copy
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be numeric, got an array of dtype {arr.dtype}")
    if arr.dtype.kind == "f" and arr.dtype.itemsize < 8:
        arr = arr.astype(np.float64)  # float16/32 sums overflow or lose digits: 64-bit stats
    return arr


def _dask_array(name: str, value: Any) -> Any:
    """A dask array of known chunk sizes (a dask DataFrame column becomes one)."""
    if hasattr(value, "to_dask_array"):  # dask Series / DataFrame
        value = value.to_dask_array(lengths=True)
    if not hasattr(value, "chunks") or not hasattr(value, "ndim"):
        raise TypeError(f"{name} must be a dask array or DataFrame column, got {type(value)}")
    if any(np.isnan(s) for s in value.shape):
        value = value.compute_chunk_sizes()  # lengths only: one pass, bounded memory
    if value.dtype != bool and value.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be numeric, got a dask array of dtype {value.dtype}")
    if value.dtype.kind == "f" and value.dtype.itemsize < 8:
        value = value.astype(np.float64)  # chunk by chunk, as in memory
    return value


def _is_lazy(arr: Any) -> bool:
    return not isinstance(arr, np.ndarray)


def _lazy_checked(arr: Any, check: Any, *others: Any) -> Any:
    """``arr`` validated chunk by chunk by ``check(block, *other_blocks)`` as dask computes it.

    The checks run inside the same pass as the reductions that consume the array (nothing is
    loaded whole, nothing is read twice) and raise the same ValueError as in memory.
    """
    import dask.array as da

    dtype = np.dtype(np.uint8) if arr.dtype == bool else arr.dtype
    if others:
        arr, *others = da.broadcast_arrays(arr, *(da.asarray(o) for o in others))
    meta = np.empty((0,) * arr.ndim, dtype=dtype)
    return da.map_blocks(check, arr, *others, dtype=dtype, meta=meta)


def check_real(name: str, value: Any, *, low: float = -np.inf, strict: bool = False) -> Any:
    """Finite real data, optionally bounded below."""
    arr = _as_array(name, value)
    if _is_lazy(arr):
        return _lazy_checked(arr, lambda b: check_real(name, b, low=low, strict=strict))
    if arr.dtype.kind in "iu":  # integers are finite: one reduction for the bound
        if np.isfinite(low) and arr.size and (arr.min() <= low if strict else arr.min() < low):
            bound = f"> {low}" if strict else f">= {low}"
            raise ValueError(f"{name} must be {bound}, got a minimum of {arr.min()}")
        return arr
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite values (found NaN or inf)")
    if np.isfinite(low) and (np.any(arr <= low) if strict else np.any(arr < low)):
        bound = f"> {low}" if strict else f">= {low}"
        raise ValueError(f"{name} must be {bound}, got a minimum of {arr.min()}")
    return arr


def _integer_counts_max(arr: np.ndarray, low: int, high: Any) -> int | None:
    """The largest of integer ``arr`` if it lies in ``[low, high]`` (scalar high), else None.

    One fast reduction: with ``low == 0`` a signed array is read as unsigned, so negative
    values become larger than any bound and one ``max`` checks both ends. None means "look
    closer", not "invalid".
    """
    if arr.size == 0:
        return 0
    info = np.iinfo(arr.dtype)
    top = info.max if high is None else min(int(high), info.max)
    if low <= 0 and (arr.dtype.kind == "u" or low == 0):
        if arr.dtype.kind == "i":
            arr = arr.view(arr.dtype.str.replace("i", "u"))
        biggest = int(arr.max())
        return biggest if biggest <= top else None
    biggest = int(arr.max())
    return biggest if arr.min() >= low and biggest <= top else None


def _summable(arr: np.ndarray, biggest: int) -> np.ndarray:
    """Integer counts whose sum could pass 2**63 (and wrap around) become float64."""
    if biggest * arr.size >= 2**63:
        return arr.astype(np.float64)
    return arr


def check_rows(X: Any, n_features: int | None, name: str = "X") -> np.ndarray:
    """Rows of features as a float ``(m, d)`` array: the one rule of every regression entry point.

    A 2-D ``X`` holds one row per observation and one column per feature. A 1-D ``X`` is a
    *column*: ``m`` values of a single feature. It is taken only when the model has one feature
    (or at construction, ``n_features=None``, where it makes ``d = 1``); with more features it
    is refused, never guessed to be one row (scikit-learn refuses 1-D ``X`` altogether). The
    regressions' and the Perceptron's constructors, ``update``, ``ConjugatePosterior.update``,
    ``predictive(X=...)``, ``predict`` and :func:`bayesgd.predict` all call it.

    Examples
    --------
    >>> check_rows([1.0, 2.0, 3.0], 1).shape
    (3, 1)
    >>> check_rows([[1.0, 2.0]], 2).shape
    (1, 2)
    """
    arr = np.asarray(check_real(name, X), dtype=float)
    d = n_features
    if arr.ndim == 1 and d in (None, 1):
        return arr[:, None]
    if arr.ndim == 2 and (d is None or arr.shape[1] == d):
        return arr
    if d is None:
        raise ValueError(
            f"{name} must be a 2-D array of shape (n, d), or 1-D for a single feature, got "
            f"shape {arr.shape}"
        )
    want = f"{name} must have shape (m, {d}), a 2-D array with {d} column{'s' * (d != 1)}"
    if arr.ndim == 1:
        row = ", ".join(f"x{i}" for i in range(1, d + 1)) if d <= 3 else f"x1, ..., x{d}"
        raise ValueError(
            f"{want}, got a 1-D array of shape {arr.shape}: a 1-D {name} is read as m values "
            f"of a single feature, which only a model with one feature takes; pass one row as "
            f"[[{row}]]"
        )
    if arr.ndim == 0:
        hint = f"; pass one value as [{float(arr)!r}]" if d == 1 else ""
        raise ValueError(f"{want}, got a scalar{hint}")
    raise ValueError(f"{want}, got shape {arr.shape}")


def check_counts(name: str, value: Any, *, low: int = 0, high: Any = None) -> Any:
    """Integer-valued counts in ``[low, high]`` (``high`` may be an array, e.g. trials)."""
    binary = isinstance(value, np.ndarray) and value.dtype == bool  # 0/1 by construction
    arr = _as_array(name, value)
    if binary and not _is_lazy(arr) and not _is_dask(high) and low <= 0:
        if high is None or np.all(np.asarray(high) >= 1):
            return arr
    if _is_dask(high) and not _is_lazy(arr):
        import dask.array as da

        arr = da.asarray(arr)
    if _is_lazy(arr):
        if _is_dask(high) or np.ndim(high) > 0:  # per-observation bounds travel with the chunks
            return _lazy_checked(arr, lambda b, h: check_counts(name, b, low=low, high=h), high)
        return _lazy_checked(arr, lambda b: check_counts(name, b, low=low, high=high))
    if arr.dtype.kind in "iu" and np.ndim(high) == 0:
        biggest = _integer_counts_max(arr, low, high)
        if biggest is not None:  # integers in range: no NaN, no fractions, no second pass
            return _summable(arr, biggest)
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
    if arr.dtype.kind in "iu" and arr.size:
        return _summable(arr, int(arr.max()))
    return arr


def _arrays(stats: Mapping[str, Any]) -> dict[str, np.ndarray]:
    lazy = [k for k, v in stats.items() if _is_dask(v)]
    if lazy:  # every lazy statistic in one dask pass over the data
        import dask

        stats = {**stats, **dict(zip(lazy, dask.compute(*(stats[k] for k in lazy)), strict=True))}
    return {k: owned(np.asarray(v, dtype=float)) for k, v in stats.items()}


def _compute(value: Any) -> Any:
    """A reduction as a NumPy array; dask reductions stay lazy (computed in :func:`_arrays`)."""
    return value if _is_dask(value) else np.asarray(value)


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
            {k: owned(a, data.get(k)) for k, a in arrays.items()}
            if self.n_obs * max(1, int(np.prod(self.group_shape))) <= KEEP_DATA_LIMIT
            and not any(_is_lazy(a) for a in arrays.values())
            else None
        )

    def _normalise(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Validate and broadcast data to shape ``(n_obs, *group_shape)``."""
        for key, value in data.items():
            refuse_masked(value, key)
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
        self._refuse_copies_into_shared_parameters(shapes)
        out = {}
        if any(_is_lazy(a) for a in arrays.values()):  # dask: broadcast lazily, chunk-aligned
            import dask.array as da

            ref = next((a for a in arrays.values() if _is_lazy(a) and a.shape == full), None)
            chunks = ref.chunks if ref is not None else "auto"
            for key, arr in arrays.items():
                if tuple(arr.shape) != full:
                    arr = da.broadcast_to(da.asarray(arr), full, chunks=chunks)
                elif not _is_lazy(arr):
                    arr = da.from_array(arr, chunks=chunks)
                out[key] = arr.reshape((-1, *self.group_shape))
            return out
        for key, arr in arrays.items():
            if arr.shape != full:
                arr = np.broadcast_to(arr, full)
            if arr.ndim != nd + 1:  # a view unless broadcasting made it impossible
                arr = arr.reshape((-1, *self.group_shape))
            out[key] = arr
        return out

    def _refuse_copies_into_shared_parameters(self, shapes: Mapping[str, tuple[int, ...]]) -> None:
        """Refuse data that broadcasting would copy across groups sharing a free parameter.

        Data lacking a group axis are seen by every group, which is right when each group has
        its own parameters (one analysis per prior), but counts each observation once per group
        in a parameter the groups share, e.g. ``Normal(y=[3.0], mu=norm(0, 10), sigma=[1, 2])``.
        """
        nd = len(self.group_shape)
        if nd == 0 or all(g == 1 for g in self.group_shape):
            return  # one group: nothing to copy
        data_shape = np.broadcast_shapes(*shapes.values())
        padded = (1,) * max(0, nd - len(data_shape)) + tuple(data_shape)
        trailing = padded[len(padded) - nd :]
        for axis, (size, groups) in enumerate(zip(trailing, self.group_shape, strict=True)):
            if size != 1 or groups == 1:
                continue
            shared = [
                name
                for name, param in self.parameters.items()
                if axis < nd - len(param.shape) or param.shape[axis - (nd - len(param.shape))] == 1
            ]
            if shared:
                raise ValueError(
                    f"data shapes {shapes} would be copied to all {groups} positions of axis "
                    f"{axis} of the groups' shape {self.group_shape} (set by the priors and "
                    f"fixed values), so each observation would count {groups} times in "
                    f"{', '.join(shared)}, which the groups share; give data whose trailing "
                    f"axes are {self.group_shape} (one value per group)"
                )

    @staticmethod
    def _count(arrays: Mapping[str, Any]) -> int:
        return int(next(iter(arrays.values())).shape[0])

    def _sum(self, value: Any) -> Any:
        """Sum over observations (integer data keep an integer accumulator); lazy for dask."""
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

    def updated(self, **data: Any) -> ElementwiseModel:
        """A new model that has also seen ``data`` (same names as the constructor's data).

        Sufficient statistics are merged, so any sequence of updates equals one batch. Raw data
        are kept beside them while they stay small (for :func:`bayesgd.to_pymc`). This model is
        left unchanged; :meth:`update` changes it in place.

        Examples
        --------
        >>> from scipy import stats
        >>> import bayesgd as bg
        >>> m = bg.Binomial(k=7, n=10, p=stats.beta(2, 2)).updated(k=3, n=5)
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
        new.stats = _arrays(self._merge(self.stats, _arrays(self._stats(arrays))))
        new.n_obs = self.n_obs + self._count(arrays)
        if (
            self.data is not None
            and new.n_obs * max(1, int(np.prod(self.group_shape))) <= KEEP_DATA_LIMIT
            and not any(_is_lazy(a) for a in arrays.values())
        ):
            new.data = {k: owned(np.concatenate([self.data[k], arrays[k]])) for k in self.data}
        else:
            new.data = None
        return new

    def _optional_data(self) -> tuple[str, ...]:
        return ()

    def __repr__(self) -> str:
        base = super().__repr__()[:-1]
        return f"{base}; {self.n_obs} observation(s) per group)"
