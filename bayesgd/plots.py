"""Figures that make each idea visible (matplotlib; each function takes ``ax=`` and returns it).

- :func:`plot_bayes`: prior, likelihood and posterior of a one-parameter model on one axis;
  :func:`plot_updates`: a panel of sequential updates.
- :func:`plot_comparison`: every method of a :class:`~bayesgd.compare.Comparison`, MAP, means
  and HDIs marked.
- :func:`plot_loss_and_gradient`: the loss L(θ) = −log p(θ|D) along one parameter beside its
  partial derivative ∂L/∂θ_j, with the gradient-descent iterates on both.
- :func:`plot_descent_paths`: gradient-descent paths over the contours of a 2-D log posterior.
- :func:`plot_convergence`: loss and gradient norm against iteration, with the step sizes.
- :func:`plot_draws`: NUTS (or any) draws against an exact or grid density.

pyplot is imported only inside these functions, so ``import bayesgd`` stays light.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from scipy import stats
>>> import bayesgd as bg
>>> ax = bg.plots.plot_bayes(bg.Binomial(k=7, n=10, p=stats.beta(2, 2)))
>>> [line.get_label() for line in ax.get_lines()][:3]
['prior', 'likelihood (normalised)', 'posterior']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .models.base import Model
from .posterior import Posterior

__all__ = [
    "plot_bayes",
    "plot_comparison",
    "plot_convergence",
    "plot_descent_paths",
    "plot_draws",
    "plot_elbo",
    "plot_loss_and_gradient",
    "plot_updates",
]

_METHOD_STYLE = {
    "conjugate": {"color": "black", "linestyle": "-"},
    "grid": {"color": "tab:blue", "linestyle": "--"},
    "laplace": {"color": "tab:green", "linestyle": "-."},
    "pymc": {"color": "tab:orange", "linestyle": ":"},
    "map": {"color": "tab:red", "linestyle": "-"},
    "vi": {"color": "tab:purple", "linestyle": "-"},
    "pathfinder": {"color": "tab:brown", "linestyle": "--"},
}


def _axes(ax: Any) -> Any:
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    return ax


def _axes_row(axes: Any, n: int, width: float = 4.5) -> list[Any]:
    if axes is None:
        import matplotlib.pyplot as plt

        _, created = plt.subplots(
            1, n, figsize=(width * n, 3.6), squeeze=False, layout="constrained"
        )
        return list(created[0])
    flat = list(np.ravel(axes))
    if len(flat) < n:
        raise ValueError(f"axes must hold at least {n} axes, got {len(flat)}")
    return flat


def _scalar_model(model: Model, what: str) -> str:
    if not isinstance(model, Model):
        raise TypeError(f"model must be a bayesgd Model, got {type(model).__name__}")
    if model.size != 1:
        raise ValueError(f"{what} needs a model with one scalar parameter, got {model.size}")
    return model.names[0]


def _scalar_support(model: Model, name: str) -> tuple[float, float]:
    """Support of a one-element parameter (scalar, or of shape ``(1,)``) as two floats."""
    lo, hi = model.parameters[name].support
    return float(np.ravel(lo)[0]), float(np.ravel(hi)[0])


def _as_param(model: Model, name: str, x: np.ndarray) -> dict[str, np.ndarray]:
    """``{name: x}`` with the parameter's own (one-element) shape as trailing axes."""
    return {name: x.reshape(-1, *model.parameters[name].shape)}


def _normalise(x: np.ndarray, logf: np.ndarray) -> np.ndarray:
    """Density on ``x`` (sorted) from unnormalised log values, by the trapezoid rule."""
    finite = np.isfinite(logf)
    if not finite.any():
        return np.zeros_like(x)
    shifted = np.exp(logf - np.max(logf[finite]))
    area = np.trapezoid(shifted, x)
    return shifted / area


def _posterior_range(model: Model, name: str, coverage: float = 1e-4) -> tuple[float, float]:
    from .grid import grid

    post = grid(model)
    lo, hi = np.ravel(post.quantile([coverage, 1 - coverage])[name])
    support_lo, support_hi = _scalar_support(model, name)
    pad = 0.5 * (hi - lo)
    return max(support_lo, lo - pad), min(support_hi, hi + pad)


def plot_bayes(
    model: Model,
    *,
    ax: Any = None,
    bounds: tuple[float, float] | None = None,
    points: int = 801,
) -> Any:
    """Prior, likelihood (scaled to integrate to one) and posterior of a 1-parameter model.

    Parameters
    ----------
    model : Model
        A model with one scalar parameter.
    ax : matplotlib Axes, optional
    bounds : (low, high), optional
        The θ range drawn; by default the region where the posterior has mass, padded.
    points : int
        Evaluation points.

    Returns
    -------
    matplotlib Axes
        With three lines labelled ``prior``, ``likelihood (normalised)`` and ``posterior``.
    """
    name = _scalar_model(model, "plot_bayes")
    lo, hi = bounds if bounds is not None else _posterior_range(model, name)
    x = np.linspace(lo, hi, points)
    support_lo, support_hi = _scalar_support(model, name)
    x = x[(x > support_lo) & (x < support_hi)] if x[0] <= support_lo or x[-1] >= support_hi else x
    log_prior = model.log_prior(**_as_param(model, name, x))
    log_lik = model.log_likelihood(**_as_param(model, name, x))
    ax = _axes(ax)
    ax.plot(x, _normalise(x, log_prior), color="tab:gray", label="prior")
    ax.plot(
        x,
        _normalise(x, log_lik),
        color="tab:blue",
        linestyle="--",
        label="likelihood (normalised)",
    )
    ax.plot(x, _normalise(x, log_prior + log_lik), color="black", label="posterior")
    ax.set_xlabel(model.parameters[name].element_names()[0])
    ax.set_ylabel("density")
    ax.legend(frameon=False)
    return ax


def plot_updates(
    model: Model,
    updates: Sequence[Mapping[str, Any]],
    *,
    axes: Any = None,
    points: int = 801,
) -> list[Any]:
    """A panel of sequential updates: the posterior after each batch of data.

    Panel ``i`` shows the posterior after ``updates[:i+1]`` (solid) over the one before it
    (dashed) — the previous posterior is the new prior.

    Parameters
    ----------
    model : Model
        The starting model (its data may be empty, e.g. ``bg.Bernoulli(y=[], p=...)``).
    updates : sequence of dict
        Data for ``model.update(**data)``, one dict per panel.
    axes : array of Axes, optional

    Returns
    -------
    list of matplotlib Axes
    """
    name = _scalar_model(model, "plot_updates")
    if not updates:
        raise ValueError("updates must hold at least one batch of data")
    models = [model]
    for data in updates:
        models.append(models[-1].updated(**data))
    lo, hi = _posterior_range(models[-1], name)
    for m in models[1:-1]:
        a, b = _posterior_range(m, name)
        lo, hi = min(lo, a), max(hi, b)
    support_lo, support_hi = _scalar_support(model, name)
    x = np.linspace(lo, hi, points)
    x = x[(x > support_lo) & (x < support_hi)] if x[0] <= support_lo or x[-1] >= support_hi else x
    dens = [_normalise(x, m.log_density(**_as_param(m, name, x))) for m in models]
    axs = _axes_row(axes, len(updates))
    for i, ax in enumerate(axs[: len(updates)]):
        ax.plot(x, dens[i], color="tab:gray", linestyle="--", label="before")
        ax.plot(x, dens[i + 1], color="black", label="after")
        n_new = sum(np.size(v) for k, v in updates[i].items() if k in ("y", "k", "x"))
        ax.set_title(f"update {i + 1}: +{n_new} observation(s)")
        ax.set_xlabel(model.parameters[name].element_names()[0])
    axs[0].set_ylabel("density")
    axs[0].legend(frameon=False)
    return axs[: len(updates)]


def _density_of(post: Any, name: str, element: int, x: np.ndarray) -> np.ndarray:
    """Marginal density of one scalar element: the posterior's own (exact where it knows it)."""
    return post.marginal_pdf(post.model.parameters[name].element_names()[element], x)


def plot_comparison(
    comparison: Any,
    *,
    axes: Any = None,
    parameters: Sequence[str] | None = None,
    points: int = 400,
) -> list[Any]:
    """One panel per scalar parameter: each method's marginal density, MAP and means marked.

    Densities are each posterior's ``marginal_pdf``: exact for conjugate, grid and Laplace
    posteriors, a kernel density estimate of draws for NUTS. The MAP is a vertical red line;
    each method's mean a marker on the axis; the reference method's HDI a shaded band. A method
    whose own diagnostics failed (NUTS with divergences or a large R-hat) is drawn faint and
    labelled ``"<method> (unhealthy)"``.

    Returns
    -------
    list of matplotlib Axes
    """
    table = comparison.table
    elements = list(dict.fromkeys(table["parameter"])) if parameters is None else list(parameters)
    unknown = [e for e in elements if e not in set(table["parameter"])]
    if unknown:
        raise ValueError(f"parameters {unknown} are not in the comparison")
    axs = _axes_row(axes, len(elements))
    lookup = {}
    for name, param in comparison.model.parameters.items():
        for j, element in enumerate(param.element_names()):
            lookup[element] = (name, j)
    for ax, element in zip(axs, elements, strict=False):
        rows = table[table["parameter"] == element].set_index("method")
        finite = rows[["hdi_low", "hdi_high"]].to_numpy(dtype=float)
        finite = finite[np.isfinite(finite)]
        lo, hi = (
            (finite.min(), finite.max())
            if finite.size
            else (rows["mode"].min(), rows["mode"].max())
        )
        pad = 0.35 * max(hi - lo, 1e-12)
        x = np.linspace(lo - pad, hi + pad, points)
        name, j = lookup[element]
        support_lo, support_hi = (
            np.ravel(v)[j] for v in comparison.model.parameters[name].support
        )
        x = x[(x >= support_lo) & (x <= support_hi)]
        for method, result in comparison.results.items():
            style = _METHOD_STYLE.get(method, {})
            if not isinstance(result, Posterior):  # a point estimate: a line at the MAP
                ax.axvline(rows.loc[method, "mode"], label="MAP", linewidth=1.5, **style)
                continue
            label = method
            if result.problems:  # failed its own diagnostics (NUTS): drawn faint, said so
                label, style = f"{method} (unhealthy)", {**style, "alpha": 0.45}
            ax.plot(x, _density_of(result, name, j, x), label=label, **style)
            ax.plot(
                [rows.loc[method, "mean"]],
                [0.0],
                marker="o",
                color=style.get("color"),
                linestyle="none",
                clip_on=False,
            )
        ref = comparison.reference
        if ref is not None and ref in rows.index:
            ax.axvspan(rows.loc[ref, "hdi_low"], rows.loc[ref, "hdi_high"], color="0.9", zorder=0)
        ax.set_xlabel(element)
        ax.set_ylim(bottom=0)
    axs[0].set_ylabel("density")
    axs[0].legend(frameon=False, fontsize="small")
    return axs[: len(elements)]


def _path(result: Any, element: str) -> np.ndarray:
    from .map import MAPResult

    if not isinstance(result, MAPResult):
        raise TypeError(
            f"result must be a MAPResult (from bg.map_estimate), got {type(result).__name__}"
        )
    if result.history is None:
        raise ValueError("the MAPResult has no history: run map_estimate with record=True")
    if element not in result.history.columns:
        raise ValueError(f"{element!r} is not a parameter of the MAP history")
    return result.history[element].to_numpy()


def _point_with(model: Model, base: Mapping[str, Any], element: str, values: np.ndarray) -> dict:
    """Parameter dict that varies one scalar element over ``values`` with the rest at ``base``."""
    theta = {}
    for name, param in model.parameters.items():
        arr = np.broadcast_to(np.asarray(base[name], dtype=float), param.shape)
        theta[name] = np.broadcast_to(arr, (len(values), *param.shape)).copy()
        for j, e in enumerate(param.element_names()):
            if e == element:
                theta[name].reshape(len(values), -1)[:, j] = values
    return theta


def _element_of(model: Model, element: str) -> tuple[str, int]:
    for name, param in model.parameters.items():
        names = param.element_names()
        if element in names:
            return name, names.index(element)
    raise ValueError(
        f"{element!r} is not a scalar parameter of the model; use one of "
        f"{[e for p in model.parameters.values() for e in p.element_names()]}"
    )


def plot_loss_and_gradient(
    model: Model,
    result: Any,
    *,
    parameter: str | None = None,
    axes: Any = None,
    bounds: tuple[float, float] | None = None,
    points: int = 400,
) -> list[Any]:
    """The two-panel figure of the update rule θ ← θ − α·∂L/∂θ.

    Left: the loss L(θ) = −log p(θ|D) (unnormalised) along one parameter, the others held at the
    MAP; right: its partial derivative ∂L/∂θ_j. The gradient-descent iterates of ``result``
    (a ``MAPResult`` with ``record=True``) are marked on both.

    Returns
    -------
    list of two matplotlib Axes
    """
    element = (
        parameter if parameter is not None else model.parameters[model.names[0]].element_names()[0]
    )
    name, j = _element_of(model, element)
    path = _path(result, element)
    if bounds is None:
        lo, hi = float(np.min(path)), float(np.max(path))
        pad = 0.25 * max(hi - lo, 1e-3 * max(1.0, abs(hi)))
        lo, hi = lo - pad, hi + pad
        s_lo, s_hi = (float(np.ravel(v)[j]) for v in model.parameters[name].support)
        eps = 1e-9 * max(1.0, hi - lo)
        lo, hi = max(lo, s_lo + eps), min(hi, s_hi - eps)
    else:
        lo, hi = bounds
    x = np.linspace(lo, hi, points)
    theta = _point_with(model, result.params, element, x)
    loss = -model.log_density(**theta)
    grad = -model.grad_log_density(**theta)[name].reshape(points, -1)[:, j]
    path_theta = _point_with(model, result.params, element, path)
    path_loss = -model.log_density(**path_theta)
    path_grad = -model.grad_log_density(**path_theta)[name].reshape(len(path), -1)[:, j]
    ax_loss, ax_grad = _axes_row(axes, 2)[:2]
    ax_loss.plot(x, loss, color="black", label="L(θ) = −log p(θ|D)")
    ax_loss.plot(
        path,
        path_loss,
        marker="o",
        color="tab:red",
        markersize=4,
        linewidth=0.8,
        label="gradient-descent iterates",
    )
    ax_loss.set_xlabel(element)
    ax_loss.set_ylabel("loss")
    ax_loss.legend(frameon=False, fontsize="small")
    ax_grad.plot(x, grad, color="black", label=f"∂L/∂{element}")
    ax_grad.axhline(0.0, color="0.6", linewidth=0.8)
    ax_grad.plot(
        path,
        path_grad,
        marker="o",
        color="tab:red",
        markersize=4,
        linestyle="none",
        label="iterates",
    )
    ax_grad.set_xlabel(element)
    ax_grad.set_ylabel("gradient")
    ax_grad.legend(frameon=False, fontsize="small")
    return [ax_loss, ax_grad]


def plot_descent_paths(
    model: Model,
    results: Mapping[str, Any],
    *,
    parameters: tuple[str, str] | None = None,
    ax: Any = None,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    points: int = 150,
    levels: int = 12,
) -> Any:
    """Gradient-descent paths (one per optimizer) over contours of a 2-D log posterior.

    Parameters
    ----------
    model : Model
    results : dict
        Label -> ``MAPResult`` with ``record=True``.
    parameters : (str, str), optional
        The two scalar elements on the axes (default: the model's first two).

    Returns
    -------
    matplotlib Axes
        With a contour set of ``levels`` levels and one line per path.
    """
    if not results:
        raise ValueError("results must hold at least one MAPResult")
    all_elements = [e for p in model.parameters.values() for e in p.element_names()]
    if len(all_elements) < 2:
        raise ValueError("plot_descent_paths needs a model with at least two scalar parameters")
    if parameters is not None and (len(parameters) != 2 or parameters[0] == parameters[1]):
        raise ValueError(f"parameters must name two different scalar elements, got {parameters}")
    px, py = parameters if parameters is not None else tuple(all_elements[:2])
    for element in (px, py):
        _element_of(model, element)
    paths = {label: (_path(r, px), _path(r, py)) for label, r in results.items()}
    first = next(iter(results.values()))

    def limits(element: str, values: list[np.ndarray]) -> tuple[float, float]:
        if bounds is not None and element in bounds:
            return bounds[element]
        lo = min(float(v.min()) for v in values)
        hi = max(float(v.max()) for v in values)
        pad = 0.2 * max(hi - lo, 1e-3)
        name, j = _element_of(model, element)
        s_lo, s_hi = (float(np.ravel(v)[j]) for v in model.parameters[name].support)
        eps = 1e-9 * max(1.0, hi - lo)
        return max(lo - pad, s_lo + eps), min(hi + pad, s_hi - eps)

    xlo, xhi = limits(px, [p[0] for p in paths.values()])
    ylo, yhi = limits(py, [p[1] for p in paths.values()])
    gx, gy = np.meshgrid(np.linspace(xlo, xhi, points), np.linspace(ylo, yhi, points))
    theta = _point_with(model, first.params, px, gx.ravel())
    ny, jy = _element_of(model, py)
    theta[ny].reshape(gx.size, -1)[:, jy] = gy.ravel()
    logp = model.log_density(**theta).reshape(gx.shape)
    finite = np.isfinite(logp)
    top = np.max(logp[finite])
    depth = np.quantile(top - logp[finite], 0.9)
    lv = top - np.geomspace(max(depth, 1e-6), max(depth, 1e-6) * 1e-3, levels)
    ax = _axes(ax)
    ax.contour(gx, gy, np.where(finite, logp, top - 10 * depth), levels=np.sort(lv), cmap="Greys")
    colors = ["tab:red", "tab:blue", "tab:green", "tab:purple", "tab:orange", "tab:brown"]
    for (label, (xs, ys)), color in zip(paths.items(), colors * 10, strict=False):
        ax.plot(xs, ys, marker=".", markersize=3, linewidth=1, color=color, label=label)
        ax.plot(xs[-1:], ys[-1:], marker="*", markersize=10, color=color, linestyle="none")
    ax.set_xlabel(px)
    ax.set_ylabel(py)
    ax.legend(frameon=False, fontsize="small")
    return ax


def plot_convergence(result: Any, *, axes: Any = None) -> list[Any]:
    """Loss above its final value and gradient norm against iteration (log scale), step sizes.

    Returns
    -------
    list of two matplotlib Axes
        Left: ``loss - final loss`` and gradient norm (log y); right: step size per iteration.
    """
    from .map import MAPResult

    if not isinstance(result, MAPResult):
        raise TypeError(
            f"result must be a MAPResult (from bg.map_estimate), got {type(result).__name__}"
        )
    if result.history is None:
        raise ValueError("the MAPResult has no history: run map_estimate with record=True")
    h = result.history
    ax_conv, ax_step = _axes_row(axes, 2)[:2]
    gap = h["loss"].to_numpy() - float(result.loss)
    positive = gap > 0
    ax_conv.semilogy(h["iteration"][positive], gap[positive], color="black", label="L − L*")
    ax_conv.semilogy(h["iteration"], h["grad_norm"], color="tab:red", label="‖∇L‖")
    ax_conv.set_xlabel("iteration")
    ax_conv.legend(frameon=False)
    ax_step.semilogy(h["iteration"], h["step_size"], color="tab:blue", label="step size")
    ax_step.set_xlabel("iteration")
    ax_step.set_ylabel("step size")
    return [ax_conv, ax_step]


def plot_elbo(result: Any, *, ax: Any = None) -> Any:
    """The ELBO of a :func:`bayesgd.vi` run against iteration, as its history recorded it.

    The ELBO is estimated at every check from the same draws (common random numbers), so the
    curve shows how ``q`` moved; the last point, after the averaging phase, is the final
    estimate from fresh draws, with its Monte Carlo error as a bar.

    Examples
    --------
    >>> from scipy import stats
    >>> import bayesgd as bg
    >>> q = bg.vi(bg.Binomial(k=7, n=10, p=stats.beta(2, 2)), rng=0)
    >>> ax = plot_elbo(q)
    >>> ax.get_ylabel()
    'ELBO'
    """
    from .variational import VIPosterior

    if not isinstance(result, VIPosterior):
        raise TypeError(f"result must be a bg.vi posterior, got {type(result).__name__}")
    ax = _axes(ax)
    h = result.history
    ax.plot(h["iteration"][:-1], h["elbo"][:-1], color="tab:purple", label="ELBO at checks")
    ax.errorbar(
        [h["iteration"].iloc[-1]], [result.elbo], yerr=[2 * result.elbo_mcse], fmt="o",
        color="black", label="final ELBO ± 2 MCSE",
    )  # fmt: skip
    ax.set_xlabel("iteration")
    ax.set_ylabel("ELBO")
    ax.legend(frameon=False)
    return ax


def plot_draws(
    samples: Any,
    reference: Any,
    *,
    parameter: str | None = None,
    ax: Any = None,
    bins: int = 50,
) -> Any:
    """Histogram of draws (e.g. NUTS) against an exact or grid marginal density.

    Parameters
    ----------
    samples : posterior with ``sample`` (a ``PyMCPosterior`` or ``SamplePosterior``)
    reference : posterior
        A conjugate or grid posterior giving the density line.
    parameter : str, optional
        A scalar element name (default: the first).

    Returns
    -------
    matplotlib Axes
    """
    from .posterior import Posterior

    if not isinstance(reference, Posterior):
        raise TypeError(
            "reference must be a bayesgd posterior (conjugate or grid), got "
            f"{type(reference).__name__}"
        )
    if not (hasattr(samples, "draws") or isinstance(samples, Posterior)):
        raise TypeError(
            "samples must be a posterior with draws (PyMCPosterior, SamplePosterior) or one "
            f"that samples, got {type(samples).__name__}"
        )
    model = reference.model
    element = (
        parameter if parameter is not None else model.parameters[model.names[0]].element_names()[0]
    )
    name, j = _element_of(model, element)
    draws = samples.draws[name] if hasattr(samples, "draws") else samples.sample(4000, rng=0)[name]
    values = np.asarray(draws).reshape(len(draws), -1)[:, j]
    ax = _axes(ax)
    ax.hist(
        values,
        bins=bins,
        density=True,
        color="tab:orange",
        alpha=0.5,
        label=f"{getattr(samples, 'method', 'draws')} draws",
    )
    x = np.linspace(values.min(), values.max(), 400)
    method = getattr(reference, "method", "reference")
    ax.plot(x, _density_of(reference, name, j, x), color="black", label=method)
    ax.set_xlabel(element)
    ax.set_ylabel("density")
    ax.legend(frameon=False)
    return ax
