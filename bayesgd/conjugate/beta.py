"""Beta posteriors of ``p``: Bernoulli, Binomial, Geometric and NegativeBinomial likelihoods."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cached_property
from typing import Any

import numpy as np
from scipy import stats
from scipy.special import betaln, gammaln

from ..models.base import Model
from ..numerics.special import beta_mean_sd, log_gamma_ratio
from ..numerics.special import betaln as betaln_wide
from ._common import _check_count, _check_kwargs, _check_positive, _out, _reduce
from .base import ConjugatePosterior
from .roles import not_conjugate, register_role

__all__ = ["betanbinom_real"]


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


def _beta_log_evidence(a0, b0, s, f, const, uniform=None):
    """``const + log B(a0 + s, b0 + f) - log B(a0, b0)`` in the arrangement that cancels least.

    With ``s`` successes and ``f`` failures (passed apart: ``a0 + s`` may round to ``a0``), the
    difference of log-beta functions is a sum of :func:`log_gamma_ratio` terms, either around
    the prior (moderate when the prior's counts dominate) or, given ``uniform`` (the log
    evidence under a uniform prior, ``-sum log(n_i + 1)`` for a Binomial), around the data.
    The arrangement whose terms are smallest is used; if even it cannot give the answer to
    1e-6 (relative, or absolute near 0) an :class:`OverflowError` names the counts.
    """
    with np.errstate(all="ignore"):  # non-finite candidates are discarded below
        return _beta_log_evidence_in_range(a0, b0, s, f, const, uniform)


def _beta_log_evidence_in_range(a0, b0, s, f, const, uniform):
    ab0 = a0 + b0
    terms = [const, log_gamma_ratio(a0, s), log_gamma_ratio(b0, f), -log_gamma_ratio(ab0, s + f)]
    values, sizes = [sum(terms)], [sum(np.abs(t) for t in terms)]
    if uniform is not None:
        lb_data = betaln_wide(s + 1.0, f + 1.0)
        # log B(s + 1, f + 1) - sum_i log B(k_i + 1, f_i + 1) is 0 for one observation,
        # which is when sum_i log(n_i + 1) is log(sum_i n_i + 1) (another n_i >= 1 adds at
        # least log 2); otherwise it is read off const, with const's rounding error.
        single = uniform == -np.log1p(s + f)
        cross = np.where(single, 0.0, lb_data - (uniform - const))
        terms = [
            uniform,
            cross,
            log_gamma_ratio(s + 1.0, a0 - 1.0),
            log_gamma_ratio(f + 1.0, b0 - 1.0),
            -log_gamma_ratio(s + f + 2.0, ab0 - 2.0),
            -betaln_wide(a0, b0),
        ]
        values.append(sum(terms))
        cross_size = np.where(single, 0.0, np.abs(lb_data) + np.abs(const))
        sizes.append(np.abs(uniform) + cross_size + sum(np.abs(t) for t in terms[2:]))
    sizes_arr = np.where(np.isfinite(values), sizes, np.inf)
    best = np.argmin(sizes_arr, axis=0)
    value = np.choose(best, values)
    error = 8 * np.finfo(float).eps * np.choose(best, sizes_arr)
    bad = ~(error <= 1e-6 * np.maximum(1.0, np.abs(value)))
    if np.any(bad):
        first = {
            k: np.asarray(v)[bad].ravel()[:3] for k, v in zip("sfab", (s, f, a0, b0), strict=True)
        }
        raise OverflowError(
            "log_evidence: the counts are too large for float64 to give log p(D) accurately "
            f"(successes {first['s']}, failures {first['f']}, prior a {first['a']}, "
            f"b {first['b']})"
        )
    return value


def _beta_mode(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Mode of Beta(a, b), with edge modes; see :meth:`ConjugatePosterior.mode`."""
    interior = (a > 1) & (b > 1)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        big = np.maximum(a - 1, b - 1)  # scaled first: a + b may pass 1e308
        inner = ((a - 1) / big) / ((a - 1) / big + (b - 1) / big)
    edge = np.where(a < b, 0.0, np.where(a > b, 1.0, np.where(a == 1, 0.5, 0.0)))
    return np.where(interior, inner, edge)


class _BetaPosterior(ConjugatePosterior):
    def __init__(
        self,
        model: Model,
        a0: np.ndarray,
        b0: np.ndarray,
        *,
        pair: str,
        predict: Callable[[_BetaPosterior, Mapping[str, Any]], Any],
    ):
        super().__init__(model)
        self.pair = pair
        self._predict = predict
        param = model.parameters["p"]
        shape, group = param.shape, model.group_shape
        a0 = np.broadcast_to(a0, shape).astype(float)
        b0 = np.broadcast_to(b0, shape).astype(float)
        st = model.stats
        self._shape, self._group = shape, group
        self._a0, self._b0 = a0, b0
        self._s = _reduce(st["successes"], group, shape)
        self._f = _reduce(st["failures"], group, shape)
        with np.errstate(over="ignore"):
            self._a, self._b = a0 + self._s, b0 + self._f
        if not (np.all(np.isfinite(self._a)) and np.all(np.isfinite(self._b))):
            raise OverflowError(
                "the beta posterior's a = prior a + successes or b = prior b + failures "
                f"exceeds the float range (prior a {a0.ravel()[:3]}, b {b0.ravel()[:3]})"
            )

    @cached_property
    def _prior_hyper(self) -> dict[str, Any]:
        return {"a": _out(self._a0), "b": _out(self._b0)}

    @cached_property
    def _hyper(self) -> dict[str, Any]:
        return {"a": _out(self._a), "b": _out(self._b)}

    @cached_property
    def dist(self) -> dict[str, Any]:
        return {"p": stats.beta(self._a, self._b)}

    @cached_property
    def _marginals(self) -> dict[str, Any]:
        a, b = self._a, self._b
        with np.errstate(over="ignore"):
            if np.all(np.isfinite(a + b)):
                return dict(self.dist)
        # a + b past 1e308: Beta(a, b) is normal to within sd / sqrt(min(a, b)) ~ 1e-146 of
        # its sd (below float resolution)
        # (a + b overflows only when min(a, b) > ulp(max)/2 ~ 1e292: the normal form applies)
        return {"p": stats.norm(*self._mean_sd)}

    @cached_property
    def _mean_sd(self) -> tuple[np.ndarray, np.ndarray]:
        return beta_mean_sd(self._a, self._b)

    @cached_property
    def _means(self) -> dict[str, np.ndarray]:
        a, b = self._a, self._b
        with np.errstate(over="ignore"):
            total = a + b
            finite = np.isfinite(total.sum())  # one float, not a mask: the common case
        if finite:  # no sd computed for a mean; the buffer of a + b takes the ratio
            if isinstance(total, np.ndarray) and total.ndim:
                return {"p": np.divide(a, total, out=total)}
            return {"p": a / total}
        return {"p": self._mean_sd[0]}

    @cached_property
    def _sds(self) -> dict[str, np.ndarray]:
        return {"p": self._mean_sd[1]}

    @cached_property
    def _modes(self) -> dict[str, np.ndarray]:
        return {"p": _beta_mode(self._a, self._b)}

    @cached_property
    def _group_log_evidence(self) -> np.ndarray:
        st, group, shape = self.model.stats, self._group, self._shape
        const = _reduce(st["const"], group, shape)
        uniform = _reduce(st["log_uniform"], group, shape) if "log_uniform" in st else None
        return _beta_log_evidence(self._a0, self._b0, self._s, self._f, const, uniform)

    def _sample(self, shape, rng):
        a, b = self._a, self._b
        return {"p": rng.beta(a, b, size=(*shape, *a.shape))}

    def predictive(self, **new: Any) -> Any:
        """Posterior predictive of one new observation (see the role's predictive below).

        Bernoulli: ``stats.bernoulli``. Binomial (``n=`` trials, required):
        ``stats.betabinom(n, a, b)``. Geometric: ``stats.betanbinom(1, a, b, loc=1)`` (trials
        to the first success, the beta-geometric). NegativeBinomial (``r=``, default the
        model's ``r`` when it is one number or one per group): ``stats.betanbinom(r, a, b)``
        (or :data:`betanbinom_real` for a non-whole ``r``).

        Examples
        --------
        >>> from scipy import stats
        >>> import bayesgd as bg
        >>> post = bg.conjugate(bg.Binomial(k=7, n=10, p=stats.beta(2, 2)))
        >>> round(float(post.predictive(n=5).mean()), 4)  # 5 * 9 / 14
        3.2143
        """
        return self._predict(self, new)


# --------------------------------------------------------------------------------------------
# Predictives, one per role
# --------------------------------------------------------------------------------------------


def _bernoulli_predictive(post: _BetaPosterior, new: Mapping[str, Any]) -> Any:
    _check_kwargs(new, (), "a Bernoulli posterior predictive")
    mean, _ = beta_mean_sd(post._a, post._b)
    return stats.bernoulli(mean)


def _binomial_predictive(post: _BetaPosterior, new: Mapping[str, Any]) -> Any:
    _check_kwargs(new, ("n",), "a Binomial posterior predictive")
    if "n" not in new:
        raise TypeError("predictive() needs n=, the number of trials of the new observation")
    return stats.betabinom(_check_count(new["n"], "n"), post._a, post._b)


def _geometric_predictive(post: _BetaPosterior, new: Mapping[str, Any]) -> Any:
    _check_kwargs(new, (), "a Geometric posterior predictive")
    # beta-geometric: trials up to the first success = 1 + failures before it
    return stats.betanbinom(1, post._a, post._b, loc=1)


def _model_r(post: _BetaPosterior) -> np.ndarray:
    """The model's ``r`` for a new observation: one value, or one per group."""
    if post.model.r is not None:
        r = np.asarray(post.model.r, dtype=float)
        if r.size and np.all(r == r.flat[0]):
            return np.asarray(r.flat[0])
        if r.shape == post._a.shape:
            return r
    raise TypeError(
        "the model's r varies between observations; pass r= (the number of successes of "
        "the new observation) to predictive()"
    )


def _negative_binomial_predictive(post: _BetaPosterior, new: Mapping[str, Any]) -> Any:
    _check_kwargs(new, ("r",), "a NegativeBinomial posterior predictive")
    r = _check_positive(new["r"], "r") if "r" in new else _model_r(post)
    if np.all(r == np.floor(r)):
        return stats.betanbinom(r, post._a, post._b)
    return betanbinom_real(r, post._a, post._b)


_PAIRS = (
    "beta (or uniform(0, 1)) prior on p with Bernoulli, Binomial, Geometric or "
    "NegativeBinomial (known r)",
)


def _beta_role(name: str, predict: Callable[[_BetaPosterior, Mapping[str, Any]], Any]) -> None:
    def build(model: Model) -> _BetaPosterior:
        if set(model.parameters) != {"p"}:
            raise not_conjugate(model)
        got = model.parameters["p"].prior.as_conjugate("beta")
        if isinstance(got, str):
            raise not_conjugate(model, got)
        return _BetaPosterior(model, *got, pair=name, predict=predict)

    register_role(name, build, pairs=_PAIRS)


_beta_role("beta-bernoulli", _bernoulli_predictive)
_beta_role("beta-binomial", _binomial_predictive)
_beta_role("beta-geometric", _geometric_predictive)
_beta_role("beta-negative_binomial", _negative_binomial_predictive)
