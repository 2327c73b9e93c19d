"""MAP estimation by gradient descent on ``L(theta) = -log p(theta | D)`` (unnormalised).

:func:`map_estimate` runs an optimizer from :mod:`bayesgd.optim` in the unconstrained space of
the model (:class:`~bayesgd.space.UnconstrainedSpace`) and reports the mode in the model's own
parametrisation. It fails loudly: a non-finite or exploding loss raises
:class:`~bayesgd.errors.DivergenceError`, running out of iterations warns
:class:`~bayesgd.errors.ConvergenceWarning`, and a mode on the edge of the support is reported
exactly on the edge with a :class:`~bayesgd.errors.BoundaryWarning`.

Which mode?
-----------
A density has no unique mode: it depends on the parametrisation. ``jacobian=False`` (the
default) minimises ``-log p(theta | D)`` and so finds the mode of the posterior density of
``theta`` as the model writes it, the MAP of textbooks and of ``pm.find_MAP``. ``jacobian=True``
minimises ``-log p(theta(u) | D) - log|det d theta / d u|``, the mode of the density of the
unconstrained ``u``, mapped back to ``theta`` (what Laplace approximations in ``u`` centre on).
With a Beta(9, 5) posterior of ``p``: the mode of the density of ``p`` is ``(9 - 1) / (9 + 5 -
2) = 8/12 = 0.6667``; the density of ``u = logit(p)`` is ``Beta(p; 9, 5) * p (1 - p)`` ``∝ p^9
(1 - p)^5``, whose mode is ``9/14 = 0.6429``.

Examples
--------
>>> from scipy import stats
>>> import bayesgd as bg
>>> m = bg.Binomial(k=7, n=10, p=stats.beta(2, 2))        # posterior Beta(9, 5)
>>> round(map_estimate(m).params["p"], 4)
0.6667
>>> round(map_estimate(m, jacobian=True).params["p"], 4)
0.6429
"""

from __future__ import annotations

from ._constants import DEFAULT_MAX_ITER, DEFAULT_TOL
from .driver import map_estimate
from .result import MAPResult
from .starts import central_point

__all__ = ["DEFAULT_MAX_ITER", "DEFAULT_TOL", "MAPResult", "central_point", "map_estimate"]
