"""The model core: parameters, priors, a vectorised log density and its gradient.

A model is data + a likelihood family + priors. Parameter values are passed as keyword
arguments, each an array whose *trailing* axes are the parameter's own shape and whose leading
axes (if any) are a batch: evaluating a whole grid or a set of draws is one call. Every log
density returns one value per batch index.

Examples
--------
>>> import numpy as np
>>> from scipy import stats
>>> def loglik(mu):
...     return -0.5 * np.sum((1.0 - mu[..., None]) ** 2, axis=-1)
>>> m = Model(priors={"mu": stats.norm(0, 1)}, log_likelihood=loglik)
>>> m.log_density(mu=np.array([0.0, 1.0])).shape
(2,)
"""

from __future__ import annotations

import copy
import numbers
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .._validation import owned, refuse_masked
from ..priors import Prior, make_prior
from ._checks import (
    POSITIVE,
    REAL,
    SIMPLEX,
    UNIT,
    _check_fixed,
    _check_shapes,
    _check_support,
    _is_number,
    _real,
)
from ._parameter import (
    NaNLikelihoodError,
    Parameter,
    _as_out,
    _as_out_dict,
)
from ._parameter import warn_finite_differences as warn_finite_differences  # re-export
from ._prediction import PredictionHooks

__all__ = ["POSITIVE", "REAL", "SIMPLEX", "UNIT", "Model", "Parameter"]


#: Above this many stored observations, ``update`` keeps sufficient statistics only.
KEEP_DATA_LIMIT = 5_000_000


def routes_to_hierarchical(model: Any) -> bool:
    """Whether a public method should hand ``model`` to its hierarchical hook."""
    return getattr(model, "is_hierarchical", False) is True


class Model(PredictionHooks):
    """A Bayesian model: priors over named parameters and a log likelihood.

    Used directly, it is the escape hatch for any likelihood: ``log_likelihood`` is a
    vectorised NumPy function called with the parameters as keyword arguments (arrays that
    may carry extra leading axes) and returns the log likelihood summed over the data, one value
    per leading index.

    Parameters
    ----------
    priors : dict
        Parameter name -> scipy.stats frozen distribution, or a number (or array) to fix the
        parameter. A tuple of names as key gives a joint prior, e.g.
        ``{("mu", "sigma2"): stats.normal_inverse_gamma(0, 1, 1, 1)}``.
    log_likelihood : callable
        ``log_likelihood(**params) -> array`` of the params' leading (batch) shape.
    grad_log_likelihood : callable, optional
        ``grad_log_likelihood(**params) -> dict`` of arrays shaped like the parameters. Without
        it, gradients come from central finite differences of ``log_likelihood``.
    shapes : dict, optional
        Shapes of vector parameters whose prior is a scalar distribution shared by all
        elements, e.g. ``{"w": (3,)}`` (or ``{"w": 3}``) with ``priors={"w": stats.norm(0, 1)}``.
    bytes_per_evaluation : int, optional
        Memory (bytes) one parameter point of ``log_likelihood`` needs, e.g. ``3 * 8 * n`` for
        a function that broadcasts three float arrays over ``n`` observations. :func:`bayesgd.grid`
        uses it to keep chunks within ``max_bytes``; without it the grid measures it.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> y = np.array([0.2, -0.3, 0.9])
    >>> def loglik(mu):
    ...     return stats.norm.logpdf(y, loc=np.asarray(mu)[..., None]).sum(axis=-1)
    >>> m = Model(priors={"mu": stats.norm(0, 10)}, log_likelihood=loglik)
    >>> m.names
    ('mu',)
    """

    #: Name of the likelihood family (``"custom"`` for user likelihoods).
    likelihood: str = "custom"
    #: The role :func:`bayesgd.conjugate` looks up in its registry (``"beta-binomial"``, ...);
    #: ``None``: no closed-form posterior. See :mod:`bayesgd.conjugate.roles`.
    conjugate_role: str | None = None

    # Hooks that methods ask for, declared here with their defaults (methods read them
    # directly, never through getattr/hasattr; subclasses override what they have):

    #: ``"classification"``, ``"regression"`` or ``"counts"`` for models that predict new
    #: inputs (what ``predict(..., noise=True)`` needs); None for the others.
    task: str | None = None

    def _pymc_likelihood(self, params: Mapping[str, Any]) -> Any:
        """Add the observed likelihood to the current ``pm.Model`` (for :func:`bayesgd.to_pymc`).

        ``params`` maps parameter names to PyTensor variables. A family writes PyMC's own
        observed distribution; this default returns ``NotImplemented``, and ``to_pymc`` then
        wraps the NumPy log likelihood and its gradient as a PyTensor Op.
        """
        return NotImplemented

    #: Memory (bytes) one parameter point of the log likelihood needs, when the user said so
    #: (``bytes_per_evaluation=``); None: unknown (:func:`bayesgd.grid` measures it).
    _bytes_hint: int | None = None

    #: Hierarchical models (:mod:`bayesgd.hierarchical`) say True; the public methods route
    #: them to their nested grid, marginal MAP, marginal Laplace and non-centred PyMC model.
    is_hierarchical = False

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        """A prior whose parameters are parameters (``bg.hierarchical``) builds a hierarchical
        model of this family instead (``bg.Binomial(k=, n=, p=bg.hierarchical(...))``)."""
        from ..hierarchical.spec import HierarchicalPrior

        spec = next((v for v in kwargs.values() if isinstance(v, HierarchicalPrior)), None)
        if spec is not None:
            return spec.build_model(cls.likelihood, **kwargs)
        return super().__new__(cls)

    def __init__(
        self,
        *,
        priors: Mapping[Any, Any],
        log_likelihood: Callable[..., Any],
        grad_log_likelihood: Callable[..., Any] | None = None,
        shapes: Mapping[str, tuple[int, ...]] | None = None,
        bytes_per_evaluation: int | None = None,
    ):
        if not isinstance(priors, Mapping) or not priors:
            raise TypeError("priors must be a non-empty dict of name -> scipy.stats distribution")
        if not callable(log_likelihood):
            raise TypeError("log_likelihood must be callable: log_likelihood(**params) -> array")
        if grad_log_likelihood is not None and not callable(grad_log_likelihood):
            raise TypeError("grad_log_likelihood must be callable or None")
        shapes = _check_shapes(shapes)
        for key in priors:
            for name in (key,) if isinstance(key, str) else key:
                if not isinstance(name, str) or not name.isidentifier():
                    raise TypeError(f"parameter names must be identifiers, got {name!r}")
        unknown = set(shapes) - {n for k in priors for n in ((k,) if isinstance(k, str) else k)}
        if unknown:
            raise ValueError(f"shapes names unknown parameters: {sorted(unknown)}")
        self._setup_priors(
            {k: v for k, v in priors.items()},
            domains={},
            shapes=shapes,
        )
        self._user_loglik = log_likelihood
        self._user_grad = grad_log_likelihood
        if bytes_per_evaluation is not None:
            if isinstance(bytes_per_evaluation, bool) or not isinstance(
                bytes_per_evaluation, numbers.Integral
            ):
                raise TypeError(
                    "bytes_per_evaluation must be a positive integer (bytes per parameter "
                    f"point), got {bytes_per_evaluation!r}"
                )
            if bytes_per_evaluation < 1:
                raise ValueError(
                    f"bytes_per_evaluation must be a positive integer, got {bytes_per_evaluation}"
                )
            bytes_per_evaluation = int(bytes_per_evaluation)
        self._bytes_hint: int | None = bytes_per_evaluation
        self.data: dict[str, np.ndarray] | None = None

    # ------------------------------------------------------------------ setup
    def _setup_priors(
        self,
        spec: Mapping[Any, Any],
        *,
        domains: Mapping[str, Any],
        shapes: Mapping[str, tuple[int, ...]] | None = None,
    ) -> None:
        """Turn ``{name: prior or number}`` into parameters, priors and fixed values."""
        shapes = shapes or {}
        self.priors: list[Prior] = []
        self.parameters: dict[str, Parameter] = {}
        self.fixed: dict[str, np.ndarray] = {}
        for key, value in spec.items():
            names = (key,) if isinstance(key, str) else tuple(key)
            if value is None:
                continue
            if len(names) == 1 and _is_number(value):
                fixed = _check_fixed(names[0], value, domains.get(names[0], REAL))
                self.fixed[names[0]] = owned(fixed, value)
                continue
            prior = make_prior(
                names, value, shape=shapes.get(names[0]) if len(names) == 1 else None
            )
            for name in names:
                _check_support(name, prior, domains.get(name, REAL))
                self.parameters[name] = Parameter(
                    name, prior.shapes[name], prior, prior.transforms[name]
                )
            self.priors.append(prior)
        if not self.parameters:
            raise ValueError("the model has no free parameter: give at least one a prior")

    # ------------------------------------------------------------- properties
    @property
    def names(self) -> tuple[str, ...]:
        """Names of the free parameters, in order."""
        return tuple(self.parameters)

    @property
    def size(self) -> int:
        """Total number of free scalar parameters."""
        return sum(p.size for p in self.parameters.values())

    @property
    def can_predict(self) -> bool:
        """Whether the model predicts ``y`` at new inputs (regressions and the Perceptron).

        Such models override :meth:`_check_X` and :meth:`_predictive_mean`; see
        :func:`bayesgd.predictive.predict`.
        """
        return False

    @property
    def has_gradient(self) -> bool:
        """Whether the likelihood gradient is analytic (not finite differences)."""
        return self.likelihood != "custom" or self._user_grad is not None

    # ------------------------------------------------------------- evaluation
    def _theta(self, theta: Mapping[str, Any]) -> tuple[dict[str, np.ndarray], tuple[int, ...]]:
        """Validate parameter values; return them as float arrays and their batch shape."""
        missing = [n for n in self.parameters if n not in theta]
        unknown = [n for n in theta if n not in self.parameters]
        if unknown:
            hint = " (fixed)" if any(n in self.fixed for n in unknown) else ""
            raise TypeError(
                f"unknown parameter(s) {unknown}{hint}; the model's free parameters are "
                f"{list(self.parameters)}"
            )
        if missing:
            raise TypeError(f"missing parameter(s) {missing}")
        values = {}
        batches = []
        for name, param in self.parameters.items():
            refuse_masked(theta[name], name)
            arr = np.asarray(theta[name], dtype=float)
            nd = len(param.shape)
            if arr.ndim < nd or arr.shape[arr.ndim - nd :] != param.shape:
                raise ValueError(
                    f"{name} must have trailing shape {param.shape}, "
                    f"got an array of shape {arr.shape}"
                )
            values[name] = arr
            batches.append(arr.shape[: arr.ndim - nd])
        try:
            batch = np.broadcast_shapes(*batches)
        except ValueError as exc:
            raise ValueError(f"parameter batch shapes do not broadcast: {batches}") from exc
        return values, batch

    def log_prior(self, **theta: Any) -> np.ndarray:
        """Log prior density, one value per batch index."""
        values, batch = self._theta(theta)
        return _as_out(self._log_prior(values, batch))

    def _log_prior(self, values: Mapping[str, np.ndarray], batch: tuple[int, ...]) -> np.ndarray:
        total = np.zeros(batch)
        for prior in self.priors:
            total = total + prior.logpdf(values)
        return total

    def grad_log_prior(self, **theta: Any) -> dict[str, np.ndarray]:
        """Gradient of the log prior with respect to each free parameter."""
        values, batch = self._theta(theta)
        return _as_out_dict(self._grad_log_prior(values, batch))

    def _grad_log_prior(self, values, batch):
        grads = {}
        for prior in self.priors:
            grads.update(prior.grad_logpdf(values))
        return {
            n: np.broadcast_to(grads[n], (*batch, *p.shape)) for n, p in self.parameters.items()
        }

    def log_likelihood(self, **theta: Any) -> np.ndarray:
        """Log likelihood of all data, one value per batch index."""
        values, batch = self._theta(theta)
        return _as_out(self._checked_loglik(values, batch))

    def grad_log_likelihood(self, **theta: Any) -> dict[str, np.ndarray]:
        """Gradient of the log likelihood with respect to each free parameter."""
        values, batch = self._theta(theta)
        return _as_out_dict(self._grad_loglik(values, batch))

    def log_density(self, **theta: Any) -> np.ndarray:
        """Unnormalised log posterior: log prior + log likelihood.

        Points outside the support get ``-inf`` without evaluating the likelihood there.
        """
        values, batch = self._theta(theta)
        lp = self._log_prior(values, batch)
        finite = np.isfinite(lp)
        if np.all(finite):
            return _as_out(lp + self._checked_loglik(values, batch))
        out = np.full(batch, -np.inf)
        if np.any(finite):
            sub = {
                n: np.broadcast_to(v, (*batch, *self.parameters[n].shape))[finite]
                for n, v in values.items()
            }
            out[finite] = lp[finite] + self._checked_loglik(sub, (int(finite.sum()),))
        return out

    def grad_log_density(self, **theta: Any) -> dict[str, np.ndarray]:
        """Gradient of :meth:`log_density`."""
        values, batch = self._theta(theta)
        gp = self._grad_log_prior(values, batch)
        gl = self._grad_loglik(values, batch)
        return _as_out_dict({n: gp[n] + gl[n] for n in self.parameters})

    def hessian_log_likelihood(self, **theta: Any) -> np.ndarray | None:
        """Analytic Hessian of the log likelihood at one point, or None if the model has none.

        Rows and columns follow the free parameters in order, each flattened in C order (the
        order of ``Parameter.element_names``): shape ``(size, size)``. The default is None (no
        analytic Hessian); methods then difference the analytic gradient.

        Examples
        --------
        >>> import numpy as np
        >>> from scipy import stats
        >>> m = Model(priors={"mu": stats.norm(0, 1)}, log_likelihood=lambda mu: -(mu**2))
        >>> m.hessian_log_likelihood(mu=np.array(0.5)) is None
        True
        """
        values, batch = self._theta(theta)
        if batch:
            raise ValueError(
                f"hessian_log_likelihood takes one parameter point, got a batch of shape {batch}"
            )
        hess = self._hess_loglik(values)
        return None if hess is None else _as_out(hess)

    def _loglik_and_grad(
        self, values: Mapping[str, np.ndarray], batch: tuple[int, ...]
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Hook: the log likelihood (one value per batch index) and its gradient together.

        What every gradient-based method calls. The default evaluates them separately; a
        family that can share the work (a GLM's linear predictor, a network's forward pass)
        overrides it with one pass over the data.
        """
        return self._shaped_loglik(values, batch), self._grad_loglik(values, batch)

    def initial_point(self) -> dict[str, np.ndarray] | None:
        """Hook: where optimizers start by default, or None for the priors' central point.

        Models whose central point is a poor start (a network's all-zero weights are a
        saddle) return their own point.

        Examples
        --------
        >>> from scipy import stats
        >>> Model(priors={"mu": stats.norm()}, log_likelihood=lambda mu: -(mu**2)).initial_point()
        """
        return None

    def canonical_params(self, params: Mapping[str, Any]) -> dict[str, np.ndarray]:
        """One representative of the parameter points the posterior cannot tell apart.

        Methods that compare modes (multi-start :func:`bayesgd.map_estimate`) compare
        canonical points, so copies of one mode under a symmetry of the posterior (permuted
        hidden units of a network) count as one mode. The default is the point itself.

        Examples
        --------
        >>> import numpy as np
        >>> from scipy import stats
        >>> m = Model(priors={"mu": stats.norm(0, 1)}, log_likelihood=lambda mu: -(mu**2))
        >>> m.canonical_params({"mu": 0.5})
        {'mu': array(0.5)}
        """
        return {name: np.asarray(params[name], dtype=float) for name in self.parameters}

    def _hess_loglik(self, values: Mapping[str, np.ndarray]) -> np.ndarray | None:
        """Hook: the analytic Hessian at one (unbatched) point; None when there is none."""
        return None

    def _all(self, values: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {**self.fixed, **values}

    def _checked_loglik(self, values, batch) -> np.ndarray:
        ll = self._shaped_loglik(values, batch)
        if np.any(np.isnan(ll)):
            raise NaNLikelihoodError(
                "log_likelihood returned NaN; it must return a finite number or -inf at every "
                "point of the support"
            )
        return ll

    def _shaped_loglik(self, values, batch) -> np.ndarray:
        """The log likelihood with one value per batch index (a user function must give it)."""
        ll = np.asarray(self._loglik(values, batch), dtype=float)
        if ll.shape != batch:
            try:
                ll = np.broadcast_to(ll, batch)
            except ValueError:
                raise ValueError(
                    f"log_likelihood returned shape {ll.shape}, expected one value per batch "
                    f"index, shape {batch}"
                ) from None
        return ll

    # hooks for likelihood families --------------------------------------------------------
    def _loglik(self, values: Mapping[str, np.ndarray], batch: tuple[int, ...]) -> np.ndarray:
        """The user's log likelihood, checked: real, one value per batch index.

        Every caller (grids, the optimizers' parameter spaces) goes through this hook, so the
        checks hold on every path.
        """
        ll = _real(self._user_loglik(**self._all(values)), "log_likelihood")
        if ll.shape != batch:
            # a scalar for a batch is a function that sums over the batch too: copying it
            # to every point would flatten the loss (a zero gradient at the prior's mode)
            raise ValueError(
                f"log_likelihood returned shape {ll.shape} for a batch of parameter points "
                f"of shape {batch}; it must return one value per leading (batch) index. "
                "Vectorise it over leading axes, e.g. sum over the data axis with axis=-1 "
                "after adding one with mu[..., None]"
            )
        return ll

    def _grad_loglik(self, values, batch) -> dict[str, np.ndarray]:
        if self._user_grad is not None:
            grads = self._user_grad(**self._all(values))
            if not isinstance(grads, Mapping) or not set(self.parameters) <= set(grads):
                got = sorted(grads) if isinstance(grads, Mapping) else type(grads).__name__
                raise ValueError(
                    "grad_log_likelihood must return a dict with a gradient for each of "
                    f"{list(self.parameters)}, got {got}"
                )
            out = {}
            for n, p in self.parameters.items():
                g = _real(grads[n], f"grad_log_likelihood[{n!r}]")
                full = (*batch, *p.shape)
                # exactly one gradient element per parameter element and batch index (or the
                # shape of the value given, when that lacks some batch axes): never broadcast
                # a scalar over a vector parameter
                if g.shape not in (full, np.shape(values[n])):
                    raise ValueError(
                        f"grad_log_likelihood returned shape {g.shape} for {n!r} at a batch of "
                        f"parameter points of shape {batch}; expected {full} (batch shape + "
                        f"the parameter's shape {p.shape}): one derivative per element of "
                        f"{n}, vectorised over leading axes"
                    )
                out[n] = np.broadcast_to(g, full)
            return out
        return self._finite_difference_grad(values, batch)

    def _finite_difference_grad(self, values, batch) -> dict[str, np.ndarray]:
        """Central differences, all perturbations evaluated in one vectorised call."""
        names = list(self.parameters)
        flat = [np.broadcast_to(values[n], (*batch, *self.parameters[n].shape)) for n in names]
        sizes = [self.parameters[n].size for n in names]
        total = sum(sizes)
        stacked = {}
        steps = []
        offset = 0
        for name, arr, size in zip(names, flat, sizes, strict=True):
            shape = self.parameters[name].shape
            x = arr.reshape((*batch, size))
            h = 1e-6 * np.maximum(1.0, np.abs(x))
            # stay inside the support: a step past its edge evaluates the likelihood where it
            # may be undefined (log of a negative probability) and gives a NaN gradient
            low, high = (
                np.broadcast_to(b, shape).reshape(size) for b in self.parameters[name].support
            )
            with np.errstate(invalid="ignore"):
                room = np.minimum(x - low, high - x)
            h = np.where(room > 0, np.minimum(h, 1e-3 * room), h)
            pert = np.broadcast_to(x, (2 * total, *batch, size)).copy()
            for j in range(size):
                pert[offset + j, ..., j] += h[..., j]
                pert[total + offset + j, ..., j] -= h[..., j]
            stacked[name] = pert.reshape((2 * total, *batch, *shape))
            steps.append(h)
            offset += size
        ll = self._shaped_loglik(stacked, (2 * total, *batch))
        grads = {}
        offset = 0
        for name, size, h in zip(names, sizes, steps, strict=True):
            diff = ll[offset : offset + size] - ll[total + offset : total + offset + size]
            g = np.moveaxis(diff, 0, -1) / (2.0 * h)
            grads[name] = g.reshape((*batch, *self.parameters[name].shape))
            offset += size
            if np.any(np.isnan(grads[name])):
                raise NaNLikelihoodError(
                    f"the finite-difference gradient with respect to {name} is NaN: "
                    "log_likelihood returned NaN or inf - inf next to the point; pass "
                    "grad_log_likelihood for an exact gradient"
                )
        return grads

    # ------------------------------------------------------------------ other
    def prior_sample(
        self, size: int | tuple[int, ...] = 1, *, rng: Any = None
    ) -> dict[str, np.ndarray]:
        """Draws from the prior: a dict of arrays of shape ``size + shape``."""
        from .._validation import as_rng, check_size

        shape = check_size(size)
        generator = as_rng(rng)
        draws: dict[str, np.ndarray] = {}
        for prior in self.priors:
            draws.update(prior.rvs(shape, generator))
        return {n: draws[n] for n in self.parameters}

    def updated(self, **data: Any) -> Model:
        """A new model that has also seen ``data``; this one is left unchanged.

        Takes the same data names as the constructor. Sufficient statistics (or rows) are
        merged, so any sequence of updates equals one batch. A custom :class:`Model` carries its
        data inside ``log_likelihood`` and refuses (build a new one instead).
        """
        raise TypeError(
            "a custom Model carries its data inside log_likelihood; build a new Model to add data"
        )

    def update(self, **data: Any) -> None:
        """Add observations to this model in place and return None, as ``dict.update`` does.

        ``for chunk in chunks: m.update(y=chunk)`` leaves ``m`` equal to the model of all the
        chunks at once. The data are validated first: a refused chunk leaves ``m`` unchanged.
        Use :meth:`updated` for a new model that leaves this one as it was.

        Examples
        --------
        >>> from scipy import stats
        >>> import bayesgd as bg
        >>> m = bg.Bernoulli(y=[1, 0], p=stats.beta(1, 1))
        >>> for chunk in ([1, 1], [0, 1, 1]):
        ...     m.update(y=chunk)
        >>> float(m.stats["successes"]), m.n_obs
        (5.0, 7)
        """
        new = self.updated(**data)  # raises before anything changes
        self.__dict__.update(new.__dict__)

    def copy(self) -> Model:
        """A shallow copy."""
        return copy.copy(self)

    def _values(self, params: Mapping[str, Any]) -> tuple[dict[str, np.ndarray], tuple[int, ...]]:
        """Parameter values for prediction, validated: ``(values, batch shape)``."""
        return self._theta(params)

    @property
    def bytes_per_evaluation(self) -> int:
        """Rough memory one batch point of the log likelihood needs (for chunking grids).

        The ``bytes_per_evaluation=`` given to the constructor, else a nominal 512 bytes (a
        custom likelihood's real cost is unknown; :func:`bayesgd.grid` measures it).
        """
        hint = self._bytes_hint
        return int(hint) if hint is not None else 8 * 64

    def __repr__(self) -> str:
        parts = [f"{n} ~ {p.prior.family}" for n, p in self.parameters.items()]
        parts += [f"{n}={np.asarray(v).tolist()}" for n, v in self.fixed.items()]
        return f"{type(self).__name__}({', '.join(parts)})"
