"""A verdict on any posterior against NUTS: :func:`check_with_pymc` and its :class:`PyMCCheck`.

Tolerances come from Monte Carlo standard errors (:mod:`bayesgd.pymc.mcse`); the health of the
NUTS reference is judged apart from the candidate, and an unhealthy reference is rerun.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from .._validation import as_rng, check_positive_int, check_prob
from ..errors import NotConjugateError, SamplingWarning
from ..models.base import Model
from ..posterior import Posterior, SamplePosterior, hdi_column_names
from .bridge import _check_model, to_pymc
from .mcse import _chain_draws, _levels, _mcse_mean, _mcse_quantile, _mcse_sd
from .sampling import PyMCPosterior, _seed, sample_pymc

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["RERUN_TARGET_ACCEPT", "VERDICTS", "PyMCCheck", "check_with_pymc"]


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
    from ..conjugate import conjugate

    try:
        return conjugate(model)
    except NotConjugateError:
        from ..grid import grid

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

    from ..map import map_estimate

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

    nuts = dict(sample_kwargs.pop("nuts", None) or {})  # pm.sample's other spelling of it
    target = float(sample_kwargs.pop("target_accept", nuts.pop("target_accept", 0.8)))
    if nuts:
        sample_kwargs["nuts"] = nuts

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
