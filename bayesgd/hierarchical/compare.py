"""Nested grid, marginal MAP, marginal Laplace and NUTS side by side for a hierarchical model.

Examples
--------
>>> from scipy import stats
>>> import bayesgd as bg
>>> from bayesgd.hierarchical import Poisson
>>> m = Poisson(k=[5, 1, 5, 14, 3], exposure=[94.3, 15.7, 62.9, 126.0, 5.24],
...             mu=bg.hierarchical(stats.gamma, a=stats.expon(), scale=stats.expon()))
>>> table = compare(m, methods=("grid", "map", "laplace"), rng=0)
>>> sorted(table["method"].unique())
['grid', 'laplace', 'map']
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import as_rng
from .model import HierarchicalModel

__all__ = ["METHODS", "compare"]

METHODS = ("grid", "map", "laplace", "pymc")


def _rows(method: str, post: Any, model: HierarchicalModel) -> list[dict[str, Any]]:
    mean, sd = post.mean(), post.sd()
    rows = []
    for name in model.names:
        labels = model.parameters[name].element_names()
        for label, m, s in zip(labels, np.ravel(mean[name]), np.ravel(sd[name]), strict=True):
            rows.append({"method": method, "parameter": label, "mean": float(m), "sd": float(s)})
    return rows


def compare(
    model: HierarchicalModel,
    *,
    methods: tuple[str, ...] | None = None,
    draws: int = 1000,
    rng: Any = None,
) -> Any:
    """A tidy DataFrame: one row per method and scalar parameter (``mean``, ``sd``).

    ``map`` is the marginal (type-II) MAP of the hyperparameters (its rows carry only the
    hyperparameters, with ``sd`` NaN); ``pymc`` runs NUTS on the non-centred model with
    ``draws`` draws per chain (2 chains).
    """
    import pandas as pd

    from .grid import nested_grid
    from .marginal import marginal_laplace, marginal_map
    from .pymc import sample

    methods = METHODS if methods is None else tuple(methods)
    unknown = set(methods) - set(METHODS)
    if unknown:
        raise ValueError(f"methods must be among {METHODS}, got {sorted(unknown)}")
    rng = as_rng(rng)
    rows: list[dict[str, Any]] = []
    for method in methods:
        if method == "map":
            fit = marginal_map(model)
            rows += [
                {"method": "map", "parameter": k, "mean": v, "sd": np.nan}
                for k, v in fit.params.items()
            ]
            continue
        if method == "grid":
            post = nested_grid(model)
        elif method == "laplace":
            post = marginal_laplace(model, rng=rng)
        else:
            post = sample(model, draws=draws, tune=draws, rng=rng)
        rows += _rows(method, post, model)
    return pd.DataFrame(rows)
