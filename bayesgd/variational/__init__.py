"""Variational inference: gradient descent on distributions instead of points.

:func:`vi` (ADVI) descends on the negative ELBO of a Gaussian on the unconstrained space;
:func:`pathfinder` turns the path of L-BFGS into Gaussians and keeps the best ones.
"""

from .advi import FAMILIES, VIPosterior, vi
from .pathfinder import PathfinderPosterior, pathfinder

__all__ = ["FAMILIES", "PathfinderPosterior", "VIPosterior", "pathfinder", "vi"]
