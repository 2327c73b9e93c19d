"""The posterior interface: SamplePosterior against numpy and ArviZ, the base class, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import bayesgd as bg
from bayesgd.posterior import Posterior, SamplePosterior, hdi_column_names

X = np.random.default_rng(0).normal(size=(20, 3))
MODEL = bg.LinearRegression(
    X=X, y=X @ [1.0, 2.0, 3.0], coef=stats.norm(0, 5), sigma=stats.halfnorm(scale=2)
)


def _draws(chains: int | None = None, n: int = 3000, seed: int = 1):
    rng = np.random.default_rng(seed)
    lead = (n,) if chains is None else (chains, n // chains)
    coef = rng.normal([1.0, -2.0, 0.5], [0.3, 1.0, 2.0], size=(*lead, 3))
    sigma = rng.gamma(5.0, 0.5, size=lead)
    return {"coef": coef, "sigma": sigma}


@pytest.fixture(scope="module")
def post():
    return SamplePosterior(MODEL, _draws(chains=2))


def test_summaries_equal_numpy(post):
    raw = _draws(chains=2)
    coef, sigma = raw["coef"].reshape(-1, 3), raw["sigma"].reshape(-1)
    mean, sd = post.mean(), post.sd()
    assert isinstance(mean["sigma"], float) and isinstance(sd["sigma"], float)
    assert isinstance(mean["coef"], np.ndarray) and mean["coef"].shape == (3,)
    np.testing.assert_allclose(mean["coef"], coef.mean(0), rtol=1e-13)
    np.testing.assert_allclose(mean["sigma"], sigma.mean(), rtol=1e-13)
    np.testing.assert_allclose(sd["coef"], coef.std(0, ddof=1), rtol=1e-13)
    np.testing.assert_allclose(sd["sigma"], sigma.std(ddof=1), rtol=1e-13)
    med = post.median()
    np.testing.assert_allclose(med["coef"], np.median(coef, 0), rtol=1e-13)
    np.testing.assert_allclose(med["sigma"], np.median(sigma), rtol=1e-13)
    q = post.quantile([0.1, 0.5, 0.975])
    np.testing.assert_allclose(q["coef"], np.quantile(coef, [0.1, 0.5, 0.975], axis=0))
    np.testing.assert_allclose(q["sigma"], np.quantile(sigma, [0.1, 0.5, 0.975]))
    assert post.names == ("coef", "sigma")
    assert post.method == "samples"


def test_hdi_and_summary_equal_arviz(post):
    az = pytest.importorskip("arviz")
    raw = _draws(chains=2)
    ref = az.summary(az.from_dict(posterior=raw), kind="stats", hdi_prob=0.9, round_to="none")
    table = post.summary(prob=0.9)
    assert list(table.columns) == ["mean", "sd", "mode", "median", "hdi_5%", "hdi_95%"]
    assert list(table.index) == ["coef[0]", "coef[1]", "coef[2]", "sigma"]
    assert table.index.name == "parameter"
    for col in ["mean", "sd", "hdi_5%", "hdi_95%"]:
        np.testing.assert_allclose(table[col].to_numpy(), ref[col].to_numpy(), rtol=1e-12)
    hdi = post.hdi(0.9)
    low, high = hdi["coef"]
    assert low.shape == high.shape == (3,)
    np.testing.assert_allclose(low, ref["hdi_5%"].to_numpy()[:3], rtol=1e-12)
    assert isinstance(hdi["sigma"][0], float)
    np.testing.assert_allclose(table["median"].to_numpy()[3], post.median()["sigma"])


def test_summary_default_columns_and_dtypes(post):
    table = post.summary()
    assert list(table.columns) == ["mean", "sd", "mode", "median", "hdi_3%", "hdi_97%"]
    assert all(table.dtypes == np.float64)
    assert table.shape == (4, 6)
    assert "hdi_3%" in repr(post) and "coef[2]" in repr(post)
    assert "<table" in post._repr_html_()


@pytest.mark.parametrize(
    ("prob", "names"),
    [
        (0.94, ("hdi_3%", "hdi_97%")),
        (0.9, ("hdi_5%", "hdi_95%")),
        (0.5, ("hdi_25%", "hdi_75%")),
        (0.89, ("hdi_5.5%", "hdi_94.5%")),
    ],
)
def test_hdi_column_names(prob, names):
    assert hdi_column_names(prob) == names


def test_mode_of_draws_finds_the_density_peak():
    rng = np.random.default_rng(3)
    m = bg.Poisson(k=[1, 2], mu=stats.gamma(2))
    draws = {"mu": rng.gamma(6.0, 1.0, size=40000)}  # mode 5
    p = SamplePosterior(m, draws)
    assert abs(p.mode()["mu"] - 5.0) < 0.25
    v = SamplePosterior(MODEL, _draws())
    assert np.all(np.abs(v.mode()["coef"] - [1.0, -2.0, 0.5]) < 0.35 * np.array([0.3, 1.0, 2.0]))
    assert v.mode()["coef"].shape == (3,)


def test_sample_keeps_joint_rows_and_is_seeded():
    draws = _draws(n=500)
    draws["sigma"] = np.abs(draws["coef"][:, 0]) + 1.0  # a deterministic link between them
    p = SamplePosterior(MODEL, draws)
    s1 = p.sample((4, 25), rng=7)
    s2 = p.sample((4, 25), rng=np.random.default_rng(7))
    assert s1["coef"].shape == (4, 25, 3) and s1["sigma"].shape == (4, 25)
    np.testing.assert_array_equal(s1["coef"], s2["coef"])
    np.testing.assert_allclose(s1["sigma"], np.abs(s1["coef"][..., 0]) + 1.0)
    rows = {tuple(r) for r in draws["coef"]}
    assert all(tuple(r) in rows for r in s1["coef"].reshape(-1, 3))
    assert p.sample(0)["sigma"].shape == (0,)
    assert p.sample(3)["coef"].shape == (3, 3)


def test_to_inference_data_round_trip(post):
    pytest.importorskip("arviz")
    raw = _draws(chains=2)
    idata = post.to_inference_data()
    assert idata.posterior.sizes["chain"] == 2
    assert idata.posterior.sizes["draw"] == 1500
    np.testing.assert_array_equal(idata.posterior["coef"].values, raw["coef"])
    np.testing.assert_array_equal(idata.posterior["sigma"].values, raw["sigma"])
    flat = SamplePosterior(MODEL, _draws())
    idata = flat.to_inference_data()
    assert idata.posterior.sizes["chain"] == 1
    np.testing.assert_array_equal(idata.posterior["coef"].values[0], _draws()["coef"])


def test_flat_and_chained_draws_agree():
    a = SamplePosterior(MODEL, _draws(chains=2))
    raw = _draws(chains=2)
    b = SamplePosterior(MODEL, {k: v.reshape((-1, *v.shape[2:])) for k, v in raw.items()})
    np.testing.assert_allclose(a.mean()["coef"], b.mean()["coef"])
    np.testing.assert_allclose(a.sd()["sigma"], b.sd()["sigma"])


def test_posterior_validation_errors(post):
    for q in (1.5, -0.1, [0.2, 1.01], np.nan):
        with pytest.raises(ValueError, match=r"\bq\b.*\[0, 1\]"):
            post.quantile(q)
    with pytest.raises(TypeError, match=r"\bq\b"):
        post.quantile("median")
    for prob in (0.0, 1.0, 1.5, -0.2):
        with pytest.raises(ValueError, match=r"\bprob\b"):
            post.hdi(prob)
        with pytest.raises(ValueError, match=r"\bprob\b"):
            post.summary(prob)
    with pytest.raises(TypeError, match=r"\bprob\b"):
        post.hdi("0.9")
    with pytest.raises(ValueError, match=r"\bsize\b.*non-negative"):
        post.sample(-1)
    with pytest.raises(ValueError, match=r"\bsize\b.*non-negative"):
        post.sample((3, -2))
    with pytest.raises(TypeError, match=r"\bsize\b"):
        post.sample(2.5)
    with pytest.raises(TypeError, match=r"\brng\b"):
        post.sample(2, rng="x")
    with pytest.raises(AttributeError, match="log evidence"):
        _ = post.log_evidence


def test_sample_posterior_rejects_bad_draws():
    good = _draws(n=10)
    with pytest.raises(ValueError, match="sigma"):
        SamplePosterior(MODEL, {"coef": good["coef"]})
    with pytest.raises(ValueError, match=r"draws\['coef'\] must have shape"):
        SamplePosterior(MODEL, {"coef": good["coef"][:, :2], "sigma": good["sigma"]})
    with pytest.raises(ValueError, match=r"draws\['coef'\] must have shape"):
        SamplePosterior(MODEL, {"coef": np.zeros((2, 2, 2, 3)), "sigma": good["sigma"]})
    bad = dict(good, sigma=np.where(np.arange(10) == 3, np.nan, good["sigma"]))
    with pytest.raises(ValueError, match=r"draws\['sigma'\].*non-finite"):
        SamplePosterior(MODEL, bad)
    with pytest.raises(ValueError, match="same number of joint draws"):
        SamplePosterior(MODEL, {"coef": good["coef"], "sigma": good["sigma"][:9]})
    with pytest.raises(ValueError, match="at least 2 draws"):
        SamplePosterior(MODEL, {"coef": good["coef"][:1], "sigma": good["sigma"][:1]})


class _NormalPosterior(Posterior):
    """An exact posterior through the hooks: mu ~ N(1, 0.5), sigma ~ Gamma(4, scale=0.5)."""

    method = "exact-test"
    dists = {"mu": stats.norm(1.0, 0.5), "sigma": stats.gamma(4.0, scale=0.5)}

    def _mean(self, name):
        return self.dists[name].mean()

    def _sd(self, name):
        return self.dists[name].std()

    def _mode(self):
        return {"mu": 1.0, "sigma": 1.5}

    def _quantile(self, name, q):
        return self.dists[name].ppf(q)

    def _hdi(self, name, prob):
        return self.dists[name].interval(prob)

    def _sample(self, shape, rng):
        return {n: d.rvs(size=shape, random_state=rng) for n, d in self.dists.items()}


def test_base_class_interface_from_hooks():
    m = bg.Normal(y=[1.0, 2.0], mu=stats.norm(0, 1), sigma=stats.halfnorm())
    p = _NormalPosterior(m)
    assert p.mean() == {"mu": 1.0, "sigma": 2.0}
    assert p.median()["mu"] == pytest.approx(1.0)
    q = p.quantile(np.array([[0.1, 0.9], [0.25, 0.75]]))
    assert q["mu"].shape == (2, 2)
    np.testing.assert_allclose(
        q["sigma"], stats.gamma(4.0, scale=0.5).ppf([[0.1, 0.9], [0.25, 0.75]])
    )
    assert isinstance(p.quantile(0.3)["mu"], float)
    assert p.quantile(0.0)["sigma"] == 0.0 and p.quantile(1.0)["mu"] == np.inf
    table = p.summary(0.5)
    assert list(table.index) == ["mu", "sigma"]
    np.testing.assert_allclose(table.loc["mu", "hdi_25%"], stats.norm(1, 0.5).ppf(0.25))
    assert table.loc["sigma", "mode"] == 1.5
    pytest.importorskip("arviz")
    idata = p.to_inference_data(draws=500, rng=1)
    assert idata.posterior.sizes["draw"] == 500 and idata.posterior.sizes["chain"] == 1
    again = p.to_inference_data(draws=500, rng=1)
    np.testing.assert_array_equal(idata.posterior["mu"].values, again.posterior["mu"].values)
    with pytest.raises(ValueError, match="draws"):
        p.to_inference_data(draws=0)
    with pytest.raises(TypeError, match="draws"):
        p.to_inference_data(draws=1.5)


def test_quantile_shapes_for_vector_parameters(post):
    assert post.quantile(0.3)["coef"].shape == (3,)
    assert isinstance(post.quantile(0.3)["sigma"], float)
    assert post.quantile([0.3, 0.6])["coef"].shape == (2, 3)
    assert post.quantile(np.full((2, 2), 0.5))["coef"].shape == (2, 2, 3)
    assert post.quantile(np.full((2, 2), 0.5))["sigma"].shape == (2, 2)


def test_summary_is_a_dataframe_with_one_row_per_element(post):
    table = post.summary()
    assert isinstance(table, pd.DataFrame)
    np.testing.assert_allclose(table.loc["coef[1]", "mean"], post.mean()["coef"][1])
    np.testing.assert_allclose(table.loc["sigma", "sd"], post.sd()["sigma"])


def test_summary_index_matches_arviz_for_matrix_parameters():
    az = pytest.importorskip("arviz")

    def ll(W):
        return -0.5 * np.sum(np.asarray(W) ** 2, axis=(-2, -1))

    m = bg.Model(priors={"W": stats.norm(0, 1)}, log_likelihood=ll, shapes={"W": (2, 3)})
    draws = np.random.default_rng(4).normal(size=(2, 50, 2, 3))
    p = SamplePosterior(m, {"W": draws})
    ref = az.summary(az.from_dict(posterior={"W": draws}), kind="stats", round_to="none")
    table = p.summary()
    assert list(table.index) == list(ref.index)
    np.testing.assert_allclose(table["mean"], ref["mean"], rtol=1e-12)
    np.testing.assert_allclose(table["hdi_97%"], ref["hdi_97%"], rtol=1e-12)
