"""GridPosterior: the posterior interface answered from a tabulated grid."""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..models.base import Model
from ..posterior import Posterior
from .diagnostics import diagnose, warn_about
from .marginals import _inverse_cdf, _Marginal, _shortest_interval, marginal_of
from .mode import mode_point
from .table import _Table

__all__ = ["GridPosterior"]


class GridPosterior(Posterior):
    """A posterior tabulated on a grid of cell centres (build it with :func:`grid`).

    Attributes
    ----------
    model : Model
    axes : dict
        Axis (element) name -> cell centres, e.g. ``{"p": array([...])}`` or
        ``{"coef[0]": ..., "intercept": ...}``.
    spacing : dict
        Axis name -> cell width.
    bounds : dict
        Parameter name -> ``(low, high)`` of the grid box: floats for scalars, arrays of the
        grid axes for vectors (the first ``K - 1`` components of a probability vector). Pass it
        back as ``bounds=`` to rebuild the same grid.
    points : dict
        Parameter name -> points per axis (int, or a tuple for vector parameters).
    shape : tuple of int
        Shape of the grid (one entry per axis).
    log_density : numpy.ndarray
        Normalised log posterior density at the grid points, of shape :attr:`shape` (the
        quadrature of ``exp(log_density)`` is 1).
    edge_mass : dict
        Axis name -> ``(mass in the lowest cell, mass in the highest cell)`` of the marginal.
    truncated : dict
        Axis name -> ``(low, high)`` booleans: the edge is not a support boundary and holds more
        than :data:`EDGE_MASS_TOLERANCE` of the mass.
    sd_spacings : dict
        Axis name -> posterior sd in grid spacings.
    iqr_spacings : dict
        Axis name -> interquartile range of the marginal in grid spacings.
    gap_spacings : dict
        Axis name -> the narrowest gap between the 5%, 25%, 50%, 75% and 95% quantiles of the
        marginal, over that gap of a normal in sds, in grid spacings (a steep flank beside a
        heavy tail is narrow here while the sd and IQR look wide). The grid is too coarse
        (GridWarning) where the smaller of ``sd`` and ``IQR / 1.349`` is below
        :data:`MIN_SD_SPACINGS` spacings, where the gap is below :data:`MIN_GAP_SPACINGS`, or
        where more than :data:`EDGE_CELL_SHARE` of the mass sits in one cell at a support edge
        without a power-law edge correction.
    face_error : dict
        Only with probability vectors of 3+ components: ``"log_evidence"`` and each element
        of the vector -> estimated quadrature error, from the cells cut by the face of the
        simplex, of the log evidence and of the posterior mean (in posterior sds). The grid
        warns (GridWarning) where one exceeds :data:`FACE_ERROR_TOLERANCE`.

    Notes
    -----
    ``mean``, ``sd`` and the evidence are quadratures over the joint grid. ``quantile``,
    ``median`` and ``hdi`` use each marginal reconstructed between the cell centres (a cubic
    spline of its log density, the power law factored out at a power-law edge) on a finer grid
    reaching the box edges: quantiles invert its cumulative Simpson integral (cubic Hermite
    inside a cell), the HDI is :func:`~bayesgd.numerics.intervals.hdi_of_grid` of it (or the
    shortest interval of its CDF next to a power-law edge, where linear pieces mismeasure the
    mass).
    ``mode`` starts at the best grid point and is refined by Newton steps on the model's own log
    density and gradient, so it is accurate far beyond the grid spacing; a mode on a box edge
    (``k = 0`` under a flat prior) or on a face of the simplex stays there. ``sample`` draws
    cells by probability and jitters uniformly inside the cell (inside the simplex).

    The implied last component of a probability vector has exact mean and sd (from the joint);
    for ``K >= 3`` its quantiles and HDI come from a weighted histogram of ``1 - sum`` over
    the grid (each cell spread over its sub-cells), accurate to a small fraction of a spacing;
    with equal spacings (the default box) the bins sit on the lattice of those values, so the
    density has no aliasing ripple. Unequal spacings (bounds given per component) can leave
    a ripple in that density of some percent.
    A probability vector whose density does not vanish on the face ``p[-1] = 0`` (a zero count
    under a flat Dirichlet prior) converges at second order in the spacing there.
    """

    method = "grid"

    def __init__(
        self,
        model: Model,
        table: _Table,
        *,
        auto: np.ndarray | None = None,
        request: Mapping[str, Any] | None = None,
    ):
        """Built by :func:`grid`: ``table`` is the tabulated grid, ``auto`` marks the axes with
        automatic bounds and ``request`` holds the ``grid()`` arguments that updates reuse."""
        super().__init__(model)
        self._t = table
        self._auto = np.zeros(table.layout.ndim, dtype=bool) if auto is None else auto.copy()
        self._request: dict[str, Any] = dict(request or {"points": None, "bounds": None})
        self._diag = diagnose(table)
        self._cache: dict[Any, Any] = {}

    def _warn(self, stacklevel: int) -> None:
        """Issue the grid's GridWarnings (``stacklevel`` counts from this method's caller)."""
        warn_about(self._diag, self._t, self._auto, stacklevel=stacklevel + 1)

    # ----------------------------------------------------------------- public attributes
    @property
    def axes(self) -> dict[str, np.ndarray]:
        return {n: x.copy() for n, x in zip(self._t.layout.axis_names, self._t.nodes, strict=True)}

    @property
    def spacing(self) -> dict[str, float]:
        return {n: float(h) for n, h in zip(self._t.layout.axis_names, self._t.h, strict=True)}

    @property
    def shape(self) -> tuple[int, ...]:
        return self._t.shape

    @property
    def bounds(self) -> dict[str, Any]:
        out = {}
        for name, axes in self._t.layout.param_axes.items():
            scalar = not self.model.parameters[name].shape
            lo, hi = self._t.lo[axes], self._t.hi[axes]
            out[name] = (float(lo[0]), float(hi[0])) if scalar else (lo.copy(), hi.copy())
        return out

    @property
    def points(self) -> dict[str, Any]:
        out = {}
        for name, axes in self._t.layout.param_axes.items():
            scalar = not self.model.parameters[name].shape
            out[name] = (
                int(self._t.n[axes[0]]) if scalar else tuple(int(v) for v in self._t.n[axes])
            )
        return out

    @property
    def log_density(self) -> np.ndarray:
        return self._t.L - self._t.log_z

    # the diagnostics, documented in the class docstring; each a new dict (no aliasing)
    @property
    def edge_mass(self) -> dict[str, tuple[float, float]]:
        return dict(self._diag.edge_mass)

    @property
    def truncated(self) -> dict[str, tuple[bool, bool]]:
        return dict(self._diag.truncated)

    @property
    def sd_spacings(self) -> dict[str, float]:
        return dict(self._diag.sd_spacings)

    @property
    def iqr_spacings(self) -> dict[str, float]:
        return dict(self._diag.iqr_spacings)

    @property
    def gap_spacings(self) -> dict[str, float]:
        return dict(self._diag.gap_spacings)

    @property
    def face_error(self) -> dict[str, float]:
        return dict(self._t.face_error)

    @property
    def log_evidence(self) -> float:
        """Log marginal likelihood ``log ∫ p(D|θ) p(θ) dθ`` by quadrature over the grid.

        Accurate when the grid holds essentially all the posterior mass (no truncation warning)
        and the model's likelihood is normalised (the families are; a custom likelihood gives
        the evidence up to whatever constant it leaves out).
        """
        return self._t.log_z

    # ----------------------------------------------------------------------- marginals
    def _marginal(self, element: str) -> _Marginal:
        key = ("marginal", element)
        if key not in self._cache:
            self._cache[key] = marginal_of(self._t, element)
        return self._cache[key]

    def marginal(self, name: str, index: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Marginal posterior density of one scalar element, on the grid's cell centres.

        Parameters
        ----------
        name : str
            A scalar parameter (``"p"``), or an element of a vector one, spelled as in
            :meth:`summary` (``"coef[0]"``, ``"p[2]"``), or a vector parameter's name with
            ``index``.
        index : int or tuple of int, optional
            Element of a vector parameter: ``marginal("coef", 0)`` is ``marginal("coef[0]")``.

        Returns
        -------
        x, density : numpy.ndarray
            Cell centres and the normalised density there (it integrates to 1 with the grid's
            quadrature; the trapezoid rule on ``x`` agrees closely).

        Examples
        --------
        >>> from scipy import stats
        >>> import bayesgd as bg
        >>> x, dens = bg.grid(bg.Binomial(k=3, n=10, p=stats.beta(1, 1))).marginal("p")
        >>> x.shape
        (2001,)
        """
        element = self._element_name(name, index)
        m = self._marginal(element)
        return m.centres.copy(), m.density.copy()

    def marginal_pdf(self, element: str, x: Any) -> np.ndarray:
        """Marginal posterior density of one scalar element at ``x``.

        The grid's marginal reconstructed between the cell centres (as for quantiles: a
        cubic spline of its log density on a grid 16 times finer, normalised), interpolated
        linearly at ``x``; zero outside the grid's box.

        Parameters
        ----------
        element : str
            A scalar parameter's name, or an element label as in :meth:`summary` rows
            (``"coef[1]"``, ``"p[2]"``, the implied last component of a probability vector
            included).
        x : array_like
            Where to evaluate it (any shape; NaN is refused).

        Returns
        -------
        numpy.ndarray
            The density, of shape ``np.shape(x)``.

        Examples
        --------
        >>> from scipy import stats
        >>> import bayesgd as bg
        >>> post = bg.grid(bg.Binomial(k=3, n=10, p=stats.beta(1, 1)))
        >>> dens = post.marginal_pdf("p", [0.2, 0.3])   # Beta(4, 8)
        >>> [round(float(d), 4) for d in dens]
        [2.2146, 2.9351]
        """
        name = self._element_name(element, None)
        try:
            at = np.array(x, dtype=float)
        except (TypeError, ValueError):
            raise TypeError(f"x must be numeric, got {x!r}") from None
        if np.isnan(at).any():
            raise ValueError("x must not contain NaN")
        xf, df, _ = self._marginal(name).fine()
        return np.interp(at, xf, df, left=0.0, right=0.0)

    def _element_name(self, name: Any, index: Any) -> str:
        if not isinstance(name, str):
            raise TypeError(f"name must be a parameter name (str), got {name!r}")
        if index is not None:
            if name not in self.model.parameters:
                raise ValueError(f"unknown parameter {name!r}; the model's are {list(self.names)}")
            idx = (index,) if isinstance(index, numbers.Integral) else tuple(index)
            shape = self.model.parameters[name].shape
            if len(idx) != len(shape) or any(
                not 0 <= i < s for i, s in zip(idx, shape, strict=True)
            ):
                raise ValueError(f"index {index!r} is out of range for {name} of shape {shape}")
            name = f"{name}[{','.join(str(int(i)) for i in idx)}]"
        if name in self._t.layout.elements:
            return name
        if name in self.model.parameters:
            raise ValueError(
                f"{name} is a vector parameter; name one element: "
                f"{self._t.layout.param_elements[name]} (or pass index=)"
            )
        raise ValueError(
            f"unknown parameter {name!r}; the model's elements are {list(self._t.layout.elements)}"
        )

    def _element_stat(self, name: str, fn) -> np.ndarray:
        shape = self.model.parameters[name].shape
        out = np.empty(shape if shape else ())
        for el_name in self._t.layout.param_elements[name]:
            el = self._t.layout.elements[el_name]
            out[el.index] = fn(el)
        return out

    def _mean(self, name):
        axes = self._t.layout.param_axes[name]

        def one(el):
            if el.axis is not None:
                return self._t.axis_mean[el.axis]
            return 1.0 - float(np.sum(self._t.axis_mean[axes]))

        return self._element_stat(name, one)

    def _sd(self, name):
        def one(el):
            if el.axis is not None:
                return np.sqrt(self._t.axis_var[el.axis])
            return np.sqrt(self._t.implied_variance(el.param))

        return self._element_stat(name, one)

    def _quantile(self, name, q):
        shape = self.model.parameters[name].shape
        out = np.empty(q.shape + shape)
        for el_name in self._t.layout.param_elements[name]:
            el = self._t.layout.elements[el_name]
            x, dens, cdf = self._marginal(el_name).fine()
            out[(..., *el.index)] = _inverse_cdf(q, cdf, x, dens)
        return out

    def _hdi(self, name, prob):
        from ..numerics.intervals import hdi_of_grid

        shape = self.model.parameters[name].shape
        low = np.empty(shape if shape else ())
        high = np.empty(shape if shape else ())
        for el_name in self._t.layout.param_elements[name]:
            el = self._t.layout.elements[el_name]
            marginal = self._marginal(el_name)
            x, dens, cdf = marginal.fine()
            if marginal.power == (None, None):
                low[el.index], high[el.index] = hdi_of_grid(x, dens, prob)
            else:  # an unbounded (or root-like) edge: linear pieces mismeasure the mass there
                low[el.index], high[el.index] = _shortest_interval(x, dens, cdf, prob)
        return low, high

    def _mode(self):
        if "mode" not in self._cache:
            x = mode_point(self._t)
            theta = self._t.layout.theta(x[None, :])
            self._cache["mode"] = {n: v[0] for n, v in theta.items()}
        return {n: v.copy() for n, v in self._cache["mode"].items()}

    def _sample(self, shape, rng):
        return self._draws_with_log_density(shape, rng)[0]

    def _weighted_points(self):
        """The cells' centres and probabilities: sums over them are exact on the grid."""
        prob = self._t.prob.ravel()
        keep = np.flatnonzero(prob > 0)
        idx = np.unravel_index(keep, self._t.shape)
        centres = np.stack([x[i] for x, i in zip(self._t.nodes, idx, strict=True)], axis=1)
        theta = self._t.layout.theta(centres)
        return {n: np.moveaxis(v, 0, -1) for n, v in theta.items()}, prob[keep] / prob[keep].sum()

    def _draws_with_log_density(self, shape, rng):
        """Draws uniform within cells picked by their mass; the density is mass / volume."""
        size = int(np.prod(shape, dtype=np.int64))
        cdf = np.cumsum(self._t.prob.ravel())
        cdf /= cdf[-1]
        cells = np.searchsorted(cdf, rng.random(size), side="right")
        cells = np.minimum(cells, cdf.size - 1)
        idx = np.unravel_index(cells, self._t.shape)
        centres = np.stack([x[i] for x, i in zip(self._t.nodes, idx, strict=True)], axis=1)
        coords = centres + (rng.random(centres.shape) - 0.5) * self._t.h
        for name in self._t.layout.simplex:  # keep draws on the simplex
            axes = self._t.layout.param_axes[name]
            for _ in range(50):
                bad = coords[:, axes].sum(axis=1) > 1.0
                if not bad.any():
                    break
                jitter = (rng.random((int(bad.sum()), len(axes))) - 0.5) * self._t.h[axes]
                coords[np.ix_(np.flatnonzero(bad), axes)] = (
                    centres[np.ix_(np.flatnonzero(bad), axes)] + jitter
                )
            else:  # cells barely inside: put the stragglers on the face
                sums = coords[:, axes].sum(axis=1)
                bad = np.flatnonzero(sums > 1.0)
                coords[np.ix_(bad, axes)] /= sums[bad, None]
        theta = self._t.layout.theta(coords)
        h = self._t.h
        with np.errstate(divide="ignore"):
            log_q = np.log(self._t.prob.ravel()[cells]) - float(np.sum(np.log(h[h > 0])))
        draws = {n: v.reshape(shape + v.shape[1:]) for n, v in theta.items()}
        return draws, log_q.reshape(shape)

    def updated(self, **more_data: Any) -> GridPosterior:
        """A new grid posterior after also seeing ``more_data``; this one is unchanged.

        The grid is laid anew for the updated model (``model.updated(**more_data)``) with the
        ``points``, ``bounds``, ``max_bytes`` and ``max_dims`` this one was built with, so it
        equals ``grid`` of the whole data at once with those arguments: an automatic box
        follows the posterior wherever the new data move it.

        Examples
        --------
        >>> from scipy import stats
        >>> import bayesgd as bg
        >>> post = bg.grid(bg.Bernoulli(y=[1, 0, 1], p=stats.beta(1, 1)))
        >>> round(post.updated(y=[1, 1]).mean()["p"], 6)   # Beta(5, 2)
        0.714286
        >>> round(post.mean()["p"], 6)                      # still Beta(3, 2)
        0.6
        """
        from .driver import grid  # the driver builds posteriors: imported late

        return grid(_updated_model(self.model, more_data), **self._request)

    def update(self, **more_data: Any) -> None:
        """Update this posterior in place with ``more_data`` (like ``dict.update``).

        The grid is laid anew, as in :meth:`updated`; on an error (bad data) this posterior
        is left unchanged. Sequential updates equal one batch update.

        Examples
        --------
        >>> from scipy import stats
        >>> import bayesgd as bg
        >>> post = bg.grid(bg.Bernoulli(y=[1, 0, 1], p=stats.beta(1, 1)))
        >>> for chunk in ([1], [1]):
        ...     post.update(y=chunk)
        >>> round(post.mean()["p"], 6)   # Beta(5, 2)
        0.714286
        """
        new = self.updated(**more_data)
        self.__dict__.clear()
        self.__dict__.update(new.__dict__)

    def __repr__(self) -> str:
        box = ", ".join(
            f"{n}: [{a:.4g}, {b:.4g}] x {k}"
            for n, a, b, k in zip(
                self._t.layout.axis_names, self._t.lo, self._t.hi, self._t.n, strict=True
            )
        )
        return f"<GridPosterior ({box}) of {self.model!r}>\n{self.summary().to_string()}"


def _updated_model(model: Model, data: Mapping[str, Any]) -> Model:
    """A new model with ``data`` added; ``model`` is unchanged."""
    return model.updated(**data)
