"""Tuning constants of :func:`bayesgd.map_estimate` (one home for each)."""

from __future__ import annotations

import numpy as np

__all__ = ["DEFAULT_MAX_ITER", "DEFAULT_TOL"]

#: Default tolerance (see :func:`map_estimate`).
DEFAULT_TOL = 1e-9
#: Default maximum number of iterations.
DEFAULT_MAX_ITER = 10_000
#: A loss this many times (1 + |best loss|) above the best loss is a blow-up.
_BLOWUP = 1e8
#: Where a coordinate that runs off to an edge is held while the others are optimised.
_EDGE_U = 40.0
#: Offsets along a coordinate at which the loss is probed on the way to an edge.
_RAY = np.array([0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0])
#: First iteration at which an edge is probed again (then every doubling).
_FIRST_CHECK = 16
#: A coordinate this far out in ``u`` may be running to an edge where the density is unbounded.
_FAR_U = 25.0
#: Offsets further toward the edge along which an unbounded loss must keep falling.
_RAY_FAR = np.array([0.25, 0.5, 1.0, 2.0])
#: Least fall of the loss per unit of ``u`` that counts as unbounded.
_SLOPE = 0.1
#: Seed of the fixed pseudo-random probe directions (stationary starts, kinks).
_PROBE_SEED = 12345
#: Two restarts agree when their ``u`` differ by less than this (relative to max(1, |u|)).
_AGREE = 1e-4
#: Steps this many ulps of ``max(1, |u|)`` or shorter that do not lower the loss make no
#: progress; after ``_STUCK`` of them in a row the run has stalled at floating-point precision.
_ULPS = 8.0
_STUCK = 3
#: A run that ends this far above its best loss (relative to max(1, |best|)) never settled.
_UNSETTLED = 0.1
