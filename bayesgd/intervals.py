"""Highest-density intervals: moved to :mod:`bayesgd.numerics.intervals` (re-exported here).

Examples
--------
>>> hdi_of_samples([1.0, 2.0, 2.5, 3.0, 10.0], prob=0.6)
(array(1.), array(3.))
"""

from __future__ import annotations

from .numerics.intervals import hdi_of_dist, hdi_of_grid, hdi_of_samples

__all__ = ["hdi_of_dist", "hdi_of_grid", "hdi_of_samples"]
