"""The textbook hierarchical datasets shipped with bayesgd.

- ``rats``: BDA3 table 5.1, tumours in 71 experiments on F344 female rats (the 71st is the
  current one, 4 of 14); columns ``experiment``, ``tumors``, ``rats``.
- ``eight_schools``: BDA3 table 5.2, SAT coaching effects and their standard errors; columns
  ``school``, ``effect``, ``se``.
- ``pumps``: Gaver and O'Muircheartaigh (1987), failures of 10 power-plant pumps and their
  operating times in thousands of hours; columns ``pump``, ``failures``, ``thousand_hours``.

Examples
--------
>>> df = load("rats")
>>> len(df), int(df["tumors"].iloc[-1]), int(df["rats"].iloc[-1])
(71, 4, 14)
"""

from __future__ import annotations

from importlib import resources
from typing import Any

__all__ = ["NAMES", "load"]

NAMES = ("eight_schools", "pumps", "rats")


def load(name: str) -> Any:
    """The dataset ``name`` (one of :data:`NAMES`) as a pandas DataFrame."""
    import pandas as pd

    if name not in NAMES:
        raise ValueError(f"name must be one of {NAMES}, got {name!r}")
    with resources.files("bayesgd.data").joinpath(f"{name}.csv").open("r") as handle:
        return pd.read_csv(handle)
