"""The nested grid: a grid over the hyperparameters, the group parameters integrated out inside.

For every point of a regular grid over the hyperparameters' grid coordinates (see
:class:`bayesgd.hierarchical.model.Coordinates`), the group parameters are integrated out
exactly through the closed-form marginal likelihood. Hyperparameter marginals come from the
grid; each group parameter's marginal is the mixture over the grid of its exact conjugate
conditionals (:mod:`bayesgd.hierarchical.mixture`).

Examples
--------
>>> import numpy as np
>>> from scipy import stats
>>> from bayesgd.hierarchical import Binomial, hierarchical, nested_grid
>>> m = Binomial(k=[2, 5, 9], n=[20, 20, 20],
...              p=hierarchical(stats.beta, a=stats.expon(scale=5), b=stats.expon(scale=20)))
>>> post = nested_grid(m, points=61)
>>> post.inner
'exact'
>>> bool(post.mean()["p"][0] < post.mean()["p"][2])
True
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from scipy import special

from .._validation import as_rng
from ..errors import GridWarning, NotApplicableError, NotConjugateError
from ..numerics.intervals import hdi_of_grid
from ..posterior import Posterior
from .marginal import hessian, marginal_map, sample_groups
from .mixture import Mixture
from .model import HierarchicalModel

__all__ = ["MAX_HYPER", "NestedGridPosterior", "nested_grid"]

#: At most this many hyperparameters on a grid.
MAX_HYPER = 4
DEFAULT_POINTS = {1: 1001, 2: 201, 3: 51, 4: 25}
#: A face of the box is far enough out when each coordinate's marginal log density there is
#: this far below its peak.
DROP = 18.0
#: The lightest grid points, together holding at most this mass, are left out.
PRUNE = 1e-10
#: Blocks of this many cells per axis form the coarse rule used to start quantiles and tabulate
#: HDIs of the group parameters.
COARSEN = 4


def _points(points: Any, d: int) -> int:
    if points is None:
        return DEFAULT_POINTS[d]
    if isinstance(points, bool) or not isinstance(points, numbers.Integral) or points < 5:
        raise ValueError(f"points must be an integer >= 5 (per axis), got {points!r}")
    return int(points)


def _user_bounds(model: HierarchicalModel, bounds: dict) -> tuple[np.ndarray, np.ndarray]:
    labels = model.coords.labels
    keys = labels if model.coords.beta_pair else model.hyper
    missing = set(keys) - set(bounds)
    if missing or set(bounds) - set(keys):
        raise ValueError(f"bounds must have exactly the keys {keys} (got {sorted(bounds)})")
    lo, hi = [], []
    for i, key in enumerate(keys):
        a, b = (float(x) for x in bounds[key])
        if not a < b:
            raise ValueError(f"bounds[{key!r}] must be (low, high) with low < high")
        if not model.coords.beta_pair and model.coords.positive[i]:
            if a <= 0:
                raise ValueError(f"bounds[{key!r}] must be positive, got {(a, b)}")
            a, b = np.log(a), np.log(b)
        lo.append(a)
        hi.append(b)
    return np.array(lo), np.array(hi)


def _auto_box(model: HierarchicalModel) -> tuple[np.ndarray, np.ndarray]:
    """A box around the mode of the grid coordinates' density, widened until every face is
    ``DROP`` below the peak (so the mass outside is negligible)."""
    fit = marginal_map(model, jacobian=True)
    try:
        sd = np.sqrt(np.clip(np.diag(np.linalg.inv(-hessian(model, fit.z))), 1e-6, 1e4))
    except np.linalg.LinAlgError:
        sd = np.ones(len(fit.z))
    lo, hi = fit.z - 6 * sd, fit.z + 6 * sd
    d = len(fit.z)
    for _ in range(40):
        axes = [np.linspace(lo[i], hi[i], 21) for i in range(d)]
        logp = model.log_marginal_posterior(np.stack(np.meshgrid(*axes, indexing="ij"), -1))
        grown = False
        for i in range(d):
            # the marginal density of this coordinate at the box's two faces
            other = tuple(j for j in range(d) if j != i)
            marg = special.logsumexp(logp, axis=other) if other else logp
            top = np.max(marg)
            if marg[0] > top - DROP:
                lo[i] -= 0.5 * (hi[i] - lo[i])
                grown = True
            if marg[-1] > top - DROP:
                hi[i] += 0.5 * (hi[i] - lo[i])
                grown = True
        if not grown:
            return lo, hi
    raise NotApplicableError(
        "the hyperparameters' marginal posterior does not fall off within a box of the grid "
        "coordinates (improper posterior?): give bounds= or a proper hyperprior"
    )


def nested_grid(
    model: HierarchicalModel,
    *,
    points: int | None = None,
    bounds: dict | None = None,
    inner: str | None = None,
) -> NestedGridPosterior:
    """Grid over the hyperparameters, the group parameters integrated out exactly inside.

    Parameters
    ----------
    model : HierarchicalModel
    points : int, optional
        Points per axis (default 1001, 101, 41, 21 for 1 to 4 hyperparameters).
    bounds : dict, optional
        ``(low, high)`` per hyperparameter name (in its own units), or per coordinate label
        ``"log(a/b)"``, ``"log(a+b)"`` for a beta with both parameters free. Default: a box
        around the marginal mode, widened until the density at every face is ``exp(-25)`` of
        its peak.
    inner : {"exact", "laplace"}, optional
        How the groups are integrated out; default: the model's own (exact where conjugate,
        Laplace otherwise). ``"exact"`` on a non-conjugate inner model raises
        :class:`bayesgd.NotConjugateError`; ``"laplace"`` on a conjugate one is refused too
        (the exact answer is at hand).

    Returns
    -------
    NestedGridPosterior

    Raises
    ------
    ValueError
        More than 4 free hyperparameters, or bad ``points``/``bounds``.
    """
    if not isinstance(model, HierarchicalModel):
        raise TypeError(f"nested_grid needs a hierarchical model, got {model!r}")
    if inner is not None and inner != model.inner.method:
        if inner not in ("exact", "laplace"):
            raise ValueError(f"inner must be 'exact' or 'laplace', got {inner!r}")
        raise NotConjugateError(
            f"inner={inner!r}: {type(model.inner).__name__} integrates the groups out by "
            f"{model.inner.method!r}"
            + (" (not conjugate: no closed form)" if inner == "exact" else " (exact: conjugate)")
        )
    d = len(model.spec.free)
    if d > MAX_HYPER:
        raise ValueError(
            f"a grid over {d} hyperparameters is too large: at most {MAX_HYPER}; fix some or "
            "use marginal_map / marginal_laplace"
        )
    n = _points(points, d)
    lo, hi = _auto_box(model) if bounds is None else _user_bounds(model, dict(bounds))
    axes = [np.linspace(lo[i], hi[i], n) for i in range(d)]
    return NestedGridPosterior(model, axes)


class NestedGridPosterior(Posterior):
    """Posterior from a nested grid (hyperparameters on the grid, groups integrated inside).

    Attributes
    ----------
    axes : list of ndarray
        The grid's axes in grid coordinates (``model.coords.labels``).
    log_density : ndarray
        Log density of the grid coordinates at every grid point (unnormalised).
    inner : str
        How the groups were integrated out: ``"exact"`` (closed-form marginal likelihood) or
        ``"laplace"`` (a Laplace approximation per group; the group marginals are then
        mixtures of the Laplace Gaussians).
    """

    method = "grid"

    def __init__(self, model: HierarchicalModel, axes: list[np.ndarray]):
        super().__init__(model)  # type: ignore[arg-type]
        self.axes = axes
        self.inner = model.inner.method
        mesh = np.stack(np.meshgrid(*axes, indexing="ij"), -1)
        self.log_density = model.log_marginal_posterior(mesh)
        if not np.isfinite(self.log_density).any():
            raise NotApplicableError("the log marginal posterior is -inf on the whole grid")
        self._check_edges()
        self._log_norm = special.logsumexp(self.log_density)
        w = np.exp(self.log_density - self._log_norm).reshape(-1)
        # leave out the lightest points, together holding at most PRUNE of the mass
        order = np.argsort(w)
        keep = np.zeros(w.shape, bool)
        keep[order[np.cumsum(w[order]) > PRUNE]] = True
        self.z = mesh.reshape(-1, len(axes))[keep]
        self.w = w[keep] / w[keep].sum()
        self.h = model.hyper_at(self.z)
        blocks = np.argwhere(keep.reshape(self.log_density.shape)) // COARSEN
        self._mix = Mixture(self._conditional, self.w, model.n_groups, _coarse(blocks, self.w))
        self._hyper_arg = {model.spec.names[a]: a for a in model.spec.free}

    def _check_edges(self) -> None:
        import warnings

        logp, d = self.log_density, self.log_density.ndim
        for i in range(d):
            other = tuple(j for j in range(d) if j != i)
            marg = special.logsumexp(logp, axis=other) if other else logp
            if max(marg[0], marg[-1]) > np.max(marg) - DROP + 5:
                warnings.warn(
                    "the nested grid's marginal density is not negligible at the edge of axis "
                    f"{self.model.coords.labels[i]}: widen bounds",
                    GridWarning,
                    stacklevel=3,
                )
                return

    def _conditional(self, s: slice, rows: np.ndarray | None) -> Any:
        inner = self.model.inner
        sub = type(inner).__new__(type(inner))
        sub.__dict__.update(inner.__dict__)
        for key in ("k", "n", "y", "s2", "t"):
            if key in inner.__dict__:
                setattr(sub, key, inner.__dict__[key][s])
        return sub.conditional(self.h if rows is None else {a: v[rows] for a, v in self.h.items()})

    # ---------------------------------------------------- hyperparameter marginals
    def _hyper_values(self, name: str) -> np.ndarray:
        return self.h[self._hyper_arg[name]]

    def _axis_marginal(self, name: str) -> tuple[np.ndarray, ...] | None:
        """For a hyperparameter that is one grid axis: its values on that axis, its marginal
        density there (unnormalised) and the axis points' masses."""
        coords = self.model.coords
        if coords.beta_pair:
            return None
        i = self.model.hyper.index(name)
        other = tuple(j for j in range(len(self.axes)) if j != i)
        logm = special.logsumexp(self.log_density, axis=other) if other else self.log_density
        z = self.axes[i]
        x = np.exp(z) if coords.positive[i] else z
        mass = np.exp(logm - logm.max())
        return x, mass / (x if coords.positive[i] else 1.0), mass

    def _mean(self, name):
        if name == self.model.group:
            return self._mix.mean()
        return np.sum(self.w * self._hyper_values(name))

    def _sd(self, name):
        if name == self.model.group:
            return self._mix.sd()
        x = self._hyper_values(name)
        m = np.sum(self.w * x)
        return np.sqrt(np.sum(self.w * (x - m) ** 2))

    def _quantile(self, name, q):
        if name == self.model.group:
            return self._mix.quantile(q)
        table = self._axis_marginal(name)
        if table is not None:
            # each grid cell's mass spread uniformly over the cell (in grid coordinates)
            i = self.model.hyper.index(name)
            z = self.axes[i]
            half = 0.5 * (z[1] - z[0])
            edges = np.r_[z[0] - half, z + half]
            mass = table[2] / table[2].sum()
            zq = np.interp(q, np.r_[0.0, np.cumsum(mass)], edges)
            return np.exp(zq) if self.model.coords.positive[i] else zq
        x, w = self._hyper_values(name), self.w
        order = np.argsort(x)
        cdf = np.cumsum(w[order]) - 0.5 * w[order]
        return np.interp(q, cdf, x[order])

    def _hdi(self, name, prob):
        if name == self.model.group:
            return self._mix.hdi(prob)
        table = self._axis_marginal(name)
        if table is None:
            x = self._hyper_values(name)
            edges = np.quantile(x, np.linspace(0, 1, 2)) if len(x) < 2 else None
            lo, hi = np.min(x), np.max(x)
            edges = np.linspace(lo, hi, 401)
            hist, _ = np.histogram(x, bins=edges, weights=self.w)
            mids = 0.5 * (edges[1:] + edges[:-1])
            table = mids, hist / np.diff(edges)
        return hdi_of_grid(table[0], table[1], prob)[:2]

    def _mode(self):
        """Hyperparameters at the grid's mode of ``p(h | y)`` (no Jacobian); each group at its
        conditional mode given them."""
        mesh_logj = self._log_jacobian()
        i = int(np.argmax(self.log_density.reshape(-1) - mesh_logj))
        z = np.stack(np.meshgrid(*self.axes, indexing="ij"), -1).reshape(-1, len(self.axes))[i]
        h = self.model.hyper_at(z[None])
        out = {self.model.spec.names[a]: h[a][0] for a in self.model.spec.free}
        out[self.model.group] = _conditional_mode(self.model.inner.conditional(h))[0]
        return out

    def _log_jacobian(self) -> np.ndarray:
        mesh = np.stack(np.meshgrid(*self.axes, indexing="ij"), -1)
        return self.model.coords.forward(mesh)[1].reshape(-1)

    def _sample(self, shape, rng):
        n = int(np.prod(shape, dtype=int))
        idx = self._mix.sample_index((n,), rng)
        spacing = np.array([ax[1] - ax[0] for ax in self.axes])
        z = self.z[idx] + (rng.random((n, len(self.axes))) - 0.5) * spacing
        out = sample_groups(self.model, z, rng)
        return {k: v.reshape((*shape, *np.shape(v)[1:])) for k, v in out.items()}

    @property
    def log_evidence(self) -> float:
        """``log p(y)``: the grid's quadrature of ``p(y | h) p(h)`` (a proper hyperprior only)."""
        if not self.model.spec.proper:
            raise AttributeError(
                "the hyperprior is improper (log_prior=...): the evidence is not defined"
            )
        cell = np.prod([ax[1] - ax[0] for ax in self.axes])
        return float(self._log_norm + np.log(cell))

    def sample(self, size=1000, *, rng=None):
        """Joint draws: grid cells by weight (uniform within the cell), groups from their exact
        conditionals."""
        return super().sample(size, rng=as_rng(rng))


def _coarse(blocks: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each block of ``COARSEN``^d grid cells as one point: its heaviest, with the block's mass."""
    _, block = np.unique(blocks, axis=0, return_inverse=True)
    block = block.reshape(-1)
    mass = np.bincount(block, weights=w)
    order = np.lexsort((-w, block))
    first = order[np.r_[True, block[order][1:] != block[order][:-1]]]
    return first, mass[block[first]]


def _conditional_mode(dist: Any) -> np.ndarray:
    name = dist.dist.name
    args = dist.args
    kw = dist.kwds
    if name == "norm":
        return np.asarray(dist.mean())
    if name == "beta":
        a, b = args
        return np.clip((a - 1) / np.maximum(a + b - 2, 1e-300), 0, 1) * (a >= 1) * (b >= 1) + (
            (a >= 1) & (b < 1)
        )
    a = args[0]
    return np.maximum(a - 1, 0) * kw["scale"]
