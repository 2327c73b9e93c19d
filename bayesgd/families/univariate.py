"""The records of the univariate continuous scipy.stats families accepted as priors.

Each record is one :class:`~bayesgd.families.record.Family`: the standardised log density
``f(z, *shapes)`` and ``df/dz`` in plain NumPy, the PyMC constructor, the conjugate roles and
the exact HDI's fast path; support, draws, grid box and central point are scipy's (the
record's defaults). PyMC parametrisations (scipy ``loc``/``scale``/shapes on the left):

=============  ==================================================================
scipy          PyMC
=============  ==================================================================
norm           ``Normal(mu=loc, sigma=scale)``
t              ``StudentT(nu=df, mu=loc, sigma=scale)``
cauchy         ``Cauchy(alpha=loc, beta=scale)``
laplace        ``Laplace(mu=loc, b=scale)``
logistic       ``Logistic(mu=loc, s=scale)``
gumbel_r       ``Gumbel(mu=loc, beta=scale)``
skewnorm       ``SkewNormal(mu=loc, sigma=scale, alpha=a)``
uniform        ``Uniform(lower=loc, upper=loc + scale)``
truncnorm      ``TruncatedNormal(mu=loc, sigma=scale, lower=loc + a*scale, upper=loc + b*scale)``
beta           ``Beta(alpha=a, beta=b)``
gamma          ``Gamma(alpha=a, beta=1/scale)``
invgamma       ``InverseGamma(alpha=a, beta=scale)``
halfnorm       ``HalfNormal(sigma=scale)``
halfcauchy     ``HalfCauchy(beta=scale)``
lognorm        ``LogNormal(mu=log(scale), sigma=s)``
expon          ``Exponential(lam=1/scale)``
weibull_min    ``Weibull(alpha=c, beta=scale)``
pareto         ``Pareto(alpha=b, m=scale)``
invgauss       ``Wald(mu=mu*scale, lam=scale)``
chi2           ``ChiSquared(nu=df)``; with ``scale != 1``: ``Gamma(alpha=df/2, beta=1/(2*scale))``
loguniform     ``CustomDist``: ``loc + scale * exp(Uniform(log a, log b))`` (PyMC has no
               log-uniform; its density is derived by PyMC's change-of-variables logprob)
=============  ==================================================================

Families without a PyMC location (``beta`` and below) are shifted by a ``CustomDist`` when
``loc != 0`` (see :mod:`bayesgd.families.pymc_forms`). ``reciprocal`` is ``loguniform``'s other
scipy name.

Examples
--------
>>> from bayesgd.families import family
>>> float(family("expon").dlogpdf(2.0))
-1.0
>>> family("chi2").roles["gamma"]((3.0,), 0.0, 2.0)  # chi2(3, scale=2): gamma(1.5, rate 1/4)
(1.5, 0.25)
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaln, gammaln, log_ndtr, xlog1py, xlogy

from .pymc_forms import affine_custom, native
from .record import Family, register

__all__: list[str] = []

_LOG_2PI = np.log(2.0 * np.pi)


# ------------------------------------------------------------------------------ densities
def _t_logpdf(z, df):
    return (
        gammaln((df + 1) / 2)
        - gammaln(df / 2)
        - 0.5 * np.log(df * np.pi)
        - (df + 1) / 2 * np.log1p(z * z / df)
    )


def _logistic_logpdf(z):
    az = np.abs(z)
    return -az - 2.0 * np.log1p(np.exp(-az))


def _truncnorm_logpdf(z, a, b):
    # log(Phi(b) - Phi(a)) computed on the side of the smaller tail
    upper = a > 0
    lo = np.where(upper, -b, a)
    hi = np.where(upper, -a, b)
    log_mass = log_ndtr(hi) + np.log1p(-np.exp(log_ndtr(lo) - log_ndtr(hi)))
    return -0.5 * z * z - 0.5 * _LOG_2PI - log_mass


def _skewnorm_logpdf(z, a):
    return np.log(2.0) - 0.5 * z * z - 0.5 * _LOG_2PI + log_ndtr(a * z)


def _skewnorm_dlogpdf(z, a):
    # phi(az) / Phi(az) through logs: no 0/0 far in the lower tail
    az = a * z
    return -z + a * np.exp(-0.5 * az * az - 0.5 * _LOG_2PI - log_ndtr(az))


def _invgauss_logpdf(z, mu):
    return -0.5 * _LOG_2PI - 1.5 * np.log(z) - (z - mu) ** 2 / (2.0 * z * mu * mu)


def _invgauss_dlogpdf(z, mu):
    return -1.5 / z - 0.5 / (mu * mu) + 0.5 / (z * z)


# ------------------------------------------------------------------------- PyMC builders
def _truncnorm_pymc(a, b, loc, scale):
    lower = loc + a * scale
    upper = loc + b * scale
    return {
        "mu": loc,
        "sigma": scale,
        "lower": lower if np.all(np.isfinite(lower)) else None,
        "upper": upper if np.all(np.isfinite(upper)) else None,
    }


def _beta_pymc(name, prior, shape):
    import pymc as pm

    a, b = prior._shape_args
    if np.all(prior.loc == 0.0) and np.all(prior.scale == 1.0):
        return pm.Beta(name, alpha=a, beta=b, shape=shape)

    def base(alpha, beta, size):
        return pm.Beta.dist(alpha, beta, size=size)

    return affine_custom(name, prior, shape, base, prior._shape_args, scale=prior.scale)


def _loguniform_pymc(name, prior, shape):
    import pymc as pm
    import pytensor.tensor as pt

    a, b = prior._shape_args

    def base(log_a, log_b, size):
        return pt.exp(pm.Uniform.dist(log_a, log_b, size=size))

    return affine_custom(name, prior, shape, base, (np.log(a), np.log(b)), scale=prior.scale)


_chi2_native = native("ChiSquared", lambda df, loc, scale: {"nu": df}, located=False)
_chi2_gamma = native(
    "Gamma",
    lambda df, loc, scale: {"alpha": df / 2.0, "beta": 1.0 / (2.0 * scale)},
    located=False,
)


def _chi2_pymc(name, prior, shape):
    unit = bool(np.all(prior.scale == 1.0))
    return (_chi2_native if unit else _chi2_gamma)(name, prior, shape)


# ------------------------------------------------------------------------- conjugate roles
def _beta_role(shapes, loc, scale):
    if np.any(loc != 0) or np.any(scale != 1):
        return " (a beta prior must have the standard loc=0, scale=1 to be conjugate)"
    return shapes[0], shapes[1]


def _uniform_beta_role(shapes, loc, scale):
    if np.all(loc == 0) and np.all(scale == 1):
        return np.ones(loc.shape), np.ones(loc.shape)
    return ""


def _gamma_role(family, shape_of, rate_of):
    def role(shapes, loc, scale):
        if np.any(loc != 0):
            return f" (a {family} prior must have loc=0 to be conjugate)"
        return shape_of(shapes, scale), rate_of(scale)

    return role


def _invgamma_role(shapes, loc, scale):
    if np.any(loc != 0):
        return " (an invgamma prior must have loc=0)"
    return shapes[0], scale


# ---------------------------------------------------------------------------- the records
register(
    Family(
        "norm",
        lambda z: -0.5 * z * z - 0.5 * _LOG_2PI,
        lambda z: -z,
        native("Normal", lambda loc, scale: {"mu": loc, "sigma": scale}),
        roles={"normal": lambda shapes, loc, scale: (loc, scale)},
        hdi="central",
    )
)
register(
    Family(
        "t",
        _t_logpdf,
        lambda z, df: -(df + 1) * z / (df + z * z),
        native("StudentT", lambda df, loc, scale: {"nu": df, "mu": loc, "sigma": scale}),
        hdi="central",
    )
)
register(
    Family(
        "cauchy",
        lambda z: -np.log(np.pi) - np.log1p(z * z),
        lambda z: -2.0 * z / (1.0 + z * z),
        native("Cauchy", lambda loc, scale: {"alpha": loc, "beta": scale}),
        hdi="central",
    )
)
register(
    Family(
        "laplace",
        lambda z: -np.log(2.0) - np.abs(z),
        lambda z: -np.sign(z),
        native("Laplace", lambda loc, scale: {"mu": loc, "b": scale}),
        hdi="central",
    )
)
register(
    Family(
        "logistic",
        _logistic_logpdf,
        lambda z: -np.tanh(z / 2.0),
        native("Logistic", lambda loc, scale: {"mu": loc, "s": scale}),
        hdi="central",
    )
)
register(
    Family(
        "gumbel_r",
        lambda z: -z - np.exp(-z),
        lambda z: -1.0 + np.exp(-z),
        native("Gumbel", lambda loc, scale: {"mu": loc, "beta": scale}),
    )
)
register(
    Family(
        "skewnorm",
        _skewnorm_logpdf,
        _skewnorm_dlogpdf,
        native("SkewNormal", lambda a, loc, scale: {"mu": loc, "sigma": scale, "alpha": a}),
    )
)
register(
    Family(
        "uniform",
        lambda z: np.zeros(np.shape(z)),
        lambda z: np.zeros(np.shape(z)),
        native("Uniform", lambda loc, scale: {"lower": loc, "upper": loc + scale}),
        roles={"beta": _uniform_beta_role},
        hdi="central",
    )
)
register(
    Family(
        "truncnorm",
        _truncnorm_logpdf,
        lambda z, a, b: -z,
        native("TruncatedNormal", _truncnorm_pymc),
        infinite_ok=("a", "b"),
    )
)
register(
    Family(
        "invgauss",
        _invgauss_logpdf,
        _invgauss_dlogpdf,
        # scipy's x = loc + scale * z, z ~ IG(mean mu, shape 1): Wald(mean mu*scale, lam scale);
        # Wald's own shift alpha must be >= 0, so loc goes through the CustomDist shift
        native("Wald", lambda mu, loc, scale: {"mu": mu * scale, "lam": scale}, located=False),
    )
)
register(
    Family(
        "beta",
        lambda z, a, b: xlogy(a - 1, z) + xlog1py(b - 1, -z) - betaln(a, b),
        lambda z, a, b: (a - 1) / z - (b - 1) / (1 - z),
        _beta_pymc,
        roles={"beta": _beta_role},
        hdi="beta",
    )
)
register(
    Family(
        "gamma",
        lambda z, a: xlogy(a - 1, z) - z - gammaln(a),
        lambda z, a: (a - 1) / z - 1.0,
        native("Gamma", lambda a, loc, scale: {"alpha": a, "beta": 1.0 / scale}, located=False),
        roles={"gamma": _gamma_role("gamma", lambda s, scale: s[0], lambda scale: 1.0 / scale)},
        hdi="gamma",
    )
)
register(
    Family(
        "invgamma",
        lambda z, a: -(a + 1) * np.log(z) - 1.0 / z - gammaln(a),
        lambda z, a: -(a + 1) / z + 1.0 / (z * z),
        native("InverseGamma", lambda a, loc, scale: {"alpha": a, "beta": scale}, located=False),
        roles={"invgamma": _invgamma_role},
        hdi="invgamma",
    )
)
register(
    Family(
        "halfnorm",
        lambda z: -0.5 * z * z + 0.5 * np.log(2.0 / np.pi),
        lambda z: -z,
        native("HalfNormal", lambda loc, scale: {"sigma": scale}, located=False),
    )
)
register(
    Family(
        "halfcauchy",
        lambda z: np.log(2.0 / np.pi) - np.log1p(z * z),
        lambda z: -2.0 * z / (1.0 + z * z),
        native("HalfCauchy", lambda loc, scale: {"beta": scale}, located=False),
    )
)
register(
    Family(
        "lognorm",
        lambda z, s: -np.log(z * s) - 0.5 * _LOG_2PI - np.log(z) ** 2 / (2 * s * s),
        lambda z, s: -(1.0 + np.log(z) / (s * s)) / z,
        native(
            "LogNormal", lambda s, loc, scale: {"mu": np.log(scale), "sigma": s}, located=False
        ),
        hdi="lognorm",
    )
)
register(
    Family(
        "expon",
        lambda z: -z,
        lambda z: -np.ones(np.shape(z)),
        native("Exponential", lambda loc, scale: {"lam": 1.0 / scale}, located=False),
        roles={
            "gamma": _gamma_role(
                "expon", lambda s, scale: np.ones(scale.shape), lambda scale: 1.0 / scale
            )
        },
    )
)
register(
    Family(
        "weibull_min",
        lambda z, c: np.log(c) + xlogy(c - 1, z) - z**c,
        lambda z, c: (c - 1) / z - c * z ** (c - 1),
        native("Weibull", lambda c, loc, scale: {"alpha": c, "beta": scale}, located=False),
    )
)
register(
    Family(
        "pareto",
        lambda z, b: np.log(b) - (b + 1) * np.log(z),
        lambda z, b: -(b + 1) / z,
        native("Pareto", lambda b, loc, scale: {"alpha": b, "m": scale}, located=False),
    )
)
register(
    Family(
        "chi2",
        lambda z, df: xlogy(df / 2 - 1, z) - z / 2 - df / 2 * np.log(2.0) - gammaln(df / 2),
        lambda z, df: (df / 2 - 1) / z - 0.5,
        _chi2_pymc,
        roles={
            "gamma": _gamma_role("chi2", lambda s, scale: 0.5 * s[0], lambda scale: 0.5 / scale)
        },
        hdi="gamma",
        hdi_form=lambda shapes, scale: ((0.5 * shapes[0],), 2.0 * scale),
    )
)
register(
    Family(
        "loguniform",
        lambda z, a, b: -np.log(z) - np.log(np.log(b / a)),
        lambda z, a, b: -1.0 / z,
        _loguniform_pymc,
    ),
    "reciprocal",
)
