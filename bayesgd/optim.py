"""Optimizers as pure ``init``/``update`` pairs on flat float64 vectors (the optax pattern).

An optimizer minimises a scalar objective ``L(theta)`` over a flat unconstrained vector
``theta`` (for ``bg.map_estimate``: ``L = -log p(theta | D)``). It knows nothing about models;
it only sees vectors and callables::

    opt = get_optimizer("lbfgs")
    state = opt.init(theta)
    value, grad = fun(theta)
    for it in range(max_iter):
        step, state = opt.update(grad, state, theta, value=value, fun=fun)
        theta = theta + step
        last = getattr(state, "last_eval", None)
        if last is not None and np.array_equal(last[0], theta):
            _, value, grad = last           # reuse: no second evaluation at theta
        else:
            value, grad = fun(theta)
        if np.max(np.abs(grad)) <= tol:
            break

The protocol
------------
``init(theta) -> state``
    ``theta`` is a 1-D float64 array. States are immutable ``NamedTuple``; the arrays they hold
    are read-only copies, so a state can be kept, compared and reused freely.
``update(grad, state, theta, *, value=None, fun=None) -> (step, new_state)``
    ``grad`` is ``dL/dtheta`` at ``theta``, ``value`` is ``L(theta)`` and ``fun(theta) ->
    (value, grad)`` evaluates the objective. The new iterate is ``theta + step`` (``step``
    already carries the sign: plain gradient descent returns ``-lr * grad``). ``update`` is a
    pure function: the same inputs give the same outputs, and no input is modified. The
    fixed-step optimizers (``gd``, ``momentum``, ``nesterov``, ``adam``) ignore ``value`` and
    ``fun``; the line-search optimizers (``backtracking``, ``bb``, ``lbfgs``) need both and
    raise ``ValueError`` without them.

The ``last_eval`` contract
--------------------------
A line search evaluates ``fun`` at the point it accepts. To spare the driver a second
evaluation there, the state returned by a line-search ``update`` carries a field
``last_eval = (theta_new, value_new, grad_new)`` where ``theta_new`` is computed as
``theta + step`` (so it is bitwise equal to the driver's own ``theta + step``), ``value_new``
is a Python float and ``grad_new`` a read-only float64 array; ``last_eval`` is ``None`` when
no evaluation at ``theta + step`` was made (for instance a zero step). Drivers should read it as
``getattr(state, "last_eval", None)`` (fixed-step states have no such field) and reuse it only
when ``np.array_equal(last_eval[0], theta + step)``. With reuse, an L-BFGS iteration whose
unit step is accepted costs exactly one evaluation of ``fun``.

Line-search states also carry ``n_evals`` (evaluations of ``fun`` made by ``update`` so far,
cumulative) and ``stalled``: ``True`` when the last line search found no acceptable point (the
objective cannot be decreased along the search direction to floating-point precision); the
step is then zero, and a driver should stop rather than loop (converged if the gradient is
small, otherwise warn). Evaluations inside a line search that return a non-finite value or
gradient are treated as "step too long" and shrunk; they never reach the driver. A line
search needs a finite ``value`` and ``grad`` at ``theta``.

Updates run under ``np.errstate(all="ignore")`` (so do the evaluations of ``fun`` they make):
they never emit floating-point warnings. A fixed-step update that diverges returns a huge or
non-finite step without complaint; detecting that, and raising, is the driver's job.

Optimizers and defaults (``lr=None`` in :func:`get_optimizer`)
-------------------------------------------------------------
================  =======================================================  ==================
name              rule                                                     default ``lr``
================  =======================================================  ==================
``gd``            ``theta <- theta - lr * grad``, fixed (the seed rule)    ``1e-2``
``momentum``      heavy ball, ``v <- beta v - lr grad``, step ``v``        ``1e-2``
``nesterov``      Nesterov, step ``beta v - lr grad``                      ``1e-2``
``adam``          Adam with bias correction                                ``1e-1``
``backtracking``  Armijo backtracking along ``-grad``                      ``1.0`` (1st trial)
``bb``            Barzilai–Borwein (BB1/BB2 alternating), Zhang–Hager      automatic
                  non-monotone line search, diagonal preconditioner
``lbfgs``         L-BFGS with a diagonal initial matrix, weak Wolfe line   automatic
                  search, curvature pairs with ``s'y <= 0`` skipped
================  =======================================================  ==================

``lr`` is the fixed step of the first four; for the line searches it is only the first trial
step (``None``: chosen from the gradient, then corrected by the search).

:data:`DEFAULT_OPTIMIZER` is ``"lbfgs"``, chosen by measurement. On a logistic regression
with n = 100,000, 20 features scaled by ``10**U(-2, 2)`` plus an intercept, a N(0, 2.5²) prior
(condition number ~1e7), started at zero, BLAS on one thread, four data sets, the same
value-and-gradient function for all (evaluations dominate: ~5 ms each), reaching the optimum to
1e-6 relative took:

=======================================================  ===================  =============
method                                                   evaluations          CPU seconds
=======================================================  ===================  =============
``lbfgs()`` (the default)                                29, 34, 58, 70       0.14 – 0.32
``lbfgs(memory=10)``                                     32, 35, 63, 88       0.16 – 0.41
``bb()``                                                 65, 81, 322, 874     0.31 – 4.4
scipy L-BFGS-B, default options                          stops after 831 –    3.9 – 42
                                                         7,751, 3e-3 to 0.16
                                                         away from the optimum
scipy L-BFGS-B, tolerances off, stopped at 1e-6          not within 6,000     > 30
scipy L-BFGS-B, ``maxcor=50``, stopped at 1e-6           229, 274, 283,       1.2 – 1.5
                                                         stalls at 1.4e-5
=======================================================  ===================  =============

The gain is the diagonal initial matrix (without it ``lbfgs`` behaves like L-BFGS-B), the
approximate-Wolfe acceptance near the optimum and one evaluation per accepted unit step.
``backtracking`` and the fixed-step rules are far slower on such problems; they are there to be
compared, not to be the default.

Examples
--------
>>> import numpy as np
>>> from bayesgd.optim import gd
>>> opt = gd(lr=0.1)
>>> theta = np.array([1.0, -2.0])
>>> state = opt.init(theta)
>>> step, state = opt.update(2 * theta, state, theta)     # L = |theta|^2
>>> theta + step
array([ 0.8, -1.6])
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

__all__ = [
    "DEFAULT_OPTIMIZER",
    "OPTIMIZERS",
    "AdamState",
    "BBState",
    "BacktrackingState",
    "GDState",
    "LBFGSState",
    "MomentumState",
    "Optimizer",
    "adam",
    "backtracking",
    "bb",
    "gd",
    "get_optimizer",
    "lbfgs",
    "momentum",
    "nesterov",
    "suggest_step_size",
]

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


# --------------------------------------------------------------------------------------------
# states


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


class BacktrackingState(NamedTuple):
    """State of :func:`backtracking`.

    ``lr`` is the step length accepted last (``None`` before the first update) and
    ``next_trial`` the one the next search starts from; ``last_eval``, ``n_evals`` and
    ``stalled`` follow the module's line-search contract.
    """

    lr: float | None
    next_trial: float
    count: int
    n_evals: int
    last_eval: Eval | None
    stalled: bool


class BBState(NamedTuple):
    """State of :func:`bb`.

    ``prev_theta``/``prev_grad`` give the secant pair at the next update; ``lr`` is the last
    accepted step length; ``ref_value``/``ref_weight`` are Zhang–Hager's reference value
    ``C_k`` and weight ``Q_k``; ``diag`` is the diagonal Hessian estimate of the preconditioner
    (``None`` when off or not yet known).
    """

    prev_theta: np.ndarray | None
    prev_grad: np.ndarray | None
    lr: float | None
    ref_value: float | None
    ref_weight: float
    diag: np.ndarray | None
    count: int
    n_evals: int
    last_eval: Eval | None
    stalled: bool


class LBFGSState(NamedTuple):
    """State of :func:`lbfgs`.

    ``s_hist``/``y_hist`` hold the stored curvature pairs, oldest first, and ``rho_hist`` their
    ``1 / s'y``; ``diag`` is the diagonal Hessian estimate used as the initial matrix (``None``
    before the first pair); ``prev_theta``/``prev_grad`` give the next pair; ``lr`` is the last
    accepted step length; ``memory`` the number of pairs kept.
    """

    s_hist: tuple[np.ndarray, ...]
    y_hist: tuple[np.ndarray, ...]
    rho_hist: tuple[float, ...]
    diag: np.ndarray | None
    prev_theta: np.ndarray | None
    prev_grad: np.ndarray | None
    lr: float | None
    memory: int
    count: int
    n_evals: int
    last_eval: Eval | None
    stalled: bool


# --------------------------------------------------------------------------------------------
# validation helpers


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


# --------------------------------------------------------------------------------------------
# fixed-step optimizers


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


# --------------------------------------------------------------------------------------------
# line searches


class _Trial(NamedTuple):
    alpha: float
    step: np.ndarray
    theta: np.ndarray
    value: float
    grad: np.ndarray
    dphi: float


def _evaluate(fun: Fun, theta: np.ndarray, direction: np.ndarray, alpha: float) -> _Trial | None:
    """Evaluate ``fun`` at ``theta + alpha * direction``; ``None`` if anything is non-finite."""
    step = alpha * direction
    theta_new = theta + step
    value, grad = fun(theta_new)
    value = float(value)
    grad = np.asarray(grad, dtype=np.float64)
    if not math.isfinite(value) or grad.shape != theta.shape or not np.all(np.isfinite(grad)):
        return None
    return _Trial(alpha, step, theta_new, value, grad, float(grad @ direction))


def _decrease_ok(trial: _Trial, ref: float, f0: float, dphi0: float, c1: float) -> bool:
    """Armijo's sufficient decrease against the reference value ``ref`` (``f0`` if monotone).

    When ``phi(a) - phi(0)`` is within ``1e-8 |phi(0)|`` of zero, where rounding can decide the
    comparison of two values, the change is estimated instead by the trapezoid rule
    ``a (phi'(0) + phi'(a)) / 2``, exact for a quadratic and computed from gradients, which keep
    their relative accuracy near the optimum. For the monotone search this is Hager & Zhang's
    approximate Wolfe condition ``phi'(a) <= (2 c1 - 1) phi'(0)``. Without it the iterates of a
    line search stop improving at about ``sqrt(eps)`` relative accuracy.
    """
    delta = trial.value - f0
    if abs(delta) <= 1e-8 * abs(f0):
        delta = 0.5 * trial.alpha * (dphi0 + trial.dphi)
    return delta <= (ref - f0) + c1 * trial.alpha * dphi0


def _cubic_min(a: float, fa: float, da: float, b: float, fb: float, db: float) -> float:
    """Minimiser of the cubic through (a, fa, da), (b, fb, db); nan if it has none."""
    if a == b:
        return math.nan
    d1 = da + db - 3.0 * (fa - fb) / (a - b)
    disc = d1 * d1 - da * db
    if not math.isfinite(disc) or disc < 0.0:
        return math.nan
    d2 = math.copysign(math.sqrt(disc), b - a)
    den = db - da + 2.0 * d2
    if den == 0.0:
        return math.nan
    return b - (b - a) * (db + d2 - d1) / den


def _wolfe_search(
    fun: Fun,
    theta: np.ndarray,
    direction: np.ndarray,
    f0: float,
    dphi0: float,
    alpha0: float,
    *,
    c1: float,
    c2: float,
    max_evals: int,
) -> tuple[_Trial | None, int]:
    """Weak Wolfe line search by bracketing and safeguarded cubic interpolation.

    Returns the accepted trial (or the best Armijo point found, or None) and the number of
    evaluations made.
    """
    lo_a, lo_f, lo_d = 0.0, f0, dphi0
    hi_a, hi_f, hi_d = math.inf, math.nan, math.nan
    best: _Trial | None = None
    alpha = alpha0
    n = 0
    while n < max_evals:
        trial = _evaluate(fun, theta, direction, alpha)
        n += 1
        if trial is None:  # non-finite: far too long
            hi_a, hi_f, hi_d = alpha, math.nan, math.nan
            alpha = lo_a + 0.1 * (alpha - lo_a)
            continue
        if not _decrease_ok(trial, f0, f0, dphi0, c1):
            hi_a, hi_f, hi_d = alpha, trial.value, trial.dphi
        elif trial.dphi < c2 * dphi0:  # sufficient decrease but still steep: too short
            best = trial
            lo_a, lo_f, lo_d = alpha, trial.value, trial.dphi
        else:
            return trial, n
        if math.isinf(hi_a):  # extrapolate by the secant of phi', within [2, 100] * alpha
            sec = lo_a - lo_d * lo_a / (lo_d - dphi0) if lo_d != dphi0 else math.nan
            guess = sec if math.isfinite(sec) else 4.0 * alpha
            alpha = min(max(guess, 2.0 * alpha), 100.0 * alpha)
        else:
            width = hi_a - lo_a
            guess = (
                _cubic_min(lo_a, lo_f, lo_d, hi_a, hi_f, hi_d)
                if math.isfinite(hi_f)
                else lo_a + 0.1 * width
            )
            if not math.isfinite(guess):
                guess = lo_a + 0.5 * width
            alpha = min(max(guess, lo_a + 0.1 * width), hi_a - 0.1 * width)
            if width <= 1e-16 * max(hi_a, 1e-300):
                break
    return best, n


def _backtrack(
    fun: Fun,
    theta: np.ndarray,
    direction: np.ndarray,
    f0: float,
    ref: float,
    dphi0: float,
    alpha0: float,
    *,
    c1: float,
    shrink: float,
    max_evals: int,
) -> tuple[_Trial | None, int]:
    """Armijo backtracking against ``ref`` (``f0`` for a monotone search), by ``shrink``.

    Returns the accepted trial (or None) and the number of evaluations made.
    """
    alpha = alpha0
    n = 0
    while n < max_evals:
        trial = _evaluate(fun, theta, direction, alpha)
        n += 1
        if trial is not None and _decrease_ok(trial, ref, f0, dphi0, c1):
            return trial, n
        alpha *= shrink
    return None, n


# --------------------------------------------------------------------------------------------
# diagonal Hessian estimate (Gilbert & Lemaréchal's diagonal BFGS update)


def _initial_diag(g0: np.ndarray) -> np.ndarray:
    """Starting diagonal curvature ``|g0|^1.5`` (up to a scalar fixed by the first pair).

    When the parameters live on different scales ``S`` the Hessian is ``S C S`` (``C`` well
    conditioned) and the gradient scales as ``S`` in GLM-like problems (diagonal curvature
    ``~ |g|^2``) or as ``S^2`` in separable ones (``~ |g|``); the exponent 1.5 was the best
    compromise on a suite of such problems. Zero components take the geometric mean of the
    others, and the spread is capped at 1e12.
    """
    a = np.abs(g0)
    nz = a > 0
    if not np.any(nz):
        return np.ones_like(a)
    b = np.empty_like(a)
    b[nz] = a[nz] ** 1.5
    b[~nz] = np.exp(np.mean(np.log(b[nz])))
    return np.maximum(b, 1e-12 * float(np.max(b)))


def _update_diag(
    diag: np.ndarray | None, s: np.ndarray, y: np.ndarray, sy: float, g0: np.ndarray | None = None
) -> np.ndarray:
    """Diagonal Hessian estimate ``B`` updated with the secant pair ``(s, y)``, ``s'y > 0``.

    The previous estimate (or :func:`_initial_diag` of the first gradient ``g0``) is rescaled by
    ``sqrt(y'B^-1 y / s'Bs)``, the geometric mean of the two Oren–Spedicato factors (for a
    scalar ``B`` it gives ``|y| / |s|``), then updated by the diagonal of the BFGS formula,
    ``B_i + y_i^2 / s'y - (B_i s_i)^2 / s'Bs``, which keeps ``B > 0`` (Gilbert & Lemaréchal,
    Math. Programming 45, 1989, the diagonal scaling of M1QN3).
    """
    fallback = np.full(s.shape, float(y @ y) / sy)  # the scalar of plain L-BFGS
    if diag is None:
        b = _initial_diag(g0) if g0 is not None else np.ones_like(s)
    else:
        b = diag
    scale = np.sqrt((y @ (y / b)) / (s @ (b * s)))
    if not (np.isfinite(scale) and scale > 0.0):
        return fallback
    b = b * scale
    bs = b * s
    b = b + y * y / sy - bs * bs / (s @ bs)
    top = float(np.max(b))
    if not (top > 0.0 and math.isfinite(top) and np.all(np.isfinite(b))):
        return fallback
    return np.maximum(b, 1e-12 * top)


def _secant_pair(
    state_theta: np.ndarray | None, state_grad: np.ndarray | None, theta: np.ndarray, g: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float] | None:
    """The secant pair from the stored previous point, or None if unusable (``s'y <= 0``)."""
    if state_theta is None or state_grad is None or state_theta.shape != theta.shape:
        return None
    s = theta - state_theta
    y = g - state_grad
    sy = float(s @ y)
    ss = float(s @ s)
    yy = float(y @ y)
    if not (sy > 1e-10 * math.sqrt(ss * yy)) or not math.isfinite(sy):
        return None
    return s, y, sy


# --------------------------------------------------------------------------------------------
# line-search optimizers


def backtracking(
    *,
    lr: float = 1.0,
    c: float = 1e-4,
    shrink: float = 0.5,
    grow: float = 2.0,
    max_evals: int = 60,
) -> Optimizer:
    """Steepest descent with an Armijo backtracking line search.

    Each iteration tries a step ``alpha`` along ``-grad`` (``lr`` the first time) and multiplies
    it by ``shrink`` until ``L(theta - alpha g) <= L(theta) - c alpha |g|^2``. The next search
    starts from ``grow`` times the accepted step, or, if smaller, from the minimiser of the
    quadratic through the two slopes measured along the last line, ``alpha g'g / (g'g -
    g'g_new)`` (free: the gradient at the accepted point is known). Without that cap an accepted
    step can settle just under twice the line minimiser, where steepest descent stops making
    progress along the steepest eigen-direction (with ``c = 1e-4``, ``alpha = 1/2`` and an
    eigenvalue just under 4 it took 20,000 iterations on a 6-D quadratic of condition 23).

    Parameters
    ----------
    lr : float, default 1.0
        First trial step length, > 0.
    c : float, default 1e-4
        Armijo constant in (0, 0.5).
    shrink : float, default 0.5
        Backtracking factor in (0, 1).
    grow : float, default 2.0
        Factor (>= 1) applied to the last accepted step to start the next search; ``1`` never
        grows.
    max_evals : int, default 60
        Evaluations allowed per line search before the state is marked ``stalled``.

    Returns
    -------
    Optimizer

    Examples
    --------
    >>> import numpy as np
    >>> fun = lambda t: (float(t @ t), 2 * t)
    >>> opt = backtracking()
    >>> theta = np.array([1.0, 2.0])
    >>> v, g = fun(theta)
    >>> step, state = opt.update(g, opt.init(theta), theta, value=v, fun=fun)
    >>> theta + step                       # alpha = 1 rises, alpha = 0.5 lands on the minimum
    array([0., 0.])
    """
    lr = _check_lr(lr)
    c = _check_real(c, "c", low=0.0, high=0.5, high_open=True)
    shrink = _check_real(shrink, "shrink", low=0.0, high=1.0, high_open=True)
    grow = _check_real(grow, "grow", low=1.0, low_open=False)
    max_evals = _check_int(max_evals, "max_evals", minimum=1)

    def init(theta: np.ndarray) -> BacktrackingState:
        _vec(theta, "theta")
        return BacktrackingState(
            lr=None, next_trial=lr, count=0, n_evals=0, last_eval=None, stalled=False
        )

    def update(
        grad: np.ndarray,
        state: BacktrackingState,
        theta: np.ndarray | None = None,
        *,
        value: float | None = None,
        fun: Fun | None = None,
    ) -> tuple[np.ndarray, BacktrackingState]:
        _check_state(state, BacktrackingState, "backtracking")
        fun, f0, th = _need_fun(fun, value, theta, "backtracking")
        g = _check_grad(grad, th)
        gg = float(g @ g)
        if gg == 0.0:
            return np.zeros_like(th), state._replace(count=state.count + 1, last_eval=None)
        trial, n = _backtrack(
            fun, th, -g, f0, f0, -gg, state.next_trial, c1=c, shrink=shrink, max_evals=max_evals
        )
        if trial is None:
            return np.zeros_like(th), state._replace(
                count=state.count + 1, n_evals=state.n_evals + n, last_eval=None, stalled=True
            )
        nxt = grow * trial.alpha
        if trial.dphi > -gg:  # the slope rose along the line: positive curvature
            nxt = min(nxt, trial.alpha * gg / (gg + trial.dphi))
        new = BacktrackingState(
            lr=trial.alpha,
            next_trial=nxt,
            count=state.count + 1,
            n_evals=state.n_evals + n,
            last_eval=(_frozen(trial.theta), trial.value, _frozen(trial.grad)),
            stalled=False,
        )
        return trial.step, new

    return Optimizer("backtracking", init, _quiet(update))


def bb(
    *,
    lr: float | None = None,
    c: float = 1e-4,
    shrink: float = 0.5,
    eta: float = 0.85,
    precondition: bool = True,
    max_evals: int = 60,
) -> Optimizer:
    """Barzilai–Borwein steps with a Zhang–Hager non-monotone line search.

    The step length alternates BB1 ``s'Ms / s'y`` and BB2 ``s'y / y'M^-1 y`` (``M`` the diagonal
    preconditioner, the identity when ``precondition=False``), is clipped to a wide safe range,
    and is accepted when ``L(theta + alpha d) <= C_k + c alpha g'd`` where ``C_k`` is the
    Zhang–Hager weighted average of past values (non-monotone: BB's characteristic rises are
    allowed, divergence is not); otherwise it is multiplied by ``shrink``.

    Parameters
    ----------
    lr : float or None, default None
        First step length, > 0. ``None``: ``1 / max|grad|`` (a first step of length one in the
        largest coordinate), which the line search then corrects.
    c : float, default 1e-4
        Armijo constant in (0, 0.5).
    shrink : float, default 0.5
        Backtracking factor in (0, 1).
    eta : float, default 0.85
        Zhang–Hager averaging weight in [0, 1]; ``0`` is the monotone Armijo search.
    precondition : bool, default True
        Scale the direction by a diagonal Hessian estimate built from the secant pairs
        (Gilbert–Lemaréchal's diagonal BFGS update, as in :func:`lbfgs`), moved towards each
        new estimate with a weight ``1 / (1 + k / 20)`` so that the metric settles (BB steps
        lose their meaning under a metric that keeps changing). It costs no evaluations and
        is what makes BB usable when the parameters live on different scales.
    max_evals : int, default 60
        Evaluations allowed per line search before the state is marked ``stalled``.

    Returns
    -------
    Optimizer

    Examples
    --------
    >>> import numpy as np
    >>> H = np.diag([1.0, 10.0])
    >>> fun = lambda t: (float(0.5 * t @ H @ t), H @ t)
    >>> opt = bb()
    >>> theta = np.array([1.0, 1.0])
    >>> state = opt.init(theta)
    >>> v, g = fun(theta)
    >>> for _ in range(20):
    ...     step, state = opt.update(g, state, theta, value=v, fun=fun)
    ...     theta = theta + step
    ...     v, g = fun(theta)
    >>> bool(np.allclose(theta, 0.0, atol=1e-10))
    True
    """
    lr0 = None if lr is None else _check_lr(lr)
    c = _check_real(c, "c", low=0.0, high=0.5, high_open=True)
    shrink = _check_real(shrink, "shrink", low=0.0, high=1.0, high_open=True)
    eta = _check_real(eta, "eta", low=0.0, high=1.0, low_open=False)
    if not isinstance(precondition, bool | np.bool_):
        raise TypeError(f"precondition must be a bool, got {precondition!r}")
    max_evals = _check_int(max_evals, "max_evals", minimum=1)

    def init(theta: np.ndarray) -> BBState:
        _vec(theta, "theta")
        return BBState(
            prev_theta=None,
            prev_grad=None,
            lr=lr0,
            ref_value=None,
            ref_weight=0.0,
            diag=None,
            count=0,
            n_evals=0,
            last_eval=None,
            stalled=False,
        )

    def update(
        grad: np.ndarray,
        state: BBState,
        theta: np.ndarray | None = None,
        *,
        value: float | None = None,
        fun: Fun | None = None,
    ) -> tuple[np.ndarray, BBState]:
        _check_state(state, BBState, "bb")
        fun, f0, th = _need_fun(fun, value, theta, "bb")
        g = _check_grad(grad, th)
        if not np.any(g):
            return np.zeros_like(th), state._replace(count=state.count + 1, last_eval=None)
        diag = state.diag
        pair = _secant_pair(state.prev_theta, state.prev_grad, th, g)
        if pair is not None:
            s, y, sy = pair
            if precondition:
                # BB needs a settling metric: move geometrically towards the new estimate with
                # a weight decaying as 1 / (1 + k / 20), so the preconditioner converges.
                new_diag = _update_diag(diag, s, y, sy, state.prev_grad)
                if diag is not None:
                    w = 1.0 / (1.0 + state.count / 20.0)
                    new_diag = diag * (new_diag / diag) ** w
                diag = new_diag
            m = np.ones_like(s) if diag is None else diag
            if state.count % 2 == 1:
                alpha = float(s @ (m * s)) / sy  # BB1 (long)
            else:
                alpha = sy / float(y @ (y / m))  # BB2 (short)
        else:
            alpha = math.nan
        if not (math.isfinite(alpha) and alpha > 0.0):
            alpha = state.lr if state.lr is not None else 1.0 / float(np.max(np.abs(g)))
        alpha = min(max(alpha, 1e-30), 1e30)
        direction = -g if diag is None else -g / diag
        dphi0 = float(g @ direction)
        ref = f0 if state.ref_value is None else max(state.ref_value, f0)
        trial, n = _backtrack(
            fun, th, direction, f0, ref, dphi0, alpha, c1=c, shrink=shrink, max_evals=max_evals
        )
        if trial is None:
            return np.zeros_like(th), state._replace(
                count=state.count + 1,
                n_evals=state.n_evals + n,
                diag=diag,
                last_eval=None,
                stalled=True,
            )
        q_old = state.ref_weight if state.ref_value is not None else 0.0
        c_old = ref
        q_new = eta * q_old + 1.0
        c_new = (eta * q_old * c_old + trial.value) / q_new
        new = BBState(
            prev_theta=_frozen(th),
            prev_grad=_frozen(g),
            lr=trial.alpha,
            ref_value=c_new,
            ref_weight=q_new,
            diag=None if diag is None else _frozen(diag),
            count=state.count + 1,
            n_evals=state.n_evals + n,
            last_eval=(_frozen(trial.theta), trial.value, _frozen(trial.grad)),
            stalled=False,
        )
        return trial.step, new

    return Optimizer("bb", init, _quiet(update))


def _two_loop(
    g: np.ndarray,
    s_hist: tuple[np.ndarray, ...],
    y_hist: tuple[np.ndarray, ...],
    rho_hist: tuple[float, ...],
    diag: np.ndarray | None,
) -> np.ndarray:
    """``H g`` for the L-BFGS inverse-Hessian approximation with initial matrix ``diag^-1``."""
    q = g.copy()
    k = len(s_hist)
    a = [0.0] * k
    for i in range(k - 1, -1, -1):
        a[i] = rho_hist[i] * float(s_hist[i] @ q)
        q -= a[i] * y_hist[i]
    r = q if diag is None else q / diag
    for i in range(k):
        r += (a[i] - rho_hist[i] * float(y_hist[i] @ r)) * s_hist[i]
    return r


def _auto_memory(d: int) -> int:
    """Default L-BFGS memory: ``3 d`` pairs, at least 10 and at most 50 (fewer for huge ``d``).

    Up to about ``2.5 d`` pairs the iteration count keeps falling on ill-conditioned problems
    (a rotated 20-D quadratic of condition 1e4 took about 370 evaluations with 10 pairs, 110
    with 20 and 55 with 50); more than ``3 d`` pairs bring nothing but overhead. The cap
    ``1e6 // d`` (never below 10) keeps the stored pairs under about 16 MB.
    """
    return int(min(50, max(10, 3 * d), max(10, 1_000_000 // max(d, 1))))


def lbfgs(
    *,
    memory: int | None = None,
    lr: float | None = None,
    c1: float = 1e-4,
    c2: float = 0.9,
    diagonal: bool = True,
    max_evals: int = 30,
) -> Optimizer:
    """Limited-memory BFGS with a diagonal initial matrix and a weak Wolfe line search.

    The direction is the two-loop recursion over the last ``memory`` curvature pairs
    ``(s, y) = (theta_k - theta_{k-1}, g_k - g_{k-1})``; a pair with ``s'y <= 0`` (impossible
    after a Wolfe step on a smooth function, possible after a fallback) is skipped. The initial
    matrix is a diagonal Hessian estimate updated from every pair (Gilbert–Lemaréchal's diagonal
    BFGS update, as in M1QN3, started from ``|g_0|^1.5``) when ``diagonal=True``, else the usual
    scalar ``y'y / s'y``: on parameters living on different scales this is what makes the
    difference (see the module docstring). The unit step is tried first and is usually
    accepted; with the ``last_eval`` contract such an iteration costs one evaluation. The line
    search brackets a point satisfying the weak Wolfe conditions (Armijo with ``c1``, curvature
    with ``c2``) by safeguarded cubic interpolation. Near the optimum, where values differ at
    the rounding level, Armijo is replaced by its derivative form (Hager–Zhang's approximate
    Wolfe condition), so the gradient can still be driven down to its own rounding level.

    Parameters
    ----------
    memory : int or None, default None
        Number of curvature pairs kept, >= 1. ``None``: ``3 d`` clipped to [10, 50] (and to
        ``1e6 // d`` pairs, but at least 10, for very large ``d``); when the memory holds every
        pair since the start this is full BFGS.
    lr : float or None, default None
        Length of the first trial step, > 0. ``None``: ``1 / |grad|`` (a first step of unit
        length, as L-BFGS-B), which the line search extends or shortens. Later iterations
        always try the quasi-Newton step first.
    c1, c2 : float, default 1e-4, 0.9
        Wolfe constants, ``0 < c1 < 0.5`` and ``c1 < c2 < 1``.
    diagonal : bool, default True
        Use the diagonal (rather than scalar) initial matrix.
    max_evals : int, default 30
        Evaluations allowed per line search; if none is acceptable the memory is cleared and
        a diagonally scaled steepest-descent step is tried, after which the state is marked
        ``stalled``.

    Returns
    -------
    Optimizer

    Examples
    --------
    >>> import numpy as np
    >>> def rosen(t):
    ...     x, y = t
    ...     value = (1 - x) ** 2 + 100 * (y - x * x) ** 2
    ...     grad = np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])
    ...     return value, grad
    >>> opt = lbfgs()
    >>> theta = np.array([-1.2, 1.0])
    >>> state = opt.init(theta)
    >>> v, g = rosen(theta)
    >>> while np.max(np.abs(g)) > 1e-10:
    ...     step, state = opt.update(g, state, theta, value=v, fun=rosen)
    ...     theta, v, g = state.last_eval
    >>> np.round(theta, 8)
    array([1., 1.])
    """
    mem = None if memory is None else _check_int(memory, "memory", minimum=1)
    lr0 = None if lr is None else _check_lr(lr)
    c1 = _check_real(c1, "c1", low=0.0, high=0.5, high_open=True)
    c2 = _check_real(c2, "c2", low=c1, high=1.0, high_open=True)
    if not isinstance(diagonal, bool | np.bool_):
        raise TypeError(f"diagonal must be a bool, got {diagonal!r}")
    max_evals = _check_int(max_evals, "max_evals", minimum=1)

    def init(theta: np.ndarray) -> LBFGSState:
        th = _vec(theta, "theta")
        return LBFGSState(
            s_hist=(),
            y_hist=(),
            rho_hist=(),
            diag=None,
            prev_theta=None,
            prev_grad=None,
            lr=lr0,
            memory=mem or _auto_memory(th.size),
            count=0,
            n_evals=0,
            last_eval=None,
            stalled=False,
        )

    def update(
        grad: np.ndarray,
        state: LBFGSState,
        theta: np.ndarray | None = None,
        *,
        value: float | None = None,
        fun: Fun | None = None,
    ) -> tuple[np.ndarray, LBFGSState]:
        _check_state(state, LBFGSState, "lbfgs")
        fun, f0, th = _need_fun(fun, value, theta, "lbfgs")
        g = _check_grad(grad, th)
        if not np.any(g):
            return np.zeros_like(th), state._replace(count=state.count + 1, last_eval=None)
        hist = (state.s_hist, state.y_hist, state.rho_hist)
        diag = state.diag
        pair = _secant_pair(state.prev_theta, state.prev_grad, th, g)
        if pair is not None:
            s, y, sy = pair
            if diagonal:
                diag = _frozen(_update_diag(diag, s, y, sy, state.prev_grad))
            else:
                diag = _frozen(np.full(th.shape, float(y @ y) / sy))
            m = state.memory
            hist = (
                (*hist[0], _frozen(s))[-m:],
                (*hist[1], _frozen(y))[-m:],
                (*hist[2], 1.0 / sy)[-m:],
            )
        n_total = 0
        trial = None
        for attempt in range(2):
            if hist[0]:
                direction = -_two_loop(g, *hist, diag)
                alpha0 = 1.0
            elif diag is not None:
                direction = -g / diag
                alpha0 = 1.0
            else:
                direction = -g
                use_lr = state.lr is not None and state.count == 0
                alpha0 = state.lr if use_lr else 1.0 / max(math.sqrt(float(g @ g)), 1e-300)
            dphi0 = float(g @ direction)
            if not (dphi0 < 0.0 and math.isfinite(dphi0)):
                hist = ((), (), ())  # not a descent direction: drop the pairs and retry
                if attempt == 0:
                    continue
                break
            trial, n = _wolfe_search(
                fun, th, direction, f0, dphi0, alpha0, c1=c1, c2=c2, max_evals=max_evals
            )
            n_total += n
            if trial is not None or not hist[0]:
                break
            hist = ((), (), ())  # the quasi-Newton model failed: restart from the diagonal
        s_hist, y_hist, rho_hist = hist
        if trial is None:
            return np.zeros_like(th), state._replace(
                s_hist=s_hist,
                y_hist=y_hist,
                rho_hist=rho_hist,
                diag=diag,
                count=state.count + 1,
                n_evals=state.n_evals + n_total,
                last_eval=None,
                stalled=True,
            )
        new = LBFGSState(
            s_hist=s_hist,
            y_hist=y_hist,
            rho_hist=rho_hist,
            diag=diag,
            prev_theta=_frozen(th),
            prev_grad=_frozen(g),
            lr=trial.alpha,
            memory=state.memory,
            count=state.count + 1,
            n_evals=state.n_evals + n_total,
            last_eval=(_frozen(trial.theta), trial.value, _frozen(trial.grad)),
            stalled=False,
        )
        return trial.step, new

    return Optimizer("lbfgs", init, _quiet(update))


# --------------------------------------------------------------------------------------------
# registry


OPTIMIZERS: dict[str, Callable[..., Optimizer]] = {
    "gd": gd,
    "momentum": momentum,
    "nesterov": nesterov,
    "adam": adam,
    "backtracking": backtracking,
    "bb": bb,
    "lbfgs": lbfgs,
}
"""Factories by name; :func:`get_optimizer` accepts these keys."""

DEFAULT_OPTIMIZER: str = "lbfgs"
"""The fastest robust optimizer (see the module docstring for the measurement)."""


def get_optimizer(name_or_obj: str | Optimizer, *, lr: float | None = None) -> Optimizer:
    """Return an :class:`Optimizer` from its name, or pass an ``Optimizer`` through.

    Parameters
    ----------
    name_or_obj : str or Optimizer
        One of ``"gd"``, ``"momentum"``, ``"nesterov"``, ``"adam"``, ``"backtracking"``,
        ``"bb"``, ``"lbfgs"`` (case-insensitive), or an ``Optimizer`` object.
    lr : float or None, default None
        Step size (first trial step for the line-search methods). ``None``: each optimizer's
        default (``1e-2`` for gd/momentum/nesterov, ``1e-1`` for adam, ``1.0`` for
        backtracking, automatic for bb and lbfgs). Cannot be combined with an ``Optimizer``
        object, which carries its own.

    Returns
    -------
    Optimizer

    Raises
    ------
    ValueError
        Unknown name (the message lists the valid ones), or a bad ``lr``.
    TypeError
        ``name_or_obj`` is neither a string nor an ``Optimizer``.

    Examples
    --------
    >>> get_optimizer("adam").name
    'adam'
    >>> get_optimizer(DEFAULT_OPTIMIZER).name
    'lbfgs'
    """
    if isinstance(name_or_obj, Optimizer):
        if lr is not None:
            raise ValueError(
                "lr cannot be given with an Optimizer object; set it when "
                "creating the optimizer, e.g. gd(lr=...)"
            )
        return name_or_obj
    if not isinstance(name_or_obj, str):
        raise TypeError(
            f"optimizer must be a name ({', '.join(map(repr, OPTIMIZERS))}) or an "
            f"Optimizer, got {type(name_or_obj).__name__}"
        )
    key = name_or_obj.strip().lower()
    if key not in OPTIMIZERS:
        raise ValueError(
            f"unknown optimizer {name_or_obj!r}; valid names: {', '.join(map(repr, OPTIMIZERS))}"
        )
    factory = OPTIMIZERS[key]
    return factory() if lr is None else factory(lr=lr)


def suggest_step_size(fun: Fun, theta: np.ndarray, grad: np.ndarray | None = None) -> float:
    """A step size from the curvature of ``fun`` along the gradient: ``g'g / g'Hg``.

    ``Hg`` is a finite difference of gradients along ``u = g / |g|``. For a quadratic, plain
    gradient descent is stable for ``lr < 2 / lambda_max``, and the returned value (the exact
    line minimiser along ``-g``) is at least ``1 / lambda_max``, so it is a sensible ``lr`` to
    suggest when a fixed step has diverged (halve it to be safe on stiff problems).

    Parameters
    ----------
    fun : callable
        ``fun(theta) -> (value, grad)``.
    theta : array_like
        Point (1-D, finite) at which the curvature is measured.
    grad : array_like or None, default None
        Gradient at ``theta``; computed by ``fun`` when None.

    Returns
    -------
    float
        ``g'g / g'Hg``; ``nan`` when the gradient is zero, the curvature along it is not
        positive, or the finite difference cannot be computed.

    Examples
    --------
    >>> import numpy as np
    >>> H = np.diag([1.0, 4.0])
    >>> fun = lambda t: (float(0.5 * t @ H @ t), H @ t)
    >>> theta = np.array([1.0, 1.0])                  # g = (1, 4): g'g / g'Hg = 17 / 65
    >>> round(suggest_step_size(fun, theta), 6)
    0.261538
    """
    th = _vec(theta, "theta")
    g = _vec(grad, "grad") if grad is not None else np.asarray(fun(th)[1], dtype=np.float64)
    if g.shape != th.shape:
        raise ValueError(f"grad has shape {g.shape} but theta has shape {th.shape}")
    if not (np.all(np.isfinite(th)) and np.all(np.isfinite(g))):
        return math.nan
    gnorm = float(np.linalg.norm(g))
    if gnorm == 0.0:
        return math.nan
    u = g / gnorm
    h = math.sqrt(np.finfo(float).eps) * max(1.0, float(np.linalg.norm(th)))
    for _ in range(30):  # shrink h while the probe point is not finite
        with np.errstate(all="ignore"):
            _, g_h = fun(th + h * u)
            g_h = np.asarray(g_h, dtype=np.float64)
            if g_h.shape == th.shape and np.all(np.isfinite(g_h)):
                curv = float(u @ (g_h - g)) / h
                return 1.0 / curv if curv > 0.0 and math.isfinite(curv) else math.nan
        h *= 0.1
    return math.nan
