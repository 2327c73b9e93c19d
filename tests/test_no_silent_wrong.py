"""Issue 13: no silent wrong answer (update semantics, owned data, immutable posteriors, ...)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from scipy import stats

import bayesgd as bg

# ------------------------------------------------------------------ item 1: update semantics


def test_readme_update_loop_equals_one_batch():
    """``for c in chunks: m.update(y=c)`` changes m in place, so nothing is lost."""
    y = np.random.default_rng(13).binomial(1, 0.3, size=1000)
    chunks = np.array_split(y, 7)
    m = bg.Bernoulli(y=chunks[0], p=stats.beta(1, 1))
    for c in chunks[1:]:
        assert m.update(y=c) is None  # like dict.update
    batch = bg.Bernoulli(y=y, p=stats.beta(1, 1))
    assert m.n_obs == 1000
    # exact: Beta(1 + successes, 1 + failures)
    exact = (1 + y.sum()) / (2 + y.size)
    assert bg.conjugate(m).mean()["p"] == pytest.approx(exact, rel=1e-15)
    assert bg.conjugate(batch).mean()["p"] == pytest.approx(exact, rel=1e-15)
    np.testing.assert_array_equal(m.data["y"], batch.data["y"])


@pytest.mark.parametrize(
    ("build", "chunks"),
    [
        (
            lambda d: bg.Normal(y=d["y"], mu=stats.norm(0, 10), sigma=1.0),
            [{"y": [0.3, 0.1]}, {"y": [0.5]}, {"y": [0.2, 0.4, 0.1]}],
        ),
        (
            lambda d: bg.LogisticRegression(X=d["X"], y=d["y"], coef=stats.norm(0, 2)),
            [{"X": [[0.0], [1.0]], "y": [0, 1]}, {"X": [[2.0]], "y": [1]}],
        ),
        (
            lambda d: bg.LinearRegression(X=d["X"], y=d["y"], coef=stats.norm(0, 2), sigma=1.0),
            [{"X": [[0.0], [1.0]], "y": [0.1, 1.2]}, {"X": [[2.0], [3.0]], "y": [1.9, 3.2]}],
        ),
        (
            lambda d: bg.Perceptron(d["X"], d["y"], hidden=2),
            [{"X": [[0.0], [1.0]], "y": [0, 1]}, {"X": [[2.0]], "y": [1]}],
        ),
    ],
)
def test_update_in_place_and_updated_copy(build, chunks):
    m = build(chunks[0])
    first = build(chunks[0])
    grown = m.updated(**chunks[1])
    assert m.n_obs == first.n_obs  # updated() leaves the original alone
    for c in chunks[1:]:
        m.update(**c)
    whole = build({k: np.concatenate([np.asarray(c[k]) for c in chunks]) for k in chunks[0]})
    assert m.n_obs == whole.n_obs
    assert grown.n_obs == first.n_obs + build(chunks[1]).n_obs
    theta = whole.prior_sample(3, rng=0)
    np.testing.assert_allclose(m.log_density(**theta), whole.log_density(**theta), rtol=1e-12)


def test_a_refused_update_leaves_the_model_unchanged():
    m = bg.Binomial(k=7, n=10, p=stats.beta(2, 2))
    with pytest.raises(ValueError, match="k must not exceed n"):
        m.update(k=6, n=5)
    assert float(m.stats["successes"]) == 7.0 and m.n_obs == 1
    with pytest.raises(TypeError, match="custom Model"):
        bg.Model(priors={"a": stats.norm()}, log_likelihood=lambda a: -(a**2)).update(y=[1.0])


# ------------------------------------------------------------ item 2: models own their data


def _owned_cases():
    """(name, build(arrays) -> model, arrays): every model class and every array argument."""
    rng = np.random.default_rng(2)
    X2 = rng.normal(size=(12, 2))
    return [
        (
            "bernoulli",
            lambda a: bg.Bernoulli(y=a["y"], p=stats.beta(2, 2)),
            {"y": np.array([1, 0, 1, 1, 0])},
        ),
        (
            "bernoulli_bool",
            lambda a: bg.Bernoulli(y=a["y"], p=stats.beta(2, 2)),
            {"y": np.array([True, False, True])},
        ),
        (
            "binomial",
            lambda a: bg.Binomial(k=a["k"], n=a["n"], p=stats.beta(2, 2)),
            {"k": np.array([3, 4]), "n": np.array([10, 9])},
        ),
        (
            "geometric",
            lambda a: bg.Geometric(k=a["k"], p=stats.beta(2, 2)),
            {"k": np.array([1, 3, 2])},
        ),
        (
            "negative_binomial",
            lambda a: bg.NegativeBinomial(k=a["k"], r=a["r"], p=stats.beta(2, 2)),
            {"k": np.array([4, 6, 1]), "r": np.array([3.0, 2.0, 5.0])},
        ),
        (
            "poisson",
            lambda a: bg.Poisson(k=a["k"], exposure=a["t"], mu=stats.gamma(2)),
            {"k": np.array([2, 5, 1]), "t": np.array([1.0, 2.0, 0.5])},
        ),
        (
            "exponential",
            lambda a: bg.Exponential(y=a["y"], lam=stats.gamma(2)),
            {"y": np.array([0.5, 1.5, 0.2])},
        ),
        (
            "normal",
            lambda a: bg.Normal(y=a["y"], mu=stats.norm(0, 10), sigma=a["sigma"]),
            {"y": np.array([1.0, 2.0, 1.5]), "sigma": np.array(1.5)},
        ),
        (
            "normal_sigma_prior",
            lambda a: bg.Normal(y=a["y"], mu=stats.norm(0, 10), sigma=stats.halfnorm(scale=5)),
            {"y": np.array([1.0, 2.0, 1.5])},
        ),
        (
            "multinomial",
            lambda a: bg.Multinomial(x=a["x"], p=stats.dirichlet([1, 1, 1])),
            {"x": np.array([[3, 1, 0], [2, 2, 1]])},
        ),
        (
            "categorical",
            lambda a: bg.Categorical(y=a["y"], p=stats.dirichlet([1, 1, 1])),
            {"y": np.array([0, 2, 2, 1])},
        ),
        (
            "linear",
            lambda a: bg.LinearRegression(
                X=a["X"],
                y=a["y"],
                coef=stats.norm(0, 3),
                intercept=stats.norm(0, 5),
                sigma=a["sigma"],
            ),
            {"X": X2.copy(), "y": X2 @ [1.0, -1.0] + 0.1, "sigma": np.array(0.7)},
        ),
        (
            "linear_fixed_coef",
            lambda a: bg.LinearRegression(
                X=a["X"], y=a["y"], coef=a["coef"], intercept=stats.norm(0, 5), sigma=1.0
            ),
            {"X": X2.copy(), "y": X2 @ [1.0, -1.0], "coef": np.array([1.0, -1.0])},
        ),
        (
            "logistic",
            lambda a: bg.LogisticRegression(
                X=a["X"], y=a["y"], coef=stats.norm(0, 2.5), intercept=stats.norm(0, 5)
            ),
            {"X": X2.copy(), "y": (X2[:, 0] > 0).astype(float)},
        ),
        (
            "poisson_regression",
            lambda a: bg.PoissonRegression(
                X=a["X"], y=a["y"], coef=stats.norm(0, 1), offset=a["offset"]
            ),
            {"X": X2.copy(), "y": np.arange(12) % 4, "offset": np.linspace(-0.5, 0.5, 12)},
        ),
        (
            "perceptron",
            lambda a: bg.Perceptron(a["X"], a["y"], hidden=2, biases=a["b"]),
            {
                "X": X2.copy(),
                "y": (X2[:, 1] > 0).astype(np.int64),
                "b": {"b1": stats.norm(0, 1), "b2": np.array(0.25)},
            },
        ),
        (
            "custom",
            lambda a: bg.Model(
                priors={"mu": stats.norm(0, 5), "s": a["s"]},
                log_likelihood=lambda mu, s: stats.norm.logpdf(1.0, mu, s),
                grad_log_likelihood=lambda mu, s: {"mu": (1.0 - mu) / s**2},
            ),
            {"s": np.array(2.0)},
        ),
    ]


def _scribble(arrays):
    """Overwrite every array the caller passed (in place), including those inside dicts."""
    for value in arrays.values():
        if isinstance(value, dict):
            _scribble(value)
        elif isinstance(value, np.ndarray):
            value[...] = 7 if value.dtype != bool else False


def _pymc_constants(model):
    import pytensor.graph.traversal as traversal

    pm_model = bg.to_pymc(model)
    roots = list(pm_model.observed_RVs) + list(pm_model.potentials)
    roots += [pm_model.rvs_to_values[rv] for rv in pm_model.observed_RVs]
    return [np.asarray(c.data) for c in traversal.ancestors(roots) if hasattr(c, "data")]


def _answers(model):
    out = {"theta": None}
    theta = model.prior_sample(3, rng=1)
    out["log_density"] = model.log_density(**theta)
    out["grad"] = model.grad_log_density(**theta)
    try:
        out["conjugate"] = bg.conjugate(model).mean()
    except bg.NotConjugateError:
        out["conjugate"] = None
    if model.size <= 2:
        out["grid"] = bg.grid(model, points=41).mean()
    out["map"] = bg.map_estimate(model, max_iter=300).params
    return out


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize(
    ("name", "build", "arrays"), [pytest.param(*case, id=case[0]) for case in _owned_cases()]
)
def test_editing_the_callers_arrays_changes_nothing(name, build, arrays):
    import copy

    pristine = build(copy.deepcopy(arrays))
    model = build(arrays)
    _scribble(arrays)
    got, want = _answers(model), _answers(pristine)
    for key, value in want.items():
        if isinstance(value, dict):
            for k in value:
                np.testing.assert_array_equal(got[key][k], value[k], err_msg=f"{name} {key}")
        else:
            np.testing.assert_array_equal(got[key], value, err_msg=f"{name} {key}")
    for a, b in zip(_pymc_constants(model), _pymc_constants(pristine), strict=True):
        np.testing.assert_array_equal(a, b, err_msg=f"{name} to_pymc")
    # nothing the model hands out can be written to either
    for container in ("data", "stats", "fixed"):
        for key, value in (getattr(model, container, None) or {}).items():
            if isinstance(value, np.ndarray):
                with pytest.raises(ValueError, match="read-only"):
                    value[...] = 0
                assert value.flags.writeable is False, (container, key)


def test_pandas_columns_are_copied():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"y": [1.0, 2.0, 4.0], "x": [0.0, 1.0, 2.0]})
    m = bg.Normal(y=frame["y"], mu=stats.norm(0, 10), sigma=1.0)
    r = bg.LinearRegression(X=frame[["x"]], y=frame["y"], coef=stats.norm(0, 3), sigma=1.0)
    frame.loc[:, :] = 0.0
    np.testing.assert_array_equal(m.data["y"], [1.0, 2.0, 4.0])
    np.testing.assert_array_equal(r.data["X"][:, 0], [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(r.data["y"], [1.0, 2.0, 4.0])


# ------------------------------------------- item 3: posteriors never change through outputs

_X3 = np.random.default_rng(3).normal(size=(15, 2))
_Y3 = _X3 @ [0.5, -1.0] + 0.2 + 0.3 * np.random.default_rng(4).normal(size=15)


def _posteriors():
    """One posterior of every type (every conjugate family, grid, Laplace, draws, PyMC)."""
    import arviz as az

    from bayesgd.posterior import SamplePosterior
    from bayesgd.priors import NormalInverseGamma
    from bayesgd.pymc import PyMCPosterior

    cat = bg.Categorical(y=[0, 2, 2, 1, 2], p=stats.dirichlet([1, 1, 1]))
    logistic = bg.LogisticRegression(
        X=_X3, y=(_Y3 > 0).astype(int), coef=stats.norm(0, 2), intercept=stats.norm(0, 5)
    )
    lin_nig = bg.LinearRegression(
        X=np.column_stack([np.ones(15), _X3]),
        y=_Y3,
        prior=NormalInverseGamma(mean=[0, 0, 0], cov=10.0, a=2, b=2),
    )
    lin_gauss = bg.LinearRegression(
        X=_X3, y=_Y3, coef=stats.norm(0, 3), intercept=stats.norm(0, 3), sigma=0.3
    )
    draws = {"p": stats.dirichlet([2, 3, 4]).rvs(200, random_state=0)}
    yield "beta", bg.conjugate(bg.Binomial(k=[3, 4], n=[10, 9], p=stats.beta([1, 2], [1, 2])))
    yield "gamma", bg.conjugate(bg.Poisson(k=[[2, 5], [1, 3]], mu=stats.gamma([2, 3])))
    yield (
        "normal_mean",
        bg.conjugate(bg.Normal(y=[[1.0, 2.0]], mu=stats.norm([0, 1], 10), sigma=1.0)),
    )
    yield (
        "normal_variance",
        bg.conjugate(bg.Normal(y=[[1.0, 2.0]], mu=0.5, sigma2=stats.invgamma([2, 3]))),
    )
    yield (
        "nig",
        bg.conjugate(bg.Normal(y=[1.0, 2.0, 1.2], prior=stats.normal_inverse_gamma(0, 1, 2, 2))),
    )
    yield "dirichlet", bg.conjugate(cat)
    yield "regression_nig", bg.conjugate(lin_nig)
    yield "regression_gaussian", bg.conjugate(lin_gauss)
    yield "grid", bg.grid(cat, points=41)
    yield "laplace", bg.laplace(logistic)
    yield "laplace_constrained", bg.laplace(logistic, space="constrained")
    yield "samples", SamplePosterior(cat, draws)
    yield "pymc", PyMCPosterior(cat, az.from_dict(posterior={"p": draws["p"].reshape(2, 100, 3)}))


def _every_output(post):
    return {
        "mean": post.mean(),
        "sd": post.sd(),
        "mode": post.mode(),
        "median": post.median(),
        "quantile": post.quantile([0.1, 0.9]),
        "hdi": post.hdi(0.9),
        "sample": post.sample(7, rng=3),
    }


def _scribble_all(value):
    """Write into every array reachable from ``value``; return how many were written."""
    if isinstance(value, dict):
        return sum(_scribble_all(v) for v in value.values())
    if isinstance(value, tuple | list):
        return sum(_scribble_all(v) for v in value)
    if isinstance(value, np.ndarray):
        value[...] = -123.0
        return 1
    return 0


def _assert_same(a, b, where=""):
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _assert_same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, tuple | list):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_same(x, y, f"{where}[{i}]")
    else:
        np.testing.assert_array_equal(a, b, err_msg=where)


_POSTERIOR_KINDS = [
    "beta", "gamma", "normal_mean", "normal_variance", "nig", "dirichlet", "regression_nig",
    "regression_gaussian", "grid", "laplace", "laplace_constrained", "samples", "pymc",
]  # fmt: skip


@pytest.fixture(scope="module")
def posteriors():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dict(_posteriors())


def test_every_posterior_type_is_covered(posteriors):
    assert sorted(posteriors) == sorted(_POSTERIOR_KINDS)


@pytest.mark.parametrize("kind", _POSTERIOR_KINDS)
def test_writing_into_returned_arrays_changes_no_later_answer(posteriors, kind):
    post = posteriors[kind]
    first = _every_output(post)
    summary = post.summary()
    reference = _every_output(post)  # the same answers, kept apart
    assert _scribble_all(first) > 0  # every type hands out at least one array
    _assert_same(_every_output(post), reference, kind)
    assert post.summary().equals(summary)


# -------------------------------------------------------------------- item 4: masked arrays


def _masked(values, dtype=float):
    arr = np.asarray(values, dtype=dtype)
    mask = np.zeros(arr.shape, dtype=bool)
    mask.flat[-1] = True
    return np.ma.masked_array(arr, mask=mask)


_X4 = np.column_stack([np.linspace(-1, 1, 4), np.linspace(0, 2, 4)])
#: (argument name, builder taking that argument masked): every data argument of every class
_MASKED_CASES = [
    ("y", lambda m: bg.Normal(y=m([1.0, 2.0, 100.0]), mu=stats.norm(0, 10), sigma=1.0)),
    ("y", lambda m: bg.Bernoulli(y=m([1, 0, 1], int), p=stats.beta(1, 1))),
    ("y", lambda m: bg.Bernoulli(y=m([True, False, True], bool), p=stats.beta(1, 1))),
    ("y", lambda m: bg.Bernoulli(y=m([1, 0, 1], np.uint8), p=stats.beta(1, 1))),
    ("k", lambda m: bg.Binomial(k=m([1, 2, 3], int), n=[5, 5, 5], p=stats.beta(1, 1))),
    ("n", lambda m: bg.Binomial(k=[1, 2, 3], n=m([5, 5, 5], int), p=stats.beta(1, 1))),
    ("k", lambda m: bg.Geometric(k=m([1, 2, 3], int), p=stats.beta(1, 1))),
    ("k", lambda m: bg.NegativeBinomial(k=m([1, 2, 3], int), r=2, p=stats.beta(1, 1))),
    ("r", lambda m: bg.NegativeBinomial(k=[1, 2, 3], r=m([2.0, 2, 9]), p=stats.beta(1, 1))),
    ("k", lambda m: bg.Poisson(k=m([1, 2, 3], int), mu=stats.gamma(2))),
    ("exposure", lambda m: bg.Poisson(k=[1, 2, 3], exposure=m([1.0, 2, 3]), mu=stats.gamma(2))),
    ("y", lambda m: bg.Exponential(y=m([1.0, 2.0, 3.0]), lam=stats.gamma(2))),
    ("x", lambda m: bg.Multinomial(x=m([[1, 2], [3, 4]], int), p=stats.dirichlet([1, 1]))),
    ("y", lambda m: bg.Categorical(y=m([0, 1, 1], int), p=stats.dirichlet([1, 1]))),
    ("sigma", lambda m: bg.Normal(y=[1.0, 2.0], mu=stats.norm(), sigma=m([1.0, 2.0]))),
    ("X", lambda m: bg.LinearRegression(X=m(_X4), y=np.ones(4), coef=stats.norm(), sigma=1.0)),
    ("y", lambda m: bg.LinearRegression(X=_X4, y=m(np.ones(4)), coef=stats.norm(), sigma=1.0)),
    ("X", lambda m: bg.LogisticRegression(X=m(_X4), y=[0, 1, 0, 1], coef=stats.norm())),
    ("y", lambda m: bg.LogisticRegression(X=_X4, y=m([0, 1, 0, 1], int), coef=stats.norm())),
    ("X", lambda m: bg.PoissonRegression(X=m(_X4), y=[0, 1, 0, 1], coef=stats.norm())),
    ("y", lambda m: bg.PoissonRegression(X=_X4, y=m([0, 1, 0, 1], int), coef=stats.norm())),
    ("offset", lambda m: bg.PoissonRegression(X=_X4, y=[0, 1, 0, 1], coef=stats.norm(),
                                                offset=m(_X4[:, 0]))),
    ("X", lambda m: bg.Perceptron(m(_X4), [0, 1, 0, 1], hidden=2)),
    ("y", lambda m: bg.Perceptron(_X4, m([0, 1, 0, 1], int), hidden=2)),
    ("y", lambda m: bg.Perceptron(_X4, m([0.5, 1, 0, 1]), hidden=2, task="regression", sigma=1.0)),
    ("s", lambda m: bg.Model(priors={"mu": stats.norm(), "s": m([1.0, 2.0])},
                             log_likelihood=np.sin)),
]  # fmt: skip


@pytest.mark.parametrize(("name", "build"), _MASKED_CASES)
def test_masked_data_are_refused_by_name(name, build):
    with pytest.raises(ValueError, match=rf"^{name} is a masked array with 1 masked value"):
        build(_masked)
    build(lambda values, dtype=float: np.ma.masked_array(np.asarray(values, dtype=dtype)))


def test_masked_data_are_refused_in_update_predict_draws_and_parameters():
    from bayesgd.posterior import SamplePosterior

    m = bg.Normal(y=[1.0, 2.0], mu=stats.norm(0, 10), sigma=1.0)
    with pytest.raises(ValueError, match=r"^y is a masked array"):
        m.update(y=_masked([1.0, 2.0, 100.0]))
    assert m.n_obs == 2
    reg = bg.PoissonRegression(X=_X4, y=[0, 1, 0, 1], coef=stats.norm())
    with pytest.raises(ValueError, match=r"^X is a masked array"):
        reg.update(X=_masked(_X4), y=[1, 1, 1, 1])
    with pytest.raises(ValueError, match=r"^X_new is a masked array"):
        reg.predict(_masked(_X4), {"coef": np.zeros(2)})
    with pytest.raises(ValueError, match=r"^mu is a masked array"):
        m.log_density(mu=_masked([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"^draws\['mu'\] is a masked array"):
        SamplePosterior(m, {"mu": _masked([0.0, 1.0, 2.0])})


# ---------------------------------------------- item 5: gradient shapes and complex values

_T = np.array([1.0, 2.0, 3.0])


def _ll_w(w):
    return -50.0 * np.sum((w - _T) ** 2, axis=-1)


def _vector_model(grad):
    return bg.Model(
        priors={"w": stats.norm(0, 1)}, log_likelihood=_ll_w, grad_log_likelihood=grad,
        shapes={"w": (3,)},
    )  # fmt: skip


def test_the_right_gradient_finds_the_true_mode():
    m = _vector_model(lambda w: {"w": -100.0 * (w - _T)})
    fit = bg.map_estimate(m)
    np.testing.assert_allclose(fit.params["w"], 100 * _T / 101, rtol=1e-7)


@pytest.mark.parametrize(
    "bad",
    [
        lambda w: {"w": -100.0 * np.sum(w - _T, axis=-1)},  # one number per point
        lambda w: {"w": -100.0 * np.sum(w - _T)},  # one number for everything
        lambda w: {"w": -100.0 * (w - _T)[..., :1]},  # one column
    ],
)
def test_a_gradient_of_the_wrong_shape_is_refused_on_every_path(bad):
    m = _vector_model(bad)
    shape = re.escape("expected (3,) (batch shape + the parameter's shape (3,))")
    with pytest.raises(ValueError, match=rf"grad_log_likelihood returned shape .* 'w'.*{shape}"):
        m.grad_log_likelihood(w=np.zeros(3))  # one point
    with pytest.raises(
        ValueError, match=r"grad_log_likelihood returned shape .*expected \(4, 3\)"
    ):
        m.grad_log_density(w=np.zeros((4, 3)))  # a batch
    with pytest.raises(ValueError, match="grad_log_likelihood returned shape"):
        bg.map_estimate(m)  # never converged=True at a wrong point
    with pytest.raises(ValueError, match="grad_log_likelihood returned shape"):
        bg.laplace(m)


def test_a_log_likelihood_of_the_wrong_shape_is_refused_on_the_finite_difference_path():
    unsummed = bg.Model(
        priors={"w": stats.norm(0, 1)}, log_likelihood=lambda w: -50.0 * (w - _T) ** 2,
        shapes={"w": (3,)},
    )  # fmt: skip
    summed_over_batch = bg.Model(
        priors={"w": stats.norm(0, 1)}, log_likelihood=lambda w: -50.0 * np.sum((w - _T) ** 2),
        shapes={"w": (3,)},
    )  # fmt: skip
    for m in (unsummed, summed_over_batch):
        with (
            pytest.warns(UserWarning, match="finite"),
            pytest.raises(ValueError, match="log_likelihood returned shape"),
        ):
            bg.map_estimate(m)
        with pytest.raises(ValueError, match="log_likelihood returned shape"):
            m.grad_log_likelihood(w=np.zeros((2, 3)))
    with pytest.raises(ValueError, match="log_likelihood returned shape"):
        unsummed.grad_log_likelihood(w=np.zeros(3))


@pytest.mark.filterwarnings("ignore:the model has no grad_log_likelihood")
def test_complex_log_likelihoods_and_gradients_are_refused():
    cplx = bg.Model(
        priors={"w": stats.norm(0, 1)}, log_likelihood=lambda w: _ll_w(w) + 0.5j,
        shapes={"w": (3,)},
    )  # fmt: skip
    for call in (
        lambda: cplx.log_density(w=np.zeros(3)),
        lambda: cplx.grad_log_density(w=np.zeros((2, 3))),
        lambda: bg.map_estimate(cplx),
        lambda: bg.grid(bg.Model(priors={"a": stats.norm()}, log_likelihood=lambda a: a + 1j)),
    ):
        with pytest.raises(TypeError, match=r"log_likelihood returned complex values"):
            call()
    cgrad = _vector_model(lambda w: {"w": -100.0 * (w - _T) + 0j})
    with pytest.raises(TypeError, match=r"grad_log_likelihood\['w'\] returned complex values"):
        cgrad.grad_log_density(w=np.zeros(3))


# ------------------------------------------------------------- item 12: the smaller holes


def test_sample_posterior_with_constant_draws():
    from bayesgd.posterior import SamplePosterior

    m = bg.Normal(y=[0.0], mu=stats.norm(0, 1), sigma=stats.halfnorm(scale=1))
    post = SamplePosterior(m, {"mu": np.full(50, 0.25), "sigma": np.linspace(0.5, 1.5, 50)})
    mode = post.mode()
    assert mode["mu"] == 0.25
    assert 0.5 <= mode["sigma"] <= 1.5
    assert post.sd()["mu"] == 0.0
    assert post.summary().loc["mu", "mode"] == 0.25


def test_sample_posterior_refuses_draws_outside_the_support():
    from bayesgd.posterior import SamplePosterior

    m = bg.Normal(y=[0.0], mu=stats.norm(0, 1), sigma=stats.halfnorm(scale=1))
    with pytest.raises(ValueError, match=r"draws\['sigma'\] has 1 value\(s\) outside the support"):
        SamplePosterior(m, {"mu": np.zeros(3), "sigma": np.array([1.0, -0.5, 2.0])})
    b = bg.Binomial(k=3, n=10, p=stats.beta(1, 1))
    with pytest.raises(ValueError, match=r"draws\['p'\] has 2 value\(s\) outside.*\[0, 1\]"):
        SamplePosterior(b, {"p": np.array([0.5, 1.2, -0.1])})
    c = bg.Categorical(y=[0, 1], p=stats.dirichlet([1, 1, 1]))
    with pytest.raises(ValueError, match=r"draws\['p'\] must be probability vectors"):
        SamplePosterior(c, {"p": np.full((4, 3), 0.3)})
    SamplePosterior(b, {"p": np.array([0.0, 0.5, 1.0])})  # the closed ends are in the support


def test_sample_posterior_needs_a_model_first():
    from bayesgd.posterior import SamplePosterior

    with pytest.raises(TypeError, match=r"model must be a bayesgd Model .*got str 'm'"):
        bg.SamplePosterior("m", {"m": np.zeros(3)})
    with pytest.raises(TypeError, match=r"model must be a bayesgd Model"):
        SamplePosterior({"mu": np.zeros(3)}, {"mu": np.zeros(3)})


def test_shapes_takes_an_int_as_a_vector_length():
    kw = {"priors": {"w": stats.norm(0, 1)}, "log_likelihood": _ll_w}
    assert bg.Model(**kw, shapes={"w": 3}).parameters["w"].shape == (3,)
    assert bg.Model(**kw, shapes={"w": [3]}).parameters["w"].shape == (3,)
    with pytest.raises(TypeError, match=r"shapes\['w'\] must be an int or a tuple of ints"):
        bg.Model(**kw, shapes={"w": 3.0})
    with pytest.raises(TypeError, match=r"shapes\['w'\] must be an int or a tuple of ints"):
        bg.Model(**kw, shapes={"w": "3"})
    with pytest.raises(ValueError, match=r"shapes\['w'\] must hold positive sizes"):
        bg.Model(**kw, shapes={"w": (0,)})
    with pytest.raises(TypeError, match=r"shapes must be a dict"):
        bg.Model(**kw, shapes=[3])


@pytest.mark.parametrize("rng", [-1, True])
def test_a_bad_rng_is_named(rng):
    post = bg.conjugate(bg.Binomial(k=3, n=10, p=stats.beta(1, 1)))
    with pytest.raises((ValueError, TypeError), match=r"^rng must be"):
        post.sample(3, rng=rng)
    with pytest.raises((ValueError, TypeError), match=r"^rng must be"):
        post.model.prior_sample(3, rng=rng)


# ------------------------------------------ issue 12: hooks declared on the base classes


def test_model_hooks_are_declared_with_defaults():
    custom = bg.Model(priors={"a": stats.norm()}, log_likelihood=lambda a: -(a**2))
    family = bg.Normal(y=[1.0], mu=stats.norm(), sigma=1.0)
    assert custom._pymc_likelihood({}) is NotImplemented  # no own PyMC likelihood
    for m in (custom, family):
        assert m.initial_point() is None  # start from each prior's centre
        assert m._bytes_hint is None
        assert m.can_predict is False and m.task is None
        assert m._new_offset(None, 3) is None
        with pytest.raises(TypeError, match="has no offset term"):
            m._new_offset(1.0, 3)
        with pytest.raises(TypeError, match=r"X_new is given but .* does not predict"):
            m._check_X([[1.0]])
        with pytest.raises(TypeError, match="does not support predict"):
            bg.predictive.predict(m, [[1.0]], {"a": 0.0})
    assert bg.Model(
        priors={"a": stats.norm()}, log_likelihood=lambda a: -(a**2), bytes_per_evaluation=64
    )._bytes_hint == 64  # fmt: skip
    net = bg.Perceptron(_X4, [0, 1, 0, 1], hidden=2)
    assert callable(net.initial_point) and callable(net._pymc_likelihood)
    for m in (net, bg.LogisticRegression(X=_X4, y=[0, 1, 0, 1], coef=stats.norm())):
        assert m.can_predict is True and m.task == "classification"


def test_marginal_pdf_from_draws_matches_the_true_density():
    from bayesgd.posterior import SamplePosterior

    rng = np.random.default_rng(8)
    X = np.column_stack([np.ones(5), np.arange(5.0)])
    m = bg.LinearRegression(X=X, y=np.arange(5.0), coef=stats.norm(0, 10), sigma=1.0)
    draws = {"coef": rng.normal([1.0, -2.0], [0.5, 0.25], size=(20_000, 2))}
    post = SamplePosterior(m, draws)
    x = np.array([[-2.2, -2.0], [-1.9, -1.7]])
    np.testing.assert_allclose(
        post.marginal_pdf("coef[1]", x), stats.norm(-2.0, 0.25).pdf(x), rtol=0.05
    )
    assert post.marginal_pdf("coef[0]", 1.0) == pytest.approx(
        stats.norm(1, 0.5).pdf(1.0), rel=0.05
    )
    with pytest.raises(ValueError, match=r"element must be one of \['coef\[0\]', 'coef\[1\]'\]"):
        post.marginal_pdf("coef", 0.0)
    # the default from a posterior's own draws (here the exact Beta(9, 5))
    beta = bg.conjugate(bg.Binomial(k=7, n=10, p=stats.beta(2, 2)))
    grid = np.array([0.5, 0.65, 0.8])
    np.testing.assert_allclose(beta.marginal_pdf("p", grid), stats.beta(9, 5).pdf(grid), rtol=0.1)


def test_marginal_pdf_of_constant_draws_and_outside_the_support():
    from bayesgd.posterior import SamplePosterior

    m = bg.Normal(y=[0.0], mu=stats.norm(0, 1), sigma=stats.halfnorm(scale=1))
    post = SamplePosterior(m, {"mu": np.full(10, 0.5), "sigma": np.linspace(0.01, 1.0, 10)})
    np.testing.assert_array_equal(post.marginal_pdf("mu", [0.0, 0.5]), [0.0, np.inf])
    assert post.marginal_pdf("sigma", -0.01) == 0.0  # below the support: no density
    assert post.marginal_pdf("sigma", 0.5) > 0.0
