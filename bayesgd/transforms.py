"""Bijections from an unconstrained space onto each kind of parameter support.

Every transform maps an unconstrained array ``u`` onto the support with :meth:`forward`, back
with :meth:`inverse`, and knows the log absolute determinant of the Jacobian of ``forward``
and how to pull a gradient with respect to ``x`` back to ``u`` (:meth:`vjp`). Elementwise
transforms keep the shape; :class:`StickBreaking` maps ``K - 1`` unconstrained numbers onto the
``K``-simplex.

Examples
--------
>>> import numpy as np
>>> t = Interval(0.0, 1.0)
>>> float(t.forward(np.array(0.0)))
0.5
>>> float(t.inverse(t.forward(np.array(1.3))))
1.3
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, log_expit, logit

__all__ = [
    "Identity",
    "Interval",
    "LowerBound",
    "StickBreaking",
    "Transform",
    "UpperBound",
    "transform_for_support",
]


class Transform:
    """Base class: a smooth bijection ``x = forward(u)`` from R^m onto a support.

    ``event_ndim`` is the number of trailing axes one draw occupies (0 for elementwise
    transforms, 1 for the simplex); :meth:`log_det_jacobian` sums over those axes only.
    """

    name = "transform"
    event_ndim = 0

    def forward(self, u: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def inverse(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def log_det_jacobian(self, u: np.ndarray) -> np.ndarray:
        """``log |det dx/du|`` per element (elementwise) or per event (simplex)."""
        raise NotImplementedError

    def vjp(self, u: np.ndarray, grad_x: np.ndarray) -> np.ndarray:
        """Pull ``grad_x = dF/dx`` back to ``dF/du`` (the chain rule)."""
        raise NotImplementedError

    def grad_log_det_jacobian(self, u: np.ndarray) -> np.ndarray:
        """``d/du log |det dx/du|``."""
        raise NotImplementedError

    def unconstrained_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """Shape of ``u`` for a parameter of the given shape."""
        return shape

    def contains(self, x: np.ndarray) -> np.ndarray:
        """Whether ``x`` lies in the closure of the support (elementwise or per event)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Identity(Transform):
    """The real line: ``x = u``."""

    name = "identity"

    def forward(self, u):
        return np.asarray(u, dtype=float)

    def inverse(self, x):
        return np.asarray(x, dtype=float)

    def log_det_jacobian(self, u):
        return np.zeros(np.shape(u))

    def vjp(self, u, grad_x):
        return np.asarray(grad_x, dtype=float)

    def grad_log_det_jacobian(self, u):
        return np.zeros(np.shape(u))

    def contains(self, x):
        return np.isfinite(x)


class LowerBound(Transform):
    """``(low, inf)``: ``x = low + exp(u)``."""

    name = "log"

    def __init__(self, low):
        self.low = np.asarray(low, dtype=float)

    def forward(self, u):
        return self.low + np.exp(u)

    def inverse(self, x):
        with np.errstate(divide="ignore"):
            return np.log(np.asarray(x, dtype=float) - self.low)

    def log_det_jacobian(self, u):
        return np.asarray(u, dtype=float) + np.zeros(np.shape(self.low))

    def vjp(self, u, grad_x):
        return grad_x * np.exp(u)

    def grad_log_det_jacobian(self, u):
        return np.ones(np.broadcast_shapes(np.shape(u), self.low.shape))

    def contains(self, x):
        return (x >= self.low) & (x < np.inf)

    def __repr__(self):
        return f"LowerBound(low={self.low})"


class UpperBound(Transform):
    """``(-inf, high)``: ``x = high - exp(u)``."""

    name = "neglog"

    def __init__(self, high):
        self.high = np.asarray(high, dtype=float)

    def forward(self, u):
        return self.high - np.exp(u)

    def inverse(self, x):
        with np.errstate(divide="ignore"):
            return np.log(self.high - np.asarray(x, dtype=float))

    def log_det_jacobian(self, u):
        return np.asarray(u, dtype=float) + np.zeros(np.shape(self.high))

    def vjp(self, u, grad_x):
        return -grad_x * np.exp(u)

    def grad_log_det_jacobian(self, u):
        return np.ones(np.broadcast_shapes(np.shape(u), self.high.shape))

    def contains(self, x):
        return (x <= self.high) & (x > -np.inf)

    def __repr__(self):
        return f"UpperBound(high={self.high})"


class Interval(Transform):
    """``(low, high)``: ``x = low + (high - low) * expit(u)`` (the scaled logit)."""

    name = "logit"

    def __init__(self, low, high):
        self.low = np.asarray(low, dtype=float)
        self.high = np.asarray(high, dtype=float)
        self.width = self.high - self.low

    def forward(self, u):
        return self.low + self.width * expit(u)

    def inverse(self, x):
        with np.errstate(divide="ignore"):
            return logit((np.asarray(x, dtype=float) - self.low) / self.width)

    def log_det_jacobian(self, u):
        return np.log(self.width) + log_expit(u) + log_expit(-np.asarray(u, dtype=float))

    def vjp(self, u, grad_x):
        s = expit(u)
        return grad_x * self.width * s * (1.0 - s)

    def grad_log_det_jacobian(self, u):
        return 1.0 - 2.0 * expit(u) + np.zeros(self.width.shape)

    def contains(self, x):
        return (x >= self.low) & (x <= self.high)

    def __repr__(self):
        return f"Interval(low={self.low}, high={self.high})"


class StickBreaking(Transform):
    """The open K-simplex from R^(K-1), by Stan's stick-breaking construction.

    ``z_k = expit(u_k - log(K - k))``, ``x_k = z_k * (1 - sum_{j<k} x_j)`` for ``k < K`` and
    ``x_K`` takes what is left; ``u = 0`` maps to the centre ``(1/K, ..., 1/K)``.
    """

    name = "stickbreaking"
    event_ndim = 1

    def __init__(self, k: int):
        if k < 2:
            raise ValueError(f"a simplex needs at least 2 components, got {k}")
        self.k = int(k)
        # offsets log(K - k) for k = 1..K-1
        self._offset = np.log(np.arange(self.k - 1, 0, -1, dtype=float))

    def unconstrained_shape(self, shape):
        return (*shape[:-1], shape[-1] - 1)

    def _z(self, u):
        return u - self._offset

    def forward(self, u):
        v = self._z(np.asarray(u, dtype=float))
        log_z = log_expit(v)
        log_1mz = log_expit(-v)
        log_r = np.concatenate(
            [np.zeros((*v.shape[:-1], 1)), np.cumsum(log_1mz, axis=-1)], axis=-1
        )
        log_x = np.concatenate([log_z + log_r[..., :-1], log_r[..., -1:]], axis=-1)
        return np.exp(log_x)

    def inverse(self, x):
        x = np.asarray(x, dtype=float)
        # logit(z_k) = log x_k - log(sum_{j>k} x_j): the tail sums keep full relative precision
        # where 1 - cumsum(x) would cancel
        tail = np.flip(np.cumsum(np.flip(x, axis=-1), axis=-1), axis=-1)[..., 1:]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(x[..., :-1]) - np.log(tail) + self._offset

    def log_det_jacobian(self, u):
        v = self._z(np.asarray(u, dtype=float))
        log_1mz = log_expit(-v)
        log_r = np.concatenate(
            [np.zeros((*v.shape[:-1], 1)), np.cumsum(log_1mz, axis=-1)[..., :-1]], axis=-1
        )
        return np.sum(log_expit(v) + log_1mz + log_r, axis=-1)

    def vjp(self, u, grad_x):
        v = self._z(np.asarray(u, dtype=float))
        z = expit(v)
        x = self.forward(u)
        gx_x = grad_x * x
        # tail[m] = sum_{k > m} grad_x[k] * x[k], for m = 0..K-2
        tail = np.flip(np.cumsum(np.flip(gx_x, axis=-1), axis=-1), axis=-1)[..., 1:]
        # dF/du_m = z_m (1 - z_m) dF/dz_m with dx_m/dz_m = r_m = x_m / z_m and
        # dx_k/dz_m = -x_k / (1 - z_m) for k > m; written without dividing by z or 1 - z,
        # so that saturated components (z = 0 or 1) give finite gradients
        return gx_x[..., :-1] * expit(-v) - z * tail

    def grad_log_det_jacobian(self, u):
        v = self._z(np.asarray(u, dtype=float))
        z = expit(v)
        j = np.arange(1, self.k, dtype=float)
        return 1.0 - z * (self.k + 1 - j)

    def contains(self, x):
        return np.all(x >= 0, axis=-1) & (np.abs(np.sum(x, axis=-1) - 1.0) < 1e-8)

    def __repr__(self):
        return f"StickBreaking(k={self.k})"


def transform_for_support(low, high) -> Transform:
    """The transform onto ``(low, high)`` (arrays allowed, all of one kind).

    >>> transform_for_support(0.0, np.inf)
    LowerBound(low=0.0)
    """
    low = np.asarray(low, dtype=float)
    high = np.asarray(high, dtype=float)
    low_finite = np.isfinite(low)
    high_finite = np.isfinite(high)
    if np.all(low_finite) and np.all(high_finite):
        if np.any(high <= low):
            raise ValueError(f"support must have low < high, got ({low}, {high})")
        return Interval(low, high)
    if np.all(low_finite) and not np.any(high_finite):
        return LowerBound(low)
    if not np.any(low_finite) and np.all(high_finite):
        return UpperBound(high)
    if not np.any(low_finite) and not np.any(high_finite):
        return Identity()
    raise TypeError(
        "a batched prior whose elements have different kinds of support (some bounded, some "
        "not) is not supported; use one prior per kind of support"
    )
