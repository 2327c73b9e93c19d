"""Builders of the PyMC constructors that family records hold.

A record's ``pymc(name, prior, shape)`` creates the prior's free variable inside the current
``pm.Model``, with PyMC's own distribution and the same parametrisation. Families whose PyMC
distribution has no location (and ``beta``, which has no scale either) get a ``pm.CustomDist``
of ``loc + [scale *] base`` when ``loc != 0`` (or ``scale != 1`` for beta), with an explicit
interval transform onto the prior's support so that NUTS still samples on the real line; PyMC
derives the log density of the shifted or scaled variable itself.

PyMC and PyTensor are imported inside the builders only, so ``import bayesgd`` stays fast.

Examples
--------
>>> build = native("Normal", lambda loc, scale: {"mu": loc, "sigma": scale})
>>> build.pymc_name
'Normal'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["affine_custom", "bounds_transform", "native"]


def bounds_transform(low: np.ndarray, high: np.ndarray) -> Any:
    """PyMC interval transform onto ``[low, high]`` (array bounds allowed, inf means open)."""
    import pymc as pm
    import pytensor.tensor as pt

    lower = None if not np.all(np.isfinite(low)) else pt.constant(np.asarray(low, dtype=float))
    upper = None if not np.all(np.isfinite(high)) else pt.constant(np.asarray(high, dtype=float))
    if lower is None and upper is None:
        return None

    def bounds_fn(*rv_inputs):
        return lower, upper

    return pm.distributions.transforms.Interval(bounds_fn=bounds_fn)


def affine_custom(
    name: str,
    prior: Any,
    shape: tuple[int, ...],
    base: Callable[..., Any],
    base_args: tuple[np.ndarray, ...],
    *,
    scale: np.ndarray | None = None,
) -> Any:
    """``loc + [scale *] base(*base_args)`` as a named variable whose logp PyMC derives."""
    import pymc as pm

    loc = prior.loc
    scaled = scale is not None

    def dist(loc_, *rest):  # PyMC passes the parameters, then size, positionally
        *args, size = rest
        if scaled:
            *inner, scale_ = args
            return loc_ + scale_ * base(*inner, size=size)
        return loc_ + base(*args, size=size)

    params = (loc, *base_args, *((scale,) if scaled else ()))
    low, high = prior.support(name)
    return pm.CustomDist(
        name,
        *params,
        dist=dist,
        transform=bounds_transform(low, high),
        shape=shape,
    )


def native(
    dist: str, params: Callable[..., dict[str, Any]], *, located: bool = True
) -> Callable[[str, Any, tuple[int, ...]], Any]:
    """The constructor ``pm.<dist>(name, **params(*shapes, loc, scale))``.

    ``located=False`` says the PyMC distribution has no location argument: a prior with
    ``loc != 0`` becomes ``loc + pm.<dist>.dist(...)`` through :func:`affine_custom`.
    """

    def build(name: str, prior: Any, shape: tuple[int, ...]) -> Any:
        import pymc as pm

        cls = getattr(pm, dist)
        kwargs = params(*prior._shape_args, prior.loc, prior.scale)
        if located or bool(np.all(prior.loc == 0.0)):
            return cls(name, **kwargs, shape=shape)
        keys = tuple(kwargs)

        def shifted(*values, size):
            return cls.dist(**dict(zip(keys, values, strict=True)), size=size)

        args = tuple(np.asarray(v, dtype=float) for v in kwargs.values())
        return affine_custom(name, prior, shape, shifted, args)

    build.pymc_name = dist  # type: ignore[attr-defined]
    return build
