"""The models' own PyMC likelihood hooks (no likelihood-string dispatch in the bridge)."""

from __future__ import annotations

import warnings

import numpy as np
import pymc as pm
import pytest
from scipy import stats

import bayesgd as bg
from bayesgd import _pymc_likelihoods, to_pymc

Y = np.array([0.3, -1.2, 0.8, 2.1, 0.4])

FAMILY_MODELS = [
    bg.Bernoulli,
    bg.Binomial,
    bg.Geometric,
    bg.NegativeBinomial,
    bg.Poisson,
    bg.Exponential,
    bg.Normal,
    bg.Multinomial,
    bg.Categorical,
    bg.LinearRegression,
    bg.LogisticRegression,
    bg.PoissonRegression,
]


@pytest.mark.parametrize("cls", FAMILY_MODELS)
def test_every_likelihood_family_writes_its_own_pymc_likelihood(cls):
    assert "_pymc_likelihood" in vars(cls)


def test_the_bridge_does_not_dispatch_on_likelihood_names():
    import inspect

    source = inspect.getsource(_pymc_likelihoods)
    assert ".likelihood" not in source
    for name in ("bernoulli", "poisson_regression", "categorical", '"normal"'):
        assert name not in source


class _Declines(bg.Model):
    """A hook that declines: to_pymc falls back to the NumPy likelihood as an Op."""

    def _pymc_likelihood(self, params):
        return NotImplemented


def test_a_hook_returning_not_implemented_falls_back_to_the_op():
    model = _Declines(
        priors={"mu": stats.norm(0.0, 2.0)},
        log_likelihood=lambda mu: stats.norm.logpdf(Y, np.asarray(mu)[..., None]).sum(axis=-1),
        grad_log_likelihood=lambda mu: {"mu": (Y - np.asarray(mu)[..., None]).sum(axis=-1)},
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        pm_model = to_pymc(model)
    assert not pm_model.observed_RVs
    assert [p.name for p in pm_model.potentials] == ["log_likelihood"]
    logp = pm_model.compile_logp(jacobian=False)
    for mu in (-1.0, 0.0, 0.7):
        expected = stats.norm(0.0, 2.0).logpdf(mu) + stats.norm.logpdf(Y, mu).sum()
        np.testing.assert_allclose(logp({"mu": mu}), expected, rtol=1e-12)


def test_observed_names_avoid_parameter_names():
    # a fixed parameter called y: the observed variable becomes y_
    model = bg.Normal(y=Y, mu=stats.norm(0.0, 1.0), sigma=1.0)
    with pm.Model():
        params = {"mu": pm.Normal("mu"), "y": pm.Normal("y_param")}
        model.fixed["y"] = np.asarray(0.0)
        try:
            var = model._pymc_likelihood({**params, "sigma": 1.0})
        finally:
            del model.fixed["y"]
    assert var.name == "y_"
