"""Pathfinder: Gaussians from the path that L-BFGS walks (Zhang, Carpenter, Gelman, Vehtari 2022).

Gradient descent toward the mode passes through the bulk of the posterior, and L-BFGS learns
the local curvature as it goes. At every iterate ``u_i`` of the package's own L-BFGS (run on
``L(u) = -log p(theta(u), D) - log|det J(u)|``), its inverse-Hessian estimate ``H_i`` (the
BFGS update of its diagonal initial matrix by the last ``history`` curvature pairs) gives a
Gaussian

    q_i = N(u_i - H_i grad L(u_i), H_i),

one quasi-Newton step from the iterate. The ELBO of every ``q_i`` is estimated from
``elbo_draws`` draws, and the best one is that path's approximation. Several paths from
dispersed starts are combined as the paper does: ``draws`` draws from each path's best
Gaussian are pooled and importance-resampled (Pareto-smoothed, :mod:`bayesgd.trust`) toward
the posterior; the PSIS k-hat of that step is kept.

Examples
--------
>>> from scipy import stats
>>> import bayesgd as bg
>>> m = bg.Normal(y=[1.0, 2.0, 0.5], mu=stats.norm(0, 10), sigma=1.0)
>>> q = bg.pathfinder(m, rng=0)
>>> round(q.mean()["mu"], 1), round(q.sd()["mu"], 1)       # exact 1.16, 0.58
(1.2, 0.6)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import logsumexp

from .. import optim
from .._validation import as_rng, check_positive_int
from ..errors import NotApplicableError
from ..models.base import Model
from ..optim._search import _secant_pair, _update_diag
from ..posterior import SamplePosterior
from ..space import UnconstrainedSpace
from ..trust import smooth_log_weights

__all__ = ["PathfinderPosterior", "pathfinder"]

_LOG_2PI = math.log(2.0 * math.pi)


@dataclass(frozen=True)
class _Gauss:
    """``N(mean, chol chol')`` with its draws and log density."""

    mean: np.ndarray
    chol: np.ndarray

    def draw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return self.mean + rng.standard_normal((n, self.mean.size)) @ self.chol.T

    def logpdf(self, u: np.ndarray) -> np.ndarray:
        from scipy.linalg import solve_triangular

        z = solve_triangular(self.chol, (u - self.mean).T, lower=True).T
        d = self.mean.size
        half_logdet = float(np.sum(np.log(np.diag(self.chol))))
        return -0.5 * np.sum(z * z, axis=-1) - half_logdet - 0.5 * d * _LOG_2PI


def _inverse_hessian(state: optim.LBFGSState, u: np.ndarray, g: np.ndarray) -> np.ndarray | None:
    """L-BFGS's inverse-Hessian estimate at ``u`` as a dense matrix (None without a pair).

    The pair from the previous iterate to ``u`` joins the stored ones, and the diagonal initial
    matrix takes its update, exactly as L-BFGS's next ``update`` does before its two-loop
    recursion; the BFGS recursion over the pairs then gives the matrix the recursion applies.
    """
    pairs = list(zip(state.s_hist, state.y_hist, state.rho_hist, strict=True))
    diag = state.diag
    new = _secant_pair(state.prev_theta, state.prev_grad, u, g)
    if new is not None:
        s, y, sy = new
        diag = _update_diag(diag, s, y, sy, state.prev_grad)
        pairs = [*pairs, (s, y, 1.0 / sy)][-state.memory :]
    if diag is None or not pairs:
        return None
    H = np.diag(1.0 / diag)
    eye = np.eye(u.size)
    for s, y, rho in pairs:
        left = eye - rho * np.outer(s, y)
        H = left @ H @ left.T + rho * np.outer(s, s)
    return 0.5 * (H + H.T)


@dataclass(frozen=True)
class PathSummary:
    """One path: its L-BFGS iterations, the iterate whose Gaussian was best, and its ELBO."""

    iterations: int
    best_iteration: int
    elbo: float


def _neg_log_p(space: UnconstrainedSpace, u: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        out = np.asarray(space.loss(u, jacobian=True), dtype=float)
    return np.where(np.isnan(out), np.inf, out)


def _single_path(space, u_start, rng, *, history, max_iter, tol, elbo_draws):
    """One L-BFGS path; returns (best Gaussian, PathSummary) or None if no Gaussian is usable."""
    opt = optim.lbfgs(memory=history)
    fun = space.objective(jacobian=True)
    u = np.asarray(u_start, dtype=float)
    value, grad = fun(u)
    if not (np.isfinite(value) and np.all(np.isfinite(grad))):
        return None
    state = opt.init(u)
    best: tuple[float, _Gauss | None, int] = (-np.inf, None, 0)
    it = 0
    for it in range(1, max_iter + 1):
        step, state = opt.update(grad, state, u, value=value, fun=fun)
        if state.stalled:
            break
        u = u + step
        last = state.last_eval
        value, grad = (last[1], last[2]) if last is not None else fun(u)
        best = max(best, _candidate(space, state, u, grad, it, rng, elbo_draws), key=_by_elbo)
        if np.max(np.abs(grad)) <= tol:
            break
    if best[1] is None:
        return None
    return best[1], PathSummary(it, best[2], best[0])


def _by_elbo(entry: tuple[float, Any, int]) -> float:
    return entry[0]


def _candidate(space, state, u, grad, it, rng, elbo_draws) -> tuple[float, _Gauss | None, int]:
    """The Gaussian at iterate ``it`` and its ELBO estimate."""
    H = _inverse_hessian(state, u, grad)
    if H is None:
        return (-np.inf, None, it)
    try:
        chol = np.linalg.cholesky(H)
    except np.linalg.LinAlgError:
        return (-np.inf, None, it)
    gauss = _Gauss(u - H @ grad, chol)
    x = gauss.draw(elbo_draws, rng)
    ratios = -_neg_log_p(space, x) - gauss.logpdf(x)
    elbo = float(np.mean(ratios)) if np.all(np.isfinite(ratios)) else -np.inf
    return (elbo, gauss, it)


class PathfinderPosterior(SamplePosterior):
    """Pathfinder's answer: importance-resampled draws from the paths' best Gaussians.

    Summaries come from the draws. The approximation itself, the equal-weight mixture of the
    paths' Gaussians on ``u``, evaluates its density at its own draws, so ``khat(model)`` and
    ``importance_resample(model)`` work on it as on any approximation.

    Attributes
    ----------
    paths : list of PathSummary
    psis_khat : float
        PSIS k-hat of the importance resampling across paths (single path: of its draws).
    ess : float
        Kish's effective sample size of the resampling weights.
    elbo : float
        The best path's ELBO estimate.
    components : list
        The paths' Gaussians on ``u`` (``mean``, ``chol``).
    """

    method = "pathfinder"

    def __init__(self, model, draws, *, space, components, paths, khat, ess):
        super().__init__(model, draws, method="pathfinder")
        self._sp = space
        self.components = list(components)
        self.paths = list(paths)
        self.psis_khat = float(khat)
        self.ess = float(ess)
        self.elbo = max(p.elbo for p in self.paths)

    def _draws_with_log_density(self, shape, rng):
        n = int(np.prod(shape, dtype=np.int64))
        which = rng.integers(0, len(self.components), size=n)
        u = np.empty((n, self._sp.dim))
        for j, comp in enumerate(self.components):
            pick = which == j
            u[pick] = comp.draw(int(pick.sum()), rng)
        log_q = _mixture_logpdf(self.components, u)
        with np.errstate(all="ignore"):
            theta = self._sp.to_constrained(u)
            log_q = log_q - self._sp.log_det_jacobian(u)
        theta = {k: v.reshape((*shape, *v.shape[1:])) for k, v in theta.items()}
        return theta, log_q.reshape(shape)


def _mixture_logpdf(components: list[_Gauss], u: np.ndarray) -> np.ndarray:
    logs = np.stack([c.logpdf(u) for c in components])
    return logsumexp(logs, axis=0) - math.log(len(components))


def _validate(model, paths, draws, elbo_draws, history, max_iter, init_radius) -> None:
    if not isinstance(model, Model):
        raise TypeError(f"model must be a bayesgd Model, got {type(model).__name__}")
    check_positive_int(paths, "paths")
    check_positive_int(draws, "draws", minimum=2)
    check_positive_int(elbo_draws, "elbo_draws")
    check_positive_int(history, "history")
    check_positive_int(max_iter, "max_iter")
    if isinstance(init_radius, bool) or not isinstance(init_radius, int | float):
        raise TypeError(f"init_radius must be a number >= 0, got {init_radius!r}")
    if not 0 <= init_radius < np.inf:
        raise ValueError(f"init_radius must be a finite number >= 0, got {init_radius!r}")


def pathfinder(
    model: Model,
    *,
    paths: int = 4,
    draws: int = 1000,
    elbo_draws: int = 25,
    history: int = 5,
    max_iter: int = 1000,
    tol: float = 1e-8,
    init_radius: float = 2.0,
    rng: Any = None,
) -> PathfinderPosterior:
    """Multi-path Pathfinder: Gaussians along L-BFGS paths, combined by importance resampling.

    Parameters
    ----------
    model : Model
        Any bayesgd model.
    paths : int, default 4
        Independent L-BFGS paths, started at the model's central point (in ``u``) plus a
        uniform jitter in ``(-init_radius, init_radius)`` per coordinate (Stan's default 2).
    draws : int, default 1000
        Draws from each path's best Gaussian; ``draws`` are returned after resampling.
    elbo_draws : int, default 25
        Draws for each iterate's ELBO estimate (Stan's default).
    history : int, default 5
        Curvature pairs kept by L-BFGS (Stan's default).
    max_iter : int, default 1000
        L-BFGS iterations per path at the most.
    tol : float, default 1e-8
        L-BFGS stops when every gradient component is below this.
    init_radius : float, default 2.0
    rng : numpy Generator or seed, optional

    Returns
    -------
    PathfinderPosterior

    Raises
    ------
    ValueError, TypeError
        ``paths`` < 1 and other bad counts.
    NotApplicableError
        No path produced a usable Gaussian (a density that is not finite along every path).

    Examples
    --------
    >>> from scipy import stats
    >>> import bayesgd as bg
    >>> q = bg.pathfinder(bg.Binomial(k=7, n=10, p=stats.beta(2, 2)), paths=2, rng=0)
    >>> len(q.paths), q.sample(3, rng=0)["p"].shape
    (2, (3,))
    """
    _validate(model, paths, draws, elbo_draws, history, max_iter, init_radius)
    from ..map import central_point

    gen = as_rng(rng)
    space = UnconstrainedSpace(model)
    centre = space.to_unconstrained(central_point(model))
    found = []
    for _ in range(paths):
        start = centre + gen.uniform(-init_radius, init_radius, size=space.dim)
        path = _single_path(
            space, start, gen, history=history, max_iter=max_iter, tol=tol, elbo_draws=elbo_draws
        )
        if path is not None:
            found.append(path)
    if not found:
        raise NotApplicableError(
            f"pathfinder: none of {paths} L-BFGS paths gave a Gaussian with a finite ELBO (the "
            "log density is not finite along the paths); try bg.vi or bg.laplace"
        )
    return _combine(model, space, found, draws, gen)


def _combine(model, space, found, draws, gen) -> PathfinderPosterior:
    """Pool ``draws`` from each path's Gaussian and resample ``draws`` of them by PSIS."""
    components = [g for g, _ in found]
    u = np.concatenate([g.draw(draws, gen) for g in components])
    log_ratio = -_neg_log_p(space, u) - _mixture_logpdf(components, u)
    log_weights, khat = smooth_log_weights(log_ratio)
    weights = np.exp(log_weights)
    weights = weights / weights.sum()
    idx = gen.choice(u.shape[0], size=draws, replace=True, p=weights)
    with np.errstate(all="ignore"):
        theta = space.to_constrained(u[idx])
    return PathfinderPosterior(
        model,
        theta,
        space=space,
        components=components,
        paths=[p for _, p in found],
        khat=khat,
        ess=float(1.0 / np.sum(weights**2)),
    )
