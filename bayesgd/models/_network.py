"""The network's forward and backward passes, for :class:`~bayesgd.models.perceptron.Perceptron`.

:class:`Forward` and :class:`Backward` hold every intermediate quantity of one pass;
:class:`NetworkPasses` is the mixin that computes them (layer by layer, chunked over rows and
split over the batch so that no array exceeds ``chunk_elements`` numbers). The model class
supplies ``activation``, ``task``, ``hidden``, ``chunk_elements`` and ``parameters``.

Examples
--------
>>> import numpy as np
>>> from scipy import stats
>>> import bayesgd as bg
>>> m = bg.Perceptron(np.eye(2), [0, 1], hidden=2, weights=stats.norm(0, 1))
>>> fw = m.forward(W1=np.ones((2, 2)), b1=np.zeros(2), w2=np.ones(2), b2=0.0)
>>> isinstance(fw, Forward), fw.output.shape
(True, (2,))
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from scipy.special import expit

__all__ = ["Backward", "Forward", "NetworkPasses"]

_LOG_2PI = float(np.log(2.0 * np.pi))


@dataclass(frozen=True)
class Forward:
    """The layer activations of a forward pass (leading axes: the parameters' batch).

    Attributes
    ----------
    X : ndarray, shape (m, d)
        The input rows.
    pre : ndarray, shape (..., m, hidden)
        Hidden pre-activations ``X @ W1 + b1``.
    hidden : ndarray, shape (..., m, hidden)
        Hidden activations ``act(pre)``.
    output : ndarray, shape (..., m)
        The network output ``f = hidden @ w2 + b2`` (a logit, or the regression mean).
    mean : ndarray, shape (..., m)
        ``E[y | x, θ]``: ``expit(f)`` for classification, ``f`` for regression.
    """

    X: np.ndarray
    pre: np.ndarray
    hidden: np.ndarray
    output: np.ndarray
    mean: np.ndarray


@dataclass(frozen=True)
class Backward:
    """The gradients of a backward pass, layer by layer, of ``L = -log p(y | θ)``.

    ``L`` is the negative log likelihood summed over the rows (the summed cross-entropy for
    classification); the gradients of the log likelihood are their negatives.

    Attributes
    ----------
    d_output : ndarray, shape (..., m)
        ``∂L/∂f`` per row.
    d_hidden : ndarray, shape (..., m, hidden)
        ``∂L/∂h = ∂L/∂f · w2``.
    d_pre : ndarray, shape (..., m, hidden)
        ``∂L/∂pre = ∂L/∂h ⊙ act'(pre)``.
    params : dict
        ``∂L/∂θ`` for ``W1``, ``b1``, ``w2``, ``b2`` (and ``sigma`` for regression), summed over
        the rows, each of shape ``(..., *parameter shape)``.
    loss : ndarray, shape (...)
        ``L`` itself.
    """

    d_output: np.ndarray
    d_hidden: np.ndarray
    d_pre: np.ndarray
    params: dict[str, np.ndarray]
    loss: np.ndarray


class NetworkPasses:
    """Forward pass, backpropagation and the row/batch chunking of a one-hidden-layer network."""

    def _act(self, pre: np.ndarray) -> np.ndarray:
        return np.tanh(pre) if self.activation == "tanh" else np.maximum(pre, 0.0)

    def _act_grad(self, pre: np.ndarray, h: np.ndarray) -> np.ndarray:
        """``act'(pre)`` as a new array: ``1 - tanh²`` (from ``h``) or the step ``1{pre > 0}``."""
        if self.activation == "tanh":
            out = np.multiply(h, h)
            return np.subtract(1.0, out, out=out)
        return (pre > 0.0).astype(float)

    def _layers(
        self, X: np.ndarray, v: Mapping[str, np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Forward pass on rows ``X`` (m, d): ``(pre, h, f)`` with the parameters' batch axes."""
        pre = X @ v["W1"]  # (..., m, H)
        b1 = v["b1"][..., None, :]
        if np.broadcast_shapes(pre.shape, b1.shape) == pre.shape:
            pre += b1
        else:  # the biases carry batch axes the weights do not
            pre = pre + b1
        h = self._act(pre)
        f = (h @ v["w2"][..., :, None])[..., 0] + v["b2"][..., None]  # (..., m)
        return pre, h, f

    def _point_loglik(
        self, y: np.ndarray, f: np.ndarray, v: Mapping[str, np.ndarray]
    ) -> np.ndarray:
        """``log p(y_i | f_i)`` per row."""
        if self.task == "classification":
            return y * f - np.logaddexp(0.0, f)
        sigma = v["sigma"][..., None]
        with np.errstate(divide="ignore", invalid="ignore"):  # sigma <= 0: NaN, caught upstream
            return -0.5 * _LOG_2PI - np.log(sigma) - 0.5 * ((y - f) / sigma) ** 2

    def _dloglik_df(self, y: np.ndarray, f: np.ndarray, v: Mapping[str, np.ndarray]) -> np.ndarray:
        """``∂ log p(y_i | f_i) / ∂f_i`` per row: ``y - expit(f)`` or ``(y - f) / sigma²``."""
        if self.task == "classification":
            return y - expit(f)
        return (y - f) / v["sigma"][..., None] ** 2

    def _backprop(
        self,
        X: np.ndarray,
        v: Mapping[str, np.ndarray],
        pre: np.ndarray,
        h: np.ndarray,
        delta: np.ndarray,
        *,
        keep: bool = False,
    ) -> tuple[dict[str, np.ndarray], np.ndarray | None, np.ndarray]:
        """Chain rule from ``delta = ∂F/∂f`` (per row) to ``∂F/∂θ`` for any scalar ``F``.

        Returns the parameter gradients (summed over rows), ``∂F/∂h`` (only with ``keep``:
        otherwise it is folded into ``∂F/∂pre`` in place, saving an array) and ``∂F/∂pre``.
        """
        w2 = v["w2"][..., None, :]
        g_b2 = delta.sum(axis=-1)  # ∂F/∂b2 = Σ δ
        g_w2 = (delta[..., None, :] @ h)[..., 0, :]  # ∂F/∂w2 = Σ δ · h
        d_pre = self._act_grad(pre, h)
        if keep:
            d_h = delta[..., :, None] * w2  # ∂F/∂h = δ · w2
            d_pre *= d_h  # ∂F/∂pre = ∂F/∂h ⊙ act'(pre)
        else:
            d_h = None
            d_pre *= delta[..., :, None]
            d_pre *= w2
        g_W1 = X.T @ d_pre  # ∂F/∂W1 = Xᵀ ∂F/∂pre
        g_b1 = d_pre.sum(axis=-2)  # ∂F/∂b1 = Σ ∂F/∂pre
        return {"W1": g_W1, "b1": g_b1, "w2": g_w2, "b2": g_b2}, d_h, d_pre

    def _chunks(self, n: int, batch: tuple[int, ...]) -> Iterator[tuple[int, int]]:
        """Row ranges of at most ``chunk_elements / (batch size × hidden)`` rows (at least 1)."""
        per_row = max(1, int(np.prod(batch, dtype=int))) * self.hidden
        step = max(1, int(self.chunk_elements) // per_row)
        for lo in range(0, n, step):
            yield lo, min(n, lo + step)

    def _by_batch(self, fn: Any, values: Mapping[str, np.ndarray], batch: tuple[int, ...]) -> Any:
        """``fn(values, batch)``, split over the batch when one row of it exceeds the cap.

        ``fn`` returns an array or a tuple/dict of arrays whose leading axes are ``batch``.
        """
        size = int(np.prod(batch, dtype=int))
        if size * self.hidden <= self.chunk_elements:
            return fn(values, batch)
        step = max(1, int(self.chunk_elements) // self.hidden)
        flat = {
            n: np.broadcast_to(a, (*batch, *self.parameters[n].shape)).reshape(
                (size, *self.parameters[n].shape)
            )
            for n, a in values.items()
        }
        parts = [
            fn({n: a[lo : lo + step] for n, a in flat.items()}, (min(size, lo + step) - lo,))
            for lo in range(0, size, step)
        ]

        def join(items: list[Any]) -> Any:
            first = items[0]
            if isinstance(first, tuple):
                return tuple(join([it[k] for it in items]) for k in range(len(first)))
            if isinstance(first, dict):
                return {k: join([it[k] for it in items]) for k in first}
            whole = np.concatenate([np.asarray(it) for it in items], axis=0)
            return whole.reshape((*batch, *whole.shape[1:]))

        return join(parts)

    def _loglik(self, values, batch):
        return self._by_batch(self._loglik_rows, values, batch)

    def _loglik_rows(self, values, batch):
        v = self._all(values)
        X, y = self.data["X"], self.data["y"]
        total = np.zeros(batch)
        for lo, hi in self._chunks(self.n_obs, batch):
            _, _, f = self._layers(X[lo:hi], v)
            total = total + self._point_loglik(y[lo:hi], f, v).sum(axis=-1)
        return total

    def _grad_loglik(self, values, batch):
        return self._loglik_and_grad(values, batch)[1]

    def _loglik_and_grad(self, values, batch) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Log likelihood and its gradient from one forward and one backward pass per chunk."""
        return self._by_batch(self._loglik_and_grad_rows, values, batch)

    def _loglik_and_grad_rows(self, values, batch):
        v = self._all(values)
        X, y = self.data["X"], self.data["y"]
        total = np.zeros(batch)
        grads = {n: np.zeros((*batch, *s)) for n, s in self.shapes.items()}
        for lo, hi in self._chunks(self.n_obs, batch):
            Xc, yc = X[lo:hi], y[lo:hi]
            pre, h, f = self._layers(Xc, v)
            total = total + self._point_loglik(yc, f, v).sum(axis=-1)
            delta = self._dloglik_df(yc, f, v)
            layer, _, _ = self._backprop(Xc, v, pre, h, delta)
            for name, g in layer.items():
                grads[name] = grads[name] + g
            if self.task == "regression":
                sigma = v["sigma"][..., None]
                z2 = ((yc - f) / sigma) ** 2
                grads["sigma"] = grads["sigma"] + ((z2 - 1.0) / sigma).sum(axis=-1)
        out = {
            n: np.broadcast_to(grads[n], (*batch, *p.shape)) for n, p in self.parameters.items()
        }
        return total, out

    # ------------------------------------------------------------------ prediction
    def _predictive_mean(
        self, X: np.ndarray, values: Mapping[str, np.ndarray], batch
    ) -> np.ndarray:
        """``E[y | x, θ]`` for rows ``X`` (m, d) and each batch index: shape ``batch + (m,)``."""
        return self._by_batch(partial(self._predictive_mean_rows, X), values, batch)

    def _predictive_mean_rows(self, X, values, batch):
        v = self._all(values)
        out = np.empty((*batch, X.shape[0]))
        for lo, hi in self._chunks(X.shape[0], batch):
            _, _, f = self._layers(X[lo:hi], v)
            out[..., lo:hi] = expit(f) if self.task == "classification" else f
        return out
