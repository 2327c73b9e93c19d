"""Derived quantities and event probabilities of any posterior.

``post.derive(lift=lambda p: p[1] / p[0] - 1)`` turns a function of the parameters into a
posterior of its own (the full interface: mean, sd, quantiles, HDI, summary, draws), and
``post.prob(lambda p: p[1] > p[0])`` gives the posterior probability of an event.

A function receives the parameters with the **draw axis last**, so that ``p[1]`` is the
second group of every draw: by name (``lambda mu, sigma: mu / sigma``) when its arguments are
parameter names, or positionally when the model has one parameter. It must return an array of
one value per draw (or a fixed shape per draw, draw axis last).

Where the method allows it the answer is exact: a posterior that is a finite set of weighted
points (a grid) sums the event's mass over them. Otherwise it is Monte Carlo over ``draws``
joint draws, and the Monte Carlo standard error is stated (``Probability.mcse``; for draws
that came from a sampler, through ArviZ's effective sample size).

Examples
--------
>>> import numpy as np
>>> from scipy import stats
>>> import bayesgd as bg
>>> m = bg.Binomial(k=[50, 65], n=[1000, 1000], p=stats.beta(np.ones(2), np.ones(2)))
>>> post = bg.conjugate(m)
>>> p_b = post.prob(lambda p: p[1] > p[0], rng=0)
>>> round(float(p_b), 2), p_b.mcse < 0.002
(0.92, True)
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ._validation import as_rng, check_positive_int

__all__ = ["Probability", "call_with_parameters", "derive", "prob"]


class Probability(float):
    """A probability with how it was computed: ``mcse`` (0 when exact) and ``method``."""

    mcse: float
    method: str

    def __new__(cls, value: float, *, mcse: float, method: str) -> Probability:
        out = super().__new__(cls, value)
        out.mcse = float(mcse)
        out.method = method
        return out

    def __repr__(self) -> str:
        if self.mcse == 0:
            return f"{float(self):.6g} ({self.method})"
        return f"{float(self):.6g} ± {self.mcse:.2g} ({self.method})"


def call_with_parameters(fn: Callable, names: tuple[str, ...], values: Mapping[str, Any]) -> Any:
    """Call ``fn`` with the parameters by name, or positionally for a one-parameter model."""
    if not callable(fn):
        raise TypeError(f"expected a function of the parameters, got {type(fn).__name__}")
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        params = {}
    named = [p for p in params if p in names]
    if named and all(p in names for p in params):
        return fn(**{p: values[p] for p in named})
    if len(names) == 1:
        return fn(values[names[0]])
    raise TypeError(
        f"the function's arguments {list(params)} must be parameter names of the model "
        f"{list(names)} (or the model must have one parameter)"
    )


def _draws_last(draws: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: np.moveaxis(np.asarray(v), 0, -1) for k, v in draws.items()}


def _as_values(out: Any, n: int, what: str) -> np.ndarray:
    arr = np.asarray(out)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{what} must return numbers or booleans, got dtype {arr.dtype}")
    if arr.ndim == 0 or arr.shape[-1] != n:
        raise ValueError(
            f"{what} must return one value per draw (draw axis last, length {n}), got shape "
            f"{arr.shape}: index groups as p[1], not p[:, 1]"
        )
    return np.moveaxis(arr, -1, 0).astype(float)


def prob(post: Any, event: Callable, *, draws: int = 100_000, rng: Any = None) -> Probability:
    """Posterior probability of ``event`` (a function of the parameters returning booleans)."""
    points = post._weighted_points()
    if points is not None:
        values, weights = points
        hit = _as_values(call_with_parameters(event, post.names, values), weights.size, "event")
        if hit.ndim != 1:
            raise ValueError("event must return one boolean per draw")
        return Probability(float(weights @ (hit != 0)), mcse=0.0, method="exact sum over the grid")
    sample, chains = post._draws_for_derived(check_positive_int(draws, "draws"), as_rng(rng))
    n = len(next(iter(sample.values())))
    hit = _as_values(call_with_parameters(event, post.names, _draws_last(sample)), n, "event")
    if hit.ndim != 1:
        raise ValueError("event must return one boolean per draw")
    hit = (hit != 0).astype(float)
    p = float(np.mean(hit))
    return Probability(p, mcse=_mcse_of_mean(hit, chains), method=f"Monte Carlo, {n} draws")


def _mcse_of_mean(values: np.ndarray, chains: tuple[int, int] | None) -> float:
    """MCSE of a mean: independent draws, or a sampler's chains through ArviZ's ESS."""
    if chains is None:
        return float(np.std(values) / np.sqrt(values.size))
    if np.ptp(values) == 0:
        return 0.0
    from .pymc.mcse import _mcse_mean

    return _mcse_mean(values.reshape(chains))


def derive(post: Any, *, draws: int = 100_000, rng: Any = None, **fns: Callable) -> Any:
    """A posterior of derived quantities, one per keyword: ``derive(lift=lambda p: ...)``.

    Returns a :class:`~bayesgd.SamplePosterior` over the derived quantities (their names are
    the keywords), computed from ``draws`` joint draws (or the sampler's own draws).
    """
    from .models.base import Model
    from .posterior import SamplePosterior

    if not fns:
        raise TypeError("derive needs at least one keyword: name=function of the parameters")
    clash = sorted(set(fns) & {"draws", "rng"})
    if clash:
        raise TypeError(f"derived quantities cannot be named {clash}")
    sample, _ = post._draws_for_derived(check_positive_int(draws, "draws"), as_rng(rng))
    n = len(next(iter(sample.values())))
    last = _draws_last(sample)
    values = {}
    for name, fn in fns.items():
        values[name] = _as_values(call_with_parameters(fn, post.names, last), n, f"{name!r}")
    priors = {name: _flat_for(v) for name, v in values.items()}
    holder = Model(priors=priors, log_likelihood=_no_likelihood)
    return SamplePosterior(holder, values, method=f"{post.method}, derived")


def _flat_for(values: np.ndarray) -> Any:
    """A placeholder prior of the right shape for a derived quantity (never evaluated)."""
    from scipy import stats

    shape = values.shape[1:]
    return stats.norm(np.zeros(shape), np.ones(shape)) if shape else stats.norm(0, 1)


def _no_likelihood(**_: Any) -> float:
    raise TypeError("a derived posterior has no likelihood")
