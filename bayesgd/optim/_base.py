"""The optimizer protocol: the :class:`Optimizer` pair and the checks every rule shares."""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

__all__ = ["Eval", "Fun", "Optimizer"]

Fun = Callable[[np.ndarray], tuple[float, np.ndarray]]
Eval = tuple[np.ndarray, float, np.ndarray]


def _quiet(update: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``update`` without numpy floating-point warnings.

    Trial points of a line search may overflow in ``fun``; they are rejected by the finiteness
    checks, and their warnings would only be noise. A fixed-step update that diverges returns a
    non-finite step silently: the driver detects it (and raises ``DivergenceError``).
    """

    @functools.wraps(update)
    def quiet_update(*args: Any, **kwargs: Any) -> Any:
        with np.errstate(all="ignore"):
            return update(*args, **kwargs)

    return quiet_update


class Optimizer(NamedTuple):
    """A named pair of pure functions ``init(theta) -> state`` and ``update(...)``.

    Attributes
    ----------
    name : str
        The optimizer's name (``"gd"``, ``"lbfgs"``, ...).
    init : callable
        ``init(theta) -> state``.
    update : callable
        ``update(grad, state, theta, *, value=None, fun=None) -> (step, new_state)``; the next
        iterate is ``theta + step``. See the module docstring for the full contract.

    Examples
    --------
    >>> import numpy as np
    >>> from bayesgd.optim import get_optimizer
    >>> opt = get_optimizer("gd", lr=0.5)
    >>> step, _ = opt.update(np.array([2.0]), opt.init(np.array([1.0])), np.array([1.0]))
    >>> step
    array([-1.])
    """

    name: str
    init: Callable[[np.ndarray], Any]
    update: Callable[..., tuple[np.ndarray, Any]]
    #: ``stable_lr(sharpness, state, grad) -> (limit, suggested)``: the largest ``lr`` for
    #: which this rule is stable on a quadratic, and the ``lr`` to suggest (below it), where
    #: ``sharpness(scale)`` is the largest eigenvalue of ``diag(scale) H diag(scale)``
    #: (``scale=None``: of ``H``) and ``state``, ``grad`` are the rule's state and gradient at
    #: the point; None for rules that choose their own steps (line searches).
    stable_lr: Callable[..., tuple[float, float]] | None = None


def _check_real(
    value: Any,
    name: str,
    *,
    low: float,
    high: float = math.inf,
    low_open: bool = True,
    high_open: bool = False,
) -> float:
    """A real number in the given interval, as a float; errors name the argument."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    x = float(value)
    lo_ok = x > low if low_open else x >= low
    hi_ok = x < high if high_open else x <= high
    if not (math.isfinite(x) and lo_ok and hi_ok):
        lb = "(" if low_open else "["
        hb = ")" if high_open or high == math.inf else "]"
        raise ValueError(f"{name} must be a finite number in {lb}{low}, {high}{hb}, got {value!r}")
    return x


def _check_int(value: Any, name: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def _check_lr(lr: Any) -> float:
    return _check_real(lr, "lr", low=0.0)


def _vec(x: Any, name: str) -> np.ndarray:
    """A 1-D float64 view/copy of ``x`` (never written to)."""
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array, got shape {arr.shape}")
    return arr


def _frozen(x: np.ndarray) -> np.ndarray:
    """A read-only float64 copy, safe to keep in an immutable state."""
    out = np.array(x, dtype=np.float64, copy=True)
    out.flags.writeable = False
    return out


def _check_state(state: Any, cls: type, name: str) -> None:
    if not isinstance(state, cls):
        raise TypeError(
            f"state must be a {cls.__name__} from {name}.init, got {type(state).__name__}"
        )


def _check_grad(grad: Any, theta: np.ndarray | None) -> np.ndarray:
    g = _vec(grad, "grad")
    if theta is not None and g.shape != theta.shape:
        raise ValueError(f"grad has shape {g.shape} but theta has shape {theta.shape}")
    return g


def _need_fun(fun: Any, value: Any, theta: Any, name: str) -> tuple[Fun, float, np.ndarray]:
    if fun is None or not callable(fun):
        raise ValueError(f"{name}.update needs fun=callable(theta) -> (value, grad)")
    if value is None:
        raise ValueError(f"{name}.update needs value=L(theta)")
    if theta is None:
        raise ValueError(f"{name}.update needs theta")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"value must be finite for a line search, got {v}")
    return fun, v, _vec(theta, "theta")
