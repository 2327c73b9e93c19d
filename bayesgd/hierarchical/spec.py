"""The spelling of a hierarchical prior: a scipy.stats family whose parameters are parameters.

``bg.hierarchical(stats.beta, a=<hyperprior>, b=<hyperprior>)`` gives one ``p`` per group of
the data, each drawn from ``Beta(a, b)``, with ``a`` and ``b`` themselves unknown. Each
hyperparameter is given a scipy.stats frozen distribution, a number (fixed), or is left out and
covered by ``log_prior``: a log-density callable over the left-out hyperparameters in their own
parametrisation, which may be improper (BDA3's rat tumours: ``p(a, b) ∝ (a + b)^(-5/2)``; the
eight schools: flat on ``loc`` and ``scale``).

Examples
--------
>>> import numpy as np
>>> from scipy import stats
>>> spec = hierarchical(stats.beta, log_prior=lambda a, b: -2.5 * np.log(a + b))
>>> spec.family, spec.hyper_names, spec.free
('beta', ('a', 'b'), ('a', 'b'))
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from scipy import stats

from ..priors import make_prior

__all__ = ["FAMILIES", "HierarchicalPrior", "hierarchical"]

#: Group families with a conjugate inner model: scipy name -> (hyperparameter names, supports).
FAMILIES: dict[str, tuple[tuple[str, ...], tuple[tuple[float, float], ...]]] = {
    "beta": (("a", "b"), ((0.0, np.inf), (0.0, np.inf))),
    "norm": (("loc", "scale"), ((-np.inf, np.inf), (0.0, np.inf))),
    "gamma": (("a", "scale"), ((0.0, np.inf), (0.0, np.inf))),
}


class HierarchicalPrior:
    """A prior whose own parameters are parameters (see :func:`hierarchical`).

    Attributes
    ----------
    family : str
        scipy.stats name of the group-level family (``"beta"``, ``"norm"``, ``"gamma"``).
    hyper_names : tuple of str
        The family's parameter names, in scipy's order.
    free : tuple of str
        Hyperparameters with a prior (the grid's axes), in scipy's order.
    fixed : dict
        Hyperparameters fixed to numbers.
    priors : dict
        Hyperparameter -> :class:`bayesgd.priors.Prior` for those given scipy distributions.
    log_prior : callable or None
        Joint log density over the hyperparameters left out (their own parametrisation).
    names : dict
        scipy argument name -> the parameter's name in the model.
    name : str or None
        Name of the group parameter (default: the likelihood's keyword).
    """

    def __init__(
        self,
        family: str,
        hyper: Mapping[str, Any],
        *,
        log_prior: Callable[..., Any] | None,
        grad_log_prior: Callable[..., Any] | None,
        names: Mapping[str, str],
        name: str | None,
    ):
        self.family = family
        self.hyper_names, supports = FAMILIES[family]
        self.fixed: dict[str, float] = {}
        self.priors: dict[str, Any] = {}
        left_out = []
        for arg, support in zip(self.hyper_names, supports, strict=True):
            value = hyper.get(arg)
            if value is None:
                left_out.append(arg)
            elif isinstance(value, numbers.Real) and not isinstance(value, bool):
                self.fixed[arg] = _check_fixed(arg, float(value), support)
            elif hasattr(value, "dist") and isinstance(value.dist, stats.rv_continuous):
                self.priors[arg] = _check_support(arg, value, support)
            else:
                raise TypeError(
                    f"hyperprior {arg}= must be a scipy.stats frozen continuous distribution, a "
                    f"number (fixed) or left out (covered by log_prior), got {value!r}"
                )
        if left_out and log_prior is None:
            raise ValueError(
                f"no prior for {left_out} of stats.{family}: give each a scipy.stats "
                "distribution, or a log_prior=callable over them (improper allowed)"
            )
        if log_prior is not None and not left_out:
            raise ValueError("log_prior= given, but every hyperparameter already has a prior")
        if log_prior is not None and not callable(log_prior):
            raise TypeError("log_prior must be callable: log_prior(**hyper) -> log density")
        if grad_log_prior is not None and not callable(grad_log_prior):
            raise TypeError("grad_log_prior must be callable or None")
        self.log_prior = log_prior
        self.grad_log_prior = grad_log_prior
        self.left_out = tuple(left_out)
        self.free = tuple(a for a in self.hyper_names if a not in self.fixed)
        if not self.free:
            raise ValueError("every hyperparameter is fixed: use an ordinary prior instead")
        self.names = {a: names.get(a, a) for a in self.hyper_names}
        self.name = name
        self.proper = log_prior is None

    def log_hyperprior(self, h: Mapping[str, np.ndarray]) -> np.ndarray:
        """Log hyperprior at hyperparameter arrays ``h`` (keyed by scipy argument names)."""
        out = 0.0
        for arg, prior in self.priors.items():
            out = out + prior.logpdf({arg: h[arg]})
        if self.log_prior is not None:
            lp = self.log_prior(**{a: h[a] for a in self.left_out})
            out = out + np.broadcast_to(np.asarray(lp, dtype=float), np.shape(h[self.free[0]]))
        return np.asarray(out, dtype=float)

    def grad_log_hyperprior(self, h: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Gradient of :meth:`log_hyperprior` (central differences for a custom log_prior
        without ``grad_log_prior``)."""
        shape = np.shape(h[self.free[0]])
        out = {a: np.zeros(shape) for a in self.free}
        for arg, prior in self.priors.items():
            out[arg] = out[arg] + prior.grad_logpdf({arg: h[arg]})[arg]
        if self.log_prior is None:
            return out
        sub = {a: np.asarray(h[a], dtype=float) for a in self.left_out}
        if self.grad_log_prior is not None:
            g = self.grad_log_prior(**sub)
            for a in self.left_out:
                out[a] = out[a] + np.broadcast_to(np.asarray(g[a], dtype=float), shape)
            return out
        for a in self.left_out:
            step = 1e-5 * np.maximum(np.abs(sub[a]), 1e-3)
            up = self.log_prior(**{**sub, a: sub[a] + step})
            down = self.log_prior(**{**sub, a: sub[a] - step})
            out[a] = out[a] + (np.asarray(up) - np.asarray(down)) / (2 * step)
        return out

    def build_model(self, likelihood: str, **kwargs: Any) -> Any:
        """The hierarchical model of ``likelihood`` with this prior (the hook by which
        ``bg.Binomial(k=..., n=..., p=bg.hierarchical(...))`` builds one).

        ``likelihood`` is a model class's ``likelihood`` name (``"binomial"``,
        ``"bernoulli"``, ``"normal"``, ``"poisson"``); ``kwargs`` are its constructor's.

        Examples
        --------
        >>> from scipy import stats
        >>> spec = hierarchical(stats.beta, a=stats.expon(), b=stats.expon())
        >>> spec.build_model("binomial", k=[1, 2], n=[5, 5], p=spec).names
        ('a', 'b', 'p')
        """
        from . import model

        makers = {
            "binomial": model.Binomial,
            "bernoulli": model.Bernoulli,
            "normal": model.Normal,
            "poisson": model.Poisson,
        }
        if likelihood not in makers:
            raise NotImplementedError(
                f"no hierarchical {likelihood} model yet: hierarchical priors work with "
                f"{', '.join(sorted(makers))}"
            )
        return makers[likelihood](**kwargs)

    def __repr__(self) -> str:
        parts = [
            f"{a}={self.fixed.get(a, self.priors.get(a, 'log_prior'))!r}" for a in self.hyper_names
        ]
        return f"hierarchical(stats.{self.family}, {', '.join(parts)})"


def _check_fixed(arg: str, value: float, support: tuple[float, float]) -> float:
    if not (support[0] < value < support[1]) and not (np.isinf(support[0]) and np.isfinite(value)):
        raise ValueError(f"fixed hyperparameter {arg}={value} is outside its domain {support}")
    return value


def _check_support(arg: str, dist: Any, support: tuple[float, float]) -> Any:
    prior = make_prior((arg,), dist)
    low = float(np.min(prior.support(arg)[0]))
    high = float(np.max(prior.support(arg)[1]))
    if low < support[0] or high > support[1]:
        raise ValueError(
            f"hyperprior for {arg} is stats.{dist.dist.name} with support ({low:g}, {high:g}), "
            f"which does not fit {arg}'s domain ({support[0]:g}, {support[1]:g}); e.g. use "
            "stats.halfnorm, stats.gamma or stats.expon for a positive hyperparameter"
        )
    if prior.shape != ():
        raise ValueError(f"hyperprior for {arg} must be scalar, got batch shape {prior.shape}")
    return prior


def hierarchical(
    family: Any,
    *,
    log_prior: Callable[..., Any] | None = None,
    grad_log_prior: Callable[..., Any] | None = None,
    names: Mapping[str, str] | None = None,
    name: str | None = None,
    **hyper: Any,
) -> HierarchicalPrior:
    """A prior whose parameters are parameters: one group parameter per group of the data.

    Parameters
    ----------
    family : scipy.stats distribution (not frozen)
        The group-level family: ``stats.beta`` (over a probability), ``stats.norm`` (over a
        mean) or ``stats.gamma`` (over a rate).
    **hyper
        One keyword per parameter of the family, in scipy's names (``a``, ``b`` for beta;
        ``loc``, ``scale`` for norm; ``a``, ``scale`` for gamma): a scipy.stats frozen
        distribution (the hyperprior, whose support must fit the parameter's domain), a number
        (fixed), or left out and covered by ``log_prior``.
    log_prior : callable, optional
        ``log_prior(**left_out) -> array``: the joint log density (up to a constant; improper
        allowed) of the hyperparameters left out, **in their own parametrisation**. The grid
        is laid out in ``(log(a/b), log(a+b))`` for a beta, ``(loc, log scale)`` for a normal
        and ``(log a, log scale)`` for a gamma; the Jacobian is added for you.
    grad_log_prior : callable, optional
        Its gradient, a dict keyed like the arguments; without it, central differences.
    names : dict, optional
        Rename hyperparameters in results, e.g. ``{"loc": "mu", "scale": "tau"}``.
    name : str, optional
        Name of the group parameter (default: the likelihood's keyword, e.g. ``p``).

    Returns
    -------
    HierarchicalPrior

    Examples
    --------
    >>> from scipy import stats
    >>> spec = hierarchical(stats.gamma, a=stats.expon(scale=1), scale=stats.expon(scale=2))
    >>> spec.free
    ('a', 'scale')
    >>> hierarchical(stats.beta, a=stats.norm(0, 1), b=1.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: hyperprior for a is stats.norm with support (-inf, inf), which does not fit ...
    """
    fam = getattr(family, "name", None)
    if not isinstance(family, stats.rv_continuous) or fam not in FAMILIES:
        raise TypeError(
            f"family must be one of {', '.join('stats.' + f for f in FAMILIES)} (the scipy "
            f"distribution itself, not frozen), got {family!r}"
        )
    allowed = FAMILIES[fam][0]
    unknown = set(hyper) - set(allowed)
    if unknown:
        raise TypeError(f"stats.{fam} has parameters {allowed}, not {sorted(unknown)}")
    names = dict(names or {})
    if set(names) - set(allowed):
        raise ValueError(f"names= renames {allowed} only, got {sorted(names)}")
    return HierarchicalPrior(
        fam, hyper, log_prior=log_prior, grad_log_prior=grad_log_prior, names=names, name=name
    )
