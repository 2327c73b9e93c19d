"""Count likelihoods: Bernoulli, Binomial, Geometric, NegativeBinomial and Poisson.

Parametrisations follow scipy.stats (and PyMC): ``p`` is the success probability, Geometric
counts trials up to and including the first success (``k >= 1``), NegativeBinomial counts
failures before the ``r``-th success, Poisson has rate ``mu`` per unit of ``exposure``.

Examples
--------
>>> from scipy import stats
>>> import bayesgd as bg
>>> m = bg.Binomial(k=[7, 3], n=[10, 5], p=stats.beta(2, 2))   # two experiments, one p
>>> float(m.stats["successes"]), float(m.stats["failures"])
(10.0, 5.0)
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import gammaln, xlog1py, xlogy

from .._validation import owned
from ._elementwise import ElementwiseModel, _is_dask, _is_lazy, check_counts, check_real
from .base import POSITIVE, UNIT

__all__ = ["Bernoulli", "Binomial", "Geometric", "NegativeBinomial", "Poisson"]


class _SuccessFailure(ElementwiseModel):
    """Likelihoods of the form ``p^successes (1 - p)^failures * exp(const)``: Beta-conjugate."""

    domains = {"p": UNIT}

    def _ll(self, v):
        s, f, c = self.stats["successes"], self.stats["failures"], self.stats["const"]
        p = v["p"]
        return xlogy(s, p) + xlog1py(f, -p) + c

    def _grad_ll(self, v):
        s, f = self.stats["successes"], self.stats["failures"]
        p = v["p"]
        with np.errstate(divide="ignore", invalid="ignore"):
            g = np.where(s > 0, s / p, 0.0) - np.where(f > 0, f / (1.0 - p), 0.0)
        return {"p": g}

    def _pymc_likelihood(self, params):
        """For :func:`bayesgd.to_pymc` when the data were not kept: the statistics' form."""
        from .. import _pymc_likelihoods as lik

        s, p = lik.float_stats(self), params["p"]
        ll = lik.xlogy(s["successes"], p) + lik.xlog1py(s["failures"], -p) + s["const"]
        return lik.potential(self, ll)


class Bernoulli(_SuccessFailure):
    """Bernoulli trials ``y`` in {0, 1} with success probability ``p``.

    Parameters
    ----------
    y : array_like of 0/1 (or bool)
        Outcomes; every element is one independent trial.
    p : scipy.stats frozen distribution or float
        Prior on the success probability (support within [0, 1]) or a fixed value.

    Examples
    --------
    >>> from scipy import stats
    >>> import bayesgd as bg
    >>> bg.Bernoulli(y=[1, 0, 1, 1], p=stats.beta(1, 1)).stats["successes"]
    array(3.)
    """

    likelihood = "bernoulli"
    conjugate_role = "beta-bernoulli"
    observed = ("y",)

    def __init__(self, *, y: Any, p: Any):
        self._init_family({"y": y}, {"p": p})

    def _validate(self, data):
        y = data["y"]
        if isinstance(y, np.ndarray) and y.dtype == bool:
            return {"y": y}  # 0/1 by construction
        if _one_byte_integers(y):
            return {"y": y}  # checked by _stats right after counting, while y is in cache
        return {"y": check_counts("y", y, high=1)}

    def _stats(self, arrays):
        y = arrays["y"]
        if y.ndim == 1 and not _is_lazy(y):
            # counting non-zeros is the sum of 0/1 data, at memory speed; one-byte integers
            # are checked block by block right after each block's count, from cache
            s = np.asarray(_count_ones(y))
        else:
            _check_binary_bytes(y)
            s = self._sum(y)
        n = float(y.shape[0])
        return {"successes": s, "failures": n - s, "const": np.zeros_like(s)}

    def _pymc_likelihood(self, params):
        """For :func:`bayesgd.to_pymc`: ``y ~ Bernoulli(p)``."""
        if self.data is None:
            return super()._pymc_likelihood(params)
        from .._pymc_likelihoods import observed

        return observed(self, "Bernoulli", "y", self.data["y"], p=params["p"])


def _one_byte_integers(y: Any) -> bool:
    return isinstance(y, np.ndarray) and y.dtype.kind in "iu" and y.dtype.itemsize == 1


#: Block of one-byte data counted then checked while it is still in the L2 cache.
_BLOCK_BYTES = 1 << 20


def _count_ones(y: np.ndarray) -> int:
    """Non-zeros of 1-D ``y``; one-byte integers are also checked to be 0/1, per block."""
    if not _one_byte_integers(y) or y.size <= _BLOCK_BYTES:
        count = int(np.count_nonzero(y))
        _check_binary_bytes(y)
        return count
    count = 0
    for start in range(0, y.size, _BLOCK_BYTES):
        block = y[start : start + _BLOCK_BYTES]
        count += int(np.count_nonzero(block))
        _check_binary_bytes(block)
    return count


def _check_binary_bytes(y: Any) -> None:
    """Raise unless one-byte integer ``y`` is all 0/1 (bool and wider data need no check here)."""
    if _one_byte_integers(y) and y.size and y.view(np.uint8).max() > 1:
        check_counts("y", y, high=1)  # raises, naming the offending values


class Binomial(_SuccessFailure):
    """``k`` successes in ``n`` trials with success probability ``p``.

    Parameters
    ----------
    k, n : array_like of int
        Successes and trials (broadcast together); each element is one experiment.
    p : scipy.stats frozen distribution or float
        Prior on the success probability, e.g. ``stats.beta(2, 2)``; a batched prior
        ``stats.beta(np.ones(G), np.ones(G))`` gives one ``p`` per group.

    Examples
    --------
    >>> from scipy import stats
    >>> import bayesgd as bg
    >>> bg.Binomial(k=7, n=10, p=stats.beta(2, 2)).names
    ('p',)
    """

    likelihood = "binomial"
    conjugate_role = "beta-binomial"
    observed = ("k", "n")

    def __init__(self, *, k: Any, n: Any, p: Any):
        self._init_family({"k": k, "n": n}, {"p": p})

    def _validate(self, data):
        n = check_counts("n", data["n"])
        lazy = _is_lazy(n) or hasattr(data["k"], "compute")  # dask: k <= n checked per chunk
        k = check_counts("k", data["k"], high=n if lazy else None)
        if not lazy:
            try:
                above = np.any(np.asarray(k) > np.asarray(n))
            except ValueError:
                raise ValueError(
                    f"k and n must broadcast together, got shapes {np.shape(k)} and {np.shape(n)}"
                ) from None
            if above:
                raise ValueError("k must not exceed n (successes cannot outnumber trials)")
        return {"k": k, "n": n}

    def _stats(self, arrays):
        k, n = arrays["k"], arrays["n"]
        with np.errstate(over="ignore"):  # counts summing past 1e308 are refused downstream
            s = self._sum(k)
            trials = self._sum(n)
        log_c, log_n1 = _binomial_constants(n, k)
        # log p(k | n) under a uniform p is -log(n + 1) per observation: it lets the log
        # evidence avoid the cancellation of log C(n, k) against log B(k + 1, n - k + 1).
        return {
            "successes": s,
            "failures": _difference(trials, s),
            "const": self._sum(log_c),
            "log_uniform": -self._sum(log_n1),
        }

    def _pymc_likelihood(self, params):
        """For :func:`bayesgd.to_pymc`: ``k ~ Binomial(n, p)``."""
        if self.data is None:
            return super()._pymc_likelihood(params)
        from .._pymc_likelihoods import observed

        d = self.data
        return observed(self, "Binomial", "k", d["k"], n=d["n"], p=params["p"])


def _difference(trials: Any, successes: Any) -> Any:
    with np.errstate(invalid="ignore"):  # inf - inf: nan, refused by the conjugate update
        return trials - successes


def _binomial_constants(n: Any, k: Any) -> tuple[Any, Any]:
    """``log C(n, k)`` and ``log(n + 1)`` of validated whole counts ``0 <= k <= n``.

    In memory, with many observations and a moderate largest ``n``, ``log m!`` and
    ``log(m + 1)`` are tabulated once for ``m = 0 .. max(n)`` and looked up: the same floats as
    ``gammaln``/``log1p`` per element, at a fraction of the cost.
    """
    if not (_is_lazy(n) or _is_lazy(k)):
        size = max(n.size, k.size)
        n_max = int(n.max()) if n.size else 0
        if size >= 1024 and n_max < size and n_max < 2**26:
            m = np.arange(n_max + 1, dtype=float)
            table = gammaln(m + 1.0)
            ni, ki = n.astype(np.intp), k.astype(np.intp)
            return table[ni] - table[ki] - table[ni - ki], np.log1p(m)[ni]
    nf = n.astype(float)  # float64: a uint8 n would give float16 logs
    with np.errstate(invalid="ignore"):  # inf - inf at n near 1e308: redone below
        out = gammaln(nf + 1.0) - gammaln(k + 1.0) - gammaln(nf - k + 1.0)
    if _is_lazy(out) or np.all(np.isfinite(out)):
        return out, np.log1p(nf)
    # n near the top of the float range: log C(n, k) = -log(n + 1) - log B(k + 1, n - k + 1)
    from ..numerics.special import betaln

    nf, k = np.broadcast_arrays(np.asarray(nf, dtype=float), np.asarray(k, dtype=float))
    stable = -np.log1p(nf) - betaln(k + 1.0, (nf - k) + 1.0)
    return np.where(np.isfinite(out), out, stable), np.log1p(nf)


class Geometric(_SuccessFailure):
    """Number of trials ``k >= 1`` up to and including the first success (scipy.stats.geom).

    Examples
    --------
    >>> from scipy import stats
    >>> import bayesgd as bg
    >>> m = bg.Geometric(k=[1, 3, 2], p=stats.beta(1, 1))
    >>> float(m.stats["successes"]), float(m.stats["failures"])
    (3.0, 3.0)
    """

    likelihood = "geometric"
    conjugate_role = "beta-geometric"
    observed = ("k",)

    def __init__(self, *, k: Any, p: Any):
        self._init_family({"k": k}, {"p": p})

    def _validate(self, data):
        return {"k": check_counts("k", data["k"], low=1)}

    def _stats(self, arrays):
        k = arrays["k"]
        n = float(k.shape[0])
        total = self._sum(k)
        return {
            "successes": np.full_like(total, n),
            "failures": total - n,
            "const": np.zeros_like(total),
        }

    def _pymc_likelihood(self, params):
        """For :func:`bayesgd.to_pymc`: ``k ~ Geometric(p)``."""
        if self.data is None:
            return super()._pymc_likelihood(params)
        from .._pymc_likelihoods import observed

        return observed(self, "Geometric", "k", self.data["k"], p=params["p"])


class NegativeBinomial(_SuccessFailure):
    """Failures ``k`` before the ``r``-th success, ``r`` known (scipy.stats.nbinom(r, p)).

    Parameters
    ----------
    k : array_like of int
        Observed numbers of failures.
    r : float or array_like
        Known number of successes (positive; real values allowed as in scipy): one value, one
        per group, or one per observation (broadcast against ``k`` like Poisson's exposure).
        ``update(k=..., r=...)`` and ``updated`` take the ``r`` of new observations; it may be
        left out when the model's ``r`` is one value or one per group.
    p : scipy.stats frozen distribution or float
        Prior on the success probability.

    Attributes
    ----------
    r : float, numpy.ndarray or None
        The ``r`` given; after an ``update`` with a different ``r``, None (it then varies
        between observations, and ``predictive`` and ``update`` need ``r=``).

    Examples
    --------
    >>> from scipy import stats
    >>> import bayesgd as bg
    >>> m = bg.NegativeBinomial(k=[4, 6], r=3, p=stats.beta(1, 1))
    >>> float(m.stats["successes"])
    6.0
    >>> float(m.updated(k=[2], r=5).stats["successes"])
    11.0
    """

    likelihood = "negative_binomial"
    conjugate_role = "beta-negative_binomial"
    observed = ("k", "r")

    def __init__(self, *, k: Any, r: Any, p: Any):
        r = owned(check_real("r", r, low=0.0, strict=True), r)
        self.r = r
        self._init_family({"k": k, "r": r}, {"p": p})

    def _optional_data(self):
        return ("r",) if self._shared_r() is not None else ()

    def _shared_r(self) -> Any:
        """The model's ``r`` when new observations can take it (one value or one per group)."""
        r = self.r
        if r is None or _is_lazy(r):
            return None
        try:
            fits = np.broadcast_shapes(np.shape(r), self.group_shape) == self.group_shape
        except ValueError:
            fits = False
        return r if fits else None

    def _validate(self, data):
        k = check_counts("k", data["k"])
        if "r" in data:
            r = check_real("r", data["r"], low=0.0, strict=True)
        else:
            r = self._shared_r()
        return {"k": k, "r": r}

    def _stats(self, arrays):
        k, r = arrays["k"], arrays["r"]
        return {
            "successes": self._sum(r),
            "failures": self._sum(k),
            "const": self._sum(gammaln(k + r) - gammaln(k + 1.0) - gammaln(r)),
        }

    def _pymc_likelihood(self, params):
        """For :func:`bayesgd.to_pymc`: ``k ~ NegativeBinomial(n=r, p)``."""
        if self.data is None:
            return super()._pymc_likelihood(params)
        from .._pymc_likelihoods import observed

        r = np.asarray(self.data["r"], dtype=float)  # one per observation, as kept with k
        if r.size and np.all(r == r.flat[0]):
            r = float(r.flat[0])  # PyTensor 2.38 fails a rewrite on a constant all-equal vector
        return observed(self, "NegativeBinomial", "k", self.data["k"], n=r, p=params["p"])

    def updated(self, **data: Any) -> NegativeBinomial:
        if "r" not in data and self._shared_r() is None and "k" in data:
            raise TypeError(
                "update() needs r=, the number of successes of each new observation: the "
                "model's r varies between observations"
            )
        new = super().updated(**data)
        if "r" in data:  # validated by the update itself
            old, given = self._shared_r(), data["r"]
            same = old is not None and not _is_dask(given)
            same = same and bool(np.all(np.asarray(given, dtype=float) == np.asarray(old)))
            new.r = self.r if same else None
        return new


class Poisson(ElementwiseModel):
    """Counts ``k`` with rate ``mu`` per unit of ``exposure`` (mean ``mu * exposure``).

    Parameters
    ----------
    k : array_like of int
        Observed counts.
    mu : scipy.stats frozen distribution or float
        Prior on the rate (support within [0, inf)), e.g. ``stats.gamma(2, scale=1)``.
    exposure : array_like, optional
        Positive exposure (time, area, population) of each count; default 1.

    Examples
    --------
    >>> from scipy import stats
    >>> import bayesgd as bg
    >>> m = bg.Poisson(k=[2, 5], exposure=[1.0, 2.0], mu=stats.gamma(2, scale=1))
    >>> float(m.stats["events"]), float(m.stats["exposure"])
    (7.0, 3.0)
    """

    likelihood = "poisson"
    conjugate_role = "gamma-poisson"
    observed = ("k", "exposure")
    domains = {"mu": POSITIVE}

    def __init__(self, *, k: Any, mu: Any, exposure: Any = None):
        data = {"k": k} if exposure is None else {"k": k, "exposure": exposure}
        self._init_family(data, {"mu": mu})

    def _optional_data(self):
        return ("exposure",)

    def _validate(self, data):
        k = check_counts("k", data["k"])
        t = check_real("exposure", data.get("exposure", 1.0), low=0.0, strict=True)
        return {"k": k, "exposure": t}

    def _stats(self, arrays):
        k, t = arrays["k"], arrays["exposure"]
        with np.errstate(over="ignore"):  # events past 1e308 are refused by the conjugate update
            events = self._sum(k)
        return {
            "events": events,
            "exposure": self._sum(t),
            "const": self._sum(xlogy(k, t) - gammaln(k + 1.0)),
        }

    def _ll(self, v):
        mu = v["mu"]
        return xlogy(self.stats["events"], mu) - mu * self.stats["exposure"] + self.stats["const"]

    def _grad_ll(self, v):
        mu = v["mu"]
        e = self.stats["events"]
        with np.errstate(divide="ignore", invalid="ignore"):
            return {"mu": np.where(e > 0, e / mu, 0.0) - self.stats["exposure"]}

    def _pymc_likelihood(self, params):
        """For :func:`bayesgd.to_pymc`: ``k ~ Poisson(mu * exposure)``, or its statistics'."""
        from .. import _pymc_likelihoods as lik

        mu = params["mu"]
        if self.data is not None:
            return lik.observed(
                self, "Poisson", "k", self.data["k"], mu=mu * self.data["exposure"]
            )
        s = lik.float_stats(self)
        return lik.potential(self, lik.xlogy(s["events"], mu) - mu * s["exposure"] + s["const"])
