"""Bayes factors from the methods that give a model's evidence ``log p(D)``.

``bg.bayes_factor(m1, m2)`` is ``p(D | m1) / p(D | m2)``, from the exact conjugate evidence when
both models have one, else the grid's (up to 4 parameters), else Laplace's. The result says
which evidence it used and how accurate that is:

- ``"conjugate"``: exact (floating point);
- ``"grid"``: estimated error from the same grid at half the resolution per axis;
- ``"laplace"``: exact when the posterior is Gaussian in the space used; otherwise of unknown
  error, with the PSIS k-hat of each Laplace fit as the trust number.

Both models must describe the same observations: their observed arrays (every data entry but
the regressors ``X``) must be equal, or the Bayes factor is refused.

Examples
--------
>>> from scipy import stats
>>> import bayesgd as bg
>>> fair = bg.Binomial(k=7, n=10, p=stats.beta(50, 50))
>>> loose = bg.Binomial(k=7, n=10, p=stats.beta(1, 1))
>>> bf = bg.bayes_factor(loose, fair)
>>> bf.method, round(bf.value, 3)
('conjugate', 0.756)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .models.base import Model

__all__ = ["METHODS", "BayesFactor", "bayes_factor"]

METHODS = ("conjugate", "grid", "laplace")

#: Kass & Raftery (1995): evidence for m1 by 2 ln(BF).
_SCALE = (
    (2.0, "evidence not worth more than a bare mention"),
    (6.0, "positive evidence"),
    (10.0, "strong evidence"),
)


@dataclass(frozen=True)
class BayesFactor:
    """``p(D | m1) / p(D | m2)`` and how it was computed.

    Attributes
    ----------
    value, log_value : float
        The Bayes factor and its natural log.
    method : str
        ``"conjugate"``, ``"grid"`` or ``"laplace"``.
    log_evidence : tuple of float
        ``log p(D | m1)`` and ``log p(D | m2)``.
    log_error : float
        Estimated absolute error of ``log_value`` (0 when exact, ``nan`` when unknown).
    accuracy : str
        How accurate the evidence is, in words.
    """

    value: float
    log_value: float
    method: str
    log_evidence: tuple[float, float]
    log_error: float
    accuracy: str

    @property
    def interpretation(self) -> str:
        """Kass & Raftery's (1995) reading of ``2 ln BF``, for the favoured model."""
        favoured = "m1" if self.log_value >= 0 else "m2"
        twice = 2.0 * abs(self.log_value)
        words = next((w for limit, w in _SCALE if twice < limit), "very strong evidence")
        return f"{words} for {favoured} (2 ln BF = {2.0 * self.log_value:.3g})"

    def __float__(self) -> float:
        return self.value

    def __repr__(self) -> str:
        return (
            f"BayesFactor({self.value:.6g}, log {self.log_value:.6g}, {self.method}: "
            f"{self.accuracy}; {self.interpretation})"
        )


def _observed(model: Model) -> dict[str, np.ndarray] | None:
    data = model.data
    if data is None:
        return None
    return {k: np.asarray(v) for k, v in data.items() if k != "X"}


def _check_same_data(m1: Model, m2: Model) -> None:
    d1, d2 = _observed(m1), _observed(m2)
    if d1 is None or d2 is None:
        raise ValueError(
            "bayes_factor needs the observations of both models to check that they describe "
            "the same data, and a model without kept data (a custom likelihood, or statistics "
            "streamed past the data) has none to compare"
        )
    common = sorted(set(d1) & set(d2))
    # the same observations may be laid out per group ((1, G)) or pooled ((G,)): compare values
    same = bool(common) and all(
        d1[k].size == d2[k].size and np.array_equal(np.ravel(d1[k]), np.ravel(d2[k]))
        for k in common
    )
    if not same:
        raise ValueError(
            "m1 and m2 were fitted to different data (their observations "
            f"{sorted(d1)} and {sorted(d2)} differ): a Bayes factor compares two models of the "
            "same data"
        )


def _method_for(m1: Model, m2: Model) -> str:
    from .conjugate import is_conjugate

    if is_conjugate(m1) and is_conjugate(m2):
        return "conjugate"
    if m1.size <= 4 and m2.size <= 4:
        return "grid"
    return "laplace"


def _evidence(model: Model, method: str, kwargs: dict[str, Any]) -> tuple[float, float, str]:
    """``(log p(D), error estimate, words)`` by ``method``."""
    if method == "conjugate":
        from .conjugate import conjugate

        return conjugate(model).log_evidence, 0.0, "exact"
    if method == "grid":
        from .grid import grid

        post = grid(model, **kwargs)
        half = {k: max(int(v) // 2, 3) for k, v in _flat_points(post).items()}
        coarse = grid(model, points=half, bounds=post.bounds)
        err = abs(post.log_evidence - coarse.log_evidence)
        return post.log_evidence, err, "grid"
    from .laplace import laplace

    post = laplace(model, **kwargs)
    k = post.khat(model, rng=0)
    return post.log_evidence, math.nan, f"k-hat {k:.2f}"


def _flat_points(post: Any) -> dict[str, int]:
    return {name: int(np.max(n)) for name, n in post.points.items()}


def bayes_factor(m1: Model, m2: Model, *, method: str | None = None, **kwargs: Any) -> BayesFactor:
    """The Bayes factor ``p(D | m1) / p(D | m2)`` of two models of the same data.

    Parameters
    ----------
    m1, m2 : Model
        Two models of the same observations.
    method : {"conjugate", "grid", "laplace"}, optional
        Where the evidence comes from; default: exact if both are conjugate, else the grid
        (up to 4 parameters each), else Laplace.
    **kwargs
        Passed to the method (e.g. ``points=`` for the grid, ``space=`` for Laplace).

    Returns
    -------
    BayesFactor

    Raises
    ------
    TypeError
        ``m1`` or ``m2`` is not a model.
    ValueError
        The models describe different data; an unknown method.
    NotApplicableError
        The chosen method does not apply to one of the models.
    """
    for name, m in (("m1", m1), ("m2", m2)):
        if not isinstance(m, Model):
            raise TypeError(f"{name} must be a bayesgd Model, got {type(m).__name__}")
    if method is not None and method not in METHODS:
        raise ValueError(f"method must be one of {METHODS} or None, got {method!r}")
    _check_same_data(m1, m2)
    method = _method_for(m1, m2) if method is None else method
    (le1, e1, w1), (le2, e2, w2) = _evidence(m1, method, kwargs), _evidence(m2, method, kwargs)
    log_bf = le1 - le2
    err = e1 + e2
    if method == "conjugate":
        words = "exact closed-form evidence"
    elif method == "grid":
        words = f"grid evidence, log error about {err:.2g} (against half the resolution)"
    else:
        words = f"Laplace evidence, error unknown (m1 {w1}, m2 {w2})"
    return BayesFactor(
        value=float(math.exp(log_bf)) if log_bf < 709 else math.inf,
        log_value=float(log_bf),
        method=method,
        log_evidence=(float(le1), float(le2)),
        log_error=float(err),
        accuracy=words,
    )
