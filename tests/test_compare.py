"""bg.compare: every method side by side, distances from the reference, in words."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import bayesgd as bg

FAST = ["conjugate", "grid", "map", "laplace"]


def _families():
    rng = np.random.default_rng(3)
    y = rng.normal(1.0, 2.0, size=25)
    return {
        "bernoulli": bg.Bernoulli(y=[1, 0, 1, 1, 0, 1], p=stats.beta(2, 2)),
        "binomial": bg.Binomial(k=7, n=10, p=stats.beta(2, 2)),
        "geometric": bg.Geometric(k=[2, 1, 4, 3], p=stats.beta(1, 1)),
        "negative_binomial": bg.NegativeBinomial(k=[3, 5, 2], r=4, p=stats.beta(2, 2)),
        "poisson": bg.Poisson(k=[2, 5, 3], exposure=[1.0, 2.0, 1.5], mu=stats.gamma(2, scale=1)),
        "exponential": bg.Exponential(y=[0.5, 1.2, 0.3, 2.0], lam=stats.gamma(2, scale=1)),
        "normal_known_sigma": bg.Normal(y=y, mu=stats.norm(0, 10), sigma=2.0),
        "normal_known_mu": bg.Normal(y=y, mu=1.0, sigma2=stats.invgamma(3, scale=4)),
        "normal_nig": bg.Normal(y=y, prior=stats.normal_inverse_gamma(0, 1, 2, 2)),
        "categorical": bg.Categorical(y=[0, 1, 1, 2, 1], p=stats.dirichlet([2, 2, 2])),
        "multinomial": bg.Multinomial(x=[[3, 1], [2, 4]], p=stats.dirichlet([1.5, 1.5])),
    }


@pytest.mark.parametrize("name", list(_families()))
def test_compare_every_conjugate_family_agrees_with_the_exact_answer(name):
    model = _families()[name]
    cmp = bg.compare(model, methods=FAST)
    assert cmp.reference == "conjugate"
    table = cmp.table
    exact = bg.conjugate(model)
    assert set(table["method"]) == set(FAST)
    # the MAP row is the exact joint mode
    mode = exact.mode()
    for pname, param in model.parameters.items():
        want = np.broadcast_to(mode[pname], param.shape).reshape(-1)
        got = table[table["method"] == "map"].set_index("parameter").loc[param.element_names()]
        np.testing.assert_allclose(got["mode"].to_numpy(), want, rtol=1e-6, atol=1e-9)
    # the conjugate rows are the exact summaries; the grid is close to them
    conj = table[table["method"] == "conjugate"].set_index("parameter")
    grid = table[table["method"] == "grid"].set_index("parameter")
    np.testing.assert_allclose(conj["mean"], exact.summary()["mean"], rtol=1e-12)
    np.testing.assert_allclose(grid["mean"], conj["mean"], rtol=2e-3, atol=1e-4)
    # distances are measured in reference sds and vanish for the reference itself
    np.testing.assert_allclose(
        table[table["method"] == "conjugate"]["mean_error"], 0.0, atol=1e-12
    )
    assert np.all(np.isfinite(table["seconds"]))


def test_map_vs_mean_answers_in_posterior_sds():
    model = bg.Binomial(k=1, n=20, p=stats.beta(1, 1))
    cmp = bg.compare(model, methods=["conjugate", "map"])
    post = stats.beta(2, 20)
    row = cmp.map_vs_mean().loc["p"]
    assert row["map"] == pytest.approx(1 / 20, rel=1e-7)
    assert row["posterior_mean"] == pytest.approx(post.mean(), rel=1e-12)
    assert row["distance_sd"] == pytest.approx((1 / 20 - post.mean()) / post.std(), rel=1e-6)
    text = cmp.explain()
    assert "p: the MAP 0.05 lies 0.68 posterior sd below the posterior mean" in text


def test_default_methods_skip_conjugate_when_none_exists_and_use_grid_as_reference():
    model = bg.datasets.challenger_model()
    cmp = bg.compare(model, methods=None, options={"pymc": {"draws": 300, "tune": 300}}, rng=1)
    assert cmp.reference == "grid"
    assert "conjugate" in cmp.skipped
    assert set(cmp.table["method"]) == {"grid", "map", "laplace", "vi", "pathfinder", "pymc"}
    khat = cmp.table.groupby("method")["khat"].first()
    assert khat[["map", "pymc"]].isna().all()  # a point and NUTS draws: no k-hat
    assert khat["grid"] < 0.5  # the grid checks its own resolution
    assert khat[["laplace", "vi", "pathfinder"]].notna().all()
    pymc = cmp.table[cmp.table["method"] == "pymc"].set_index("parameter")
    grid = cmp.table[cmp.table["method"] == "grid"].set_index("parameter")
    # NUTS agrees with the grid within a loose Monte Carlo band (600 draws)
    assert np.all(np.abs(pymc["mean"] - grid["mean"]) < 0.35 * grid["sd"])


def test_explicit_method_that_cannot_run_raises():
    model = bg.Normal(y=[0.1, 0.4], mu=stats.norm(0, 1), sigma=stats.halfnorm(scale=2))
    with pytest.raises(bg.NotConjugateError):
        bg.compare(model, methods=["conjugate"])


def test_grid_skipped_by_default_above_three_dimensions():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 4))
    model = bg.LogisticRegression(X=X, y=(X[:, 0] > 0).astype(int), coef=stats.norm(0, 2))
    cmp = bg.compare(model, methods=None, options={"pymc": {"draws": 500, "tune": 500}}, rng=2)
    assert "grid" in cmp.skipped
    assert cmp.reference == "pymc"


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"methods": ["nuts"]}, ValueError),
        ({"methods": []}, ValueError),
        ({"prob": 1.5}, ValueError),
        ({"options": {"sampler": {}}}, ValueError),
    ],
)
def test_bad_arguments(kwargs, error):
    model = bg.Binomial(k=3, n=10, p=stats.beta(1, 1))
    with pytest.raises(error):
        bg.compare(model, **kwargs)


def test_model_type_checked():
    with pytest.raises(TypeError, match="model"):
        bg.compare("binomial")


def test_reprs_and_plot(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    model = bg.Binomial(k=9, n=12, p=stats.beta(2, 2))
    cmp = bg.compare(model, methods=FAST)
    assert "reference: conjugate" in repr(cmp)
    html = cmp._repr_html_()
    assert "<table" in html and "posterior sd" in html
    axes = cmp.plot()
    labels = [line.get_label() for line in axes[0].get_lines()]
    assert {"conjugate", "grid", "laplace", "MAP"} <= set(labels)
    map_line = next(line for line in axes[0].get_lines() if line.get_label() == "MAP")
    assert map_line.get_xdata()[0] == pytest.approx(10 / 14, rel=1e-7)
    axes[0].figure.savefig(tmp_path / "cmp.png")
    plt.close("all")
    assert isinstance(cmp.table, pd.DataFrame)


def test_compare_regressions_with_predictions():
    rng = np.random.default_rng(11)
    X = rng.normal(size=(60, 2))
    y = X @ [1.0, -0.5] + 0.3 + rng.normal(size=60)
    prior = bg.NormalInverseGamma(mean=[0.0, 0.0, 0.0], cov=10.0, a=2.0, b=2.0)
    Xa = np.column_stack([np.ones(60), X])
    lin = bg.LinearRegression(X=Xa, y=y, prior=prior)
    x_new = np.array([[1.0, 0.0, 0.0], [1.0, 3.0, -3.0]])
    cmp = bg.compare(lin, methods=["conjugate", "map", "laplace"], X_new=x_new, rng=0)
    exact = bg.conjugate(lin)
    conj = cmp.table[cmp.table["method"] == "conjugate"].set_index("parameter")
    np.testing.assert_allclose(conj.loc[["coef[0]", "coef[1]", "coef[2]"], "mean"],
                               exact.mean()["coef"], rtol=1e-12)  # fmt: skip
    pred = cmp.predictions.set_index(["method", "row"])
    np.testing.assert_allclose(
        pred.loc["map", "mean"].to_numpy(), x_new @ cmp.results["map"].params["coef"], rtol=1e-12
    )
    # the conjugate predictive mean is x' E[coef] up to Monte Carlo error of 1000 draws
    sd = np.sqrt(np.einsum("ij,jk,ik->i", x_new, exact.dist["coef"].shape, x_new))
    assert np.all(np.abs(pred.loc["conjugate", "mean"].to_numpy() - x_new @ exact.mean()["coef"])
                  < 5 * sd / np.sqrt(1000))  # fmt: skip
    assert "predictions:" in cmp.explain()

    counts = rng.poisson(np.exp(0.2 + X @ [0.3, -0.2]))
    pois = bg.PoissonRegression(X=X, y=counts, coef=stats.norm(0, 1), intercept=stats.norm(0, 1))
    cmp = bg.compare(pois, methods=["grid", "map", "laplace"], options={"grid": {"points": 45}})
    assert cmp.reference == "grid"
    grid = cmp.table[cmp.table["method"] == "grid"].set_index("parameter")
    lap = cmp.table[cmp.table["method"] == "laplace"].set_index("parameter")
    assert np.all(np.abs(grid["mean"] - lap["mean"]) < 0.2 * grid["sd"])


def test_compare_poisson_regression_with_offset_predicts_new_rows_with_theirs():
    rng = np.random.default_rng(12)
    X = rng.normal(size=(80, 1))
    exposure = rng.uniform(0.5, 4.0, size=80)
    counts = rng.poisson(exposure * np.exp(0.4 + 0.6 * X[:, 0]))
    model = bg.PoissonRegression(
        X=X, y=counts, coef=stats.norm(0, 1), intercept=stats.norm(0, 1), offset=np.log(exposure)
    )
    x_new, exposure_new = np.array([[0.0], [1.0]]), np.array([2.0, 10.0])
    cmp = bg.compare(model, methods=["map"], X_new=x_new, offset_new=np.log(exposure_new), rng=0)
    params = cmp.results["map"].params
    expected = exposure_new * np.exp(params["intercept"] + x_new @ params["coef"])
    got = cmp.predictions.set_index(["method", "row"]).loc["map", "mean"].to_numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    # checked before any method runs: no offset for a model fitted with one, bad shapes
    with pytest.raises(TypeError, match="offset"):
        bg.compare(model, methods=["map"], X_new=x_new)
    with pytest.raises(ValueError, match="offset"):
        bg.compare(model, methods=["map"], X_new=x_new, offset_new=[0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="X_new"):
        bg.compare(model, methods=["map"], X_new=[[0.0, 1.0]], offset_new=0.0)
    with pytest.raises(TypeError, match="give X_new too"):
        bg.compare(model, methods=["map"], offset_new=0.0)


def test_compare_perceptron_compares_predictions_on_the_training_inputs():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(30, 1))
    y = (X[:, 0] + 0.5 * rng.normal(size=30) > 0).astype(int)
    net = bg.Perceptron(X, y, hidden=2)
    cmp = bg.compare(net, methods=["map", "laplace"], rng=0)
    assert cmp.reference is None
    assert set(cmp.predictions["method"]) == {"map", "laplace"}
    assert len(cmp.predictions) == 2 * 30
    mp = cmp.predictions[cmp.predictions["method"] == "map"]["mean"].to_numpy()
    np.testing.assert_allclose(mp, net.predict(X, cmp.results["map"]), rtol=1e-12)
    lap = cmp.predictions[cmp.predictions["method"] == "laplace"]
    assert np.all((lap["low"] <= lap["mean"]) & (lap["mean"] <= lap["high"]))
    with pytest.raises(TypeError, match="does not predict"):
        bg.compare(bg.Binomial(k=1, n=3, p=stats.beta(1, 1)), methods=["map"], X_new=[[0.0]])


def test_default_methods_that_do_not_apply_are_skipped_with_the_reason():
    """A Laplace prior puts the mode at a kink: no Laplace approximation exists there. Chosen
    by default, laplace is reported in skipped (as conjugate is); named, it raises."""
    model = bg.Normal(y=[0.1, -0.2], mu=stats.laplace(0, 1), sigma=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # short NUTS run
        cmp = bg.compare(model, rng=1, options={"pymc": {"draws": 300, "tune": 300}})
    assert set(cmp.skipped) == {"conjugate", "laplace"}
    assert "kink" in cmp.skipped["laplace"]
    assert set(cmp.table["method"]) == {
        "grid",
        "map",
        "vi",
        "pathfinder",
        "pymc",
    }  # no kink for them
    with pytest.raises(bg.NotApplicableError, match="kink"):
        bg.compare(model, methods=["map", "laplace"])
    assert issubclass(bg.NotConjugateError, bg.NotApplicableError)
    assert issubclass(bg.NotPositiveDefiniteError, bg.NotApplicableError)


# ---------------------------------------------------------- rows that must not be trusted
def _fake_nuts(healthy):
    """A stand-in for sample_pymc: exact Beta(9, 5) draws in two chains, which disagree by
    0.2 and carry 7 divergent transitions unless ``healthy``."""
    import arviz as az

    from bayesgd.pymc import PyMCPosterior

    def sample_pymc(model, **kwargs):
        draws = stats.beta(9, 5).rvs(size=(2, 1000), random_state=np.random.default_rng(1))
        diverging = np.zeros((2, 1000), dtype=bool)
        if not healthy:
            draws[1] = np.clip(draws[1] + 0.2, 0.01, 0.99)
            diverging[0, :7] = True
        idata = az.from_dict(posterior={"p": draws}, sample_stats={"diverging": diverging})
        return PyMCPosterior(model, idata)

    return sample_pymc


def test_unhealthy_nuts_rows_are_marked_in_the_table_the_words_and_the_plot(monkeypatch):
    """Issue 13 item 10: a broken NUTS run sat in the table as if it were fine."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import bayesgd.pymc

    model = bg.Binomial(k=7, n=10, p=stats.beta(2, 2))
    monkeypatch.setattr(bayesgd.pymc, "sample_pymc", _fake_nuts(healthy=False))
    with pytest.warns(bg.SamplingWarning):
        cmp = bg.compare(model, methods=["conjugate", "map", "pymc"])
    rows = cmp.table.set_index("method")
    assert not rows.loc["pymc", "healthy"]
    assert rows.loc["pymc", "note"].startswith("unhealthy: ")
    assert "R-hat" in rows.loc["pymc", "note"] and "7 divergent" in rows.loc["pymc", "note"]
    assert rows.loc["conjugate", "healthy"] and rows.loc["conjugate", "note"] == ""
    words = cmp.explain()
    assert "pymc is UNHEALTHY, do not trust its rows: R-hat" in words
    assert "UNHEALTHY (see below)" in repr(cmp) and "do not trust" in repr(cmp)
    assert "UNHEALTHY (see below)" in cmp._repr_html_()
    lines = {line.get_label(): line for line in cmp.plot()[0].get_lines()}
    assert "pymc" not in lines and lines["pymc (unhealthy)"].get_alpha() == 0.45
    assert lines["conjugate"].get_alpha() is None
    plt.close("all")
    # an unhealthy run is no reference: with nothing else, distances are not measured
    with pytest.warns(bg.SamplingWarning):
        alone = bg.compare(model, methods=["map", "pymc"])
    assert alone.reference is None and alone.table["mean_error"].isna().all()

    monkeypatch.setattr(bayesgd.pymc, "sample_pymc", _fake_nuts(healthy=True))
    cmp = bg.compare(model, methods=["map", "pymc"])
    assert cmp.reference == "pymc" and cmp.table["healthy"].all()
    assert "UNHEALTHY" not in cmp.explain()


def test_the_map_rows_say_why_their_mean_sd_and_hdi_are_empty():
    model = bg.Binomial(k=7, n=10, p=stats.beta(2, 2))
    cmp = bg.compare(model, methods=["conjugate", "map"])
    row = cmp.table.set_index("method").loc["map"]
    assert np.isnan(row[["mean", "sd", "hdi_low", "hdi_high"]].astype(float)).all()
    assert row["note"] == "point estimate: no mean, sd or HDI" and row["healthy"]
    assert "point estimate: no mean, sd or HDI" in repr(cmp)
    assert "map: a point estimate" in cmp.explain()
    with pytest.warns(bg.BoundaryWarning):
        edge = bg.compare(bg.Binomial(k=0, n=10, p=stats.beta(1, 1)), methods=["map"])
    assert edge.table["note"].iloc[0].endswith("; on the edge of the support")
