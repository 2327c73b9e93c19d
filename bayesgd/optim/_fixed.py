"""The fixed-step rules: plain gradient descent (the seed rule), momentum, Nesterov, Adam.

Each is a pure pair ``init(theta) -> state``, ``update(grad, state, theta) -> (step, state)``
with its state beside it, and declares the largest step size for which it is stable
(``Optimizer.stable_lr``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from ._base import (
    Fun,
    Optimizer,
    _check_grad,
    _check_lr,
    _check_real,
    _check_state,
    _frozen,
    _quiet,
    _vec,
)

__all__ = ["AdamState", "GDState", "MomentumState", "adam", "gd", "momentum", "nesterov"]


class GDState(NamedTuple):
    """State of :func:`gd`: the number of updates made."""

    count: int


class MomentumState(NamedTuple):
    """State of :func:`momentum` and :func:`nesterov`: the velocity and the update count."""

    velocity: np.ndarray
    count: int


class AdamState(NamedTuple):
    """State of :func:`adam`: first and second moment estimates and the update count."""

    mu: np.ndarray
    nu: np.ndarray
    count: int


def gd(*, lr: float = 1e-2) -> Optimizer:
    """Plain gradient descent with a fixed step: ``theta <- theta - lr * grad``.

    This is the seed rule. The update is exactly ``-lr * grad``: nothing is clipped, so too large
    a step diverges visibly (the driver reports it).

    Parameters
    ----------
    lr : float, default 1e-2
        Step size, > 0.

    Returns
    -------
    Optimizer

    Examples
    --------
    >>> import numpy as np
    >>> opt = gd(lr=0.25)
    >>> theta = np.array([4.0])
    >>> step, state = opt.update(theta, opt.init(theta), theta)   # L = theta^2 / 2
    >>> float((theta + step)[0]), state.count
    (3.0, 1)
    """
    lr = _check_lr(lr)

    def init(theta: np.ndarray) -> GDState:
        _vec(theta, "theta")
        return GDState(count=0)

    def update(
        grad: np.ndarray,
        state: GDState,
        theta: np.ndarray | None = None,
        *,
        value: float | None = None,
        fun: Fun | None = None,
    ) -> tuple[np.ndarray, GDState]:
        _check_state(state, GDState, "gd")
        g = _check_grad(grad, None if theta is None else _vec(theta, "theta"))
        return -lr * g, GDState(count=state.count + 1)

    return Optimizer("gd", init, _quiet(update), _gd_stable_lr)


def _gd_stable_lr(
    sharpness: Callable[..., float], state: Any = None, grad: Any = None
) -> tuple[float, float]:
    """``theta <- theta - lr H theta`` is stable iff ``lr < 2 / lambda_max``; suggest half."""
    lam = sharpness(None)
    return 2.0 / lam, 1.0 / lam


def _momentum_like(name: str, lr: float, beta: float, nesterov_: bool) -> Optimizer:
    lr = _check_lr(lr)
    beta = _check_real(beta, "beta", low=0.0, high=1.0, low_open=False, high_open=True)

    def init(theta: np.ndarray) -> MomentumState:
        return MomentumState(velocity=_frozen(np.zeros_like(_vec(theta, "theta"))), count=0)

    def update(
        grad: np.ndarray,
        state: MomentumState,
        theta: np.ndarray | None = None,
        *,
        value: float | None = None,
        fun: Fun | None = None,
    ) -> tuple[np.ndarray, MomentumState]:
        _check_state(state, MomentumState, name)
        g = _check_grad(grad, None if theta is None else _vec(theta, "theta"))
        if g.shape != state.velocity.shape:
            raise ValueError(
                f"grad has shape {g.shape}, the state was made for {state.velocity.shape}"
            )
        v = beta * state.velocity - lr * g
        step = beta * v - lr * g if nesterov_ else v.copy()
        return step, MomentumState(velocity=_frozen(v), count=state.count + 1)

    def stable_lr(
        sharpness: Callable[..., float], state: Any = None, grad: Any = None
    ) -> tuple[float, float]:
        # on a quadratic mode of curvature lam, with a = lr lam, the iteration matrix has
        # trace 1 - a(1 + beta) + beta (heavy ball: 1 - a + beta) and determinant beta(1 - a)
        # (heavy ball: beta); Jury's test gives a < 2(1 + beta) / (1 + 2 beta) (2(1 + beta)).
        # Suggest half the limit, at most 1 / lam: for the heavy ball every a in
        # [(1 - sqrt(beta))^2, (1 + sqrt(beta))^2] gives the top mode the same rate sqrt(beta),
        # and the smaller a keeps its transient overshoot (built-up velocity) small
        lam = sharpness(None)
        bound = 2.0 * (1.0 + beta) / (1.0 + 2.0 * beta) if nesterov_ else 2.0 * (1.0 + beta)
        return bound / lam, min(0.5 * bound, 1.0) / lam

    return Optimizer(name, init, _quiet(update), stable_lr)


def momentum(*, lr: float = 1e-2, beta: float = 0.9) -> Optimizer:
    """Heavy-ball momentum: ``v <- beta v - lr grad``, ``theta <- theta + v``.

    Parameters
    ----------
    lr : float, default 1e-2
        Step size, > 0.
    beta : float, default 0.9
        Momentum coefficient in [0, 1); ``beta=0`` is :func:`gd`.

    Returns
    -------
    Optimizer

    Examples
    --------
    >>> import numpy as np
    >>> opt = momentum(lr=0.1, beta=0.5)
    >>> theta = np.array([1.0])
    >>> s1, st = opt.update(theta, opt.init(theta), theta)        # L = theta^2 / 2
    >>> s2, st = opt.update(theta + s1, st, theta + s1)
    >>> float(s1[0]), round(float(s2[0]), 6)                      # -0.1, then 0.5*-0.1 - 0.1*0.9
    (-0.1, -0.14)
    """
    return _momentum_like("momentum", lr, beta, nesterov_=False)


def nesterov(*, lr: float = 1e-2, beta: float = 0.9) -> Optimizer:
    """Nesterov momentum (look-ahead form): ``v <- beta v - lr g``, step ``beta v - lr g``.

    This is the formulation of PyTorch/optax in terms of the current iterate: the gradient is
    taken at ``theta``, and the step already includes the look-ahead.

    Parameters
    ----------
    lr : float, default 1e-2
        Step size, > 0.
    beta : float, default 0.9
        Momentum coefficient in [0, 1).

    Returns
    -------
    Optimizer

    Examples
    --------
    >>> import numpy as np
    >>> opt = nesterov(lr=0.1, beta=0.5)
    >>> theta = np.array([1.0])
    >>> step, _ = opt.update(theta, opt.init(theta), theta)       # v = -0.1, step = -0.05 - 0.1
    >>> round(float(step[0]), 6)
    -0.15
    """
    return _momentum_like("nesterov", lr, beta, nesterov_=True)


def adam(*, lr: float = 1e-1, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8) -> Optimizer:
    """Adam (Kingma & Ba, 2015) with bias correction.

    Parameters
    ----------
    lr : float, default 1e-1
        Step size, > 0 (Adam's steps are about ``lr`` per coordinate whatever the gradient's
        scale).
    b1, b2 : float, default 0.9, 0.999
        Decay rates of the first and second moment estimates, in [0, 1).
    eps : float, default 1e-8
        Added to the root of the second moment, > 0.

    Returns
    -------
    Optimizer

    Examples
    --------
    >>> import numpy as np
    >>> opt = adam(lr=0.1)
    >>> theta = np.array([3.0, -1.0])
    >>> step, _ = opt.update(np.array([6.0, -0.5]), opt.init(theta), theta)
    >>> np.round(step, 6)                                          # first step: -lr * sign(g)
    array([-0.1,  0.1])
    """
    lr = _check_lr(lr)
    b1 = _check_real(b1, "b1", low=0.0, high=1.0, low_open=False, high_open=True)
    b2 = _check_real(b2, "b2", low=0.0, high=1.0, low_open=False, high_open=True)
    eps = _check_real(eps, "eps", low=0.0)

    def init(theta: np.ndarray) -> AdamState:
        z = _frozen(np.zeros_like(_vec(theta, "theta")))
        return AdamState(mu=z, nu=z, count=0)

    def update(
        grad: np.ndarray,
        state: AdamState,
        theta: np.ndarray | None = None,
        *,
        value: float | None = None,
        fun: Fun | None = None,
    ) -> tuple[np.ndarray, AdamState]:
        _check_state(state, AdamState, "adam")
        g = _check_grad(grad, None if theta is None else _vec(theta, "theta"))
        if g.shape != state.mu.shape:
            raise ValueError(f"grad has shape {g.shape}, the state was made for {state.mu.shape}")
        t = state.count + 1
        mu = b1 * state.mu + (1.0 - b1) * g
        nu = b2 * state.nu + (1.0 - b2) * (g * g)
        mu_hat = mu / (1.0 - b1**t)
        nu_hat = nu / (1.0 - b2**t)
        step = -lr * mu_hat / (np.sqrt(nu_hat) + eps)
        return step, AdamState(mu=_frozen(mu), nu=_frozen(nu), count=t)

    def stable_lr(
        sharpness: Callable[..., float], state: Any = None, grad: Any = None
    ) -> tuple[float, float]:
        # Adam is preconditioned heavy-ball momentum with an EMA of the gradient: stable while
        # the preconditioned sharpness lambda_max(P^-1/2 H P^-1/2), P = sqrt(nu_hat) + eps, is
        # below (2 + 2 b1) / ((1 - b1) lr) (Cohen et al. 2022, "Adaptive gradient methods at
        # the edge of stability"); before any update nu_hat is grad^2 (the first step's)
        if state is not None and getattr(state, "count", 0) > 0:
            nu_hat = np.asarray(state.nu) / (1.0 - b2**state.count)
        else:
            nu_hat = np.asarray(grad, dtype=float) ** 2
        scale = 1.0 / np.sqrt(np.sqrt(nu_hat) + eps)
        limit = (2.0 + 2.0 * b1) / ((1.0 - b1) * sharpness(scale))
        return limit, 0.5 * limit

    return Optimizer("adam", init, _quiet(update), stable_lr)
