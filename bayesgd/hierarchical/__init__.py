"""Hierarchical models: a grid over the hyperparameters, the group parameters integrated out.

BDA3 chapter 5 the way bayesgd is built: the few hyperparameters on a grid, the many group
parameters integrated out inside in closed form (conjugate families); the type-II MAP by
L-BFGS on the hyperparameters' marginal posterior with its exact gradient, a Laplace
approximation there, and a non-centred PyMC model for NUTS.

Examples
--------
>>> import numpy as np
>>> from scipy import stats
>>> import bayesgd as bg
>>> from bayesgd.hierarchical import Normal, nested_grid
>>> spec = bg.hierarchical(stats.norm, log_prior=lambda loc, scale: 0 * loc,
...                        names={"loc": "mu", "scale": "tau"}, name="theta")
>>> m = Normal(y=[28.0, 8, -3, 7, -1, 1, 18, 12], sigma=[15.0, 10, 16, 11, 9, 11, 10, 18],
...            mu=spec)
>>> post = nested_grid(m)
>>> round(post.mean()["mu"], 1)
7.9
"""

from . import datasets
from .compare import compare
from .grid import NestedGridPosterior, nested_grid
from .marginal import MarginalMAPResult, marginal_laplace, marginal_map
from .model import Bernoulli, Binomial, HierarchicalModel, Normal, Poisson
from .spec import HierarchicalPrior, hierarchical

__all__ = [
    "Bernoulli",
    "Binomial",
    "HierarchicalModel",
    "HierarchicalPrior",
    "MarginalMAPResult",
    "NestedGridPosterior",
    "Normal",
    "Poisson",
    "compare",
    "datasets",
    "hierarchical",
    "marginal_laplace",
    "marginal_map",
    "nested_grid",
]
