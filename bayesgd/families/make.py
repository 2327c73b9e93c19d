""":func:`make_prior`: a user's frozen distribution -> the :class:`Prior` that answers for it."""

from __future__ import annotations

from typing import Any

from scipy import stats

from .joint import DirichletPrior, MvNIGPrior, MvNormalPrior, NIGPrior, NormalInverseGamma
from .prior import Prior, UnivariatePrior, is_univariate_continuous
from .record import FAMILIES

__all__ = ["MULTIVARIATE_FAMILIES", "UNIVARIATE_FAMILIES", "make_prior"]

#: Names of the scipy.stats univariate continuous families accepted as priors.
UNIVARIATE_FAMILIES: tuple[str, ...] = tuple(sorted(FAMILIES))
#: Names of the joint or vector priors accepted.
MULTIVARIATE_FAMILIES: tuple[str, ...] = (
    "dirichlet",
    "multivariate_normal",
    "normal_inverse_gamma",
    "bayesgd.normal_inverse_gamma",
)

# frozen scipy multivariate type -> (prior class, number of parameter names, family name)
_JOINT = (
    (stats._multivariate.normal_inverse_gamma_frozen, NIGPrior, 2, "normal_inverse_gamma"),
    (stats._multivariate.dirichlet_frozen, DirichletPrior, 1, "dirichlet"),
    (stats._multivariate.multivariate_normal_frozen, MvNormalPrior, 1, "multivariate_normal"),
)


def _describe(dist: Any) -> str:
    return f"{type(dist).__name__} {dist!r}"[:120]


def make_prior(
    names: tuple[str, ...], dist: Any, *, shape: tuple[int, ...] | None = None
) -> Prior:
    """Wrap a frozen distribution as a :class:`Prior` over ``names``.

    Parameters
    ----------
    names : tuple of str
        One name, or two for a joint prior (normal-inverse-gamma).
    dist : frozen distribution
        A scipy.stats frozen distribution of an accepted family, or a
        :class:`NormalInverseGamma`.
    shape : tuple of int, optional
        The parameter's shape when it is larger than the prior's batch shape (one scalar prior
        shared by every regression coefficient).

    Raises
    ------
    TypeError
        For objects that are not an accepted distribution.
    ValueError
        For invalid distribution parameters or shapes.

    Examples
    --------
    >>> from scipy import stats
    >>> make_prior(("mu",), stats.laplace(loc=1.0))
    Prior(mu ~ laplace)
    """
    label = names[0] if len(names) == 1 else "(" + ", ".join(names) + ")"
    if isinstance(dist, NormalInverseGamma):
        _expect_names(names, 2, label, "normal_inverse_gamma")
        return MvNIGPrior(names, dist)  # type: ignore[arg-type]
    for frozen_type, cls, count, family in _JOINT:
        if isinstance(dist, frozen_type):
            _expect_names(names, count, label, family)
            return cls(names if count == 2 else names[0], dist)
    if isinstance(getattr(dist, "dist", None), stats.rv_discrete):
        raise TypeError(
            f"prior for {label}: discrete priors are not supported, got {_describe(dist)}"
        )
    if is_univariate_continuous(dist):
        if dist.dist.name not in FAMILIES:
            raise TypeError(
                f"prior for {label}: scipy.stats.{dist.dist.name} is not an accepted prior "
                "family; "
                f"accepted: {', '.join(UNIVARIATE_FAMILIES + MULTIVARIATE_FAMILIES)}"
            )
        _expect_names(names, 1, label, dist.dist.name)
        return UnivariatePrior(names[0], dist, shape)
    raise TypeError(
        f"prior for {label} must be a scipy.stats frozen distribution (e.g. stats.beta(2, 2)) or "
        f"a number to fix the parameter, got {_describe(dist)}"
    )


def _expect_names(names: tuple[str, ...], count: int, label: str, family: str) -> None:
    if len(names) != count:
        kind = "a joint prior over two parameters" if count == 2 else "a prior for one parameter"
        raise ValueError(f"{family} is {kind}; it was given for {label}")
