"""The family record: one declaration per scipy.stats family holds all bayesgd knows of it.

scipy.stats gives one object per family that owns its density, support, draws and quantiles;
a :class:`Family` adds what bayesgd needs beyond that and is registered under the same scipy
name. Every method reads these records: priors (log density and gradient in plain NumPy),
grids (the starting box), MAP (the central starting point), PyMC (the constructor), conjugate
updates (the family's role) and exact HDIs (the fast path). Adding a family means adding one
record (see :mod:`bayesgd.families.univariate`) and its tests.

Examples
--------
>>> from bayesgd.families import family
>>> rec = family("gamma")
>>> rec.name, rec.hdi
('gamma', 'gamma')
>>> float(rec.logpdf(1.0, 1.0))  # standard gamma(1) = expon at z = 1
-1.0
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["FAMILIES", "Family", "family", "register"]


def quantile_box(dist: Any, q: float) -> tuple[Any, Any]:
    """The ``(q, 1 - q)`` quantiles of a frozen distribution: the default grid box."""
    return dist.ppf(q), dist.isf(q)


def median(dist: Any) -> Any:
    """The default central point: the median."""
    return dist.median()


def scipy_draws(dist: Any, size: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """The default draws: scipy's own sampler."""
    return np.asarray(dist.rvs(size=size, random_state=rng), dtype=float)


def scipy_support(dist: Any) -> tuple[Any, Any]:
    """The default support: scipy's (the transform onto it follows from the bounds)."""
    return dist.support()


@dataclass(frozen=True)
class Family:
    """Everything bayesgd knows about one univariate continuous scipy.stats family.

    The log density and its derivative are of the standardised variable
    ``z = (x - loc) / scale`` with the family's shape parameters as further arguments;
    :class:`~bayesgd.families.prior.UnivariatePrior` adds ``loc``, ``scale`` and the support.

    Attributes
    ----------
    name : str
        The scipy.stats name (``stats.<name>``).
    logpdf, dlogpdf : callable
        ``f(z, *shapes)`` and ``df/dz``, NumPy only (they run in optimizers' inner loops).
    pymc : callable
        ``pymc(name, prior, shape)`` creates the PyMC free variable inside a ``pm.Model``
        (see :mod:`bayesgd.families.pymc_forms`; PyMC is imported only when it runs).
    roles : mapping
        Conjugate roles: ``kind -> role(shapes, loc, scale)`` returning the parameters of the
        conjugate form (``"beta"``: ``(a, b)``; ``"gamma"``: ``(shape, rate)``; ``"normal"``:
        ``(mean, sd)``; ``"invgamma"``: ``(shape, scale)``) or a string saying why these
        parameters do not qualify (``""``: no reason to add).
    hdi : str or None
        The exact HDI's fast path: ``"central"`` for symmetric unimodal families, or the name
        of a closed-form solver of :mod:`bayesgd.numerics.hdi_dist` (``"beta"``, ``"gamma"``,
        ``"invgamma"``, ``"lognorm"``); None for the generic solver.
    hdi_form : callable or None
        ``(shapes, scale) -> (shapes, scale)`` onto the solver named by ``hdi`` (chi2 is a
        gamma with shape ``df/2`` and twice the scale); None when no change is needed.
    infinite_ok : tuple of str
        Shape parameters that may be infinite (truncnorm's ``a`` and ``b``).
    box, centre, draws, support : callable
        Of the frozen distribution: the grid's starting box ``box(dist, q)``, the MAP's start
        ``centre(dist)``, ``draws(dist, size, rng)`` and ``support(dist)``. scipy's quantiles,
        median, sampler and support unless a family needs better.
    """

    name: str
    logpdf: Callable[..., np.ndarray]
    dlogpdf: Callable[..., np.ndarray]
    pymc: Callable[..., Any]
    roles: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    hdi: str | None = None
    hdi_form: Callable[..., Any] | None = None
    infinite_ok: tuple[str, ...] = ()
    box: Callable[..., Any] = quantile_box
    centre: Callable[..., Any] = median
    draws: Callable[..., np.ndarray] = scipy_draws
    support: Callable[..., Any] = scipy_support


#: The registry: scipy name -> record (several names may share one record).
FAMILIES: dict[str, Family] = {}


def register(record: Family, *aliases: str) -> Family:
    """Register ``record`` under its scipy name and any other scipy names of the family."""
    for name in (record.name, *aliases):
        if name in FAMILIES:
            raise ValueError(f"family {name!r} is already registered")
        FAMILIES[name] = record
    return record


def family(name: str) -> Family:
    """The record of the scipy.stats family ``name``.

    Raises
    ------
    KeyError
        If ``name`` is not an accepted family.
    """
    try:
        return FAMILIES[name]
    except KeyError:
        raise KeyError(
            f"scipy.stats.{name} is not an accepted family; "
            f"accepted: {', '.join(sorted(FAMILIES))}"
        ) from None
