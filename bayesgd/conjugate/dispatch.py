"""Dispatch: :func:`conjugate` asks the model for its conjugate role and builds the posterior."""

from __future__ import annotations

from ..errors import NotConjugateError
from ..models.base import Model
from .base import ConjugatePosterior
from .roles import not_conjugate, role_of

__all__ = ["conjugate", "is_conjugate"]


def is_conjugate(model: Model) -> bool:
    """Whether :func:`conjugate` has a closed form for ``model``.

    Examples
    --------
    >>> from scipy import stats
    >>> import bayesgd as bg
    >>> bg.is_conjugate(bg.Binomial(k=3, n=5, p=stats.beta(1, 1)))
    True
    >>> bg.is_conjugate(bg.Binomial(k=3, n=5, p=stats.uniform(0.1, 0.5)))
    False
    """
    try:
        conjugate(model)
    except NotConjugateError:
        return False
    return True


def conjugate(model: Model) -> ConjugatePosterior:
    """The exact posterior of a model whose prior is conjugate to its likelihood.

    Parameters
    ----------
    model : Model
        A likelihood family (``bg.Binomial``, ``bg.Normal``, ...) with a conjugate prior; see
        :data:`bayesgd.conjugate.CONJUGATE_PAIRS`. Batched priors give one posterior per
        group, computed at once.

    Returns
    -------
    ConjugatePosterior
        With ``hyper``, ``dist``, exact ``mean``/``sd``/``mode``/``median``/``quantile``/``hdi``,
        joint ``sample``, ``log_evidence``, ``predictive(...)`` and ``update(...)``.

    Raises
    ------
    TypeError
        If ``model`` is not a bayesgd Model.
    NotConjugateError
        If the prior/likelihood pair has no closed form; the message names the pair given and
        lists the conjugate pairs.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> import bayesgd as bg
    >>> G = 3
    >>> post = bg.conjugate(bg.Binomial(k=[1, 5, 9], n=10, p=stats.beta(np.ones(G), np.ones(G))))
    >>> post.mean()["p"].round(3)
    array([0.167, 0.5  , 0.833])
    >>> bg.conjugate(bg.Normal(y=[0.1, 0.4], prior=stats.normal_inverse_gamma(0, 1, 2, 1))).names
    ('mu', 'sigma2')
    """
    if not isinstance(model, Model):
        raise TypeError(
            f"model must be a bayesgd Model (e.g. bg.Binomial(...)), got {type(model).__name__}"
        )
    role = role_of(model)
    if role is None:
        raise not_conjugate(model)
    return role.build(model)
