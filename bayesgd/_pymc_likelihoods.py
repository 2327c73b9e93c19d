"""Building blocks of :func:`bayesgd.to_pymc`: priors, likelihoods and a black-box Op.

This module imports PyMC and PyTensor at the top: it is only ever imported from inside the
functions of :mod:`bayesgd.pymc`, never by ``import bayesgd``.

Priors
------
Every scipy.stats family a model accepts is written with PyMC's own distribution and the same
parametrisation (scipy ``loc``/``scale``/shape arguments become PyMC's arguments):

=============  ==================================================================
scipy          PyMC
=============  ==================================================================
norm           ``Normal(mu=loc, sigma=scale)``
t              ``StudentT(nu=df, mu=loc, sigma=scale)``
cauchy         ``Cauchy(alpha=loc, beta=scale)``
laplace        ``Laplace(mu=loc, b=scale)``
logistic       ``Logistic(mu=loc, s=scale)``
gumbel_r       ``Gumbel(mu=loc, beta=scale)``
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
chi2           ``ChiSquared(nu=df)``; with ``scale != 1``: ``Gamma(alpha=df/2, beta=1/(2*scale))``
loguniform     ``CustomDist``: ``loc + scale * exp(Uniform(log a, log b))`` (PyMC has no
               log-uniform; its density is derived by PyMC's change-of-variables logprob)
=============  ==================================================================

Families whose PyMC distribution has no location (and ``beta``, which has no scale either) get a
``pm.CustomDist`` of ``loc + scale * base`` when ``loc != 0`` (or ``scale != 1`` for beta), with an
explicit interval transform onto the prior's support so that NUTS still samples on the real line;
PyMC derives the log density of the shifted/scaled variable itself. ``reciprocal`` is
``loguniform``'s other scipy name. Joint priors: ``dirichlet`` -> ``Dirichlet``,
``multivariate_normal`` -> ``MvNormal``, scipy's ``normal_inverse_gamma(mu, lmbda, a, b)`` ->
``sigma2 ~ InverseGamma(a, b)``, ``mu ~ Normal(mu, sqrt(sigma2/lmbda))``, and
:class:`bayesgd.priors.NormalInverseGamma` -> ``sigma2 ~ InverseGamma(a, b)``,
``coef ~ MvNormal(mean, sigma2 * cov)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op

from .models.base import Model, NaNLikelihoodError, warn_finite_differences
from .priors import DirichletPrior, MvNIGPrior, MvNormalPrior, NIGPrior, Prior, UnivariatePrior

__all__ = ["LogLikelihoodOp", "add_likelihood", "add_prior", "unique_name"]

_LOG_2PI = float(np.log(2.0 * np.pi))


def unique_name(base: str, taken: set[str]) -> str:
    """``base``, or ``base_`` ... if ``base`` is already a variable name."""
    name = base
    while name in taken:
        name += "_"
    return name


# ---------------------------------------------------------------------------------- priors
def _bounds_transform(low: np.ndarray, high: np.ndarray) -> Any:
    """PyMC interval transform onto ``[low, high]`` (array bounds allowed, inf means open)."""
    lower = None if not np.all(np.isfinite(low)) else pt.constant(np.asarray(low, dtype=float))
    upper = None if not np.all(np.isfinite(high)) else pt.constant(np.asarray(high, dtype=float))
    if lower is None and upper is None:
        return None

    def bounds_fn(*rv_inputs):
        return lower, upper

    return pm.distributions.transforms.Interval(bounds_fn=bounds_fn)


def _affine_custom(
    name: str,
    prior: UnivariatePrior,
    shape: tuple[int, ...],
    base: Callable[..., Any],
    base_args: tuple[np.ndarray, ...],
    *,
    scale: np.ndarray | None = None,
) -> Any:
    """``loc + [scale *] base(*base_args)`` as a named variable whose logp PyMC derives."""
    loc = prior.loc
    scaled = scale is not None

    def dist(loc_, *rest):  # PyMC passes the parameters, then size, positionally
        *args, size = rest
        if scaled:
            *inner, scale_ = args
            return loc_ + scale_ * base(*inner, size=size)
        return loc_ + base(*args, size=size)

    params = (loc, *base_args, *((scale,) if scaled else ()))
    low, high = prior.support(name)
    return pm.CustomDist(
        name,
        *params,
        dist=dist,
        transform=_bounds_transform(low, high),
        shape=shape,
    )


def _univariate(name: str, prior: UnivariatePrior, shape: tuple[int, ...]) -> Any:
    fam = prior.family
    loc, scale, args = prior.loc, prior.scale, prior._shape_args
    at_zero = bool(np.all(loc == 0.0))
    unit = bool(np.all(scale == 1.0))
    if fam == "norm":
        return pm.Normal(name, mu=loc, sigma=scale, shape=shape)
    if fam == "t":
        return pm.StudentT(name, nu=args[0], mu=loc, sigma=scale, shape=shape)
    if fam == "cauchy":
        return pm.Cauchy(name, alpha=loc, beta=scale, shape=shape)
    if fam == "laplace":
        return pm.Laplace(name, mu=loc, b=scale, shape=shape)
    if fam == "logistic":
        return pm.Logistic(name, mu=loc, s=scale, shape=shape)
    if fam == "gumbel_r":
        return pm.Gumbel(name, mu=loc, beta=scale, shape=shape)
    if fam == "uniform":
        return pm.Uniform(name, lower=loc, upper=loc + scale, shape=shape)
    if fam == "truncnorm":
        a, b = args
        lower = loc + a * scale
        upper = loc + b * scale
        return pm.TruncatedNormal(
            name,
            mu=loc,
            sigma=scale,
            lower=lower if np.all(np.isfinite(lower)) else None,
            upper=upper if np.all(np.isfinite(upper)) else None,
            shape=shape,
        )
    if fam in ("loguniform", "reciprocal"):
        a, b = args

        def base(log_a, log_b, size):
            return pt.exp(pm.Uniform.dist(log_a, log_b, size=size))

        return _affine_custom(name, prior, shape, base, (np.log(a), np.log(b)), scale=scale)
    if fam == "beta":
        if at_zero and unit:
            return pm.Beta(name, alpha=args[0], beta=args[1], shape=shape)

        def base(alpha, beta, size):
            return pm.Beta.dist(alpha, beta, size=size)

        return _affine_custom(name, prior, shape, base, args, scale=scale)
    # families with a scale argument but no location: shifted by a CustomDist when loc != 0
    if fam == "chi2" and unit:
        native, native_args = pm.ChiSquared, {"nu": args[0]}
    elif fam in ("gamma", "chi2"):
        alpha = args[0] if fam == "gamma" else args[0] / 2.0
        rate = 1.0 / scale if fam == "gamma" else 1.0 / (2.0 * scale)
        native, native_args = pm.Gamma, {"alpha": alpha, "beta": rate}
    elif fam == "invgamma":
        native, native_args = pm.InverseGamma, {"alpha": args[0], "beta": scale}
    elif fam == "halfnorm":
        native, native_args = pm.HalfNormal, {"sigma": scale}
    elif fam == "halfcauchy":
        native, native_args = pm.HalfCauchy, {"beta": scale}
    elif fam == "lognorm":
        native, native_args = pm.LogNormal, {"mu": np.log(scale), "sigma": args[0]}
    elif fam == "expon":
        native, native_args = pm.Exponential, {"lam": 1.0 / scale}
    elif fam == "weibull_min":
        native, native_args = pm.Weibull, {"alpha": args[0], "beta": scale}
    else:  # pragma: no cover - every accepted family is listed above
        raise TypeError(f"no PyMC equivalent for scipy.stats.{fam} (prior of {name!r})")
    if at_zero:
        return native(name, **native_args, shape=shape)
    keys = tuple(native_args)

    def shifted(*values, size):
        return native.dist(**dict(zip(keys, values, strict=True)), size=size)

    return _affine_custom(
        name,
        prior,
        shape,
        shifted,
        tuple(np.asarray(v, dtype=float) for v in native_args.values()),
    )


def add_prior(prior: Prior, model: Model) -> dict[str, Any]:
    """Create the PyMC free variable(s) of one prior inside the current ``pm.Model`` context."""
    shapes = {n: model.parameters[n].shape for n in prior.names}
    hook = getattr(prior, "_pymc_variables", None)
    if callable(hook):
        return dict(hook(shapes))
    if isinstance(prior, UnivariatePrior):
        name = prior.names[0]
        return {name: _univariate(name, prior, shapes[name])}
    if isinstance(prior, DirichletPrior):
        name = prior.names[0]
        return {name: pm.Dirichlet(name, a=prior.alpha)}
    if isinstance(prior, MvNormalPrior):
        name = prior.names[0]
        return {name: pm.MvNormal(name, mu=prior.mean_, chol=prior.chol)}
    if isinstance(prior, NIGPrior):
        x_name, s2_name = prior.names
        shape = shapes[x_name]
        s2 = pm.InverseGamma(s2_name, alpha=prior.a, beta=prior.b, shape=shape)
        x = pm.Normal(x_name, mu=prior.mu, sigma=pt.sqrt(s2 / prior.lmbda), shape=shape)
        return {x_name: x, s2_name: s2}
    if isinstance(prior, MvNIGPrior):
        x_name, s2_name = prior.names
        nig = prior.dist
        s2 = pm.InverseGamma(s2_name, alpha=nig.a, beta=nig.b)
        x = pm.MvNormal(x_name, mu=nig.mean_, chol=pt.sqrt(s2) * nig.chol)
        return {x_name: x, s2_name: s2}
    raise TypeError(
        f"to_pymc cannot translate the prior {prior!r} ({type(prior).__name__}); give it a "
        "_pymc_variables(shapes) method returning its PyMC variables"
    )


# -------------------------------------------------------------------- black-box likelihood
class _GradLogLikelihoodOp(Op):
    """Gradient of a bayesgd model's log likelihood, one output per free parameter."""

    def __init__(self, model: Model):
        self.model = model
        self.names = list(model.parameters)

    def make_node(self, *inputs):
        inputs = [pt.as_tensor_variable(x, dtype="float64") for x in inputs]
        return Apply(self, inputs, [x.type() for x in inputs])

    def perform(self, node, inputs, outputs):
        # a NaN or infinite gradient goes to the sampler as it is: NUTS counts the step as a
        # divergence (as for PyMC's own NaN gradients) instead of the whole run failing
        values = dict(zip(self.names, inputs, strict=True))
        try:
            grads = self.model.grad_log_likelihood(**values)
        except NaNLikelihoodError:
            grads = {name: np.full(np.shape(x), np.nan) for name, x in values.items()}
        for out, name, x in zip(outputs, self.names, inputs, strict=True):
            out[0] = np.asarray(grads[name], dtype=float).reshape(np.shape(x))


class LogLikelihoodOp(Op):
    """A bayesgd model's NumPy log likelihood as a PyTensor Op with a gradient.

    ``perform`` calls ``model.log_likelihood(**params)``; ``grad`` calls
    ``model.grad_log_likelihood`` (the analytic gradient when the model has one, otherwise the
    model's central finite differences), so NUTS can run on any :class:`bayesgd.Model`.

    Examples
    --------
    >>> import numpy as np, pytensor.tensor as pt
    >>> from scipy import stats
    >>> import bayesgd as bg
    >>> m = bg.Model(priors={"mu": stats.norm(0, 1)},
    ...              log_likelihood=lambda mu: -0.5 * (1.0 - mu) ** 2,
    ...              grad_log_likelihood=lambda mu: {"mu": 1.0 - mu})
    >>> float(LogLikelihoodOp(m)(pt.constant(0.0)).eval())
    -0.5
    """

    def __init__(self, model: Model):
        self.model = model
        self.names = list(model.parameters)
        self.grad_op = _GradLogLikelihoodOp(model)

    def make_node(self, *inputs):
        if len(inputs) != len(self.names):
            raise TypeError(f"expected {len(self.names)} inputs ({self.names}), got {len(inputs)}")
        inputs = [pt.as_tensor_variable(x, dtype="float64") for x in inputs]
        return Apply(self, inputs, [pt.dscalar()])

    def perform(self, node, inputs, outputs):
        try:
            ll = self.model.log_likelihood(**dict(zip(self.names, inputs, strict=True)))
        except NaNLikelihoodError:  # a divergence for NUTS, as a NaN log density is in PyMC
            ll = np.nan
        outputs[0][0] = np.asarray(ll, dtype=float).reshape(())

    def grad(self, inputs, output_grads):
        grads = self.grad_op(*inputs)
        if not isinstance(grads, list | tuple):
            grads = [grads]
        return [output_grads[0] * g for g in grads]


# ------------------------------------------------------------------------- likelihoods
def _xlogy(x: np.ndarray, y: Any) -> Any:
    """``x * log(y)`` with ``0 log 0 = 0`` for constant ``x``."""
    x = np.asarray(x, dtype=float)
    if np.all(x != 0):
        return x * pt.log(y)
    return pt.switch(pt.constant(x != 0), x * pt.log(y), 0.0)


def _xlog1py(x: np.ndarray, y: Any) -> Any:
    x = np.asarray(x, dtype=float)
    if np.all(x != 0):
        return x * pt.log1p(y)
    return pt.switch(pt.constant(x != 0), x * pt.log1p(y), 0.0)


def _scale(v: Mapping[str, Any]) -> Any:
    return v["sigma"] if "sigma" in v else pt.sqrt(v["sigma2"])


def _variance(v: Mapping[str, Any]) -> Any:
    return v["sigma"] ** 2 if "sigma" in v else v["sigma2"]


def _eta(model: Model, v: Mapping[str, Any], data: Mapping[str, np.ndarray]) -> Any:
    eta = pt.dot(pt.as_tensor_variable(data["X"]), v["coef"])
    if "intercept" in v:
        eta = eta + v["intercept"]
    if "offset" in data:
        eta = eta + data["offset"]
    return eta


def _observed(model: Model, v: Mapping[str, Any], taken: set[str]) -> None:
    """The likelihood as observed PyMC variables, from ``model.data``."""
    fam = model.likelihood
    d = model.data
    assert d is not None
    if fam == "bernoulli":
        pm.Bernoulli(unique_name("y", taken), p=v["p"], observed=d["y"])
    elif fam == "binomial":
        pm.Binomial(unique_name("k", taken), n=d["n"], p=v["p"], observed=d["k"])
    elif fam == "geometric":
        pm.Geometric(unique_name("k", taken), p=v["p"], observed=d["k"])
    elif fam == "negative_binomial":
        r = np.asarray(d["r"], dtype=float)  # one per observation, as kept with k
        if r.size and np.all(r == r.flat[0]):
            r = float(r.flat[0])  # PyTensor 2.38 fails a rewrite on a constant all-equal vector
        pm.NegativeBinomial(unique_name("k", taken), n=r, p=v["p"], observed=d["k"])
    elif fam == "poisson":
        pm.Poisson(unique_name("k", taken), mu=v["mu"] * d["exposure"], observed=d["k"])
    elif fam == "exponential":
        pm.Exponential(unique_name("y", taken), lam=v["lam"], observed=d["y"])
    elif fam == "normal":
        pm.Normal(unique_name("y", taken), mu=v["mu"], sigma=_scale(v), observed=d["y"])
    elif fam == "multinomial":
        x = np.asarray(d["x"])
        pm.Multinomial(unique_name("x", taken), n=x.sum(axis=-1), p=v["p"], observed=x)
    elif fam == "categorical":
        pm.Categorical(unique_name("y", taken), p=v["p"], observed=np.asarray(d["y"]))
    elif fam == "linear":
        pm.Normal(unique_name("y", taken), mu=_eta(model, v, d), sigma=_scale(v), observed=d["y"])
    elif fam == "logistic":
        pm.Bernoulli(unique_name("y", taken), logit_p=_eta(model, v, d), observed=d["y"])
    elif fam == "poisson_regression":
        pm.Poisson(unique_name("y", taken), mu=pt.exp(_eta(model, v, d)), observed=d["y"])
    else:  # pragma: no cover - guarded by KNOWN_FAMILIES
        raise TypeError(f"unknown likelihood family {fam!r}")


def _from_stats(model: Model, v: Mapping[str, Any]) -> Any:
    """The log likelihood from ``model.stats`` (the data were not kept)."""
    fam = model.likelihood
    s = {k: np.asarray(val, dtype=float) for k, val in model.stats.items()}
    if fam in ("bernoulli", "binomial", "geometric", "negative_binomial"):
        p = v["p"]
        ll = _xlogy(s["successes"], p) + _xlog1py(s["failures"], -p) + s["const"]
    elif fam == "poisson":
        ll = _xlogy(s["events"], v["mu"]) - v["mu"] * s["exposure"] + s["const"]
    elif fam == "exponential":
        ll = s["n"] * pt.log(v["lam"]) - v["lam"] * s["total"]
    elif fam == "normal":
        s2 = _variance(v)
        n = s["n"]
        ll = -0.5 * n * (_LOG_2PI + pt.log(s2)) - (s["m2"] + n * (s["mean"] - v["mu"]) ** 2) / (
            2 * s2
        )
    elif fam in ("multinomial", "categorical"):
        ll = pt.sum(_xlogy(s["counts"], v["p"])) + s["const"]
    elif fam == "linear":
        coef = v["coef"]
        if "intercept" in model.parameters:
            coef = pt.concatenate([pt.atleast_1d(v["intercept"]), coef])
        diff = coef - s["coef_ols"]
        quad = pt.dot(diff, pt.dot(s["xtx"], diff))
        s2 = _variance(v)
        ll = -0.5 * s["n"] * (_LOG_2PI + pt.log(s2)) - (s["rss"] + quad) / (2 * s2)
    else:
        return None
    return pt.sum(ll)


#: Likelihood families written with PyMC's own observed distributions.
KNOWN_FAMILIES = (
    "bernoulli",
    "binomial",
    "geometric",
    "negative_binomial",
    "poisson",
    "exponential",
    "normal",
    "multinomial",
    "categorical",
    "linear",
    "logistic",
    "poisson_regression",
)


def add_likelihood(model: Model, params: Mapping[str, Any], taken: set[str]) -> str:
    """Add the model's likelihood to the current ``pm.Model``; return how it was written.

    Order: the model's own ``_pymc_likelihood(params)`` hook; PyMC's observed distribution of
    a known family with ``model.data``; a ``pm.Potential`` from ``model.stats`` when the data
    were not kept; otherwise the NumPy log likelihood wrapped in :class:`LogLikelihoodOp`.
    """
    hook = getattr(model, "_pymc_likelihood", None)
    if callable(hook):
        hook(dict(params))
        return "hook"
    fam = model.likelihood
    if fam in KNOWN_FAMILIES and model.data is not None:
        _observed(model, params, taken)
        return "observed"
    if fam in KNOWN_FAMILIES:
        ll = _from_stats(model, params)
        if ll is not None:
            pm.Potential(unique_name("log_likelihood", taken), ll)
            return "stats"
    warn_finite_differences(model, stacklevel=4)
    free = [params[n] for n in model.parameters]
    pm.Potential(unique_name("log_likelihood", taken), LogLikelihoodOp(model)(*free))
    return "op"
