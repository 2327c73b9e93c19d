"""The Laplace fit: find the mode, measure the curvature there, build the posterior."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import NotApplicableError
from ..map import MAPResult, map_estimate
from ..models.base import Model, routes_to_hierarchical
from ..space import UnconstrainedSpace
from ._checks import _SPACES, _cholesky, _warn_near_singular
from .posterior import LaplacePosterior

__all__ = ["laplace"]


def laplace(
    model: Model,
    *,
    space: str = "unconstrained",
    map_result: MAPResult | None = None,
    **map_kwargs: Any,
) -> LaplacePosterior:
    """Gaussian approximation at the posterior mode (the Laplace approximation).

    Parameters
    ----------
    model : Model
    space : {"unconstrained", "constrained"}, default "unconstrained"
        ``"unconstrained"``: a Gaussian on ``u`` at the Jacobian-adjusted mode (as Stan and
        PyMC), pushed through the transforms. ``"constrained"``: a Gaussian on ``theta`` at the
        MAP (rethinking's ``quap``). See the module docstring.
    map_result : MAPResult, optional
        A mode already found for this model; it must be the right kind (``jacobian=True`` for
        the unconstrained space, ``False`` for the constrained one).
    **map_kwargs
        Passed to :func:`bayesgd.map_estimate` (``optimizer``, ``tol``, ``starts``, ``rng``,
        ...) when ``map_result`` is None; ``jacobian`` is set by ``space``.

    Returns
    -------
    LaplacePosterior

    Raises
    ------
    ValueError
        Invalid ``space``; a ``map_result`` of another model or the wrong kind; a mode on the
        edge of the support or at a kink of the log density (no Gaussian approximation there).

    Warns
    -----
    SupportWarning
        ``space="constrained"`` and the Gaussian puts more than 1% of some element's mass
        outside its support (exact, from the Normal cdf; per element in ``.mass_outside``).
    NearSingularWarning
        The Hessian at the mode is nearly singular (correlation-scaled eigenvalues below
        ``SINGULAR_RATIO`` of the largest) or some Laplace sd exceeds ``PRIOR_SD_RATIO``
        prior sds: the mode is poorly identified.
    NotPositiveDefiniteError
        The Hessian at the mode is not positive definite.

    Examples
    --------
    >>> from scipy import stats
    >>> import bayesgd as bg
    >>> post = laplace(bg.Poisson(k=[3, 5, 4], mu=stats.gamma(2, scale=1.0)))
    >>> post.space
    'unconstrained'
    >>> round(post.quantile(0.5)["mu"], 6)            # exp of the mode of log(mu): 14 / 4
    3.5
    """
    if routes_to_hierarchical(model):  # the Gaussian at the marginal (type-II) mode
        return model.marginal_laplace(**map_kwargs)
    if not isinstance(model, Model):
        raise TypeError(f"model must be a bayesgd Model, got {type(model).__name__}")
    if not isinstance(space, str) or space not in _SPACES:
        raise ValueError(f"space must be 'unconstrained' or 'constrained', got {space!r}")
    if "jacobian" in map_kwargs:
        raise TypeError(
            "laplace() sets jacobian from space: space='unconstrained' uses the mode of the "
            "density of u (jacobian=True), space='constrained' the MAP (jacobian=False)"
        )
    jacobian = space == "unconstrained"
    if map_result is None:
        map_result = map_estimate(model, jacobian=jacobian, **map_kwargs)
    else:
        if map_kwargs:
            raise TypeError(
                f"map_result was given, so map_estimate options {sorted(map_kwargs)} have no "
                "effect; pass one or the other"
            )
        if not isinstance(map_result, MAPResult):
            raise TypeError(f"map_result must be a MAPResult, got {type(map_result).__name__}")
        if map_result.model is not None and map_result.model is not model:
            raise ValueError("map_result was computed for another model")
        if map_result.jacobian != jacobian:
            raise ValueError(
                f"space={space!r} needs the mode found with jacobian={jacobian}, but map_result "
                f"has jacobian={map_result.jacobian}; call map_estimate(model, "
                f"jacobian={jacobian})"
            )
    if map_result.at_boundary:
        raise NotApplicableError(
            f"the mode lies on the edge of the support ({', '.join(map_result.boundary)}): the "
            "log density has no zero gradient there, so no Gaussian (Laplace) approximation "
            "exists; use bg.grid or bg.sample_pymc"
        )
    if getattr(map_result, "at_kink", False):
        raise NotApplicableError(
            "the mode is at a kink of the log density (it is not differentiable there, e.g. "
            "the peak of a Laplace prior), so it has no curvature and no Gaussian (Laplace) "
            "approximation exists; use bg.grid or bg.sample_pymc"
        )
    sp = UnconstrainedSpace(model)
    if jacobian:
        center = np.asarray(map_result.u, dtype=float)
        hess = sp.hessian(center, jacobian=True)
        loss = float(sp.loss(center, jacobian=True))
        names = sp.names
    else:
        center = sp.flatten(map_result.params)
        hess = sp.theta_hessian(center)
        loss = float(sp.theta_loss_and_grad(center)[0])
        names = sp.constrained_names
    chol = _cholesky(hess, names, space)
    eye = np.eye(center.size)
    inv_chol = np.linalg.solve(chol, eye)
    cov = inv_chol.T @ inv_chol
    cov = 0.5 * (cov + cov.T)
    _warn_near_singular(sp, hess, cov, names, space)
    d = center.size
    log_evidence = -loss + 0.5 * d * math.log(2.0 * math.pi) - float(np.sum(np.log(np.diag(chol))))
    return LaplacePosterior(
        model,
        space=space,
        mean_vector=center,
        cov=cov,
        hessian=hess,
        log_evidence=log_evidence,
        map_result=map_result,
        _space=sp,
    )
