"""The PyMC bridge: write a model in PyMC, sample it with NUTS, and check other methods against it.

* :func:`to_pymc` writes a bayesgd model as the equivalent ``pm.Model`` (same parameter names,
  shapes and parametrisation; see :mod:`bayesgd._pymc_likelihoods` for the table of priors).
* :func:`sample_pymc` runs NUTS and returns a :class:`PyMCPosterior` (the common posterior
  interface plus ``.idata``), warning with :class:`bayesgd.SamplingWarning` when R-hat, ESS or
  divergences fail their thresholds.
* :func:`check_with_pymc` checks any posterior (by default the exact one, else the grid)
  against NUTS with tolerances from Monte Carlo standard errors, and compares the MAP with
  ``pm.find_MAP``; it returns a :class:`PyMCCheck`.
* :func:`model_from_pymc` goes the other way: any PyMC model with continuous free variables
  becomes a :class:`bayesgd.Model` (:class:`PyMCModel`) on PyMC's unconstrained space.

PyMC, PyTensor and ArviZ are imported inside the functions: ``import bayesgd`` stays fast.

Examples
--------
>>> from scipy import stats
>>> import bayesgd as bg
>>> from bayesgd.pymc import to_pymc
>>> pm_model = to_pymc(bg.Binomial(k=7, n=10, p=stats.beta(2, 2)))
>>> [v.name for v in pm_model.free_RVs]
['p']
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ._validation import as_rng, check_positive_int, check_prob
from .errors import NotConjugateError, SamplingWarning
from .models.base import Model, Parameter
from .posterior import Posterior, SamplePosterior, hdi_column_names
from .priors import Prior
from .transforms import transform_for_support

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "RERUN_TARGET_ACCEPT",
    "VERDICTS",
    "PyMCCheck",
    "PyMCModel",
    "PyMCPosterior",
    "check_with_pymc",
    "model_from_pymc",
    "sample_pymc",
    "to_pymc",
]

#: Default thresholds of the NUTS diagnostics (Vehtari et al. 2021, "Rank-normalization,
#: folding, and localization: an improved R-hat"): split rank-normalised R-hat at most 1.01,
#: bulk and tail ESS at least 100 per chain (400 for their 4 chains), and no divergences.
RHAT_MAX = 1.01
MIN_ESS_PER_CHAIN = 100


def _check_model(model: Any, what: str = "model") -> None:
    if not isinstance(model, Model):
        raise TypeError(f"{what} must be a bayesgd Model, got {type(model).__name__}")


def _check_thresholds(rhat_max: Any, min_ess_per_chain: Any) -> tuple[float, float]:
    """R-hat is at least 1 by construction, an ESS at least 0: other thresholds fail every run."""
    out = []
    for name, value, low, strict in (
        ("rhat_max", rhat_max, 1.0, True),
        ("min_ess_per_chain", min_ess_per_chain, 0.0, False),
    ):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
        value = float(value)
        if not math.isfinite(value) or (value <= low if strict else value < low):
            bound = f"> {low:g}" if strict else f">= {low:g}"
            raise ValueError(f"{name} must be finite and {bound}, got {value}")
        out.append(value)
    return out[0], out[1]


# =============================================================================== to_pymc
def to_pymc(model: Model) -> Any:
    """The equivalent PyMC model.

    Every free parameter becomes one PyMC free variable with the same name and shape, its prior
    written with PyMC's distribution of the same family and parametrisation (the table is in
    :mod:`bayesgd._pymc_likelihoods`; a shifted or scaled family PyMC has no location for is a
    ``pm.CustomDist`` of ``loc + scale * X``, and ``loguniform`` is ``exp(Uniform(log a,
    log b))``, both with an interval transform onto the support). Fixed parameters enter as
    constants.

    The likelihood, in this order of preference:

    1. the model's own hook ``model._pymc_likelihood(params)``, called inside the ``pm.Model``
       context with a dict of the free variables and the fixed values (as constants); it adds
       the observed likelihood itself;
    2. for the built-in families with their data kept (``model.data``), PyMC's observed
       distribution: ``Bernoulli`` (``y``), ``Binomial`` (``k`` of ``n``), ``Geometric``,
       ``NegativeBinomial(n=r, p=p)``, ``Poisson(mu * exposure)``, ``Exponential(lam)``,
       ``Normal(mu, sigma or sqrt(sigma2))``, ``Multinomial`` (``n`` = row sums),
       ``Categorical``, ``Normal(intercept + X @ coef, sigma)`` for linear regression,
       ``Bernoulli(logit_p=...)`` for logistic and ``Poisson(exp(... + offset))`` for Poisson
       regression;
    3. when the data were not kept (``model.data is None``, after streaming updates past the
       storage limit), a ``pm.Potential`` named ``log_likelihood`` built from the sufficient
       statistics ``model.stats`` (the same log likelihood, constants included; the PyMC model
       then has no observed variable for posterior predictive checks);
    4. any other model (a custom :class:`bayesgd.Model`): its NumPy log likelihood wrapped in
       a PyTensor Op whose gradient is ``model.grad_log_likelihood`` (analytic when given, the
       model's central finite differences otherwise), added as ``pm.Potential`` so that NUTS
       runs on it.

    Parameters
    ----------
    model : bayesgd.Model

    Returns
    -------
    pymc.Model

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> import bayesgd as bg
    >>> m = bg.Normal(y=[0.3, -0.1, 0.8], mu=stats.norm(0, 10), sigma=stats.halfnorm(scale=5))
    >>> pm_model = to_pymc(m)
    >>> sorted(v.name for v in pm_model.free_RVs), [v.name for v in pm_model.observed_RVs]
    (['mu', 'sigma'], ['y'])
    """
    _check_model(model)
    import pymc as pm
    import pytensor.tensor as pt

    from . import _pymc_likelihoods as lik

    taken = set(model.parameters) | set(model.fixed)
    with pm.Model() as pm_model:
        free: dict[str, Any] = {}
        for prior in model.priors:
            free.update(lik.add_prior(prior, model))
        params = {
            name: pt.as_tensor_variable(np.asarray(value, dtype=float))
            for name, value in model.fixed.items()
        }
        params.update(free)
        lik.add_likelihood(model, params, taken)
    return pm_model


# ======================================================================= PyMCPosterior
class PyMCPosterior(SamplePosterior):
    """NUTS draws from PyMC with the common posterior interface and diagnostics.

    Parameters
    ----------
    model : bayesgd.Model
        The model the draws belong to (parameter names must appear in ``idata.posterior``).
    idata : arviz.InferenceData
        The output of ``pm.sample``.
    rhat_max : float
        Largest acceptable split rank-normalised R-hat (default 1.01).
    min_ess_per_chain : float
        Smallest acceptable bulk and tail ESS per chain (default 100, i.e. 400 for 4 chains).
    warn : bool
        Whether to warn (:class:`bayesgd.SamplingWarning`) when a diagnostic fails.

    Attributes
    ----------
    idata : arviz.InferenceData
    diagnostics : pandas.DataFrame
        One row per scalar parameter: ``r_hat``, ``ess_bulk``, ``ess_tail``.
    divergences : int
        Number of divergent transitions after tuning.
    problems : list of str
        The failed checks, named (empty when every diagnostic passed).

    Examples
    --------
    >>> import arviz as az, numpy as np
    >>> from scipy import stats
    >>> import bayesgd as bg
    >>> m = bg.Normal(y=[0.0], mu=stats.norm(0, 1), sigma=1.0)
    >>> draws = np.random.default_rng(0).normal(0, 0.7, size=(2, 1000))
    >>> post = PyMCPosterior(m, az.from_dict(posterior={"mu": draws}))
    >>> post.ok, abs(post.mean()["mu"]) < 0.05, post.diagnostics.columns.tolist()
    (True, True, ['r_hat', 'ess_bulk', 'ess_tail'])
    """

    method = "pymc"

    def __init__(
        self,
        model: Model,
        idata: Any,
        *,
        rhat_max: float = RHAT_MAX,
        min_ess_per_chain: float = MIN_ESS_PER_CHAIN,
        warn: bool = True,
    ):
        _check_model(model)
        posterior = getattr(idata, "posterior", None)
        if posterior is None:
            raise TypeError("idata must be an ArviZ InferenceData with a posterior group")
        missing = [n for n in model.names if n not in posterior]
        if missing:
            raise ValueError(f"idata.posterior has no draws of {missing}")
        draws = {n: np.asarray(posterior[n].values, dtype=float) for n in model.names}
        super().__init__(model, draws, method="pymc")
        self.idata = idata
        self.rhat_max, self.min_ess_per_chain = _check_thresholds(rhat_max, min_ess_per_chain)
        self.chains, self.n_draws = next(iter(draws.values())).shape[:2]
        self.diagnostics = self._diagnostics()
        stats = getattr(idata, "sample_stats", None)
        if stats is not None and "diverging" in stats:
            self.divergences = int(np.asarray(stats["diverging"].values).sum())
        else:
            self.divergences = 0
        self.problems = self._problems()
        if warn and self.problems:
            warnings.warn(
                "NUTS diagnostics failed: " + "; ".join(self.problems),
                SamplingWarning,
                stacklevel=2,
            )

    @property
    def ok(self) -> bool:
        """Whether every diagnostic passed."""
        return not self.problems

    def _diagnostics(self) -> pd.DataFrame:
        import arviz as az
        import pandas as pd

        post = self.idata.posterior[list(self.names)]
        with np.errstate(invalid="ignore", divide="ignore"):  # NaN counts as a failed check
            rhat = az.rhat(post)
            bulk = az.ess(post, method="bulk")
            tail = az.ess(post, method="tail")
        rows: dict[str, list[float]] = {"r_hat": [], "ess_bulk": [], "ess_tail": []}
        index: list[str] = []
        for name in self.names:
            param = self.model.parameters[name]
            index += param.element_names()
            for key, ds in (("r_hat", rhat), ("ess_bulk", bulk), ("ess_tail", tail)):
                rows[key] += np.broadcast_to(ds[name].values, param.shape).reshape(-1).tolist()
        return pd.DataFrame(rows, index=pd.Index(index, name="parameter"))

    def _problems(self) -> list[str]:
        d = self.diagnostics
        problems = []
        min_ess = self.min_ess_per_chain * self.chains
        bad = d.index[~(d["r_hat"] <= self.rhat_max)].tolist()
        if bad:
            problems.append(f"R-hat > {self.rhat_max:g} for {bad} (max {d['r_hat'].max():.4f})")
        for key, label in (("ess_bulk", "bulk"), ("ess_tail", "tail")):
            bad = d.index[~(d[key] >= min_ess)].tolist()
            if bad:
                problems.append(
                    f"{label} ESS < {min_ess:g} ({self.min_ess_per_chain:g} per chain) for {bad} "
                    f"(min {d[key].min():.0f})"
                )
        if self.divergences:
            problems.append(f"{self.divergences} divergent transition(s)")
        return problems

    def to_inference_data(self, draws: int = 4000, *, rng: Any = None) -> Any:
        """The sampler's own InferenceData (``draws`` and ``rng`` are ignored)."""
        return self.idata


# ========================================================================== sample_pymc
def _seed(rng: Any) -> int:
    return int(as_rng(rng).integers(0, 2**31 - 1))


class _Interrupts:
    """Makes a Ctrl-C during ``pm.sample`` reach the caller as ``KeyboardInterrupt``.

    PyMC swallows a ``KeyboardInterrupt`` inside ``pm.sample``: in tuning it ends in
    ``ValueError: Not enough samples to build a trace``; later the partial draws are returned;
    with chains run one after another, the next chain even starts. Here an interrupt is seen
    three ways: a SIGINT (Ctrl-C) handler that notes it before PyMC's ``except`` runs (installed
    only over Python's default handler, in the main thread), a ``KeyboardInterrupt`` from the
    user's ``callback``, and draws missing from the result. A noted interrupt also stops the
    chains that are still to run, through the per-draw callback.
    """

    def __init__(self, user_callback: Any):
        self.seen = False
        self.user_callback = user_callback
        self._previous: Any = None

    def __enter__(self) -> _Interrupts:
        import signal
        import threading

        if (
            threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGINT) is signal.default_int_handler
        ):
            self._previous = signal.signal(signal.SIGINT, self._on_sigint)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._previous is not None:
            import signal

            signal.signal(signal.SIGINT, self._previous)

    def _on_sigint(self, signum: int, frame: Any) -> None:
        self.seen = True
        raise KeyboardInterrupt

    def callback(self, trace: Any, draw: Any) -> None:
        if self.seen:  # stop the chains that PyMC would run after an interrupted one
            raise KeyboardInterrupt
        if self.user_callback is not None:
            try:
                self.user_callback(trace=trace, draw=draw)
            except KeyboardInterrupt:
                self.seen = True
                raise

    def check(self, idata: Any, chains: int, draws: int) -> None:
        """Raise ``KeyboardInterrupt`` if sampling was interrupted (draws are missing)."""
        sizes = idata.posterior.sizes
        got_chains, got_draws = int(sizes.get("chain", 0)), int(sizes.get("draw", 0))
        if self.seen or got_chains < chains or got_draws < draws:
            raise KeyboardInterrupt(
                f"NUTS was interrupted: {got_chains} of {chains} chain(s) and {got_draws} of "
                f"{draws} draws were kept; no partial posterior is returned"
            )


def _run_pm_sample(pymc_model: Any, chains: int, draws: int, kwargs: dict[str, Any]) -> Any:
    """``pm.sample`` whose interruption raises ``KeyboardInterrupt`` (see :class:`_Interrupts`)."""
    import pymc as pm

    guard = _Interrupts(kwargs.pop("callback", None))
    if kwargs.get("nuts_sampler", "pymc") == "pymc":
        kwargs["callback"] = guard.callback
    else:  # other samplers take no callback: give the user's back
        kwargs["callback"] = guard.user_callback
    with guard, pymc_model:
        try:
            idata = pm.sample(draws=draws, chains=chains, **kwargs)
        except ValueError as exc:
            if "Not enough samples" not in str(exc):
                raise
            raise KeyboardInterrupt(
                "NUTS was interrupted during tuning (PyMC: Not enough samples to build a trace)"
            ) from exc
    guard.check(idata, chains, draws)
    return idata


def sample_pymc(
    model: Model,
    *,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 2,
    rng: Any = None,
    progressbar: bool = False,
    rhat_max: float = RHAT_MAX,
    min_ess_per_chain: float = MIN_ESS_PER_CHAIN,
    pymc_model: Any = None,
    **kwargs: Any,
) -> PyMCPosterior:
    """Sample the posterior with NUTS through ``pm.sample``.

    Parameters
    ----------
    model : bayesgd.Model
    draws, tune, chains : int
        Draws kept per chain, tuning steps per chain, number of chains.
    rng : None, int or numpy.random.Generator
        Source of ``random_seed`` for ``pm.sample``.
    progressbar : bool
    rhat_max, min_ess_per_chain : float
        Diagnostic thresholds (see :class:`PyMCPosterior`).
    pymc_model : pymc.Model, optional
        The result of ``to_pymc(model)``, to reuse instead of building it again.
    **kwargs
        Passed to ``pm.sample`` (``cores=1`` unless given, which is safe in CI and needs no
        pickling; ``cores > 1`` needs a picklable model, so a custom model's
        ``log_likelihood`` must then not be a lambda). PyMC's own convergence report is off,
        replaced by :class:`PyMCPosterior`'s checks. Parameters whose names end in ``__``
        (a :class:`PyMCModel`'s value variables) are kept in ``idata`` through
        ``idata_kwargs={"include_transformed": True}``.

    Returns
    -------
    PyMCPosterior
        Warns :class:`bayesgd.SamplingWarning` naming every failed diagnostic.

    Raises
    ------
    KeyboardInterrupt
        When sampling is interrupted (Ctrl-C, or a ``KeyboardInterrupt`` from a ``callback``),
        in tuning or after it: partial draws are never returned as if they were a posterior.

    Examples
    --------
    >>> from scipy import stats
    >>> import bayesgd as bg
    >>> post = sample_pymc(bg.Binomial(k=7, n=10, p=stats.beta(2, 2)), draws=500, tune=500,
    ...                    rng=0)  # doctest: +SKIP
    >>> round(post.mean()["p"], 2)  # doctest: +SKIP
    0.64
    """
    _check_model(model)
    draws = check_positive_int(draws, "draws")
    tune = check_positive_int(tune, "tune", minimum=0)
    chains = check_positive_int(chains, "chains")
    rhat_max, min_ess_per_chain = _check_thresholds(rhat_max, min_ess_per_chain)
    import pymc as pm

    if pymc_model is None:
        pymc_model = to_pymc(model)
    elif not isinstance(pymc_model, pm.Model):
        raise TypeError(f"pymc_model must be a pymc.Model, got {type(pymc_model).__name__}")
    kwargs.setdefault("cores", 1)
    kwargs.setdefault("compute_convergence_checks", False)
    if any(n.endswith("__") for n in model.names):  # PyMC drops such names from idata
        idata_kwargs = dict(kwargs.pop("idata_kwargs", None) or {})
        idata_kwargs.setdefault("include_transformed", True)
        kwargs["idata_kwargs"] = idata_kwargs
    kwargs.update(tune=tune, random_seed=_seed(rng), progressbar=progressbar)
    idata = _run_pm_sample(pymc_model, chains, draws, kwargs)
    return PyMCPosterior(
        model, idata, rhat_max=rhat_max, min_ess_per_chain=min_ess_per_chain, warn=True
    )


# ========================================================================= MCSE helpers
def _mcse_mean(x: np.ndarray) -> float:
    """``sd / sqrt(ESS_mean)`` of draws shaped ``(chain, draw)``."""
    import arviz as az

    ess = float(az.ess(x, method="mean"))
    return float(np.std(x, ddof=1) / np.sqrt(ess))


def _mcse_sd(x: np.ndarray) -> float:
    """Delta method: ``Var(sd) ~ Var(m2) / (4 m2)`` with ``Var(m2)`` from the ESS of squares."""
    import arviz as az

    c2 = (x - x.mean()) ** 2
    ess = float(az.ess(c2, method="mean"))
    m2 = c2.mean()
    var_m2 = ((c2**2).mean() - m2**2) / ess
    return float(np.sqrt(var_m2 / (4.0 * m2)))


def _mcse_quantile(x: np.ndarray, prob: float) -> float:
    """ArviZ's quantile MCSE: a ±1 sd Beta interval for the level, with ESS of the indicator."""
    import arviz as az
    from scipy import stats

    flat = np.sort(x.ravel())
    size = flat.size
    prob = float(np.clip(prob, 0.0, 1.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        ess = float(az.ess(x, method="quantile", prob=prob)) if 0.0 < prob < 1.0 else np.nan
        if not np.isfinite(ess):
            ess = float(az.ess(x, method="tail"))
        lo, hi = stats.beta.ppf([0.1586553, 0.8413447], ess * prob + 1, ess * (1 - prob) + 1)
    i1 = int(np.floor(max(lo * size - 1, 0)))
    i2 = int(np.ceil(min(hi * size - 1, size - 1)))
    return float((flat[i2] - flat[i1]) / 2.0)


def _chain_draws(post: SamplePosterior, name: str) -> np.ndarray:
    """Draws as ``(chain, draw, size)``."""
    x = post.draws[name]
    shape = post._chain_shape or (1, len(x))
    return x.reshape((*shape, -1))


def _levels(post: Posterior, name: str, values: np.ndarray) -> np.ndarray:
    """The posterior's CDF at ``values`` (one per element), by inverting ``quantile``."""
    tails = np.geomspace(1e-7, 1e-3, 41)
    q = np.unique(np.concatenate([tails, np.linspace(1e-3, 1 - 1e-3, 4999), 1 - tails]))
    table = np.asarray(post.quantile(q)[name], dtype=float).reshape(len(q), -1)
    out = np.empty(values.size)
    for j, v in enumerate(values.ravel()):
        col = table[:, j]
        ok = np.isfinite(col)
        col, qs = np.maximum.accumulate(col[ok]), q[ok]
        if v <= col[0]:
            out[j] = 0.0
        elif v >= col[-1]:
            out[j] = 1.0
        else:
            out[j] = np.interp(v, col, qs)
    return out


# =========================================================================== PyMCCheck
#: The three verdicts of :func:`check_with_pymc`.
VERDICTS = ("passed", "failed", "inconclusive")


class PyMCCheck:
    """The verdict of :func:`check_with_pymc`.

    The verdict on the candidate is kept apart from the health of the NUTS reference: a
    statistic off by more than ``z`` MCSE only counts against the candidate when the reference
    passed its diagnostics (its MCSEs are otherwise not trustworthy).

    Attributes
    ----------
    verdict : {"passed", "failed", "inconclusive"}
        ``"passed"``: every statistic within ``z`` MCSE of a healthy reference and the MAP
        agreeing. ``"failed"``: a statistic beyond ``z`` MCSE of a healthy reference, or the MAP
        disagreeing with ``pm.find_MAP`` (a comparison that needs no draws). ``"inconclusive"``:
        the NUTS reference still failed its diagnostics (R-hat, ESS, divergences) after the
        automatic reruns, so the statistics cannot judge the candidate.
    passed : bool
        ``verdict == "passed"``.
    reason : str
        Why the verdict is not ``"passed"`` (empty when it is).
    table : pandas.DataFrame
        One row per scalar parameter and statistic (``mean``, ``sd``, and the two HDI ends):
        ``parameter, statistic, level, candidate, pymc, difference, mcse, z, passed``.
    map_table : pandas.DataFrame or None
        ``parameter, bayesgd, pymc, difference, relative, passed`` (None with ``map=False``).
    candidate : Posterior
        The posterior that was checked.
    reference : PyMCPosterior
        The NUTS draws it was checked against (the last run, after any reruns).
    attempts : pandas.DataFrame
        One row per NUTS run: ``draws``, ``tune``, ``target_accept`` (NaN when not known, for
        a ``reference`` given by the caller), ``healthy`` and ``problems``.
    problems : list of str
        Everything that went wrong: the candidate's failures, then the reference's.
    candidate_problems, reference_problems : list of str
        The same, apart.
    """

    def __init__(
        self,
        *,
        table: pd.DataFrame,
        map_table: pd.DataFrame | None,
        candidate: Posterior,
        reference: PyMCPosterior,
        z: float,
        map_rtol: float,
        candidate_problems: list[str],
        map_problems: list[str],
        attempts: pd.DataFrame,
    ):
        self.table = table
        self.map_table = map_table
        self.candidate = candidate
        self.reference = reference
        self.z = z
        self.map_rtol = map_rtol
        self.attempts = attempts
        self.candidate_problems = [*candidate_problems, *map_problems]
        self.reference_problems = [f"NUTS diagnostics: {p}" for p in reference.problems]
        self.problems = self.candidate_problems + self.reference_problems
        runs = len(attempts)
        if map_problems or (candidate_problems and reference.ok):
            self.verdict = "failed"
            self.reason = "; ".join(map_problems if not reference.ok else self.candidate_problems)
        elif not reference.ok:
            self.verdict = "inconclusive"
            self.reason = (
                f"the NUTS reference is unhealthy after {runs} run(s) ("
                + "; ".join(reference.problems)
                + "), so its Monte Carlo errors cannot judge the candidate"
            )
        else:
            self.verdict = "passed"
            self.reason = ""
        self.passed = self.verdict == "passed"

    def __bool__(self) -> bool:
        return self.passed

    def _headline(self) -> str:
        t = self.table
        ref = self.reference
        line = (
            f"PyMCCheck {self.verdict.upper()}: {int(t['passed'].sum())}/{len(t)} statistics of "
            f"the {self.candidate.method} posterior of {self.candidate.model!r} within "
            f"{self.z:g} MCSE of NUTS ({ref.chains} chain(s) x {ref.n_draws} draws"
            f"{'' if ref.ok else ', unhealthy'})"
        )
        if self.map_table is not None and len(self.map_table):
            worst = float(self.map_table["relative"].max())
            line += f"; MAP max relative difference {worst:.2g} (tolerance {self.map_rtol:g})"
        return line

    def __repr__(self) -> str:
        parts = [self._headline()]
        if self.reason:
            parts.append(f"  {self.verdict}: {self.reason}")
        parts += [f"  - {p}" for p in self.problems]
        if len(self.attempts) > 1:
            parts.append("NUTS runs:")
            parts.append(self.attempts.to_string(index=False))
        parts.append(self.table.to_string(index=False))
        if self.map_table is not None:
            parts.append("MAP:")
            parts.append(self.map_table.to_string(index=False))
        return "\n".join(parts)

    def _repr_html_(self) -> str:
        colour = {"passed": "green", "failed": "crimson"}.get(self.verdict, "darkorange")
        html = f"<p style='color:{colour}'><b>{self._headline()}</b></p>"
        if self.problems:
            html += "<ul>" + "".join(f"<li>{p}</li>" for p in self.problems) + "</ul>"
        html += self.table.to_html(index=False)
        if self.map_table is not None:
            html += "<p>MAP</p>" + self.map_table.to_html(index=False)
        return html


def _default_posterior(model: Model) -> Posterior:
    from .conjugate import conjugate

    try:
        return conjugate(model)
    except NotConjugateError:
        from .grid import grid

        return grid(model)


def _estimate(x: np.ndarray, stat: str, level: float) -> tuple[float, float]:
    """A statistic of draws ``(chain, draw)`` and its MCSE (``level`` for quantile rows)."""
    if stat == "mean":
        return float(x.mean()), _mcse_mean(x)
    if stat == "sd":
        return float(x.std(ddof=1)), _mcse_sd(x)
    return float(np.quantile(x, level)), _mcse_quantile(x, level)


def _statistics_table(
    candidate: Posterior, reference: PyMCPosterior, *, prob: float, z: float
) -> pd.DataFrame:
    import pandas as pd

    low_name, high_name = hdi_column_names(prob)
    c_mean, c_sd, c_hdi = candidate.mean(), candidate.sd(), candidate.hdi(prob)
    cand_draws = isinstance(candidate, SamplePosterior)
    rows = []
    for name in reference.names:
        param = reference.model.parameters[name]
        elements = param.element_names()
        x = _chain_draws(reference, name)
        cx = _chain_draws(candidate, name) if cand_draws else None
        size = len(elements)

        def flat(v, size=size, shape=param.shape):
            return np.broadcast_to(np.asarray(v, dtype=float), shape).reshape(size)

        cm, cs = flat(c_mean[name]), flat(c_sd[name])
        clo, chi = flat(c_hdi[name][0]), flat(c_hdi[name][1])
        lev_lo, lev_hi = _levels(candidate, name, clo), _levels(candidate, name, chi)
        for j, element in enumerate(elements):
            specs = (
                ("mean", np.nan, cm[j]),
                ("sd", np.nan, cs[j]),
                (low_name, lev_lo[j], clo[j]),
                (high_name, lev_hi[j], chi[j]),
            )
            for stat, level, cval in specs:
                pval, mcse = _estimate(x[..., j], stat, level)
                if cx is not None:  # the candidate's own Monte Carlo error adds in quadrature
                    mcse = float(np.hypot(mcse, _estimate(cx[..., j], stat, level)[1]))
                diff = float(cval - pval)
                with np.errstate(divide="ignore", invalid="ignore"):
                    zval = abs(diff) / mcse if mcse > 0 else (0.0 if diff == 0 else np.inf)
                ok = bool(np.isfinite(cval) and np.isfinite(zval) and zval <= z)
                rows.append((element, stat, level, float(cval), pval, diff, mcse, zval, ok))
    columns = ["parameter", "statistic", "level", "candidate", "pymc", "difference", "mcse"]
    columns += ["z", "passed"]
    return pd.DataFrame(rows, columns=columns)


def _map_table(
    model: Model,
    pymc_model: Any,
    reference: PyMCPosterior,
    *,
    map_rtol: float,
    map_kwargs: Mapping[str, Any] | None,
    rng: Any,
) -> pd.DataFrame:
    import pandas as pd
    import pymc as pm

    from .map import map_estimate

    fit = map_estimate(model, **dict(map_kwargs or {}))
    pm_map = pm.find_MAP(
        model=pymc_model,
        progressbar=False,
        include_transformed=True,  # names ending in "__" (PyMCModel) must stay
        maxeval=50_000,
        seed=_seed(rng),
        options={"maxiter": 20_000, "ftol": 1e-15, "gtol": 1e-10},
    )
    sd = reference.sd()
    rows = []
    for name in model.names:
        param = model.parameters[name]
        size = param.size
        a = np.broadcast_to(np.asarray(fit.params[name], dtype=float), param.shape).reshape(size)
        b = np.broadcast_to(np.asarray(pm_map[name], dtype=float), param.shape).reshape(size)
        s = np.broadcast_to(np.asarray(sd[name], dtype=float), param.shape).reshape(size)
        for j, element in enumerate(param.element_names()):
            diff = float(a[j] - b[j])
            scale = max(abs(a[j]), abs(b[j]), s[j])
            rel = abs(diff) / scale if scale > 0 else (0.0 if diff == 0 else np.inf)
            rows.append((element, float(a[j]), float(b[j]), diff, rel, bool(rel <= map_rtol)))
    return pd.DataFrame(
        rows, columns=["parameter", "bayesgd", "pymc", "difference", "relative", "passed"]
    )


#: ``target_accept`` of the automatic reruns of an unhealthy reference, in turn (PyMC's advice
#: for divergences: "Increase `target_accept`"; PyMC's default is 0.8).
RERUN_TARGET_ACCEPT = (0.95, 0.99)


def _statistics_problems(table: pd.DataFrame, z: float) -> list[str]:
    failed = table[~table["passed"]]
    if not len(failed):
        return []
    worst = failed.loc[failed["z"].idxmax()] if np.isfinite(failed["z"]).any() else failed.iloc[0]
    return [
        f"{len(failed)} statistic(s) beyond {z:g} MCSE, worst {worst['statistic']} of "
        f"{worst['parameter']}: {worst['candidate']:.6g} vs {worst['pymc']:.6g} "
        f"({worst['z']:.1f} MCSE)"
    ]


def _map_problems(map_table: pd.DataFrame | None, map_rtol: float) -> list[str]:
    if map_table is None:
        return []
    bad = map_table[~map_table["passed"]]
    if not len(bad):
        return []
    return [
        f"MAP differs from pm.find_MAP for {bad['parameter'].tolist()} (max relative "
        f"difference {bad['relative'].max():.2g} > {map_rtol:g})"
    ]


def _ess_too_low(reference: PyMCPosterior) -> bool:
    d = reference.diagnostics
    need = reference.min_ess_per_chain * reference.chains
    return not bool(((d["ess_bulk"] >= need) & (d["ess_tail"] >= need)).all())


def _attempt(reference: PyMCPosterior, tune: float, target_accept: float) -> dict[str, Any]:
    return {
        "draws": reference.n_draws,
        "tune": tune,
        "target_accept": target_accept,
        "healthy": reference.ok,
        "problems": "; ".join(reference.problems),
    }


def _healthy_reference(
    model: Model,
    reference: PyMCPosterior | None,
    *,
    reruns: int,
    draws: int,
    tune: int,
    chains: int,
    rng: np.random.Generator,
    pymc_model: Any,
    sample_kwargs: dict[str, Any],
) -> tuple[PyMCPosterior, pd.DataFrame]:
    """NUTS draws, rerun while unhealthy (up to ``reruns`` times) as PyMC advises.

    Each rerun raises ``target_accept`` (smaller steps: fewer divergences), doubles the tuning
    (better adapted step size and mass matrix: R-hat) and, when an ESS was too low, doubles the
    draws.
    """
    import pandas as pd

    target = float(sample_kwargs.pop("target_accept", 0.8))

    def run() -> PyMCPosterior:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SamplingWarning)  # reported by the check
            return sample_pymc(
                model,
                draws=draws,
                tune=tune,
                chains=chains,
                rng=rng,
                pymc_model=pymc_model,
                target_accept=target,
                **sample_kwargs,
            )

    if reference is None:
        reference = run()
        attempts = [_attempt(reference, tune, target)]
    else:
        attempts = [_attempt(reference, np.nan, np.nan)]
        sample_kwargs.setdefault("rhat_max", reference.rhat_max)
        sample_kwargs.setdefault("min_ess_per_chain", reference.min_ess_per_chain)
    for k in range(reruns):
        if reference.ok:
            break
        if _ess_too_low(reference):
            draws *= 2
        tune *= 2
        target = max(target, RERUN_TARGET_ACCEPT[min(k, len(RERUN_TARGET_ACCEPT) - 1)])
        reference = run()
        attempts.append(_attempt(reference, tune, target))
    return reference, pd.DataFrame(attempts)


def _check_arguments(model: Model, posterior: Any, prob: Any, z: Any, map_rtol: Any) -> Any:
    """Validated ``(posterior, prob)``; the default posterior is the exact one, else the grid."""
    _check_model(model)
    prob = check_prob(prob, "prob")
    if isinstance(z, bool) or not isinstance(z, numbers.Real) or not z > 0:
        raise ValueError(f"z must be a positive number (MCSE units), got {z!r}")
    if isinstance(map_rtol, bool) or not isinstance(map_rtol, numbers.Real) or not map_rtol > 0:
        raise ValueError(f"map_rtol must be a positive number, got {map_rtol!r}")
    if posterior is None:
        posterior = _default_posterior(model)
    elif not isinstance(posterior, Posterior):
        raise TypeError(
            f"posterior must be a bayesgd Posterior (or None), got {type(posterior).__name__}"
        )
    if set(posterior.names) != set(model.names):
        raise ValueError(
            f"posterior has parameters {list(posterior.names)}, the model {list(model.names)}"
        )
    return posterior, prob


def check_with_pymc(
    model: Model,
    posterior: Posterior | None = None,
    *,
    rng: Any = None,
    draws: int = 2000,
    tune: int = 1000,
    chains: int = 2,
    prob: float = 0.94,
    z: float = 4.0,
    map: bool = True,
    map_rtol: float = 1e-4,
    map_kwargs: Mapping[str, Any] | None = None,
    reference: PyMCPosterior | None = None,
    reruns: int = 2,
    **sample_kwargs: Any,
) -> PyMCCheck:
    """Check a posterior against NUTS draws from the same model written in PyMC.

    For every scalar parameter four statistics are compared: the mean, the sd and the two ends
    of the ``prob`` HDI. A statistic passes when ``|candidate - pymc| <= z * MCSE``, the Monte
    Carlo standard error of the NUTS estimate (combined in quadrature with the candidate's own
    when the candidate is itself made of draws):

    * mean: ``MCSE = sd / sqrt(ESS_mean)`` (ArviZ's ``ess(method="mean")``);
    * sd: the delta method, ``MCSE^2 = Var(m2) / (4 m2)`` where ``m2`` is the mean of the
      squared centred draws and ``Var(m2) = (mean(c^4) - m2^2) / ESS`` with the ESS of the
      squared centred draws;
    * HDI ends: the candidate's HDI end ``L`` sits at level ``u = F_candidate(L)`` of its own
      CDF; the NUTS value is the empirical ``u``-quantile of the draws, whose MCSE is ArviZ's
      quantile MCSE (half the width of the draws between the levels of a ±1 sd Beta interval
      for ``u`` whose concentration is the ESS of the indicator ``x <= q_u``). Comparing the
      NUTS quantile at the candidate's level, rather than NUTS's own shortest interval, keeps
      the error at the ``1/sqrt(ESS)`` rate: the sample shortest-interval estimator converges
      more slowly (its MCSE is 1.5-2x the quantile's at a few thousand draws) and has no ESS
      based error estimate.

    ``z = 4`` (a two-sided tail of 6e-5 per statistic) keeps the family-wise false-alarm rate
    below 1% for up to ~150 statistics (Bonferroni), while any error of a few MCSE (about 1% of
    a posterior sd at the default 2 x 2000 draws) is caught. With ``map=True`` the MAP of
    :func:`bayesgd.map_estimate` and ``pm.find_MAP`` (both without Jacobian, in the model's own
    parametrisation) must also agree within ``map_rtol`` relative to
    ``max(|bayesgd|, |pymc|, posterior sd)``.

    The reference is judged apart from the candidate. When NUTS fails its diagnostics (R-hat,
    ESS, divergences; see :class:`PyMCPosterior`) its MCSEs cannot be trusted, so it is run
    again, as PyMC advises, up to ``reruns`` times: with ``target_accept`` raised to 0.95, then
    0.99, the tuning doubled each time, and the draws doubled when an ESS was too low. If it is
    still unhealthy, the verdict is ``"inconclusive"`` (never ``"failed"`` for the candidate),
    with the reason.

    Parameters
    ----------
    model : bayesgd.Model
    posterior : Posterior, optional
        The posterior to check; default ``bg.conjugate(model)`` if the model has a closed form,
        else ``bg.grid(model)``.
    rng : None, int or numpy.random.Generator
        Seeds NUTS.
    draws, tune, chains : int
        NUTS settings (of the reruns only, with ``reference``).
    prob : float
        Mass of the HDI whose ends are compared.
    z : float
        Tolerance in MCSE units.
    map : bool
        Whether to compare the MAP with ``pm.find_MAP``.
    map_rtol : float
        Relative tolerance of the MAP comparison.
    map_kwargs : dict, optional
        Passed to :func:`bayesgd.map_estimate`.
    reference : PyMCPosterior, optional
        Existing NUTS draws of the same model to check against (no new sampling unless they
        are unhealthy and ``reruns > 0``).
    reruns : int
        How many times an unhealthy reference is sampled again (0: never).
    **sample_kwargs
        Passed to :func:`sample_pymc` (``target_accept`` is the first run's; PyMC's default
        0.8).

    Returns
    -------
    PyMCCheck
        With ``verdict`` (``"passed"``, ``"failed"`` or ``"inconclusive"``), ``reason`` and
        ``passed`` (a bool).

    Examples
    --------
    >>> from scipy import stats
    >>> import bayesgd as bg
    >>> rep = check_with_pymc(bg.Binomial(k=7, n=10, p=stats.beta(2, 2)), rng=0)  # doctest: +SKIP
    >>> rep.verdict, rep.passed  # doctest: +SKIP
    ('passed', True)
    """
    posterior, prob = _check_arguments(model, posterior, prob, z, map_rtol)
    reruns = check_positive_int(reruns, "reruns", minimum=0)
    if reference is None:
        draws = check_positive_int(draws, "draws")
        tune = check_positive_int(tune, "tune", minimum=0)
        chains = check_positive_int(chains, "chains")
    elif not isinstance(reference, PyMCPosterior):
        raise TypeError(f"reference must be a PyMCPosterior, got {type(reference).__name__}")
    elif reference.model is not model and reference.names != model.names:
        raise ValueError("reference holds draws of a different model")
    generator = as_rng(rng)
    pymc_model = to_pymc(model)
    reference, attempts = _healthy_reference(
        model,
        reference,
        reruns=reruns,
        draws=draws,
        tune=tune,
        chains=chains,
        rng=generator,
        pymc_model=pymc_model,
        sample_kwargs=dict(sample_kwargs),
    )
    table = _statistics_table(posterior, reference, prob=prob, z=float(z))
    map_table = None
    if map:
        map_table = _map_table(
            model,
            pymc_model,
            reference,
            map_rtol=float(map_rtol),
            map_kwargs=map_kwargs,
            rng=generator,
        )
    return PyMCCheck(
        table=table,
        map_table=map_table,
        candidate=posterior,
        reference=reference,
        z=float(z),
        map_rtol=float(map_rtol),
        candidate_problems=_statistics_problems(table, float(z)),
        map_problems=_map_problems(map_table, float(map_rtol)),
        attempts=attempts,
    )


# ======================================================================= model_from_pymc
#: Elements (batch points x observed values) one compiled call may touch at once.
_CHUNK_ELEMENTS = 1 << 22


class _Batched:
    """A PyTensor function of the value variables, vectorised over one leading batch axis.

    The graph is vectorised with ``pytensor.graph.replace.vectorize_graph`` (one compiled call
    for the whole batch, chunked to bound memory). Where an Op cannot be vectorised the
    unbatched function is compiled instead and called once per batch point (a Python loop over
    batch points: about the cost of one PyMC logp call each, tens of microseconds).
    """

    def __init__(
        self,
        inputs: list[Any],
        outputs: list[Any],
        shapes: list[tuple[int, ...]],
        chunk: int,
        mode: Any = None,
    ):
        self.inputs = inputs
        self.outputs = outputs
        self.shapes = shapes
        self.chunk = max(1, int(chunk))
        self.mode = mode
        self._fn = None
        self.vectorised: bool | None = None

    def _compile(self) -> None:
        import pytensor.tensor as pt
        from pymc.pytensorf import compile as pymc_compile
        from pytensor.graph.replace import vectorize_graph

        try:
            from pytensor.graph.traversal import ancestors
        except ImportError:  # PyTensor before 2.32
            from pytensor.graph.basic import ancestors

        # PyMC's compile, as model.compile_logp: a failed parameter check is -inf, not an error
        inputs = set(self.inputs)
        self.constant = [not inputs.intersection(ancestors([o])) for o in self.outputs]

        batched = [
            pt.tensor(f"{v.name}_batch", dtype="float64", shape=(None, *s))
            for v, s in zip(self.inputs, self.shapes, strict=True)
        ]
        try:
            outs = vectorize_graph(
                self.outputs, replace=dict(zip(self.inputs, batched, strict=True))
            )
            self._fn = pymc_compile(batched, outs, on_unused_input="ignore", mode=self.mode)
            self.vectorised = True
        except Exception:  # any Op without a vectorised form: loop over points instead
            single = pymc_compile(
                self.inputs, self.outputs, on_unused_input="ignore", mode=self.mode
            )

            def looped(*xs):
                results = [single(*(x[i] for x in xs)) for i in range(len(xs[0]))]
                return [np.stack([r[k] for r in results]) for k in range(len(self.outputs))]

            self._fn = looped
            self.vectorised = False

    def __call__(self, xs: list[np.ndarray]) -> list[np.ndarray]:
        if self._fn is None:
            self._compile()
        n = len(xs[0])
        if n == 0:
            return [np.zeros((0, *s)) for s in self.output_shapes(xs)]
        parts = []
        for lo in range(0, n, self.chunk):
            chunk = [np.ascontiguousarray(x[lo : lo + self.chunk]) for x in xs]
            outs = self._fn(*chunk)
            m = len(chunk[0])
            parts.append(
                [  # an output that no input reaches is not batched (a model with no data)
                    np.broadcast_to(o, (m, *np.shape(o))) if c and self.vectorised else o
                    for o, c in zip(outs, self.constant, strict=True)
                ]
            )
        return [
            np.concatenate([np.asarray(p[k], dtype=float) for p in parts])
            for k in range(len(self.outputs))
        ]

    def output_shapes(self, xs: list[np.ndarray]) -> list[tuple[int, ...]]:
        """Per-point output shapes (from one evaluation at the first point or a zero point)."""
        probe = [np.zeros((1, *s)) for s in self.shapes]
        return [np.shape(o)[1:] for o in self([*probe])]


#: A support edge found farther out than this is overflow of the log density, not an edge.
_FAR = 1e100


def _ordered(x: float) -> int:
    """A float's place in the order of all floats, as an integer (adjacent floats: +-1)."""
    bits = int(np.float64(x).view(np.int64))
    return bits if bits >= 0 else -(bits & 0x7FFF_FFFF_FFFF_FFFF)


def _from_ordered(k: int) -> float:
    bits = k if k >= 0 else (-k) | -0x8000_0000_0000_0000
    return float(np.int64(bits).view(np.float64))


def _supports(pm_model: Any, point: Mapping[str, np.ndarray]) -> dict[str, tuple[Any, Any]]:
    """Elementwise ``(low, high)`` of each value variable, read from PyMC's log density.

    A value variable with a PyMC transform lives on the real line. One without (a variable
    given ``default_transform=None``, or ``pm.LogitNormal``, which PyMC builds with none) has
    the support of its distribution: the largest interval around PyMC's initial point where its
    elementwise log density (compiled as PyMC does, failed parameter checks giving -inf) is
    finite, each edge found exactly by bisection over the ordered floats (64 evaluations). An
    edge beyond ``1e100`` is taken for overflow of a density on the real line, one among the
    subnormal floats for 0.
    """
    out: dict[str, tuple[Any, Any]] = {}
    for rv in pm_model.free_RVs:
        value = pm_model.rvs_to_values[rv]
        shape = np.shape(point[value.name])
        out[value.name] = (np.full(shape, -np.inf), np.full(shape, np.inf))
        if pm_model.rvs_to_transforms.get(rv) is not None:
            continue
        (term,) = pm_model.logp(vars=[rv], sum=False, jacobian=False)
        fn = pm_model.compile_fn(term, inputs=pm_model.value_vars, on_unused_input="ignore")
        x0 = np.asarray(point[value.name], dtype=float)
        if np.shape(fn(point)) != shape:  # not elementwise (a multivariate density): real line
            continue

        def finite(x: np.ndarray, fn: Any = fn, name: str = value.name) -> np.ndarray:
            with np.errstate(all="ignore"):
                return np.isfinite(np.asarray(fn({**point, name: x}), dtype=float))

        out[value.name] = tuple(
            _edge(finite, x0, np.full(shape, side)) for side in (-np.inf, np.inf)
        )
    return out


def _edge(finite: Any, inside: np.ndarray, outside: np.ndarray) -> np.ndarray:
    """Per element, the first point between ``inside`` and ``outside`` where ``finite`` fails
    (``outside`` itself, infinite, when it never does before ``_FAR``)."""
    ok = finite(inside)
    if not ok.all():
        raise ValueError("the PyMC model's initial point has a non-finite log density")
    far = np.copysign(np.full(inside.shape, np.finfo(float).max), outside)
    result = np.where(finite(far), outside, np.nan)
    lo = [_ordered(v) for v in inside.ravel()]
    hi = [_ordered(v) for v in far.ravel()]
    todo = np.isnan(result.ravel())
    for _ in range(70):
        if not any(abs(h - low) > 1 for h, low, t in zip(hi, lo, todo, strict=True) if t):
            break
        mid = [(h + low) // 2 for h, low in zip(hi, lo, strict=True)]
        ok = finite(np.array([_from_ordered(m) for m in mid]).reshape(inside.shape)).ravel()
        lo = [m if o else low for m, o, low in zip(mid, ok, lo, strict=True)]
        hi = [h if o else m for m, o, h in zip(mid, ok, hi, strict=True)]
    edge = np.array([_from_ordered(h) for h in hi]).reshape(inside.shape)
    edge = np.where(np.abs(edge) > _FAR, outside, edge)
    # a density non-finite below the smallest normal float (log of a subnormal x (1 - x)): 0
    edge = np.where(np.abs(edge) < np.finfo(float).tiny, 0.0, edge)
    return np.where(np.isnan(result), edge, result)


class _PyMCEvaluator:
    """Compiled log prior, log likelihood and gradients of a PyMC model in value space."""

    def __init__(self, pm_model: Any, jacobian: bool, mode: Any = None):
        import pytensor
        import pytensor.tensor as pt
        from pymc.pytensorf import rewrite_pregrad

        free = list(pm_model.free_RVs)
        if not free:
            raise ValueError("the PyMC model has no free random variable")
        value_vars = list(pm_model.value_vars)
        discrete = [v.name for v in value_vars if not v.type.dtype.startswith("float")]
        if discrete:
            raise TypeError(
                f"model_from_pymc needs continuous free variables; {discrete} are discrete"
            )
        point = pm_model.initial_point()
        self.pm_model = pm_model
        self.jacobian = jacobian
        self.value_vars = value_vars
        self.names = [v.name for v in value_vars]
        self.shapes = {n: tuple(np.shape(point[n])) for n in self.names}
        self.supports = _supports(pm_model, point)
        lik_terms = list(pm_model.observed_RVs) + list(pm_model.potentials)
        self.prior_graph = pm_model.logp(vars=free, jacobian=jacobian)
        self.lik_graph = (
            pm_model.logp(vars=lik_terms, jacobian=jacobian) if lik_terms else pt.constant(0.0)
        )
        grads = [
            pytensor.grad(rewrite_pregrad(g), value_vars, disconnected_inputs="ignore")
            for g in (self.prior_graph, self.lik_graph)
        ]
        observed = _observed_data(pm_model)
        self.data = observed
        self.obs_elements = max(1, sum(int(np.size(v)) for v in observed.values()))
        chunk = _CHUNK_ELEMENTS // self.obs_elements
        shapes = [self.shapes[n] for n in self.names]
        self.mode = mode
        self._values = _Batched(
            value_vars, [self.prior_graph, self.lik_graph], shapes, chunk, mode
        )
        self._grads = _Batched(value_vars, [*grads[0], *grads[1]], shapes, chunk, mode)
        self._cache: dict[str, tuple[list[np.ndarray], list[np.ndarray]]] = {}

    def _flat(self, values: Mapping[str, Any]) -> tuple[list[np.ndarray], tuple[int, ...]]:
        arrays = [np.asarray(values[n], dtype=float) for n in self.names]
        batch = np.broadcast_shapes(
            *(
                a.shape[: a.ndim - len(self.shapes[n])]
                for a, n in zip(arrays, self.names, strict=True)
            )
        )
        flat = [
            np.broadcast_to(a, (*batch, *self.shapes[n])).reshape(-1, *self.shapes[n])
            for a, n in zip(arrays, self.names, strict=True)
        ]
        return flat, batch

    def _run(
        self, kind: str, values: Mapping[str, Any]
    ) -> tuple[list[np.ndarray], tuple[int, ...]]:
        flat, batch = self._flat(values)
        cached = self._cache.get(kind)
        if (
            cached is not None
            and len(cached[0]) == len(flat)
            and all(
                a.shape == b.shape and np.array_equal(a, b)
                for a, b in zip(cached[0], flat, strict=True)
            )
        ):
            return cached[1], batch
        fn = self._values if kind == "values" else self._grads
        out = fn(flat)
        self._cache[kind] = ([f.copy() for f in flat], out)
        return out, batch

    def log_prior(self, values):
        out, batch = self._run("values", values)
        return out[0].reshape(batch)

    def log_likelihood(self, values):
        out, batch = self._run("values", values)
        return out[1].reshape(batch)

    def _grad(self, values, which: int) -> dict[str, np.ndarray]:
        out, batch = self._run("grads", values)
        k = len(self.names)
        part = out[which * k : (which + 1) * k]
        return {
            n: g.reshape((*batch, *self.shapes[n])) for n, g in zip(self.names, part, strict=True)
        }

    def grad_log_prior(self, values):
        return self._grad(values, 0)

    def grad_log_likelihood(self, values):
        return self._grad(values, 1)


def _observed_data(pm_model: Any) -> dict[str, np.ndarray]:
    out = {}
    for rv in pm_model.observed_RVs:
        value = pm_model.rvs_to_values[rv]
        data = value.get_value() if hasattr(value, "get_value") else getattr(value, "data", None)
        if data is not None:
            out[rv.name] = np.asarray(data)
    return out


class PyMCPrior(Prior):
    """The joint prior of a PyMC model's free variables, on PyMC's unconstrained value space.

    Its log density is the sum of the free variables' PyMC log densities at the constrained
    values plus the log Jacobians of PyMC's transforms (``jacobian=True``): a proper density of
    the value variables whenever PyMC's priors are proper.
    """

    family = "pymc"

    def __init__(self, evaluator: _PyMCEvaluator):
        super().__init__(tuple(evaluator.names), evaluator.pm_model)
        self._ev = evaluator
        self.shapes = dict(evaluator.shapes)
        self.transforms = {
            n: transform_for_support(*evaluator.supports[n]) for n in evaluator.names
        }

    def logpdf(self, values):
        return self._ev.log_prior(values)

    def grad_logpdf(self, values):
        return self._ev.grad_log_prior(values)

    def support(self, name):
        """PyMC's: the real line for a transformed value variable, else its distribution's."""
        low, high = self._ev.supports[name]
        return low.copy(), high.copy()

    def rvs(self, size, rng):
        """Prior draws of the PyMC model, mapped to its unconstrained value space."""
        import pymc as pm

        ev = self._ev
        model = ev.pm_model
        outs = []
        for rv in model.free_RVs:
            transform = model.rvs_to_transforms.get(rv)
            outs.append(rv if transform is None else transform.forward(rv, *rv.owner.inputs))
        n = int(np.prod(size, dtype=int))
        try:
            draws = pm.draw(outs, draws=max(n, 1), random_seed=int(rng.integers(0, 2**31 - 1)))
        except NotImplementedError as exc:
            raise TypeError(
                "the PyMC model has a prior that cannot be sampled (an improper prior such as "
                "pm.Flat)"
            ) from exc
        if len(outs) == 1:
            draws = [draws]
        return {
            name: np.asarray(d, dtype=float)
            .reshape(max(n, 1), *ev.shapes[name])[:n]
            .reshape((*size, *ev.shapes[name]))
            for name, d in zip(ev.names, draws, strict=True)
        }

    def _pymc_variables(self, shapes):
        """For :func:`to_pymc`: flat variables on the value space plus the prior as a Potential."""
        import pymc as pm
        from pytensor.graph.replace import graph_replace

        flats = {n: pm.Flat(n, shape=self._ev.shapes[n]) for n in self._ev.names}
        replace = {v: flats[v.name] for v in self._ev.value_vars}
        pm.Potential("log_prior", graph_replace(self._ev.prior_graph, replace, strict=False))
        return flats


class PyMCModel(Model):
    """A PyMC model as a :class:`bayesgd.Model` on PyMC's unconstrained value space.

    The parameters are PyMC's value variables (``mu``, ``sigma_log__``, ``p_simplex__``, ...),
    all on the real line, so grids, MAP and Laplace approximations work on them directly. The
    prior is PyMC's log density of the free variables (:class:`PyMCPrior`); the likelihood is
    the log density of the observed variables plus every ``pm.Potential``. With
    ``jacobian=True`` (default) both include the log Jacobians of PyMC's transforms, so
    ``log_density`` is the density NUTS samples and the posterior of the value variables is
    exact; with ``jacobian=False`` they do not, and the mode of ``log_density`` is the point
    ``pm.find_MAP`` finds (the MAP in the constrained parametrisation), but ``log_density`` is
    then not a density of the value variables.

    Log densities and gradients are compiled once with PyTensor (analytic gradients, lazily on
    first use, in compilation ``mode``) and vectorised over leading batch axes with
    ``vectorize_graph``: one compiled call per chunk of batch points. Ops that have no batched
    implementation (the stick-breaking simplex transform, for one) become ``Blockwise`` Ops that
    loop over the batch inside the compiled function; an Op that cannot be vectorised at all
    makes the whole function loop over batch points in Python (see :class:`_Batched`).

    Attributes
    ----------
    pm_model : pymc.Model
    jacobian : bool
    data : dict
        The observed data of the PyMC model, by observed variable name.
    """

    likelihood = "pymc"

    def __init__(self, pm_model: Any, *, jacobian: bool = True, mode: Any = None):
        import pymc as pm

        if not isinstance(pm_model, pm.Model):
            raise TypeError(f"pm_model must be a pymc.Model, got {type(pm_model).__name__}")
        if not isinstance(jacobian, bool):
            raise TypeError(f"jacobian must be True or False, got {jacobian!r}")
        self._ev = _PyMCEvaluator(pm_model, jacobian, mode)
        prior = PyMCPrior(self._ev)
        self.priors = [prior]
        self.parameters = {
            n: Parameter(n, self._ev.shapes[n], prior, prior.transforms[n]) for n in self._ev.names
        }
        self.fixed = {}
        self._user_loglik = None
        self._user_grad = None
        self.data = self._ev.data
        self.stats: dict[str, np.ndarray] = {}
        self.pm_model = pm_model
        self.jacobian = jacobian
        self._constrained = None

    @property
    def has_gradient(self) -> bool:
        return True

    def _loglik(self, values, batch):
        return self._ev.log_likelihood(values)

    def _grad_loglik(self, values, batch):
        g = self._ev.grad_log_likelihood(values)
        return {n: np.broadcast_to(g[n], (*batch, *p.shape)) for n, p in self.parameters.items()}

    def _pymc_likelihood(self, params: Mapping[str, Any]) -> None:
        """For :func:`to_pymc`: the observed log density and potentials as one Potential."""
        import pymc as pm
        from pytensor.graph.replace import graph_replace

        replace = {v: params[v.name] for v in self._ev.value_vars}
        pm.Potential("log_likelihood", graph_replace(self._ev.lik_graph, replace, strict=False))

    def constrained(self, **theta: Any) -> dict[str, np.ndarray]:
        """PyMC's free variables (and deterministics) at value-space points ``theta``.

        Examples
        --------
        >>> import numpy as np, pymc as pm
        >>> with pm.Model() as pmm:
        ...     s = pm.HalfNormal("s", 1.0)
        >>> m = PyMCModel(pmm)
        >>> float(m.constrained(s_log__=np.log(2.0))["s"])
        2.0
        """
        values, batch = self._theta(theta)
        if self._constrained is None:
            from pymc.util import get_default_varnames

            outs = get_default_varnames(self.pm_model.unobserved_value_vars, False)
            self._constrained_names = [v.name for v in outs]
            shapes = [self._ev.shapes[n] for n in self._ev.names]
            self._constrained = _Batched(
                self._ev.value_vars, outs, shapes, _CHUNK_ELEMENTS, self._ev.mode
            )
        flat, _ = self._ev._flat(values)
        out = self._constrained(flat)
        return {
            n: o.reshape((*batch, *o.shape[1:]))
            for n, o in zip(self._constrained_names, out, strict=True)
        }

    def update(self, **data: Any) -> Model:
        raise TypeError(
            "a model from PyMC carries its data in the PyMC model; change the data there "
            "(pm.Data / pm.set_data) and call model_from_pymc again"
        )

    @property
    def bytes_per_evaluation(self) -> int:
        return 8 * 8 * self._ev.obs_elements

    def __repr__(self) -> str:
        names = ", ".join(self._ev.names)
        return f"PyMCModel({names}; jacobian={self.jacobian})"


def model_from_pymc(pm_model: Any, *, jacobian: bool = True, mode: Any = None) -> PyMCModel:
    """Any PyMC model with continuous free variables as a :class:`bayesgd.Model`.

    The parameters are PyMC's value variables on the real line (``sigma_log__`` for a positive
    ``sigma``); see :class:`PyMCModel` for the split into prior and likelihood and the meaning
    of ``jacobian``. Use :meth:`PyMCModel.constrained` to map points (a MAP, draws) back to
    PyMC's variables.

    Parameters
    ----------
    pm_model : pymc.Model
    jacobian : bool
        Include the log Jacobians of PyMC's transforms (the density NUTS samples; default). With
        False, the log density is PyMC's ``logp(jacobian=False)``, whose mode is ``find_MAP``'s.
    mode : str or pytensor Mode, optional
        PyTensor compilation mode of the log density and gradient functions. The default
        (PyTensor's, C code) is fastest to run once compiled; C compilation with an empty
        PyTensor cache can take a minute, so ``mode="FAST_COMPILE"`` (NumPy implementations,
        compiles in about a second, a few times slower per call) suits one-off use.

    Returns
    -------
    PyMCModel

    Examples
    --------
    >>> import numpy as np, pymc as pm
    >>> with pm.Model() as pmm:
    ...     mu = pm.Normal("mu", 0, 10)
    ...     sigma = pm.HalfNormal("sigma", 5)
    ...     _ = pm.Normal("y", mu, sigma, observed=[0.1, -0.4, 0.8])
    >>> m = model_from_pymc(pmm)
    >>> m.names
    ('mu', 'sigma_log__')
    >>> m.log_density(mu=np.zeros(4), sigma_log__=np.zeros(4)).shape
    (4,)
    """
    return PyMCModel(pm_model, jacobian=jacobian, mode=mode)
