"""Grid posteriors: Bayes' rule done numerically on a tensor grid, kept in log space.

:func:`grid` evaluates the model's unnormalised log posterior ``log p(θ) + log p(D|θ)`` at the
centres of the cells of a regular grid over one to four scalar dimensions, normalises it with
``logsumexp`` and answers the whole posterior interface (:class:`bayesgd.posterior.Posterior`)
from the tabulated density. It works for any model, conjugate or not, custom likelihoods
included, as long as the log density is vectorised over leading (batch) axes.

How the grid is chosen
----------------------
Each scalar dimension is one axis: a scalar parameter is one axis, a vector parameter of size
``d`` is ``d`` axes (``coef[0]``, ``coef[1]``, ...), and a Dirichlet parameter with ``K``
components is ``K - 1`` axes (its first ``K - 1`` components; the last one is implied,
``1 - sum``, and the density is zero where it would be negative).

Without ``bounds``, each axis starts from the prior's support where it is finite and from the
prior's ``1e-6`` and ``1 - 1e-6`` quantiles where it is not. A coarse grid over that box is then
evaluated repeatedly: where the log density lies within 30 nats of its maximum, the box is
shrunk to that region (plus one coarse cell), and a side where that region touches a box edge
that is not a support boundary is pushed outwards, until the box stops changing. A second,
shrink-only phase trims each axis to the points that leave at most ``1e-10`` of the posterior
mass outside (estimated from coarse cells, interpolated in log mass, plus half a coarse cell;
up to ``1e-7`` for heavy-tailed posteriors that would otherwise get fewer than four grid
spacings per sd). Support boundaries holding mass (``k = 0`` successes under a flat prior) are
kept. Axes on a half-line (a scale, a rate, a variance) are searched in log coordinates
instead (``log(x - a)``, Jacobian included), where a tail spanning decades is a few cells: the
box runs from the ``1e-10`` quantile (or the support end) to the ``1e-10`` quantile, or, for a
heavy tail, to the ``1e-9`` ... ``1e-7`` quantile that leaves the interquartile range at least
``points / 25`` spacings. Should the full grid still find more than ``1e-6`` of the mass in an
outermost cell at such an automatic edge, that side is widened and the grid recomputed (up to
four times). Where a steep flank sits beside a heavy tail (a variance near zero with little
data: the gap between the 5% and 25% quantiles only a cell or two wide while the sd and the
interquartile range look fine), an axis with automatic ``points`` gets enough more points
(at most four times the total) and the grid is recomputed once. A new user therefore gets a
grid that holds all but a negligible mass and resolves it finely, without choosing bounds.
Heavy-tailed posteriors (a scale with very little data) remain hard for any evenly spaced
grid: they get a GridWarning saying so.

``GridPosterior.update(**data)`` updates the posterior in place (and returns None);
``GridPosterior.updated(**data)`` returns a new one. Both lay the grid anew for the new data,
with the ``points`` and ``bounds`` first given, so they equal a grid of the whole data at once.

The package: :mod:`.layout` (parameters as axes, ``points``/``bounds`` parsing),
:mod:`.evaluation` (the log density in memory-bounded chunks), :mod:`.box` (the box search),
:mod:`.quadrature` (weights, power-law edges, simplex cells), :mod:`.table` (the tabulated
grid), :mod:`.marginals`, :mod:`.mode`, :mod:`.diagnostics` (GridWarnings),
:mod:`.posterior` (:class:`GridPosterior`) and :mod:`.driver` (:func:`grid`).

Quadrature
----------
Points are cell centres; every summary uses the same product weights, the midpoint rule with
end corrections (Euler-Maclaurin, ``+h/12, -h/8, +h/24`` on the three outer cells of each
side), which is fourth order even when the density is not zero at an edge and spectrally
accurate when it decays inside the grid. Where the marginal density behaves like a power of
the distance to a support edge (``p^-1/2`` under a Jeffreys prior with ``k = 0``, or ``p^1/2``),
the cells near that edge get the exact power-law weights instead, and the moments use the
shifted exponents, so such posteriors converge as fast as smooth ones. Cells cut by the face
``sum(p[:-1]) = 1`` of a probability vector count with their exact inside volume, integrated
over their ``2^d`` half-width sub-cells (each inside part at its centroid; second order there);
the cells wholly inside form runs along each axis that end at the face, and each run gets the
end correction at that end (added over the axes). Where posterior mass reaches the face the
cut cells are ``d`` spacings wide across it, so a 4-D grid over a 5-component vector can still
err by ~1e-2 in the log evidence: the difference between the one-point and the sub-cell values
estimates that error (``GridPosterior.face_error``) and above :data:`FACE_ERROR_TOLERANCE` the
grid warns (GridWarning). The log evidence is the log of the quadrature of
``exp(log prior + log likelihood)`` (volume element included).

Examples
--------
>>> from scipy import stats
>>> import bayesgd as bg
>>> post = bg.grid(bg.Binomial(k=7, n=10, p=stats.beta(2, 2)))
>>> round(post.mean()["p"], 6)   # exact: Beta(9, 5) mean 9/14
0.642857
"""

from .constants import (
    DEFAULT_MAX_BYTES,
    DEFAULT_POINTS,
    EDGE_CELL_SHARE,
    EDGE_MASS_TOLERANCE,
    FACE_ERROR_TOLERANCE,
    MIN_GAP_SPACINGS,
    MIN_SD_SPACINGS,
)
from .driver import grid
from .posterior import GridPosterior

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_POINTS",
    "EDGE_CELL_SHARE",
    "EDGE_MASS_TOLERANCE",
    "FACE_ERROR_TOLERANCE",
    "MIN_GAP_SPACINGS",
    "MIN_SD_SPACINGS",
    "GridPosterior",
    "grid",
]
