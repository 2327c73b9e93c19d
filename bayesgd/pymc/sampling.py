"""NUTS through ``pm.sample``: :func:`sample_pymc` and its :class:`PyMCPosterior`.

The posterior has the common interface plus ``.idata`` and the diagnostics (R-hat, ESS,
divergences), and warns with :class:`bayesgd.SamplingWarning` when one fails; an interrupted
run raises ``KeyboardInterrupt`` (PyMC itself would return partial draws).
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from .._validation import as_rng, check_positive_int
from ..errors import SamplingWarning
from ..models.base import Model, routes_to_hierarchical
from ..posterior import SamplePosterior
from .bridge import _check_model, to_pymc

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MIN_ESS_PER_CHAIN", "RHAT_MAX", "PyMCPosterior", "sample_pymc"]


#: Default thresholds of the NUTS diagnostics (Vehtari et al. 2021, "Rank-normalization,
#: folding, and localization: an improved R-hat"): split rank-normalised R-hat at most 1.01,
#: bulk and tail ESS at least 100 per chain (400 for their 4 chains), and no divergences.
RHAT_MAX = 1.01
MIN_ESS_PER_CHAIN = 100


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
    if routes_to_hierarchical(model):  # NUTS on the non-centred model
        return model.sample_pymc(draws=draws, tune=tune, chains=chains, rng=rng)
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
