"""Diagnostics: does the grid hold the posterior (truncation) and resolve it (resolution)?

:func:`diagnose` measures, per axis, the mass in the outermost cells, the sd, the
interquartile range and the narrowest quantile gap in grid spacings; :func:`warn_about` turns
what is wrong into GridWarnings that say what to do.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

from ..errors import GridWarning
from .constants import (
    _TARGET_GAP_SPACINGS,
    EDGE_CELL_SHARE,
    EDGE_MASS_TOLERANCE,
    FACE_ERROR_TOLERANCE,
    MIN_GAP_SPACINGS,
    MIN_SD_SPACINGS,
)
from .table import _Table

__all__ = ["diagnose", "warn_about"]


#: Quantile levels whose gaps measure the local width of a marginal's bulk (5% to 95%).
_GAP_LEVELS = np.array([0.05, 0.25, 0.5, 0.75, 0.95])

#: The same gaps of a normal distribution, in sds.
_NORMAL_GAPS = np.diff(stats.norm.ppf(_GAP_LEVELS))


@dataclass(frozen=True)
class _Resolution:
    """How finely one axis resolves its marginal, in grid spacings.

    ``width`` is the smaller of the sd and the interquartile range / 1.349 (a heavy tail
    inflates the sd; the IQR sees through it). ``gap`` is the narrowest gap between the 5%,
    25%, 50%, 75% and 95% quantiles, each divided by that gap of a normal distribution in sds
    (the sd of a normal with that local spread): a steep flank next to a heavy tail (a
    variance near zero with little data) squeezes the 5%-25% gap into a cell or two while
    the sd and the IQR look fine. All in spacings.
    """

    width: float
    gap: float
    sd: float
    iqr: float
    gap_index: int
    h: float

    @classmethod
    def of(cls, q: np.ndarray, lo: float, h: float, sd: float) -> _Resolution:
        """From cell masses ``q`` (summing to 1) of cells of width ``h`` starting at ``lo``."""
        cdf = np.concatenate([[0.0], np.cumsum(q)])
        edges = lo + h * np.arange(q.size + 1)
        q25, q75 = np.interp([0.25, 0.75], cdf, edges)
        iqr = float(q75 - q25)
        local = np.diff(np.interp(_GAP_LEVELS, cdf, edges)) / _NORMAL_GAPS
        k = int(np.argmin(local))
        return cls(min(sd, iqr / 1.349) / h, float(local[k]) / h, sd, iqr, k, h)

    def refinement(self) -> float:
        """How many times more points a steep flank needs (1 if none is needed).

        Only a narrow quantile gap on an axis whose sd and IQR are well resolved is refined:
        a narrow IQR means a heavy tail stretches the box, which more points do not cure
        (the tail cut biases the sd), so that is left to the warning.
        """
        if self.width < MIN_SD_SPACINGS or self.gap >= MIN_GAP_SPACINGS:
            return 1.0
        return _TARGET_GAP_SPACINGS / self.gap

    def coarse(self) -> str | None:
        """What is too narrow for the grid, in words, or None."""
        if self.width < MIN_SD_SPACINGS:
            if self.sd <= self.iqr / 1.349:
                return f"posterior sd {self.sd:.3g} is only {self.width:.2g} grid spacings"
            return (
                f"interquartile range {self.iqr:.3g} is only {self.iqr / self.h:.2g} grid "
                "spacings (a heavy tail stretches the grid)"
            )
        if self.gap < MIN_GAP_SPACINGS:
            k = self.gap_index
            a, b = (f"{100 * v:g}%" for v in _GAP_LEVELS[k : k + 2])
            gap = self.gap * _NORMAL_GAPS[k]
            return (
                f"{a} to {b} quantile gap {gap * self.h:.3g} is only {gap:.2g} grid spacings "
                "(a steep flank beside a heavy tail)"
            )
        return None


@dataclass(frozen=True)
class _Diagnostics:
    """Per axis name: outermost cell masses, truncated sides, sd / IQR / quantile-gap widths
    in spacings, and the :class:`_Resolution` they come from."""

    edge_mass: dict[str, tuple[float, float]]
    truncated: dict[str, tuple[bool, bool]]
    sd_spacings: dict[str, float]
    iqr_spacings: dict[str, float]
    gap_spacings: dict[str, float]
    resolution: dict[str, _Resolution]


def diagnose(t: _Table) -> _Diagnostics:
    """Measure how well the grid ``t`` holds and resolves each axis' marginal (no warnings)."""
    lay = t.layout
    d = _Diagnostics({}, {}, {}, {}, {}, {})
    for j, name in enumerate(lay.axis_names):
        q = t.axis_q[j]
        low_mass, high_mass = float(q[0]), float(q[-1])
        d.edge_mass[name] = (low_mass, high_mass)
        cut_low = low_mass > EDGE_MASS_TOLERANCE and t.lo[j] > lay.support_low[j]
        cut_high = high_mass > EDGE_MASS_TOLERANCE and t.hi[j] < lay.support_high[j]
        d.truncated[name] = (bool(cut_low), bool(cut_high))
        sd = float(np.sqrt(t.axis_var[j]))
        h = float(t.h[j])
        res = _Resolution.of(q, float(t.lo[j]), h, sd)
        d.sd_spacings[name] = sd / h
        d.iqr_spacings[name] = res.iqr / h
        d.gap_spacings[name] = res.gap
        d.resolution[name] = res
    return d


def warn_about(d: _Diagnostics, t: _Table, auto: np.ndarray, *, stacklevel: int) -> None:
    """GridWarnings for truncation, coarse resolution, a heavy support-edge cell and a coarse
    simplex face. ``auto`` marks the axes whose bounds were automatic (it changes the advice);
    ``stacklevel`` counts from this function's caller."""
    for j, name in enumerate(t.layout.axis_names):
        _warn_truncated(d, t, j, name, bool(auto[j]), stacklevel + 1)
        coarse = d.resolution[name].coarse()
        if coarse is not None:
            warnings.warn(
                f"the grid is too coarse for {name}: its {coarse}; use more points or narrower "
                "bounds (or a parametrisation without the heavy tail, e.g. a log scale)",
                GridWarning,
                stacklevel=stacklevel + 1,
            )
        _warn_edge_cell(d, t, j, name, stacklevel + 1)
    _warn_face(t, stacklevel + 1)


def _warn_truncated(d: _Diagnostics, t: _Table, j: int, name: str, auto: bool, level: int):
    cut_low, cut_high = d.truncated[name]
    if not (cut_low or cut_high):
        return
    low_mass, high_mass = d.edge_mass[name]
    sides = " and ".join(
        f"{side} bound {val:.6g} ({mass:.2g} of the mass in the outermost cell)"
        for side, val, mass, cut in (
            ("lower", t.lo[j], low_mass, cut_low),
            ("upper", t.hi[j], high_mass, cut_high),
        )
        if cut
    )
    if auto:
        advice = (
            f"the automatic bounds could not hold it; give bounds[{name!r}] wide enough for "
            "the posterior"
        )
    else:
        advice = f"widen bounds[{name!r}] (or leave it to the default)"
    warnings.warn(
        f"the grid truncates the posterior of {name} at its {sides}: {advice}",
        GridWarning,
        stacklevel=level + 1,
    )


def _warn_edge_cell(d: _Diagnostics, t: _Table, j: int, name: str, level: int) -> None:
    """Much mass in one cell at a support edge the quadrature has no power law for."""
    lay = t.layout
    for side, mass in enumerate(d.edge_mass[name]):
        at_support = (
            (t.lo[j] <= lay.support_low[j]) if side == 0 else (t.hi[j] >= lay.support_high[j])
        )
        if at_support and mass > EDGE_CELL_SHARE and (j, side) not in t.edge_power:
            edge = t.lo[j] if side == 0 else t.hi[j]
            warnings.warn(
                f"the grid is too coarse for {name} at its support edge {edge:.6g}: "
                f"{mass:.2g} of the mass is in the outermost cell; use more points or "
                "narrower bounds",
                GridWarning,
                stacklevel=level + 1,
            )


def _warn_face(t: _Table, level: int) -> None:
    worst = max(t.face_error.items(), key=lambda kv: kv[1], default=None)
    if worst is None or worst[1] <= FACE_ERROR_TOLERANCE:
        return
    what, err = worst
    where = "log evidence" if what == "log_evidence" else f"mean of {what}"
    unit = "" if what == "log_evidence" else " posterior sds"
    warnings.warn(
        "the grid is too coarse where the posterior reaches the face of the simplex (a last "
        f"component near 0): the estimated quadrature error of the {where} is {err:.2g}{unit}; "
        "use more points, narrower bounds, or the exact (conjugate) posterior",
        GridWarning,
        stacklevel=level + 1,
    )
