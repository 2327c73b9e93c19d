"""Conjugate posteriors of the Gamma (known shape) and LogNormal likelihoods.

============================================  =================================================
likelihood                                    conjugate prior
============================================  =================================================
Gamma, ``alpha`` fixed                        ``stats.gamma(a, scale=1/b)`` on the rate ``beta``
                                              (``expon``, ``chi2`` are gammas too):
                                              ``Gamma(a + n alpha, rate b + sum y)``
LogNormal, ``sigma`` or ``sigma2`` fixed      ``stats.norm`` on ``mu``
LogNormal, ``mu`` fixed                       ``stats.invgamma(a, scale=b)`` on ``sigma2``
LogNormal                                     ``prior=stats.normal_inverse_gamma(...)``
============================================  =================================================

The LogNormal posteriors *are* the Normal ones of ``log y`` (the model keeps the Normal
statistics of ``log y``): they reuse those classes and add the Jacobian ``-sum(log y)`` to the
log evidence, and give the predictive of ``y`` itself (``stats.lognorm``, or :data:`logt` where
the Normal one is a Student t). The two roles register themselves (``"gamma-gamma"``,
``"lognormal"``).

Examples
--------
>>> import numpy as np
>>> from scipy import stats
>>> import bayesgd as bg
>>> post = bg.conjugate(bg.LogNormal(y=np.exp([0.5, 1.5]), mu=stats.norm(0, 1), sigma=1.0))
>>> {k: round(v, 12) for k, v in post.hyper.items()}  # Normal-Normal update of log y
{'loc': 0.666666666667, 'scale': 0.57735026919}
>>> post.predictive().dist.name
'lognorm'
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np
from scipy import stats
from scipy.special import gammaln, xlogy

from ..models.base import Model
from ..priors import NIGPrior, UnivariatePrior
from ._common import _check_kwargs, _reduce
from .base import ConjugatePosterior
from .gamma import _GammaPosterior
from .normal import _NIGPosterior, _NormalMeanPosterior, _NormalVariancePosterior
from .roles import not_conjugate as _not_conjugate
from .roles import register_role

__all__ = ["NEW_CONJUGATE_PAIRS", "logt"]

#: The pairs this module adds, in :data:`bayesgd.conjugate.CONJUGATE_PAIRS`' spelling.
NEW_CONJUGATE_PAIRS: tuple[str, ...] = (
    "gamma (or expon, chi2) prior, loc=0, on the rate beta with Gamma, alpha fixed",
    "norm prior on mu with LogNormal, sigma or sigma2 fixed",
    "invgamma prior, loc=0, on sigma2 with LogNormal, mu fixed",
    "prior=stats.normal_inverse_gamma(mu, lmbda, a, b) with LogNormal (parameters mu, sigma2)",
)


class logt_gen(stats.rv_continuous):
    r"""Log-Student-t distribution: ``exp(s T)`` with ``T`` a standard Student t of ``df``.

    ``logt(df, s, scale=exp(m))`` is the distribution of ``exp(X)`` for
    ``X ~ stats.t(df, loc=m, scale=s)``, as ``stats.lognorm(s, scale=exp(m))`` is for a
    Normal ``X``:

    .. math::

        f(x) = \frac{1}{s x} f_t\!\left(\frac{\log x}{s}; \nu\right), \qquad x > 0.

    Every moment is infinite (``E[exp(s T)]`` diverges for any ``df``); quantiles, the cdf
    and draws are exact.

    Examples
    --------
    >>> d = logt(5.0, 0.5, scale=np.exp(1.0))
    >>> round(float(d.median()), 4)  # exp(1)
    2.7183
    >>> round(float(d.cdf(np.exp(1.5))), 4) == round(float(stats.t(5.0, 1.0, 0.5).cdf(1.5)), 4)
    True
    """

    def _shape_info(self):
        from scipy.stats._distn_infrastructure import _ShapeInfo

        return [
            _ShapeInfo("df", False, (0, np.inf), (False, False)),
            _ShapeInfo("s", False, (0, np.inf), (False, False)),
        ]

    def _argcheck(self, df, s):
        return (df > 0) & (s > 0)

    def _logpdf(self, x, df, s):
        lx = np.log(np.where(x > 0, x, 1.0))
        # at x = 0 the density is infinite: |log x|**-(df + 1) / x grows without bound
        return np.where(x > 0, stats.t.logpdf(lx / s, df) - np.log(s) - lx, np.inf)

    def _pdf(self, x, df, s):
        return np.exp(self._logpdf(x, df, s))

    def _cdf(self, x, df, s):
        with np.errstate(divide="ignore"):
            return stats.t.cdf(np.log(x) / s, df)

    def _sf(self, x, df, s):
        with np.errstate(divide="ignore"):
            return stats.t.sf(np.log(x) / s, df)

    def _ppf(self, q, df, s):
        return np.exp(s * stats.t.ppf(q, df))

    def _isf(self, q, df, s):
        return np.exp(s * stats.t.isf(q, df))

    def _rvs(self, df, s, size=None, random_state=None):
        return np.exp(s * random_state.standard_t(df, size))

    def _stats(self, df, s):
        inf = np.full(np.shape(df * s), np.inf)
        return inf, inf, np.nan, np.nan


#: Log-Student-t (the posterior predictive of a LogNormal with unknown sigma).
logt = logt_gen(a=0.0, name="logt")


# ============================================================================================
# Gamma likelihood, known shape: gamma prior on the rate
# ============================================================================================


class _GammaRatePosterior(_GammaPosterior):
    """``beta ~ Gamma(a0, rate b0)``, ``y ~ Gamma(alpha, rate beta)`` with ``alpha`` known."""

    def __init__(self, model: Model, a0: np.ndarray, rate0: np.ndarray):
        ConjugatePosterior.__init__(self, model)
        self.pair = "gamma-gamma"
        self._role = None  # its evidence and predictive are its own
        self._name = "beta"
        shape, group = model.parameters["beta"].shape, model.group_shape
        a0 = np.broadcast_to(a0, shape).astype(float)
        rate0 = np.broadcast_to(rate0, shape).astype(float)
        alpha = np.asarray(model.fixed["alpha"], dtype=float)
        st = model.stats
        self._a = a0 + _reduce(st["n"] * alpha, group, shape)
        self._rate = rate0 + _reduce(st["total"], group, shape)
        self._a0, self._rate0, self._alpha = a0, rate0, alpha
        self._shape, self._group = shape, group

    @cached_property
    def _group_log_evidence(self) -> np.ndarray:
        st, alpha = self.model.stats, self._alpha
        # the likelihood's factors free of beta: prod y**(alpha-1) / Gamma(alpha)
        const = _reduce((alpha - 1) * st["log_total"] - st["n"] * gammaln(alpha), *self._dims)
        a0, rate0, a, rate = self._a0, self._rate0, self._a, self._rate
        return const + xlogy(a0, rate0) - xlogy(a, rate) + gammaln(a) - gammaln(a0)

    @property
    def _dims(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        return self._group, self._shape

    def predictive(self, **new: Any) -> Any:
        """Compound gamma: ``stats.betaprime(alpha, a, scale=b)`` for one new observation.

        ``y | beta ~ Gamma(alpha, rate beta)`` with ``beta ~ Gamma(a, rate b)`` makes ``y / b``
        a beta-prime variable of shapes ``(alpha, a)``.

        Examples
        --------
        >>> from scipy import stats
        >>> import bayesgd as bg
        >>> post = bg.conjugate(bg.Gamma(y=[1.0, 3.0], alpha=2.0, beta=stats.gamma(3)))
        >>> round(float(post.predictive().mean()), 4)  # alpha b / (a - 1) = 2 * 5 / 6
        1.6667
        """
        _check_kwargs(new, (), "a Gamma (known alpha) posterior predictive")
        return stats.betaprime(self._alpha, self._a, scale=self._rate)


# ============================================================================================
# LogNormal: the Normal posteriors of log y
# ============================================================================================


def _jacobian(post: ConjugatePosterior) -> np.ndarray:
    """``sum(log y)`` per parameter group: the log Jacobian of ``y -> log y``, negated."""
    model = post.model
    st = model.stats
    shape = model.parameters[next(iter(model.parameters))].shape
    return _reduce(st["n"] * st["mean"], model.group_shape, shape)


class _LogNormalMeanPosterior(_NormalMeanPosterior):
    """``mu ~ N(m0, s0^2)``, ``log y ~ N(mu, sigma^2)`` with sigma known."""

    def __init__(self, model: Model, m0: np.ndarray, s0: np.ndarray):
        super().__init__(model, m0, s0)
        self.pair = "normal-lognormal"

    @cached_property
    def _group_log_evidence(self) -> np.ndarray:
        return _NormalMeanPosterior._group_log_evidence.func(self) - _jacobian(self)

    def predictive(self, **new: Any) -> Any:
        """``stats.lognorm(sqrt(scale^2 + sigma^2), scale=exp(loc))`` for one new observation.

        Examples
        --------
        >>> from scipy import stats
        >>> import bayesgd as bg
        >>> post = bg.conjugate(bg.LogNormal(y=[1.0], mu=stats.norm(0, 1), sigma=1.0))
        >>> round(float(post.predictive().median()), 4)  # exp(0)
        1.0
        """
        _check_kwargs(new, (), "a LogNormal (known sigma) posterior predictive")
        return stats.lognorm(
            np.sqrt(self._scale**2 + np.exp(self._log_s2)), scale=np.exp(self._loc)
        )


class _LogNormalVariancePosterior(_NormalVariancePosterior):
    """``sigma2 ~ InvGamma(a, scale=b)``, ``log y ~ N(mu, sigma2)`` with mu known."""

    def __init__(self, model: Model, a0: np.ndarray, b0: np.ndarray):
        super().__init__(model, a0, b0)
        self.pair = "invgamma-lognormal"

    @cached_property
    def _group_log_evidence(self) -> np.ndarray:
        return _NormalVariancePosterior._group_log_evidence.func(self) - _jacobian(self)

    def predictive(self, **new: Any) -> Any:
        """``logt(2a, sqrt(b/a), scale=exp(mu))`` for one new observation.

        Examples
        --------
        >>> from scipy import stats
        >>> import bayesgd as bg
        >>> m = bg.LogNormal(y=[0.5, 2.0], mu=0.0, sigma2=stats.invgamma(2, scale=2))
        >>> round(float(bg.conjugate(m).predictive().median()), 4)
        1.0
        """
        _check_kwargs(new, (), "a LogNormal (known mu) posterior predictive")
        a, b = self._a, self._b
        return logt(2 * a, np.sqrt(b / a), scale=np.exp(self._mu))


class _LogNormalNIGPosterior(_NIGPosterior):
    """``(mu, sigma2) ~ NIG(mu0, lmbda, a, b)``, ``log y ~ N(mu, sigma2)``."""

    def __init__(self, model: Model, prior: NIGPrior):
        super().__init__(model, prior)
        self.pair = "normal_inverse_gamma-lognormal"

    @cached_property
    def _group_log_evidence(self) -> np.ndarray:
        return _NIGPosterior._group_log_evidence.func(self) - _jacobian(self)

    def predictive(self, **new: Any) -> Any:
        """``logt(2a, sqrt(b (1 + 1/lmbda) / a), scale=exp(mu))`` for one new observation.

        Examples
        --------
        >>> import numpy as np
        >>> from scipy import stats
        >>> import bayesgd as bg
        >>> post = bg.conjugate(
        ...     bg.LogNormal(y=np.exp([0.0, 2.0]), prior=stats.normal_inverse_gamma(1, 1, 2, 2))
        ... )
        >>> round(float(np.log(post.predictive().median())), 4)  # mu_n
        1.0
        """
        _check_kwargs(new, (), "a LogNormal (normal-inverse-gamma) posterior predictive")
        a, b, lam = self._a, self._b, self._lam
        return logt(2 * a, np.sqrt(b * (1 + 1 / lam) / a), scale=np.exp(self._mu))


# ============================================================================================
# Dispatch
# ============================================================================================


def _dispatch_gamma(model: Model) -> ConjugatePosterior:
    if set(model.parameters) != {"beta"}:
        raise _not_conjugate(
            model,
            " (a Gamma likelihood is conjugate only in its rate: alpha a fixed number and "
            "beta=stats.gamma(a, scale=1/b))",
        )
    got = model.parameters["beta"].prior.as_conjugate("gamma")
    if isinstance(got, str):
        raise _not_conjugate(
            model, got or " (the rate beta needs a gamma prior, stats.gamma(a, scale=1/b))"
        )
    return _GammaRatePosterior(model, *got)


def _dispatch_lognormal(model: Model) -> ConjugatePosterior:
    params, priors = model.parameters, model.priors
    names = set(params)
    if names == {"mu", "sigma2"} and len(priors) == 1 and isinstance(priors[0], NIGPrior):
        return _LogNormalNIGPosterior(model, priors[0])
    prior = params[next(iter(names))].prior if len(names) == 1 else None
    family = prior.family if isinstance(prior, UnivariatePrior) else None
    if names == {"mu"} and family == "norm":
        return _LogNormalMeanPosterior(model, prior.loc, prior.scale)
    if names == {"sigma2"} and family == "invgamma":
        if np.any(prior.loc != 0):
            raise _not_conjugate(model, " (an invgamma prior must have loc=0)")
        return _LogNormalVariancePosterior(model, prior._shape_args[0], prior.scale)
    if names == {"sigma"}:
        raise _not_conjugate(
            model,
            " (with mu fixed, put an invgamma prior on the variance: sigma2=stats.invgamma(...))",
        )
    if names in ({"mu", "sigma2"}, {"mu", "sigma"}):
        raise _not_conjugate(
            model,
            " (independent priors on mu and the scale are only semi-conjugate; the joint "
            "conjugate prior is prior=stats.normal_inverse_gamma(mu, lmbda, a, b))",
        )
    raise _not_conjugate(
        model, " (a LogNormal is conjugate as a Normal of log y: norm on mu, invgamma on sigma2)"
    )


register_role("gamma-gamma", _dispatch_gamma, pairs=NEW_CONJUGATE_PAIRS[:1])
register_role("lognormal", _dispatch_lognormal, pairs=NEW_CONJUGATE_PAIRS[1:])
