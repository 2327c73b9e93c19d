"""Conjugate inner models: each group's parameter integrated out in closed form.

For hyperparameters ``h`` (arrays of one shape, keyed by scipy's argument names), every inner
model gives the log marginal likelihood summed over groups, its exact gradient with respect to
``h``, and the conditional posterior of the group parameters given ``h`` as a batched scipy
distribution. Arrays are ``(H, G)`` for ``H`` hyperparameter points and ``G`` groups; callers
chunk over ``H`` so memory stays linear in ``G``.

Examples
--------
>>> import numpy as np
>>> inner = BetaBinomial(k=np.array([1.0, 4.0]), n=np.array([5.0, 6.0]))
>>> h = {"a": np.array([2.0]), "b": np.array([3.0])}
>>> float(inner.conditional(h).mean()[0, 1])  # (2 + 4) / (5 + 6)
0.5454545454545454
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import special, stats

__all__ = [
    "BetaBinomial",
    "BinomialLogitNormal",
    "GammaPoisson",
    "Inner",
    "LaplaceNormal",
    "NormalNormal",
    "PoissonLogNormal",
]


def _col(h: dict[str, np.ndarray], key: str) -> np.ndarray:
    return np.asarray(h[key], dtype=float)[..., None]


class Inner:
    """Base of the conjugate inner models (one per group family).

    Attributes
    ----------
    family : str
        scipy name of the group family this inner model is conjugate to.
    n_groups : int
    const : float
        Log-likelihood terms that do not depend on the parameters (part of the evidence).
    """

    family = ""
    method = "exact"

    def __init__(self, const: float = 0.0):
        self.const = float(const)

    def log_marginal(self, h: dict[str, np.ndarray]) -> np.ndarray:
        """Log marginal likelihood ``log p(y | h)`` summed over groups, shape of ``h``'s arrays."""
        return self._terms(h).sum(axis=-1) + self.const

    def _terms(self, h: dict[str, np.ndarray]) -> np.ndarray:
        raise NotImplementedError

    def grad_log_marginal(self, h: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Exact gradient of :meth:`log_marginal` with respect to each hyperparameter."""
        raise NotImplementedError

    def conditional(self, h: dict[str, np.ndarray]) -> Any:
        """Frozen scipy distribution of the group parameters given ``h``, shape ``(*h, G)``."""
        raise NotImplementedError


class BetaBinomial(Inner):
    """``k_j ~ Binomial(n_j, p_j)``, ``p_j ~ Beta(a, b)``."""

    family = "beta"

    def __init__(self, k: np.ndarray, n: np.ndarray, const: float = 0.0):
        super().__init__(const)
        self.k, self.n = k, n
        self.n_groups = len(k)
        self._choose = float(
            np.sum(special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1))
        )

    def log_marginal(self, h):
        return super().log_marginal(h) + self._choose

    def _terms(self, h):
        a, b = _col(h, "a"), _col(h, "b")
        return special.betaln(a + self.k, b + self.n - self.k) - special.betaln(a, b)

    def grad_log_marginal(self, h):
        a, b = _col(h, "a"), _col(h, "b")
        common = special.digamma(a + b) - special.digamma(a + b + self.n)
        ga = special.digamma(a + self.k) - special.digamma(a) + common
        gb = special.digamma(b + self.n - self.k) - special.digamma(b) + common
        return {"a": ga.sum(axis=-1), "b": gb.sum(axis=-1)}

    def conditional(self, h):
        a, b = _col(h, "a"), _col(h, "b")
        return stats.beta(a + self.k, b + self.n - self.k)


class NormalNormal(Inner):
    """``y_j ~ Normal(theta_j, sigma_j)``, ``sigma_j`` known; ``theta_j ~ Normal(loc, scale)``."""

    family = "norm"

    def __init__(self, y: np.ndarray, sigma: np.ndarray, const: float = 0.0):
        super().__init__(const)
        self.y, self.s2 = y, sigma**2
        self.n_groups = len(y)

    def _terms(self, h):
        m, t = _col(h, "loc"), _col(h, "scale")
        v = self.s2 + t**2
        return -0.5 * (np.log(2 * np.pi * v) + (self.y - m) ** 2 / v)

    def grad_log_marginal(self, h):
        m, t = _col(h, "loc"), _col(h, "scale")
        v = self.s2 + t**2
        r = self.y - m
        return {
            "loc": (r / v).sum(axis=-1),
            "scale": (t * (r**2 / v**2 - 1 / v)).sum(axis=-1),
        }

    def conditional(self, h):
        m, t = _col(h, "loc"), _col(h, "scale")
        prec = 1 / self.s2 + 1 / t**2
        mean = (self.y / self.s2 + m / t**2) / prec
        return stats.norm(mean, 1 / np.sqrt(prec))


class GammaPoisson(Inner):
    """``k_j ~ Poisson(mu_j t_j)`` with exposure ``t_j``, ``mu_j ~ Gamma(a, scale)``."""

    family = "gamma"

    def __init__(self, k: np.ndarray, t: np.ndarray, const: float = 0.0):
        super().__init__(const)
        self.k, self.t = k, t
        self.n_groups = len(k)
        self._fixed = float(np.sum(self.k * np.log(self.t) - special.gammaln(self.k + 1)))

    def log_marginal(self, h):
        return super().log_marginal(h) + self._fixed

    def _terms(self, h):
        a, rate = _col(h, "a"), 1 / _col(h, "scale")
        return (
            special.gammaln(a + self.k)
            - special.gammaln(a)
            + a * np.log(rate)
            - (a + self.k) * np.log(rate + self.t)
        )

    def grad_log_marginal(self, h):
        a, s = _col(h, "a"), _col(h, "scale")
        rate = 1 / s
        ga = (
            special.digamma(a + self.k) - special.digamma(a) + np.log(rate) - np.log(rate + self.t)
        )
        grate = a / rate - (a + self.k) / (rate + self.t)
        return {"a": ga.sum(axis=-1), "scale": (grate * (-1 / s**2)).sum(axis=-1)}

    def conditional(self, h):
        a, s = _col(h, "a"), _col(h, "scale")
        return stats.gamma(a + self.k, scale=1 / (1 / s + self.t))


def _start_beta(self):
    p = (self.k + 0.5) / (self.n + 1)
    m, v = p.mean(), max(p.var(), 1e-6)
    size = float(np.clip(m * (1 - m) / v - 1, 1.0, 1e3))
    return {"a": m * size, "b": (1 - m) * size}


def _start_norm(self):
    sd = float(np.sqrt(self.s2.mean()))
    return {"loc": float(self.y.mean()), "scale": max(float(self.y.std()), 0.1 * sd)}


def _start_gamma(self):
    return {"a": 1.0, "scale": float(np.mean((self.k + 0.5) / self.t))}


BetaBinomial.start = _start_beta  # type: ignore[attr-defined]
NormalNormal.start = _start_norm  # type: ignore[attr-defined]
GammaPoisson.start = _start_gamma  # type: ignore[attr-defined]


class LaplaceNormal(Inner):
    """Group intercepts ``b_j ~ Normal(loc, scale)`` under a non-conjugate likelihood.

    Each ``b_j`` is integrated out by a Laplace approximation at its conditional mode (Newton,
    all groups and hyper points at once), as INLA does; the conditionals are the Laplace
    Gaussians. Subclasses give the likelihood in ``b`` through :meth:`_lik`.
    """

    family = "norm"
    method = "laplace"
    newton_steps = 50

    def _lik(self, b: np.ndarray) -> tuple[np.ndarray, ...]:
        """``(log lik, d/db, -d2/db2, d/db of -d2/db2)`` per group, without constants."""
        raise NotImplementedError

    def _guess(self) -> np.ndarray:
        raise NotImplementedError

    def _mode(self, h: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
        """Conditional mode ``b`` of each group, and ``m``, ``s``."""
        m, s = _col(h, "loc"), _col(h, "scale")
        prec = 1 / s**2
        weight = self._weight()
        b = (self._guess() * weight + m * prec) / (weight + prec)
        for _ in range(self.newton_steps):
            _, d1, curv, _ = self._lik(b)
            step = (d1 - (b - m) * prec) / (curv + prec)  # f is concave: Newton converges
            b = b + step
            if np.all(np.abs(step) < 1e-12 * (1 + np.abs(b))):
                break
        return b, m, s

    def _terms(self, h):
        b, m, s = self._mode(h)
        ll, _, curv, _ = self._lik(b)
        hess = curv + 1 / s**2
        return ll - (b - m) ** 2 / (2 * s**2) - np.log(s) - 0.5 * np.log(hess)

    def grad_log_marginal(self, h):
        # envelope theorem for f(b_hat) and the implicit-function theorem for b_hat(h) inside
        # log H: db/dm = (1/s^2)/H, db/ds = 2 (b - m) / (s^3 H)
        b, m, s = self._mode(h)
        _, _, curv, dcurv = self._lik(b)
        hess = curv + 1 / s**2
        r = b - m
        db_dm = 1 / (s**2 * hess)
        db_ds = 2 * r / (s**3 * hess)
        gm = r / s**2 - 0.5 * dcurv * db_dm / hess
        gs = -1 / s + r**2 / s**3 - 0.5 * (dcurv * db_ds - 2 / s**3) / hess
        return {"loc": gm.sum(axis=-1), "scale": gs.sum(axis=-1)}

    def conditional(self, h):
        b, _, s = self._mode(h)
        return stats.norm(b, 1 / np.sqrt(self._lik(b)[2] + 1 / s**2))


class PoissonLogNormal(LaplaceNormal):
    """``k_j ~ Poisson(t_j exp(b_j))``, ``b_j ~ Normal(loc, scale)``: the Poisson GLMM with
    group intercepts (log link, exposure as offset)."""

    def __init__(self, k: np.ndarray, t: np.ndarray, const: float = 0.0):
        super().__init__(const)
        self.k, self.t = k, t
        self.n_groups = len(k)
        self._fixed = float(np.sum(self.k * np.log(self.t) - special.gammaln(self.k + 1)))

    def log_marginal(self, h):
        return super().log_marginal(h) + self._fixed

    def _weight(self):
        return self.k

    def _guess(self):
        return np.log((self.k + 0.5) / self.t)

    def _lik(self, b):
        rate = self.t * np.exp(b)
        return self.k * b - rate, self.k - rate, rate, rate


class BinomialLogitNormal(LaplaceNormal):
    """``k_j ~ Binomial(n_j, expit(b_j))``, ``b_j ~ Normal(loc, scale)``: the logistic GLMM
    with group intercepts."""

    def __init__(self, k: np.ndarray, n: np.ndarray, const: float = 0.0):
        super().__init__(const)
        self.k, self.n = k, n
        self.n_groups = len(k)
        self._choose = float(np.sum(_lchoose(n, k)))

    def log_marginal(self, h):
        return super().log_marginal(h) + self._choose

    def _weight(self):
        return self.n * 0.25

    def _guess(self):
        return special.logit((self.k + 0.5) / (self.n + 1))

    def _lik(self, b):
        p = special.expit(b)
        curv = self.n * p * (1 - p)
        ll = self.k * b - self.n * np.logaddexp(0, b)
        return ll, self.k - self.n * p, curv, curv * (1 - 2 * p)


def _lchoose(n, k):
    return special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1)


def _start_lognormal(self):
    logr = np.log((self.k + 0.5) / self.t)
    return {"loc": float(logr.mean()), "scale": max(float(logr.std()), 0.1)}


def _start_logit(self):
    logit = self._guess()
    return {"loc": float(logit.mean()), "scale": max(float(logit.std()), 0.1)}


PoissonLogNormal.start = _start_lognormal  # type: ignore[attr-defined]


# ------------------------------------------------------------------ PyMC likelihoods (to_pymc)
def _observe_binomial(self, theta):
    import pymc as pm

    pm.Binomial("k", n=self.n.astype(int), p=theta, observed=self.k.astype(int))


def _observe_normal(self, theta):
    import pymc as pm

    pm.Normal("y", theta, np.sqrt(self.s2), observed=self.y)


def _observe_poisson(self, theta):
    import pymc as pm

    pm.Poisson("k", theta * self.t, observed=self.k.astype(int))


def _observe_logit_binomial(self, theta):
    import pymc as pm

    pm.Binomial("k", n=self.n.astype(int), logit_p=theta, observed=self.k.astype(int))


def _observe_log_poisson(self, theta):
    import pymc as pm

    pm.Poisson("k", pm.math.exp(theta) * self.t, observed=self.k.astype(int))


BetaBinomial.observe = _observe_binomial  # type: ignore[attr-defined]
NormalNormal.observe = _observe_normal  # type: ignore[attr-defined]
GammaPoisson.observe = _observe_poisson  # type: ignore[attr-defined]
PoissonLogNormal.observe = _observe_log_poisson  # type: ignore[attr-defined]
BinomialLogitNormal.observe = _observe_logit_binomial  # type: ignore[attr-defined]
BinomialLogitNormal.start = _start_logit  # type: ignore[attr-defined]
