"""Variational inference: gradient descent on the negative ELBO (ADVI).

:func:`vi` fits a Gaussian ``q(u)`` on the model's unconstrained vector ``u`` (the space
:func:`bayesgd.map_estimate` descends in) by minimising

    -ELBO(q) = E_q[L(u)] - H(q),   L(u) = -log p(theta(u), D) - log|det J(u)|

with the same update rules as the MAP, now on the parameters of ``q`` instead of on a point
(Kucukelbir et al. 2017, "Automatic differentiation variational inference"). The gradient is
the reparameterisation estimate ``u = mu + L eps``, ``eps ~ N(0, I)``, built on the model's exact
gradient of the log density; no autodiff framework is involved::

    d(-ELBO)/d mu = E[grad L(u)]           d(-ELBO)/d L = E[grad L(u) eps'] - diag(1 / L_ii)

``family="meanfield"`` takes ``L`` diagonal (independent Normals in ``u``), ``"fullrank"`` a
lower-triangular ``L`` (any covariance). The diagonal of ``L`` is stored as its logarithm.

Scale
-----
Descent runs on ``z`` with ``u = u0 + C z``: ``u0`` is the Jacobian-adjusted mode and ``C``
the Cholesky factor of the inverse Hessian there (full rank) or the inverse square root of its
diagonal (mean-field, which keeps the family mean-field in ``u``), so that Adam's step means
the same on every coordinate however badly scaled or correlated the parameters are. ``q``
starts at ``N(0, I)`` in ``z``. Without a mode (an unbounded density) ``u0`` is the model's
central point and ``C = I``.

Convergence
-----------
As Stan's ADVI: every ``eval_every`` iterations the ELBO is estimated from ``elbo_draws`` draws
(the same draws each time, so that the change is the change of ``q`` and not Monte Carlo noise),
and the relative change ``|ELBO_t - ELBO_(t-1)| / |ELBO_t|`` enters a circular buffer;
the run has converged when the buffer's mean or median falls below ``tol``. Stochastic
iterates then keep fluctuating around the optimum, so the run continues for half as many
iterations again with a step decaying as ``1 / sqrt(k)`` and returns the Polyak average of the
iterates of that phase; the spread of their block means gives the Monte Carlo standard error
of the fitted parameters (``mcse``).

Examples
--------
>>> import numpy as np
>>> from scipy import stats
>>> import bayesgd as bg
>>> m = bg.Normal(y=[1.0, 2.0, 0.5], mu=stats.norm(0, 10), sigma=1.0)
>>> q = bg.vi(m, family="fullrank", rng=0)
>>> round(q.mean()["mu"], 2), round(q.sd()["mu"], 2)        # exact: 1.16, 0.58
(1.16, 0.58)
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import optim
from .._validation import as_rng, check_positive_int
from ..errors import ConvergenceWarning, DivergenceError, NotApplicableError
from ..laplace import LaplacePosterior
from ..models.base import Model
from ..space import UnconstrainedSpace

__all__ = ["VIPosterior", "vi"]

FAMILIES = ("meanfield", "fullrank")
_LOG_2PI = math.log(2.0 * math.pi)


@dataclass(frozen=True)
class _Gaussian:
    """How one variational family packs ``(mu, L)`` into the flat vector ``phi``."""

    name: str
    dim: int

    @property
    def size(self) -> int:
        d = self.dim
        return 2 * d if self.name == "meanfield" else d + d * (d + 1) // 2

    def initial(self) -> np.ndarray:
        return np.zeros(self.size)  # mu = 0, log diag L = 0, off-diagonal 0: N(0, I)

    def unpack(self, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(mu, L)``; ``L`` is a vector of scales for mean-field, a matrix for full rank."""
        d = self.dim
        mu = phi[:d]
        if self.name == "meanfield":
            return mu, np.exp(phi[d:])
        L = np.zeros((d, d))
        L[np.tril_indices(d, -1)] = phi[2 * d :]
        L[np.diag_indices(d)] = np.exp(phi[d : 2 * d])
        return mu, L

    def draw(self, phi: np.ndarray, eps: np.ndarray) -> np.ndarray:
        mu, L = self.unpack(phi)
        return mu + (eps * L if self.name == "meanfield" else eps @ L.T)

    def log_det_scale(self, phi: np.ndarray) -> float:
        d = self.dim
        return float(np.sum(phi[d : 2 * d]))

    def pullback(self, phi: np.ndarray, eps: np.ndarray, gz: np.ndarray) -> np.ndarray:
        """Gradient of ``E[L] - H`` with respect to ``phi`` from draws' gradients ``gz``."""
        d = self.dim
        mu_grad = gz.mean(axis=0)
        _, L = self.unpack(phi)
        if self.name == "meanfield":
            return np.concatenate([mu_grad, (gz * eps).mean(axis=0) * L - 1.0])
        G = gz.T @ eps / len(eps)  # E[g eps'], d x d
        diag = np.diag(G) * np.diag(L) - 1.0  # chain rule through exp, minus d H / d log L_ii
        return np.concatenate([mu_grad, diag, G[np.tril_indices(d, -1)]])

    def covariance(self, phi: np.ndarray) -> np.ndarray:
        _, L = self.unpack(phi)
        return np.diag(L * L) if self.name == "meanfield" else L @ L.T


class VIPosterior(LaplacePosterior):
    """A Gaussian on the unconstrained ``u`` fitted by descent on the negative ELBO.

    It answers every question of the posterior interface as the unconstrained Laplace
    approximation does (closed forms where the transform allows, draws otherwise).

    Attributes
    ----------
    family : str
        ``"meanfield"`` or ``"fullrank"``.
    mean_vector, cov : numpy.ndarray
        The Gaussian on ``u``.
    elbo : float
        The ELBO at the fitted ``q``, from ``final_draws`` draws; ``elbo_mcse`` its Monte Carlo
        standard error.
    log_evidence : float
        The ELBO: an estimate of a lower bound of ``log p(D)``.
    mcse : dict
        Monte Carlo standard errors of ``mean_vector`` and of the scales ``sqrt(diag(cov))``.
    history : pandas.DataFrame
        ``iteration``, ``elbo``, ``rel_change`` at every ELBO evaluation.
    iterations : int
    converged : bool
    """

    method = "vi"

    def __init__(
        self,
        model: Model,
        *,
        family: str,
        mean_vector: np.ndarray,
        cov: np.ndarray,
        elbo: float,
        elbo_mcse: float,
        mcse: Mapping[str, np.ndarray],
        history: Any,
        iterations: int,
        converged: bool,
        space: UnconstrainedSpace,
    ):
        super().__init__(
            model,
            space="unconstrained",
            mean_vector=mean_vector,
            cov=cov,
            hessian=np.linalg.inv(cov),
            log_evidence=elbo,
            map_result=None,
            _space=space,
        )
        self.family = family
        self.elbo = float(elbo)
        self.elbo_mcse = float(elbo_mcse)
        self.mcse = {k: np.array(v, copy=True) for k, v in mcse.items()}
        self.history = history
        self.iterations = int(iterations)
        self.converged = bool(converged)

    @property
    def log_evidence(self) -> float:
        """The ELBO, a lower bound of ``log p(D)`` (estimated; see ``elbo_mcse``)."""
        return self.elbo

    @property
    def map_params(self) -> dict[str, Any]:
        raise AttributeError("a variational posterior is not centred on a MAP")

    def __repr__(self) -> str:
        head = (
            f"<VIPosterior ({self.family}) of {self.model!r}: ELBO {self.elbo:.4g} "
            f"± {self.elbo_mcse:.2g}, {self.iterations} iterations"
            f"{'' if self.converged else ', not converged'}>"
        )
        return f"{head}\n{self.summary().to_string()}"


def _check_family(family: Any) -> str:
    if not isinstance(family, str) or family not in FAMILIES:
        raise ValueError(f"family must be one of {FAMILIES}, got {family!r}")
    return family


@dataclass(frozen=True)
class _Frame:
    """The preconditioned coordinates ``u = u0 + C z``; ``C`` a vector (diagonal) or matrix."""

    u0: np.ndarray
    C: np.ndarray

    def to_u(self, z: np.ndarray) -> np.ndarray:
        return self.u0 + (z * self.C if self.C.ndim == 1 else z @ self.C.T)

    def pull(self, gu: np.ndarray) -> np.ndarray:
        """Gradient in ``z`` from gradient in ``u``."""
        return gu * self.C if self.C.ndim == 1 else gu @ self.C

    @property
    def log_det(self) -> float:
        diag = self.C if self.C.ndim == 1 else np.diag(self.C)
        return float(np.sum(np.log(diag)))

    def moments(self, mu_z: np.ndarray, cov_z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        C = np.diag(self.C) if self.C.ndim == 1 else self.C
        return self.u0 + C @ mu_z, C @ cov_z @ C.T


def _frame(model: Model, space: UnconstrainedSpace, family: str) -> _Frame:
    """Preconditioned coordinates centred on the Jacobian-adjusted mode.

    Full rank: ``C`` is the Cholesky factor of the inverse Hessian there (the family is
    affine-invariant, so this changes only how well-conditioned the descent is). Mean-field:
    ``C`` is ``1 / sqrt(diag H)``, the optimal mean-field scale of a Gaussian, which keeps the
    family mean-field in ``u``. Without a mode (an unbounded density) or a positive curvature,
    the central point and unit scales.
    """
    from ..map import central_point, map_estimate

    d = space.dim
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fit = map_estimate(model, jacobian=True, record=False)
            u0 = space.to_unconstrained(fit.params)
            H = space.hessian(u0, jacobian=True)
        except (DivergenceError, NotApplicableError, np.linalg.LinAlgError):
            return _Frame(space.to_unconstrained(central_point(model)), np.ones(d))
    if family == "fullrank" and np.all(np.isfinite(H)):
        try:
            return _Frame(u0, np.linalg.cholesky(np.linalg.inv(0.5 * (H + H.T))))
        except np.linalg.LinAlgError:
            pass
    curvature = np.diag(H)
    ok = np.isfinite(curvature) & (curvature > 0)
    scale = np.ones(d)
    scale[ok] = 1.0 / np.sqrt(curvature[ok])
    return _Frame(u0, scale)


class _Objective:
    """``-ELBO`` and its gradient in ``phi`` for fixed standard-normal draws ``eps``."""

    def __init__(self, space: UnconstrainedSpace, gauss: _Gaussian, frame: _Frame):
        self.space, self.gauss, self.frame = space, gauss, frame
        self.entropy_const = 0.5 * gauss.dim * (1.0 + _LOG_2PI) + frame.log_det

    def entropy(self, phi: np.ndarray) -> float:
        return self.entropy_const + self.gauss.log_det_scale(phi)

    def losses(self, phi: np.ndarray, eps: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):  # a diverging q is detected by the caller
            u = self.frame.to_u(self.gauss.draw(phi, eps))
            return np.asarray(self.space.loss(u, jacobian=True), dtype=float)

    def __call__(self, phi: np.ndarray, eps: np.ndarray) -> tuple[float, np.ndarray]:
        with np.errstate(all="ignore"):  # a diverging q is detected by the caller
            u = self.frame.to_u(self.gauss.draw(phi, eps))
            loss, gu = self.space.loss_and_grad(u, jacobian=True)
            value = float(np.mean(loss)) - self.entropy(phi)
            return value, self.gauss.pullback(phi, eps, self.frame.pull(gu))


#: Default step sizes of the fixed-step optimizers (as :func:`bayesgd.optim.get_optimizer`).
_DEFAULT_LR = {"gd": 1e-2, "momentum": 1e-2, "nesterov": 1e-2, "adam": 1e-1}


def _diverged(objective: _Objective, it: int, opt, lr: float, eps: np.ndarray):
    """A DivergenceError with a step size that fits the curvature of ``-ELBO`` at fixed draws.

    For the gradient-scaled rules (gd, momentum, Nesterov) that is half the exact line
    minimiser along the gradient at the starting ``q`` (stable for a quadratic); Adam's step
    is about ``lr`` per coordinate whatever the gradient, so it gets a tenth of its ``lr``.
    """
    suggested = lr / 10.0
    if opt.name in ("gd", "momentum", "nesterov"):
        start = objective.gauss.initial()  # where q is sane: the curvature there
        with np.errstate(all="ignore"):
            curv = optim.suggest_step_size(lambda p: objective(p, eps), start)
        if np.isfinite(curv) and curv > 0:
            suggested = min(0.5 * curv, suggested)
    return DivergenceError(
        f"the ELBO became non-finite at iteration {it} with {opt.name} lr={lr:g}: the step is "
        f"too long for the curvature of -ELBO here; try lr={suggested:.3g}",
        iteration=it,
        suggested_lr=suggested,
        reason="nonfinite",
    )


@dataclass
class _Run:
    """The descent's state: the iterate, the optimizer state, the convergence buffer."""

    phi: np.ndarray
    state: Any
    buffer: list[float]
    last_elbo: float | None = None


def _stan_converged(buffer: list[float], tol: float) -> bool:
    return len(buffer) > 0 and (np.mean(buffer) < tol or np.median(buffer) < tol)


def _validate(
    model: Any, family: Any, grad_draws: Any, elbo_draws: Any, max_iter: Any, tol: Any
) -> None:
    if not isinstance(model, Model):
        raise TypeError(f"model must be a bayesgd Model, got {type(model).__name__}")
    _check_family(family)
    check_positive_int(grad_draws, "grad_draws")
    check_positive_int(elbo_draws, "elbo_draws")
    check_positive_int(max_iter, "max_iter")
    if isinstance(tol, bool) or not isinstance(tol, int | float) or not 0 < tol < 1:
        raise ValueError(f"tol must be a number in (0, 1), got {tol!r}")


def vi(
    model: Model,
    *,
    family: str = "meanfield",
    optimizer: str | optim.Optimizer = "adam",
    lr: float | None = None,
    grad_draws: int = 8,
    max_iter: int = 20_000,
    tol: float = 0.01,
    eval_every: int = 100,
    elbo_draws: int = 200,
    final_draws: int = 4000,
    rng: Any = None,
) -> VIPosterior:
    """Automatic differentiation variational inference (ADVI) by gradient descent.

    Parameters
    ----------
    model : Model
        Any bayesgd model.
    family : {"meanfield", "fullrank"}
        Independent Normals on ``u``, or a full covariance.
    optimizer : str or Optimizer, default "adam"
        Any of :mod:`bayesgd.optim`'s optimizers (a fixed-step one is the usual choice: the
        objective is stochastic).
    lr : float, optional
        Step size (in the preconditioned coordinates; default: the optimizer's own).
    grad_draws : int, default 8
        Draws of ``eps`` per gradient estimate.
    max_iter : int, default 20000
        Iterations before the averaging phase at the most.
    tol : float, default 0.01
        Stan's ``tol_rel_obj``: the relative ELBO change at convergence.
    eval_every, elbo_draws : int
        The ELBO is estimated every ``eval_every`` iterations from ``elbo_draws`` draws.
    final_draws : int, default 4000
        Draws for the reported ELBO.
    rng : numpy Generator or seed, optional

    Returns
    -------
    VIPosterior

    Raises
    ------
    ValueError, TypeError
        An unknown family, non-positive draw counts, a bad ``tol``.
    DivergenceError
        The ELBO or its gradient became non-finite; ``suggested_lr`` is a step that fits.

    Examples
    --------
    >>> from scipy import stats
    >>> import bayesgd as bg
    >>> q = bg.vi(bg.Binomial(k=7, n=10, p=stats.beta(2, 2)), rng=1)
    >>> q.family, q.converged
    ('meanfield', True)
    """
    _validate(model, family, grad_draws, elbo_draws, max_iter, tol)
    check_positive_int(eval_every, "eval_every")
    check_positive_int(final_draws, "final_draws")
    opt = optim.get_optimizer(optimizer, lr=lr)
    gen = as_rng(rng)
    space = UnconstrainedSpace(model)
    gauss = _Gaussian(family, space.dim)
    objective = _Objective(space, gauss, _frame(model, space, family))
    phi = gauss.initial()
    run = _Run(phi=phi, state=opt.init(phi), buffer=[])
    cb_size = max(int(0.1 * max_iter / eval_every), 2)
    rows: list[tuple[int, float, float]] = []
    step_lr = _lr_of(opt, lr)

    # Common random numbers: every convergence check uses the same draws, so the relative
    # change measures how far q moved, not the Monte Carlo noise of two estimates.
    check_eps = gen.standard_normal((elbo_draws, gauss.dim))

    def estimate_elbo(phi: np.ndarray, n: int) -> tuple[float, float]:
        eps = check_eps if n == elbo_draws else gen.standard_normal((n, gauss.dim))
        losses = objective.losses(phi, eps)
        return -float(np.mean(losses)) + objective.entropy(phi), float(
            np.std(losses, ddof=1) / math.sqrt(n)
        )

    it = 0
    converged = False
    while it < max_iter and not converged:
        for _ in range(eval_every):
            it += 1
            _step(run, opt, objective, gen, grad_draws, it, step_lr)
        elbo, _ = estimate_elbo(run.phi, elbo_draws)
        if not np.isfinite(elbo):
            raise _diverged(objective, it, opt, step_lr, gen.standard_normal((8, gauss.dim)))
        rel = np.nan if run.last_elbo is None else abs(elbo - run.last_elbo) / abs(elbo)
        if run.last_elbo is not None:
            run.buffer = [*run.buffer, rel][-cb_size:]
        run.last_elbo = elbo
        rows.append((it, elbo, rel))
        converged = _stan_converged(run.buffer, tol)
    if not converged:
        warnings.warn(
            f"vi did not converge in {max_iter} iterations (relative ELBO change "
            f"{np.mean(run.buffer) if run.buffer else np.nan:.3g} > tol={tol:g}); the answer "
            "is the average of a further averaging phase, read it with care",
            ConvergenceWarning,
            stacklevel=2,
        )
    blocks = _average(run, opt, objective, gen, grad_draws, eval_every, it, step_lr)
    it += eval_every * len(blocks)
    phi = blocks.mean(axis=0)
    elbo, elbo_mcse = estimate_elbo(phi, final_draws)
    rows.append((it, elbo, np.nan))
    return _result(
        model, space, gauss, objective, phi, blocks, elbo, elbo_mcse, rows, it, converged
    )


def _lr_of(opt: optim.Optimizer, lr: float | None) -> float:
    return float(lr) if lr is not None else _DEFAULT_LR.get(opt.name, 1.0)


def _step(run: _Run, opt, objective: _Objective, gen, grad_draws: int, it: int, lr, scale=1.0):
    """One descent step on ``-ELBO`` (the step scaled by ``scale``)."""
    eps = gen.standard_normal((grad_draws, objective.gauss.dim))
    value, grad = objective(run.phi, eps)
    if not (np.isfinite(value) and np.all(np.isfinite(grad))):
        raise _diverged(objective, it, opt, lr, eps)
    step, run.state = opt.update(
        grad, run.state, run.phi, value=value, fun=lambda p: objective(p, eps)
    )
    run.phi = run.phi + scale * step


def _average(run: _Run, opt, objective, gen, grad_draws, eval_every, it0, lr) -> np.ndarray:
    """The averaging phase: block means of the iterates under a step decaying as 1/sqrt(k)."""
    n_blocks = max(it0 // (2 * eval_every), 20)
    blocks = np.zeros((n_blocks, run.phi.size))
    for k in range(n_blocks * eval_every):
        _step(
            run,
            opt,
            objective,
            gen,
            grad_draws,
            it0 + k + 1,
            lr,
            1.0 / (1.0 + k / eval_every),
        )
        blocks[k // eval_every] += run.phi / eval_every
    return blocks


def _result(model, space, gauss, objective, phi, blocks, elbo, elbo_mcse, rows, it, converged):
    import pandas as pd

    frame = objective.frame
    mean_vector, cov = frame.moments(gauss.unpack(phi)[0], gauss.covariance(phi))
    # Batch means over the averaging phase: the Monte Carlo error of the fitted q.
    block_moments = [frame.moments(b[: gauss.dim], gauss.covariance(b)) for b in blocks]
    means = np.array([bm[0] for bm in block_moments])
    scales = np.array([np.sqrt(np.diag(bm[1])) for bm in block_moments])
    from ..pymc.mcse import _mcse_mean  # ArviZ's, through its ESS: one home for it

    def series_mcse(series: np.ndarray) -> np.ndarray:
        return np.array([_mcse_mean(col[None, :]) for col in series.T])

    mcse = {"mean_vector": series_mcse(means), "sd": series_mcse(scales)}
    history = pd.DataFrame(rows, columns=["iteration", "elbo", "rel_change"])
    return VIPosterior(
        model,
        family=gauss.name,
        mean_vector=mean_vector,
        cov=0.5 * (cov + cov.T),
        elbo=elbo,
        elbo_mcse=elbo_mcse,
        mcse=mcse,
        history=history,
        iterations=it,
        converged=converged,
        space=space,
    )
