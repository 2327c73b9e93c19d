"""Checks of what a model is built from: fixed values, shapes, supports, user function outputs.

Examples
--------
>>> _check_shapes({"w": 3})
{'w': (3,)}
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np

from .._validation import refuse_masked
from ..priors import Prior

__all__: list[str] = []

#: Domains a likelihood allows for a parameter (closed bounds; checked against prior supports).
REAL = (-np.inf, np.inf)
POSITIVE = (0.0, np.inf)
UNIT = (0.0, 1.0)
SIMPLEX = "simplex"


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real | np.ndarray | list | tuple) and not isinstance(
        value, bool
    )


def _check_shapes(shapes: Any) -> dict[str, tuple[int, ...]]:
    """``shapes=`` as ``{name: tuple of ints}``; an int ``3`` means ``(3,)``, as in numpy."""
    if shapes is None:
        return {}
    if not isinstance(shapes, Mapping):
        raise TypeError(f"shapes must be a dict of name -> shape, got {type(shapes).__name__}")
    out = {}
    for name, shape in shapes.items():
        dims = (shape,) if isinstance(shape, numbers.Integral) else shape
        if not isinstance(dims, tuple | list) or not all(
            isinstance(d, numbers.Integral) and not isinstance(d, bool) for d in dims
        ):
            raise TypeError(
                f"shapes[{name!r}] must be an int or a tuple of ints, e.g. 3 or (3,), "
                f"got {shape!r}"
            )
        if any(d < 1 for d in dims):
            raise ValueError(f"shapes[{name!r}] must hold positive sizes, got {shape!r}")
        out[name] = tuple(int(d) for d in dims)
    return out


def _real(value: Any, what: str) -> np.ndarray:
    """``value`` as floats; complex values are refused (numpy would drop the imaginary part)."""
    arr = np.asarray(value)
    if np.iscomplexobj(arr):
        raise TypeError(
            f"{what} returned complex values (dtype {arr.dtype}); it must return real numbers "
            "(a log density is real: take np.real only if the imaginary part is known to be 0)"
        )
    try:
        return np.asarray(arr, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{what} must return real numbers, got dtype {arr.dtype}") from exc


def _check_fixed(name: str, value: Any, domain: Any) -> np.ndarray:
    refuse_masked(value, name)
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a prior or a number, got {value!r}") from exc
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"fixed {name} must be finite, got {value!r}")
    if domain == SIMPLEX:
        if arr.ndim < 1 or np.any(arr < 0) or not np.allclose(arr.sum(axis=-1), 1.0):
            raise ValueError(f"fixed {name} must be a probability vector summing to 1")
        return arr
    low, high = domain
    open_low = low == 0.0 and high == np.inf
    if np.any(arr < low) or np.any(arr > high) or (open_low and np.any(arr <= 0)):
        raise ValueError(f"fixed {name} must lie in {_domain_text(domain)}, got {value!r}")
    if domain == UNIT and np.any((arr <= 0) | (arr >= 1)):
        raise ValueError(f"fixed {name} must lie strictly between 0 and 1, got {value!r}")
    return arr


def _domain_text(domain: Any) -> str:
    if domain == SIMPLEX:
        return "the probability simplex"
    return {REAL: "the real line", POSITIVE: "(0, inf)", UNIT: "[0, 1]"}.get(
        domain, f"[{domain[0]}, {domain[1]}]"
    )


def _check_support(name: str, prior: Prior, domain: Any) -> None:
    """The prior's support must fit inside what the likelihood allows for the parameter."""
    if domain == SIMPLEX:
        if prior.family != "dirichlet":
            raise ValueError(
                f"{name} is a probability vector; its prior must be scipy.stats.dirichlet, "
                f"got {prior.family}"
            )
        return
    if prior.family == "dirichlet":
        raise ValueError(f"{name} is not a probability vector; a dirichlet prior does not fit it")
    low, high = prior.support(name)
    if np.any(low < domain[0]) or np.any(high > domain[1]):
        raise ValueError(
            f"the prior for {name} ({prior.family}) has support [{np.min(low)}, {np.max(high)}], "
            f"but {name} must lie in {_domain_text(domain)}"
        )
