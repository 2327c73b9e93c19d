"""The shared base of the regression models: design matrix, offset, coefficient priors.

:class:`_Regression` reads ``X`` and ``y`` the same way for every regression model (see
:mod:`bayesgd.models.regression`); the GLM core lives there and the linear model's
quadratic-form statistics in :mod:`bayesgd.models.linear`.

Examples
--------
>>> _check_offset(1.5, 3).tolist()
[1.5, 1.5, 1.5]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import owned
from ._elementwise import check_real, check_rows
from .base import REAL, Model

__all__: list[str] = []

_LOG_2PI = np.log(2.0 * np.pi)
#: Elements of ``batch x n`` evaluated at once; bounds memory of the linear predictor.
_CHUNK_ELEMENTS = 1 << 21
#: Cells (rows x batch, rows x features) per chunk of the fused likelihood and gradient:
#: small enough for the cache, so the gradient ``r @ X`` reads the rows from it.
_FUSED_CELLS = 1 << 17


def _check_offset(offset: Any, n_rows: int, *, rows: str = "X") -> np.ndarray:
    """A finite offset per row: a scalar, or one value per row of ``rows`` (``n_rows``)."""
    off = np.asarray(check_real("offset", offset), dtype=float)
    if off.ndim > 1 or (off.ndim == 1 and off.shape[0] not in (1, n_rows)):
        raise ValueError(
            f"offset must be a scalar or have one value per row of {rows} ({n_rows}), got "
            f"shape {off.shape}"
        )
    return np.broadcast_to(off, (n_rows,)).copy()


def _check_design(
    X: Any, y: Any, *, y_check, n_features: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    X = check_rows(X, n_features, "X")
    y = np.asarray(y_check("y", y), dtype=float)
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(
            f"y must be a vector with one value per row of X ({X.shape[0]}), got shape {y.shape}"
        )
    return X, y


class _Regression(Model):
    """Shared pieces: design matrix, coefficient and intercept priors, update."""

    def _setup_regression(self, X, y, params: dict[Any, Any], *, offset: Any = None) -> None:
        X_given, y_given = X, y
        X, y = _check_design(X, y, y_check=self._check_y)
        self.n_features = X.shape[1]
        self._setup_priors(
            params,
            domains={"coef": REAL, "intercept": REAL, **self.extra_domains},
            shapes={"coef": (self.n_features,)},
        )
        if "coef" in self.parameters and self.parameters["coef"].shape != (self.n_features,):
            raise ValueError(
                f"coef has shape {self.parameters['coef'].shape} from its prior, but X has "
                f"{self.n_features} columns"
            )
        if "coef" in self.fixed:
            coef = np.broadcast_to(self.fixed["coef"], (self.n_features,))
            self.fixed["coef"] = owned(coef.copy())
        self.data = {"X": owned(X, X_given), "y": owned(y, y_given)}
        if offset is not None:
            self.data["offset"] = owned(_check_offset(offset, y.shape[0]), offset)

    extra_domains: dict[str, Any] = {}

    @staticmethod
    def _check_y(name, y):
        return check_real(name, y)

    @property
    def n_obs(self) -> int:
        return int(self.data["y"].shape[0])

    def _coef_intercept(self, v: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        coef = v["coef"]
        intercept = v.get("intercept", np.zeros(()))
        return coef, np.asarray(intercept, dtype=float)

    def _eta(self, coef, intercept, lo, hi) -> np.ndarray:
        eta = coef @ self.data["X"][lo:hi].T + intercept[..., None]
        if "offset" in self.data:
            eta = eta + self.data["offset"][lo:hi]
        return eta

    def _chunks(self, batch: tuple[int, ...]):
        n = self.n_obs
        step = max(1, _CHUNK_ELEMENTS // max(1, int(np.prod(batch, dtype=int))))
        for lo in range(0, n, step):
            yield lo, min(n, lo + step)

    def __repr__(self) -> str:
        return f"{super().__repr__()[:-1]}; n={self.n_obs}, d={self.n_features})"

    # prediction hooks (see bayesgd.predictive) ---------------------------------------------
    @property
    def can_predict(self) -> bool:
        return True

    def _check_X(self, X: Any, name: str = "X_new") -> np.ndarray:
        """New inputs: ``(m, d)``, or 1-D for a one-feature model (see ``check_rows``)."""
        return check_rows(X, self.n_features, name)

    def _inverse_link(self, eta: np.ndarray) -> np.ndarray:
        return eta

    def _predictive_mean(
        self,
        X: np.ndarray,
        values: Any,
        batch: tuple[int, ...],
        *,
        offset: np.ndarray | None = None,
    ) -> np.ndarray:
        """``E[y | x, θ]`` for rows ``X`` (m, d) at each batch index: shape ``batch + (m,)``.

        ``offset`` (shape ``(m,)``) is added to the linear predictor of each row.
        """
        v = self._all(values)
        coef = np.broadcast_to(v["coef"], (*batch, self.n_features))
        intercept = np.asarray(v.get("intercept", 0.0), dtype=float)
        eta = coef @ X.T + intercept[..., None]
        if offset is not None:
            eta = eta + offset
        return self._inverse_link(eta)

    def predict(self, X_new: Any, params: Any = None, **kwargs: Any) -> Any:
        """Predictions at new inputs from parameter values (or a MAPResult) or a posterior.

        ``E[y | x]``: a probability (logistic), a mean count ``exp(intercept + x @ coef +
        offset)`` (Poisson; give ``offset=`` for the new rows when the model was fitted with
        one) or a mean (linear). ``X_new`` has shape ``(m, d)``; a 1-D ``X_new`` is ``m``
        values of the single feature of a one-feature model. See
        :func:`bayesgd.predictive.predict` for the options.

        Examples
        --------
        >>> import numpy as np
        >>> from scipy import stats
        >>> import bayesgd as bg
        >>> m = bg.LogisticRegression(X=[[0.0], [1.0]], y=[0, 1], coef=stats.norm(0, 1))
        >>> m.predict([[0.0], [2.0]], {"coef": np.array([1.0])}).round(3)
        array([0.5  , 0.881])
        """
        from ..predictive import predict

        return predict(self, X_new, params, **kwargs)
