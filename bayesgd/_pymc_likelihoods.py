"""Building blocks of :func:`bayesgd.to_pymc`: priors, likelihoods and a black-box Op.

This module imports PyMC and PyTensor at the top: it is only ever imported from inside the
functions of :mod:`bayesgd.pymc`, never by ``import bayesgd``.

Priors
------
Each prior writes its own PyMC variables (``Prior._pymc_variables``): a univariate prior
through its family record's constructor (the table of parametrisations is in
:mod:`bayesgd.families.univariate`), a joint prior through its class.

Likelihoods
-----------
Each model class writes its own likelihood (``Model._pymc_likelihood``), with the helpers
below; a model without one (or whose hook returns ``NotImplemented``) gets its NumPy log
likelihood wrapped in :class:`LogLikelihoodOp`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op

from .families import Prior
from .models.base import Model, NaNLikelihoodError, warn_finite_differences

__all__ = ["LogLikelihoodOp", "add_likelihood", "add_prior", "unique_name"]

_LOG_2PI = float(np.log(2.0 * np.pi))


def unique_name(base: str, taken: set[str]) -> str:
    """``base``, or ``base_`` ... if ``base`` is already a variable name."""
    name = base
    while name in taken:
        name += "_"
    return name


# ---------------------------------------------------------------------------------- priors
def add_prior(prior: Prior, model: Model) -> dict[str, Any]:
    """Create the PyMC free variable(s) of one prior inside the current ``pm.Model`` context."""
    shapes = {n: model.parameters[n].shape for n in prior.names}
    return dict(prior._pymc_variables(shapes))


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
