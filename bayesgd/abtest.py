"""A/B tests of conversion rates: what the common A/B tools report, computed exactly.

Each variant's rate has the conjugate Beta posterior. The quantities analysts read are
one-dimensional integrals over the independent Beta posteriors, computed by quadrature (exact
to about 1e-12, no simulation: in the quantile scale ``u = F(x)`` of one Beta the integrands
are bounded on ``(0, 1)``, and tanh-sinh quadrature handles their endpoint singularities):

- ``prob_best``: ``P(p_i = max_j p_j) = ∫ f_i(x) ∏_{j≠i} F_j(x) dx``;
- ``expected_loss``: the rate given up by choosing ``i``, ``E[max_j p_j - p_i]``, with
  ``E[max_j p_j] = ∫ (1 - ∏_j F_j(x)) dx``;
- the relative lift over the control, ``p_i / p_c - 1``: its mean ``E[p_i] E[1 / p_c] - 1``
  and its HDI from the exact CDF ``P(lift <= t) = ∫ f_c(x) F_i((1 + t) x) dx``.

Examples
--------
>>> from scipy import stats
>>> import bayesgd as bg
>>> ab = bg.ab_test(successes=[50, 65], trials=[1000, 1000], names=["A", "B"])
>>> round(float(ab.table.loc["B", "prob_best"]), 3)
0.924
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import optimize, stats

from ._validation import check_prob

__all__ = ["ABTest", "ab_test"]


class ABTest:
    """The result of :func:`ab_test`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per variant: ``successes``, ``trials``, ``posterior_mean``, the HDI of the rate,
        ``prob_best``, ``expected_loss``, ``lift_mean`` and the lift's HDI over the control.
    posterior : ConjugatePosterior
        The Beta posterior of every rate (a :class:`bayesgd.Binomial` model with one group per
        variant), for anything else: ``ab.posterior.prob(...)``, ``.derive(...)``.
    dists : list of scipy.stats frozen Beta
    """

    def __init__(self, table: Any, posterior: Any, dists: list[Any], control: str):
        self.table = table
        self.posterior = posterior
        self.dists = dists
        self.control = control

    def __repr__(self) -> str:
        return f"<ABTest, control {self.control!r}>\n{self.table.to_string()}"


def _check_counts(successes: Any, trials: Any) -> tuple[np.ndarray, np.ndarray]:
    s = np.asarray(successes)
    n = np.asarray(trials)
    for name, arr in (("successes", s), ("trials", n)):
        if arr.ndim != 1 or arr.size < 2:
            raise ValueError(f"{name} must be a 1-D sequence of at least 2 variants, got {arr!r}")
        if arr.dtype.kind not in "iuf" or not np.all(np.isfinite(arr)):
            raise TypeError(f"{name} must be finite counts, got {arr!r}")
        if np.any(arr < 0) or np.any(arr != np.round(arr)):
            raise ValueError(f"{name} must be non-negative whole numbers, got {arr!r}")
    if s.shape != n.shape:
        raise ValueError(f"successes and trials must have the same length, got {s.size}, {n.size}")
    if np.any(s > n):
        raise ValueError(f"successes must not exceed trials, got {s.tolist()} of {n.tolist()}")
    return s.astype(float), n.astype(float)


def _check_prior(prior: Any) -> tuple[float, float]:
    dist = getattr(prior, "dist", None)
    if getattr(dist, "name", None) != "beta" or prior.kwds.get("loc", 0) != 0:
        raise TypeError(
            f"prior must be a scipy.stats.beta(a, b) with loc=0, scale=1, got {prior!r}"
        )
    if prior.kwds.get("scale", 1) != 1 or len(prior.args) > 2:
        raise TypeError(
            f"prior must be a scipy.stats.beta(a, b) with loc=0, scale=1, got {prior!r}"
        )
    a, b = (*prior.args, prior.kwds.get("a"), prior.kwds.get("b"))[:2]
    a, b = float(np.squeeze(a)), float(np.squeeze(b))
    return a, b


def _tanh_sinh(n: int = 801, reach: float = 4.0) -> tuple[np.ndarray, np.ndarray]:
    """Tanh-sinh nodes and weights on (0, 1): exact to ~1e-12 despite endpoint singularities."""
    t = np.linspace(-reach, reach, n)
    arg = 0.5 * np.pi * np.sinh(t)
    u = 0.5 * (1.0 + np.tanh(arg))
    w = 0.25 * (t[1] - t[0]) * np.pi * np.cosh(t) / np.cosh(arg) ** 2
    keep = (u > 0.0) & (u < 1.0)
    return u[keep], w[keep]


#: Quadrature nodes on (0, 1): integrals over a Beta's mass, in its quantile scale.
_U, _W = _tanh_sinh()


def _best(dists: list[Any]) -> tuple[np.ndarray, float]:
    """``P(i best)`` for every ``i``, and ``E[max_j p_j]``.

    ``P(i best) = ∫_0^1 ∏_{j≠i} F_j(Q_i(u)) du`` and ``E[max] = Σ_i E[p_i; i best] =
    Σ_i ∫_0^1 Q_i(u) ∏_{j≠i} F_j(Q_i(u)) du`` (``u = F_i(x)``: smooth integrands).
    """
    prob_best, expected_max = [], 0.0
    for i, di in enumerate(dists):
        x = di.ppf(_U)
        others = np.prod([d.cdf(x) for j, d in enumerate(dists) if j != i], axis=0)
        prob_best.append(float(_W @ others))
        expected_max += float(_W @ (x * others))
    return np.array(prob_best), expected_max


def _lift_cdf(t: np.ndarray, treat: Any, control: Any) -> np.ndarray:
    """``P(p_i / p_c - 1 <= t) = ∫_0^1 F_i((1 + t) Q_c(u)) du`` for every ``t``."""
    x = control.ppf(_U)
    inner = np.minimum(np.multiply.outer(1.0 + np.asarray(t, dtype=float), x), 1.0)
    return treat.cdf(inner) @ _W


def _lift_quantile(q: float, treat: Any, control: Any) -> float:
    lo, hi = -1.0, 1.0
    while _lift_cdf(hi, treat, control) < q:
        hi = 2.0 * hi + 1.0
    return float(optimize.brentq(lambda t: _lift_cdf(t, treat, control) - q, lo, hi, xtol=1e-12))


def _lift_hdi(prob: float, treat: Any, control: Any) -> tuple[float, float]:
    """The shortest interval holding ``prob`` of the lift (quantile search on the exact CDF)."""

    def ends(a: float) -> tuple[float, float]:
        return _lift_quantile(a, treat, control), _lift_quantile(a + prob, treat, control)

    res = optimize.minimize_scalar(
        lambda a: ends(a)[1] - ends(a)[0],
        bounds=(1e-12, 1.0 - prob - 1e-12),
        method="bounded",
        options={"xatol": 1e-9},
    )
    return ends(float(res.x))


def ab_test(
    *,
    successes: Sequence[float],
    trials: Sequence[float],
    names: Sequence[str] | None = None,
    prior: Any = None,
    control: int | str = 0,
    prob: float = 0.95,
) -> ABTest:
    """Bayesian A/B(/n) test of conversion rates with Beta posteriors.

    Parameters
    ----------
    successes, trials : sequence of counts
        One entry per variant.
    names : sequence of str, optional
        Variant labels (default ``"A"``, ``"B"``, ...).
    prior : scipy.stats.beta, default ``beta(1, 1)``
        The prior of every rate.
    control : int or str, default 0
        The variant lifts are measured against.
    prob : float, default 0.95
        Mass of the HDIs.

    Returns
    -------
    ABTest

    Examples
    --------
    >>> import bayesgd as bg
    >>> ab = bg.ab_test(successes=[50, 65], trials=[1000, 1000])
    >>> row = ab.table.loc["B"]
    >>> round(float(row["expected_loss"]), 5), round(float(row["lift_mean"]), 3)
    (0.00035, 0.319)
    """
    import pandas as pd

    from .conjugate import conjugate
    from .models import Binomial

    s, n = _check_counts(successes, trials)
    a, b = _check_prior(stats.beta(1, 1) if prior is None else prior)
    prob = check_prob(prob, "prob")
    labels = _labels(names, s.size)
    c = _control_index(control, labels)
    dists = [stats.beta(a + si, b + ni - si) for si, ni in zip(s, n, strict=True)]
    best, expected_max = _best(dists)
    loss = expected_max - np.array([d.mean() for d in dists])
    rows = []
    for i, d in enumerate(dists):
        low, high = _rate_hdi(d, prob)
        lift = (np.nan, np.nan, np.nan) if i == c else _lift(d, dists[c], prob)
        rows.append((s[i], n[i], d.mean(), low, high, best[i], loss[i], *lift))
    columns = ["successes", "trials", "posterior_mean", "hdi_low", "hdi_high", "prob_best",
               "expected_loss", "lift_mean", "lift_hdi_low", "lift_hdi_high"]  # fmt: skip
    table = pd.DataFrame(rows, columns=columns, index=pd.Index(labels, name="variant"))
    model = Binomial(k=s, n=n, p=stats.beta(np.full(s.size, a), np.full(s.size, b)))
    return ABTest(table, conjugate(model), dists, labels[c])


def _labels(names: Sequence[str] | None, k: int) -> list[str]:
    if names is None:
        return [chr(ord("A") + i) if i < 26 else f"V{i}" for i in range(k)]
    labels = [str(x) for x in names]
    if len(labels) != k or len(set(labels)) != k:
        raise ValueError(f"names must be {k} distinct labels, got {list(names)!r}")
    return labels


def _control_index(control: int | str, labels: list[str]) -> int:
    if isinstance(control, str):
        if control not in labels:
            raise ValueError(f"control must be one of {labels}, got {control!r}")
        return labels.index(control)
    if isinstance(control, bool) or not isinstance(control, int | np.integer):
        raise TypeError(f"control must be a variant index or label, got {control!r}")
    if not 0 <= control < len(labels):
        raise ValueError(f"control must be in 0..{len(labels) - 1}, got {control}")
    return int(control)


def _rate_hdi(dist: Any, prob: float) -> tuple[float, float]:
    from .numerics.intervals import hdi_of_dist

    low, high = hdi_of_dist(dist, prob)
    return float(np.ravel(low)[0]), float(np.ravel(high)[0])


def _lift(treat: Any, control: Any, prob: float) -> tuple[float, float, float]:
    a_c, b_c = control.args
    mean_inv = np.inf if a_c <= 1 else (a_c + b_c - 1.0) / (a_c - 1.0)
    low, high = _lift_hdi(prob, treat, control)
    return float(treat.mean() * mean_inv - 1.0), low, high
