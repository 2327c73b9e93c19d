"""The bridge both ways: a bayesgd model written in PyMC, and a PyMC model as a bayesgd model.

* :func:`to_pymc` writes a bayesgd model as the equivalent ``pm.Model`` (same parameter names,
  shapes and parametrisation; see :mod:`bayesgd._pymc_likelihoods` for the table of priors).
* :func:`model_from_pymc` goes the other way: any PyMC model with continuous free variables
  becomes a :class:`bayesgd.Model` (:class:`PyMCModel`) on PyMC's value space (the compiled
  log densities are in :mod:`bayesgd.pymc.compiled`).

Examples
--------
>>> from scipy import stats
>>> import bayesgd as bg
>>> pm_model = to_pymc(bg.Binomial(k=7, n=10, p=stats.beta(2, 2)))
>>> [v.name for v in pm_model.free_RVs]
['p']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ..models.base import Model, Parameter, routes_to_hierarchical
from ..priors import Prior
from ..transforms import transform_for_support

if TYPE_CHECKING:
    pass

from .compiled import _CHUNK_ELEMENTS, _Batched, _PyMCEvaluator

__all__ = ["PyMCModel", "PyMCPrior", "model_from_pymc", "to_pymc"]


def _check_model(model: Any, what: str = "model") -> None:
    if not isinstance(model, Model):
        raise TypeError(f"{what} must be a bayesgd Model, got {type(model).__name__}")


# =============================================================================== to_pymc
def to_pymc(model: Model) -> Any:
    """The equivalent PyMC model.

    Every free parameter becomes one PyMC free variable with the same name and shape, its prior
    written with PyMC's distribution of the same family and parametrisation (the table is in
    :mod:`bayesgd._pymc_likelihoods`; a shifted or scaled family PyMC has no location for is a
    ``pm.CustomDist`` of ``loc + scale * X``, and ``loguniform`` is ``exp(Uniform(log a,
    log b))``, both with an interval transform onto the support). Fixed parameters enter as
    constants.

    The likelihood, in this order of preference:

    1. the model's own hook ``model._pymc_likelihood(params)``, called inside the ``pm.Model``
       context with a dict of the free variables and the fixed values (as constants); it adds
       the observed likelihood itself;
    2. for the built-in families with their data kept (``model.data``), PyMC's observed
       distribution: ``Bernoulli`` (``y``), ``Binomial`` (``k`` of ``n``), ``Geometric``,
       ``NegativeBinomial(n=r, p=p)``, ``Poisson(mu * exposure)``, ``Exponential(lam)``,
       ``Normal(mu, sigma or sqrt(sigma2))``, ``Multinomial`` (``n`` = row sums),
       ``Categorical``, ``Normal(intercept + X @ coef, sigma)`` for linear regression,
       ``Bernoulli(logit_p=...)`` for logistic and ``Poisson(exp(... + offset))`` for Poisson
       regression;
    3. when the data were not kept (``model.data is None``, after streaming updates past the
       storage limit), a ``pm.Potential`` named ``log_likelihood`` built from the sufficient
       statistics ``model.stats`` (the same log likelihood, constants included; the PyMC model
       then has no observed variable for posterior predictive checks);
    4. any other model (a custom :class:`bayesgd.Model`): its NumPy log likelihood wrapped in
       a PyTensor Op whose gradient is ``model.grad_log_likelihood`` (analytic when given, the
       model's central finite differences otherwise), added as ``pm.Potential`` so that NUTS
       runs on it.

    Parameters
    ----------
    model : bayesgd.Model

    Returns
    -------
    pymc.Model

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> import bayesgd as bg
    >>> m = bg.Normal(y=[0.3, -0.1, 0.8], mu=stats.norm(0, 10), sigma=stats.halfnorm(scale=5))
    >>> pm_model = to_pymc(m)
    >>> sorted(v.name for v in pm_model.free_RVs), [v.name for v in pm_model.observed_RVs]
    (['mu', 'sigma'], ['y'])
    """
    if routes_to_hierarchical(model):  # written non-centred
        return model.to_pymc()
    _check_model(model)
    import pymc as pm
    import pytensor.tensor as pt

    from .. import _pymc_likelihoods as lik

    taken = set(model.parameters) | set(model.fixed)
    with pm.Model() as pm_model:
        free: dict[str, Any] = {}
        for prior in model.priors:
            free.update(lik.add_prior(prior, model))
        params = {
            name: pt.as_tensor_variable(np.asarray(value, dtype=float))
            for name, value in model.fixed.items()
        }
        params.update(free)
        lik.add_likelihood(model, params, taken)
    return pm_model


class PyMCPrior(Prior):
    """The joint prior of a PyMC model's free variables, on PyMC's unconstrained value space.

    Its log density is the sum of the free variables' PyMC log densities at the constrained
    values plus the log Jacobians of PyMC's transforms (``jacobian=True``): a proper density of
    the value variables whenever PyMC's priors are proper.
    """

    family = "pymc"

    def __init__(self, evaluator: _PyMCEvaluator):
        super().__init__(tuple(evaluator.names), evaluator.pm_model)
        self._ev = evaluator
        self.shapes = dict(evaluator.shapes)
        self.transforms = {
            n: transform_for_support(*evaluator.supports[n]) for n in evaluator.names
        }

    def logpdf(self, values):
        return self._ev.log_prior(values)

    def grad_logpdf(self, values):
        return self._ev.grad_log_prior(values)

    def support(self, name):
        """PyMC's: the real line for a transformed value variable, else its distribution's."""
        low, high = self._ev.supports[name]
        return low.copy(), high.copy()

    def rvs(self, size, rng):
        """Prior draws of the PyMC model, mapped to its unconstrained value space."""
        import pymc as pm

        ev = self._ev
        model = ev.pm_model
        outs = []
        for rv in model.free_RVs:
            transform = model.rvs_to_transforms.get(rv)
            outs.append(rv if transform is None else transform.forward(rv, *rv.owner.inputs))
        n = int(np.prod(size, dtype=int))
        try:
            draws = pm.draw(outs, draws=max(n, 1), random_seed=int(rng.integers(0, 2**31 - 1)))
        except NotImplementedError as exc:
            raise TypeError(
                "the PyMC model has a prior that cannot be sampled (an improper prior such as "
                "pm.Flat)"
            ) from exc
        if len(outs) == 1:
            draws = [draws]
        return {
            name: np.asarray(d, dtype=float)
            .reshape(max(n, 1), *ev.shapes[name])[:n]
            .reshape((*size, *ev.shapes[name]))
            for name, d in zip(ev.names, draws, strict=True)
        }

    def _pymc_variables(self, shapes):
        """For :func:`to_pymc`: flat variables on the value space plus the prior as a Potential."""
        import pymc as pm
        from pytensor.graph.replace import graph_replace

        flats = {n: pm.Flat(n, shape=self._ev.shapes[n]) for n in self._ev.names}
        replace = {v: flats[v.name] for v in self._ev.value_vars}
        pm.Potential("log_prior", graph_replace(self._ev.prior_graph, replace, strict=False))
        return flats


class PyMCModel(Model):
    """A PyMC model as a :class:`bayesgd.Model` on PyMC's unconstrained value space.

    The parameters are PyMC's value variables (``mu``, ``sigma_log__``, ``p_simplex__``, ...),
    all on the real line, so grids, MAP and Laplace approximations work on them directly. The
    prior is PyMC's log density of the free variables (:class:`PyMCPrior`); the likelihood is
    the log density of the observed variables plus every ``pm.Potential``. With
    ``jacobian=True`` (default) both include the log Jacobians of PyMC's transforms, so
    ``log_density`` is the density NUTS samples and the posterior of the value variables is
    exact; with ``jacobian=False`` they do not, and the mode of ``log_density`` is the point
    ``pm.find_MAP`` finds (the MAP in the constrained parametrisation), but ``log_density`` is
    then not a density of the value variables.

    Log densities and gradients are compiled once with PyTensor (analytic gradients, lazily on
    first use, in compilation ``mode``) and vectorised over leading batch axes with
    ``vectorize_graph``: one compiled call per chunk of batch points. Ops that have no batched
    implementation (the stick-breaking simplex transform, for one) become ``Blockwise`` Ops that
    loop over the batch inside the compiled function; an Op that cannot be vectorised at all
    makes the whole function loop over batch points in Python (see :class:`_Batched`).

    Attributes
    ----------
    pm_model : pymc.Model
    jacobian : bool
    data : dict
        The observed data of the PyMC model, by observed variable name.
    """

    likelihood = "pymc"

    def __init__(self, pm_model: Any, *, jacobian: bool = True, mode: Any = None):
        import pymc as pm

        if not isinstance(pm_model, pm.Model):
            raise TypeError(f"pm_model must be a pymc.Model, got {type(pm_model).__name__}")
        if not isinstance(jacobian, bool):
            raise TypeError(f"jacobian must be True or False, got {jacobian!r}")
        self._ev = _PyMCEvaluator(pm_model, jacobian, mode)
        prior = PyMCPrior(self._ev)
        self.priors = [prior]
        self.parameters = {
            n: Parameter(n, self._ev.shapes[n], prior, prior.transforms[n]) for n in self._ev.names
        }
        self.fixed = {}
        self._user_loglik = None
        self._user_grad = None
        self.data = self._ev.data
        self.stats: dict[str, np.ndarray] = {}
        self.pm_model = pm_model
        self.jacobian = jacobian
        self._constrained = None

    @property
    def has_gradient(self) -> bool:
        return True

    def _loglik(self, values, batch):
        return self._ev.log_likelihood(values)

    def _grad_loglik(self, values, batch):
        g = self._ev.grad_log_likelihood(values)
        return {n: np.broadcast_to(g[n], (*batch, *p.shape)) for n, p in self.parameters.items()}

    def _pymc_likelihood(self, params: Mapping[str, Any]) -> None:
        """For :func:`to_pymc`: the observed log density and potentials as one Potential."""
        import pymc as pm
        from pytensor.graph.replace import graph_replace

        replace = {v: params[v.name] for v in self._ev.value_vars}
        pm.Potential("log_likelihood", graph_replace(self._ev.lik_graph, replace, strict=False))

    def constrained(self, **theta: Any) -> dict[str, np.ndarray]:
        """PyMC's free variables (and deterministics) at value-space points ``theta``.

        Examples
        --------
        >>> import numpy as np, pymc as pm
        >>> with pm.Model() as pmm:
        ...     s = pm.HalfNormal("s", 1.0)
        >>> m = PyMCModel(pmm)
        >>> float(m.constrained(s_log__=np.log(2.0))["s"])
        2.0
        """
        values, batch = self._theta(theta)
        if self._constrained is None:
            from pymc.util import get_default_varnames

            outs = get_default_varnames(self.pm_model.unobserved_value_vars, False)
            self._constrained_names = [v.name for v in outs]
            shapes = [self._ev.shapes[n] for n in self._ev.names]
            self._constrained = _Batched(
                self._ev.value_vars, outs, shapes, _CHUNK_ELEMENTS, self._ev.mode
            )
        flat, _ = self._ev._flat(values)
        out = self._constrained(flat)
        return {
            n: o.reshape((*batch, *o.shape[1:]))
            for n, o in zip(self._constrained_names, out, strict=True)
        }

    def update(self, **data: Any) -> Model:
        raise TypeError(
            "a model from PyMC carries its data in the PyMC model; change the data there "
            "(pm.Data / pm.set_data) and call model_from_pymc again"
        )

    @property
    def bytes_per_evaluation(self) -> int:
        return 8 * 8 * self._ev.obs_elements

    def __repr__(self) -> str:
        names = ", ".join(self._ev.names)
        return f"PyMCModel({names}; jacobian={self.jacobian})"


def model_from_pymc(pm_model: Any, *, jacobian: bool = True, mode: Any = None) -> PyMCModel:
    """Any PyMC model with continuous free variables as a :class:`bayesgd.Model`.

    The parameters are PyMC's value variables on the real line (``sigma_log__`` for a positive
    ``sigma``); see :class:`PyMCModel` for the split into prior and likelihood and the meaning
    of ``jacobian``. Use :meth:`PyMCModel.constrained` to map points (a MAP, draws) back to
    PyMC's variables.

    Parameters
    ----------
    pm_model : pymc.Model
    jacobian : bool
        Include the log Jacobians of PyMC's transforms (the density NUTS samples; default). With
        False, the log density is PyMC's ``logp(jacobian=False)``, whose mode is ``find_MAP``'s.
    mode : str or pytensor Mode, optional
        PyTensor compilation mode of the log density and gradient functions. The default
        (PyTensor's, C code) is fastest to run once compiled; C compilation with an empty
        PyTensor cache can take a minute, so ``mode="FAST_COMPILE"`` (NumPy implementations,
        compiles in about a second, a few times slower per call) suits one-off use.

    Returns
    -------
    PyMCModel

    Examples
    --------
    >>> import numpy as np, pymc as pm
    >>> with pm.Model() as pmm:
    ...     mu = pm.Normal("mu", 0, 10)
    ...     sigma = pm.HalfNormal("sigma", 5)
    ...     _ = pm.Normal("y", mu, sigma, observed=[0.1, -0.4, 0.8])
    >>> m = model_from_pymc(pmm)
    >>> m.names
    ('mu', 'sigma_log__')
    >>> m.log_density(mu=np.zeros(4), sigma_log__=np.zeros(4)).shape
    (4,)
    """
    return PyMCModel(pm_model, jacobian=jacobian, mode=mode)
