"""Helpers shared by the conjugate posteriors: group reductions, copies, argument checks."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..models.base import Model
from ..numerics.special import to_float

__all__: list[str] = []

_LOG_2PI = float(np.log(2.0 * np.pi))

# 0-d arrays as floats (for ``hyper``), arrays as copies (so edits cannot leak in)
_out = to_float


def _reduce(x: Any, group_shape: tuple[int, ...], shape: tuple[int, ...]) -> np.ndarray:
    """Sum a per-group statistic over the group axes a parameter of ``shape`` shares."""
    x = np.broadcast_to(np.asarray(x, dtype=float), group_shape)
    extra = x.ndim - len(shape)
    if extra:
        x = x.sum(axis=tuple(range(extra)))
    axes = tuple(
        i for i, (s, g) in enumerate(zip(shape, x.shape, strict=True)) if s == 1 and g != 1
    )
    if axes:
        x = x.sum(axis=axes, keepdims=True)
    return np.asarray(x, dtype=float)


def _expand(x: np.ndarray, group_shape: tuple[int, ...], shape: tuple[int, ...]) -> np.ndarray:
    """A per-parameter array (``shape``) aligned against the group axes it was reduced over."""
    x = np.asarray(x, dtype=float)
    return x.reshape((1,) * (len(group_shape) - len(shape)) + x.shape)


def _reduce_log(x: Any, group_shape: tuple[int, ...], shape: tuple[int, ...]) -> np.ndarray:
    """``log`` of :func:`_reduce` of ``exp(x)``: a log-sum-exp over the shared group axes."""
    from scipy.special import logsumexp

    x = np.broadcast_to(np.asarray(x, dtype=float), group_shape)
    extra = x.ndim - len(shape)
    with np.errstate(divide="ignore"):
        if extra:
            x = logsumexp(x, axis=tuple(range(extra)))
        axes = tuple(
            i for i, (s, g) in enumerate(zip(shape, x.shape, strict=True)) if s == 1 and g != 1
        )
        if axes:
            x = logsumexp(x, axis=axes, keepdims=True)
    return np.asarray(x, dtype=float)


def _outside_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the first frame outside bayesgd."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    frame = sys._getframe(1)
    level = 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame = frame.f_back
        level += 1
    return level


def _parse_element(model: Model, element: Any) -> tuple[str, tuple[int, ...]]:
    """``"coef[1]"`` -> ``("coef", (1,))``; a scalar parameter's name -> ``(name, ())``."""
    if not isinstance(element, str):
        raise TypeError(f"element must be a string such as 'p' or 'coef[0]', got {element!r}")
    for name, param in model.parameters.items():
        labels = param.element_names()
        if element in labels:
            return name, tuple(np.ndindex(*param.shape))[labels.index(element)]
    known = [label for p in model.parameters.values() for label in p.element_names()]
    shown = ", ".join(known[:10]) + (", ..." if len(known) > 10 else "")
    raise ValueError(f"element must be one of the parameter elements ({shown}), got {element!r}")


def _model_with(model: Model, data: Mapping[str, Any]) -> Model:
    """A new model that has also seen ``data``; ``model`` itself is left unchanged."""
    return model.updated(**data)


def _check_kwargs(new: Mapping[str, Any], allowed: tuple[str, ...], what: str) -> None:
    unknown = [k for k in new if k not in allowed]
    if unknown:
        takes = ", ".join(f"{k}=" for k in allowed) if allowed else "no arguments"
        raise TypeError(f"predictive() got unexpected argument(s) {unknown}; {what} takes {takes}")


def _check_count(value: Any, name: str, *, low: int = 0) -> np.ndarray:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        raise TypeError(
            f"{name} must be a whole number >= {low} (or an array of them), got {value!r}"
        )
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a whole number >= {low}, got {value!r}") from exc
    if not np.all(np.isfinite(arr)) or np.any(arr != np.floor(arr)) or np.any(arr < low):
        raise ValueError(
            f"{name} must be a whole number >= {low} (or an array of them), got {value!r}"
        )
    return arr


def _check_positive(value: Any, name: str) -> np.ndarray:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        raise TypeError(f"{name} must be a positive number (or an array of them), got {value!r}")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a positive number, got {value!r}") from exc
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(f"{name} must be positive and finite, got {value!r}")
    return arr


def _invgamma_mean_sd(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sd of InvGamma(a, scale=b); infinite where they diverge."""
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(a > 1, b / (a - 1), np.inf)
        sd = np.where(a > 2, b / ((a - 1) * np.sqrt(a - 2)), np.inf)
    return mean, sd


def _t_mean_sd(
    df: np.ndarray, loc: np.ndarray, scale: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sd of a Student t: sd infinite for 1 < df <= 2; both nan for df <= 1."""
    df, loc, scale = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (df, loc, scale)))
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(df > 1, loc, np.nan)
        sd = np.where(df > 2, scale * np.sqrt(df / (df - 2)), np.where(df > 1, np.inf, np.nan))
    return mean, sd
