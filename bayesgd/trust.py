"""A trust number for any approximation: Pareto-smoothed importance sampling (PSIS).

An approximation ``q`` that can be sampled and can evaluate its own density at its draws is
checked against the model's exact unnormalised log posterior ``log p(theta, D)``: the log
importance ratios ``log p(theta_s, D) - log q(theta_s)`` of ``S`` draws are Pareto-smoothed by
ArviZ's :func:`arviz.psislw`, whose shape estimate ``k-hat`` says how far the ratios' tail
reaches (Yao, Vehtari, Simpson and Gelman 2018; Vehtari, Simpson, Gelman, Yao and Gabry 2024):

=============  ==============================================================
``k-hat``      reading
=============  ==============================================================
< 0.5          good: ``q`` is close to the posterior, and importance sampling
               corrects what is left
0.5 to 0.7     usable: the corrected draws are reliable, ``q`` alone less so
> 0.7          do not trust: ``q`` misses the posterior's tail (or mass)
=============  ==============================================================

The same smoothed weights correct ``q`` toward the posterior: :func:`importance_resample`
draws from ``q`` re-weighted, returning a :class:`~bayesgd.SamplePosterior`.

A posterior takes part by implementing ``_draws_with_log_density(shape, rng)``: joint draws
of ``theta`` and the log density of ``q`` at them, in the coordinates of the model's own
density (for a probability vector, its first ``K - 1`` entries).

Examples
--------
>>> from scipy import stats
>>> import bayesgd as bg
>>> m = bg.Binomial(k=1, n=20, p=stats.beta(1, 1))
>>> q = bg.laplace(m, space="constrained")      # a Gaussian at the mode of Beta(2, 20)
>>> khat(q, m, rng=0) > 0.7                     # it leaves the support: not to be trusted
True
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validation import as_rng, check_positive_int
from .errors import NotApplicableError
from .models.base import Model

__all__ = [
    "GOOD_KHAT",
    "USABLE_KHAT",
    "ImportanceWarning",
    "PSISResult",
    "importance_resample",
    "khat",
    "khat_verdict",
    "psis",
    "smooth_log_weights",
]

#: Below this k-hat an approximation is good (Yao et al. 2018).
GOOD_KHAT = 0.5
#: Above this k-hat it is not to be trusted (Vehtari et al. 2024).
USABLE_KHAT = 0.7


class ImportanceWarning(UserWarning):
    """Importance-sampling weights with a k-hat above 0.7: the correction cannot be trusted."""


@dataclass(frozen=True)
class PSISResult:
    """Pareto-smoothed importance weights of an approximation's draws.

    Attributes
    ----------
    khat : float
        The Pareto shape estimate.
    log_weights : numpy.ndarray
        Smoothed, normalised log weights (``logsumexp == 0``), one per draw.
    draws : dict
        The approximation's draws, keyed by parameter name.
    elbo : float
        ``mean(log p(theta, D) - log q(theta))`` over the draws: a Monte Carlo estimate of the
        ELBO of ``q`` (``-inf`` when some draws fall outside the support).
    """

    khat: float
    log_weights: np.ndarray
    draws: dict[str, np.ndarray]
    elbo: float

    @property
    def verdict(self) -> str:
        """``"good"``, ``"usable"`` or ``"do not trust"``."""
        return khat_verdict(self.khat)


def khat_verdict(value: float) -> str:
    """The reading of a k-hat: ``"good"`` (< 0.5), ``"usable"`` (<= 0.7), else ``"do not trust"``.

    Examples
    --------
    >>> khat_verdict(0.3), khat_verdict(0.6), khat_verdict(1.2)
    ('good', 'usable', 'do not trust')
    """
    if np.isnan(value) or value > USABLE_KHAT:
        return "do not trust"
    return "good" if value < GOOD_KHAT else "usable"


def _check_model(post: Any, model: Any) -> None:
    if not isinstance(model, Model):
        raise TypeError(f"model must be a bayesgd Model, got {type(model).__name__}")
    theirs = {n: p.shape for n, p in post.model.parameters.items()}
    ours = {n: p.shape for n, p in model.parameters.items()}
    if theirs != ours:
        raise ValueError(
            f"model must be the model this {post.method} posterior approximates: its "
            f"parameters {ours} differ from the posterior's {theirs}"
        )


def psis(post: Any, model: Model, *, draws: int = 1000, rng: Any = None) -> PSISResult:
    """Pareto-smoothed importance weights of ``post``'s draws against ``model``.

    Parameters
    ----------
    post : Posterior
        An approximation that can evaluate its own density (Laplace, VI, Pathfinder, grid).
    model : Model
        The model whose exact unnormalised log posterior is the target.
    draws : int, default 1000
        Draws from ``post``.
    rng : numpy Generator or seed, optional

    Returns
    -------
    PSISResult

    Raises
    ------
    NotApplicableError
        ``post`` cannot evaluate its density at its draws (NUTS draws, a MAP point).
    ValueError
        ``model`` has other parameters than ``post``'s model; ``draws`` < 2.
    """
    _check_model(post, model)
    n = check_positive_int(draws, "draws", minimum=2)
    theta, log_q = post._draws_with_log_density((n,), as_rng(rng))
    with np.errstate(all="ignore"):
        log_p = np.asarray(model.log_density(**theta), dtype=float).reshape(n)
    log_ratio = log_p - np.asarray(log_q, dtype=float).reshape(n)
    finite = np.isfinite(log_ratio)
    elbo = float(np.mean(log_ratio)) if finite.all() else -np.inf
    if finite.sum() < 2:
        raise NotApplicableError(
            f"fewer than 2 of {n} draws of the {post.method} posterior have a finite density "
            "under the model (they fall outside the support): no importance weights exist"
        )
    smoothed, k = smooth_log_weights(log_ratio)
    read_only = {name: _frozen(v) for name, v in theta.items()}
    return PSISResult(k, _frozen(smoothed), read_only, elbo)


def smooth_log_weights(log_ratio: np.ndarray) -> tuple[np.ndarray, float]:
    """Pareto-smoothed, normalised log weights and k-hat of log importance ratios (ArviZ's).

    Non-finite ratios (draws outside the target's support) get weight zero. Ratios that are all
    equal (an exact approximation) give equal weights and ``k-hat = -inf``.

    Examples
    --------
    >>> import numpy as np
    >>> lw, k = smooth_log_weights(np.zeros(5))
    >>> np.exp(lw), k
    (array([0.2, 0.2, 0.2, 0.2, 0.2]), -inf)
    """
    import arviz as az
    from scipy.special import logsumexp

    log_ratio = np.asarray(log_ratio, dtype=float)
    finite = np.isfinite(log_ratio)
    top = np.max(log_ratio[finite])
    shifted = np.where(finite, log_ratio - top, -np.inf)
    if np.ptp(shifted[finite]) <= 1e-12 * (1.0 + abs(top)):
        k = -np.inf
        smoothed = np.where(finite, 0.0, -np.inf)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ArviZ's own k-hat warning: our verdict says it
            smoothed, k = az.psislw(shifted.copy())
        smoothed = np.where(finite, smoothed, -np.inf)
    return smoothed - logsumexp(smoothed), float(np.ravel(k)[0])


def _frozen(x: Any) -> np.ndarray:
    arr = np.array(x, dtype=float, copy=True)
    arr.flags.writeable = False
    return arr


def khat(post: Any, model: Model, *, draws: int = 1000, rng: Any = None) -> float:
    """The PSIS k-hat of ``post`` against ``model`` (see :func:`psis`).

    Examples
    --------
    >>> from scipy import stats
    >>> import bayesgd as bg
    >>> m = bg.Normal(y=[1.0, 2.0, 0.5], mu=stats.norm(0, 10), sigma=1.0)
    >>> khat(bg.laplace(m), m, rng=0) < 0.5          # exact here: the posterior is Gaussian
    True
    """
    return psis(post, model, draws=draws, rng=rng).khat


def importance_resample(
    post: Any, model: Model, *, size: int = 4000, draws: int | None = None, rng: Any = None
) -> Any:
    """Draws of ``post`` corrected toward ``model``'s posterior by PSIS, as a SamplePosterior.

    ``draws`` proposals (default ``4 * size``) are drawn from ``post``, weighted by their
    Pareto-smoothed importance ratios, and ``size`` of them are resampled with replacement in
    proportion to the weights. The result carries ``khat`` and ``ess`` (Kish's effective size of
    the weights). A k-hat above 0.7 warns (:class:`ImportanceWarning`): the correction cannot
    be trusted then.

    Examples
    --------
    >>> from scipy import stats
    >>> import bayesgd as bg
    >>> m = bg.Binomial(k=1, n=20, p=stats.beta(1, 1))          # posterior Beta(2, 20)
    >>> fixed = importance_resample(bg.laplace(m), m, size=4000, rng=0)
    >>> round(fixed.mean()["p"], 2)                             # exact 2 / 22 = 0.09
    0.09
    """
    from .posterior import SamplePosterior

    n_out = check_positive_int(size, "size")
    n_in = 4 * n_out if draws is None else check_positive_int(draws, "draws")
    gen = as_rng(rng)
    result = psis(post, model, draws=n_in, rng=gen)
    weights = np.exp(result.log_weights)
    ess = float(1.0 / np.sum(weights**2))
    if result.khat > USABLE_KHAT:
        warnings.warn(
            f"importance resampling of the {post.method} posterior has k-hat "
            f"{result.khat:.2f} > {USABLE_KHAT}: the approximation misses the posterior's tail, "
            "and the corrected draws cannot be trusted either (effective sample size "
            f"{ess:.0f} of {n_in})",
            ImportanceWarning,
            stacklevel=2,
        )
    idx = gen.choice(n_in, size=n_out, replace=True, p=weights / weights.sum())
    out = SamplePosterior(
        model, {name: v[idx] for name, v in result.draws.items()}, method=f"{post.method}+psis"
    )
    out.khat = result.khat
    out.ess = ess
    return out
