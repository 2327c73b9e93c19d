"""Standardised continuous families for the exact HDI solver (:mod:`.hdi_dist`).

Each family gives, in an unconstrained coordinate ``z``, its log density relative to the mode,
two derivatives, tails and a classification of where the HDI lies (interior, at an edge, flat).
Beta, gamma, inverse-gamma and log-normal are closed forms; :class:`_Generic` serves any other
scipy family through ``logpdf``/``cdf``/``sf`` with finite-difference derivatives.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import special, stats

__all__: list[str] = []

_INNER_MAX = 80  # iterations of a level-point solve

# Group classes.
_INTERIOR, _LOWER_EDGE, _UPPER_EDGE, _FLAT = 0, 1, 2, 3


# --------------------------------------------------------------------------------------------
# Families: log density and tails as functions of an unconstrained coordinate z
# --------------------------------------------------------------------------------------------


class _Family:
    """A standardised family (loc=0, scale=1) on flat parameter arrays of ``size`` groups.

    In the unconstrained coordinate ``z``: ``derivs(z)`` gives the log density of ``y`` at
    ``y(z)`` (no Jacobian) minus the per-group constant ``off`` (the log density at the mode
    for the closed-form families, which keeps levels O(1) and free of cancellation), and its
    first two derivatives in ``z``. ``log_jac``/``dlog_jac`` are ``log dy/dz`` and its
    derivative; ``cdf``/``sf`` are ``P(Y <= y(z))``/``P(Y > y(z))``. ``z`` may be ``(size,)``
    or ``(k, size)``. Per-group arrays named in ``_cached`` are carried along by ``take``.
    """

    exact_derivs = True  # closed-form derivatives (allows skipping a final CDF evaluation)
    _cached: tuple[str, ...] = ()

    def __init__(self, rv: stats.rv_continuous, shapes: tuple[np.ndarray, ...], n: int) -> None:
        self.rv = rv
        self.shapes = shapes
        self.size = n
        self.off = np.zeros(n)

    def take(self, idx: np.ndarray) -> _Family:
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.shapes = tuple(s[idx] for s in self.shapes)
        new.size = int(np.count_nonzero(idx)) if idx.dtype == bool else idx.size
        for name in ("off", *self._cached):
            value = getattr(self, name)
            if value is not None:
                setattr(new, name, value[idx])
        return new

    def _full(self, v: Any) -> np.ndarray:
        return np.broadcast_to(np.asarray(v, dtype=float), (self.size,)).copy()

    # scipy-backed operations, used for edge cases and the fallback solver
    def ppf(self, u: np.ndarray | float) -> np.ndarray:
        return self._full(self.rv.ppf(u, *self.shapes))

    def isf(self, u: np.ndarray | float) -> np.ndarray:
        return self._full(self.rv.isf(u, *self.shapes))

    def logpdf_y(self, y: np.ndarray) -> np.ndarray:
        return np.asarray(self.rv.logpdf(y, *self.shapes), dtype=float)

    def support(self) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self.rv.support(*self.shapes)
        return self._full(lo), self._full(hi)


def _log_mix(w, v):
    """``log(1 - w + w exp(v))`` for w in (0, 1): ``log1p(w expm1(v))``, which keeps full
    relative precision near 0 (where the level is set); linear beyond v = 700 (no overflow).
    """
    return np.log1p(w * np.expm1(np.minimum(v, 700.0))) + np.maximum(v - 700.0, 0.0)


class _Beta(_Family):
    """Beta(a, b) with z = logit(y); levels relative to the mode (a, b > 1 where used)."""

    _cached = ("zm", "xm")

    def __init__(self, rv, shapes, n):
        super().__init__(rv, shapes, n)
        a, b = shapes
        with np.errstate(all="ignore"):
            self.zm = np.log(a - 1) - np.log(b - 1)
            self.xm = xm = (a - 1) / (a + b - 2)
            self.off = (a - 1) * np.log(xm) + (b - 1) * np.log1p(-xm) - special.betaln(a, b)

    def derivs(self, z):
        # log(y / ym) = -log(1 - (1 - ym) + (1 - ym) exp(-u)), log((1-y)/(1-ym)) likewise
        a, b = self.shapes
        u = z - self.zm
        xm = self.xm
        rel = -(a - 1) * _log_mix(1 - xm, -u) - (b - 1) * _log_mix(xm, u)
        e, e_ = special.expit(z), special.expit(-z)
        return rel, (a - 1) * e_ - (b - 1) * e, -(a + b - 2) * e * e_

    def log_jac(self, z):  # log(y (1 - y))
        t = np.abs(z)
        return -t - 2 * np.log1p(np.exp(-t))

    def dlog_jac(self, z):  # 1 - 2 y
        return np.tanh(-0.5 * z)

    def y_of_z(self, z):
        return special.expit(z)

    def _tail(self, z, upper):
        # Always hand betainc the smaller of y and 1 - y, computed from z (exact), so an end
        # near 1 keeps its precision; one betainc call either way.
        a, b = self.shapes
        left = z <= 0
        val = special.betainc(
            np.where(left, a, b), np.where(left, b, a), special.expit(-np.abs(z))
        )
        return np.where(left ^ upper, val, 1.0 - val)

    def cdf(self, z):
        return self._tail(z, False)

    def sf(self, z):
        return self._tail(z, True)

    def classify(self, prob):
        a, b = self.shapes
        cls = np.full(self.size, _INTERIOR, dtype=np.int8)
        cls[(a <= 1) & (b >= 1)] = _LOWER_EDGE
        cls[(b <= 1) & (a >= 1)] = _UPPER_EDGE
        cls[(a == 1) & (b == 1)] = _FLAT
        return _edge_of_u_shaped(self, (a < 1) & (b < 1), prob, cls)

    def mode(self):
        a, b = self.shapes
        sig = np.sqrt((a + b - 2) / ((a - 1) * (b - 1)))
        return self.zm, sig, np.zeros(self.size)


class _LogFamily(_Family):
    """Families on (0, inf) with z = log(y)."""

    def log_jac(self, z):
        return z

    def dlog_jac(self, z):
        return np.ones_like(z)

    def y_of_z(self, z):
        return np.exp(z)


class _Gamma(_LogFamily):
    """Gamma(a) with z = log(y); levels relative to the mode (a > 1 where used)."""

    _cached = ("zm",)

    def __init__(self, rv, shapes, n):
        super().__init__(rv, shapes, n)
        (a,) = shapes
        with np.errstate(all="ignore"):
            self.zm = np.log(a - 1)
            self.off = (a - 1) * (self.zm - 1) - special.gammaln(a)

    def derivs(self, z):
        (a,) = self.shapes
        u = z - self.zm
        with np.errstate(over="ignore"):
            em1 = np.expm1(u)
        return -(a - 1) * (em1 - u), -(a - 1) * em1, -(a - 1) * (em1 + 1)

    def cdf(self, z):
        return special.gammainc(self.shapes[0], np.exp(z))

    def sf(self, z):
        return special.gammaincc(self.shapes[0], np.exp(z))

    def classify(self, prob):
        return np.where(self.shapes[0] <= 1, _LOWER_EDGE, _INTERIOR).astype(np.int8)

    def mode(self):
        return self.zm, 1 / np.sqrt(self.shapes[0] - 1), np.zeros(self.size)


class _InvGamma(_LogFamily):
    """Inverse-gamma(a) with z = log(y); levels relative to the mode."""

    _cached = ("zm",)

    def __init__(self, rv, shapes, n):
        super().__init__(rv, shapes, n)
        (a,) = shapes
        self.zm = -np.log1p(a)
        self.off = (a + 1) * (np.log1p(a) - 1) - special.gammaln(a)

    def derivs(self, z):
        (a,) = self.shapes
        u = z - self.zm
        with np.errstate(over="ignore"):
            em1 = np.expm1(-u)
        return -(a + 1) * (em1 + u), (a + 1) * em1, -(a + 1) * (em1 + 1)

    def cdf(self, z):
        return special.gammaincc(self.shapes[0], np.exp(-z))

    def sf(self, z):
        return special.gammainc(self.shapes[0], np.exp(-z))

    def classify(self, prob):
        return np.full(self.size, _INTERIOR, dtype=np.int8)

    def mode(self):
        return self.zm, 1 / np.sqrt(self.shapes[0] + 1), np.zeros(self.size)


class _LogNorm(_LogFamily):
    """Log-normal(s) with z = log(y) ~ N(0, s^2); levels relative to the mode."""

    def __init__(self, rv, shapes, n):
        super().__init__(rv, shapes, n)
        (s,) = shapes
        self.off = 0.5 * s * s - np.log(s) - 0.5 * math.log(2 * math.pi)

    def derivs(self, z):
        (s,) = self.shapes
        u = z + s * s
        return -0.5 * (u / s) ** 2, -u / s**2, np.broadcast_to(-1 / s**2, np.shape(z)).copy()

    def cdf(self, z):
        return special.ndtr(z / self.shapes[0])

    def sf(self, z):
        return special.ndtr(-z / self.shapes[0])

    def classify(self, prob):
        return np.full(self.size, _INTERIOR, dtype=np.int8)

    def mode(self):
        (s,) = self.shapes
        return -(s**2), s.copy(), np.zeros(self.size)


class _Generic(_Family):
    """Any univariate continuous scipy family, through its logpdf/cdf/sf/ppf.

    z maps the support to the real line, per group: identity, ``log(y - lo)``,
    ``-log(hi - y)`` or a scaled logit. Derivatives are central finite differences in z.
    """

    exact_derivs = False
    _cached = ("lo", "hi", "_has_lo", "_has_hi", "_both", "_width", "sig", "zmid")

    def __init__(self, rv, shapes, n):
        super().__init__(rv, shapes, n)
        lo, hi = super().support()
        self.lo, self.hi = lo, hi
        self._has_lo = np.isfinite(lo)
        self._has_hi = np.isfinite(hi)
        self._both = self._has_lo & self._has_hi
        self._width = np.where(self._both, hi - lo, 1.0)
        self.sig = None  # width scale in z, set by classify()
        self.zmid = None

    def support(self):
        return self.lo, self.hi

    def y_of_z(self, z):
        with np.errstate(over="ignore"):
            return np.where(
                self._both,
                self.lo + self._width * special.expit(z),
                np.where(
                    self._has_lo,
                    self.lo + np.exp(z),
                    np.where(self._has_hi, self.hi - np.exp(-z), z),
                ),
            )

    def z_of_y(self, y):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(
                self._both,
                special.logit((y - self.lo) / self._width),
                np.where(
                    self._has_lo,
                    np.log(y - self.lo),
                    np.where(self._has_hi, -np.log(self.hi - y), y),
                ),
            )

    def log_jac(self, z):
        return np.where(
            self._both,
            np.log(self._width) + special.log_expit(z) + special.log_expit(-z),
            np.where(self._has_lo, z, np.where(self._has_hi, -z, 0.0)),
        )

    def dlog_jac(self, z):
        return np.where(
            self._both,
            special.expit(-z) - special.expit(z),
            np.where(self._has_lo, 1.0, np.where(self._has_hi, -1.0, 0.0)),
        )

    def logf(self, z):
        with np.errstate(all="ignore"):
            return self.logpdf_y(self.y_of_z(z))

    def derivs(self, z):
        eps = 1e-4 * self.sig
        f0, fp, fm = self.logf(z), self.logf(z + eps), self.logf(z - eps)
        with np.errstate(all="ignore"):
            return f0, (fp - fm) / (2 * eps), (fp - 2 * f0 + fm) / eps**2

    def cdf(self, z):
        return self._full(self.rv.cdf(self.y_of_z(z), *self.shapes))

    def sf(self, z):
        return self._full(self.rv.sf(self.y_of_z(z), *self.shapes))

    def _edge_logpdf(self, edge, finite, inward):
        """Log density at a finite support edge (-inf where the edge is infinite)."""
        out = np.full(self.size, -np.inf)
        sel = np.flatnonzero(finite)
        if sel.size:
            sub = self.take(sel)
            val = sub._full(sub.logpdf_y(edge[sel]))
            bad = np.flatnonzero(np.isnan(val))
            if bad.size:  # some families give nan exactly at the edge: step just inside
                inside = np.nextafter(edge[sel[bad]], inward[sel[bad]])
                val[bad] = sub.take(bad)._full(sub.take(bad).logpdf_y(inside))
            out[sel] = val
        return out

    def classify(self, prob):
        with np.errstate(all="ignore"):
            y_hi, y_lo = self.ppf(prob), self.ppf(1.0 - prob)
            l_hi, l_lo = self._full(self.logpdf_y(y_hi)), self._full(self.logpdf_y(y_lo))
            e_lo = self._edge_logpdf(self.lo, self._has_lo, self.hi)
            e_hi = self._edge_logpdf(self.hi, self._has_hi, self.lo)
        # For a unimodal density the HDI starts at the lower edge iff the density there is at
        # least the density at ppf(prob) (then [edge, ppf(prob)] has equal-or-higher density
        # inside); likewise at the upper edge. Beating both is U-shaped; ties at both, flat.
        low_gt, low_eq = e_lo > l_hi, e_lo == l_hi
        up_gt, up_eq = e_hi > l_lo, e_hi == l_lo
        cls = np.full(self.size, _INTERIOR, dtype=np.int8)
        cls[up_eq] = _UPPER_EDGE
        cls[low_eq] = _LOWER_EDGE
        cls[low_eq & up_eq] = _FLAT
        cls[up_gt] = _UPPER_EDGE
        cls[low_gt] = _LOWER_EDGE
        cls = _edge_of_u_shaped(self, low_gt & up_gt, prob, cls)
        # width scale and centre in z, for starting points and finite-difference steps
        with np.errstate(all="ignore"):
            z_hi, z_lo = self.z_of_y(y_hi), self.z_of_y(y_lo)
            sig = (z_hi - z_lo) / (2 * special.ndtri(0.5 + 0.5 * prob))
        ok = np.isfinite(sig) & (sig > 0)
        self.sig = np.where(ok, sig, 1.0)
        self.zmid = np.where(ok, 0.5 * (z_hi + z_lo), 0.0)
        return cls

    def mode(self):
        """Safeguarded Newton on the first derivative (finite differences)."""
        n = self.size
        z = self.zmid.copy()
        sig = self.sig
        lo = np.full(n, -np.inf)
        hi = np.full(n, np.inf)
        reach = sig.copy()
        done = np.zeros(n, dtype=bool)
        with np.errstate(all="ignore"):
            for _ in range(_INNER_MAX):
                _, d1, d2 = self.derivs(z)
                rising = d1 > 0
                lo = np.where(rising & ~done, z, lo)
                hi = np.where(~rising & ~done, z, hi)
                newton = z - d1 / d2
                tiny = (d2 < 0) & (np.abs(newton - z) <= 1e-9 * sig)
                finite_b = np.isfinite(lo) & np.isfinite(hi)
                bad = ~np.isfinite(newton) | (d2 >= 0) | (newton <= lo) | (newton >= hi)
                expand = np.where(rising, z + reach, z - reach)
                z_new = np.where(bad, np.where(finite_b, 0.5 * (lo + hi), expand), newton)
                z_new = np.where(tiny, newton, z_new)
                reach = np.where(bad & ~finite_b, 2 * reach, reach)
                z = np.where(done, z, z_new)
                done |= tiny | (finite_b & (hi - lo <= 1e-12 * sig))
                if done.all():
                    break
        return z, sig, self.logf(z)


def _edge_of_u_shaped(fam: _Family, mask: np.ndarray, prob: float, cls: np.ndarray) -> np.ndarray:
    """U-shaped groups (density rising toward both ends) take the shortest interval of mass
    ``prob``, which starts at one edge: ``[lo, ppf(prob)]`` or ``[isf(prob), hi]``, whichever
    is narrower (the lower on a tie). Their highest-density region is two intervals."""
    sel = np.flatnonzero(mask)
    if sel.size:
        sub = fam.take(sel)
        lo, hi = sub.support()
        with np.errstate(all="ignore"):
            lower, upper = sub.ppf(prob) - lo, hi - sub.isf(prob)
        cls[sel] = np.where(upper < lower, _UPPER_EDGE, _LOWER_EDGE)
    return cls


_FAST = {"beta": _Beta, "gamma": _Gamma, "invgamma": _InvGamma, "lognorm": _LogNorm}


def _parse_frozen(dist: Any) -> tuple[str, stats.rv_continuous, list[Any], Any, Any]:
    """(name, rv, shape parameters, loc, scale) of a frozen continuous scipy distribution."""
    rv = getattr(dist, "dist", None)
    if not isinstance(rv, stats.rv_continuous) or not hasattr(dist, "args"):
        raise TypeError(
            "dist must be a frozen univariate continuous scipy.stats distribution such as "
            f"stats.beta(2, 5), got {type(dist).__name__}"
        )
    names = [s.strip() for s in rv.shapes.split(",")] if rv.shapes else []
    params = dict(zip([*names, "loc", "scale"], dist.args, strict=False))
    params.update(getattr(dist, "kwds", {}) or {})
    try:
        shapes = [params[n] for n in names]
    except KeyError as exc:  # pragma: no cover - scipy would not have frozen it
        raise TypeError(f"dist is missing the shape parameter {exc.args[0]!r}") from None
    return rv.name, rv, shapes, params.get("loc", 0.0), params.get("scale", 1.0)
