"""Predictions at new inputs: from a point estimate (the MAP) or from a whole posterior.

A point estimate ``θ̂`` gives one prediction per input, ``E[y | x, θ̂]``: the probability
``P(y = 1 | x, θ̂)`` for a classifier, the mean for a regression. A posterior gives the
*posterior predictive* mean ``E[y | x, D] = ∫ E[y | x, θ] p(θ | D) dθ``, estimated by averaging
over draws ``θ_s ~ p(θ | D)``, and an interval of ``E[y | x, θ_s]`` across the draws that says
how much the data pin the prediction down. Far from the data a MAP network can be certain
(``P ≈ 0`` or ``1``) while the posterior is not: the interval is then wide.

Any model whose ``can_predict`` is True can be used (the regressions and
:class:`bayesgd.Perceptron`: they override the ``_check_X(X)`` and
``_predictive_mean(X, values, batch)`` hooks declared on :class:`bayesgd.Model`); any
posterior with ``.sample(size, rng=)`` (Laplace, PyMC draws, ...) can be passed.

Examples
--------
>>> import numpy as np
>>> import bayesgd as bg
>>> from bayesgd.posterior import SamplePosterior
>>> m = bg.Perceptron(np.array([[-1.0], [1.0]]), [0, 1], hidden=2)
>>> post = SamplePosterior(m, m.prior_sample(500, rng=0))
>>> pred = predict(m, [[0.0], [5.0]], posterior=post, size=200, rng=1)
>>> pred.mean.shape, pred.low.shape, pred.draws.shape
((2,), (2,), (200, 2))
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ._validation import as_rng, check_positive_int, check_prob
from .models.base import Model
from .numerics.intervals import hdi_of_samples

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Prediction", "predict"]

_INTERVALS = ("eti", "hdi")


@dataclass(frozen=True)
class Prediction:
    """A posterior predictive summary at new inputs.

    Attributes
    ----------
    mean : ndarray, shape (m,)
        Posterior predictive mean per row: ``P(y = 1 | x, D)`` for classification (the average
        of the draws' probabilities), ``E[y | x, D]`` for regression.
    low, high : ndarray, shape (m,)
        Ends of the central (``"eti"``) or highest-density (``"hdi"``) interval of mass
        ``prob`` of ``draws`` per row.
    draws : ndarray, shape (size, m)
        ``E[y | x, θ_s]`` for each posterior draw ``θ_s`` (with ``noise=True``: simulated
        observations ``y_s``).
    prob : float
        Mass of the interval.
    interval : str
        ``"eti"`` or ``"hdi"``.
    noise : bool
        Whether ``draws`` include the observation noise (regression only).
    """

    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray
    draws: np.ndarray
    prob: float
    interval: str
    noise: bool = False

    @property
    def sd(self) -> np.ndarray:
        """Standard deviation of ``draws`` per row."""
        return self.draws.std(axis=0, ddof=1) if len(self.draws) > 1 else np.zeros_like(self.mean)

    @property
    def width(self) -> np.ndarray:
        """``high - low`` per row."""
        return self.high - self.low

    def to_frame(self) -> pd.DataFrame:
        """A DataFrame with one row per input and columns ``mean``, ``sd``, ``low``, ``high``."""
        import pandas as pd

        return pd.DataFrame(
            {"mean": self.mean, "sd": self.sd, "low": self.low, "high": self.high},
            index=pd.RangeIndex(len(self.mean), name="row"),
        )

    def __repr__(self) -> str:
        return (
            f"<Prediction: {len(self.mean)} rows, {len(self.draws)} draws, "
            f"{self.interval} {self.prob:g}>\n{self.to_frame().to_string(max_rows=10)}"
        )


def _point_values(model: Any, params: Any) -> tuple[dict[str, np.ndarray], tuple[int, ...]]:
    if not isinstance(params, Mapping) and isinstance(getattr(params, "params", None), Mapping):
        params = params.params  # a MAPResult
    if not isinstance(params, Mapping):
        raise TypeError(
            "params must be a dict of parameter values (or a MAPResult), got "
            f"{type(params).__name__}"
        )
    values, batch = model._values(params)
    for name, value in values.items():
        if not np.all(np.isfinite(value)):
            raise ValueError(f"params[{name!r}] must be finite, got {np.asarray(value)!r}")
    return values, batch


def _posterior_draws(model: Any, posterior: Any, size: int, rng: np.random.Generator):
    if isinstance(posterior, Mapping):
        raise TypeError(
            "posterior must be a posterior object with .sample(size, rng=); to predict from a "
            "dict of draws pass it as params (the draws' leading axes are kept)"
        )
    sample = getattr(posterior, "sample", None)
    if not callable(sample):
        raise TypeError(
            f"posterior must have a .sample(size, rng=) method, got {type(posterior).__name__}"
        )
    draws = sample(size, rng=rng)
    if not isinstance(draws, Mapping):
        raise TypeError("posterior.sample(size, rng=) must return a dict of arrays")
    missing = [n for n in model.parameters if n not in draws]
    if missing:
        raise ValueError(f"the posterior's draws lack the model's parameter(s) {missing}")
    values = {}
    for name, param in model.parameters.items():
        arr = np.asarray(draws[name], dtype=float)
        if arr.shape != (size, *param.shape):
            raise ValueError(
                f"posterior draws of {name} have shape {arr.shape}, expected "
                f"{(size, *param.shape)}"
            )
        values[name] = arr
    return values


def _offset_argument(model: Any, offset: Any, n_rows: int) -> dict[str, np.ndarray]:
    """``{"offset": ...}`` for ``_predictive_mean`` when the model has an offset term, else {}.

    The model's ``_new_offset(offset, n_rows)`` hook validates it (and requires it when the
    model was fitted with one); by default a model has no offset term and refuses one.
    """
    off = model._new_offset(offset, n_rows)
    return {} if off is None else {"offset": off}


def predict(
    model: Any,
    X_new: Any,
    params: Any = None,
    *,
    posterior: Any = None,
    prob: float = 0.94,
    size: int = 1000,
    interval: str = "eti",
    noise: bool = False,
    offset: Any = None,
    rng: Any = None,
) -> np.ndarray | Prediction:
    """Predict at new inputs from parameter values or from a posterior.

    Parameters
    ----------
    model : Model
        A model with prediction hooks, e.g. :class:`bayesgd.Perceptron`.
    X_new : array_like, shape (m, d)
        New inputs, one row each; a 1-D ``X_new`` is ``m`` values of the single feature of a
        one-feature regression (with more features one row is ``[[x1, ..., xd]]``).
    params : dict or MAPResult, optional
        Parameter values (free parameters; leading batch axes allowed). Give this *or*
        ``posterior``.
    posterior : object with ``.sample(size, rng=)``, optional
        Any bayesgd posterior (Laplace, PyMC draws, ...).
    prob : float, default 0.94
        Mass of the interval (posterior only).
    size : int, default 1000
        Number of posterior draws (posterior only).
    interval : {"eti", "hdi"}, default "eti"
        Equal-tailed (quantiles ``(1 - prob) / 2`` and ``(1 + prob) / 2``) or highest-density
        interval of the draws' predictions.
    noise : bool, default False
        Regression only: add the observation noise ``sigma`` to each draw, so the interval is
        one for a new ``y`` rather than for its mean.
    offset : float or array_like, shape (m,), optional
        :class:`~bayesgd.PoissonRegression` only: added to the linear predictor of each new
        row, e.g. ``np.log(exposure)`` (a scalar is shared by all rows). Required when the
        model was fitted with an offset; 0 by default otherwise.
    rng : None, int or Generator
        Randomness for the posterior draws and the noise.

    Returns
    -------
    ndarray or Prediction
        With ``params``: ``E[y | x, θ]`` (a probability for classification) of shape
        ``batch + (m,)``. With ``posterior``: a :class:`Prediction`.

    Examples
    --------
    >>> import numpy as np
    >>> import bayesgd as bg
    >>> m = bg.Perceptron(np.array([[-1.0], [1.0]]), [0, 1], hidden=2)
    >>> theta = dict(W1=np.ones((1, 2)), b1=np.zeros(2), w2=np.ones(2), b2=0.0)
    >>> predict(m, [[0.0], [100.0]], theta).round(3)
    array([0.5  , 0.881])
    """
    if not isinstance(model, Model) and isinstance(getattr(model, "model", None), Model):
        # a posterior or a MAPResult in first place: predict from it with its own model
        source, model = model, model.model
        if params is not None or posterior is not None:
            raise TypeError("give either a model with params/posterior=, or a result alone")
        if isinstance(getattr(source, "params", None), Mapping):
            params = source
        else:
            posterior = source
    if not isinstance(model, Model):
        raise TypeError(f"model must be a bayesgd Model, got {type(model).__name__}")
    if not model.can_predict:
        raise TypeError(f"{type(model).__name__} does not support predict()")
    X = model._check_X(X_new, "X_new")
    if (params is None) == (posterior is None):
        raise TypeError("give exactly one of params (point values) and posterior=")
    extra = _offset_argument(model, offset, X.shape[0])
    if not isinstance(noise, bool):
        raise TypeError(f"noise must be True or False, got {noise!r}")
    if noise and model.task != "regression":
        raise ValueError("noise=True is only for regression models (task='regression')")
    if params is not None:
        if noise:
            raise ValueError("noise=True needs posterior=; with params the mean is returned")
        values, batch = _point_values(model, params)
        return model._predictive_mean(X, values, batch, **extra)
    prob = check_prob(prob, "prob")
    size = check_positive_int(size, "size")
    if interval not in _INTERVALS:
        raise ValueError(f"interval must be one of {list(_INTERVALS)}, got {interval!r}")
    gen = as_rng(rng)
    values = _posterior_draws(model, posterior, size, gen)
    draws = model._predictive_mean(X, values, (size,), **extra)
    if noise:
        scales = {**model.fixed, **values}
        sigma = (
            np.sqrt(scales["sigma2"]) if "sigma2" in scales else np.asarray(scales["sigma"])
        ) * np.ones(size)
        draws = draws + sigma[:, None] * gen.standard_normal(draws.shape)
    if not np.all(np.isfinite(draws)):
        raise ValueError("the posterior draws give non-finite predictions")
    if interval == "eti":
        low, high = np.quantile(draws, [(1 - prob) / 2, (1 + prob) / 2], axis=0)
    else:
        low, high = hdi_of_samples(draws, prob, axis=0)
    return Prediction(
        mean=draws.mean(axis=0),
        low=np.asarray(low),
        high=np.asarray(high),
        draws=draws,
        prob=prob,
        interval=interval,
        noise=noise,
    )
