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

__all__ = [
    "LogLikelihoodOp",
    "add_likelihood",
    "add_prior",
    "float_stats",
    "linear_predictor",
    "observed",
    "potential",
    "scale_of",
    "unique_name",
    "variance_of",
    "xlog1py",
    "xlogy",
]


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
# Helpers for the models' ``_pymc_likelihood`` hooks: each model class writes its own family.
def xlogy(x: Any, y: Any) -> Any:
    """``x * log(y)`` with ``0 log 0 = 0`` for constant ``x``."""
    x = np.asarray(x, dtype=float)
    if np.all(x != 0):
        return x * pt.log(y)
    return pt.switch(pt.constant(x != 0), x * pt.log(y), 0.0)


def xlog1py(x: Any, y: Any) -> Any:
    """``x * log1p(y)`` with ``0 log 1 = 0`` for constant ``x``."""
    x = np.asarray(x, dtype=float)
    if np.all(x != 0):
        return x * pt.log1p(y)
    return pt.switch(pt.constant(x != 0), x * pt.log1p(y), 0.0)


def scale_of(v: Mapping[str, Any]) -> Any:
    """The noise scale from ``sigma`` or ``sigma2``, whichever the model has."""
    return v["sigma"] if "sigma" in v else pt.sqrt(v["sigma2"])


def variance_of(v: Mapping[str, Any]) -> Any:
    """The noise variance from ``sigma`` or ``sigma2``, whichever the model has."""
    return v["sigma"] ** 2 if "sigma" in v else v["sigma2"]


def linear_predictor(v: Mapping[str, Any], data: Mapping[str, Any]) -> Any:
    """``X @ coef [+ intercept] [+ offset]`` of a regression."""
    eta = pt.dot(pt.as_tensor_variable(data["X"]), v["coef"])
    if "intercept" in v:
        eta = eta + v["intercept"]
    if "offset" in data:
        eta = eta + data["offset"]
    return eta


def float_stats(model: Model) -> dict[str, np.ndarray]:
    """The model's sufficient statistics as float arrays."""
    return {k: np.asarray(val, dtype=float) for k, val in model.stats.items()}


def observed(model: Model, dist: str, base: str, data: Any, **params: Any) -> Any:
    """``pm.<dist>`` observed at ``data``, named ``base`` (``base_`` ... if a parameter is)."""
    name = unique_name(base, set(model.parameters) | set(model.fixed))
    return getattr(pm, dist)(name, **params, observed=data)


def potential(model: Model, log_likelihood: Any) -> Any:
    """The summed ``log_likelihood`` as a ``pm.Potential`` (data not kept: statistics)."""
    name = unique_name("log_likelihood", set(model.parameters) | set(model.fixed))
    return pm.Potential(name, pt.sum(log_likelihood))


def add_likelihood(model: Model, params: Mapping[str, Any], taken: set[str]) -> str:
    """Add the model's likelihood to the current ``pm.Model``; return how it was written.

    The model's own ``_pymc_likelihood(params)`` hook writes it (``"hook"``), unless the hook
    returns ``NotImplemented`` (the base class's default): then the NumPy log likelihood is wrapped
    in :class:`LogLikelihoodOp` as a ``pm.Potential`` (``"op"``).
    """
    if model._pymc_likelihood(dict(params)) is not NotImplemented:
        return "hook"
    warn_finite_differences(model, stacklevel=4)
    free = [params[n] for n in model.parameters]
    pm.Potential(unique_name("log_likelihood", taken), LogLikelihoodOp(model)(*free))
    return "op"
