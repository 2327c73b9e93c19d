"""The registry of conjugate roles: how :func:`conjugate` finds a model's closed form.

A likelihood family declares its role as a class attribute, ``conjugate_role = "beta-binomial"``
(``None`` on :class:`~bayesgd.models.base.Model`: not conjugate). Each role is registered here
once, with the function that builds the posterior from a model and the prior/likelihood pairs it
accepts. A new conjugate pair is one :func:`register_role` call next to its posterior class.

Examples
--------
>>> from scipy import stats
>>> import bayesgd as bg
>>> bg.Binomial.conjugate_role
'beta-binomial'
>>> role_of(bg.Binomial(k=3, n=5, p=stats.beta(1, 1))).name
'beta-binomial'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import NotConjugateError
from ..models.base import Model

if TYPE_CHECKING:
    from .base import ConjugatePosterior

__all__ = ["ConjugateRole", "conjugate_pairs", "register_role", "role_of"]


@dataclass(frozen=True)
class ConjugateRole:
    """One conjugate role: its name, its posterior builder and the pairs it accepts.

    Attributes
    ----------
    name : str
        The value of ``conjugate_role`` on the model classes that play it.
    build : callable
        ``build(model) -> ConjugatePosterior``; raises :class:`~bayesgd.NotConjugateError`
        (through :func:`not_conjugate`) when the model's priors do not fit the role.
    pairs : tuple of str
        Human-readable prior/likelihood pairs, listed in the error for a non-conjugate model.
    """

    name: str
    build: Callable[[Model], ConjugatePosterior]
    pairs: tuple[str, ...]


_ROLES: dict[str, ConjugateRole] = {}


def register_role(
    name: str, build: Callable[[Model], ConjugatePosterior], *, pairs: tuple[str, ...]
) -> ConjugateRole:
    """Register the builder of the posterior for models whose ``conjugate_role`` is ``name``.

    Parameters
    ----------
    name : str
        The role, e.g. ``"gamma-poisson"``; each name is registered once.
    build : callable
        ``build(model) -> ConjugatePosterior``.
    pairs : tuple of str
        The prior/likelihood pairs the role accepts, in words (for error messages).

    Returns
    -------
    ConjugateRole

    Raises
    ------
    ValueError
        If ``name`` is already registered.
    """
    if name in _ROLES:
        raise ValueError(f"conjugate role {name!r} is already registered")
    role = ConjugateRole(name, build, tuple(pairs))
    _ROLES[name] = role
    return role


def role_of(model: Model) -> ConjugateRole | None:
    """The registered role ``model`` declares, or ``None``."""
    name = model.conjugate_role
    return _ROLES.get(name) if name is not None else None


def conjugate_pairs() -> tuple[str, ...]:
    """Every registered prior/likelihood pair, in registration order, each once."""
    return tuple(dict.fromkeys(p for role in _ROLES.values() for p in role.pairs))


def _describe(model: Model) -> str:
    parts = [f"{p.family} prior on {'/'.join(p.names)}" for p in model.priors]
    if model.fixed:
        parts.append(f"{', '.join(sorted(model.fixed))} fixed")
    return ", ".join(parts)


def not_conjugate(model: Model, reason: str = "") -> NotConjugateError:
    """The error for a model with no closed form: names the pair given, lists the pairs."""
    lik = model.likelihood
    what = "a custom likelihood" if lik == "custom" else f"a {lik} likelihood"
    pairs = "\n".join(f"  - {p}" for p in conjugate_pairs())
    return NotConjugateError(
        f"no closed-form posterior for {_describe(model)} with {what}{reason}. "
        f"Use bg.grid, bg.map_estimate, bg.laplace or bg.sample_pymc instead. "
        f"The conjugate pairs are:\n{pairs}"
    )
