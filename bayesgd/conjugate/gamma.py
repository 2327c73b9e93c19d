"""Gamma posteriors of a rate: Poisson (with exposure) and Exponential likelihoods.

Any likelihood of the form ``rate^count * exp(-rate * extent + const)`` in one parameter is
conjugate to a gamma prior on it. A new one (e.g. a Gamma likelihood with known shape ``k``:
``count = k n``, ``extent = sum y``) registers with :func:`register_gamma_rate`, naming the
statistics of its model that hold ``count``, ``extent`` and ``const``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from scipy import stats
from scipy.special import gammaln, xlogy

from ..models.base import Model
from ._common import _check_kwargs, _check_positive, _out, _reduce
from .base import ConjugatePosterior
from .roles import not_conjugate, register_role

__all__ = ["GammaRate", "register_gamma_rate"]


@dataclass(frozen=True)
class GammaRate:
    """A rate likelihood: the statistic names of its model and its predictive.

    Attributes
    ----------
    name : str
        The role (``conjugate_role`` of the model class), also the posterior's ``pair``.
    parameter : str
        The rate parameter's name (``"mu"`` for Poisson, ``"lam"`` for Exponential).
    count, extent : str
        Model statistics: the rate's exponent and its multiplier in the exponent.
    const : str or None
        Model statistic holding the log-likelihood's constant (``None``: zero).
    predict : callable
        ``predict(posterior, new_kwargs) -> frozen distribution`` of one new observation.
    """

    name: str
    parameter: str
    count: str
    extent: str
    const: str | None
    predict: Callable[[Any, Mapping[str, Any]], Any]


def _gamma_mode(a: np.ndarray, rate: np.ndarray) -> np.ndarray:
    return np.where(a > 1, (a - 1) / rate, 0.0)


class _GammaPosterior(ConjugatePosterior):
    """``rate ~ Gamma(a, rate b)`` with a likelihood ``rate^count exp(-rate extent + const)``."""

    def __init__(self, model: Model, a0: np.ndarray, rate0: np.ndarray, *, role: GammaRate):
        super().__init__(model)
        self.pair = role.name
        self._role = role
        name = self._name = role.parameter
        param = model.parameters[name]
        shape, group = param.shape, model.group_shape
        a0 = np.broadcast_to(a0, shape).astype(float)
        rate0 = np.broadcast_to(rate0, shape).astype(float)
        st = model.stats
        count, extent = st[role.count], st[role.extent]
        with np.errstate(over="ignore"):
            self._a = a0 + _reduce(count, group, shape)
            self._rate = rate0 + _reduce(extent, group, shape)
        if not (np.all(np.isfinite(self._a)) and np.all(np.isfinite(self._rate))):
            raise OverflowError(
                f"the gamma posterior's shape (prior a + {role.count}) or rate (prior b + "
                f"{role.extent}) exceeds the float range"
            )
        self._a0, self._rate0 = a0, rate0
        self._shape, self._group = shape, group

    @cached_property
    def _prior_hyper(self) -> dict[str, Any]:
        return {"a": _out(self._a0), "b": _out(self._rate0)}

    @cached_property
    def _hyper(self) -> dict[str, Any]:
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
        if self._role.const is not None:
            const = _reduce(self.model.stats[self._role.const], self._group, self._shape)
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
        >>> post = bg.conjugate(bg.Poisson(k=[2, 5], mu=stats.gamma(2, scale=1)))
        >>> round(float(post.predictive(exposure=2.0).mean()), 4)  # 2 * 9 / 3
        6.0
        """
        return self._role.predict(self, new)


def _poisson_predictive(post: _GammaPosterior, new: Mapping[str, Any]) -> Any:
    _check_kwargs(new, ("exposure",), "a Poisson posterior predictive")
    t = _check_positive(new.get("exposure", 1.0), "exposure")
    return stats.nbinom(post._a, post._rate / (post._rate + t))


def _exponential_predictive(post: _GammaPosterior, new: Mapping[str, Any]) -> Any:
    _check_kwargs(new, (), "an Exponential posterior predictive")
    return stats.lomax(post._a, scale=post._rate)


def register_gamma_rate(role: GammaRate, *, pairs: tuple[str, ...]) -> None:
    """Register a rate likelihood whose gamma prior on ``role.parameter`` is conjugate.

    Examples
    --------
    >>> from scipy import stats
    >>> import bayesgd as bg
    >>> bg.conjugate(bg.Exponential(y=[0.5, 1.5], lam=stats.gamma(2))).hyper
    {'a': 4.0, 'b': 3.0}
    """

    def build(model: Model) -> _GammaPosterior:
        if set(model.parameters) != {role.parameter}:
            raise not_conjugate(model)
        got = model.parameters[role.parameter].prior.as_conjugate("gamma")
        if isinstance(got, str):
            raise not_conjugate(model, got)
        return _GammaPosterior(model, *got, role=role)

    register_role(role.name, build, pairs=pairs)


_PAIRS = ("gamma (or expon, chi2) prior, loc=0, on mu with Poisson or on lam with Exponential",)
register_gamma_rate(
    GammaRate("gamma-poisson", "mu", "events", "exposure", "const", _poisson_predictive),
    pairs=_PAIRS,
)
register_gamma_rate(
    GammaRate("gamma-exponential", "lam", "n", "total", None, _exponential_predictive),
    pairs=_PAIRS,
)
