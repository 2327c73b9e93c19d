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

from collections.abc import Callable

from ._advice import suggest_step_size
from ._backtracking import BacktrackingState, backtracking
from ._base import Optimizer
from ._bb import BBState, bb
from ._fixed import AdamState, GDState, MomentumState, adam, gd, momentum, nesterov
from ._lbfgs import LBFGSState, lbfgs

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
