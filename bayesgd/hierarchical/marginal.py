"""Type-II MAP and the Laplace approximation on the hyperparameters' marginal posterior.

:func:`marginal_map` runs the package's L-BFGS (:func:`bayesgd.optim.lbfgs`) on
``-log p(h | y)``, the groups integrated out exactly, with the exact analytic gradient; this
is the mode lme4 reports. :func:`marginal_laplace` puts a Gaussian on the grid coordinates at the
mode of their density and draws the groups from their exact conditionals.

Examples
--------
>>> import numpy as np
>>> from scipy import stats
>>> from bayesgd.hierarchical import Poisson, hierarchical
>>> m = Poisson(k=[5, 1, 5, 14, 3], exposure=[94.3, 15.7, 62.9, 126.0, 5.24],
...             mu=hierarchical(stats.gamma, a=stats.expon(scale=1), scale=stats.expon(scale=1)))
>>> fit = marginal_map(m)
>>> fit.converged, sorted(fit.params)
(True, ['a', 'scale'])
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._validation import as_rng, check_positive_int
from ..errors import BoundaryWarning, ConvergenceWarning, NotApplicableError
from ..optim import lbfgs
from ..posterior import SamplePosterior
from .model import HierarchicalModel

__all__ = ["MarginalMAPResult", "marginal_laplace", "marginal_map"]

#: A positive hyperparameter whose log falls below this, still pulled down, is at its edge.
EDGE = -12.0


@dataclass
class MarginalMAPResult:
    """The mode of the hyperparameters' marginal posterior (type-II MAP).

    Attributes
    ----------
    params : dict
        Hyperparameter (model name) -> value.
    z : ndarray
        The mode in grid coordinates.
    loss : float
        ``-log p(h | y)`` at the mode (up to the hyperprior's constant).
    grad_norm : float
        Max-norm of the gradient in grid coordinates at the end.
    iterations : int
    converged, at_boundary : bool
    jacobian : bool
        Whether the mode is of the density of the grid coordinates (True) or of the
        hyperparameters in their own parametrisation (False).
    history : list of (z, loss, grad_norm)
    """

    params: dict[str, float]
    z: np.ndarray
    loss: float
    grad_norm: float
    iterations: int
    converged: bool
    at_boundary: bool
    jacobian: bool
    history: list[tuple[np.ndarray, float, float]] = field(default_factory=list, repr=False)
    method = "marginal-map"


def _start(model: HierarchicalModel, init: Any) -> np.ndarray:
    h0 = dict(model.inner.start())
    if init is not None:
        names = {model.spec.names[a]: a for a in model.spec.free}
        unknown = set(init) - set(names)
        if unknown:
            raise ValueError(f"init names unknown hyperparameters {sorted(unknown)}")
        h0.update({names[k]: float(v) for k, v in init.items()})
    return model.coords.inverse({a: h0[a] for a in model.spec.free})


def marginal_map(
    model: HierarchicalModel,
    *,
    jacobian: bool = False,
    tol: float = 1e-8,
    max_iter: int = 1000,
    init: dict[str, float] | None = None,
    record: bool = False,
) -> MarginalMAPResult:
    """Type-II MAP: L-BFGS on the negative log marginal posterior of the hyperparameters.

    Parameters
    ----------
    model : HierarchicalModel
    jacobian : bool, default False
        False: the mode of ``p(h | y)`` in the hyperparameters' own parametrisation (what lme4
        reports). True: the mode of the density of the grid coordinates (finite even where a
        scale's mode is 0, as for the eight schools under a flat prior on ``tau``).
    tol : float, default 1e-8
        Stop when the max-norm of the gradient (grid coordinates) falls below ``tol``.
    max_iter : int, default 1000
    init : dict, optional
        Starting values by hyperparameter name (default: moment-style estimates from the data).
    record : bool, default False
        Keep ``(z, loss, grad_norm)`` per iteration in ``history``.

    Returns
    -------
    MarginalMAPResult
        Warns :class:`bayesgd.BoundaryWarning` (``at_boundary=True``) when a positive
        hyperparameter runs to 0, :class:`bayesgd.ConvergenceWarning` when out of iterations.
    """
    check_positive_int(max_iter, "max_iter")
    z = _start(model, init)

    def fun(theta):
        value, grad = model.value_and_grad(theta, jacobian=jacobian)
        return -value, -grad

    loss, grad = fun(z)
    if not np.isfinite(loss) or not np.all(np.isfinite(grad)):
        raise ValueError(f"the log marginal posterior is not finite at the start {z}")
    opt = lbfgs()
    state = opt.init(z)
    history, it, at_edge = [], 0, False
    while it < max_iter:
        if _size(model, z, grad, jacobian) < tol:
            break
        it += 1
        _, state = opt.update(grad, state, z, value=loss, fun=fun)
        z, loss, grad = state.last_eval
        if record:
            history.append((np.array(z), float(loss), float(np.max(np.abs(grad)))))
        at_edge = _on_edge(model, z, grad)
        if at_edge or state.stalled:
            break
    at_edge = at_edge or _on_edge(model, z, grad)
    gnorm = float(np.max(np.abs(grad)))
    converged = _size(model, z, grad, jacobian) < tol or bool(state.stalled and not at_edge)
    if at_edge:
        warnings.warn(
            f"the marginal mode is on the edge of the support (a scale -> 0) at z={z}; the "
            "density of the grid coordinates (jacobian=True) has an interior mode",
            BoundaryWarning,
            stacklevel=2,
        )
    elif not converged:
        warnings.warn(
            f"marginal_map: not converged in {max_iter} iterations",
            ConvergenceWarning,
            stacklevel=2,
        )
    h = model.hyper_at(np.asarray(z)[None])
    params = {model.spec.names[a]: float(h[a][0]) for a in model.spec.free}
    if at_edge and not model.coords.beta_pair:
        for a, pos, zi, gi in zip(model.spec.free, model.coords.positive, z, grad, strict=True):
            if pos and zi < EDGE and gi > 0:
                params[model.spec.names[a]] = 0.0  # the mode is the support's edge itself
    return MarginalMAPResult(
        params, np.asarray(z), float(loss), gnorm, it, converged, at_edge, jacobian, history
    )


def _size(model: HierarchicalModel, z: np.ndarray, grad: np.ndarray, jacobian: bool) -> float:
    """Max-norm of the gradient, in ``h`` rather than ``log h`` for positive ``h < 1`` without
    the Jacobian (there the gradient in ``log h`` vanishes like ``h`` toward a mode at 0)."""
    if jacobian or model.coords.beta_pair:
        return float(np.max(np.abs(grad)))
    scale = np.where(model.coords.positive, np.minimum(np.exp(np.minimum(z, 0)), 1.0), 1.0)
    return float(np.max(np.abs(grad) / scale))


def _on_edge(model: HierarchicalModel, z: np.ndarray, loss_grad: np.ndarray) -> bool:
    """A positive coordinate far below 1 whose loss still falls toward 0: the mode is at 0.

    Without the Jacobian the gradient in ``log h`` vanishes like ``h`` as ``h -> 0``, so the
    optimiser may stop there with a small gradient; the sign says which way the mode lies.
    """
    if model.coords.beta_pair:
        return bool(z[1] < EDGE and loss_grad[1] > 0)
    return any(
        p and zi < EDGE and gi > 0
        for p, zi, gi in zip(model.coords.positive, z, loss_grad, strict=True)
    )


def hessian(model: HierarchicalModel, z: np.ndarray) -> np.ndarray:
    """Hessian of the log density of the grid coordinates: central differences of the exact
    gradient, symmetrised."""
    d = len(z)
    out = np.empty((d, d))
    for i in range(d):
        step = 1e-5 * max(1.0, abs(z[i]))
        e = np.zeros(d)
        e[i] = step
        up = model.value_and_grad(z + e)[1]
        down = model.value_and_grad(z - e)[1]
        out[i] = (up - down) / (2 * step)
    return 0.5 * (out + out.T)


def marginal_laplace(
    model: HierarchicalModel, *, draws: int = 4000, rng: Any = None
) -> SamplePosterior:
    """Gaussian on the grid coordinates at their mode; groups from their exact conditionals.

    Returns a :class:`bayesgd.SamplePosterior` of ``draws`` joint draws (method
    ``"laplace-marginal"``): hyperparameters from the Gaussian mapped back, each group's
    parameter from its conjugate conditional given them.

    Examples
    --------
    >>> from scipy import stats
    >>> from bayesgd.hierarchical import Binomial, hierarchical
    >>> m = Binomial(k=[2, 5, 9], n=[20, 20, 20],
    ...              p=hierarchical(stats.beta, a=stats.expon(scale=5), b=stats.expon(scale=20)))
    >>> post = marginal_laplace(m, draws=500, rng=0)
    >>> post.method
    'laplace-marginal'
    """
    check_positive_int(draws, "draws")
    rng = as_rng(rng)
    fit = marginal_map(model, jacobian=True)
    hess = hessian(model, fit.z)
    try:
        chol = np.linalg.cholesky(np.linalg.inv(-hess))
    except np.linalg.LinAlgError as exc:
        raise NotApplicableError(
            f"the marginal posterior's Hessian at the mode {fit.params} is not negative "
            "definite: no Laplace approximation there"
        ) from exc
    z = fit.z + rng.standard_normal((draws, len(fit.z))) @ chol.T
    out = sample_groups(model, z, rng)
    post = SamplePosterior(model, out, method="laplace-marginal")  # type: ignore[arg-type]
    post.mode_z, post.cov_z = fit.z, chol @ chol.T  # type: ignore[attr-defined]
    return post


def sample_groups(model: HierarchicalModel, z: np.ndarray, rng: np.random.Generator) -> dict:
    """Joint draws at grid coordinates ``z`` (shape ``(n, d)``): the hyperparameters there and
    each group's parameter from its exact conditional."""
    h = model.hyper_at(z)
    out = {model.spec.names[a]: h[a] for a in model.spec.free}
    cond = model.inner.conditional(h)
    out[model.group] = cond.rvs(random_state=rng)
    return out
