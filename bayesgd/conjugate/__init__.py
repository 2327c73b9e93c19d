"""Exact posteriors in closed form for the conjugate prior/likelihood pairs.

:func:`conjugate` turns a model whose prior is conjugate to its likelihood into a
:class:`ConjugatePosterior`: updated hyperparameters (``post.hyper``), scipy.stats frozen
marginals (``post.dist``), exact moments, the joint mode, exact highest-density intervals, joint
draws, the log evidence ``log p(D)`` and the posterior predictive of a new observation.

The package, by idea:

- :mod:`~bayesgd.conjugate.updates`: pure keyword-only updates, statistics in, frozen scipy
  posterior out;
- :mod:`~bayesgd.conjugate.base`: :class:`ConjugatePosterior`, what every posterior answers;
- one module per prior family (``beta``, ``gamma``, ``normal``, ``dirichlet``,
  ``regression``): its posterior class, its predictives, and the roles it registers;
- :mod:`~bayesgd.conjugate.roles`: the registry a model's ``conjugate_role`` is looked up in;
- :mod:`~bayesgd.conjugate.dispatch`: :func:`conjugate` and :func:`is_conjugate`.

The pairs (prior on the parameter in brackets):

=============================================  ================================================
likelihood                                      conjugate prior
=============================================  ================================================
Bernoulli, Binomial, Geometric,                 ``stats.beta(a, b)`` on ``p`` (``uniform(0, 1)``
NegativeBinomial (known ``r``)                  is ``beta(1, 1)``)
Poisson (with exposure), Exponential            ``stats.gamma(a, scale=1/b)`` on the rate
                                                (``expon`` and ``chi2`` are gammas too)
Normal, ``sigma`` or ``sigma2`` fixed           ``stats.norm`` on ``mu``
Normal, ``mu`` fixed                            ``stats.invgamma(a, scale=b)`` on ``sigma2``
Normal                                          ``prior=stats.normal_inverse_gamma(...)``
Multinomial, Categorical                        ``stats.dirichlet(alpha)`` on ``p``
LinearRegression                                ``prior=bg.priors.NormalInverseGamma(...)``
LinearRegression, ``sigma``/``sigma2`` fixed    ``stats.norm`` or ``stats.multivariate_normal``
                                                on ``coef`` (``stats.norm`` on ``intercept``)
=============================================  ================================================

Batched priors (``stats.beta(np.ones(G), np.ones(G))``) update all ``G`` groups at once, with
no Python loop over groups. Every other model raises :class:`bayesgd.NotConjugateError`.

A new pair plugs in with one :func:`register_role` call (or :func:`register_gamma_rate` for a
rate likelihood) next to its posterior class, and ``conjugate_role = "<name>"`` on its model.

Examples
--------
>>> from scipy import stats
>>> import bayesgd as bg
>>> post = bg.conjugate(bg.Binomial(k=7, n=10, p=stats.beta(2, 2)))
>>> post.hyper
{'a': 9.0, 'b': 5.0}
>>> round(post.mean()["p"], 4), round(post.mode()["p"], 4)
(0.6429, 0.6667)
>>> round(float(post.predictive(n=1).pmf(1)), 4)
0.6429
"""

from __future__ import annotations

from . import beta, dirichlet, gamma, normal, regression, shaped, updates  # noqa: F401 (registers)
from .base import ConjugatePosterior
from .beta import betanbinom_real
from .dispatch import conjugate, is_conjugate
from .gamma import GammaRate, register_gamma_rate
from .roles import ConjugateRole, conjugate_pairs, register_role, role_of

#: Human-readable list of the prior/likelihood pairs :func:`conjugate` accepts (at import;
#: :func:`conjugate_pairs` also lists roles registered later).
CONJUGATE_PAIRS: tuple[str, ...] = conjugate_pairs()

__all__ = [
    "CONJUGATE_PAIRS",
    "ConjugatePosterior",
    "ConjugateRole",
    "GammaRate",
    "betanbinom_real",
    "conjugate",
    "conjugate_pairs",
    "is_conjugate",
    "register_gamma_rate",
    "register_role",
    "role_of",
    "updates",
]
