"""Variational inference: gradient descent on distributions instead of points.

:func:`vi` (ADVI) descends on the negative ELBO of a Gaussian on the unconstrained space.
"""

from .advi import FAMILIES, VIPosterior, vi

__all__ = ["FAMILIES", "VIPosterior", "vi"]
