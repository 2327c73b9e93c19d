"""Hierarchical models: data with a group axis, a likelihood, a :func:`hierarchical` prior.

The group structure comes from the data's shape (one group per element) or from a ``groups=``
label array (rows with one label form one group; names come from the labels). The model lays
out the hyperparameters in unconstrained grid coordinates ``z`` and gives the log marginal
posterior ``log p(y | h) + log p(h) + log|dh/dz|`` with the groups integrated out, and its
exact gradient.

Examples
--------
>>> import numpy as np
>>> from scipy import stats
>>> from bayesgd.hierarchical import Binomial, hierarchical
>>> m = Binomial(k=[1, 4, 2], n=[5, 6, 9],
...              p=hierarchical(stats.beta, a=stats.expon(scale=5), b=stats.expon(scale=5)))
>>> m.names
('a', 'b', 'p')
>>> m.parameters["p"].element_names()
['p[0]', 'p[1]', 'p[2]']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import special

from .inner import (
    BetaBinomial,
    BinomialLogitNormal,
    GammaPoisson,
    Inner,
    NormalNormal,
    PoissonLogNormal,
)
from .spec import HierarchicalPrior

__all__ = ["Bernoulli", "Binomial", "HierarchicalModel", "Normal", "Poisson"]

#: Elements of one (hyper point x group) chunk: bounds memory whatever the number of groups.
CHUNK_ELEMENTS = 500_000


class _HierarchicalFamily:
    family = "hierarchical"


@dataclass(frozen=True)
class HyperParameter:
    """One parameter of a hierarchical model (a hyperparameter or the group vector)."""

    name: str
    shape: tuple[int, ...]
    labels: tuple[str, ...] | None = field(default=None)
    #: Bounds draws are checked against (the posterior interface asks every parameter).
    support: tuple[float, float] = (-np.inf, np.inf)

    @property
    def prior(self) -> Any:
        """What the posterior interface reads of a parameter's prior: its family's name."""
        return _HierarchicalFamily

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=int))

    def element_names(self) -> list[str]:
        """``["tau"]`` for a scalar; ``["theta[0]", ...]`` or ``["theta[A]", ...]`` by label."""
        if not self.shape:
            return [self.name]
        labels = self.labels or tuple(str(i) for i in range(self.shape[0]))
        return [f"{self.name}[{lab}]" for lab in labels]


class Coordinates:
    """Grid coordinates of the free hyperparameters: ``z`` in R^d <-> ``h``.

    Beta with both parameters free: ``(log(a/b), log(a+b))`` (BDA3 5.3); otherwise ``log`` for
    a positive hyperparameter and ``centre + width * sinh(z)`` for a real one (dense near the
    centre, sparse in heavy tails such as a location's under a flat prior), with ``centre`` and
    ``width`` from the data.
    """

    def __init__(self, spec: HierarchicalPrior, centre: float = 0.0, width: float = 1.0):
        self.free = spec.free
        self.centre, self.width = float(centre), float(width)
        self.beta_pair = spec.family == "beta" and len(spec.free) == 2
        supports = dict(zip(*_family_supports(spec), strict=True))
        self.positive = tuple(supports[a][0] == 0.0 for a in self.free)
        if self.beta_pair:
            self.labels = ("log(a/b)", "log(a+b)")
        else:
            self.labels = tuple(
                f"log({a})" if pos else f"asinh(({a} - {self.centre:.3g}) / {self.width:.3g})"
                for a, pos in zip(self.free, self.positive, strict=True)
            )

    def forward(self, z: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Hyperparameters at ``z`` (shape ``(..., d)``) and ``log|dh/dz|``."""
        z = np.asarray(z, dtype=float)
        if self.beta_pair:
            u, v = z[..., 0], z[..., 1]
            size = np.exp(v)
            a, b = size * special.expit(u), size * special.expit(-u)
            return {"a": a, "b": b}, np.log(a) + np.log(b)
        h, logj = {}, np.zeros(z.shape[:-1])
        for i, (a, pos) in enumerate(zip(self.free, self.positive, strict=True)):
            zi = z[..., i]
            if pos:
                h[a], logj = np.exp(zi), logj + zi
            else:
                h[a] = self.centre + self.width * np.sinh(zi)
                logj = logj + np.log(self.width) + np.logaddexp(zi, -zi) - np.log(2)
        return h, logj

    def inverse(self, h: dict[str, Any]) -> np.ndarray:
        """``z`` from hyperparameter values."""
        if self.beta_pair:
            a, b = np.asarray(h["a"], float), np.asarray(h["b"], float)
            return np.stack([np.log(a / b), np.log(a + b)], axis=-1)
        cols = [
            np.log(h[a]) if p else np.arcsinh((np.asarray(h[a], float) - self.centre) / self.width)
            for a, p in zip(self.free, self.positive, strict=True)
        ]
        return np.stack(cols, axis=-1)

    def pullback(self, z: np.ndarray, gh: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Gradient in ``z`` of a function with gradient ``gh`` in ``h``, and of ``log|dh/dz|``."""
        h, _ = self.forward(z)
        if self.beta_pair:
            a, b = h["a"], h["b"]
            ab = a * b / (a + b)
            gz = np.stack([ab * (gh["a"] - gh["b"]), a * gh["a"] + b * gh["b"]], axis=-1)
            gj = np.stack([(b - a) / (a + b), np.full_like(a, 2.0)], axis=-1)
            return gz, gj
        cols, jac = [], []
        for i, (a, pos) in enumerate(zip(self.free, self.positive, strict=True)):
            zi = np.asarray(z, dtype=float)[..., i]
            if pos:
                cols.append(gh[a] * h[a])
                jac.append(np.ones_like(h[a]))
            else:
                cols.append(gh[a] * self.width * np.cosh(zi))
                jac.append(np.tanh(zi))
        return np.stack(cols, axis=-1), np.stack(jac, axis=-1)


def _family_supports(spec: HierarchicalPrior):
    from .spec import FAMILIES

    return FAMILIES[spec.family]


class HierarchicalModel:
    """A likelihood over groups with a :class:`HierarchicalPrior` on the group parameter.

    Build one with :func:`Binomial`, :func:`Bernoulli`, :func:`Normal` or :func:`Poisson`.

    Attributes
    ----------
    spec : HierarchicalPrior
    inner : Inner
        The conjugate inner model (groups integrated out in closed form).
    coords : Coordinates
        The grid's parametrisation of the free hyperparameters.
    group : str
        Name of the group parameter.
    names : tuple of str
        Free hyperparameters (renamed by ``names=``) then the group parameter.
    parameters : dict
        Name -> :class:`HyperParameter`.
    """

    likelihood = "hierarchical"
    #: The flag the public methods read to route here (``Model.is_hierarchical`` is False).
    is_hierarchical = True

    def __init__(self, spec: HierarchicalPrior, inner: Inner, group: str, labels=None):
        if spec.family != inner.family:
            raise ValueError(
                f"a {type(inner).__name__} likelihood needs hierarchical(stats.{inner.family}, "
                f"...) over its parameter, got stats.{spec.family}"
            )
        start = inner.start()
        scale = [v for a, v in start.items() if a != "loc"]
        self.spec, self.inner = spec, inner
        self.coords = Coordinates(spec, start.get("loc", 0.0), max(scale[0], 1e-8))
        self.group = spec.name or group
        self.hyper = tuple(spec.names[a] for a in spec.free)
        self.names = (*self.hyper, self.group)
        if len(set(self.names)) != len(self.names):
            raise ValueError(
                f"parameter names {self.names} collide: rename with names={{...}} or name=..."
            )
        self.parameters = {n: HyperParameter(n, ()) for n in self.hyper}
        labels = None if labels is None else tuple(str(x) for x in labels)
        self.parameters[self.group] = HyperParameter(self.group, (inner.n_groups,), labels)

    @property
    def n_groups(self) -> int:
        return self.inner.n_groups

    def hyper_at(self, z: np.ndarray) -> dict[str, np.ndarray]:
        """All hyperparameters (free and fixed, scipy names) at grid coordinates ``z``."""
        h, _ = self.coords.forward(z)
        shape = np.shape(z)[:-1]
        return {**h, **{a: np.full(shape, v) for a, v in self.spec.fixed.items()}}

    def log_marginal_posterior(self, z: Any, *, jacobian: bool = True) -> np.ndarray:
        """``log p(y | h) + log p(h)`` (plus ``log|dh/dz|`` when ``jacobian``) at ``z``.

        ``z`` has shape ``(..., d)``; evaluated in chunks so memory stays linear in the groups.
        """
        z = np.asarray(z, dtype=float)
        flat = z.reshape(-1, z.shape[-1])
        out = np.empty(len(flat))
        step = max(1, CHUNK_ELEMENTS // max(self.n_groups, 1))
        for start in range(0, len(flat), step):
            zc = flat[start : start + step]
            h, logj = self.coords.forward(zc)
            h = {**h, **{a: np.full(len(zc), v) for a, v in self.spec.fixed.items()}}
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                val = self.inner.log_marginal(h) + self.spec.log_hyperprior(h)
            out[start : start + step] = val + (logj if jacobian else 0.0)
        out[np.isnan(out)] = -np.inf
        return out.reshape(z.shape[:-1])

    def value_and_grad(self, z: Any, *, jacobian: bool = True) -> tuple[float, np.ndarray]:
        """Log marginal posterior at one point ``z`` (shape ``(d,)``) and its exact gradient."""
        z = np.asarray(z, dtype=float)
        value = float(self.log_marginal_posterior(z[None], jacobian=jacobian)[0])
        h = self.hyper_at(z[None])
        gl = self.inner.grad_log_marginal(h)
        gp = self.spec.grad_log_hyperprior(h)
        gh = {a: gl[a] + gp[a] for a in self.spec.free}
        gz, gj = self.coords.pullback(z[None], gh)
        grad = gz[0] + (gj[0] if jacobian else 0.0)
        return value, grad

    # hooks the public methods call
    def nested_grid(self, **kwargs: Any) -> Any:
        """Hook for ``bg.grid``: :func:`bayesgd.hierarchical.grid.nested_grid`."""
        from .grid import nested_grid

        return nested_grid(self, **kwargs)

    def marginal_map(self, **kwargs: Any) -> Any:
        """Hook for ``bg.map_estimate(marginal=True)``: :func:`...marginal.marginal_map`."""
        from .marginal import marginal_map

        return marginal_map(self, **kwargs)

    def marginal_laplace(self, **kwargs: Any) -> Any:
        """Hook for ``bg.laplace``: :func:`bayesgd.hierarchical.marginal.marginal_laplace`."""
        from .marginal import marginal_laplace

        return marginal_laplace(self, **kwargs)

    def to_pymc(self, **kwargs: Any) -> Any:
        """Hook for ``bg.to_pymc``: the non-centred PyMC model."""
        from .pymc import to_pymc

        return to_pymc(self, **kwargs)

    def sample_pymc(self, **kwargs: Any) -> Any:
        """Hook for ``bg.sample_pymc``: NUTS on the non-centred model."""
        from .pymc import sample

        return sample(self, **kwargs)

    def compare(self, **kwargs: Any) -> Any:
        """Hook for ``bg.compare``: :func:`bayesgd.hierarchical.compare.compare`."""
        from .compare import compare

        return compare(self, **kwargs)

    def __repr__(self) -> str:
        return f"<hierarchical {type(self.inner).__name__}: {self.n_groups} groups, {self.spec!r}>"


# ----------------------------------------------------------------- constructors
def _spec(value: Any, keyword: str, likelihood: str) -> HierarchicalPrior:
    if not isinstance(value, HierarchicalPrior):
        raise TypeError(
            f"{keyword}= must be bg.hierarchical(...) for a hierarchical {likelihood}, got "
            f"{value!r}; use bg.{likelihood} for an ordinary prior"
        )
    return value


def _grouped(data: dict[str, np.ndarray], groups: Any, likelihood: str):
    """Check the group axis; with ``groups`` labels, return the label codes and names."""
    first = next(iter(data))
    shape = np.broadcast_shapes(*(np.shape(v) for v in data.values()))
    if groups is None:
        if len(shape) != 1 or shape[0] < 2:
            raise ValueError(
                f"a hierarchical prior needs a group axis: {first} of a hierarchical "
                f"{likelihood} must be 1-D with one element per group (at least 2), got shape "
                f"{shape}; or pass groups= labels"
            )
        return {k: np.broadcast_to(v, shape).astype(float) for k, v in data.items()}, None, None
    labels = np.asarray(groups)
    if labels.ndim != 1 or len(shape) != 1 or labels.shape[0] != shape[0]:
        raise ValueError(
            f"groups= must be 1-D with one label per observation ({shape[0] if shape else 1}), "
            f"got shape {labels.shape}"
        )
    names, codes = np.unique(labels, return_inverse=True)
    if len(names) < 2:
        raise ValueError("groups= holds a single label: a hierarchical prior needs >= 2 groups")
    return {k: np.broadcast_to(v, shape).astype(float) for k, v in data.items()}, codes, names


def _sum(x: np.ndarray, codes: np.ndarray | None, n: int) -> np.ndarray:
    return x if codes is None else np.bincount(codes, weights=x, minlength=n)


def _counts(x: Any, name: str) -> np.ndarray:
    arr = np.asarray(x, dtype=float)
    if not np.all(np.isfinite(arr)) or np.any(arr < 0) or np.any(arr != np.round(arr)):
        raise ValueError(f"{name} must hold non-negative integers")
    return arr


def Binomial(
    *, k: Any, n: Any, p: Any = None, logit_p: Any = None, groups: Any = None
) -> HierarchicalModel:
    """``k`` successes in ``n`` trials per group, hierarchical over the groups.

    ``p=bg.hierarchical(stats.beta, ...)``: ``p ~ Beta(a, b)`` per group, integrated out
    exactly. ``logit_p=bg.hierarchical(stats.norm, ...)``: the logistic GLMM with group
    intercepts, integrated out by Laplace (INLA's inner step). Successes out of trials per row
    is R's ``cbind(successes, failures)``.

    Examples
    --------
    >>> from scipy import stats
    >>> from bayesgd.hierarchical import hierarchical
    >>> m = Binomial(k=[0, 1, 1, 3], n=[4, 4, 5, 5], groups=["x", "x", "y", "y"],
    ...              p=hierarchical(stats.beta, a=stats.expon(), b=stats.expon()))
    >>> m.inner.k.tolist(), m.inner.n.tolist()
    ([1.0, 4.0], [8.0, 10.0])
    """
    if (p is None) == (logit_p is None):
        raise TypeError("give exactly one of p= (beta family) and logit_p= (normal family)")
    keyword = "p" if logit_p is None else "logit_p"
    spec = _spec(p if logit_p is None else logit_p, keyword, "Binomial")
    data, codes, labels = _grouped(
        {"k": _counts(k, "k"), "n": _counts(n, "n")}, groups, "Binomial"
    )
    if np.any(data["k"] > data["n"]):
        raise ValueError("k must not exceed n")
    g = data["k"].shape[0] if codes is None else len(labels)
    kk, nn = _sum(data["k"], codes, g), _sum(data["n"], codes, g)
    const = np.sum(_lchoose(data["n"], data["k"])) - np.sum(_lchoose(nn, kk))
    inner = BetaBinomial if logit_p is None else BinomialLogitNormal
    return HierarchicalModel(spec, inner(kk, nn, const), keyword, labels)


def _lchoose(n, k):
    return special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1)


def Bernoulli(*, y: Any, p: Any, groups: Any) -> HierarchicalModel:
    """0/1 outcomes ``y`` with labels ``groups``; ``p ~ Beta(a, b)`` per group."""
    spec = _spec(p, "p", "Bernoulli")
    arr = _counts(y, "y")
    if np.any(arr > 1):
        raise ValueError("y of a Bernoulli must hold 0s and 1s")
    data, codes, labels = _grouped({"y": arr}, groups, "Bernoulli")
    if codes is None:
        raise ValueError("a hierarchical Bernoulli needs groups= labels (one per outcome)")
    kk = _sum(data["y"], codes, len(labels))
    nn = np.bincount(codes, minlength=len(labels)).astype(float)
    return HierarchicalModel(spec, BetaBinomial(kk, nn, -np.sum(_lchoose(nn, kk))), "p", labels)


def Normal(*, y: Any, sigma: Any, mu: Any, groups: Any = None) -> HierarchicalModel:
    """``y ~ Normal(mu_group, sigma)`` with known ``sigma``; ``mu ~ Normal(loc, scale)``.

    Examples
    --------
    >>> from bayesgd.hierarchical import hierarchical
    >>> from scipy import stats
    >>> m = Normal(y=[28.0, 8, -3], sigma=[15.0, 10, 16], mu=hierarchical(
    ...     stats.norm, log_prior=lambda loc, scale: 0 * loc, names={"loc": "mu", "scale": "tau"},
    ...     name="theta"))
    >>> m.names
    ('mu', 'tau', 'theta')
    """
    spec = _spec(mu, "mu", "Normal")
    y_arr = np.asarray(y, dtype=float)
    s_arr = np.asarray(sigma, dtype=float)
    if not np.all(np.isfinite(y_arr)):
        raise ValueError("y must be finite")
    if not np.all(np.isfinite(s_arr)) or np.any(s_arr <= 0):
        raise ValueError("sigma must be known, finite and positive (one per observation)")
    data, codes, labels = _grouped({"y": y_arr, "sigma": s_arr}, groups, "Normal")
    if codes is None:
        return HierarchicalModel(spec, NormalNormal(data["y"], data["sigma"]), "mu", labels)
    w = 1 / data["sigma"] ** 2
    g = len(labels)
    prec = _sum(w, codes, g)
    ybar = _sum(w * data["y"], codes, g) / prec
    sbar = 1 / np.sqrt(prec)
    # the product of the rows' normals is N(ybar | mu, sbar) times this constant
    const = (
        -0.5 * np.sum(w * (data["y"] - ybar[codes]) ** 2)
        - 0.5 * (len(codes) - g) * np.log(2 * np.pi)
        - np.sum(np.log(data["sigma"]))
        + np.sum(np.log(sbar))
    )
    return HierarchicalModel(spec, NormalNormal(ybar, sbar, const), "mu", labels)


def Poisson(
    *, k: Any, mu: Any = None, log_mu: Any = None, exposure: Any = None, groups: Any = None
) -> HierarchicalModel:
    """Counts ``k`` with rate ``mu`` per unit of ``exposure``, hierarchical over the groups.

    ``mu=bg.hierarchical(stats.gamma, ...)``: ``mu ~ Gamma(a, scale)`` per group, integrated
    out exactly. ``log_mu=bg.hierarchical(stats.norm, ...)``: the Poisson GLMM with group
    intercepts, ``log mu ~ Normal(loc, scale)``, integrated out by Laplace (INLA's inner step).

    Examples
    --------
    >>> from scipy import stats
    >>> from bayesgd.hierarchical import hierarchical
    >>> m = Poisson(k=[3, 9, 4], exposure=[2.0, 3.0, 1.0],
    ...             log_mu=hierarchical(stats.norm, loc=stats.norm(0, 5), scale=stats.expon()))
    >>> m.names, m.inner.method
    (('loc', 'scale', 'log_mu'), 'laplace')
    """
    if (mu is None) == (log_mu is None):
        raise TypeError("give exactly one of mu= (gamma family) and log_mu= (normal family)")
    keyword = "mu" if log_mu is None else "log_mu"
    spec = _spec(mu if log_mu is None else log_mu, keyword, "Poisson")
    t = np.asarray(1.0 if exposure is None else exposure, dtype=float)
    if not np.all(np.isfinite(t)) or np.any(t <= 0):
        raise ValueError("exposure must be finite and positive")
    data, codes, labels = _grouped({"k": _counts(k, "k"), "t": t}, groups, "Poisson")
    g = data["k"].shape[0] if codes is None else len(labels)
    kk, tt = _sum(data["k"], codes, g), _sum(data["t"], codes, g)
    const = np.sum(data["k"] * np.log(data["t"]) - special.gammaln(data["k"] + 1)) - np.sum(
        kk * np.log(tt) - special.gammaln(kk + 1)
    )
    inner = GammaPoisson if log_mu is None else PoissonLogNormal
    return HierarchicalModel(spec, inner(kk, tt, const), keyword, labels)
