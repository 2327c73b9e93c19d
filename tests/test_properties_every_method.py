"""Issue 13, "done when": every public method over random valid models and data.

For each drawn model, every method that applies (conjugate, grid with few points,
map_estimate, laplace; not PyMC, too slow) must return only finite numbers where the true
answer is finite, or raise one of bayesgd's named errors; and a posterior's answers must not
change after the arrays it returned are written to.

Scales span many orders of magnitude. Where a method owned by another part of the package is
not yet stable at the extremes, the strategy is restricted *with a comment naming the issue
item*, never skipped silently.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy import stats

import bayesgd as bg

pytestmark = pytest.mark.filterwarnings("ignore")

#: Named outcomes a method may give instead of an answer (never a silent NaN).
NAMED = (bg.NotApplicableError, bg.DivergenceError, bg.NotPositiveDefiniteError)

# Scale exponents stay within +-EXP (values from 1e-30 to 1e30, far beyond any naive sum of
# squares or un-logged product). Wider ranges fail today in code other helpers own, each
# tracked by an issue-13 item and found by widening EXP to 100-300:
#   - item 6 (conjugate overflow, conjugate.py): Normal statistics at 1e254 give m2 = inf and
#     "dist has invalid parameters"; ``sigma=1e-126`` makes the posterior density not finite;
#   - items 6/7/15 (grid.py, intervals.hdi_of_grid): at 1e100 the grid's HDI raises
#     "density must contain only finite values"; at 1e-300 the grid's log density is NaN;
#   - item 13 (laplace.py Hessian step): at 1e100 Laplace raises a raw LinAlgError
#     ("Matrix is not positive definite") on a logistic regression and returns sd/mean inf
#     for a Normal sigma.
# Widen EXP here once those are fixed.
EXP = 30

scales = st.integers(-EXP, EXP).map(lambda e: 10.0**e)
positive = st.floats(0.5, 50.0)


@st.composite
def binomials(draw):
    n = draw(st.lists(st.integers(1, 10**6), min_size=1, max_size=4))
    k = [draw(st.integers(0, ni)) for ni in n]
    return bg.Binomial(k=k, n=n, p=stats.beta(draw(positive), draw(positive)))


@st.composite
def poissons(draw):
    scale = draw(st.integers(0, 6).map(lambda e: 10**e))
    k = draw(st.lists(st.integers(0, 1000), min_size=1, max_size=5))
    k = np.asarray(k) * scale
    exposure = draw(scales)
    return bg.Poisson(k=k, exposure=exposure, mu=stats.gamma(draw(positive), scale=1.0 / exposure))


@st.composite
def normals(draw):
    s = draw(scales)
    centre = draw(st.floats(-5, 5)) * s * draw(st.sampled_from([1.0, 1e6]))
    y = centre + s * np.asarray(draw(st.lists(st.floats(-3, 3), min_size=1, max_size=6)))
    kind = draw(st.sampled_from(["mean", "variance", "nig", "both"]))
    assume(kind in ("mean", "both") or 0.0 < 2 * s * s < np.inf)  # a valid variance prior
    if kind == "mean":
        return bg.Normal(y=y, mu=stats.norm(centre, 10 * s + abs(centre)), sigma=s)
    if kind == "variance":
        return bg.Normal(y=y, mu=centre, sigma2=stats.invgamma(3.0, scale=2 * s * s))
    if kind == "nig":
        prior = stats.normal_inverse_gamma(centre, 1.0, 3.0, 2 * s * s)
        return bg.Normal(y=y, prior=prior)
    return bg.Normal(
        y=y, mu=stats.norm(centre, 10 * s + abs(centre)), sigma=stats.halfnorm(scale=5 * s)
    )


@st.composite
def exponentials(draw):
    s = draw(scales)
    y = s * np.asarray(draw(st.lists(st.floats(0.01, 10), min_size=1, max_size=6)))
    return bg.Exponential(y=y, lam=stats.gamma(draw(positive), scale=1.0 / s))


@st.composite
def categoricals(draw):
    k = draw(st.integers(2, 3))
    y = draw(st.lists(st.integers(0, k - 1), min_size=1, max_size=30))
    alpha = [draw(positive) for _ in range(k)]
    return bg.Categorical(y=y, p=stats.dirichlet(alpha))


@st.composite
def logistics(draw):
    s = draw(scales)
    n = draw(st.integers(4, 20))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = s * rng.normal(size=n)
    y = (rng.random(n) < 0.5).astype(int)
    y[:2] = [0, 1]  # both outcomes: a finite mode under any prior
    return bg.LogisticRegression(
        X=x[:, None], y=y, coef=stats.norm(0, 2.5 / s), intercept=stats.norm(0, 5)
    )


models = st.one_of(binomials(), poissons(), normals(), exponentials(), categoricals(), logistics())


def _finite(value, where):
    if isinstance(value, dict):
        for k, v in value.items():
            _finite(v, f"{where}.{k}")
    elif isinstance(value, tuple | list):
        for i, v in enumerate(value):
            _finite(v, f"{where}[{i}]")
    else:
        assert np.all(np.isfinite(value)), f"{where} = {value!r} is not finite"


def _scribble(value):
    if isinstance(value, dict):
        for v in value.values():
            _scribble(v)
    elif isinstance(value, tuple | list):
        for v in value:
            _scribble(v)
    elif isinstance(value, np.ndarray):
        value[...] = np.nan


def _answers(post):
    return {
        "mean": post.mean(),
        "sd": post.sd(),
        "mode": post.mode(),
        "median": post.median(),
        "quantile": post.quantile([0.05, 0.95]),
        "hdi": post.hdi(0.9),
        "sample": post.sample(5, rng=0),
    }


def _check_posterior(post, where):
    first = _answers(post)
    _finite(first, where)
    _scribble(first)
    again = _answers(post)
    _finite(again, f"{where} after writing into its returned arrays")
    for key in again:
        np.testing.assert_equal(again[key], _answers(post)[key])
    return again


def _every_method(model):
    results = {}
    if bg.is_conjugate(model):
        post = bg.conjugate(model)
        results["conjugate"] = _check_posterior(post, "conjugate")
        assert np.isfinite(post.log_evidence), "conjugate log_evidence"
    if model.size <= 2:
        try:
            results["grid"] = _check_posterior(bg.grid(model, points=64), "grid")
        except NAMED:
            pass
    try:
        fit = bg.map_estimate(model)
    except NAMED:
        fit = None
    if fit is not None:
        _finite(fit.params, "map params")
        # at an edge where the prior density is unbounded (Beta(0.5, .) at 0) the true loss
        # is -inf; anywhere else it is finite
        assert np.isfinite(fit.loss) or fit.at_boundary, "map loss"
        try:
            results["laplace"] = _check_posterior(bg.laplace(model), "laplace")
        except NAMED:
            pass
    return results


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(model=models)
def test_every_method_answers_finite_numbers_that_writing_cannot_change(model):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = _every_method(model)
    assert results, f"no method answered for {model!r}"
    if "conjugate" in results and "grid" in results:
        # two exact methods agree (a loose check: 64 grid points)
        for name, mean in results["conjugate"]["mean"].items():
            sd = np.asarray(results["conjugate"]["sd"][name])
            gap = np.abs(np.asarray(results["grid"]["mean"][name]) - np.asarray(mean))
            assert np.all(gap <= 0.25 * sd + 1e-12 * np.abs(mean)), (name, model)
