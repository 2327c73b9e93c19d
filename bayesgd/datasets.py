"""Small real datasets shipped with bayesgd, and ready-made example models.

Examples
--------
>>> import bayesgd as bg
>>> df = bg.datasets.load_challenger()
>>> len(df), int(df["damaged"].sum())
(23, 7)
"""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING

import numpy as np
from scipy import stats

from .models import LogisticRegression, Normal

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "NAMES",
    "challenger_model",
    "load",
    "load_challenger",
    "load_newcomb",
    "newcomb_model",
]


def _read(name: str) -> pd.DataFrame:
    import pandas as pd

    with resources.files("bayesgd.data").joinpath(name).open("r") as handle:
        return pd.read_csv(handle)


def load_challenger() -> pd.DataFrame:
    """The 23 Space Shuttle launches before Challenger: temperature and O-ring damage.

    Columns ``flight`` (launch order), ``temperature_f`` (launch temperature, °F) and
    ``damaged`` (1 if any O-ring showed thermal distress). Source: Dalal, Fowlkes and Hoadley
    (1989), *Risk analysis of the space shuttle: pre-Challenger prediction of failure*, JASA 84.

    Examples
    --------
    >>> load_challenger()["temperature_f"].min()
    np.int64(53)
    """
    return _read("challenger.csv")


def load_newcomb() -> pd.DataFrame:
    """Simon Newcomb's 66 measurements of the passage time of light (1882).

    Column ``deviation``: the time in deviations from 24,800 nanoseconds, as in Stigler (1977)
    and Gelman et al., *Bayesian Data Analysis*. Two outliers (-44 and -2) make it a good test of
    the Normal model.

    Examples
    --------
    >>> len(load_newcomb())
    66
    """
    return _read("newcomb.csv")


def challenger_model(*, coef_sd: float = 2.5, intercept_sd: float = 5.0) -> LogisticRegression:
    """Logistic regression of O-ring damage on standardised launch temperature.

    The temperature is centred at 70 °F and scaled by 10 °F, so the coefficient is the change in
    log-odds per 10 °F and weakly informative ``Normal(0, 2.5)`` / ``Normal(0, 5)`` priors fit.

    Examples
    --------
    >>> challenger_model().names
    ('coef', 'intercept')
    """
    df = load_challenger()
    x = (df["temperature_f"].to_numpy(dtype=float) - 70.0) / 10.0
    return LogisticRegression(
        X=x[:, None],
        y=df["damaged"].to_numpy(),
        coef=stats.norm(0, coef_sd),
        intercept=stats.norm(0, intercept_sd),
    )


def newcomb_model() -> Normal:
    """Normal model of Newcomb's data with a vague normal-inverse-gamma prior.

    Examples
    --------
    >>> newcomb_model().names
    ('mu', 'sigma2')
    """
    y = load_newcomb()["deviation"].to_numpy(dtype=float)
    return Normal(y=y, prior=stats.normal_inverse_gamma(mu=25.0, lmbda=0.01, a=1.0, b=20.0))


def _coin(n: int = 20, p: float = 0.7, seed: int = 1) -> np.ndarray:
    """Reproducible coin flips for the notebooks."""
    return (np.random.default_rng(seed).random(n) < p).astype(int)


#: The shipped data sets by name (``bayesgd compare ... --dataset NAME``).
NAMES: tuple[str, ...] = ("challenger", "newcomb")


def load(name: str) -> pd.DataFrame:
    """A shipped data set by name: ``"challenger"`` or ``"newcomb"``.

    Examples
    --------
    >>> load("newcomb").columns.tolist()
    ['deviation']
    """
    loaders = {"challenger": load_challenger, "newcomb": load_newcomb}
    if name not in loaders:
        raise ValueError(f"name must be one of {list(NAMES)}, got {name!r}")
    return loaders[name]()
