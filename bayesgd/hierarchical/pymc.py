"""The hierarchical model as PyMC: non-centred for a normal group family, so NUTS mixes.

``theta = loc + scale * eta`` with ``eta ~ Normal(0, 1)`` removes the funnel between a normal
family's ``scale`` and its groups; beta and gamma families are written centred (their group
parameters live on bounded or positive supports; PyMC samples them on the log/logit scale).
Hyperparameters left to ``log_prior`` become ``Flat``/``HalfFlat`` variables plus a
``Potential`` holding ``log_prior`` evaluated on PyTensor variables (so it must be written with
operations PyTensor accepts: arithmetic and ``pytensor.tensor`` functions).

Examples
--------
>>> from scipy import stats
>>> import bayesgd as bg
>>> from bayesgd.hierarchical import Normal
>>> m = Normal(y=[28.0, 8, -3], sigma=[15.0, 10, 16], mu=bg.hierarchical(
...     stats.norm, loc=stats.norm(0, 20), scale=stats.halfnorm(scale=10)))
>>> pm_model = to_pymc(m)  # doctest: +SKIP
>>> sorted(v.name for v in pm_model.free_RVs)  # doctest: +SKIP
['loc', 'mu_eta', 'scale']
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import as_rng, check_positive_int
from ..errors import NotApplicableError
from ..posterior import SamplePosterior
from ..priors import make_prior
from .model import HierarchicalModel

__all__ = ["sample", "to_pymc"]


def _hyper_variables(model: HierarchicalModel) -> dict[str, Any]:
    """The hyperparameters as PyMC variables (or constants), keyed by scipy argument name."""
    import pymc as pm

    spec = model.spec
    out: dict[str, Any] = dict(spec.fixed)
    for arg, prior in spec.priors.items():
        name = spec.names[arg]
        out[arg] = make_prior((name,), prior.dist)._pymc_variables({name: ()})[name]
    for arg in spec.left_out:
        positive = model.coords.positive[spec.free.index(arg)]
        out[arg] = (pm.HalfFlat if positive else pm.Flat)(spec.names[arg])
    if spec.log_prior is not None:
        try:
            term = spec.log_prior(**{a: out[a] for a in spec.left_out})
        except Exception as exc:
            raise NotApplicableError(
                "to_pymc evaluates log_prior on PyTensor variables and it failed "
                f"({exc!r}); write it with arithmetic and pytensor.tensor functions (pt.log, ...)"
            ) from exc
        pm.Potential("log_hyperprior", term)
    return out


def to_pymc(model: HierarchicalModel) -> Any:
    """A ``pm.Model`` of ``model``: non-centred groups for a normal family.

    The group parameter keeps its name (a ``Deterministic`` when non-centred; the standard
    normals are ``<name>_eta``). Groups aggregated by ``groups=`` enter through their totals,
    which changes the likelihood by a constant only.
    """
    import pymc as pm

    inner, name = model.inner, model.group
    with pm.Model() as pm_model:
        h = _hyper_variables(model)
        g = model.n_groups
        if inner.family == "norm":
            eta = pm.Normal(f"{name}_eta", 0.0, 1.0, shape=g)
            theta = pm.Deterministic(name, h["loc"] + h["scale"] * eta)
        elif inner.family == "beta":
            theta = pm.Beta(name, h["a"], h["b"], shape=g)
        else:
            theta = pm.Gamma(name, alpha=h["a"], beta=1 / h["scale"], shape=g)
        inner.observe(theta)
    return pm_model


def sample(
    model: HierarchicalModel,
    *,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 2,
    target_accept: float = 0.9,
    rng: Any = None,
) -> SamplePosterior:
    """NUTS on :func:`to_pymc`'s model; a :class:`bayesgd.SamplePosterior` (method ``"pymc"``).

    The number of divergences is kept as ``.divergences``.
    """
    import pymc as pm

    check_positive_int(draws, "draws")
    check_positive_int(chains, "chains")
    seed = int(as_rng(rng).integers(2**31))
    with to_pymc(model):
        idata = pm.sample(
            draws=draws,
            tune=tune,
            chains=chains,
            cores=1,
            target_accept=target_accept,
            random_seed=seed,
            progressbar=False,
            compute_convergence_checks=False,
        )
    post = idata.posterior
    out = {n: np.asarray(post[n]) for n in model.names}
    result = SamplePosterior(model, out, method="pymc")  # type: ignore[arg-type]
    result.divergences = int(idata.sample_stats["diverging"].sum())  # type: ignore[attr-defined]
    result.idata = idata  # type: ignore[attr-defined]
    return result
