"""Exact posteriors in closed form for the conjugate prior/likelihood pairs.

:func:`conjugate` turns a model whose prior is conjugate to its likelihood into a
:class:`ConjugatePosterior`: updated hyperparameters (``post.hyper``), scipy.stats frozen
marginals (``post.dist``), exact moments, the joint mode, exact highest-density intervals, joint
draws, the log evidence ``log p(D)`` and the posterior predictive of a new observation.

The pairs (prior on the parameter in brackets):

=============================================  ================================================
likelihood                                      conjugate prior
=============================================  ================================================
Bernoulli, Binomial, Geometric,                 ``stats.beta(a, b)`` on ``p`` (``uniform(0, 1)``
NegativeBinomial (known ``r``)                  is ``beta(1, 1)``)
Poisson (with exposure), Exponential            ``stats.gamma(a, scale=1/b)`` on the rate
                                                (``expon`` and ``chi2`` are gammas too)
Normal, ``sigma`` or ``sigma2`` fixed           ``stats.norm`` on ``mu``
Normal, ``mu`` fixed                            ``stats.invgamma(a, scale=b)`` on ``sigma2``
Normal                                          ``prior=stats.normal_inverse_gamma(...)``
Multinomial, Categorical                        ``stats.dirichlet(alpha)`` on ``p``
LinearRegression                                ``prior=bg.priors.NormalInverseGamma(...)``
LinearRegression, ``sigma``/``sigma2`` fixed    ``stats.norm`` or ``stats.multivariate_normal``
                                                on ``coef`` (``stats.norm`` on ``intercept``)
=============================================  ================================================

Batched priors (``stats.beta(np.ones(G), np.ones(G))``) update all ``G`` groups at once, with
no Python loop over groups. Every other model raises :class:`bayesgd.NotConjugateError`.

Examples
--------
>>> from scipy import stats
>>> import bayesgd as bg
>>> post = conjugate(bg.Binomial(k=7, n=10, p=stats.beta(2, 2)))
>>> post.hyper
{'a': 9.0, 'b': 5.0}
>>> round(post.mean()["p"], 4), round(post.mode()["p"], 4)
(0.6429, 0.6667)
>>> round(float(post.predictive(n=1).pmf(1)), 4)
0.6429
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Mapping
from functools import cached_property
from typing import Any

import numpy as np
from scipy import stats
from scipy.special import betaln, gammaln, xlogy

from .errors import NotConjugateError
from .models.base import Model
from .posterior import Posterior
from .priors import DirichletPrior, MvNIGPrior, MvNormalPrior, NIGPrior, UnivariatePrior

__all__ = [
    "CONJUGATE_PAIRS",
    "ConjugatePosterior",
    "betageom",
    "betanbinom_real",
    "conjugate",
    "is_conjugate",
]

_LOG_2PI = float(np.log(2.0 * np.pi))

#: Human-readable list of the prior/likelihood pairs :func:`conjugate` accepts.
CONJUGATE_PAIRS: tuple[str, ...] = (
    "beta (or uniform(0, 1)) prior on p with Bernoulli, Binomial, Geometric or "
    "NegativeBinomial (known r)",
    "gamma (or expon, chi2) prior, loc=0, on mu with Poisson or on lam with Exponential",
    "norm prior on mu with Normal, sigma or sigma2 fixed",
    "invgamma prior, loc=0, on sigma2 with Normal, mu fixed",
    "prior=stats.normal_inverse_gamma(mu, lmbda, a, b) with Normal (parameters mu, sigma2)",
    "dirichlet prior on p with Multinomial or Categorical",
    "prior=bayesgd.priors.NormalInverseGamma(mean, cov, a, b) with LinearRegression "
    "(parameters coef, sigma2; intercept None or fixed)",
    "norm or multivariate_normal prior on coef (norm on intercept, or intercept fixed/None) "
    "with LinearRegression, sigma or sigma2 fixed",
)


# ============================================================================================
# Predictive distributions scipy lacks
# ============================================================================================


class betageom_gen(stats.rv_discrete):
    r"""Beta-geometric distribution: trials up to and including the first success.

    ``K | p ~ geom(p)`` (support ``k >= 1``, as :data:`scipy.stats.geom`) and
    ``p ~ Beta(a, b)``:

    .. math::

        f(k) = \frac{B(a + 1, b + k - 1)}{B(a, b)}, \qquad
        P(K > k) = \frac{B(a, b + k)}{B(a, b)}, \qquad k \ge 1.

    The mean is ``(a + b - 1) / (a - 1)`` for ``a > 1`` (infinite otherwise) and the variance
    ``a b (a + b - 1) / ((a - 2) (a - 1)^2)`` for ``a > 2``.

    Examples
    --------
    >>> d = betageom(3.0, 2.0)
    >>> round(float(d.pmf(1)), 4), round(float(d.mean()), 4)  # a / (a + b), (a + b - 1) / (a - 1)
    (0.6, 2.0)
    """

    def _shape_info(self):
        from scipy.stats._distn_infrastructure import _ShapeInfo

        return [
            _ShapeInfo("a", False, (0, np.inf), (False, False)),
            _ShapeInfo("b", False, (0, np.inf), (False, False)),
        ]

    def _argcheck(self, a, b):
        return (a > 0) & (b > 0)

    def _logpmf(self, x, a, b):
        k = np.floor(x)
        return betaln(a + 1, b + k - 1) - betaln(a, b)

    def _pmf(self, x, a, b):
        return np.exp(self._logpmf(x, a, b))

    def _logsf(self, x, a, b):
        k = np.floor(x)
        return betaln(a, b + k) - betaln(a, b)

    def _sf(self, x, a, b):
        return np.exp(self._logsf(x, a, b))

    def _cdf(self, x, a, b):
        return -np.expm1(self._logsf(x, a, b))

    def _rvs(self, a, b, size=None, random_state=None):
        p = random_state.beta(a, b, size)
        return random_state.geometric(p, size)

    def _stats(self, a, b):
        with np.errstate(divide="ignore", invalid="ignore"):
            inv_p = np.where(a > 1, (a + b - 1) / (a - 1), np.inf)
            var = np.where(a > 2, a * b * (a + b - 1) / ((a - 2) * (a - 1) ** 2), np.inf)
        return inv_p, var, None, None


#: Beta-geometric distribution (the posterior predictive of a Geometric likelihood).
betageom = betageom_gen(a=1, name="betageom")


class betanbinom_real_gen(stats.rv_discrete):
    r"""Beta-negative-binomial with a real (not necessarily whole) number of successes ``n``.

    ``K | p ~ nbinom(n, p)`` (failures before the ``n``-th success) and ``p ~ Beta(a, b)``:

    .. math::

        f(k) = \frac{\Gamma(n + k)}{k!\, \Gamma(n)} \frac{B(a + n, b + k)}{B(a, b)}.

    Equal to :data:`scipy.stats.betanbinom`, which requires a whole ``n``.

    Examples
    --------
    >>> d = betanbinom_real(2.5, 4.0, 3.0)
    >>> round(float(d.mean()), 4)  # n b / (a - 1)
    2.5
    """

    def _shape_info(self):
        from scipy.stats._distn_infrastructure import _ShapeInfo

        return [
            _ShapeInfo("n", False, (0, np.inf), (False, False)),
            _ShapeInfo("a", False, (0, np.inf), (False, False)),
            _ShapeInfo("b", False, (0, np.inf), (False, False)),
        ]

    def _argcheck(self, n, a, b):
        return (n > 0) & (a > 0) & (b > 0)

    def _logpmf(self, x, n, a, b):
        k = np.floor(x)
        return gammaln(n + k) - gammaln(k + 1) - gammaln(n) + betaln(a + n, b + k) - betaln(a, b)

    def _pmf(self, x, n, a, b):
        return np.exp(self._logpmf(x, n, a, b))

    def _rvs(self, n, a, b, size=None, random_state=None):
        p = random_state.beta(a, b, size)
        return random_state.negative_binomial(n, p, size)

    def _stats(self, n, a, b):
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = np.where(a > 1, n * b / (a - 1), np.inf)
            var = np.where(
                a > 2, n * b * (n + a - 1) * (a + b - 1) / ((a - 2) * (a - 1) ** 2), np.inf
            )
        return mean, var, None, None


#: Beta-negative-binomial for real ``n`` (``scipy.stats.betanbinom`` needs a whole ``n``).
betanbinom_real = betanbinom_real_gen(name="betanbinom_real")


# ============================================================================================
# Helpers
# ============================================================================================


def _reduce(x: Any, group_shape: tuple[int, ...], shape: tuple[int, ...]) -> np.ndarray:
    """Sum a per-group statistic over the group axes a parameter of ``shape`` shares."""
    x = np.broadcast_to(np.asarray(x, dtype=float), group_shape)
    extra = x.ndim - len(shape)
    if extra:
        x = x.sum(axis=tuple(range(extra)))
    axes = tuple(
        i for i, (s, g) in enumerate(zip(shape, x.shape, strict=True)) if s == 1 and g != 1
    )
    if axes:
        x = x.sum(axis=axes, keepdims=True)
    return np.asarray(x, dtype=float)


def _outside_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the first frame outside bayesgd."""
    package = os.path.dirname(os.path.abspath(__file__))
    frame = sys._getframe(1)
    level = 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame = frame.f_back
        level += 1
    return level


def _out(x: Any) -> Any:
    """0-d arrays as floats (for ``hyper``), arrays as copies (so edits cannot leak in)."""
    arr = np.array(x, dtype=float)
    return float(arr) if arr.ndim == 0 else arr


def _check_kwargs(new: Mapping[str, Any], allowed: tuple[str, ...], what: str) -> None:
    unknown = [k for k in new if k not in allowed]
    if unknown:
        takes = ", ".join(f"{k}=" for k in allowed) if allowed else "no arguments"
        raise TypeError(f"predictive() got unexpected argument(s) {unknown}; {what} takes {takes}")


def _check_count(value: Any, name: str, *, low: int = 0) -> np.ndarray:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        raise TypeError(
            f"{name} must be a whole number >= {low} (or an array of them), got {value!r}"
        )
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a whole number >= {low}, got {value!r}") from exc
    if not np.all(np.isfinite(arr)) or np.any(arr != np.floor(arr)) or np.any(arr < low):
        raise ValueError(
            f"{name} must be a whole number >= {low} (or an array of them), got {value!r}"
        )
    return arr


def _check_positive(value: Any, name: str) -> np.ndarray:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        raise TypeError(f"{name} must be a positive number (or an array of them), got {value!r}")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a positive number, got {value!r}") from exc
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(f"{name} must be positive and finite, got {value!r}")
    return arr


def _beta_mode(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Mode of Beta(a, b), with edge modes; see :meth:`ConjugatePosterior.mode`."""
    interior = (a > 1) & (b > 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        inner = (a - 1) / (a + b - 2)
    edge = np.where(a < b, 0.0, np.where(a > b, 1.0, np.where(a == 1, 0.5, 0.0)))
    return np.where(interior, inner, edge)


def _gamma_mode(a: np.ndarray, rate: np.ndarray) -> np.ndarray:
    return np.where(a > 1, (a - 1) / rate, 0.0)


def _invgamma_mean_sd(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sd of InvGamma(a, scale=b); infinite where they diverge."""
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(a > 1, b / (a - 1), np.inf)
        sd = np.where(a > 2, b / ((a - 1) * np.sqrt(a - 2)), np.inf)
    return mean, sd


def _t_mean_sd(
    df: np.ndarray, loc: np.ndarray, scale: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sd of a Student t: sd infinite for 1 < df <= 2; both nan for df <= 1."""
    df, loc, scale = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (df, loc, scale)))
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(df > 1, loc, np.nan)
        sd = np.where(df > 2, scale * np.sqrt(df / (df - 2)), np.where(df > 1, np.inf, np.nan))
    return mean, sd


# ============================================================================================
# The posterior base class
# ============================================================================================


class ConjugatePosterior(Posterior):
    """Exact posterior of a conjugate model. Build it with :func:`conjugate`.

    Attributes
    ----------
    model : Model
        The model (prior + all data seen).
    pair : str
        The conjugate pair, e.g. ``"beta-binomial"``.
    hyper : dict
        The posterior's hyperparameters (same family as the prior), e.g. ``{"a": 9.0, "b": 5.0}``
        for a beta posterior; arrays of the batch shape for batched priors.
    prior_hyper : dict
        The prior's hyperparameters, in the same spelling.
    dist : dict
        Parameter name -> scipy.stats frozen posterior *marginal*: ``beta``, ``gamma``,
        ``norm``, ``invgamma``, ``t``, ``dirichlet``, ``multivariate_t`` or
        ``multivariate_normal``, with the batch shape of the prior.
    joint : object or None
        The joint posterior as one frozen distribution where it is a named family:
        ``scipy.stats.normal_inverse_gamma`` (Normal) or
        :class:`bayesgd.priors.NormalInverseGamma` (LinearRegression).

    Notes
    -----
    ``mode()`` is the *joint* posterior mode in the model's own parametrisation (no Jacobian),
    the point gradient descent on ``-log p(θ|D)`` converges to. When the density's supremum
    lies on the edge of the support the edge is returned:

    - Beta(a, b): ``(a-1)/(a+b-2)`` when ``a > 1`` and ``b > 1``; otherwise the end whose
      exponent is smaller (``0`` if ``a < b``, ``1`` if ``a > b``); ``0.5`` for the flat
      ``Beta(1, 1)`` (every point is a mode); ``0`` for ``a == b < 1`` (both ends are infinite).
    - Gamma(a, rate b): ``(a-1)/b`` for ``a > 1``, else ``0``.
    - Normal-inverse-gamma over ``(mu, sigma2)``: ``(mu_n, b_n / (a_n + 1.5))``; regression
      ``(coef, sigma2)``: ``(m_n, b_n / (a_n + 1 + d/2))``.
    - Dirichlet(alpha): with ``J = {i: alpha_i > 1}`` non-empty, ``p_i ∝ alpha_i - 1`` on ``J``
      and ``0`` elsewhere (for ``alpha = (a, b)`` this is the Beta rule); if every
      ``alpha_i == 1``, the centre ``1/K``; otherwise (all ``alpha_i <= 1``, some ``< 1``) the
      vertex of the last largest ``alpha_i``.

    Moments that do not exist are reported honestly: infinite where the integral diverges
    (``E[sigma2]`` for ``a <= 1``), ``nan`` with a warning where it is undefined (the mean of a
    t with ``df <= 1``).

    ``hyper`` spellings: beta ``{a, b}``; gamma ``{a, b}`` with ``b`` the *rate*
    (``stats.gamma(a, scale=1/b)``); normal ``{loc, scale}``; inverse-gamma ``{a, b}`` with
    ``b`` the scale; normal-inverse-gamma ``{mu, lmbda, a, b}`` (scipy's); Dirichlet
    ``{alpha}``; regression ``{mean, cov, a, b}`` (:class:`~bayesgd.priors.NormalInverseGamma`'s)
    or ``{mean, cov}`` over ``[intercept, *coef]`` for the Gaussian known-noise case.

    ``log_evidence`` is the sum over groups of a batched prior; ``group_log_evidence`` gives
    each group's.
    """

    method = "conjugate"
    pair = "conjugate"
    joint: Any = None

    # Subclasses do the hyperparameter update in ``__init__`` and provide everything else
    # (``hyper``, ``prior_hyper``, ``dist``, ``_marginals``, ``_means``, ``_sds``, ``_modes``,
    # ``_group_log_evidence`` and, where there is one, ``joint``) as ``cached_property``: each
    # is computed on first use only, so ``conjugate(model).mean()`` of a million groups costs
    # the update and the mean, not frozen distributions, log-beta functions and copies.
    hyper: dict[str, Any]
    prior_hyper: dict[str, Any]
    dist: dict[str, Any]
    _marginals: dict[str, Any]
    _means: dict[str, np.ndarray]
    _sds: dict[str, np.ndarray]
    _modes: dict[str, np.ndarray]
    _group_log_evidence: np.ndarray

    # ---------------------------------------------------------------- hooks
    def _mean(self, name: str) -> np.ndarray:
        return self._undefined(self._means[name], name, "mean")

    def _sd(self, name: str) -> np.ndarray:
        return self._undefined(self._sds[name], name, "sd")

    @staticmethod
    def _undefined(value: np.ndarray, name: str, what: str) -> np.ndarray:
        if np.any(np.isnan(value)):
            warnings.warn(
                f"the posterior {what} of {name} does not exist (a t marginal with df <= 1); "
                "nan returned where undefined",
                UserWarning,
                stacklevel=_outside_stacklevel(),
            )
        return value

    def _mode(self) -> dict[str, np.ndarray]:
        return dict(self._modes)

    def _quantile(self, name: str, q: np.ndarray) -> np.ndarray:
        shape = self.model.parameters[name].shape
        levels = q.reshape(q.shape + (1,) * len(shape))
        out = self._marginals[name].ppf(levels)
        return np.broadcast_to(out, q.shape + shape)

    def _hdi(self, name: str, prob: float) -> tuple[np.ndarray, np.ndarray]:
        from .intervals import hdi_of_dist

        return hdi_of_dist(self._marginals[name], prob)

    # ------------------------------------------------------------ interface
    @property
    def log_evidence(self) -> float:
        """Log marginal likelihood ``log p(D) = log ∫ p(D|θ) p(θ) dθ`` of all data seen.

        It includes every constant of the likelihood (binomial coefficients, ``1/k!``,
        ``2π``), so it is the exact log probability (density) of the observed data under the
        prior predictive. For a batched prior it is the sum over groups; see
        :attr:`group_log_evidence` for each group's own.
        """
        return float(np.sum(self._group_log_evidence))

    @property
    def group_log_evidence(self) -> Any:
        """Log evidence of each group of a batched prior (the batch shape; a float if none)."""
        return _out(self._group_log_evidence)

    def predictive(self, **new: Any) -> Any:
        """Posterior predictive of one new observation, as a scipy.stats frozen distribution."""
        raise NotImplementedError

    def update(self, **data: Any) -> ConjugatePosterior:
        """The posterior after also seeing ``data``: ``conjugate(model.update(**data))``.

        Sufficient statistics are merged, so any sequence of updates equals one batch.

        Examples
        --------
        >>> from scipy import stats
        >>> import bayesgd as bg
        >>> post = conjugate(bg.Bernoulli(y=[1, 0], p=stats.beta(1, 1))).update(y=[1, 1])
        >>> post.hyper
        {'a': 4.0, 'b': 2.0}
        """
        return conjugate(self.model.updated(**data))

    def __repr__(self) -> str:
        hyper = {
            k: (v if np.ndim(v) == 0 else f"array{np.shape(v)}") for k, v in self.hyper.items()
        }
        head = f"<ConjugatePosterior {self.pair} {hyper} of {self.model!r}>"
        if self.model.size > 20:
            return head
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            try:
                table = self.summary().to_string()
            except ValueError:  # e.g. a U-shaped marginal has no single HDI
                return head
        return f"{head}\n{table}"


# ============================================================================================
# Beta posteriors: Bernoulli, Binomial, Geometric, NegativeBinomial
# ============================================================================================


class _BetaPosterior(ConjugatePosterior):
    def __init__(self, model: Model, a0: np.ndarray, b0: np.ndarray):
        super().__init__(model)
        self.pair = f"beta-{model.likelihood}"
        param = model.parameters["p"]
        shape, group = param.shape, model.group_shape
        a0 = np.broadcast_to(a0, shape).astype(float)
        b0 = np.broadcast_to(b0, shape).astype(float)
        st = model.stats
        self._shape, self._group = shape, group
        self._a0, self._b0 = a0, b0
        self._a = a0 + _reduce(st["successes"], group, shape)
        self._b = b0 + _reduce(st["failures"], group, shape)

    @cached_property
    def prior_hyper(self) -> dict[str, Any]:
        return {"a": _out(self._a0), "b": _out(self._b0)}

    @cached_property
    def hyper(self) -> dict[str, Any]:
        return {"a": _out(self._a), "b": _out(self._b)}

    @cached_property
    def dist(self) -> dict[str, Any]:
        return {"p": stats.beta(self._a, self._b)}

    @cached_property
    def _marginals(self) -> dict[str, Any]:
        return dict(self.dist)

    @cached_property
    def _means(self) -> dict[str, np.ndarray]:
        a, b = self._a, self._b
        return {"p": a / (a + b)}

    @cached_property
    def _sds(self) -> dict[str, np.ndarray]:
        a, b = self._a, self._b
        total = a + b
        return {"p": np.sqrt(a * b / (total * total * (total + 1.0)))}

    @cached_property
    def _modes(self) -> dict[str, np.ndarray]:
        return {"p": _beta_mode(self._a, self._b)}

    @cached_property
    def _group_log_evidence(self) -> np.ndarray:
        const = _reduce(self.model.stats["const"], self._group, self._shape)
        return const + betaln(self._a, self._b) - betaln(self._a0, self._b0)

    def _sample(self, shape, rng):
        a, b = self._a, self._b
        return {"p": rng.beta(a, b, size=(*shape, *a.shape))}

    def _model_r(self) -> np.ndarray:
        """The model's ``r`` for a new observation: one value, or one per group."""
        if self.model.r is not None:
            r = np.asarray(self.model.r, dtype=float)
            if r.size and np.all(r == r.flat[0]):
                return np.asarray(r.flat[0])
            if r.shape == self._a.shape:
                return r
        raise TypeError(
            "the model's r varies between observations; pass r= (the number of successes of "
            "the new observation) to predictive()"
        )

    def predictive(self, **new: Any) -> Any:
        """Posterior predictive of one new observation.

        Bernoulli: ``stats.bernoulli``. Binomial (``n=`` trials, required):
        ``stats.betabinom(n, a, b)``. Geometric: :data:`betageom` (trials to the first
        success). NegativeBinomial (``r=``, default the model's ``r`` when it is one number or
        one per group): ``stats.betanbinom(r, a, b)``
        (or :data:`betanbinom_real` for a non-whole ``r``).

        Examples
        --------
        >>> from scipy import stats
        >>> import bayesgd as bg
        >>> post = conjugate(bg.Binomial(k=7, n=10, p=stats.beta(2, 2)))
        >>> round(float(post.predictive(n=5).mean()), 4)  # 5 * 9 / 14
        3.2143
        """
        a, b = self._a, self._b
        lik = self.model.likelihood
        if lik == "bernoulli":
            _check_kwargs(new, (), "a Bernoulli posterior predictive")
            return stats.bernoulli(a / (a + b))
        if lik == "binomial":
            _check_kwargs(new, ("n",), "a Binomial posterior predictive")
            if "n" not in new:
                raise TypeError(
                    "predictive() needs n=, the number of trials of the new observation"
                )
            return stats.betabinom(_check_count(new["n"], "n"), a, b)
        if lik == "geometric":
            _check_kwargs(new, (), "a Geometric posterior predictive")
            return betageom(a, b)
        _check_kwargs(new, ("r",), "a NegativeBinomial posterior predictive")
        r = _check_positive(new["r"], "r") if "r" in new else self._model_r()
        if np.all(r == np.floor(r)):
            return stats.betanbinom(r, a, b)
        return betanbinom_real(r, a, b)


# ============================================================================================
# Gamma posteriors: Poisson, Exponential
# ============================================================================================


class _GammaPosterior(ConjugatePosterior):
    def __init__(self, model: Model, name: str, a0: np.ndarray, rate0: np.ndarray):
        super().__init__(model)
        self.pair = f"gamma-{model.likelihood}"
        self._name = name
        param = model.parameters[name]
        shape, group = param.shape, model.group_shape
        a0 = np.broadcast_to(a0, shape).astype(float)
        rate0 = np.broadcast_to(rate0, shape).astype(float)
        st = model.stats
        if model.likelihood == "poisson":
            count, extent = st["events"], st["exposure"]
        else:
            count, extent = st["n"], st["total"]
        self._a = a0 + _reduce(count, group, shape)
        self._rate = rate0 + _reduce(extent, group, shape)
        self._a0, self._rate0 = a0, rate0
        self._shape, self._group = shape, group

    @cached_property
    def prior_hyper(self) -> dict[str, Any]:
        return {"a": _out(self._a0), "b": _out(self._rate0)}

    @cached_property
    def hyper(self) -> dict[str, Any]:
        return {"a": _out(self._a), "b": _out(self._rate)}

    @cached_property
    def dist(self) -> dict[str, Any]:
        return {self._name: stats.gamma(self._a, scale=1.0 / self._rate)}

    @cached_property
    def _marginals(self) -> dict[str, Any]:
        return dict(self.dist)

    @cached_property
    def _means(self) -> dict[str, np.ndarray]:
        return {self._name: self._a / self._rate}

    @cached_property
    def _sds(self) -> dict[str, np.ndarray]:
        return {self._name: np.sqrt(self._a) / self._rate}

    @cached_property
    def _modes(self) -> dict[str, np.ndarray]:
        return {self._name: _gamma_mode(self._a, self._rate)}

    @cached_property
    def _group_log_evidence(self) -> np.ndarray:
        a0, rate0, a, rate = self._a0, self._rate0, self._a, self._rate
        if self.model.likelihood == "poisson":
            const = _reduce(self.model.stats["const"], self._group, self._shape)
        else:
            const = np.zeros(self._shape)
        return const + xlogy(a0, rate0) - xlogy(a, rate) + gammaln(a) - gammaln(a0)

    def _sample(self, shape, rng):
        return {self._name: rng.gamma(self._a, 1.0 / self._rate, size=(*shape, *self._a.shape))}

    def predictive(self, **new: Any) -> Any:
        """Posterior predictive of one new observation.

        Poisson (``exposure=``, default 1): ``stats.nbinom(a, b / (b + exposure))``.
        Exponential: ``stats.lomax(a, scale=b)``.

        Examples
        --------
        >>> from scipy import stats
        >>> import bayesgd as bg
        >>> post = conjugate(bg.Poisson(k=[2, 5], mu=stats.gamma(2, scale=1)))
        >>> round(float(post.predictive(exposure=2.0).mean()), 4)  # 2 * 9 / 3
        6.0
        """
        a, rate = self._a, self._rate
        if self.model.likelihood == "poisson":
            _check_kwargs(new, ("exposure",), "a Poisson posterior predictive")
            t = _check_positive(new.get("exposure", 1.0), "exposure")
            return stats.nbinom(a, rate / (rate + t))
        _check_kwargs(new, (), "an Exponential posterior predictive")
        return stats.lomax(a, scale=rate)


# ============================================================================================
# Normal likelihood: known variance, known mean, normal-inverse-gamma
# ============================================================================================


def _normal_variance(model: Model) -> np.ndarray:
    if "sigma" in model.fixed:
        return np.asarray(model.fixed["sigma"], dtype=float) ** 2
    return np.asarray(model.fixed["sigma2"], dtype=float)


class _NormalMeanPosterior(ConjugatePosterior):
    """``mu ~ N(m0, s0^2)``, ``y ~ N(mu, sigma^2)`` with sigma known (per group if an array)."""

    def __init__(self, model: Model, m0: np.ndarray, s0: np.ndarray):
        super().__init__(model)
        self.pair = "normal-normal"
        shape, group = model.parameters["mu"].shape, model.group_shape
        m0 = np.broadcast_to(m0, shape).astype(float)
        s0 = np.broadcast_to(s0, shape).astype(float)
        s2 = np.broadcast_to(_normal_variance(model), group)
        n, mean, m2 = model.stats["n"], model.stats["mean"], model.stats["m2"]
        w = n / s2  # likelihood precision of each group's mean
        prec_lik = _reduce(w, group, shape)
        has = prec_lik > 0
        safe = np.where(has, prec_lik, 1.0)
        ybar = _reduce(w * mean, group, shape) / safe  # precision-weighted data mean
        # log likelihood = const_lik - prec_lik (mu - ybar)^2 / 2, computed without cancellation
        const_lik = _reduce(
            -0.5 * n * (_LOG_2PI + np.log(s2)) - m2 / (2 * s2) - 0.5 * w * (mean - ybar) ** 2,
            group,
            shape,
        )
        prec0 = 1.0 / (s0 * s0)
        prec = prec0 + prec_lik
        loc = m0 + prec_lik * (ybar - m0) / prec
        scale = 1.0 / np.sqrt(prec)
        self._m0, self._s0, self._ybar, self._safe, self._has = m0, s0, ybar, safe, has
        self._const_lik = const_lik
        self._loc, self._scale, self._s2 = loc, scale, s2

    @cached_property
    def prior_hyper(self) -> dict[str, Any]:
        return {"loc": _out(self._m0), "scale": _out(self._s0)}

    @cached_property
    def hyper(self) -> dict[str, Any]:
        return {"loc": _out(self._loc), "scale": _out(self._scale)}

    @cached_property
    def dist(self) -> dict[str, Any]:
        return {"mu": stats.norm(self._loc, self._scale)}

    @cached_property
    def _marginals(self) -> dict[str, Any]:
        return dict(self.dist)

    @cached_property
    def _means(self) -> dict[str, np.ndarray]:
        return {"mu": self._loc}

    @cached_property
    def _sds(self) -> dict[str, np.ndarray]:
        return {"mu": self._scale}

    @cached_property
    def _modes(self) -> dict[str, np.ndarray]:
        return {"mu": self._loc}

    @cached_property
    def _group_log_evidence(self) -> np.ndarray:
        s0, m0, ybar, safe = self._s0, self._m0, self._ybar, self._safe
        marg_var = s0 * s0 + 1.0 / safe
        integral = 0.5 * np.log(2 * np.pi / safe) - 0.5 * (
            _LOG_2PI + np.log(marg_var) + (ybar - m0) ** 2 / marg_var
        )
        return self._const_lik + np.where(self._has, integral, 0.0)

    def _sample(self, shape, rng):
        loc, scale = self._loc, self._scale
        return {"mu": loc + scale * rng.standard_normal((*shape, *loc.shape))}

    def predictive(self, **new: Any) -> Any:
        """``stats.norm(loc, sqrt(scale^2 + sigma^2))`` for one new observation.

        Examples
        --------
        >>> from scipy import stats
        >>> import bayesgd as bg
        >>> post = conjugate(bg.Normal(y=[1.0], mu=stats.norm(0, 1), sigma=1.0))
        >>> round(float(post.predictive().std()), 4)  # sqrt(1/2 + 1)
        1.2247
        """
        _check_kwargs(new, (), "a Normal (known sigma) posterior predictive")
        return stats.norm(self._loc, np.sqrt(self._scale**2 + self._s2))


class _NormalVariancePosterior(ConjugatePosterior):
    """``sigma2 ~ InvGamma(a, scale=b)``, ``y ~ N(mu, sigma2)`` with mu known."""

    def __init__(self, model: Model, a0: np.ndarray, b0: np.ndarray):
        super().__init__(model)
        self.pair = "invgamma-normal"
        shape, group = model.parameters["sigma2"].shape, model.group_shape
        a0 = np.broadcast_to(a0, shape).astype(float)
        b0 = np.broadcast_to(b0, shape).astype(float)
        mu = np.asarray(model.fixed["mu"], dtype=float)
        n, mean, m2 = model.stats["n"], model.stats["mean"], model.stats["m2"]
        ss = m2 + n * (mean - mu) ** 2
        n_r = _reduce(n, group, shape)
        a = a0 + 0.5 * n_r
        b = b0 + 0.5 * _reduce(ss, group, shape)
        self._a0, self._b0, self._n_r = a0, b0, n_r
        self._a, self._b, self._mu = a, b, mu

    @cached_property
    def prior_hyper(self) -> dict[str, Any]:
        return {"a": _out(self._a0), "b": _out(self._b0)}

    @cached_property
    def hyper(self) -> dict[str, Any]:
        return {"a": _out(self._a), "b": _out(self._b)}

    @cached_property
    def dist(self) -> dict[str, Any]:
        return {"sigma2": stats.invgamma(self._a, scale=self._b)}

    @cached_property
    def _marginals(self) -> dict[str, Any]:
        return dict(self.dist)

    @cached_property
    def _mean_sd(self) -> tuple[np.ndarray, np.ndarray]:
        return _invgamma_mean_sd(self._a, self._b)

    @cached_property
    def _means(self) -> dict[str, np.ndarray]:
        return {"sigma2": self._mean_sd[0]}

    @cached_property
    def _sds(self) -> dict[str, np.ndarray]:
        return {"sigma2": self._mean_sd[1]}

    @cached_property
    def _modes(self) -> dict[str, np.ndarray]:
        return {"sigma2": self._b / (self._a + 1)}

    @cached_property
    def _group_log_evidence(self) -> np.ndarray:
        a0, b0, a, b = self._a0, self._b0, self._a, self._b
        return (
            -0.5 * self._n_r * _LOG_2PI
            + a0 * np.log(b0)
            - a * np.log(b)
            + gammaln(a)
            - gammaln(a0)
        )

    def _sample(self, shape, rng):
        a, b = self._a, self._b
        return {"sigma2": b / rng.gamma(a, size=(*shape, *a.shape))}

    def predictive(self, **new: Any) -> Any:
        """``stats.t(2a, loc=mu, scale=sqrt(b/a))`` for one new observation.

        Examples
        --------
        >>> from scipy import stats
        >>> import bayesgd as bg
        >>> post = conjugate(bg.Normal(y=[1.0, -1.0], mu=0.0, sigma2=stats.invgamma(2, scale=2)))
        >>> float(post.predictive().kwds["scale"]) ** 2  # b / a = 3 / 3
        1.0
        """
        _check_kwargs(new, (), "a Normal (known mu) posterior predictive")
        a, b = self._a, self._b
        return stats.t(2 * a, loc=self._mu, scale=np.sqrt(b / a))


class _NIGPosterior(ConjugatePosterior):
    """``(mu, sigma2) ~ NIG(mu0, lmbda, a, b)``, ``y ~ N(mu, sigma2)``."""

    def __init__(self, model: Model, prior: NIGPrior):
        super().__init__(model)
        self.pair = "normal_inverse_gamma-normal"
        mu_name, s2_name = prior.names
        shape = prior.shapes[mu_name]
        mu0, lam0, a0, b0 = (
            np.broadcast_to(v, shape).astype(float)
            for v in (prior.mu, prior.lmbda, prior.a, prior.b)
        )
        n = _reduce(model.stats["n"], model.group_shape, shape)
        mean = _reduce(model.stats["mean"], model.group_shape, shape)
        m2 = _reduce(model.stats["m2"], model.group_shape, shape)
        lam = lam0 + n
        mu = mu0 + n * (mean - mu0) / lam
        a = a0 + 0.5 * n
        b = b0 + 0.5 * m2 + 0.5 * lam0 * n * (mean - mu0) ** 2 / lam
        self._mu0, self._lam0, self._a0, self._b0, self._n = mu0, lam0, a0, b0, n
        self._mu, self._lam, self._a, self._b = mu, lam, a, b
        self._names = (mu_name, s2_name)

    @cached_property
    def prior_hyper(self) -> dict[str, Any]:
        return {
            "mu": _out(self._mu0),
            "lmbda": _out(self._lam0),
            "a": _out(self._a0),
            "b": _out(self._b0),
        }

    @cached_property
    def hyper(self) -> dict[str, Any]:
        return {
            "mu": _out(self._mu),
            "lmbda": _out(self._lam),
            "a": _out(self._a),
            "b": _out(self._b),
        }

    @cached_property
    def _t_scale(self) -> np.ndarray:
        return np.sqrt(self._b / (self._a * self._lam))

    @cached_property
    def dist(self) -> dict[str, Any]:
        mu_name, s2_name = self._names
        a = self._a
        return {
            mu_name: stats.t(2 * a, loc=self._mu, scale=self._t_scale),
            s2_name: stats.invgamma(a, scale=self._b),
        }

    @cached_property
    def _marginals(self) -> dict[str, Any]:
        return dict(self.dist)

    @cached_property
    def joint(self) -> Any:
        return stats.normal_inverse_gamma(self._mu, self._lam, self._a, self._b)

    @cached_property
    def _mean_sd(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        mu_name, s2_name = self._names
        return {
            mu_name: _t_mean_sd(2 * self._a, self._mu, self._t_scale),
            s2_name: _invgamma_mean_sd(self._a, self._b),
        }

    @cached_property
    def _means(self) -> dict[str, np.ndarray]:
        return {k: v[0] for k, v in self._mean_sd.items()}

    @cached_property
    def _sds(self) -> dict[str, np.ndarray]:
        return {k: v[1] for k, v in self._mean_sd.items()}

    @cached_property
    def _modes(self) -> dict[str, np.ndarray]:
        mu_name, s2_name = self._names
        return {mu_name: self._mu, s2_name: self._b / (self._a + 1.5)}

    @cached_property
    def _group_log_evidence(self) -> np.ndarray:
        a0, b0, lam0, a, b, lam = self._a0, self._b0, self._lam0, self._a, self._b, self._lam
        return (
            -0.5 * self._n * _LOG_2PI
            + 0.5 * (np.log(lam0) - np.log(lam))
            + a0 * np.log(b0)
            - a * np.log(b)
            + gammaln(a)
            - gammaln(a0)
        )

    def _sample(self, shape, rng):
        mu_name, s2_name = self._names
        full = (*shape, *self._mu.shape)
        s2 = self._b / rng.gamma(self._a, size=full)
        mu = self._mu + np.sqrt(s2 / self._lam) * rng.standard_normal(full)
        return {mu_name: mu, s2_name: s2}

    def predictive(self, **new: Any) -> Any:
        """``stats.t(2a, loc=mu, scale=sqrt(b (1 + 1/lmbda) / a))`` for one new observation.

        Examples
        --------
        >>> from scipy import stats
        >>> import bayesgd as bg
        >>> post = conjugate(bg.Normal(y=[0.0, 2.0], prior=stats.normal_inverse_gamma(1, 1, 2, 2)))
        >>> float(post.predictive().mean())
        1.0
        """
        _check_kwargs(new, (), "a Normal (normal-inverse-gamma) posterior predictive")
        a, b, lam = self._a, self._b, self._lam
        return stats.t(2 * a, loc=self._mu, scale=np.sqrt(b * (1 + 1 / lam) / a))


# ============================================================================================
# Dirichlet: Multinomial, Categorical
# ============================================================================================


def _dirichlet_mode(alpha: np.ndarray) -> np.ndarray:
    above = alpha > 1
    if np.any(above):
        w = np.where(above, alpha - 1, 0.0)
        return w / w.sum()
    if np.all(alpha == 1):
        return np.full(alpha.shape, 1.0 / alpha.size)
    j = alpha.size - 1 - int(np.argmax(alpha[::-1]))
    out = np.zeros(alpha.shape)
    out[j] = 1.0
    return out


class _DirichletPosterior(ConjugatePosterior):
    def __init__(self, model: Model, alpha0: np.ndarray):
        super().__init__(model)
        self.pair = f"dirichlet-{model.likelihood}"
        counts = np.asarray(model.stats["counts"], dtype=float)
        self._alpha0 = np.array(alpha0, dtype=float)
        self._alpha = self._alpha0 + counts
        self._total = self._alpha.sum()

    @cached_property
    def prior_hyper(self) -> dict[str, Any]:
        return {"alpha": self._alpha0.copy()}

    @cached_property
    def hyper(self) -> dict[str, Any]:
        return {"alpha": self._alpha.copy()}

    @cached_property
    def dist(self) -> dict[str, Any]:
        return {"p": stats.dirichlet(self._alpha)}

    @cached_property
    def _marginals(self) -> dict[str, Any]:
        return {"p": stats.beta(self._alpha, self._total - self._alpha)}

    @cached_property
    def _means(self) -> dict[str, np.ndarray]:
        return {"p": self._alpha / self._total}

    @cached_property
    def _sds(self) -> dict[str, np.ndarray]:
        alpha, total = self._alpha, self._total
        return {"p": np.sqrt(alpha * (total - alpha) / (total * total * (total + 1)))}

    @cached_property
    def _modes(self) -> dict[str, np.ndarray]:
        return {"p": _dirichlet_mode(self._alpha)}

    @cached_property
    def _group_log_evidence(self) -> np.ndarray:
        alpha0, alpha = self._alpha0, self._alpha
        const = float(np.sum(self.model.stats["const"]))
        return np.asarray(
            const
            + gammaln(alpha0.sum())
            - gammaln(self._total)
            + np.sum(gammaln(alpha) - gammaln(alpha0))
        )

    def _sample(self, shape, rng):
        return {"p": rng.dirichlet(self._alpha, size=shape)}

    def predictive(self, **new: Any) -> Any:
        """Posterior predictive of one new observation.

        Multinomial (``n=`` trials, required): ``stats.dirichlet_multinomial(alpha, n)``.
        Categorical: a frozen categorical over the labels ``0 .. K-1`` with probabilities
        ``alpha / alpha.sum()`` (``scipy.stats.rv_discrete(values=...)``).

        Examples
        --------
        >>> from scipy import stats
        >>> import bayesgd as bg
        >>> post = conjugate(bg.Categorical(y=[0, 2, 2], p=stats.dirichlet([1, 1, 1])))
        >>> [round(float(v), 4) for v in post.predictive().pmf([0, 1, 2])]
        [0.3333, 0.1667, 0.5]
        """
        alpha = self._alpha
        if self.model.likelihood == "multinomial":
            _check_kwargs(new, ("n",), "a Multinomial posterior predictive")
            if "n" not in new:
                raise TypeError("predictive() needs n=, the number of trials of the new draw")
            n = _check_count(new["n"], "n")
            if n.ndim:
                raise ValueError(f"n must be a single whole number, got shape {n.shape}")
            return stats.dirichlet_multinomial(alpha, int(n))
        _check_kwargs(new, (), "a Categorical posterior predictive")
        k = alpha.size
        return stats.rv_discrete(name="categorical", values=(np.arange(k), alpha / alpha.sum()))


# ============================================================================================
# Linear regression
# ============================================================================================


def _new_design(model: Model, new: Mapping[str, Any]) -> np.ndarray:
    """The new rows ``X=``, read as everywhere else (``bayesgd.models._elementwise.check_rows``).

    ``(m, d)``; 1-D only for a one-feature model, where it is ``m`` values of that feature.
    """
    from .models._elementwise import check_rows

    if "X" not in new:
        raise TypeError("predictive() needs X=, the features of the new observation(s)")
    X = check_rows(new["X"], model.n_features, "X")
    if X.shape[0] == 0:
        raise ValueError(f"X must have at least one row, got shape {X.shape}")
    return X


def _fixed_intercept(model: Model) -> float:
    return float(model.fixed["intercept"]) if "intercept" in model.fixed else 0.0


class _RegressionNIGPosterior(ConjugatePosterior):
    """``coef | s2 ~ N(m, s2 V)``, ``s2 ~ InvGamma(a, b)``, ``y ~ N(X coef, s2)``."""

    def __init__(self, model: Model, prior: MvNIGPrior):
        super().__init__(model)
        self.pair = "normal_inverse_gamma-linear"
        nig = prior.dist
        coef_name, s2_name = prior.names
        self._names = (coef_name, s2_name)
        st = model.stats
        A, b_ols, n = st["xtx"], st["coef_ols"], float(st["n"])
        P0, m0 = nig.precision, nig.mean_
        P = P0 + A
        chol = np.linalg.cholesky(P)
        m = _chol_solve(chol, P0 @ m0 + A @ b_ols)
        dm, db = m0 - m, b_ols - m
        a = nig.a + 0.5 * n
        b = nig.b + 0.5 * (float(st["rss"]) + dm @ P0 @ dm + db @ A @ db)
        V = _chol_inverse(chol)
        self._nig, self._n, self._chol_P = nig, n, chol
        self._m, self._V, self._a, self._b = m, V, a, b
        self._chol_V = np.linalg.cholesky(V)

    @cached_property
    def prior_hyper(self) -> dict[str, Any]:
        nig = self._nig
        return {"mean": nig.mean_.copy(), "cov": nig.cov.copy(), "a": nig.a, "b": nig.b}

    @cached_property
    def hyper(self) -> dict[str, Any]:
        return {"mean": self._m, "cov": self._V, "a": self._a, "b": self._b}

    @cached_property
    def _shape_mat(self) -> np.ndarray:
        return (self._b / self._a) * self._V

    @cached_property
    def _t_scale(self) -> np.ndarray:
        return np.sqrt(np.diag(self._shape_mat))

    @cached_property
    def dist(self) -> dict[str, Any]:
        coef_name, s2_name = self._names
        a = self._a
        return {
            coef_name: stats.multivariate_t(loc=self._m, shape=self._shape_mat, df=2 * a),
            s2_name: stats.invgamma(a, scale=self._b),
        }

    @cached_property
    def _marginals(self) -> dict[str, Any]:
        coef_name, s2_name = self._names
        return {
            coef_name: stats.t(2 * self._a, loc=self._m, scale=self._t_scale),
            s2_name: self.dist[s2_name],
        }

    @cached_property
    def joint(self) -> Any:
        from .priors import NormalInverseGamma

        return NormalInverseGamma(self._m, self._V, self._a, self._b)

    @cached_property
    def _mean_sd(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        coef_name, s2_name = self._names
        a, b, m = self._a, self._b, self._m
        return {
            coef_name: _t_mean_sd(np.full(m.size, 2 * a), m, self._t_scale),
            s2_name: _invgamma_mean_sd(np.asarray(a), np.asarray(b)),
        }

    @cached_property
    def _means(self) -> dict[str, np.ndarray]:
        return {k: v[0] for k, v in self._mean_sd.items()}

    @cached_property
    def _sds(self) -> dict[str, np.ndarray]:
        return {k: v[1] for k, v in self._mean_sd.items()}

    @cached_property
    def _modes(self) -> dict[str, np.ndarray]:
        coef_name, s2_name = self._names
        a, b, m = self._a, self._b, self._m
        return {coef_name: m, s2_name: np.asarray(b / (a + 1 + 0.5 * m.size))}

    @cached_property
    def _group_log_evidence(self) -> np.ndarray:
        nig, a, b = self._nig, self._a, self._b
        log_det_V = -2.0 * np.sum(np.log(np.diag(self._chol_P)))
        return np.asarray(
            -0.5 * self._n * _LOG_2PI
            + 0.5 * (log_det_V - nig.log_det_cov)
            + nig.a * np.log(nig.b)
            - a * np.log(b)
            + gammaln(a)
            - gammaln(nig.a)
        )

    def _sample(self, shape, rng):
        coef_name, s2_name = self._names
        s2 = self._b / rng.gamma(self._a, size=shape)
        z = rng.standard_normal((*shape, self._m.size)) @ self._chol_V.T
        return {coef_name: self._m + np.sqrt(s2)[..., None] * z, s2_name: s2}

    def predictive(self, **new: Any) -> Any:
        """``stats.multivariate_t`` of the responses at new rows ``X`` (shape ``(m, d)``).

        Location ``X m (+ fixed intercept)``, shape ``(b/a) (I + X V X')``, ``df = 2a``; the
        ``m`` responses are jointly distributed (they share ``coef`` and ``sigma2``). ``X`` is
        read as by the model and :meth:`predict`: one row is ``[[x1, ..., xd]]``; a 1-D
        ``X`` is ``m`` values of the feature of a one-feature model.

        Examples
        --------
        >>> import numpy as np
        >>> import bayesgd as bg
        >>> X = np.column_stack([np.ones(4), [0.0, 1.0, 2.0, 3.0]])
        >>> prior = bg.priors.NormalInverseGamma(mean=[0, 0], cov=100.0, a=2, b=2)
        >>> post = conjugate(bg.LinearRegression(X=X, y=[1.0, 3.1, 4.9, 7.2], prior=prior))
        >>> post.predictive(X=[[1.0, 4.0]]).dim
        1
        """
        _check_kwargs(new, ("X",), "a LinearRegression posterior predictive")
        X = _new_design(self.model, new)
        shape = (self._b / self._a) * (np.eye(len(X)) + X @ self._V @ X.T)
        loc = X @ self._m + _fixed_intercept(self.model)
        return stats.multivariate_t(loc=loc, shape=shape, df=2 * self._a)


class _RegressionGaussianPosterior(ConjugatePosterior):
    """Gaussian prior on ``[intercept, coef]``, noise variance known: Gaussian posterior."""

    def __init__(self, model: Model, m0: np.ndarray, P0: np.ndarray, log_det_P0: float):
        super().__init__(model)
        self.pair = "normal-linear"
        st = model.stats
        s2 = float(_normal_variance(model))
        A, b_ols, n = st["xtx"], st["coef_ols"], float(st["n"])
        Al = A / s2
        P = P0 + Al
        chol = np.linalg.cholesky(P)
        m = _chol_solve(chol, P0 @ m0 + Al @ b_ols)
        cov = _chol_inverse(chol)
        self._s2, self._m, self._cov = s2, m, cov
        self._chol_cov = np.linalg.cholesky(cov)
        self._icpt = model.has_intercept_column
        self._m0, self._P0, self._log_det_P0 = m0, P0, log_det_P0
        self._chol_P, self._Al, self._b_ols, self._n = chol, Al, b_ols, n

    @cached_property
    def prior_hyper(self) -> dict[str, Any]:
        return {"mean": self._m0.copy(), "cov": np.linalg.inv(self._P0)}

    @cached_property
    def hyper(self) -> dict[str, Any]:
        return {"mean": self._m, "cov": self._cov}

    @cached_property
    def _sd_all(self) -> np.ndarray:
        return np.sqrt(np.diag(self._cov))

    @cached_property
    def dist(self) -> dict[str, Any]:
        m, cov, sd = self._m, self._cov, self._sd_all
        k = 1 if self._icpt else 0
        out = {"coef": stats.multivariate_normal(m[k:], cov[k:, k:])}
        if self._icpt:
            out["intercept"] = stats.norm(m[0], sd[0])
        return out

    @cached_property
    def _marginals(self) -> dict[str, Any]:
        m, sd = self._m, self._sd_all
        k = 1 if self._icpt else 0
        out = {"coef": stats.norm(m[k:], sd[k:])}
        if self._icpt:
            out["intercept"] = self.dist["intercept"]
        return out

    def _split(self, values: np.ndarray) -> dict[str, np.ndarray]:
        """``[intercept, *coef]`` values as ``{"coef": ..., "intercept": ...}``."""
        if self._icpt:
            return {"coef": values[1:], "intercept": values[0]}
        return {"coef": values}

    @cached_property
    def _means(self) -> dict[str, np.ndarray]:
        return self._split(self._m)

    @cached_property
    def _sds(self) -> dict[str, np.ndarray]:
        return self._split(self._sd_all)

    @cached_property
    def _modes(self) -> dict[str, np.ndarray]:
        return self._split(self._m)

    @cached_property
    def _group_log_evidence(self) -> np.ndarray:
        m, m0, P0, Al, s2, n = self._m, self._m0, self._P0, self._Al, self._s2, self._n
        dm, db = m0 - m, self._b_ols - m
        log_det_P = 2.0 * np.sum(np.log(np.diag(self._chol_P)))
        return np.asarray(
            -0.5 * n * (_LOG_2PI + np.log(s2))
            - float(self.model.stats["rss"]) / (2 * s2)
            - 0.5 * (dm @ P0 @ dm + db @ Al @ db)
            + 0.5 * (self._log_det_P0 - log_det_P)
        )

    def _sample(self, shape, rng):
        z = self._m + rng.standard_normal((*shape, self._m.size)) @ self._chol_cov.T
        out = {"coef": z[..., 1:] if self._icpt else z}
        if self._icpt:
            out["intercept"] = z[..., 0]
        return out

    def predictive(self, **new: Any) -> Any:
        """``stats.multivariate_normal`` of the responses at new rows ``X`` (shape ``(m, d)``).

        ``X`` is read as by the model and :meth:`predict`: a 1-D ``X`` is ``m`` values of the
        feature of a one-feature model, and is refused when there are more features.

        Examples
        --------
        >>> import numpy as np
        >>> from scipy import stats
        >>> import bayesgd as bg
        >>> m = bg.LinearRegression(X=np.eye(2), y=[1.0, 2.0], coef=stats.norm(0, 10), sigma=1.0)
        >>> conjugate(m).predictive(X=[[1.0, 0.0]]).cov.shape
        (1, 1)
        """
        _check_kwargs(new, ("X",), "a LinearRegression posterior predictive")
        X = _new_design(self.model, new)
        Xa = np.column_stack([np.ones(len(X)), X]) if self._icpt else X
        cov = self._s2 * np.eye(len(X)) + Xa @ self._cov @ Xa.T
        return stats.multivariate_normal(Xa @ self._m + _fixed_intercept(self.model), cov)


def _chol_solve(chol: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    from scipy.linalg import cho_solve

    return cho_solve((chol, True), rhs)


def _chol_inverse(chol: np.ndarray) -> np.ndarray:
    inv = _chol_solve(chol, np.eye(chol.shape[0]))
    return 0.5 * (inv + inv.T)


# ============================================================================================
# Dispatch
# ============================================================================================

_BETA_LIKELIHOODS = ("bernoulli", "binomial", "geometric", "negative_binomial")


def _as_beta(prior: Any) -> tuple[np.ndarray, np.ndarray] | str:
    """(a, b) of a standard beta prior, or the reason it is not one."""
    if not isinstance(prior, UnivariatePrior):
        return ""
    if prior.family == "beta":
        if np.any(prior.loc != 0) or np.any(prior.scale != 1):
            return " (a beta prior must have the standard loc=0, scale=1 to be conjugate)"
        return prior._shape_args[0], prior._shape_args[1]
    if prior.family == "uniform" and np.all(prior.loc == 0) and np.all(prior.scale == 1):
        return np.ones(prior.loc.shape), np.ones(prior.loc.shape)
    return ""


def _as_gamma(prior: Any) -> tuple[np.ndarray, np.ndarray] | str:
    """(shape a, rate b) of a gamma-family prior with loc 0, or the reason it is not one."""
    if not isinstance(prior, UnivariatePrior) or prior.family not in ("gamma", "expon", "chi2"):
        return ""
    if np.any(prior.loc != 0):
        return f" (a {prior.family} prior must have loc=0 to be conjugate)"
    if prior.family == "gamma":
        return prior._shape_args[0], 1.0 / prior.scale
    if prior.family == "expon":
        return np.ones(prior.scale.shape), 1.0 / prior.scale
    return 0.5 * prior._shape_args[0], 0.5 / prior.scale


def _describe(model: Model) -> str:
    parts = [f"{p.family} prior on {'/'.join(p.names)}" for p in model.priors]
    if model.fixed:
        parts.append(f"{', '.join(sorted(model.fixed))} fixed")
    return ", ".join(parts)


def _not_conjugate(model: Model, reason: str = "") -> NotConjugateError:
    lik = model.likelihood
    what = "a custom likelihood" if lik == "custom" else f"a {lik} likelihood"
    pairs = "\n".join(f"  - {p}" for p in CONJUGATE_PAIRS)
    return NotConjugateError(
        f"no closed-form posterior for {_describe(model)} with {what}{reason}. "
        f"Use bg.grid, bg.map_estimate, bg.laplace or bg.sample_pymc instead. "
        f"The conjugate pairs are:\n{pairs}"
    )


def _dispatch(model: Model) -> ConjugatePosterior:
    lik = model.likelihood
    params = model.parameters
    names = set(params)

    if lik in _BETA_LIKELIHOODS and names == {"p"}:
        got = _as_beta(params["p"].prior)
        if isinstance(got, str):
            raise _not_conjugate(model, got)
        return _BetaPosterior(model, *got)

    if lik in ("poisson", "exponential"):
        name = "mu" if lik == "poisson" else "lam"
        if names == {name}:
            got = _as_gamma(params[name].prior)
            if isinstance(got, str):
                raise _not_conjugate(model, got)
            return _GammaPosterior(model, name, *got)

    if lik == "normal":
        priors = model.priors
        if names == {"mu", "sigma2"} and len(priors) == 1 and isinstance(priors[0], NIGPrior):
            return _NIGPosterior(model, priors[0])
        if names == {"mu"}:
            prior = params["mu"].prior
            if isinstance(prior, UnivariatePrior) and prior.family == "norm":
                return _NormalMeanPosterior(model, prior.loc, prior.scale)
        if names == {"sigma2"}:
            prior = params["sigma2"].prior
            if isinstance(prior, UnivariatePrior) and prior.family == "invgamma":
                if np.any(prior.loc != 0):
                    raise _not_conjugate(model, " (an invgamma prior must have loc=0)")
                return _NormalVariancePosterior(model, prior._shape_args[0], prior.scale)
        if names == {"sigma"}:
            raise _not_conjugate(
                model,
                " (with mu fixed, put an invgamma prior on the variance: "
                "sigma2=stats.invgamma(...))",
            )
        if names == {"mu", "sigma2"} or names == {"mu", "sigma"}:
            raise _not_conjugate(
                model,
                " (independent priors on mu and the scale are only semi-conjugate; the joint "
                "conjugate prior is prior=stats.normal_inverse_gamma(mu, lmbda, a, b))",
            )

    if lik in ("multinomial", "categorical") and names == {"p"}:
        prior = params["p"].prior
        if isinstance(prior, DirichletPrior):
            return _DirichletPosterior(model, prior.alpha)

    if lik == "linear":
        priors = model.priors
        if names == {"coef", "sigma2"} and len(priors) == 1 and isinstance(priors[0], MvNIGPrior):
            return _RegressionNIGPosterior(model, priors[0])
        if names in ({"coef"}, {"coef", "intercept"}):
            got = _gaussian_regression_prior(model)
            if isinstance(got, str):
                raise _not_conjugate(model, got)
            return _RegressionGaussianPosterior(model, *got)

    raise _not_conjugate(model)


def _gaussian_regression_prior(model: Model) -> tuple[np.ndarray, np.ndarray, float] | str:
    """Mean, precision and log-det precision of the Gaussian prior on [intercept, coef]."""
    sigma = _normal_variance(model)
    if np.size(sigma) != 1:
        return " (the fixed noise scale must be a single number)"
    blocks_m, blocks_p = [], []
    if "intercept" in model.parameters:
        prior = model.parameters["intercept"].prior
        if not (isinstance(prior, UnivariatePrior) and prior.family == "norm"):
            return " (the intercept's prior must be norm)"
        blocks_m.append(np.atleast_1d(prior.loc).astype(float))
        blocks_p.append(np.atleast_2d(1.0 / prior.scale**2))
    prior = model.parameters["coef"].prior
    d = model.parameters["coef"].shape[0]
    if isinstance(prior, MvNormalPrior):
        blocks_m.append(prior.mean_)
        blocks_p.append(prior.precision)
    elif isinstance(prior, UnivariatePrior) and prior.family == "norm":
        blocks_m.append(np.broadcast_to(prior.loc, (d,)).astype(float))
        blocks_p.append(np.diag(np.broadcast_to(1.0 / prior.scale**2, (d,))))
    else:
        return " (the coef prior must be norm or multivariate_normal)"
    from scipy.linalg import block_diag

    m0 = np.concatenate(blocks_m)
    P0 = block_diag(*blocks_p)
    _, log_det = np.linalg.slogdet(P0)
    return m0, P0, float(log_det)


def is_conjugate(model: Model) -> bool:
    """Whether :func:`conjugate` has a closed form for ``model``.

    Examples
    --------
    >>> from scipy import stats
    >>> import bayesgd as bg
    >>> bg.is_conjugate(bg.Binomial(k=3, n=5, p=stats.beta(1, 1)))
    True
    >>> bg.is_conjugate(bg.Binomial(k=3, n=5, p=stats.uniform(0.1, 0.5)))
    False
    """
    try:
        conjugate(model)
    except NotConjugateError:
        return False
    return True


def conjugate(model: Model) -> ConjugatePosterior:
    """The exact posterior of a model whose prior is conjugate to its likelihood.

    Parameters
    ----------
    model : Model
        A likelihood family (``bg.Binomial``, ``bg.Normal``, ...) with a conjugate prior; see
        :data:`CONJUGATE_PAIRS`. Batched priors give one posterior per group, computed at once.

    Returns
    -------
    ConjugatePosterior
        With ``hyper``, ``dist``, exact ``mean``/``sd``/``mode``/``median``/``quantile``/``hdi``,
        joint ``sample``, ``log_evidence``, ``predictive(...)`` and ``update(...)``.

    Raises
    ------
    TypeError
        If ``model`` is not a bayesgd Model.
    NotConjugateError
        If the prior/likelihood pair has no closed form; the message names the pair given and
        lists the conjugate pairs.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> import bayesgd as bg
    >>> G = 3
    >>> post = conjugate(bg.Binomial(k=[1, 5, 9], n=10, p=stats.beta(np.ones(G), np.ones(G))))
    >>> post.mean()["p"].round(3)
    array([0.167, 0.5  , 0.833])
    >>> conjugate(bg.Normal(y=[0.1, 0.4], prior=stats.normal_inverse_gamma(0, 1, 2, 1))).names
    ('mu', 'sigma2')
    """
    if not isinstance(model, Model):
        raise TypeError(
            f"model must be a bayesgd Model (e.g. bg.Binomial(...)), got {type(model).__name__}"
        )
    return _dispatch(model)
