"""bayesgd.transforms: round trips, Jacobians, vector-Jacobian products, extremes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from bayesgd.transforms import (
    Identity,
    Interval,
    LowerBound,
    StickBreaking,
    UpperBound,
    transform_for_support,
)

ELEMENTWISE = [
    Identity(),
    LowerBound(0.0),
    LowerBound(-2.5),
    UpperBound(1.5),
    Interval(0.0, 1.0),
    Interval(-3.0, 7.0),
    LowerBound(np.array([0.0, 1.0, -4.0])),
    Interval(np.array([0.0, -1.0, 2.0]), np.array([1.0, 5.0, 2.5])),
]
IDS = [repr(t) for t in ELEMENTWISE]

finite_u = st.floats(-6.0, 6.0)


def u_vectors(size: int):
    return arrays(np.float64, (size,), elements=finite_u)


@pytest.mark.parametrize("t", ELEMENTWISE, ids=IDS)
@given(u=u_vectors(3))
def test_elementwise_round_trip(t, u):
    x = t.forward(u)
    assert np.all(t.contains(x))
    np.testing.assert_allclose(t.inverse(x), u, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("t", ELEMENTWISE, ids=IDS)
@given(u=u_vectors(3))
def test_elementwise_log_det_jacobian_and_its_gradient(t, u):
    h = 1e-6
    dxdu = (t.forward(u + h) - t.forward(u - h)) / (2 * h)
    np.testing.assert_allclose(t.log_det_jacobian(u), np.log(np.abs(dxdu)), rtol=1e-7, atol=1e-7)
    dl = (t.log_det_jacobian(u + h) - t.log_det_jacobian(u - h)) / (2 * h)
    np.testing.assert_allclose(t.grad_log_det_jacobian(u), dl, rtol=1e-6, atol=1e-7)
    g = np.array([0.3, -1.2, 2.0])
    np.testing.assert_allclose(t.vjp(u, g), g * dxdu, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("t", ELEMENTWISE, ids=IDS)
def test_elementwise_batched_shapes(t):
    u = np.linspace(-2, 2, 12).reshape(4, 3)
    assert t.forward(u).shape == (4, 3)
    assert t.log_det_jacobian(u).shape == (4, 3)
    assert t.grad_log_det_jacobian(u).shape == (4, 3)
    assert t.vjp(u, np.ones((4, 3))).shape == (4, 3)
    assert t.unconstrained_shape((4, 3)) == (4, 3)


def test_interval_extremes_stay_finite_and_in_support():
    t = Interval(-1.0, 2.0)
    u = np.array([-800.0, -40.0, 40.0, 800.0])
    x = t.forward(u)
    assert np.all(np.isfinite(x)) and np.all(t.contains(x))
    assert np.all(np.isfinite(t.log_det_jacobian(u)))
    assert np.all(np.isfinite(t.grad_log_det_jacobian(u)))
    assert np.all(np.isfinite(t.vjp(u, np.ones(4))))
    np.testing.assert_allclose(t.log_det_jacobian(np.array([-800.0])), np.log(3.0) - 800.0)


def test_lower_and_upper_bound_extremes():
    for t in (LowerBound(1.0), UpperBound(1.0)):
        u = np.array([-700.0, -30.0, 30.0, 700.0])
        x = t.forward(u)
        assert np.all(np.isfinite(x)) and np.all(t.contains(x))
        np.testing.assert_array_equal(t.log_det_jacobian(u), u)


def test_interval_centre():
    assert float(Interval(0.0, 1.0).forward(np.array(0.0))) == 0.5
    assert float(Interval(-3.0, 7.0).forward(np.array(0.0))) == 2.0


# --------------------------------------------------------------------------- simplex
@pytest.mark.parametrize("k", [2, 3, 5])
def test_stick_breaking_centre(k):
    t = StickBreaking(k)
    np.testing.assert_allclose(t.forward(np.zeros(k - 1)), np.full(k, 1.0 / k), rtol=1e-14)
    np.testing.assert_allclose(t.inverse(np.full(k, 1.0 / k)), np.zeros(k - 1), atol=1e-13)
    assert t.unconstrained_shape((k,)) == (k - 1,)
    assert t.unconstrained_shape((6, k)) == (6, k - 1)


@pytest.mark.parametrize("k", [2, 3, 5])
@given(data=st.data())
def test_stick_breaking_round_trip(k, data):
    t = StickBreaking(k)
    u = data.draw(arrays(np.float64, (k - 1,), elements=st.floats(-20.0, 20.0)))
    x = t.forward(u)
    assert x.shape == (k,)
    assert np.all(x > 0)
    np.testing.assert_allclose(x.sum(), 1.0, rtol=1e-13)
    assert t.contains(x)
    np.testing.assert_allclose(t.inverse(x), u, rtol=1e-8, atol=1e-8)


def _jacobian(f, u, h=1e-6):
    cols = []
    for j in range(u.size):
        e = np.zeros(u.size)
        e[j] = h
        cols.append((f(u + e) - f(u - e)) / (2 * h))
    return np.stack(cols, axis=-1)


@pytest.mark.parametrize("k", [2, 3, 5])
@given(data=st.data())
def test_stick_breaking_jacobian_terms(k, data):
    t = StickBreaking(k)
    u = data.draw(arrays(np.float64, (k - 1,), elements=st.floats(-4.0, 4.0)))
    jac = _jacobian(t.forward, u)  # (k, k-1)
    # the first K-1 coordinates determine the point on the simplex
    _, logdet = np.linalg.slogdet(jac[:-1])
    np.testing.assert_allclose(t.log_det_jacobian(u), logdet, rtol=1e-6, atol=1e-6)
    g = data.draw(arrays(np.float64, (k,), elements=st.floats(-3.0, 3.0)))
    np.testing.assert_allclose(t.vjp(u, g), jac.T @ g, rtol=1e-6, atol=1e-7)
    grad_ldj = _jacobian(lambda v: np.atleast_1d(t.log_det_jacobian(v)), u)[0]
    np.testing.assert_allclose(t.grad_log_det_jacobian(u), grad_ldj, rtol=1e-6, atol=1e-7)


def test_stick_breaking_batched():
    t = StickBreaking(4)
    rng = np.random.default_rng(0)
    u = rng.normal(size=(2, 3, 3))
    x = t.forward(u)
    assert x.shape == (2, 3, 4)
    np.testing.assert_allclose(t.inverse(x), u, atol=1e-10)
    ldj = t.log_det_jacobian(u)
    assert ldj.shape == (2, 3)
    np.testing.assert_allclose(ldj[1, 2], t.log_det_jacobian(u[1, 2]))
    g = rng.normal(size=(2, 3, 4))
    v = t.vjp(u, g)
    assert v.shape == (2, 3, 3)
    np.testing.assert_allclose(v[0, 1], t.vjp(u[0, 1], g[0, 1]))
    assert t.grad_log_det_jacobian(u).shape == (2, 3, 3)
    assert t.contains(x).shape == (2, 3)


def test_stick_breaking_extremes_stay_on_the_simplex():
    t = StickBreaking(4)
    for u in ([800.0, -800.0, 800.0], [-800.0, -800.0, -800.0], [50.0, 50.0, 50.0]):
        u = np.array(u)
        x = t.forward(u)
        assert np.all(np.isfinite(x)) and np.all(x >= 0)
        np.testing.assert_allclose(x.sum(), 1.0, rtol=1e-12)
        assert np.isfinite(t.log_det_jacobian(u))
        assert np.all(np.isfinite(t.grad_log_det_jacobian(u)))
        assert np.all(np.isfinite(t.vjp(u, np.ones(4))))


def test_stick_breaking_needs_two_components():
    with pytest.raises(ValueError, match="2 components"):
        StickBreaking(1)


def test_contains():
    t = StickBreaking(3)
    assert t.contains(np.array([0.2, 0.3, 0.5]))
    assert not t.contains(np.array([0.2, 0.3, 0.6]))
    assert not t.contains(np.array([-0.1, 0.6, 0.5]))
    np.testing.assert_array_equal(
        Identity().contains(np.array([0.0, np.inf, np.nan])), [True, False, False]
    )
    np.testing.assert_array_equal(
        LowerBound(0.0).contains(np.array([-1.0, 0.0, 2.0])), [False, True, True]
    )
    np.testing.assert_array_equal(
        Interval(0.0, 1.0).contains(np.array([-0.1, 0.5, 1.1])), [False, True, False]
    )


# ------------------------------------------------------------------ transform_for_support
def test_transform_for_support_picks_the_right_class():
    assert isinstance(transform_for_support(-np.inf, np.inf), Identity)
    t = transform_for_support(2.0, np.inf)
    assert isinstance(t, LowerBound) and float(t.low) == 2.0
    t = transform_for_support(-np.inf, -1.0)
    assert isinstance(t, UpperBound) and float(t.high) == -1.0
    t = transform_for_support(0.0, 1.0)
    assert isinstance(t, Interval) and float(t.low) == 0.0 and float(t.high) == 1.0
    t = transform_for_support(np.array([0.0, 1.0]), np.array([2.0, 3.0]))
    assert isinstance(t, Interval)
    np.testing.assert_array_equal(t.forward(np.zeros(2)), [1.0, 2.0])
    assert isinstance(transform_for_support(np.zeros(2), np.full(2, np.inf)), LowerBound)
    assert isinstance(transform_for_support(np.full(2, -np.inf), np.full(2, np.inf)), Identity)


def test_transform_for_support_errors():
    with pytest.raises(ValueError, match="low < high"):
        transform_for_support(1.0, 1.0)
    with pytest.raises(TypeError, match="different kinds of support"):
        transform_for_support(np.array([0.0, -np.inf]), np.array([1.0, np.inf]))
