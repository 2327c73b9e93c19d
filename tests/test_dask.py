"""Larger-than-memory data: dask arrays and dask DataFrame columns as observations.

A model whose data are dask collections reduces them to sufficient statistics with dask's own
reductions (sums, and dask's chunked mean/variance for the Normal), validates every chunk in the
same pass, and never keeps or materialises the whole array. Every test builds its data from
several chunks made on demand, counts how often each chunk is made, watches the size of every
task result, and compares the posterior with the one computed in memory.
"""

from __future__ import annotations

import math
from typing import Any

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from dask.callbacks import Callback
from scipy import stats
from scipy.special import gammaln

import bayesgd as bg

CHUNKS = 10
CHUNK = 1_000
N = CHUNKS * CHUNK


@pytest.fixture(autouse=True)
def synchronous():
    with dask.config.set(scheduler="synchronous"):
        yield


def _nbytes(value: Any) -> int:
    if isinstance(value, np.ndarray | np.generic):
        return int(value.nbytes)
    if isinstance(value, pd.Series | pd.DataFrame):
        return int(value.memory_usage(deep=False).sum())
    if isinstance(value, dict):
        return sum(_nbytes(v) for v in value.values())
    if isinstance(value, list | tuple):
        return sum(_nbytes(v) for v in value)
    return 0


class Watch(Callback):
    """Records the largest result of any dask task (bytes)."""

    def __init__(self) -> None:
        super().__init__()
        self.largest = 0
        self.tasks = 0

    def _posttask(self, key, result, dsk, state, worker_id):
        self.tasks += 1
        self.largest = max(self.largest, _nbytes(result))


class Source:
    """A dask array of ``CHUNKS`` chunks, each made on demand from ``values`` (calls counted)."""

    def __init__(self, values: np.ndarray, chunk: int = CHUNK) -> None:
        self.values = values
        self.calls: list[int] = []
        parts = []
        for i in range(values.shape[0] // chunk):
            part = dask.delayed(self._make, pure=False)(i, chunk)
            parts.append(
                da.from_delayed(part, shape=(chunk, *values.shape[1:]), dtype=values.dtype)
            )
        self.array = da.concatenate(parts)

    def _make(self, i: int, chunk: int) -> np.ndarray:
        self.calls.append(i)
        return self.values[i * chunk : (i + 1) * chunk].copy()

    def each_chunk_once(self) -> bool:
        return sorted(self.calls) == list(range(self.values.shape[0] // CHUNK))


def _one_chunk_at_most(watch: Watch, itemsize: int = 8) -> None:
    """No task result is larger than one chunk of float64 (the whole array is 10 times that)."""
    assert watch.tasks > 0
    assert watch.largest <= CHUNK * max(itemsize, 8), watch.largest


def _same_posterior(lazy_model: bg.Model, memory_model: bg.Model, rtol: float) -> None:
    lazy, memory = bg.conjugate(lazy_model), bg.conjugate(memory_model)
    assert lazy.pair == memory.pair
    for key, value in memory.hyper.items():
        np.testing.assert_allclose(lazy.hyper[key], value, rtol=rtol, atol=0)
    np.testing.assert_allclose(lazy.log_evidence, memory.log_evidence, rtol=rtol)
    for key, value in memory_model.stats.items():
        np.testing.assert_allclose(lazy_model.stats[key], value, rtol=rtol, atol=1e-300)
    assert lazy_model.n_obs == memory_model.n_obs == N


# ============================================================================ families


@pytest.mark.parametrize("dtype", [np.int8, np.int64, np.float64, bool])
def test_bernoulli(dtype):
    rng = np.random.default_rng(0)
    y = (rng.random(N) < 0.3).astype(dtype)
    src = Source(y)
    with Watch() as watch:
        m = bg.Bernoulli(y=src.array, p=stats.beta(2, 3))
    assert m.data is None
    assert src.each_chunk_once()
    _one_chunk_at_most(watch)
    _same_posterior(m, bg.Bernoulli(y=y, p=stats.beta(2, 3)), rtol=1e-15)
    assert bg.conjugate(m).hyper == {"a": 2 + y.sum(dtype=int), "b": 3 + N - y.sum(dtype=int)}


def test_binomial_k_and_n_both_dask():
    rng = np.random.default_rng(1)
    n = rng.integers(0, 40, size=N)
    k = rng.binomial(n, 0.7)
    k_src, n_src = Source(k), Source(n, chunk=2 * CHUNK)  # different chunking
    with Watch() as watch:
        m = bg.Binomial(k=k_src.array, n=n_src.array, p=stats.beta(1, 1))
    assert m.data is None
    assert sorted(k_src.calls) == list(range(CHUNKS))
    assert sorted(n_src.calls) == list(range(CHUNKS // 2))
    assert watch.largest <= 2 * CHUNK * 8
    _same_posterior(m, bg.Binomial(k=k, n=n, p=stats.beta(1, 1)), rtol=1e-12)


def test_binomial_grouped_with_batched_prior():
    """Observations of shape (N, G) and a prior with G groups: per-group statistics."""
    rng = np.random.default_rng(2)
    G = 3
    n = rng.integers(1, 20, size=(N, G))
    k = rng.binomial(n, [0.2, 0.5, 0.9])
    prior = stats.beta(np.ones(G), np.ones(G))
    src = Source(k)
    m = bg.Binomial(k=src.array, n=da.from_array(n, chunks=(CHUNK, G)), p=prior)
    assert src.each_chunk_once()
    _same_posterior(m, bg.Binomial(k=k, n=n, p=prior), rtol=1e-12)
    assert m.stats["successes"].shape == (G,)


def test_poisson_with_exposure():
    rng = np.random.default_rng(3)
    t = rng.uniform(0.5, 3.0, size=N)
    k = rng.poisson(2.5 * t)
    k_src, t_src = Source(k), Source(t)
    with Watch() as watch:
        m = bg.Poisson(k=k_src.array, exposure=t_src.array, mu=stats.gamma(2, scale=1))
    assert m.data is None
    assert k_src.each_chunk_once() and t_src.each_chunk_once()
    _one_chunk_at_most(watch)
    _same_posterior(m, bg.Poisson(k=k, exposure=t, mu=stats.gamma(2, scale=1)), rtol=1e-12)


def test_poisson_without_exposure_broadcasts_lazily():
    rng = np.random.default_rng(4)
    k = rng.poisson(4.0, size=N)
    src = Source(k)
    with Watch() as watch:
        m = bg.Poisson(k=src.array, mu=stats.gamma(2, scale=1))
    assert src.each_chunk_once()
    _one_chunk_at_most(watch)
    _same_posterior(m, bg.Poisson(k=k, mu=stats.gamma(2, scale=1)), rtol=1e-12)


@pytest.mark.parametrize("offset", [0.0, 1e6])
def test_normal_mean_and_m2_combined_across_chunks(offset):
    """Per-chunk mean and M2 combined by dask's reduction: stable far from zero too."""
    rng = np.random.default_rng(5)
    y = offset + rng.normal(0.0, 1.0, size=N)
    src = Source(y)
    prior = stats.normal_inverse_gamma(mu=offset, lmbda=1, a=2, b=2)
    with Watch() as watch:
        m = bg.Normal(y=src.array, prior=prior)
    assert m.data is None
    assert src.each_chunk_once()  # mean and M2 in one pass
    _one_chunk_at_most(watch)
    memory = bg.Normal(y=y, prior=prior)
    _same_posterior(m, memory, rtol=1e-10)
    # against an independent exact sum of squares (math.fsum)
    import math

    mean = math.fsum(y) / N
    m2 = math.fsum((y - mean) ** 2)
    np.testing.assert_allclose(m.stats["m2"], m2, rtol=1e-10)
    np.testing.assert_allclose(m.stats["mean"], mean, rtol=1e-14)


def test_normal_known_sigma():
    rng = np.random.default_rng(6)
    y = rng.normal(1.5, 2.0, size=N)
    m = bg.Normal(y=Source(y).array, mu=stats.norm(0, 10), sigma=2.0)
    _same_posterior(m, bg.Normal(y=y, mu=stats.norm(0, 10), sigma=2.0), rtol=1e-12)


def test_exponential():
    rng = np.random.default_rng(7)
    y = rng.exponential(0.5, size=N)
    src = Source(y)
    with Watch() as watch:
        m = bg.Exponential(y=src.array, lam=stats.gamma(2, scale=1))
    assert m.data is None
    assert src.each_chunk_once()
    _one_chunk_at_most(watch)
    _same_posterior(m, bg.Exponential(y=y, lam=stats.gamma(2, scale=1)), rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.uint8, np.int64, np.float64])
def test_categorical_labels_counted_chunk_by_chunk(dtype):
    rng = np.random.default_rng(13)
    K = 5
    y = rng.choice(K, size=N, p=[0.1, 0.2, 0.4, 0.25, 0.05]).astype(dtype)
    src = Source(y)
    prior = stats.dirichlet(np.full(K, 0.5))
    with Watch() as watch:
        m = bg.Categorical(y=src.array, p=prior)
    assert m.data is None
    assert src.each_chunk_once()
    _one_chunk_at_most(watch)
    memory = bg.Categorical(y=y, p=prior)
    _same_posterior(m, memory, rtol=1e-15)
    np.testing.assert_array_equal(m.stats["counts"], np.bincount(y.astype(int), minlength=K))
    bad = y.copy()
    bad[6 * CHUNK + 1] = K  # one label past the last category, in one chunk
    with pytest.raises(ValueError, match="y must be <= 4"):
        bg.Categorical(y=Source(bad).array, p=prior)


def test_multinomial_counts_and_coefficients_in_one_pass():
    rng = np.random.default_rng(14)
    K = 4
    x = rng.multinomial(rng.integers(0, 30, size=N), [0.1, 0.2, 0.3, 0.4])
    src = Source(x)
    prior = stats.dirichlet(np.ones(K))
    with Watch() as watch:
        m = bg.Multinomial(x=src.array, p=prior)
    assert m.data is None
    assert src.each_chunk_once()  # counts and the log multinomial coefficients together
    _one_chunk_at_most(watch, itemsize=8 * K)
    _same_posterior(m, bg.Multinomial(x=x, p=prior), rtol=1e-12)
    coefficients = gammaln(x.sum(axis=1) + 1.0) - gammaln(x + 1.0).sum(axis=1)
    np.testing.assert_allclose(m.stats["const"], coefficients.sum(), rtol=1e-12)


def test_negative_binomial_with_scalar_or_lazy_per_observation_r():
    rng = np.random.default_rng(15)
    r = rng.uniform(0.5, 6.0, size=N)
    k = rng.negative_binomial(r, 0.4)
    k_src = Source(k)
    with Watch() as watch:
        m = bg.NegativeBinomial(k=k_src.array, r=2.5, p=stats.beta(1, 1))
    assert m.data is None and k_src.each_chunk_once()
    _one_chunk_at_most(watch)
    _same_posterior(m, bg.NegativeBinomial(k=k, r=2.5, p=stats.beta(1, 1)), rtol=1e-12)
    k_src, r_src = Source(k), Source(r)
    lazy = bg.NegativeBinomial(k=k_src.array, r=r_src.array, p=stats.beta(1, 1))
    assert k_src.each_chunk_once() and r_src.each_chunk_once()
    _same_posterior(lazy, bg.NegativeBinomial(k=k, r=r, p=stats.beta(1, 1)), rtol=1e-12)


def test_dataframe_column():
    rng = np.random.default_rng(8)
    frame = pd.DataFrame({"y": rng.normal(3.0, 1.0, size=N), "k": rng.poisson(2.0, size=N)})
    ddf = dd.from_pandas(frame, npartitions=CHUNKS)
    prior = stats.normal_inverse_gamma(mu=0, lmbda=1, a=2, b=2)
    m = bg.Normal(y=ddf["y"], prior=prior)
    assert m.data is None
    _same_posterior(m, bg.Normal(y=frame["y"].to_numpy(), prior=prior), rtol=1e-10)
    p = bg.Poisson(k=ddf["k"], mu=stats.gamma(2, scale=1))
    assert p.data is None
    _same_posterior(p, bg.Poisson(k=frame["k"].to_numpy(), mu=stats.gamma(2, scale=1)), 1e-12)


def test_update_with_dask_chunks_equals_batch():
    rng = np.random.default_rng(9)
    y = (rng.random(N) < 0.6).astype(np.int8)
    first, rest = y[:CHUNK], y[CHUNK:]
    src = Source(rest, chunk=CHUNK)
    m = bg.Bernoulli(y=first, p=stats.beta(1, 1)).updated(y=src.array)
    assert m.data is None  # lazy data are never kept
    assert sorted(src.calls) == list(range(CHUNKS - 1))
    _same_posterior(m, bg.Bernoulli(y=y, p=stats.beta(1, 1)), rtol=1e-15)
    post = bg.conjugate(bg.Normal(y=rng.normal(size=10), mu=stats.norm(0, 1), sigma=1.0))
    more = rng.normal(size=N)
    lazy = post.updated(y=da.from_array(more, chunks=CHUNK))
    batch = post.updated(y=more)
    np.testing.assert_allclose(lazy.hyper["loc"], batch.hyper["loc"], rtol=1e-12)
    np.testing.assert_allclose(lazy.hyper["scale"], batch.hyper["scale"], rtol=1e-12)


def test_to_pymc_of_lazy_model_uses_the_statistics():
    """With no raw data kept, the PyMC model is built from the sufficient statistics."""
    rng = np.random.default_rng(10)
    y = (rng.random(N) < 0.3).astype(np.int8)
    m = bg.Bernoulli(y=Source(y).array, p=stats.beta(2, 2))
    pm_model = bg.to_pymc(m)
    assert [v.name for v in pm_model.observed_RVs] == []
    logp = pm_model.compile_logp(jacobian=False)
    p = 0.31
    expected = stats.beta(2, 2).logpdf(p) + stats.bernoulli(p).logpmf(y).sum()
    np.testing.assert_allclose(logp({"p_logodds__": np.log(p / (1 - p))}), expected, rtol=1e-10)


# ============================================================================ bad data


def _with_bad_value(values: np.ndarray, index: int, bad: Any) -> np.ndarray:
    out = values.astype(float if isinstance(bad, float) else values.dtype)
    out[index] = bad
    return out


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda a: bg.Bernoulli(y=a, p=stats.beta(1, 1)), "y must be <= 1"),
        (lambda a: bg.Poisson(k=a, mu=stats.gamma(2)), "k must be >= 0"),
        (lambda a: bg.Binomial(k=a, n=50, p=stats.beta(1, 1)), "k must be"),
        (lambda a: bg.Exponential(y=a, lam=stats.gamma(2)), "y must be >= 0"),
    ],
)
def test_bad_counts_in_one_chunk_raise(build, match):
    values = np.ones(N, dtype=np.int64)
    bad = {"y must be <= 1": 2}.get(match, -1)
    values[7 * CHUNK + 3] = bad
    with pytest.raises(ValueError, match=match):
        build(Source(values).array)


@pytest.mark.parametrize("bad", [np.nan, np.inf, 0.5])
def test_nan_inf_and_fractions_raise(bad):
    values = _with_bad_value(np.zeros(N), 5 * CHUNK, bad)
    with pytest.raises(ValueError, match=r"finite|whole"):
        bg.Poisson(k=Source(values).array, mu=stats.gamma(2))
    if bad == 0.5:
        return
    with pytest.raises(ValueError, match="finite"):
        bg.Normal(y=Source(values).array, mu=stats.norm(0, 1), sigma=1.0)
    with pytest.raises(ValueError, match="finite"):
        bg.Poisson(k=np.zeros(N, dtype=int), exposure=Source(values + 1).array, mu=stats.gamma(2))


def test_k_above_n_raises_chunkwise():
    n = np.full(N, 10)
    k = np.full(N, 3)
    k[9 * CHUNK] = 11
    with pytest.raises(ValueError, match="k must not exceed"):
        bg.Binomial(k=Source(k).array, n=Source(n).array, p=stats.beta(1, 1))
    with pytest.raises(ValueError, match="k must not exceed"):  # only n lazy
        bg.Binomial(k=k, n=Source(n).array, p=stats.beta(1, 1))
    with pytest.raises(ValueError, match="k must not exceed"):  # only k lazy, n an array
        bg.Binomial(k=Source(k).array, n=n, p=stats.beta(1, 1))


def test_binomial_lazy_k_with_in_memory_trials():
    rng = np.random.default_rng(14)
    n = rng.integers(5, 30, size=N)
    k = rng.binomial(n, 0.4)
    m = bg.Binomial(k=Source(k).array, n=n, p=stats.beta(2, 2))
    _same_posterior(m, bg.Binomial(k=k, n=n, p=stats.beta(2, 2)), rtol=1e-12)
    m = bg.Binomial(k=Source(np.minimum(k, 5)).array, n=5, p=stats.beta(2, 2))
    _same_posterior(m, bg.Binomial(k=np.minimum(k, 5), n=5, p=stats.beta(2, 2)), rtol=1e-12)


def test_bad_exposure_raises():
    t = np.ones(N)
    t[4 * CHUNK] = 0.0
    with pytest.raises(ValueError, match="exposure must be > 0"):
        bg.Poisson(
            k=Source(np.ones(N, dtype=int)).array, exposure=Source(t).array, mu=stats.gamma(2)
        )


def test_non_numeric_dask_data_raise_type_error():
    with pytest.raises(TypeError, match="y must be numeric"):
        bg.Bernoulli(y=da.from_array(np.array(["a", "b"] * 5), chunks=5), p=stats.beta(1, 1))


def test_dask_array_of_unknown_chunk_sizes():
    """A filtered dask array has unknown chunk sizes: they are computed (lengths only)."""
    rng = np.random.default_rng(11)
    y = rng.normal(size=N)
    arr = da.from_array(y, chunks=CHUNK)
    kept = arr[arr > 0]
    assert np.isnan(kept.shape[0])
    m = bg.Exponential(y=kept, lam=stats.gamma(2))
    _same_posterior_n = bg.Exponential(y=y[y > 0], lam=stats.gamma(2))
    np.testing.assert_allclose(m.stats["total"], _same_posterior_n.stats["total"], rtol=1e-12)
    assert m.n_obs == int((y > 0).sum())


# ============================================================ in-memory fast paths (shared)


def test_bool_and_small_integer_data_give_the_same_statistics():
    """bool is read as a uint8 view (no copy); small integer types do not overflow."""
    rng = np.random.default_rng(12)
    y = rng.random(1000) < 0.4
    ref = bg.Bernoulli(y=y.astype(np.int64), p=stats.beta(1, 1)).stats
    for data in (y, y.view(np.uint8), y.astype(np.int8), y.astype(float)):
        got = bg.Bernoulli(y=data, p=stats.beta(1, 1)).stats
        for key in ref:
            assert got[key] == ref[key]
    n = np.full(50, 255, dtype=np.uint8)
    k = rng.integers(0, 256, size=50).astype(np.uint8)
    m8 = bg.Binomial(k=k, n=n, p=stats.beta(1, 1))
    m64 = bg.Binomial(k=k.astype(np.int64), n=n.astype(np.int64), p=stats.beta(1, 1))
    for key in m64.stats:
        np.testing.assert_allclose(m8.stats[key], m64.stats[key], rtol=1e-14)
    kp = np.array([255, 3, 0], dtype=np.uint8)
    const = bg.Poisson(k=kp, mu=stats.gamma(2)).stats["const"]
    np.testing.assert_allclose(const, -gammaln(kp.astype(float) + 1.0).sum(), rtol=1e-14)


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_short_floats_give_64_bit_statistics(dtype):
    """float16 sums of 1000 values of 100 overflow to inf; float32 sums lose digits."""
    y = np.full(1000, 100.0, dtype=dtype)
    y[::7] = 99.5  # exactly representable in both
    ref = y.astype(np.float64)
    normal = bg.Normal(y=y, mu=stats.norm(0, 1000), sigma=1.0)
    np.testing.assert_array_equal(normal.stats["mean"], ref.mean())
    expo = bg.Exponential(y=y, lam=stats.gamma(1))
    assert expo.stats["total"] == math.fsum(ref)
    post = bg.conjugate(bg.Normal(y=y, prior=stats.normal_inverse_gamma(0, 1, 2, 2)))
    memory = bg.conjugate(bg.Normal(y=ref, prior=stats.normal_inverse_gamma(0, 1, 2, 2)))
    for key, value in memory.hyper.items():
        np.testing.assert_allclose(post.hyper[key], value, rtol=1e-15)
    lazy = bg.Normal(y=Source(np.tile(y, 10)).array, mu=stats.norm(0, 1000), sigma=1.0)
    np.testing.assert_allclose(lazy.stats["mean"], ref.mean(), rtol=1e-15)


def test_counts_whose_sum_passes_int64_are_summed_in_floating_point():
    """4 * 2**62 wraps to 0 in int64; the statistics must not drop the data."""
    k = np.full(4, 2**62, dtype=np.int64)
    hyper = bg.conjugate(bg.Poisson(k=k, mu=stats.gamma(1))).hyper
    assert hyper["a"] == 1.0 + 2.0**64 and hyper["b"] == 5.0
    n = k + 2**12  # per-observation trials take the other validation path; 2**12 is one
    hyper = bg.conjugate(bg.Binomial(k=k, n=n, p=stats.beta(1, 1))).hyper  # ulp at 2**64
    assert hyper["a"] == 1.0 + 2.0**64 and hyper["b"] == 1.0 + 4 * 2**12
    small = np.full(4, 2**40, dtype=np.int64)  # no risk: summed exactly as integers
    assert bg.Poisson(k=small, mu=stats.gamma(1)).stats["events"] == 2.0**42


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.int64])
def test_negative_signed_counts_caught_by_the_unsigned_view(dtype):
    y = np.zeros(100, dtype=dtype)
    y[37] = -1
    with pytest.raises(ValueError, match="y must be >= 0"):
        bg.Bernoulli(y=y, p=stats.beta(1, 1))
    y[37] = 2
    with pytest.raises(ValueError, match="y must be <= 1"):
        bg.Bernoulli(y=y, p=stats.beta(1, 1))
    k = np.full(10, 3, dtype=dtype)
    k[4] = -3
    with pytest.raises(ValueError, match="k must be >= 1"):
        bg.Geometric(k=k, p=stats.beta(1, 1))
    with pytest.raises(ValueError, match="exposure must be > 0"):
        bg.Poisson(k=np.ones(10, dtype=int), exposure=np.zeros(10, dtype=dtype), mu=stats.gamma(2))


@pytest.mark.parametrize("groups", [None, 3])
@pytest.mark.parametrize(
    ("dtype", "bad"), [(np.uint8, 2), (np.uint8, 255), (np.int8, 2), (np.int8, -1)]
)
def test_one_byte_bernoulli_data_checked_after_counting(dtype, bad, groups):
    """One-byte data are counted first and checked second: every path still refuses non-0/1."""
    shape = (40,) if groups is None else (40, groups)
    prior = stats.beta(1, 1) if groups is None else stats.beta(np.ones(groups), np.ones(groups))
    y = (np.random.default_rng(7).random(shape) < 0.5).astype(dtype)
    good = bg.Bernoulli(y=y, p=prior)
    np.testing.assert_array_equal(good.stats["successes"], y.astype(int).sum(axis=0))
    y.flat[29] = bad
    expected = "y must be >= 0" if bad < 0 else "y must be <= 1"
    with pytest.raises(ValueError, match=expected):
        bg.Bernoulli(y=y, p=prior)
    with pytest.raises(ValueError, match=expected):
        good.update(y=y)
    assert good.n_obs == 40  # the failed update left the model as it was


def test_streaming_update_does_not_copy_large_chunks():
    """Above the storage limit a chunk is reduced to statistics; the model keeps no data."""
    from bayesgd.models.base import KEEP_DATA_LIMIT

    rng = np.random.default_rng(13)
    chunk = rng.random(KEEP_DATA_LIMIT + 1) < 0.5
    m = bg.Bernoulli(y=chunk[:10], p=stats.beta(1, 1)).updated(y=chunk)
    assert m.data is None
    assert m.stats["successes"] == np.count_nonzero(chunk) + np.count_nonzero(chunk[:10])
    assert m.n_obs == chunk.size + 10


def test_one_byte_data_longer_than_a_block_are_counted_and_checked_in_every_block():
    from bayesgd.models.discrete import _BLOCK_BYTES

    rng = np.random.default_rng(16)
    y = (rng.random(3 * _BLOCK_BYTES + 123) < 0.3).astype(np.uint8)
    model = bg.Bernoulli(y=y, p=stats.beta(1, 1))
    assert model.stats["successes"] == int(y.sum(dtype=np.int64))
    for where in (0, _BLOCK_BYTES - 1, 2 * _BLOCK_BYTES + 7, y.size - 1):
        bad = y.copy()
        bad[where] = 2
        with pytest.raises(ValueError, match="y must be <= 1"):
            bg.Bernoulli(y=bad, p=stats.beta(1, 1))
        with pytest.raises(ValueError, match="y must be <= 1"):
            model.update(y=bad)
    signed = y.astype(np.int8)
    signed[-1] = -1
    with pytest.raises(ValueError, match="y must be >= 0"):
        bg.Bernoulli(y=signed, p=stats.beta(1, 1))
