"""Checks of a Laplace fit: its warnings and errors, the Cholesky factor, near-singularity."""

from __future__ import annotations

import warnings

import numpy as np

from ..errors import NotApplicableError
from ..space import UnconstrainedSpace

__all__ = [
    "PRIOR_SD_RATIO",
    "SINGULAR_RATIO",
    "SUPPORT_MASS_LIMIT",
    "NearSingularWarning",
    "NotPositiveDefiniteError",
    "SupportWarning",
]

_SPACES = ("unconstrained", "constrained")

#: A constrained Laplace approximation warns when more mass than this leaves the support.
SUPPORT_MASS_LIMIT = 0.01


class SupportWarning(UserWarning):
    """A Gaussian (constrained Laplace) approximation puts much of its mass outside the
    parameter's support (a probability below 0, a scale below 0)."""


#: Warn when the smallest eigenvalue of the correlation-scaled Hessian is below this fraction
#: of the largest (a direction the data and prior barely pin down).
SINGULAR_RATIO = 1e-8
#: Warn when a Laplace sd is more than this many prior sds (same coordinate, same space).
PRIOR_SD_RATIO = 2.0
#: Prior draws that measure the prior sd of each coordinate (fixed seed).
_PRIOR_DRAWS = 20_000
_PRIOR_SEED = 20240602


class NearSingularWarning(UserWarning):
    """The Hessian at the mode is nearly singular, or the Gaussian is much wider than the
    prior: the mode is poorly identified (a flat ridge, a switched-off hidden unit), often a
    poor local mode. Try ``map_estimate(..., starts=...)``, ``bg.grid`` or ``bg.sample_pymc``."""


class NotPositiveDefiniteError(np.linalg.LinAlgError, NotApplicableError):
    """The Hessian of the loss at the mode is not positive definite: no Gaussian exists there.

    A subclass of ``numpy.linalg.LinAlgError`` and of :class:`bayesgd.NotApplicableError`
    (both ``ValueError``).
    """


def _cholesky(hess: np.ndarray, names: list[str], space: str) -> np.ndarray:
    if not np.all(np.isfinite(hess)):
        raise NotPositiveDefiniteError(
            f"the Hessian of the loss at the mode ({space} space) is not finite; no Gaussian "
            "approximation exists there"
        )
    try:
        return np.linalg.cholesky(hess)
    except np.linalg.LinAlgError:
        values, vectors = np.linalg.eigh(hess)
        bad = [i for i in range(values.size) if values[i] <= 0]
        worst = vectors[:, bad[0]] if bad else vectors[:, 0]
        lead = names[int(np.argmax(np.abs(worst)))]
        raise NotPositiveDefiniteError(
            f"the Hessian of the loss at the mode ({space} space) is not positive definite "
            f"(eigenvalues {np.array2string(values, precision=4)}); the point is not a strict "
            f"local minimum (a saddle or a flat direction, mostly along {lead}), so no Gaussian "
            "approximation exists there"
        ) from None


def _warn_near_singular(sp, hess, cov, names, space) -> None:
    """Warn (:class:`NearSingularWarning`) about a Hessian that barely pins the mode down.

    Two signs, both free of the parameters' units: the smallest eigenvalue of the
    correlation-scaled Hessian ``D^-1/2 H D^-1/2`` (``D = diag H``) is below ``SINGULAR_RATIO``
    of the largest, or some Laplace sd exceeds ``PRIOR_SD_RATIO`` times the prior's sd of the
    same coordinate (from prior draws): with a log-concave likelihood the posterior is never
    wider than the prior, so the likelihood curves the wrong way there.
    """
    d = np.sqrt(np.diag(hess))
    scaled = hess / np.outer(d, d)
    values, vectors = np.linalg.eigh(0.5 * (scaled + scaled.T))
    problems = []
    if values[0] < SINGULAR_RATIO * values[-1]:
        lead = names[int(np.argmax(np.abs(vectors[:, 0])))]
        problems.append(
            f"the correlation-scaled Hessian has eigenvalues from {values[0]:.3g} to "
            f"{values[-1]:.3g} (a nearly flat direction, mostly along {lead})"
        )
    sd = np.sqrt(np.diag(cov))
    prior_sd = _prior_sd(sp, space)
    if prior_sd is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = sd / prior_sd
        wide = np.flatnonzero(np.isfinite(ratio) & (ratio > PRIOR_SD_RATIO))
        if wide.size:
            parts = [f"{names[i]}: sd {sd[i]:.3g} vs prior sd {prior_sd[i]:.3g}" for i in wide[:5]]
            problems.append(
                f"the Gaussian is wider than the prior ({'; '.join(parts)}"
                + (f"; and {wide.size - 5} more)" if wide.size > 5 else ")")
            )
    if problems:
        warnings.warn(
            f"the Hessian at the mode ({space} space) barely pins it down: "
            + "; ".join(problems)
            + ". The mode is poorly identified (a flat ridge, a switched-off hidden unit) and "
            "may be a poor local mode; the Laplace approximation is unreliable there. Try "
            "map_estimate(model, starts=...) for other modes, bg.grid or bg.sample_pymc.",
            NearSingularWarning,
            stacklevel=3,
        )


def _prior_sd(sp: UnconstrainedSpace, space: str) -> np.ndarray | None:
    """Sd of each coordinate (``u`` or ``c``) under the prior, from draws; None if a draw
    falls on an edge of the support."""
    draws = sp.model.prior_sample(_PRIOR_DRAWS, rng=_PRIOR_SEED)
    try:
        with np.errstate(all="ignore"):
            x = sp.to_unconstrained(draws) if space == "unconstrained" else sp.flatten(draws)
    except ValueError:
        return None
    return np.std(x, axis=0)
