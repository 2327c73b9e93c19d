"""Shared numerics: highest-density intervals and special functions that stay finite.

- :mod:`~bayesgd.numerics.intervals`: HDIs of distributions, draws and gridded densities, and
  the one shortest-window search they share;
- :mod:`~bayesgd.numerics.hdi_dist` and :mod:`~bayesgd.numerics.families`: the exact solver;
- :mod:`~bayesgd.numerics.special`: log-gamma ratios, a wide-range ``betaln``, beta moments,
  and :func:`~bayesgd.numerics.special.to_float` (the one "0-d array to float" helper);
- :mod:`~bayesgd.numerics.differences`: finite differences with steps scaled to the curvature.
"""

from __future__ import annotations

from .intervals import hdi_of_dist, hdi_of_grid, hdi_of_samples, shortest_window
from .special import to_float

__all__ = ["hdi_of_dist", "hdi_of_grid", "hdi_of_samples", "shortest_window", "to_float"]
