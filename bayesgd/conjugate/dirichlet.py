"""Dirichlet posteriors of a probability vector ``p``: Multinomial and Categorical."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cached_property
from typing import Any

import numpy as np
from scipy import stats
from scipy.special import gammaln

from ..models.base import Model
from ..priors import DirichletPrior
from ._common import _check_count, _check_kwargs
from .base import ConjugatePosterior
from .roles import not_conjugate, register_role

__all__: list[str] = []


def _dirichlet_mode(alpha: np.ndarray) -> np.ndarray:
    above = alpha > 1
    if np.any(above):
        w = np.where(above, alpha - 1, 0.0)
        w = w / w.max()  # scaled first: a sum of alphas near 1e308 would overflow
        return w / w.sum()
    if np.all(alpha == 1):
        return np.full(alpha.shape, 1.0 / alpha.size)
    j = alpha.size - 1 - int(np.argmax(alpha[::-1]))
    out = np.zeros(alpha.shape)
    out[j] = 1.0
    return out


class _DirichletPosterior(ConjugatePosterior):
    def __init__(
        self,
        model: Model,
        alpha0: np.ndarray,
        *,
        pair: str,
        predict: Callable[[_DirichletPosterior, Mapping[str, Any]], Any],
    ):
        super().__init__(model)
        self.pair = pair
        self._predict = predict
        counts = np.asarray(model.stats["counts"], dtype=float)
        self._alpha0 = np.array(alpha0, dtype=float)
        with np.errstate(over="ignore"):  # checked below; a total past 1e308 is handled
            self._alpha = self._alpha0 + counts
            self._total = self._alpha.sum()
        if not np.all(np.isfinite(self._alpha)):
            raise OverflowError(
                f"the Dirichlet posterior's alpha (prior alpha {self._alpha0} plus the counts) "
                "exceeds the float range"
            )

    @cached_property
    def _prior_hyper(self) -> dict[str, Any]:
        return {"alpha": self._alpha0.copy()}

    @cached_property
    def _hyper(self) -> dict[str, Any]:
        return {"alpha": self._alpha.copy()}

    @cached_property
    def dist(self) -> dict[str, Any]:
        return {"p": stats.dirichlet(self._alpha)}

    @cached_property
    def _marginals(self) -> dict[str, Any]:
        if np.isfinite(self._total):
            return {"p": stats.beta(self._alpha, self._total - self._alpha)}
        # alpha sums past 1e308: with every alpha_i that large, Beta(alpha_i, rest) is normal
        # to within sd / sqrt(alpha_i) ~ 1e-308 of its sd; otherwise no float form is exact
        if np.all(self._alpha >= 1e300):
            return {"p": stats.norm(*self._mean_sd)}
        raise OverflowError(
            f"the Dirichlet posterior's alpha {self._alpha} sums past the float range while "
            "some alpha_i are small: its marginal quantiles, HDIs and densities have no exact "
            "float form (mean and sd do)"
        )

    @cached_property
    def _mean_sd(self) -> tuple[np.ndarray, np.ndarray]:
        # Marginal i is Beta(alpha_i, sum - alpha_i); scaled by max(alpha) so that a sum past
        # the float range (dirichlet([1e308, 1e308])) still gives mean 0.5 and a finite sd.
        alpha = self._alpha
        big = alpha.max()
        scaled = alpha / big
        total = scaled.sum()
        mean = scaled / total
        with np.errstate(under="ignore"):
            sd = (
                np.sqrt(mean * ((total - scaled) / total))
                / np.sqrt(big)
                / np.sqrt(total + 1 / big)
            )
        return mean, sd

    @cached_property
    def _means(self) -> dict[str, np.ndarray]:
        return {"p": self._mean_sd[0]}

    @cached_property
    def _sds(self) -> dict[str, np.ndarray]:
        return {"p": self._mean_sd[1]}

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
        >>> post = bg.conjugate(bg.Categorical(y=[0, 2, 2], p=stats.dirichlet([1, 1, 1])))
        >>> [round(float(v), 4) for v in post.predictive().pmf([0, 1, 2])]
        [0.3333, 0.1667, 0.5]
        """
        return self._predict(self, new)


def _multinomial_predictive(post: _DirichletPosterior, new: Mapping[str, Any]) -> Any:
    _check_kwargs(new, ("n",), "a Multinomial posterior predictive")
    if "n" not in new:
        raise TypeError("predictive() needs n=, the number of trials of the new draw")
    n = _check_count(new["n"], "n")
    if n.ndim:
        raise ValueError(f"n must be a single whole number, got shape {n.shape}")
    return stats.dirichlet_multinomial(post._alpha, int(n))


def _categorical_predictive(post: _DirichletPosterior, new: Mapping[str, Any]) -> Any:
    _check_kwargs(new, (), "a Categorical posterior predictive")
    mean = post._mean_sd[0]
    return stats.rv_discrete(name="categorical", values=(np.arange(mean.size), mean))


def _dirichlet_role(name: str, predict: Callable[..., Any]) -> None:
    def build(model: Model) -> _DirichletPosterior:
        prior = model.parameters["p"].prior if set(model.parameters) == {"p"} else None
        if not isinstance(prior, DirichletPrior):
            raise not_conjugate(model)
        return _DirichletPosterior(model, prior.alpha, pair=name, predict=predict)

    register_role(name, build, pairs=("dirichlet prior on p with Multinomial or Categorical",))


_dirichlet_role("dirichlet-multinomial", _multinomial_predictive)
_dirichlet_role("dirichlet-categorical", _categorical_predictive)
