"""Exact highest-density intervals (HDIs): of distributions, of draws, of gridded densities.

Three functions, one definition: the HDI with probability ``prob`` is the shortest interval
holding that much mass, equivalently the set where the density is at least some level ``c``.

- :func:`hdi_of_dist` solves it exactly (to machine precision) for a frozen ``scipy.stats``
  continuous distribution, vectorised over any batch shape of its parameters.
- :func:`hdi_of_samples` is the shortest interval spanned by sorted draws (ArviZ's rule).
- :func:`hdi_of_grid` finds the density level of a density tabulated on a grid, interpolating
  linearly inside cells so the ends are resolved finer than the grid spacing.

The exact solver (``hdi_of_dist``) works on the level ``λ`` of the log density rather than on
the ends. In an unconstrained coordinate ``z`` (logit for a bounded support, log for a
half-line), a unimodal density has one point on each side of its mode where the log density
equals ``λ``. The mass outside those points, ``T(λ) = F(low) + S(high)``, rises with ``λ``, and
``log T`` is close to linear in it, so Halley's method on ``log T(λ) = log(1 - prob)``
converges in two or three steps; its derivatives come for free from ``d z / d λ = 1 / (d
logpdf / d z)``. Each step places the lower end by a second-order prediction along the level
curve and reads ``λ`` off it, so only the upper end needs a (safeguarded Halley) root solve, on
log densities only. The costly part is one CDF and one survival function per group and step;
when the predicted error of the last Halley step is far below tolerance, that final evaluation
is skipped. Beta, gamma, chi2, Erlang, inverse-gamma and log-normal use closed-form log
densities (relative to the mode, so levels stay O(1) and free of cancellation), derivatives,
modes and tails; other families use scipy's ``logpdf``/``cdf``/``sf`` with finite-difference
derivatives. Any group that fails to converge is re-solved by bisection on how ``1 - prob``
splits between the two tails (through ``ppf``/``isf``), which only assumes unimodality.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np
from scipy import special, stats

from bayesgd._validation import check_finite_array, check_prob

__all__ = ["hdi_of_dist", "hdi_of_grid", "hdi_of_samples"]

# Families whose standard form is symmetric about its centre and unimodal: the HDI is central.
_SYMMETRIC = frozenset(
    {
        "anglit",
        "cauchy",
        "cosine",
        "gennorm",
        "hypsecant",
        "laplace",
        "logistic",
        "norm",
        "semicircular",
        "t",
        "uniform",
    }
)

_CHUNK = 1 << 16  # groups solved together: bounds memory, keeps arrays in cache
_OUTER_TOL = 1e-12  # |log(outside mass / (1 - prob))|
_OUTER_ACCEPT = 1e-9  # ... good enough to keep when iterations run out (noisy CDFs)
_OUTER_MAX = 30
_INNER_MAX = 80
# Steps, relative to the width scale of a group in z, that end a solve (the error left after
# a Halley step is cubic in it, after a Newton step quadratic).
_HALLEY_TOL = 1e-6
_NEWTON_TOL = 1e-10

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


# --------------------------------------------------------------------------------------------
# The solver
# --------------------------------------------------------------------------------------------

_SIDES = np.array([[1.0], [-1.0]])  # row 0: lower end, row 1: upper end (mirrored)
_LOWER = _SIDES[:1]
_UPPER = _SIDES[1:]


def _level_points(fam, lam, z0, zm, sig, sides):
    """The points below and/or above the mode ``zm`` where the log density equals ``lam``.

    Safeguarded Halley iteration, for one or both ends at once. The upper end is mirrored
    (``w = -z``) so both become "left of the mode" problems: ``h(w) = logf(sign * w) - lam``
    rises to positive at ``w_in = sign * zm``. A bracket is kept; a step leaving it (or
    non-finite) bisects, or moves outward by a doubling reach while the outer end is unknown.
    A Halley step below ``1e-6`` of the width scale ends the solve (its error is cubic in the
    step).

    ``sides`` is ``_LOWER``, ``_UPPER`` or ``_SIDES`` (both): a column of +1 (lower end) and -1
    (upper end) entries; ``z0`` has one row per entry. Returns ``z``, ``dlogf`` and
    ``d2logf`` there (one row per side), and ``ok`` (n,).
    """
    n = lam.size
    k = sides.shape[0]
    out_z = np.full((k, n), np.nan)
    out_d1 = np.full((k, n), np.nan)
    out_d2 = np.full((k, n), np.nan)
    ok = np.zeros(n, dtype=bool)
    idx = np.arange(n)
    f = fam
    hi = sides * zm
    w = sides * z0
    w = np.where(w < hi, w, hi - sig)  # also replaces nan
    lo = np.full((k, n), -np.inf)
    reach = np.broadcast_to(sig, (k, n)).copy()
    done = np.zeros((k, n), dtype=bool)
    lam_a, sig_a = lam, sig
    with np.errstate(all="ignore"):
        for _ in range(_INNER_MAX):
            lf, d1, d2 = f.derivs(sides * w)
            h = lf - lam_a
            d1 = sides * d1
            inside = h > 0
            hi = np.where(inside, w, hi)
            lo = np.where(inside, lo, w)
            den = 2 * d1 * d1 - h * d2
            halley = den > 0
            step = np.where(halley, -2 * h * d1 / den, -h / d1)
            w_new = w + step
            good = (d1 > 0) & (w_new > lo) & (w_new < hi)
            tol = np.where(halley, _HALLEY_TOL, _NEWTON_TOL) * sig_a + 4e-16 * np.abs(w)
            # a small step ends the solve even if it rounds onto the bracket's end
            now = (d1 > 0) & ((np.abs(step) <= tol) | (h == 0))
            bounded = np.isfinite(lo)
            now |= bounded & (hi - lo <= 4e-16 * (sig_a + np.abs(w)))
            w_new = np.where(good | now, w_new, np.where(bounded, 0.5 * (lo + hi), hi - reach))
            reach = np.where(good | bounded, reach, 2 * reach)
            now &= ~done
            if now.any():
                # record the end, with first-order corrected derivatives there
                rows, cc = np.nonzero(now)
                dz = step[rows, cc]
                out_z[rows, idx[cc]] = sides[rows, 0] * w_new[rows, cc]
                out_d1[rows, idx[cc]] = sides[rows, 0] * (d1[rows, cc] + d2[rows, cc] * dz)
                out_d2[rows, idx[cc]] = d2[rows, cc]
                done |= now
                both = done.all(axis=0)
                if both.any():
                    ok[idx[both]] = True
                    keep = ~both
                    idx = idx[keep]
                    if idx.size == 0:
                        break
                    f = f.take(keep)
                    w, lo, hi = w_new[:, keep], lo[:, keep], hi[:, keep]
                    reach, done = reach[:, keep], done[:, keep]
                    lam_a, sig_a = lam_a[keep], sig_a[keep]
                    continue
            w = w_new
    return out_z, out_d1, out_d2, ok


def _cubic_end(c2, c3, drop, sign):
    """Offset u from the mode where c2 u^2 + c3 u^3 = -drop, on the side ``sign``."""
    with np.errstate(all="ignore"):
        u0 = sign * np.sqrt(drop / -c2)
        u = u0
        for _ in range(3):
            u2 = u * u
            u = u - (c2 * u2 + c3 * u2 * u + drop) / (2 * c2 * u + 3 * c3 * u2)
        ratio = u / u0
        return np.where((ratio > 0.2) & (ratio < 5), u, u0)  # also replaces nan


def _predict(z, d1, d2, d_lam):
    """Second-order move of a point on a level curve when the level changes by d_lam."""
    dz = d_lam / d1
    return z + dz - 0.5 * (d2 / d1) * dz * dz


def _solve_interior(fam: _Family, prob: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """HDI ends (in z) for groups whose mode is inside the support: Halley on the level.

    ``R(lam) = log(F(low) + S(high)) - log(1 - prob)`` rises with the level ``lam``; its
    derivatives follow from the ends' derivatives (``d z / d lam = 1 / dlogf(z)``). Each step
    places the lower end by a second-order prediction and reads the level off it, so only the
    upper end needs a root solve.
    """
    log_q = math.log(1.0 - prob)
    n = fam.size
    zm, sig, l_max = fam.mode()
    zq = float(special.ndtri(0.5 + 0.5 * prob))
    with np.errstate(all="ignore"):
        # cubic model of the log density around the mode: L ~ l_max + c2 u^2 + c3 u^3
        lf3, _, d23 = fam.derivs(zm + np.array([[-1.0], [0.0], [1.0]]) * sig)
        c2 = np.where(d23[1] < 0, 0.5 * d23[1], -0.5 / sig**2)
        c3 = (lf3[2] - lf3[0]) / (2 * sig**3)
        c3 = np.where(np.isfinite(c3), c3, 0.0)
    # start: the level of a normal's HDI, below the mode
    lam_target = l_max - 0.5 * zq * zq
    zl = zm + _cubic_end(c2, c3, l_max - lam_target, -1.0)
    zh = None
    lam_lo = np.full(n, -np.inf)
    lam_hi = l_max.copy()
    reach = np.ones(n)
    prev_lam = np.full(n, np.nan)
    prev_r2 = np.full(n, np.nan)
    out = np.full((2, n), np.nan)
    ok = np.zeros(n, dtype=bool)
    idx = np.arange(n)
    f = fam
    with np.errstate(all="ignore"):
        for it in range(_OUTER_MAX):
            # lower end: take the predicted point and its level, unless it is unusable
            lam, d1l, d2l = f.derivs(zl)
            left_ok = np.ones(idx.size, dtype=bool)
            badl = ~((d1l > 0) & (lam > lam_lo) & (lam < lam_hi))
            if badl.any():
                b = np.flatnonzero(badl)
                zb, d1b, d2b, left_ok[b] = _level_points(
                    f.take(b), lam_target[b], zl[b][None], zm[b], sig[b], _LOWER
                )
                zl[b], d1l[b], d2l[b], lam[b] = zb[0], d1b[0], d2b[0], lam_target[b]
            if zh is None:
                zh = zm + _cubic_end(c2, c3, l_max - lam, 1.0)
            zh2, d1h, d2h, okh = _level_points(f, lam, zh[None], zm, sig, _UPPER)
            zh, d1h, d2h = zh2[0], d1h[0], d2h[0]
            inner_ok = left_ok & okh
            tail = f.cdf(zl) + f.sf(zh)
            resid = np.log(tail) - log_q
            # derivatives of the tail mass along the level curve (g: density of z)
            gl = np.exp(lam + f.off + f.log_jac(zl))
            gh = np.exp(lam + f.off + f.log_jac(zh))
            dzl, dzh = 1 / d1l, 1 / d1h
            kl = gl * dzl * dzl * (d1l + f.dlog_jac(zl) - d2l * dzl)
            kh = gh * dzh * dzh * (d1h + f.dlog_jac(zh) - d2h * dzh)
            r1 = (gl * dzl - gh * dzh) / tail
            r2 = (kl - kh) / tail - r1 * r1
            lam_lo = np.where(resid < 0, lam, lam_lo)
            lam_hi = np.where(resid > 0, lam, lam_hi)
            halley = -2 * resid * r1 / (2 * r1 * r1 - resid * r2)
            step = np.where(np.isfinite(halley), halley, -resid / r1)
            stalled = (np.abs(step) <= 4e-16 * (1 + np.abs(lam))) & (np.abs(resid) <= 1e-9)
            conv = inner_ok & ((np.abs(resid) <= _OUTER_TOL) | stalled)
            failed = ~inner_ok | np.isnan(resid) | (resid == np.inf)
            lam_new = lam + step
            bad = ~np.isfinite(lam_new) | (lam_new <= lam_lo) | (lam_new >= lam_hi)
            bounded = np.isfinite(lam_lo)
            lam_new = np.where(
                bad, np.where(bounded, 0.5 * (lam_lo + lam_hi), lam_hi - reach), lam_new
            )
            reach = np.where(bad & ~bounded, 2 * reach, reach)
            # With closed-form derivatives, accept the Halley step without another CDF
            # evaluation when its predicted remaining residual, (R''^2 / (4 R') + |R'''| / 6)
            # |step|^3 with R''' from the last two iterations, is far below tolerance.
            skip = np.zeros(idx.size, dtype=bool)
            if f.exact_derivs:
                r3 = np.abs((r2 - prev_r2) / (lam - prev_lam))
                pred = (r2 * r2 / (4 * np.abs(r1)) + r3 / 6) * np.abs(step) ** 3
                skip = inner_ok & ~bad & ~conv & (np.abs(resid) < 1e-4)
                skip &= pred <= 0.01 * _OUTER_TOL
            if skip.any():
                s = np.flatnonzero(skip)
                sub = f.take(s)
                zl_s = _predict(zl[s], d1l[s], d2l[s], step[s])
                lam_s, d1s, _ = sub.derivs(zl_s)
                # the level actually reached differs from the Halley target by a hair
                miss = np.abs(r1[s] * (lam_s - lam_new[s]))
                good = (d1s > 0) & (pred[s] + miss <= 0.01 * _OUTER_TOL)
                zh_g = _predict(zh[s], d1h[s], d2h[s], lam_s - lam[s])
                zh_s, _, _, okh_s = _level_points(sub, lam_s, zh_g[None], zm[s], sig[s], _UPPER)
                good &= okh_s
                zl[s] = np.where(good, zl_s, zl[s])
                zh[s] = np.where(good, zh_s[0], zh[s])
                skip[s] = good
            finish = conv | skip | failed
            store = conv | skip
            if it == _OUTER_MAX - 1:  # out of iterations: keep what is accurate enough
                store |= inner_ok & (np.abs(resid) <= _OUTER_ACCEPT)
                finish[:] = True
            out[0, idx[store]] = zl[store]
            out[1, idx[store]] = zh[store]
            ok[idx[store]] = True
            keep = ~finish
            if not keep.any():
                break
            prev_lam, prev_r2 = lam[keep], r2[keep]
            d_lam = (lam_new - lam)[keep]
            zl = _predict(zl[keep], d1l[keep], d2l[keep], d_lam)
            zh = _predict(zh[keep], d1h[keep], d2h[keep], d_lam)
            idx, f = idx[keep], f.take(keep)
            lam_target, lam_lo, lam_hi = lam_new[keep], lam_lo[keep], lam_hi[keep]
            reach, zm, sig = reach[keep], zm[keep], sig[keep]
            zl = np.where(np.isfinite(zl), zl, zm - zq * sig)
            zh = np.where(np.isfinite(zh), zh, zm + zq * sig)
    return out[0], out[1], ok


def _solve_by_tail_mass(fam: _Family, prob: float) -> tuple[np.ndarray, np.ndarray]:
    """Robust fallback: bisection on how ``q = 1 - prob`` splits between the two tails.

    With lower tail mass ``a = q expit(s)`` and upper ``b = q expit(-s)``, a unimodal density
    makes ``logpdf(isf(b)) - logpdf(ppf(a))`` fall through zero once as ``s`` rises; the ends
    are ``ppf(a)`` and ``isf(b)``. Bisection on ``s`` resolves either tail down to underflow.
    """
    q = 1.0 - prob
    s_lo = np.full(fam.size, -700.0)  # expit(-700) ~ 1e-304 is still a normal double
    s_hi = np.full(fam.size, 700.0)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # scipy's root-finding chatter
        for _ in range(60):  # 1400 / 2**60 ~ 1e-15
            s = 0.5 * (s_lo + s_hi)
            a, b = q * special.expit(s), q * special.expit(-s)
            up = fam.logpdf_y(fam.isf(b)) > fam.logpdf_y(fam.ppf(a))  # upper end denser
            s_lo, s_hi = np.where(up, s, s_lo), np.where(up, s_hi, s)
        s = 0.5 * (s_lo + s_hi)
        return fam.ppf(q * special.expit(s)), fam.isf(q * special.expit(-s))


def _hdi_chunk(fam: _Family, prob: float) -> tuple[np.ndarray, np.ndarray]:
    """Standardised HDI ends for one chunk of groups of one family."""
    cls = fam.classify(prob)
    low = np.full(fam.size, np.nan)
    high = np.full(fam.size, np.nan)
    lo_sup, hi_sup = fam.support()
    half = 0.5 * (1.0 - prob)
    with np.errstate(all="ignore"):
        sel = np.flatnonzero(cls == _LOWER_EDGE)  # density falls from the lower edge
        if sel.size:
            low[sel], high[sel] = lo_sup[sel], fam.take(sel).ppf(prob)
        sel = np.flatnonzero(cls == _UPPER_EDGE)  # density rises to the upper edge
        if sel.size:
            low[sel], high[sel] = fam.take(sel).isf(prob), hi_sup[sel]
        sel = np.flatnonzero(cls == _FLAT)  # no unique HDI: the central interval
        if sel.size:
            sub = fam.take(sel)
            low[sel], high[sel] = sub.ppf(half), sub.isf(half)
        sel = np.flatnonzero(cls == _INTERIOR)
        if sel.size:
            sub = fam.take(sel)
            zl, zh, ok = _solve_interior(sub, prob)
            low[sel], high[sel] = sub.y_of_z(zl), sub.y_of_z(zh)
            ok &= np.isfinite(low[sel]) & np.isfinite(high[sel])
            if not ok.all():
                bad = np.flatnonzero(~ok)
                low[sel[bad]], high[sel[bad]] = _solve_by_tail_mass(sub.take(bad), prob)
    return low, high


def hdi_of_dist(dist: Any, prob: float = 0.94) -> tuple[np.ndarray, np.ndarray]:
    """Exact highest-density interval of a frozen scipy.stats continuous distribution.

    The HDI is the shortest interval holding mass ``prob``; for a unimodal density its ends
    have equal density, ``pdf(low) == pdf(high)``, unless the mode sits on an end of the
    support, in which case that end is the support's end (``Beta(1, 5)``: ``[0, ppf(prob)]``).

    Parameters
    ----------
    dist : frozen scipy.stats continuous distribution
        For example ``stats.beta(a, b)``, ``stats.gamma(a, scale=s)``,
        ``stats.invgamma(a)``, ``stats.norm(m, s)``, ``stats.lognorm(s)``, ``stats.expon()``.
        Its parameters may be arrays: the result has their broadcast (batch) shape and all
        groups are solved together, without a Python loop over groups.
    prob : float, default 0.94
        Mass of the interval, strictly between 0 and 1.

    Returns
    -------
    low, high : numpy.ndarray
        Ends of the interval, each of the batch shape (0-d arrays for a scalar distribution).

    Raises
    ------
    TypeError
        If ``dist`` is not a frozen univariate continuous scipy.stats distribution, or ``prob``
        is not a real number.
    ValueError
        If ``prob`` is not strictly inside (0, 1) or some group has invalid parameters.

    Notes
    -----
    The density is assumed unimodal (possibly with its mode on an edge of the support), or
    U-shaped (rising toward both ends, such as ``Beta(0.5, 0.5)``). A U-shaped density's
    highest-density region is two intervals; as for draws (ArviZ's ``az.hdi``) and grids, the
    shortest single interval of mass ``prob`` is returned, which starts at the edge where that
    is narrower. An interior bimodal density is not detected and gives an interval with
    equal-density ends that need not be the shortest.

    Symmetric families (norm, t, cauchy, logistic, laplace, ...) return the central interval.
    A flat density (``Beta(1, 1)``, ``uniform``) has no unique HDI: the central interval is
    returned. When an end lies closer to a support edge than floating point can represent
    (``Beta(1.0001, 50)`` has ``low`` near ``1e-12000``), it is reported as the edge itself.

    Beta, gamma, chi2, Erlang, inverse-gamma and log-normal have closed-form fast paths: a
    million Beta groups take about 2-3 s of CPU on one core (roughly the cost of three calls
    of ``stats.beta(a, b).ppf`` on the same arrays); most of it is ``scipy.special.betainc``.
    Other families go through scipy's generic methods (several times slower). Groups are
    solved in chunks, so memory stays bounded. At the solution, ``cdf(high) - cdf(low)``
    equals ``prob`` to about ``1e-13`` and the log densities at the two ends agree to about
    ``1e-12``, as far as the ends are representable: ``Beta(90000, 1.1)`` has its upper end at
    ``1 - 3e-18``, which rounds to ``1.0`` (mass still ``prob`` to ``3e-14``).

    Examples
    --------
    >>> from scipy import stats
    >>> low, high = hdi_of_dist(stats.beta(8, 4), prob=0.9)
    >>> print(f"{float(low):.4f} {float(high):.4f}")
    0.4584 0.8825
    >>> low, high = hdi_of_dist(stats.expon(), prob=0.9)   # mode on the edge
    >>> print(f"{float(low):.1f} {float(high):.4f}")
    0.0 2.3026
    >>> low, high = hdi_of_dist(stats.beta([2, 3], [5, 3]))
    >>> low.shape
    (2,)
    """
    prob = check_prob(prob, "prob")
    name, rv, shapes, loc, scale = _parse_frozen(dist)
    with np.errstate(all="ignore"):
        arrays = [np.asarray(v, dtype=float) for v in (*shapes, loc, scale)]
    batch = np.broadcast_shapes(*(a.shape for a in arrays))
    flat = [np.broadcast_to(a, batch).ravel() for a in arrays]
    *shp, loc_f, scale_f = flat
    with np.errstate(all="ignore"):
        support = rv.support(*shp, loc=loc_f, scale=scale_f)
    bad = ~(np.isfinite(loc_f) & np.isfinite(scale_f) & (scale_f > 0))
    bad |= np.broadcast_to(np.isnan(support[0]) | np.isnan(support[1]), bad.shape)
    if bad.any():
        raise ValueError(
            f"dist has invalid parameters in {int(np.count_nonzero(bad))} group(s) "
            f"(scipy.stats.{name} with these arguments is not a distribution)"
        )
    # Map families onto the closed-form fast paths where one exists.
    if name in ("chi2", "erlang"):
        if name == "chi2":
            shp, scale_f = [0.5 * shp[0]], 2.0 * scale_f
        name, rv = "gamma", stats.gamma
    size = loc_f.size
    low = np.empty(size)
    high = np.empty(size)
    for start in range(0, size, _CHUNK):
        sl = slice(start, min(start + _CHUNK, size))
        params = tuple(np.ascontiguousarray(s[sl]) for s in shp)
        n = sl.stop - sl.start
        if name in _SYMMETRIC:
            fam = _Family(rv, params, n)
            with np.errstate(all="ignore"):
                lo_c, hi_c = fam.ppf(0.5 * (1 - prob)), fam.isf(0.5 * (1 - prob))
        else:
            fam = _FAST.get(name, _Generic)(rv, params, n)
            lo_c, hi_c = _hdi_chunk(fam, prob)
        low[sl] = loc_f[sl] + scale_f[sl] * lo_c
        high[sl] = loc_f[sl] + scale_f[sl] * hi_c
    return low.reshape(batch), high.reshape(batch)


# --------------------------------------------------------------------------------------------
# Samples and grids
# --------------------------------------------------------------------------------------------


def hdi_of_samples(
    samples: Any, prob: float = 0.94, *, axis: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Shortest interval spanned by sorted draws, vectorised over the other axes.

    With ``n`` draws sorted as ``s[0] <= ... <= s[n-1]`` and ``k = floor(prob * n)``, the
    interval is ``[s[i], s[i + k]]`` for the ``i`` minimising ``s[i + k] - s[i]`` (the first
    such ``i`` on ties). This is exactly ArviZ's ``az.hdi`` rule: the interval holds
    ``k + 1`` draws, which is ``ceil(prob * n)`` unless ``prob * n`` is a whole number.

    Parameters
    ----------
    samples : array_like
        Finite draws; ``axis`` indexes the draws.
    prob : float, default 0.94
        Target mass, strictly between 0 and 1.
    axis : int, default 0
        Axis of ``samples`` holding the draws.

    Returns
    -------
    low, high : numpy.ndarray
        Ends of the interval, of the shape of ``samples`` without ``axis``.

    Examples
    --------
    >>> hdi_of_samples([1.0, 2.0, 2.5, 3.0, 10.0], prob=0.6)
    (array(1.), array(3.))
    >>> import numpy as np
    >>> draws = np.random.default_rng(0).normal(size=(4000, 3))
    >>> low, high = hdi_of_samples(draws, 0.9)
    >>> low.shape
    (3,)
    """
    prob = check_prob(prob, "prob")
    arr = check_finite_array(samples, "samples")
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"axis must be an integer, got {axis!r}")
    if arr.ndim == 0:
        raise ValueError("samples must have at least one dimension (the draws)")
    if not -arr.ndim <= axis < arr.ndim:
        raise ValueError(f"axis {axis} is out of bounds for samples with {arr.ndim} dimension(s)")
    arr = np.sort(np.moveaxis(arr, axis, -1), axis=-1)
    n = arr.shape[-1]
    if n == 0:
        raise ValueError("samples must hold at least one draw along axis")
    k = int(np.floor(prob * n))
    widths = arr[..., k:] - arr[..., : n - k]
    i = np.argmin(widths, axis=-1)[..., None]
    low = np.take_along_axis(arr, i, axis=-1)[..., 0]
    high = np.take_along_axis(arr, i + k, axis=-1)[..., 0]
    return low, high


def hdi_of_grid(x: Any, density: Any, prob: float = 0.94) -> tuple[float, float]:
    """HDI of a 1-D density tabulated on a sorted grid, with linear interpolation in cells.

    The density is taken to be the piecewise-linear interpolant of the values, on
    ``[x[0], x[-1]]`` and zero outside. The level ``c`` at which the mass where the interpolant
    is at least ``c`` equals ``prob`` (of the interpolant's total mass) is found exactly: that
    mass is piecewise quadratic in ``c``. The ends are where the interpolant crosses ``c``, or
    the grid's ends if the density there is above ``c``.

    Parameters
    ----------
    x : array_like, shape (n,)
        Strictly increasing grid, any spacing, ``n >= 2``.
    density : array_like, shape (n,)
        Non-negative density values (any normalisation), not all zero.
    prob : float, default 0.94
        Target mass, strictly between 0 and 1.

    Returns
    -------
    low, high : float
        Ends of the interval. For a multimodal or U-shaped density the region
        ``density >= c`` may be several intervals; then the shortest single interval of mass
        ``prob`` is returned, as for draws (ArviZ's ``az.hdi``) and :func:`hdi_of_dist`.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> x = np.linspace(0, 1, 2001)
    >>> low, high = hdi_of_grid(x, stats.beta(8, 4).pdf(x), prob=0.9)
    >>> print(f"{low:.4f} {high:.4f}")
    0.4584 0.8825
    """
    prob = check_prob(prob, "prob")
    xs = check_finite_array(x, "x")
    d = check_finite_array(density, "density")
    if xs.ndim != 1 or xs.size < 2:
        raise ValueError(f"x must be a 1-D grid of at least 2 points, got shape {xs.shape}")
    if d.shape != xs.shape:
        raise ValueError(f"density must have the shape of x {xs.shape}, got {d.shape}")
    if np.any(np.diff(xs) <= 0):
        raise ValueError("x must be sorted in strictly increasing order")
    if np.any(d < 0):
        raise ValueError("density must be non-negative")
    dx = np.diff(xs)
    d0, d1 = d[:-1], d[1:]
    cell_mass = 0.5 * (d0 + d1) * dx
    total = cell_mass.sum()
    if not total > 0:
        raise ValueError("density must not be all zero")
    target = prob * total

    # M(c), the mass where the interpolant is >= c, is a sum over cells: with lo/hi a cell's
    # smaller/larger end value, c <= lo counts the whole cell, lo < c < hi counts
    # dx (hi - c)(hi + c) / (2 (hi - lo)), c >= hi counts nothing. Between consecutive distinct
    # density values M is linear in c^2, so bisecting over those values and interpolating in
    # c^2 gives the level exactly (for the interpolant).
    lo_v = np.minimum(d0, d1)
    hi_v = np.maximum(d0, d1)
    span = np.where(hi_v > lo_v, hi_v - lo_v, 1.0)

    def mass_at(c: float, *, above: bool = False) -> float:
        # above=True gives the limit from above, M(c+), which drops cells flat at level c
        full = lo_v > c if above else lo_v >= c
        part = (lo_v <= c) & (c < hi_v) if above else (lo_v < c) & (c < hi_v)
        partial = np.zeros_like(span)
        # only cells that the level cuts: there (hi - c) <= span, so nothing overflows
        np.divide(dx * (hi_v - c) * (hi_v + c), 2 * span, out=partial, where=part)
        return float(np.sum(cell_mass, where=full) + np.sum(partial))

    v = np.unique(np.concatenate([d, [0.0]]))  # ascending distinct values, v[0] == 0
    if mass_at(v[-1]) >= target:  # a plateau at the maximum holds enough
        c = float(v[-1])
    else:
        a, b = 0, v.size - 1  # invariant: M(v[a]) > target >= M(v[b])
        while b - a > 1:
            mid = (a + b) // 2
            if mass_at(v[mid]) > target:
                a = mid
            else:
                b = mid
        m0, m1 = mass_at(v[a], above=True), mass_at(v[b])
        if m0 <= target:  # M jumps at v[a] (cells flat at that level): take that level
            c = float(v[a])
        else:
            frac = (target - m1) / (m0 - m1)
            c = float(np.sqrt(v[b] ** 2 - frac * (v[b] ** 2 - v[a] ** 2)))

    above = d >= c
    first = int(np.argmax(above))
    last = xs.size - 1 - int(np.argmax(above[::-1]))
    if not above[first : last + 1].all():  # the region is split: take the shortest interval
        return _shortest_of_interpolant(xs, d, cell_mass, prob)
    low = float(xs[0]) if first == 0 else _crossing(xs, d, first - 1, c)
    high = float(xs[-1]) if last == xs.size - 1 else _crossing(xs, d, last, c)
    return low, high


def _shortest_of_interpolant(
    xs: np.ndarray, d: np.ndarray, cell_mass: np.ndarray, prob: float
) -> tuple[float, float]:
    """Shortest interval holding ``prob`` of the piecewise-linear density through ``(xs, d)``.

    With ``a`` the mass below the interval, its width ``W(a) = Q(a + prob) - Q(a)`` is smooth
    between the breakpoints where an end crosses a grid node (the node's CDF value, or that
    minus ``prob``). ``W`` is evaluated at every breakpoint, then minimised (bounded Brent)
    over the two pieces beside the best one; ``Q`` inverts each cell's quadratic CDF exactly.
    """
    from scipy.optimize import minimize_scalar

    cdf = np.concatenate([[0.0], np.cumsum(cell_mass)])
    total = cdf[-1]
    cdf /= total
    dens = d / total
    slope = np.diff(dens) / np.diff(xs)

    def quantile(q: np.ndarray) -> np.ndarray:
        i = np.clip(np.searchsorted(cdf, q, side="right") - 1, 0, xs.size - 2)
        m = np.clip(q - cdf[i], 0.0, None)
        d0 = dens[i]
        # mass d0 t + slope t^2 / 2 = m, solved in the form that is stable for slope -> 0
        with np.errstate(invalid="ignore", divide="ignore"):
            root = np.sqrt(np.maximum(d0 * d0 + 2.0 * slope[i] * m, 0.0))
            t = np.where(d0 + root > 0, 2.0 * m / (d0 + root), 0.0)
        return np.minimum(xs[i] + t, xs[i + 1])

    room = 1.0 - prob
    breaks = np.concatenate([[0.0, room], cdf, cdf - prob])
    breaks = np.unique(breaks[(breaks >= 0.0) & (breaks <= room)])
    width = quantile(breaks + prob) - quantile(breaks)
    k = int(np.argmin(width))
    lo, hi = breaks[max(k - 1, 0)], breaks[min(k + 1, breaks.size - 1)]
    best = float(breaks[k])
    if hi > lo:
        res = minimize_scalar(
            lambda a: float(np.subtract(*quantile(np.array([a + prob, a])))),
            bounds=(lo, hi),
            method="bounded",
            options={"xatol": 1e-14},
        )
        if res.fun < width[k]:
            best = float(res.x)
    ends = quantile(np.array([best, best + prob]))
    return float(ends[0]), float(ends[1])


def _crossing(xs: np.ndarray, d: np.ndarray, i: int, c: float) -> float:
    """Where the linear interpolant on cell [x_i, x_{i+1}] equals c."""
    span = d[i + 1] - d[i]
    t = 0.0 if span == 0 else (c - d[i]) / span
    return float(xs[i] + min(max(t, 0.0), 1.0) * (xs[i + 1] - xs[i]))
