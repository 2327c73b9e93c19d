"""The one posterior interface shared by every method.

Every posterior answers the same questions, each keyed by parameter name: :meth:`mean`,
:meth:`sd`, :meth:`mode`, :meth:`median`, :meth:`quantile`, :meth:`hdi`, :meth:`sample`,
:meth:`summary` and :meth:`to_inference_data`, and :attr:`log_evidence` where the method can
give it. Scalars come back as floats, vector parameters as arrays of the parameter's shape.

:class:`SamplePosterior` implements the interface from draws (NUTS, Laplace in unconstrained
space, or any user draws).

Examples
--------
>>> import numpy as np
>>> from scipy import stats
>>> import bayesgd as bg
>>> m = bg.Normal(y=[0.0], mu=stats.norm(0, 1), sigma=1.0)
>>> draws = {"mu": np.random.default_rng(0).normal(0, 0.7, size=4000)}
>>> post = SamplePosterior(m, draws)
>>> round(post.sd()["mu"], 1)
0.7
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ._validation import (
    as_rng,
    check_finite_array,
    check_positive_int,
    check_prob,
    check_probs,
    check_size,
    owned,
    refuse_masked,
)
from .models.base import Model, routes_to_hierarchical

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Posterior", "SamplePosterior", "hdi_column_names"]


def hdi_column_names(prob: float) -> tuple[str, str]:
    """ArviZ's column names for an HDI of mass ``prob``: ``("hdi_3%", "hdi_97%")`` for 0.94."""
    low = 100 * (1 - prob) / 2
    return f"hdi_{low:g}%", f"hdi_{100 - low:g}%"


def _scalarise(value: Any) -> Any:
    """A float, or a fresh array: what a posterior hands out never aliases its own state."""
    arr = np.array(value, dtype=float)  # always a copy
    return float(arr) if arr.ndim == 0 else arr


class Posterior:
    """Base class of every posterior. Subclasses implement the ``_``-prefixed hooks.

    The public methods (:meth:`mean`, :meth:`sd`, :meth:`mode`, :meth:`median`,
    :meth:`quantile`, :meth:`hdi`, :meth:`sample`, :meth:`summary`) wrap the hooks and always
    return floats or fresh arrays, so writing into a returned array never changes a later
    answer, whatever a hook returns.

    Attributes
    ----------
    model : Model
        The model this is the posterior of.
    method : str
        ``"conjugate"``, ``"grid"``, ``"laplace"``, ``"pymc"`` or ``"samples"``.
    """

    method = "posterior"
    #: Failed diagnostics of the method that made it, named (empty: none known; NUTS fills it).
    problems: tuple[str, ...] | list[str] = ()

    def __init__(self, model: Model):
        if not (isinstance(model, Model) or routes_to_hierarchical(model)):
            raise TypeError(
                f"model must be a bayesgd Model (the first argument), got "
                f"{type(model).__name__} {model!r}"[:200]
            )
        self.model = model

    # --------------------------------------------------------------- hooks
    def _mean(self, name: str) -> np.ndarray:
        raise NotImplementedError

    def _sd(self, name: str) -> np.ndarray:
        raise NotImplementedError

    def _mode(self) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def _quantile(self, name: str, q: np.ndarray) -> np.ndarray:
        """Quantiles of shape ``q.shape + parameter shape``."""
        raise NotImplementedError

    def _hdi(self, name: str, prob: float) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _sample(self, shape: tuple[int, ...], rng: np.random.Generator) -> dict[str, np.ndarray]:
        raise NotImplementedError

    # ----------------------------------------------------------- interface
    @property
    def names(self) -> tuple[str, ...]:
        """Parameter names, in the model's order."""
        return self.model.names

    def _each(self, fn: Callable[[str], Any]) -> dict[str, Any]:
        return {name: _scalarise(fn(name)) for name in self.names}

    def mean(self) -> dict[str, Any]:
        """Posterior mean of each parameter."""
        return self._each(self._mean)

    def sd(self) -> dict[str, Any]:
        """Posterior standard deviation of each parameter."""
        return self._each(self._sd)

    def mode(self) -> dict[str, Any]:
        """The posterior mode (the MAP) in the model's own parametrisation.

        For conjugate and grid posteriors this is the joint mode, the point gradient descent
        should find; for sample-based posteriors it is estimated per marginal.
        """
        modes = self._mode()
        return {name: _scalarise(modes[name]) for name in self.names}

    def median(self) -> dict[str, Any]:
        """Posterior median of each parameter (marginal)."""
        return self.quantile(0.5)

    def quantile(self, q: Any) -> dict[str, Any]:
        """Marginal quantiles at levels ``q`` (a number or array in [0, 1]).

        Returns arrays of shape ``np.shape(q) + parameter shape`` (floats for scalar ``q`` and
        scalar parameters).
        """
        levels = check_probs(q, "q")
        return self._each(lambda n: self._quantile(n, levels))

    def hdi(self, prob: float = 0.94) -> dict[str, tuple[Any, Any]]:
        """Highest-density interval of mass ``prob`` per parameter (marginal): ``(low, high)``.

        Every method gives the shortest interval holding ``prob`` (ArviZ's rule for draws),
        which is the highest-density interval of a unimodal marginal. Where the region of
        highest density is split (a U-shaped or multimodal marginal), it is that shortest
        single interval: for ``Beta(0.5, 0.7)`` and ``prob=0.5``, ``(0, ppf(0.5))``.

        Examples
        --------
        >>> from scipy import stats
        >>> import bayesgd as bg
        >>> low, high = bg.conjugate(bg.Binomial(k=7, n=10, p=stats.beta(2, 2))).hdi(0.9)["p"]
        >>> round(low, 4), round(high, 4)
        (0.4436, 0.8476)
        """
        prob = check_prob(prob, "prob")
        out = {}
        for name in self.names:
            low, high = self._hdi(name, prob)
            out[name] = (_scalarise(low), _scalarise(high))
        return out

    def sample(
        self, size: int | tuple[int, ...] = 1000, *, rng: Any = None
    ) -> dict[str, np.ndarray]:
        """Joint draws: a dict of arrays of shape ``size + parameter shape``."""
        shape = check_size(size)
        draws = self._sample(shape, as_rng(rng))
        return {name: np.array(draws[name], dtype=float) for name in self.names}

    def predict(self, X_new: Any, **kwargs: Any) -> Any:
        """Posterior predictive at new inputs, for models that predict (regressions, Perceptron).

        ``E[y | x, D]`` averaged over posterior draws, with an interval; see
        :func:`bayesgd.predictive.predict` for the options (``prob``, ``size``, ``interval``,
        ``noise``, ``rng``).
        """
        from .predictive import predict

        return predict(self.model, X_new, posterior=self, **kwargs)

    def marginal_pdf(self, element: str, x: Any) -> np.ndarray:
        """The marginal posterior density of one scalar element at the points ``x``.

        ``element`` is a parameter name for a scalar parameter, or an element label as in
        :meth:`summary`'s rows (``"coef[1]"``, ``"W1[0, 2]"``). This default estimates it
        from draws (:meth:`_marginal_draws`): a Gaussian kernel density estimate, zero outside
        the parameter's support. Constant draws (a point mass) give ``inf`` at their value
        and 0 elsewhere. Posteriors that know their density (grid, conjugate, Laplace)
        override it with the exact one.

        Returns
        -------
        ndarray
            The density, of the shape of ``x``.

        Examples
        --------
        >>> import numpy as np
        >>> from scipy import stats
        >>> import bayesgd as bg
        >>> m = bg.Normal(y=[0.0], mu=stats.norm(0, 1), sigma=1.0)
        >>> post = SamplePosterior(m, {"mu": np.random.default_rng(0).normal(0, 0.7, 4000)})
        >>> round(float(post.marginal_pdf("mu", 0.0)), 2)  # the exact N(0, 0.7) density: 0.57
        0.53
        """
        from scipy.stats import gaussian_kde

        name, index = self._element(element)
        points = check_finite_array(x, "x")
        col = np.asarray(self._marginal_draws(name), dtype=float)
        col = col.reshape(len(col), -1)[:, index]
        param = self.model.parameters[name]
        low, high = (np.broadcast_to(b, param.shape).reshape(-1)[index] for b in param.support)
        if col.min() == col.max():  # a point mass: no density to smooth
            return np.where(points == col[0], np.inf, 0.0)
        try:
            density = gaussian_kde(col)(points.reshape(-1)).reshape(points.shape)
        except np.linalg.LinAlgError:  # spread below the float resolution of the bandwidth
            return np.where(np.isclose(points, np.median(col)), np.inf, 0.0)
        return np.where((points >= low) & (points <= high), density, 0.0)

    def _marginal_draws(self, name: str) -> np.ndarray:
        """Draws of parameter ``name`` for :meth:`marginal_pdf`: shape ``(n, *shape)``."""
        return self.sample(4000, rng=0)[name]

    def _element(self, element: str) -> tuple[str, int]:
        """``("coef", 1)`` for ``"coef[1]"``: the parameter and the flat index of an element."""
        if not isinstance(element, str):
            raise TypeError(f"element must be a string such as 'p' or 'coef[0]', got {element!r}")
        labels = []
        for name in self.names:
            names = self.model.parameters[name].element_names()
            if element in names:
                return name, names.index(element)
            labels += names
        raise ValueError(f"element must be one of {labels}, got {element!r}")

    @property
    def log_evidence(self) -> float:
        """Log marginal likelihood ``log p(D)``, where the method can give it."""
        raise AttributeError(f"a {self.method} posterior cannot give the log evidence")

    def summary(self, prob: float = 0.94) -> pd.DataFrame:
        """One row per scalar parameter (vector elements as ``coef[0]``, ...).

        Columns: ``mean``, ``sd``, ``mode``, ``median`` and the HDI ends (ArviZ's names,
        ``hdi_3%`` and ``hdi_97%`` for ``prob=0.94``).
        """
        import pandas as pd

        prob = check_prob(prob, "prob")
        low_name, high_name = hdi_column_names(prob)
        columns: dict[str, list[float]] = {
            k: [] for k in ("mean", "sd", "mode", "median", low_name, high_name)
        }
        index: list[str] = []
        mean, sd, mode, median, hdi = (
            self.mean(),
            self.sd(),
            self.mode(),
            self.median(),
            self.hdi(prob),
        )
        for name in self.names:
            param = self.model.parameters[name]
            index += param.element_names()
            for key, values in (
                ("mean", mean[name]),
                ("sd", sd[name]),
                ("mode", mode[name]),
                ("median", median[name]),
                (low_name, hdi[name][0]),
                (high_name, hdi[name][1]),
            ):
                columns[key] += np.broadcast_to(values, param.shape).reshape(-1).tolist()
        return pd.DataFrame(columns, index=pd.Index(index, name="parameter"))

    def to_inference_data(self, draws: int = 4000, *, rng: Any = None) -> Any:
        """ArviZ InferenceData with ``draws`` posterior draws in one chain.

        Sample-based posteriors return their own draws (all chains) and ignore ``draws``.
        """
        import arviz as az

        check_positive_int(draws, "draws")
        samples = self.sample(draws, rng=rng)
        return az.from_dict(posterior={n: v[None] for n, v in samples.items()})

    # ------------------------------------------------------ derived quantities
    def _weighted_points(self) -> tuple[dict[str, np.ndarray], np.ndarray] | None:
        """The posterior as finitely many weighted points (draw axis last), where it is one."""
        return None

    def _draws_for_derived(
        self, n: int, rng: np.random.Generator
    ) -> tuple[dict[str, np.ndarray], tuple[int, int] | None]:
        """Joint draws for derived quantities, and their (chain, draw) shape if from a sampler."""
        return self.sample(n, rng=rng), None

    def prob(self, event: Callable[..., Any], *, draws: int = 100_000, rng: Any = None) -> Any:
        """Posterior probability of ``event``, e.g. ``post.prob(lambda p: p[1] > p[0])``.

        Exact where the posterior is a set of weighted points (a grid); otherwise Monte Carlo
        with its standard error on the result (``.mcse``). See :mod:`bayesgd.derived`.
        """
        from .derived import prob

        return prob(self, event, draws=draws, rng=rng)

    def derive(self, *, draws: int = 100_000, rng: Any = None, **fns: Callable[..., Any]) -> Any:
        """A posterior of derived quantities: ``post.derive(lift=lambda p: p[1] / p[0] - 1)``.

        See :mod:`bayesgd.derived`.
        """
        from .derived import derive

        return derive(self, draws=draws, rng=rng, **fns)

    # ---------------------------------------------------------------- trust
    def _draws_with_log_density(
        self, shape: tuple[int, ...], rng: np.random.Generator
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Joint draws and this posterior's log density at them (the trust hook)."""
        from .errors import NotApplicableError

        raise NotApplicableError(
            f"a {self.method} posterior cannot evaluate its own density at its draws, so it "
            "has no importance weights or k-hat (Laplace, VI, Pathfinder and grid posteriors do)"
        )

    def khat(self, model: Model, *, draws: int = 1000, rng: Any = None) -> float:
        """PSIS k-hat of this approximation against ``model``'s exact log posterior.

        Below 0.5 good, up to 0.7 usable, above 0.7 do not trust; see :mod:`bayesgd.trust`.
        """
        from .trust import khat

        return khat(self, model, draws=draws, rng=rng)

    def importance_resample(
        self, model: Model, *, size: int = 4000, draws: int | None = None, rng: Any = None
    ) -> SamplePosterior:
        """Draws corrected toward ``model``'s posterior by PSIS (:mod:`bayesgd.trust`)."""
        from .trust import importance_resample

        return importance_resample(self, model, size=size, draws=draws, rng=rng)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self.model!r}>\n{self.summary().to_string()}"

    def _repr_html_(self) -> str:
        return f"<p><b>{type(self).__name__}</b> of {self.model!r}</p>" + self.summary().to_html()


def _check_in_support(name: str, param: Any, arr: np.ndarray) -> None:
    """Draws must lie in the parameter's support (a probability vector must sum to 1)."""
    low, high = param.support
    outside = (arr < low) | (arr > high)
    if np.any(outside):
        worst = arr[outside].reshape(-1)[0]
        raise ValueError(
            f"draws[{name!r}] has {int(outside.sum())} value(s) outside the support of {name} "
            f"([{np.min(low):g}, {np.max(high):g}] under its {param.prior.family} prior), "
            f"e.g. {worst:g}"
        )
    if param.prior.family == "dirichlet" and not np.allclose(arr.sum(axis=-1), 1.0, atol=1e-8):
        raise ValueError(f"draws[{name!r}] must be probability vectors summing to 1")


def _kde_mode(col: np.ndarray) -> float:
    """The mode of a Gaussian KDE of 1-D draws (constant draws: their value)."""
    from scipy.stats import gaussian_kde

    low, high = float(col.min()), float(col.max())
    if low == high:
        return low  # no spread: gaussian_kde's covariance would be singular
    grid = np.linspace(low, high, 512)
    try:
        density = gaussian_kde(col)(grid)
    except np.linalg.LinAlgError:  # spread below float resolution of the bandwidth
        return float(np.median(col))
    return float(grid[np.argmax(density)])


class SamplePosterior(Posterior):
    """A posterior known through joint draws.

    Parameters
    ----------
    model : Model
    draws : dict
        Parameter name -> array of shape ``(n, *shape)`` or ``(chain, draw, *shape)``.
    method : str
        Label of the method that produced the draws.
    """

    method = "samples"

    def __init__(self, model: Model, draws: Mapping[str, Any], *, method: str = "samples"):
        super().__init__(model)
        self.method = method
        flat = {}
        chains = None
        leads: list[tuple[int, ...]] = []
        for name, param in model.parameters.items():
            if name not in draws:
                raise ValueError(f"draws has no entry for parameter {name!r}")
            refuse_masked(draws[name], f"draws[{name!r}]")
            arr = np.asarray(draws[name], dtype=float)
            lead = arr.ndim - len(param.shape)
            if lead not in (1, 2) or arr.shape[lead:] != param.shape:
                raise ValueError(
                    f"draws[{name!r}] must have shape (n, *{param.shape}) or (chain, draw, "
                    f"*{param.shape}), got {arr.shape}"
                )
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"draws[{name!r}] contains non-finite values")
            _check_in_support(name, param, arr)
            if lead == 2:
                chains = arr.shape[:2]
            flat[name] = owned(arr.reshape((-1, *param.shape)), draws[name])
            leads.append(arr.shape[:lead])
        if len(set(leads)) > 1:
            raise ValueError(
                "draws must hold the same number of joint draws (and chains) for every "
                f"parameter, got leading shapes {dict(zip(model.parameters, leads, strict=True))}"
            )
        if len(next(iter(flat.values()))) < 2:
            raise ValueError("draws must hold at least 2 draws per parameter")
        self.draws = flat
        self._chain_shape = chains

    def _mean(self, name):
        return self.draws[name].mean(axis=0)

    def _sd(self, name):
        return self.draws[name].std(axis=0, ddof=1)

    def _quantile(self, name, q):
        return np.quantile(self.draws[name], q, axis=0)

    def _hdi(self, name, prob):
        from .numerics.intervals import hdi_of_samples

        return hdi_of_samples(self.draws[name], prob, axis=0)

    def _mode(self):
        modes = {}
        for name, x in self.draws.items():
            flat = x.reshape(len(x), -1)
            out = np.array([_kde_mode(flat[:, j]) for j in range(flat.shape[1])])
            modes[name] = out.reshape(self.model.parameters[name].shape)
        return modes

    def _draws_for_derived(self, n, rng):
        total = len(next(iter(self.draws.values())))
        chains = self._chain_shape or (1, total)
        return self.draws, chains

    def _marginal_draws(self, name):
        return self.draws[name]  # every draw, not a resample

    def _sample(self, shape, rng):
        n = len(next(iter(self.draws.values())))
        idx = rng.integers(0, n, size=shape)
        return {name: x[idx] for name, x in self.draws.items()}

    def to_inference_data(self, draws: int = 4000, *, rng: Any = None) -> Any:
        import arviz as az

        shape = self._chain_shape or (1, len(next(iter(self.draws.values()))))
        return az.from_dict(
            posterior={
                n: x.reshape((*shape, *self.model.parameters[n].shape)).copy()
                for n, x in self.draws.items()
            }
        )
