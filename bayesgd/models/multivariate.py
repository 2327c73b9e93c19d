"""Likelihoods over K categories: Multinomial (count vectors) and Categorical (labels).

The parameter ``p`` is a probability vector; its prior is ``scipy.stats.dirichlet``.

Examples
--------
>>> from scipy import stats
>>> import bayesgd as bg
>>> m = bg.Categorical(y=[0, 2, 2, 1], p=stats.dirichlet([1, 1, 1]))
>>> m.stats["counts"]
array([1., 1., 2.])
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import gammaln, xlogy

from ._elementwise import ElementwiseModel, _compute, _is_lazy, check_counts
from .base import SIMPLEX

__all__ = ["Categorical", "Multinomial"]


class _CategoryCounts(ElementwiseModel):
    """``sum_k counts_k log p_k + const``: Dirichlet-conjugate."""

    domains = {"p": SIMPLEX}

    @property
    def n_categories(self) -> int:
        return int(self.group_shape[-1])

    def _ll(self, v):
        return xlogy(self.stats["counts"], v["p"])

    def _loglik(self, values, batch):
        return super()._loglik(values, batch) + self.stats["const"]

    def _grad_ll(self, v):
        c = self.stats["counts"]
        with np.errstate(divide="ignore", invalid="ignore"):
            return {"p": np.where(c > 0, c / v["p"], 0.0)}

    def _merge(self, a, b):
        return {"counts": a["counts"] + b["counts"], "const": a["const"] + b["const"]}

    def _pymc_likelihood(self, params):
        """For :func:`bayesgd.to_pymc` when the data were not kept: the statistics' form."""
        from .. import _pymc_likelihoods as lik

        s = lik.float_stats(self)
        return lik.potential(self, lik.xlogy(s["counts"], params["p"]).sum() + s["const"])


class Multinomial(_CategoryCounts):
    """Rows ``x`` of category counts, each row one multinomial draw of ``x.sum()`` trials.

    Parameters
    ----------
    x : array_like of int, shape (..., K)
        Count vectors (the spelling of ``scipy.stats.multinomial.pmf(x, n, p)``).
    p : scipy.stats.dirichlet frozen distribution
        Prior on the category probabilities.

    Examples
    --------
    >>> from scipy import stats
    >>> import bayesgd as bg
    >>> bg.Multinomial(x=[[3, 1, 0], [2, 2, 1]], p=stats.dirichlet([1, 1, 1])).stats["counts"]
    array([5., 3., 1.])
    """

    likelihood = "multinomial"
    conjugate_role = "dirichlet-multinomial"
    observed = ("x",)

    def __init__(self, *, x: Any, p: Any):
        self._init_family({"x": x}, {"p": p})

    def _validate(self, data):
        x = check_counts("x", data["x"])
        if x.ndim < 1 or x.shape[-1] != self.group_shape[-1]:
            raise ValueError(
                f"x must have {self.group_shape[-1]} categories in its last axis (as many as the "
                f"dirichlet prior), got shape {x.shape}"
            )
        return {"x": x}

    def _stats(self, arrays):
        x = arrays["x"]
        # log multinomial coefficients; a dask reduction stays lazy, computed with the counts
        const = (gammaln(x.sum(axis=-1) + 1.0) - gammaln(x + 1.0).sum(axis=-1)).sum()
        return {"counts": self._sum(x), "const": _compute(const)}

    def _pymc_likelihood(self, params):
        """For :func:`bayesgd.to_pymc`: ``x ~ Multinomial(x.sum(-1), p)``."""
        if self.data is None:
            return super()._pymc_likelihood(params)
        from .._pymc_likelihoods import observed

        x = np.asarray(self.data["x"])
        return observed(self, "Multinomial", "x", x, n=x.sum(axis=-1), p=params["p"])


class Categorical(_CategoryCounts):
    """Labels ``y`` in ``0 .. K-1``, one draw each, with category probabilities ``p``.

    Examples
    --------
    >>> from scipy import stats
    >>> import bayesgd as bg
    >>> bg.Categorical(y=[0, 0, 1], p=stats.dirichlet([1, 1])).n_obs
    3
    """

    likelihood = "categorical"
    conjugate_role = "dirichlet-categorical"
    observed = ("y",)

    def __init__(self, *, y: Any, p: Any):
        self._init_family({"y": y}, {"p": p})

    def _normalise(self, data):
        y = check_counts("y", data["y"], high=self.n_categories - 1)
        if _is_lazy(y):  # dask: labels counted chunk by chunk, never loaded whole
            return {"y": y.reshape(-1).astype(np.intp)}
        return {"y": y.reshape(-1).astype(np.int64, copy=False)}

    def _validate(self, data):  # pragma: no cover - _normalise validates
        return data

    def _stats(self, arrays):
        y = arrays["y"]
        if _is_lazy(y):
            import dask.array as da

            counts = da.bincount(y, minlength=self.n_categories)
        else:
            counts = np.bincount(y, minlength=self.n_categories)
        return {"counts": counts, "const": np.asarray(0.0)}

    def _pymc_likelihood(self, params):
        """For :func:`bayesgd.to_pymc`: ``y ~ Categorical(p)``."""
        if self.data is None:
            return super()._pymc_likelihood(params)
        from .._pymc_likelihoods import observed

        return observed(self, "Categorical", "y", np.asarray(self.data["y"]), p=params["p"])
