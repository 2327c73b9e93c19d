"""Argument checks shared by every module: each error names the argument."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

__all__ = [
    "as_rng",
    "check_finite_array",
    "check_positive_int",
    "check_prob",
    "check_probs",
    "check_size",
    "owned",
    "refuse_masked",
]


def as_rng(rng: Any = None) -> np.random.Generator:
    """Return a numpy Generator from ``rng`` (None, a non-negative int seed or a Generator).

    Examples
    --------
    >>> as_rng(-1)
    Traceback (most recent call last):
    ...
    ValueError: rng must be None, a non-negative integer seed or a numpy Generator, got -1
    """
    if isinstance(rng, bool):
        raise TypeError(f"rng must be None, an integer seed or a numpy Generator, got {rng!r}")
    if isinstance(rng, numbers.Integral) and rng < 0:
        raise ValueError(
            f"rng must be None, a non-negative integer seed or a numpy Generator, got {rng}"
        )
    if rng is None or isinstance(rng, numbers.Integral | np.random.SeedSequence):
        return np.random.default_rng(rng)
    if isinstance(rng, np.random.Generator):
        return rng
    raise TypeError(
        f"rng must be None, an integer seed or a numpy Generator, got {type(rng).__name__}"
    )


def check_prob(prob: Any, name: str = "prob") -> float:
    """A probability strictly inside (0, 1), as a float."""
    if isinstance(prob, bool) or not isinstance(prob, numbers.Real):
        raise TypeError(f"{name} must be a real number in (0, 1), got {prob!r}")
    prob = float(prob)
    if not 0.0 < prob < 1.0:
        raise ValueError(f"{name} must lie strictly between 0 and 1, got {prob}")
    return prob


def check_probs(q: Any, name: str = "q") -> np.ndarray:
    """An array of probabilities in [0, 1] (quantile levels)."""
    arr = None
    if not isinstance(q, str | bytes) and q is not None:
        raw = np.asarray(q) if not isinstance(q, list | tuple) else None
        try:
            arr = np.asarray(q, dtype=float) if raw is None or raw.dtype.kind in "iuf" else None
        except (TypeError, ValueError):
            arr = None
    if arr is None or arr.dtype.kind not in "fiu":
        raise TypeError(f"{name} must be a number or array of numbers in [0, 1], got {q!r}")
    if not np.all(np.isfinite(arr)) or np.any((arr < 0) | (arr > 1)):
        raise ValueError(f"{name} must lie in [0, 1], got {q!r}")
    return arr


def check_positive_int(value: Any, name: str, *, minimum: int = 1) -> int:
    """An integer >= ``minimum`` (bools are refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def check_size(size: Any, name: str = "size") -> tuple[int, ...]:
    """A sample size: a non-negative int or a tuple of them, returned as a shape tuple."""
    shape = (size,) if isinstance(size, numbers.Integral) else size
    if not isinstance(shape, tuple) or not all(
        isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in shape
    ):
        raise TypeError(f"{name} must be a non-negative integer or a tuple of them, got {size!r}")
    if any(s < 0 for s in shape):
        raise ValueError(f"{name} must be non-negative, got {size!r}")
    return tuple(int(s) for s in shape)


def check_finite_array(value: Any, name: str, *, dtype: Any = float) -> np.ndarray:
    """A numeric array with only finite entries."""
    try:
        arr = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numeric array-like, got {type(value).__name__}") from exc
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite values (no NaN or inf)")
    return arr


def owned(arr: Any, *sources: Any) -> Any:
    """``arr`` as a read-only array that shares no memory with the caller's ``sources``.

    A model or posterior keeps what it is given: ``arr`` is copied when it may share memory
    with one of ``sources`` (the arguments it was made from; lists and numbers never do), so
    the caller editing their array later changes nothing. The result is read-only, so nothing
    the model hands out can change it either. Lazy (dask) arrays are returned as they are.

    Examples
    --------
    >>> y = np.array([1.0, 2.0])
    >>> kept = owned(np.asarray(y), y)
    >>> y[0] = 5.0
    >>> kept, kept.flags.writeable
    (array([1., 2.]), False)
    """
    if not isinstance(arr, np.ndarray):
        return arr
    for source in sources:
        if source is None or isinstance(source, numbers.Number | str | bytes | list):
            continue
        try:
            src = source if isinstance(source, np.ndarray) else np.asarray(source)
        except (TypeError, ValueError):  # pragma: no cover - sources were converted before
            src = None
        if src is None or not isinstance(src, np.ndarray) or np.may_share_memory(arr, src):
            arr = arr.copy()
            break
    arr = arr.view()  # a read-only view: never flip the flag of an array another may hold
    arr.flags.writeable = False
    return arr


def refuse_masked(value: Any, name: str) -> None:
    """Raise a ValueError naming ``name`` if ``value`` is a masked array with masked entries.

    ``np.asarray`` would read a masked array's hidden values as data (a silent wrong answer);
    which observations to drop is the caller's decision, so bayesgd asks for it explicitly. A
    masked array with nothing masked is plain data.

    Examples
    --------
    >>> refuse_masked(np.ma.masked_array([1.0, 2.0], mask=[0, 0]), "y")  # nothing masked: fine
    >>> refuse_masked(np.ma.masked_array([1.0, 100.0], mask=[0, 1]), "y")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: y is a masked array with 1 masked value(s); bayesgd does not read masked ...
    """
    if isinstance(value, np.ma.MaskedArray):
        masked = int(np.ma.getmaskarray(value).sum())
        if masked:
            raise ValueError(
                f"{name} is a masked array with {masked} masked value(s); bayesgd does not read "
                f"masked data: pass the observations to use, e.g. {name}.compressed() for 1-D "
                f"data, or drop the masked rows ({name}[~{name}.mask.any(axis=-1)]) yourself"
            )
