"""Shared test fixtures: a seeded generator, a finite-difference helper, hypothesis profile."""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "bayesgd",
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
# a long run to hunt for rare failures: HYPOTHESIS_PROFILE=thorough pytest ...
settings.register_profile("thorough", parent=settings.get_profile("bayesgd"), max_examples=400)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "bayesgd"))


def central_difference(f: Callable[[np.ndarray], float], x: np.ndarray, h: float | np.ndarray):
    """Central finite-difference gradient of a scalar function ``f`` at ``x`` (any shape)."""
    x = np.asarray(x, dtype=float)
    h = np.broadcast_to(np.asarray(h, dtype=float), x.shape)
    grad = np.empty(x.shape)
    for idx in np.ndindex(*x.shape):
        up, down = x.copy(), x.copy()
        up[idx] += h[idx]
        down[idx] -= h[idx]
        grad[idx] = (f(up) - f(down)) / (2.0 * h[idx])
    return grad


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240601)


@pytest.fixture
def fd() -> Callable[..., np.ndarray]:
    """``fd(f, x, h)``: central finite-difference gradient of scalar ``f`` at ``x``."""
    return central_difference
