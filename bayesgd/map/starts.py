"""Where runs start (the central point, prior draws) and how several starts' modes compare."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .._validation import as_rng
from ..models.base import Model

if TYPE_CHECKING:
    import pandas as pd
from ._constants import (
    _AGREE,
)

__all__ = ["central_point"]


def central_point(model: Model) -> dict[str, np.ndarray]:
    """The default start: each parameter's prior median (mean for vector-valued priors).

    Examples
    --------
    >>> from scipy import stats
    >>> import bayesgd as bg
    >>> central_point(bg.Binomial(k=1, n=2, p=stats.beta(2, 2)))
    {'p': array(0.5)}
    """
    start = model.initial_point()
    if start is not None:  # models whose central point is a saddle (neural networks) give one
        return {name: np.asarray(value, dtype=float) for name, value in start.items()}
    out: dict[str, np.ndarray] = {}
    for prior in model.priors:  # each prior's record knows its centre
        out.update(prior.central_point())
    return {
        name: np.broadcast_to(out[name], param.shape).astype(float)
        for name, param in model.parameters.items()
    }


def _start_points(space, init, starts, rng, jacobian) -> list[np.ndarray]:
    model = space.model
    if init is not None:
        unknown = sorted(set(init) - set(model.parameters))
        missing = sorted(set(model.parameters) - set(init))
        if unknown or missing:
            raise ValueError(
                f"init must give a value for each free parameter {list(model.parameters)}"
                + (f"; unknown: {unknown}" if unknown else "")
                + (f"; missing: {missing}" if missing else "")
            )
        try:
            u0 = space.to_unconstrained(init)
        except ValueError as exc:
            raise ValueError(f"init: {exc}") from None
        if u0.ndim != 1:
            raise ValueError(f"init must be a single point, got batch shape {u0.shape[:-1]}")
    else:
        u0 = space.to_unconstrained(central_point(model))
    points = [u0]
    if starts > 1:
        generator = as_rng(rng)
        tries = 0
        while len(points) < starts:
            tries += 1
            if tries > 100 * starts:
                raise ValueError(
                    "could not draw starting points with a finite log density from the prior "
                    "(starts > 1); pass starts=1 and init= instead"
                )
            draw = model.prior_sample(1, rng=generator)
            try:
                point = space.to_unconstrained({k: v[0] for k, v in draw.items()})
            except ValueError:  # a draw on the edge of the support
                continue
            if np.all(np.isfinite(point)) and np.isfinite(space.loss(point, jacobian=jacobian)):
                points.append(point)
    return points


def _compare_starts(space, runs, best_index) -> tuple[bool, pd.DataFrame]:
    import pandas as pd

    canon = [_canonical_u(space, r.u) for r in runs]
    best = canon[best_index]
    rows = []
    distinct: list[np.ndarray] = []
    labels = []
    for r, cu in zip(runs, canon, strict=True):
        label = None
        for k, mode in enumerate(distinct):
            if _same_mode(cu, mode):
                label = k
                break
        if label is None:
            distinct.append(cu)
            label = len(distinct) - 1
        labels.append(label)
        theta = space.theta_vector(space.snap_to_edges(space.to_constrained(cu), cu))
        rows.append(
            {
                "loss": r.value,
                "converged": bool(r.converged),
                "iterations": r.iterations,
                "n_evaluations": r.n_evals,
                "mode": label,
                "best": False,
                **dict(zip(space.theta_names, theta.tolist(), strict=True)),
            }
        )
    rows[best_index]["best"] = True
    table = pd.DataFrame(rows, index=pd.RangeIndex(1, len(rows) + 1, name="start"))
    agree = len(distinct) == 1 and _same_mode(best, distinct[0])
    return agree, table


def _canonical_u(space, u: np.ndarray) -> np.ndarray:
    """``u`` of the model's canonical copy of the point (symmetric copies of a mode agree)."""
    if not np.all(np.isfinite(u)):  # a point on an edge: no symmetry moves it
        return u
    try:
        return space.to_unconstrained(space.model.canonical_params(space.to_constrained(u)))
    except ValueError:
        return u


def _same_mode(a: np.ndarray, b: np.ndarray) -> bool:
    both_inf = np.isinf(a) & np.isinf(b) & (np.sign(a) == np.sign(b))
    with np.errstate(invalid="ignore"):
        diff = np.where(both_inf, 0.0, np.abs(a - b))
    scale = np.maximum(
        1.0, np.maximum(np.abs(np.where(np.isinf(a), 0, a)), np.abs(np.where(np.isinf(b), 0, b)))
    )
    return bool(np.all(diff <= _AGREE * scale))


def _multimodal_message(table: pd.DataFrame) -> str:
    theta_cols = [
        c
        for c in table.columns
        if c not in ("loss", "converged", "iterations", "n_evaluations", "mode", "best")
    ]
    lines = []
    for label, group in table.groupby("mode"):
        row = group.sort_values("loss").iloc[0]
        values = ", ".join(f"{c}={row[c]:.6g}" for c in theta_cols)
        lines.append(
            f"mode {label}: {values} (loss {row['loss']:.10g}, reached by {len(group)} start(s))"
        )
    return (
        "the starts reached different modes (the posterior may be multimodal); the one with the "
        "lowest loss is returned. Distinct modes: " + "; ".join(lines)
    )
