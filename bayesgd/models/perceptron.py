"""A Bayesian neural network with one hidden layer, backpropagation written out by hand.

The network maps a row ``x`` of ``X`` (``d`` features) through one hidden layer of ``hidden``
units to one output::

    pre = x @ W1 + b1          # (hidden,)   pre-activations
    h   = act(pre)             # (hidden,)   tanh or relu
    f   = h @ w2 + b2          # ()          the output: a logit or a mean

``task="classification"``: ``y ~ Bernoulli(expit(f))``. ``task="regression"``:
``y ~ Normal(f, sigma)``. Every weight and bias gets a prior (a scipy.stats frozen
distribution, broadcast to the parameter's shape), which is what makes it Bayesian: the MAP
of a network with Gaussian priors is a network trained with weight decay (see
:meth:`Perceptron.weight_decay`), and its posterior says how unsure the network is away from
the data (see :meth:`Perceptron.predict`).

The gradient is backpropagation, the chain rule applied layer by layer from the output back
to the input (no automatic differentiation). With ``L = -log p(y | θ)`` (the summed
cross-entropy or squared error) and ``δ = ∂L/∂f`` per row::

    ∂L/∂b2  = Σ_rows δ                       ∂L/∂w2 = Σ_rows δ · h
    ∂L/∂h   = δ · w2                         ∂L/∂pre = ∂L/∂h ⊙ act'(pre)
    ∂L/∂b1  = Σ_rows ∂L/∂pre                 ∂L/∂W1 = Xᵀ @ ∂L/∂pre

with ``δ = expit(f) - y`` (classification) or ``δ = (f - y) / sigma²`` (regression),
``tanh' = 1 - tanh²`` and ``relu'(pre) = 1{pre > 0}``. :meth:`Perceptron.forward` and
:meth:`Perceptron.backward` expose every intermediate quantity.

Evaluation is vectorised over leading (batch) axes of the parameters, so a set of posterior
draws is one call, and chunked over the rows of ``X`` so that ``batch × rows × hidden`` never
exceeds :attr:`Perceptron.chunk_elements` numbers per array.

Examples
--------
>>> import numpy as np
>>> from scipy import stats
>>> import bayesgd as bg
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(20, 2))
>>> y = (X[:, 0] > 0).astype(int)
>>> m = bg.Perceptron(X, y, hidden=3, weights=stats.norm(0, 1), biases=stats.norm(0, 1))
>>> m.names
('W1', 'b1', 'w2', 'b2')
>>> {n: p.shape for n, p in m.parameters.items()}
{'W1': (2, 3), 'b1': (3,), 'w2': (3,), 'b2': ()}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy import stats
from scipy.special import expit

from .._validation import as_rng, check_positive_int, owned
from ._elementwise import check_counts, check_real, check_rows
from ._network import Backward, Forward, NetworkPasses
from .base import POSITIVE, REAL, Model

__all__ = ["Backward", "Forward", "Perceptron"]

_WEIGHTS = ("W1", "w2")
_BIASES = ("b1", "b2")
_ACTIVATIONS = ("tanh", "relu")
_TASKS = ("classification", "regression")


def _check_choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {list(choices)}, got {value!r}")
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")
    return value


def _split_prior(value: Any, name: str, keys: tuple[str, str]) -> dict[str, Any]:
    """One prior for both layers, or a dict with one per layer."""
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - set(keys))
        missing = [k for k in keys if k not in value]
        if unknown or missing:
            raise ValueError(
                f"{name} as a dict must have exactly the keys {list(keys)}; "
                f"missing {missing}, unknown {unknown}"
            )
        return {k: value[k] for k in keys}
    return dict.fromkeys(keys, value)


class Perceptron(NetworkPasses, Model):
    """One-hidden-layer Bayesian neural network for binary classification or regression.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Inputs, one row per observation (a 1-D array is one feature).
    y : array_like, shape (n,)
        Outcomes: 0/1 for ``task="classification"``, real numbers for ``task="regression"``.
    hidden : int, default 8
        Number of hidden units (>= 1).
    activation : {"tanh", "relu"}, default "tanh"
        Hidden-layer nonlinearity.
    task : {"classification", "regression"}, default "classification"
        Bernoulli likelihood with logit ``f``, or Normal likelihood with mean ``f``.
    weights : scipy.stats frozen distribution, array_like or dict, default ``stats.norm(0, 1)``
        Prior of the weights ``W1`` (d, hidden) and ``w2`` (hidden,): one scalar distribution
        is shared by every element; a distribution with a batch shape that broadcasts to the
        parameter's shape gives elements their own; a dict ``{"W1": ..., "w2": ...}`` gives the
        layers separate priors. A number (or array) fixes the weights instead.
    biases : scipy.stats frozen distribution, array_like or dict, default ``stats.norm(0, 1)``
        Prior of the biases ``b1`` (hidden,) and ``b2`` (), the same way (dict keys ``"b1"``,
        ``"b2"``); ``biases=0`` is a network without biases (both fixed at 0).
    sigma : scipy.stats frozen distribution or float
        Noise standard deviation for ``task="regression"`` (required there, refused for
        classification): a prior with positive support, or a fixed positive number.

    Attributes
    ----------
    n_features, hidden, activation, task : the network's shape and kind.
    data : dict
        ``{"X": X, "y": y}``.

    Notes
    -----
    **Weight decay.** A Gaussian prior ``N(0, s²)`` on a weight array ``w`` contributes
    ``-log p(w) = ‖w‖² / (2 s²) + const`` to the MAP loss ``-log p(θ | D)``. So the MAP loss is

        ``L(θ) = Σ_rows cross-entropy + λ ‖w‖² + const``,   ``λ = 1 / (2 s²)``,

    which is training with weight decay ``λ`` (an ``L2`` penalty). Divided by ``n`` it is the
    usual mean cross-entropy plus ``(λ / n) ‖w‖²``: a decay ``λ'`` on the mean loss corresponds
    to the prior ``s² = 1 / (2 n λ')``. :meth:`weight_decay` returns ``λ`` per parameter.
    Regression with ``sigma`` fixed: the log likelihood is ``-Σ (y - f)² / (2 sigma²) + const``.

    **Symmetry.** The posterior of a neural network has many equivalent modes (permuting the
    hidden units, or flipping the signs of a tanh unit's weights, leaves ``f`` unchanged), and
    all-zero weights are a saddle point where backpropagation gives no gradient to ``W1`` and
    ``w2``. Start an optimizer from :meth:`initial_point` (small random weights), not zeros;
    :func:`bayesgd.map_estimate` does so by default.

    **ReLU.** The loss of a ReLU network is piecewise smooth, and its minimum usually puts a
    hidden unit's kink (``pre = 0``) exactly on a data point, where the loss has no gradient.
    Gradient descent still reaches the minimal loss, but the gradient tolerance cannot be met
    (``map_estimate`` reports ``converged=False``), and the Hessian there is not defined, so
    :func:`bayesgd.laplace` fails (``NotPositiveDefiniteError``) or is unreliable. Use tanh for
    Laplace; NUTS (:func:`bayesgd.sample_pymc`) works for both.

    **Prediction.** :meth:`predict` with MAP parameters gives one network's answer; with a
    posterior it averages over networks. Far from the data a ReLU MAP network extrapolates
    its slope with certainty (probabilities of 0 or 1), while the posterior draws disagree
    there and the predictive interval is wide.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> import bayesgd as bg
    >>> X = np.linspace(-2, 2, 30)[:, None]
    >>> y = np.sin(2 * X[:, 0])
    >>> m = bg.Perceptron(X, y, hidden=4, task="regression", sigma=stats.halfnorm(scale=1))
    >>> m.names
    ('W1', 'b1', 'w2', 'b2', 'sigma')
    >>> theta = m.initial_point(rng=0)
    >>> m.grad_log_density(**theta)["W1"].shape
    (1, 4)
    """

    likelihood = "perceptron"

    #: Upper bound on ``batch × rows × hidden`` numbers per intermediate array (8 MiB each).
    chunk_elements: int = 1 << 20

    def __init__(
        self,
        X: Any,
        y: Any,
        *,
        hidden: int = 8,
        activation: str = "tanh",
        task: str = "classification",
        weights: Any = None,
        biases: Any = None,
        sigma: Any = None,
    ):
        self.task = _check_choice(task, "task", _TASKS)
        self.activation = _check_choice(activation, "activation", _ACTIVATIONS)
        self.hidden = check_positive_int(hidden, "hidden")
        X_given, y_given = X, y
        X, y = self._check_data(X, y)
        self.n_features = X.shape[1]
        if self.task == "regression" and sigma is None:
            raise TypeError(
                "task='regression' needs sigma: a prior such as stats.halfnorm(scale=1) or a "
                "fixed positive number"
            )
        if self.task == "classification" and sigma is not None:
            raise ValueError(
                "sigma is only for task='regression'; classification has no noise scale"
            )
        if weights is None:
            weights = stats.norm(0, 1)
        if biases is None:
            biases = stats.norm(0, 1)
        spec: dict[str, Any] = {}
        for arg, value, keys in (("weights", weights, _WEIGHTS), ("biases", biases, _BIASES)):
            for key, item in _split_prior(value, arg, keys).items():
                if item is None:
                    raise TypeError(f"{arg}[{key!r}] must be a prior or fixed values, not None")
                spec[key] = item
        if self.task == "regression":
            spec["sigma"] = sigma
        shapes = self.shapes
        spec = {k: spec[k] for k in shapes}  # parameter order: W1, b1, w2, b2, sigma
        self._setup_priors(
            spec,
            domains={**dict.fromkeys(_WEIGHTS + _BIASES, REAL), "sigma": POSITIVE},
            shapes=shapes,
        )
        for name, value in list(self.fixed.items()):
            try:
                self.fixed[name] = owned(np.broadcast_to(value, shapes[name]).copy())
            except ValueError:
                raise ValueError(
                    f"fixed {name} must broadcast to shape {shapes[name]}, got shape "
                    f"{np.shape(value)}"
                ) from None
        for name, param in self.parameters.items():
            if param.shape != shapes[name]:
                raise ValueError(
                    f"the prior for {name} has shape {param.shape}, but {name} must have shape "
                    f"{shapes[name]} (d={self.n_features}, hidden={self.hidden})"
                )
        self.data = {"X": owned(X, X_given), "y": owned(y, y_given)}

    # ------------------------------------------------------------------ data & shapes
    @property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Shape of every parameter of the network, free or fixed."""
        out = {
            "W1": (self.n_features, self.hidden),
            "b1": (self.hidden,),
            "w2": (self.hidden,),
            "b2": (),
        }
        if self.task == "regression":
            out["sigma"] = ()
        return out

    @property
    def n_obs(self) -> int:
        """Number of observations (rows of ``X``)."""
        return int(self.data["y"].shape[0])

    def _check_data(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        X = np.asarray(check_real("X", X), dtype=float)
        if X.ndim == 1:
            X = X[:, None]
        if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
            raise ValueError(f"X must be a non-empty 2-D array (n, d), got shape {X.shape}")
        if self.task == "classification":
            y = check_counts("y", y, high=1)
        else:
            y = check_real("y", y)
        y = np.asarray(y, dtype=float)
        if y.ndim != 1 or y.shape[0] != X.shape[0]:
            raise ValueError(
                f"y must be a vector with one value per row of X ({X.shape[0]} rows), got shape "
                f"{y.shape}"
            )
        return X, y

    @property
    def can_predict(self) -> bool:
        return True

    def default_prediction_inputs(self) -> np.ndarray | None:
        """The training inputs: a network is judged by what it predicts there."""
        return self.data["X"] if self.data is not None else None

    def _check_X(self, X: Any, name: str = "X_new") -> np.ndarray:
        """New inputs: a 2-D array with the training data's number of columns."""
        return check_rows(X, self.n_features, name)

    def _values(self, params: Mapping[str, Any]) -> tuple[dict[str, np.ndarray], tuple[int, ...]]:
        """Free parameters validated (fixed ones may be passed and are ignored if equal)."""
        params = dict(params)
        for name in list(params):
            if name in self.fixed and name not in self.parameters:
                given = np.asarray(params.pop(name), dtype=float)
                if given.shape[given.ndim - len(self.shapes[name]) :] != self.shapes[name] or (
                    not np.allclose(given, self.fixed[name])
                ):
                    raise ValueError(
                        f"{name} is fixed at {self.fixed[name].tolist()} in this model"
                    )
        return self._theta(params)

    def forward(self, X: Any = None, **params: Any) -> Forward:
        """The forward pass, layer by layer, for teaching and inspection.

        Parameters
        ----------
        X : array_like, shape (m, d), optional
            Input rows (default: the training inputs).
        **params
            ``W1``, ``b1``, ``w2``, ``b2`` (free ones required; fixed ones may be omitted),
            possibly with leading batch axes.

        Returns
        -------
        Forward
            ``pre``, ``hidden``, ``output`` and ``mean`` arrays.

        Examples
        --------
        >>> import numpy as np
        >>> import bayesgd as bg
        >>> m = bg.Perceptron(np.array([[1.0], [2.0]]), [0, 1], hidden=2)
        >>> out = m.forward(W1=np.ones((1, 2)), b1=np.zeros(2), w2=np.ones(2), b2=0.0)
        >>> out.hidden.shape, out.output.shape
        ((2, 2), (2,))
        """
        X = self.data["X"] if X is None else self._check_X(X, "X")
        values, _ = self._values(params)
        v = self._all(values)
        pre, h, f = self._layers(X, v)
        mean = expit(f) if self.task == "classification" else f
        return Forward(X=X, pre=pre, hidden=h, output=f, mean=mean)

    def backward(self, X: Any = None, y: Any = None, **params: Any) -> Backward:
        """The backward pass: gradients of ``L = -log p(y | θ)``, layer by layer.

        Computed by the chain rule from the output back to the input, exactly as the model's
        own :meth:`grad_log_likelihood` is (which returns ``-params`` of this, chunked over
        rows). Use it to show backpropagation; it keeps every row's intermediates in memory.

        Parameters
        ----------
        X, y : array_like, optional
            Rows and their outcomes (default: the training data). Give both or neither.
        **params
            The parameter values, as for :meth:`forward`.

        Returns
        -------
        Backward
            ``d_output`` (``∂L/∂f``), ``d_hidden``, ``d_pre``, ``params`` (``∂L/∂θ``) and
            ``loss``.

        Examples
        --------
        >>> import numpy as np
        >>> import bayesgd as bg
        >>> m = bg.Perceptron(np.array([[1.0], [2.0]]), [0, 1], hidden=2)
        >>> theta = dict(W1=np.ones((1, 2)), b1=np.zeros(2), w2=np.ones(2), b2=0.0)
        >>> back = m.backward(**theta)
        >>> np.allclose(back.params["w2"], -m.grad_log_likelihood(**theta)["w2"])
        True
        """
        if (X is None) != (y is None):
            raise TypeError("backward() needs both X and y, or neither (the training data)")
        if X is None:
            X, y = self.data["X"], self.data["y"]
        else:
            X, y = self._check_data(X, y)
            if X.shape[1] != self.n_features:
                raise ValueError(f"X must have {self.n_features} column(s), got {X.shape[1]}")
        values, _ = self._values(params)
        v = self._all(values)
        pre, h, f = self._layers(X, v)
        d_output = -self._dloglik_df(y, f, v)
        grads, d_h, d_pre = self._backprop(X, v, pre, h, d_output, keep=True)
        if self.task == "regression":
            sigma = v["sigma"][..., None]
            grads["sigma"] = -(((((y - f) / sigma) ** 2) - 1.0) / sigma).sum(axis=-1)
        loss = -self._point_loglik(y, f, v).sum(axis=-1)
        return Backward(d_output=d_output, d_hidden=d_h, d_pre=d_pre, params=grads, loss=loss)

    def predict(
        self,
        X_new: Any,
        params: Any = None,
        *,
        posterior: Any = None,
        prob: float = 0.94,
        size: int = 1000,
        interval: str = "eti",
        noise: bool = False,
        rng: Any = None,
    ) -> Any:
        """Predictions at new inputs: from a point estimate or from a posterior.

        See :func:`bayesgd.predictive.predict` for the full description.

        - ``model.predict(X_new, params)`` with a parameter dict (or a ``MAPResult``) returns
          an array of ``P(y = 1 | x)`` (classification) or ``E[y | x]`` (regression), one per
          row (with leading axes if the parameters carry a batch).
        - ``model.predict(X_new, posterior=post, prob=0.94, size=1000, rng=0)`` with any
          posterior that has ``.sample(size, rng=)`` returns a
          :class:`~bayesgd.predictive.Prediction` with ``mean`` (the posterior predictive
          probability or mean), ``low``/``high`` (an equal-tailed or HDI interval of the
          network's mean across the posterior draws) and the ``draws`` themselves.

        Examples
        --------
        >>> import numpy as np
        >>> import bayesgd as bg
        >>> m = bg.Perceptron(np.array([[1.0], [2.0]]), [0, 1], hidden=2)
        >>> theta = dict(W1=np.ones((1, 2)), b1=np.zeros(2), w2=np.ones(2), b2=0.0)
        >>> m.predict([[0.0]], theta).round(3)
        array([0.5])
        """
        from ..predictive import predict

        return predict(
            self,
            X_new,
            params,
            posterior=posterior,
            prob=prob,
            size=size,
            interval=interval,
            noise=noise,
            rng=rng,
        )

    # ------------------------------------------------------------------ helpers
    def weight_decay(self, *, per_observation: bool = False) -> dict[str, Any]:
        """The weight decay ``λ`` each zero-mean Gaussian prior amounts to.

        A prior ``N(0, s²)`` on a parameter ``w`` adds ``λ ‖w‖²`` with ``λ = 1 / (2 s²)`` to the
        MAP loss ``-log p(θ | D)`` (up to a constant), on top of the summed negative log
        likelihood (cross-entropy for classification). With ``per_observation=True``, ``λ / n``:
        the decay on the *mean* loss, as deep-learning libraries write it.

        Returns
        -------
        dict
            Parameter name -> ``λ`` (a float, or an array when the prior scale varies by
            element), for the free parameters among ``W1``, ``b1``, ``w2``, ``b2`` whose prior
            is ``scipy.stats.norm`` with mean 0. Others are left out.

        Examples
        --------
        >>> import numpy as np
        >>> from scipy import stats
        >>> import bayesgd as bg
        >>> m = bg.Perceptron(np.zeros((4, 1)), [0, 1, 0, 1], hidden=2,
        ...                   weights=stats.norm(0, 0.5), biases=stats.norm(0, 10))
        >>> m.weight_decay()["W1"]  # 1 / (2 * 0.25)
        2.0
        """
        out: dict[str, Any] = {}
        for name in _WEIGHTS + _BIASES:
            param = self.parameters.get(name)
            if param is None or param.prior.family != "norm" or np.any(param.prior.loc != 0):
                continue
            lam = 1.0 / (2.0 * np.asarray(param.prior.scale, dtype=float) ** 2)
            if per_observation:
                lam = lam / self.n_obs
            out[name] = float(lam) if lam.ndim == 0 else np.broadcast_to(lam, param.shape).copy()
        return out

    def initial_point(self, *, rng: Any = 0, scale: float | None = None) -> dict[str, np.ndarray]:
        """Small random weights to start an optimizer from (zero weights are a saddle point).

        Weights are drawn ``N(0, scale²)`` with Glorot's scale ``sqrt(2 / (fan_in + fan_out))``
        by default, biases start at 0 and ``sigma`` at the standard deviation of ``y``,
        clipped into its prior's support. Fixed parameters are not included. The default
        ``rng=0`` makes the start reproducible: :func:`bayesgd.map_estimate` starts from
        ``model.initial_point()`` unless given ``init=``.

        Examples
        --------
        >>> import numpy as np
        >>> import bayesgd as bg
        >>> m = bg.Perceptron(np.zeros((4, 3)), [0, 1, 0, 1], hidden=5)
        >>> m.initial_point(rng=0)["W1"].shape
        (3, 5)
        """
        gen = as_rng(rng)
        d, H = self.n_features, self.hidden
        scales = {
            "W1": np.sqrt(2.0 / (d + H)) if scale is None else float(scale),
            "w2": np.sqrt(2.0 / (H + 1)) if scale is None else float(scale),
        }
        out: dict[str, np.ndarray] = {}
        for name, param in self.parameters.items():
            low, high = param.support
            if name in scales:
                value = scales[name] * gen.standard_normal(param.shape)
            elif name == "sigma":
                value = np.asarray(max(float(np.std(self.data["y"])), 1e-3))
            else:
                value = np.zeros(param.shape)
            width = np.where(np.isfinite(high - low), high - low, 1.0)
            inner_low = np.where(np.isfinite(low), low + 1e-3 * width, -np.inf)
            inner_high = np.where(np.isfinite(high), high - 1e-3 * width, np.inf)
            out[name] = np.clip(value, inner_low, inner_high).reshape(param.shape)
        return out

    def canonical_params(self, params: Mapping[str, Any]) -> dict[str, np.ndarray]:
        """The network with its hidden units in a canonical order (and tanh signs).

        Permuting the hidden units leaves ``f`` unchanged, and so does flipping the signs of a
        tanh unit's ``W1`` column, ``b1`` and ``w2`` entries. Units are turned so that
        ``w2 >= 0`` (tanh) and sorted by ``w2``, then ``b1``, then ``W1``; a change the priors
        or fixed values do not allow (they would change the log density) is not made.

        Examples
        --------
        >>> import numpy as np
        >>> import bayesgd as bg
        >>> m = bg.Perceptron(np.array([[-1.0], [1.0]]), [0, 1], hidden=2)
        >>> p = {"W1": [[1.0, 2.0]], "b1": [0.5, -0.5], "w2": [-1.0, 0.3], "b2": 0.1}
        >>> c = m.canonical_params(p)
        >>> c["w2"], c["W1"], c["b1"]
        (array([0.3, 1. ]), array([[ 2., -1.]]), array([-0.5, -0.5]))
        """
        point = {n: np.asarray(params[n], dtype=float) for n in self.parameters}
        target = float(self.log_density(**point))
        v = {**self.fixed, **point}
        W1, b1, w2 = (np.array(v[n], dtype=float) for n in ("W1", "b1", "w2"))
        if self.activation == "tanh":
            sign = np.where(w2 < 0, -1.0, 1.0)
            v = self._if_invariant(v, W1 * sign, b1 * sign, w2 * sign, target)
        W1, b1, w2 = v["W1"], v["b1"], v["w2"]
        order = np.lexsort((*W1[::-1], b1, w2))
        v = self._if_invariant(v, W1[:, order], b1[order], w2[order], target)
        return {n: v[n] for n in self.parameters}

    def _if_invariant(self, v, W1, b1, w2, target) -> dict[str, np.ndarray]:
        """``v`` with the new hidden layer if that leaves fixed values and the log density as
        they were, else ``v``."""
        trial = {**v, "W1": W1, "b1": b1, "w2": w2}
        if any(not np.array_equal(trial[n], v[n]) for n in ("W1", "b1", "w2") if n in self.fixed):
            return v
        value = float(self.log_density(**{n: trial[n] for n in self.parameters}))
        return trial if abs(value - target) <= 1e-10 * max(1.0, abs(target)) else v

    def _pymc_likelihood(self, params: Mapping[str, Any]) -> Any:
        """Add the observed likelihood to the current ``pm.Model`` (the same forward pass).

        ``params`` maps each free parameter's name to a PyTensor variable of its shape; fixed
        parameters come from :attr:`fixed`. The observed variable is named ``"y"``.
        """
        import pymc as pm
        import pytensor.tensor as pt

        v = {name: pt.as_tensor_variable(value) for name, value in self.fixed.items()}
        v.update(params)
        X = pt.as_tensor_variable(self.data["X"])
        pre = pt.dot(X, v["W1"]) + v["b1"]
        h = pt.tanh(pre) if self.activation == "tanh" else pt.maximum(pre, 0.0)
        f = pt.dot(h, v["w2"]) + v["b2"]
        if self.task == "classification":
            return pm.Bernoulli("y", logit_p=f, observed=self.data["y"].astype(np.int64))
        return pm.Normal("y", mu=f, sigma=v["sigma"], observed=self.data["y"])

    # ------------------------------------------------------------------ other
    def updated(self, **data: Any) -> Perceptron:
        """A new model with more rows ``X``, ``y`` appended (same network and priors)."""
        if set(data) != {"X", "y"}:
            raise TypeError(f"update() needs exactly X and y, got {sorted(data)}")
        X, y = self._check_data(data["X"], data["y"])
        if X.shape[1] != self.n_features:
            raise ValueError(f"X must have {self.n_features} column(s), got {X.shape[1]}")
        new = self.copy()
        new.data = {
            "X": owned(np.vstack([self.data["X"], X])),
            "y": owned(np.concatenate([self.data["y"], y])),
        }
        return new

    @property
    def bytes_per_evaluation(self) -> int:
        return 8 * 3 * self.n_obs * self.hidden

    def __repr__(self) -> str:
        head = (
            f"{self.n_features}-{self.hidden}-1 {self.activation} network, {self.task}, "
            f"n={self.n_obs}"
        )
        parts = [f"{n} ~ {p.prior.family}" for n, p in self.parameters.items()]
        parts += [f"{n} fixed" for n in self.fixed]
        return f"Perceptron({head}; {', '.join(parts)})"
