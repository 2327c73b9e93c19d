"""Grids over probability vectors: cells cut by the face of the simplex, the implied last
component, and modes where faces meet, against exact Dirichlet posteriors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from grid_truth import exact_hdi, log_multibeta
from scipy import stats
from scipy.special import gammaln

import bayesgd as bg
from bayesgd.errors import GridWarning
from bayesgd.grid import FACE_ERROR_TOLERANCE, grid

pytestmark = pytest.mark.filterwarnings("error::bayesgd.errors.GridWarning")


def test_dirichlet_mass_on_a_face_of_the_simplex_converges_at_second_order():
    # flat prior and no count in the last category: the density does not vanish on p[2] = 0,
    # where the grid cuts cells; the cut cells are integrated exactly in volume
    model = bg.Multinomial(x=[[5, 3, 0]], p=stats.dirichlet([1.0, 1.0, 1.0]))
    a_post = np.array([6.0, 4.0, 1.0])
    evidence = np.log(56.0) + log_multibeta(a_post) - log_multibeta([1.0, 1.0, 1.0])
    errors = []
    for n in (201, 401):
        post = grid(model, points=n)
        np.testing.assert_allclose(post.mode()["p"], [0.625, 0.375, 0.0], atol=1e-9)
        errors.append(abs(post.log_evidence - evidence))
        mean = a_post / a_post.sum()
        np.testing.assert_allclose(post.mean()["p"], mean, atol=50.0 / n**2)
    assert errors[1] < 1e-4
    assert errors[1] < errors[0] / 3.0  # second order in the spacing


def _dirichlet_truth(x, alpha):
    x, alpha = np.asarray(x, dtype=float), np.asarray(alpha, dtype=float)
    a_post = alpha + x
    mean = a_post / a_post.sum()
    sd = np.sqrt(mean * (1.0 - mean) / (a_post.sum() + 1.0))
    const = gammaln(x.sum() + 1) - np.sum(gammaln(x + 1))
    return mean, sd, const + log_multibeta(a_post) - log_multibeta(alpha)


@pytest.mark.parametrize(
    ("x", "tol_mean", "tol_evidence"),
    [
        ([3, 4, 0], 2e-6, 5e-6),
        ([2, 8, 1, 0], 1e-4, 3e-4),
        ([2, 3, 1, 0], 5e-5, 1e-4),
        ([1, 1, 1, 1], 5e-5, 1e-4),
    ],
)
def test_cells_along_the_simplex_face_get_end_corrections(x, tol_mean, tol_evidence):
    # the midpoint rule over the cells wholly inside errs at second order at the staircase
    # along the face sum(p[:-1]) = 1 unless their runs get end corrections there too (the
    # uncorrected grid was off by 1.5e-4, 2.9e-3, 1.3e-3 and 7.3e-4 in the log evidence,
    # 3.3e-5, 4e-4, 2.8e-4 and 1.7e-4 in the mean)
    alpha = np.ones(len(x))
    post = grid(bg.Multinomial(x=x, p=stats.dirichlet(alpha)))
    mean, _, evidence = _dirichlet_truth(x, alpha)
    np.testing.assert_allclose(post.mean()["p"], mean, atol=tol_mean)
    assert post.log_evidence == pytest.approx(evidence, abs=tol_evidence)
    assert post.face_error["log_evidence"] < 1e-3


@pytest.mark.parametrize("x", [[3, 5, 2, 7, 1], [1, 1, 1, 1, 1]])
def test_four_dim_simplex_grid_reports_its_face_error(x):
    # posterior mass near the face p[4] = 0 is resolved only by cells 4 spacings wide across
    # it: the default 41^4 grid errs by more than 1e-3 in the log evidence there; it must say
    # so (GridWarning) with an estimate of the right size, not stay silent
    alpha = np.ones(5)
    model = bg.Multinomial(x=x, p=stats.dirichlet(alpha))
    with pytest.warns(GridWarning, match="face of the simplex"):
        post = grid(model)
    mean, sd, evidence = _dirichlet_truth(x, alpha)
    err_evidence = abs(post.log_evidence - evidence)
    err_mean = np.abs(np.asarray(post.mean()["p"]) - mean) / sd
    assert err_evidence > 1e-3  # the case is genuinely hard for this grid
    est = post.face_error
    assert err_evidence / 3.0 < est["log_evidence"] < 3.0 * err_evidence
    assert est["p[4]"] > err_mean[4] / 3.0
    assert max(est.values()) > FACE_ERROR_TOLERANCE


def test_integer_edge_exponent_is_not_taken_for_a_power_law_at_fine_resolution():
    """Dirichlet(2, 2, 2, 2) vanishes linearly at p[i] = 0; the fitted exponent is 1 + O(h)
    (1.001 at 111 points), which once passed for a power law and put the log evidence 3e-4
    off at 111+ points while 101 points were 20 times closer. Errors must fall with n."""
    x, alpha = [1, 1, 1, 1], np.ones(4)
    mean, _, evidence = _dirichlet_truth(x, alpha)
    errors = []
    for n in (101, 121, 161):
        post = grid(bg.Multinomial(x=x, p=stats.dirichlet(alpha)), points=n)
        errors.append(abs(post.log_evidence - evidence))
        np.testing.assert_allclose(post.mean()["p"], mean, atol=1e-5)
    assert errors[0] > errors[1] > errors[2]
    assert errors[1] < 3e-5


@pytest.mark.parametrize("K", [4, 5])
@pytest.mark.parametrize("points", [None, 41])
def test_mode_where_two_or_more_faces_of_the_simplex_meet(K, points):
    """Two categories never seen under a flat prior: the mode (0.75, 0.25, 0, ...) lies where
    the faces p[2] = 0 and p[-1] = 0 meet; the refinement must reach it, not stop half a
    spacing away along the edge."""
    model = bg.Categorical(y=[0, 0, 0, 1], p=stats.dirichlet(np.ones(K)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GridWarning)  # coarse at p = 0 by design
        post = grid(model, **({} if points is None else {"points": points}))
    expected = np.zeros(K)
    expected[:2] = [0.75, 0.25]
    np.testing.assert_allclose(post.mode()["p"], expected, atol=1e-9)
    np.testing.assert_allclose(bg.conjugate(model).mode()["p"], expected, atol=1e-12)


@pytest.mark.parametrize("x", [[81, 81, 86], [82, 82, 87], [5, 40, 12]])
def test_implied_last_component_has_no_aliasing_sawtooth(x):
    """The last component's marginal is binned from 1 - sum; bins of a width other than the
    lattice step of those values gave a +-20% sawtooth in its density and HDI errors of
    1-2 spacings. Against its exact Beta marginal:"""
    model = bg.Multinomial(x=[x], p=stats.dirichlet([1.0, 1.0, 1.0]))
    post = grid(model)
    a = np.asarray(x) + 1.0
    exact = stats.beta(a[2], a.sum() - a[2])
    xs, dens = post.marginal("p", 2)
    near = np.abs(xs - exact.mean()) < 2 * exact.std()
    np.testing.assert_allclose(dens[near], exact.pdf(xs[near]), rtol=2e-3)
    low, high = post.hdi(0.94)["p"]
    assert (low[2], high[2]) == pytest.approx(exact_hdi(exact), abs=1e-5)
    assert post.quantile(0.3)["p"][2] == pytest.approx(exact.ppf(0.3), abs=1e-5)
