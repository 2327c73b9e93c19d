"""Second derivatives of a model's objective, for :class:`~bayesgd.space.UnconstrainedSpace`.

:class:`SpaceHessians` is the mixin behind :meth:`UnconstrainedSpace.hessian` (unconstrained
coordinates) and :meth:`UnconstrainedSpace.theta_hessian` (constrained ones): the likelihood's
part exact where the model declares a Hessian, the rest by five-point central differences of
the analytic gradient, with steps scaled to the curvature. The packing and the objective it
differentiates live in :mod:`bayesgd.space`.

Examples
--------
>>> from scipy import stats
>>> import bayesgd as bg
>>> from bayesgd.space import UnconstrainedSpace
>>> space = UnconstrainedSpace(bg.Binomial(k=7, n=10, p=stats.beta(2, 2)))
>>> space.hessian([0.0]).shape
(1, 1)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .numerics.differences import curvature_steps, five_point_hessian

__all__ = ["SpaceHessians"]

#: Relative step of the five-point central differences of the gradient (about eps^(1/5)).
_HESSIAN_STEP = 1e-3


class SpaceHessians:
    """Hessians of the objective in ``u`` and in ``c`` (mixed into UnconstrainedSpace)."""

    def hessian(self, u: Any, *, jacobian: bool = False, step: float | None = None) -> np.ndarray:
        """``d^2 L / du^2`` at one point: analytic where the model has a likelihood Hessian.

        With :meth:`~bayesgd.Model.hessian_log_likelihood` (every GLM), the likelihood's part
        is ``J' H J`` with ``J = d theta / d u``, exact; the rest (prior, transform curvature,
        ``log|det J|``) comes from central differences of its analytic gradient. Without it,
        the whole gradient is differenced. Differences use the five-point stencil (error of
        order ``h^4``), all gradients in one vectorised call, symmetrised, with steps scaled to
        the curvature (:func:`bayesgd.numerics.differences.curvature_steps`): a step of a fixed
        fraction of the value spans many posterior sds of a badly scaled coefficient.

        Parameters
        ----------
        u : array_like, shape (dim,)
        jacobian : bool, default False
        step : float, optional
            A fixed relative step ``h`` (per coordinate ``h * min(max(1, |u_j|), 10)``) instead
            of steps scaled to the curvature.

        Returns
        -------
        ndarray, shape (dim, dim)
        """
        u, batch = self._batch(u, self.dim, "u")
        if batch:
            raise ValueError(f"u must be a single point of shape ({self.dim},), got {u.shape}")
        rel = _HESSIAN_STEP if step is None else float(step)
        h0 = rel * np.minimum(np.maximum(1.0, np.abs(u)), 10.0)
        with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
            values = self._forward(u, ())
        hess_ll = self.model._hess_loglik(values)
        if hess_ll is None:
            full = lambda pts: self.loss_and_grad(pts, jacobian=jacobian)[1]  # noqa: E731
            return five_point_hessian(full, u, self._steps(full, u, h0, step))
        J = self.theta_jacobian(u)
        exact = -(J.T @ hess_ll @ J)
        g_ll = self.model._grad_loglik(values, ())

        def rest(pts):
            pts, b = self._batch(pts, self.dim, "u")
            with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
                gtheta = self._prior_grad_plus(self._forward(pts, b), b, g_ll)
                return self._pullback(pts, b, gtheta, jacobian)

        return self._differenced_rest(rest, exact, u, h0, step)

    @staticmethod
    def _steps(grad_fn, x, h0, step):
        return h0 if step is not None else curvature_steps(grad_fn, x, h0)

    def _differenced_rest(self, rest, exact, x, h0, step):
        """``exact`` plus the differenced Jacobian of ``rest``, symmetrised; the steps come from
        the curvature of the whole (``rest`` plus the exact quadratic)."""
        whole = lambda pts: rest(pts) + (pts - x) @ exact  # noqa: E731
        hess = exact + five_point_hessian(rest, x, self._steps(whole, x, h0, step))
        return 0.5 * (hess + hess.T)

    def theta_hessian(self, c: Any, *, step: float | None = None) -> np.ndarray:
        """``d^2 L / dc^2`` at one point: analytic where the model has a likelihood Hessian.

        As :meth:`hessian`, in the constrained coordinates (``A' H A``, with ``theta = A c +
        b``, for the likelihood). Differencing steps are scaled to the curvature and at most
        ``step * min(max(|c_j|, 1), d_j / 2)`` (default ``step`` 1e-3), with ``d_j`` the
        distance to the nearest edge of the support, so every evaluation stays inside it; a
        given ``step`` fixes them at that bound.
        """
        c, batch = self._batch(c, self.constrained_dim, "c")
        if batch:
            raise ValueError(
                f"c must be a single point of shape ({self.constrained_dim},), got {c.shape}"
            )
        rel = _HESSIAN_STEP if step is None else float(step)
        dist = self._distance_to_edge(c)
        if np.any(dist <= 0):
            raise ValueError("the point lies on the edge of the support; no Hessian there")
        h0 = rel * np.minimum(np.maximum(np.abs(c), 1.0), dist / 2.0)
        values = self.unflatten(c)
        hess_ll = self.model._hess_loglik(values)
        if hess_ll is None:
            full = lambda pts: self.theta_loss_and_grad(pts)[1]  # noqa: E731
            return five_point_hessian(full, c, self._steps(full, c, h0, step))
        A, _ = self.affine_from_constrained()
        exact = -(A.T @ hess_ll @ A)
        g_ll = self.model._grad_loglik(values, ())

        def rest(pts):
            pts, b = self._batch(pts, self.constrained_dim, "c")
            with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
                return self._theta_pullback(self._prior_grad_plus(self.unflatten(pts), b, g_ll), b)

        return self._differenced_rest(rest, exact, c, h0, step)

    def _distance_to_edge(self, c: np.ndarray) -> np.ndarray:
        dist = np.full(self.constrained_dim, np.inf)
        for b in self._blocks:
            x = c[b.cstart : b.cstop]
            if b.simplex:
                d = np.minimum(x, 1.0 - x.sum())
            else:
                low, high = (
                    np.broadcast_to(v, b.shape).reshape(-1)
                    for v in self.model.parameters[b.name].support
                )
                d = np.minimum(x - low, high - x)
            dist[b.cstart : b.cstop] = d
        return dist
