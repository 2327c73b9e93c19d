"""The prediction hooks every model declares, with the defaults of a model that does not predict.

The regressions and the Perceptron override them (and ``Model.can_predict``); see
:func:`bayesgd.predictive.predict` and :func:`bayesgd.compare`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["PredictionHooks"]


class PredictionHooks:
    """Defaults of the prediction hooks: a model that does not predict refuses new inputs."""

    def default_prediction_inputs(self) -> np.ndarray | None:
        """Inputs :func:`bayesgd.compare` predicts at when none are given (None: no prediction)."""
        return None

    def _check_X(self, X: Any, name: str = "X_new") -> np.ndarray:
        """New inputs as an ``(m, d)`` float array; a model that does not predict refuses."""
        raise TypeError(
            f"{name} is given but {type(self).__name__} does not predict: only regressions and "
            "the Perceptron take new inputs"
        )

    def _predictive_mean(
        self,
        X: np.ndarray,
        values: Mapping[str, np.ndarray],
        batch: tuple[int, ...],
        *,
        offset: np.ndarray | None = None,
    ) -> np.ndarray:
        """``E[y | x, θ]`` for rows ``X`` at each batch index: shape ``batch + (m,)``."""
        raise TypeError(f"{type(self).__name__} does not support predict()")

    def _new_offset(self, offset: Any, n_rows: int) -> np.ndarray | None:
        """The offset of ``n_rows`` new rows, validated (None: the model has no offset term)."""
        if offset is not None:
            raise TypeError(
                f"{type(self).__name__} has no offset term, so predict() takes no offset=; "
                "offsets are for PoissonRegression"
            )
        return None
