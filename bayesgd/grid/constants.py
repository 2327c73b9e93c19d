"""Tunable numbers of the grid: default sizes, tail masses and diagnostic thresholds."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..models.base import Model

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_POINTS",
    "EDGE_CELL_SHARE",
    "EDGE_MASS_TOLERANCE",
    "FACE_ERROR_TOLERANCE",
    "MIN_GAP_SPACINGS",
    "MIN_SD_SPACINGS",
]


#: Default points per axis by number of dimensions (the total stays below ~3 million).
DEFAULT_POINTS: dict[int, int] = {1: 2001, 2: 801, 3: 81, 4: 41}
#: Default memory budget (bytes) of one chunk of log-density evaluations.
DEFAULT_MAX_BYTES = 256 * 2**20
#: Posterior mass in an outermost cell above which a grid edge counts as truncating.
EDGE_MASS_TOLERANCE = 1e-6
#: A posterior sd below this many grid spacings along an axis counts as too coarse.
MIN_SD_SPACINGS = 3.0
#: A gap between quantiles, as the sd of a normal with that gap, below this many spacings
#: counts as too coarse (see ``GridPosterior.gap_spacings``).
MIN_GAP_SPACINGS = 2.0

_COARSE: dict[int, int] = {1: 257, 2: 65, 3: 25, 4: 17}
#: A fitted edge exponent this close to an integer is that integer (a smooth edge). The fit of
#: a linear or quadratic edge is off by O(h) (1.001 for p^1 near a simplex face at 111 points);
#: a smooth edge (exponent 0) fits to O(h^2), and a Beta(0.996, 1) prior's real exponent
#: -0.004 must not snap to 0 (its mean came out 1e-6 off).
_INTEGER_BETA = 0.02
_ZERO_BETA = 5e-4
_LEVEL_NATS = 30.0
_TAIL_MASSES = (1e-10, 1e-9, 1e-8, 1e-7)
_PRIOR_QUANTILE = 1e-6
_LOCATE_ITERATIONS = 60
_TRIM_ITERATIONS = 8
_TARGET_SD_SPACINGS = 4.0  # resolution the tail trimming aims for (sd / spacing)
_TARGET_GAP_SPACINGS = 4.0  # resolution of quantile gaps a refined grid aims for
#: Fewest interquartile-range spacings the far end of a half-line axis aims for (a heavy
#: tail is cut at a larger tail mass, up to the last of ``_FAR_TAIL_MASSES``).
_MIN_TARGET_IQR_SPACINGS = 1.349 * _TARGET_SD_SPACINGS
_FAR_TAIL_MASSES = (1e-10, 1e-9, 1e-8, 1e-7)
#: Share of the mass in one edge cell, at a support edge without a power-law fit, that warns.
EDGE_CELL_SHARE = 0.05
#: Estimated quadrature error of the cells cut by a simplex face (log evidence, or a posterior
#: mean in posterior sds; see ``GridPosterior.face_error``) above which the grid warns.
FACE_ERROR_TOLERANCE = 1e-3


#: Fewest default points per axis when the model is costly per point (O(n) likelihoods).
_MIN_DEFAULT_POINTS: dict[int, int] = {1: 2001, 2: 101, 3: 51, 4: 41}
#: Work budget of a default grid, in units of 32 bytes of ``model.bytes_per_evaluation``
#: (about one data row of a GLM) per point.
_DEFAULT_WORK = 5e7

#: Bytes of grid arrays per point (the log density, cell masses and two work arrays).
_GRID_BYTES_PER_POINT = 4 * 8
#: At most this many times the first grid's points when an axis is refined.
_MAX_REFINEMENT = 4


def _default_points(ndim: int, model: Model | None = None) -> int:
    """Default points per axis: fewer for models that cost O(n) per point, within limits."""
    full = DEFAULT_POINTS.get(ndim, max(5, int(3e6 ** (1.0 / ndim))))
    if model is None:
        return full
    cost = max(1.0, float(model.bytes_per_evaluation) / 32.0)
    affordable = int((_DEFAULT_WORK / cost) ** (1.0 / ndim))
    floor = _MIN_DEFAULT_POINTS.get(ndim, 5)
    return int(min(full, max(floor, affordable)))


def _coarse_points(ndim: int) -> int:
    return _COARSE.get(ndim, max(5, int(1e5 ** (1.0 / ndim))))
