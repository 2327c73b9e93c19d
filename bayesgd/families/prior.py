"""Priors: the base class with its hooks, univariate priors built from family records.

Every prior a model accepts is a scipy.stats frozen distribution (or
:class:`~bayesgd.families.joint.NormalInverseGamma`). :class:`Prior` declares, with defaults,
every question a method asks of a prior: log density and gradient, draws, support, the box a
grid starts from, a central starting point, the conjugate role and the PyMC variables.
:class:`UnivariatePrior` answers them from the family's record
(:mod:`bayesgd.families.univariate`); the joint priors (:mod:`bayesgd.families.joint`) are
their own records.

Examples
--------
>>> from scipy import stats
>>> from bayesgd.families import make_prior
>>> prior = make_prior(("p",), stats.beta(2, 2))
>>> float(prior.logpdf({"p": 0.5}))  # log(1.5)
0.4054651081081644
>>> float(prior.grad_logpdf({"p": 0.25})["p"])  # 1/0.25 - 1/0.75
2.666666666666667
>>> prior.as_conjugate("beta")
(array(2.), array(2.))
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy import stats

from ..transforms import Transform, transform_for_support
from .record import FAMILIES, Family

__all__ = ["Prior", "UnivariatePrior", "sum_event"]


class Prior:
    """A prior over one or more named parameters of a model.

    Attributes
    ----------
    names : tuple of str
        The parameters this prior covers (two for a joint prior).
    dist : object
        The frozen distribution the user passed.
    family : str
        Its family name (``"beta"``, ``"dirichlet"``, ...).
    shapes : dict
        Parameter name -> shape of that parameter.
    transforms : dict
        Parameter name -> :class:`~bayesgd.transforms.Transform` onto its support.
    """

    names: tuple[str, ...]
    family: str

    def __init__(self, names: tuple[str, ...], dist: Any):
        self.names = names
        self.dist = dist
        self.shapes: dict[str, tuple[int, ...]] = {}
        self.transforms: dict[str, Transform] = {}

    def logpdf(self, values: Mapping[str, Any]) -> np.ndarray:
        """Log density summed over each parameter's own axes; leading axes are kept."""
        raise NotImplementedError

    def grad_logpdf(self, values: Mapping[str, Any]) -> dict[str, np.ndarray]:
        """Gradient of :meth:`logpdf` with respect to each parameter."""
        raise NotImplementedError

    def rvs(self, size: tuple[int, ...], rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Draws of shape ``size + shape`` per parameter."""
        raise NotImplementedError

    def support(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Elementwise ``(low, high)`` of one parameter (the simplex gives ``(0, 1)``)."""
        raise NotImplementedError

    def grid_box(self, name: str, q: float) -> tuple[np.ndarray, np.ndarray]:
        """Elementwise ``(q, 1 - q)`` prior quantiles of one parameter: where a grid starts.

        The default, for priors without quantiles, is the ``(1e-3, 1 - 1e-3)`` quantiles of
        20000 draws (seeded), widened by their span on each side.
        """
        draws = self.rvs((20000,), np.random.default_rng(0))[name]
        lo, hi = np.quantile(draws, [1e-3, 1 - 1e-3], axis=0)
        span = hi - lo
        return self._on_shape(name, lo - span, hi + span)

    def central_point(self) -> dict[str, np.ndarray]:
        """A central value per parameter, where MAP starts; by default the image of ``u = 0``."""
        out = {}
        for name in self.names:
            transform = self.transforms[name]
            u = np.zeros(transform.unconstrained_shape(self.shapes[name]))
            out[name] = np.asarray(transform.forward(u), dtype=float)
        return out

    def as_conjugate(self, kind: str) -> tuple[Any, ...] | str:
        """The parameters of this prior as the conjugate form ``kind``, or why it is not one.

        ``kind`` is ``"beta"`` ``(a, b)``, ``"gamma"`` ``(shape, rate)``, ``"normal"``
        ``(mean, sd)``, ``"invgamma"`` ``(shape, scale)``, ``"dirichlet"`` ``(alpha,)`` or
        ``"mvnormal"`` ``(mean, precision)``. A string is the reason this prior does not
        qualify, to append to the error message (``""``: it is another family).
        """
        return ""

    def _pymc_variables(self, shapes: Mapping[str, tuple[int, ...]]) -> dict[str, Any]:
        """Create the PyMC free variable(s) inside the current ``pm.Model`` (to_pymc)."""
        raise TypeError(
            f"to_pymc cannot translate the prior {self!r} ({type(self).__name__}); give it a "
            "_pymc_variables(shapes) method returning its PyMC variables"
        )

    def _on_shape(self, name: str, lo: Any, hi: Any) -> tuple[np.ndarray, np.ndarray]:
        shape = self.shapes[name]
        return (
            np.broadcast_to(np.asarray(lo, dtype=float), shape),
            np.broadcast_to(np.asarray(hi, dtype=float), shape),
        )

    def __repr__(self) -> str:
        return f"Prior({', '.join(self.names)} ~ {self.family})"


def sum_event(values: np.ndarray, ndim: int) -> np.ndarray:
    """Sum the last ``ndim`` axes (a parameter's own axes)."""
    return values.sum(axis=tuple(range(values.ndim - ndim, values.ndim))) if ndim else values


def _broadcast_or_none(*shapes: tuple[int, ...]) -> tuple[int, ...] | None:
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        return None


def _check_parameters(name: str, dist: Any, record: Family, given: dict[str, np.ndarray]):
    """Raise ValueError naming every invalid parameter of a univariate prior."""
    arg_names = list(given)[:-2]
    finite_needed = [k for k in given if k not in record.infinite_ok]
    bad = [k for k in finite_needed if not np.all(np.isfinite(given[k]))]
    if np.any(given["scale"] <= 0) and "scale" not in bad:
        bad.append("scale")
    with np.errstate(invalid="ignore"):
        if not np.all(dist.dist._argcheck(*(given[k] for k in arg_names))):
            bad += [k for k in arg_names if k not in bad]
    if bad:
        text = ", ".join(
            f"{k}={np.asarray(v).tolist() if np.size(v) <= 8 else np.asarray(v)}"
            for k, v in given.items()
        )
        raise ValueError(
            f"prior for {name!r}: invalid parameter(s) {', '.join(bad)} of "
            f"scipy.stats.{dist.dist.name}({text}); shape parameters must lie in scipy's valid "
            "range, loc must be finite and scale positive and finite"
        )


class UnivariatePrior(Prior):
    """A scipy.stats univariate continuous frozen distribution, possibly batched.

    Everything family-specific comes from the family's record (:attr:`record`).
    """

    def __init__(self, name: str, dist: Any, shape: tuple[int, ...] | None = None):
        super().__init__((name,), dist)
        self.family = dist.dist.name
        self.record: Family = FAMILIES[self.family]
        shape_args, loc, scale = dist.dist._parse_args(*dist.args, **dist.kwds)
        self._shape_args = tuple(np.asarray(a, dtype=float) for a in shape_args)
        self.loc = np.asarray(loc, dtype=float)
        self.scale = np.asarray(scale, dtype=float)
        batch = np.broadcast_shapes(
            self.loc.shape, self.scale.shape, *(a.shape for a in self._shape_args)
        )
        arg_names = [s.strip() for s in (dist.dist.shapes or "").split(",") if s.strip()]
        values = (*self._shape_args, self.loc, self.scale)
        _check_parameters(
            name, dist, self.record, dict(zip((*arg_names, "loc", "scale"), values, strict=True))
        )
        if shape is None:
            shape = batch
        elif _broadcast_or_none(batch, tuple(shape)) != tuple(shape):
            raise ValueError(
                f"prior for {name!r} has batch shape {batch}, which does not broadcast to the "
                f"parameter's shape {tuple(shape)}"
            )
        self.shape = tuple(shape)
        self.shapes = {name: self.shape}
        low, high = self.record.support(dist)
        self._low = np.broadcast_to(np.asarray(low, dtype=float), self.shape)
        self._high = np.broadcast_to(np.asarray(high, dtype=float), self.shape)
        self.transforms = {name: transform_for_support(self._low, self._high)}
        self._log_scale = np.log(self.scale)

    def logpdf(self, values):
        x = np.asarray(values[self.names[0]], dtype=float)
        z = (x - self.loc) / self.scale
        inside = (x >= self._low) & (x <= self._high)
        with np.errstate(divide="ignore", invalid="ignore"):
            lp = self.record.logpdf(np.where(inside, z, 0.5), *self._shape_args)
            lp = lp - self._log_scale
        lp = np.where(inside, lp, -np.inf)
        return sum_event(lp, len(self.shape))

    def grad_logpdf(self, values):
        x = np.asarray(values[self.names[0]], dtype=float)
        z = (x - self.loc) / self.scale
        with np.errstate(divide="ignore", invalid="ignore"):
            g = self.record.dlogpdf(z, *self._shape_args) / self.scale
        return {self.names[0]: np.broadcast_to(g, np.broadcast_shapes(x.shape, self.shape))}

    def rvs(self, size, rng):
        return {self.names[0]: self.record.draws(self.dist, (*size, *self.shape), rng)}

    def support(self, name):
        return self._low, self._high

    def grid_box(self, name, q):
        return self._on_shape(name, *self.record.box(self.dist, q))

    def central_point(self):
        return {self.names[0]: np.asarray(self.record.centre(self.dist), dtype=float)}

    def as_conjugate(self, kind):
        role = self.record.roles.get(kind)
        return "" if role is None else role(self._shape_args, self.loc, self.scale)

    def _pymc_variables(self, shapes):
        name = self.names[0]
        return {name: self.record.pymc(name, self, shapes[name])}


def is_univariate_continuous(dist: Any) -> bool:
    """Whether ``dist`` is a frozen univariate continuous scipy.stats distribution."""
    return hasattr(dist, "dist") and isinstance(dist.dist, stats.rv_continuous)
