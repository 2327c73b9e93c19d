"""The conjugate posterior base class: every closed-form posterior answers through it."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..posterior import Posterior
from ._common import _model_with, _out, _outside_stacklevel, _parse_element

__all__ = ["ConjugatePosterior"]


class ConjugatePosterior(Posterior):
    """Exact posterior of a conjugate model. Build it with :func:`conjugate`.

    Attributes
    ----------
    model : Model
        The model (prior + all data seen).
    pair : str
        The conjugate pair, e.g. ``"beta-binomial"``.
    hyper : dict
        The posterior's hyperparameters (same family as the prior), e.g. ``{"a": 9.0, "b": 5.0}``
        for a beta posterior; arrays of the batch shape for batched priors.
    prior_hyper : dict
        The prior's hyperparameters, in the same spelling.
    dist : dict
        Parameter name -> scipy.stats frozen posterior *marginal*: ``beta``, ``gamma``,
        ``norm``, ``invgamma``, ``t``, ``dirichlet``, ``multivariate_t`` or
        ``multivariate_normal``, with the batch shape of the prior.
    joint : object or None
        The joint posterior as one frozen distribution where it is a named family:
        ``scipy.stats.normal_inverse_gamma`` (Normal) or
        :class:`bayesgd.priors.NormalInverseGamma` (LinearRegression).

    Notes
    -----
    ``mode()`` is the *joint* posterior mode in the model's own parametrisation (no Jacobian),
    the point gradient descent on ``-log p(θ|D)`` converges to. When the density's supremum
    lies on the edge of the support the edge is returned:

    - Beta(a, b): ``(a-1)/(a+b-2)`` when ``a > 1`` and ``b > 1``; otherwise the end whose
      exponent is smaller (``0`` if ``a < b``, ``1`` if ``a > b``); ``0.5`` for the flat
      ``Beta(1, 1)`` (every point is a mode); ``0`` for ``a == b < 1`` (both ends are infinite).
    - Gamma(a, rate b): ``(a-1)/b`` for ``a > 1``, else ``0``.
    - Normal-inverse-gamma over ``(mu, sigma2)``: ``(mu_n, b_n / (a_n + 1.5))``; regression
      ``(coef, sigma2)``: ``(m_n, b_n / (a_n + 1 + d/2))``.
    - Dirichlet(alpha): with ``J = {i: alpha_i > 1}`` non-empty, ``p_i ∝ alpha_i - 1`` on ``J``
      and ``0`` elsewhere (for ``alpha = (a, b)`` this is the Beta rule); if every
      ``alpha_i == 1``, the centre ``1/K``; otherwise (all ``alpha_i <= 1``, some ``< 1``) the
      vertex of the last largest ``alpha_i``.

    Moments that do not exist are reported honestly: infinite where the integral diverges
    (``E[sigma2]`` for ``a <= 1``), ``nan`` with a warning where it is undefined (the mean of a
    t with ``df <= 1``).

    ``hyper`` spellings: beta ``{a, b}``; gamma ``{a, b}`` with ``b`` the *rate*
    (``stats.gamma(a, scale=1/b)``); normal ``{loc, scale}``; inverse-gamma ``{a, b}`` with
    ``b`` the scale; normal-inverse-gamma ``{mu, lmbda, a, b}`` (scipy's); Dirichlet
    ``{alpha}``; regression ``{mean, cov, a, b}`` (:class:`~bayesgd.priors.NormalInverseGamma`'s)
    or ``{mean, cov}`` over ``[intercept, *coef]`` for the Gaussian known-noise case.

    ``log_evidence`` is the sum over groups of a batched prior; ``group_log_evidence`` gives
    each group's.
    """

    method = "conjugate"
    pair = "conjugate"
    joint: Any = None

    # Subclasses do the hyperparameter update in ``__init__`` and provide everything else
    # (``hyper``, ``prior_hyper``, ``dist``, ``_marginals``, ``_means``, ``_sds``, ``_modes``,
    # ``_group_log_evidence`` and, where there is one, ``joint``) as ``cached_property``: each
    # is computed on first use only, so ``conjugate(model).mean()`` of a million groups costs
    # the update and the mean, not frozen distributions, log-beta functions and copies.
    _hyper: dict[str, Any]
    _prior_hyper: dict[str, Any]
    dist: dict[str, Any]
    _marginals: dict[str, Any]
    _means: dict[str, np.ndarray]
    _sds: dict[str, np.ndarray]
    _modes: dict[str, np.ndarray]
    _group_log_evidence: np.ndarray

    # ---------------------------------------------------------------- hooks
    # Every hook returns a fresh array: a caller writing to what it got cannot reach the
    # cached state (issue 13 item 3).
    def _mean(self, name: str) -> np.ndarray:
        return np.array(self._undefined(self._means[name], name, "mean"), dtype=float)

    def _sd(self, name: str) -> np.ndarray:
        return np.array(self._undefined(self._sds[name], name, "sd"), dtype=float)

    @staticmethod
    def _undefined(value: np.ndarray, name: str, what: str) -> np.ndarray:
        if np.any(np.isnan(value)):
            warnings.warn(
                f"the posterior {what} of {name} does not exist (a t marginal with df <= 1); "
                "nan returned where undefined",
                UserWarning,
                stacklevel=_outside_stacklevel(),
            )
        return value

    def _mode(self) -> dict[str, np.ndarray]:
        return {k: np.array(v, dtype=float) for k, v in self._modes.items()}

    def _quantile(self, name: str, q: np.ndarray) -> np.ndarray:
        shape = self.model.parameters[name].shape
        levels = q.reshape(q.shape + (1,) * len(shape))
        out = self._marginals[name].ppf(levels)
        return np.array(np.broadcast_to(out, q.shape + shape), dtype=float)

    def _hdi(self, name: str, prob: float) -> tuple[np.ndarray, np.ndarray]:
        from ..numerics.intervals import hdi_of_dist

        return hdi_of_dist(self._marginals[name], prob)

    # ------------------------------------------------------------ interface
    @property
    def hyper(self) -> dict[str, Any]:
        """The posterior's hyperparameters (a fresh copy on every access)."""
        return {k: _out(v) for k, v in self._hyper.items()}

    @property
    def prior_hyper(self) -> dict[str, Any]:
        """The prior's hyperparameters, spelled as :attr:`hyper` (a fresh copy)."""
        return {k: _out(v) for k, v in self._prior_hyper.items()}

    @property
    def log_evidence(self) -> float:
        """Log marginal likelihood ``log p(D) = log ∫ p(D|θ) p(θ) dθ`` of all data seen.

        It includes every constant of the likelihood (binomial coefficients, ``1/k!``,
        ``2π``), so it is the exact log probability (density) of the observed data under the
        prior predictive. For a batched prior it is the sum over groups; see
        :attr:`group_log_evidence` for each group's own.
        """
        value = float(np.sum(self._group_log_evidence))
        if not np.isfinite(value):
            raise OverflowError(
                f"log_evidence of the {self.pair} posterior is {value}: log p(D) is beyond the "
                f"float range for these data and hyperparameters (prior {self.prior_hyper})"
            )
        return value

    @property
    def group_log_evidence(self) -> Any:
        """Log evidence of each group of a batched prior (the batch shape; a float if none)."""
        return _out(self._group_log_evidence)

    def predictive(self, **new: Any) -> Any:
        """Posterior predictive of one new observation, as a scipy.stats frozen distribution."""
        raise NotImplementedError

    def marginal(self, element: str) -> Any:
        """The exact marginal of one parameter element, as a scipy.stats frozen distribution.

        ``element`` is a scalar parameter's name or an element label as in :meth:`summary`'s
        rows (``"coef[1]"``, ``"p[2]"``, ``"W[0, 1]"``).

        Examples
        --------
        >>> from scipy import stats
        >>> import bayesgd as bg
        >>> post = bg.conjugate(bg.Categorical(y=[0, 2, 2], p=stats.dirichlet([1, 1, 1])))
        >>> post.marginal("p[2]").args  # Beta(alpha_2, sum(alpha) - alpha_2)
        (3.0, 3.0)
        """
        name, index = _parse_element(self.model, element)
        frozen = self._marginals[name]
        shape = self.model.parameters[name].shape

        def pick(value: Any) -> float:
            return float(np.broadcast_to(np.asarray(value, dtype=float), shape)[index])

        args = tuple(pick(v) for v in frozen.args)
        kwds = {k: pick(v) for k, v in frozen.kwds.items()}
        return frozen.dist(*args, **kwds)

    def marginal_pdf(self, element: str, x: Any) -> np.ndarray:
        """Exact marginal posterior density of one parameter element at ``x``.

        Parameters
        ----------
        element : str
            A scalar parameter's name, or an element label as in :meth:`summary`'s rows
            (``"coef[1]"``, ``"p[2]"``).
        x : array_like
            Points at which to evaluate the density (any shape; 0 outside the support).

        Returns
        -------
        numpy.ndarray
            The density, the shape of ``x``.

        Examples
        --------
        >>> from scipy import stats
        >>> import bayesgd as bg
        >>> post = bg.conjugate(bg.Binomial(k=7, n=10, p=stats.beta(2, 2)))
        >>> float(post.marginal_pdf("p", 0.5)) == float(stats.beta(9, 5).pdf(0.5))
        True
        """
        try:
            points = np.asarray(x, dtype=float)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"x must be real numbers, got {x!r}") from exc
        return np.asarray(self.marginal(element).pdf(points), dtype=float)

    def updated(self, **data: Any) -> ConjugatePosterior:
        """A new posterior that has also seen ``data``; this one is left unchanged.

        Sufficient statistics are merged, so any sequence of updates equals one batch.

        Examples
        --------
        >>> from scipy import stats
        >>> import bayesgd as bg
        >>> post = bg.conjugate(bg.Bernoulli(y=[1, 0], p=stats.beta(1, 1)))
        >>> post.updated(y=[1, 1]).hyper, post.hyper
        ({'a': 4.0, 'b': 2.0}, {'a': 2.0, 'b': 2.0})
        """
        from .dispatch import conjugate

        return conjugate(_model_with(self.model, data))

    def update(self, **data: Any) -> None:
        """Also see ``data``, in place (like ``dict.update``); returns ``None``.

        Bad data raise before anything changes. ``post.model`` becomes a new model holding
        all data seen; the model the posterior was built from is not changed.

        Examples
        --------
        >>> from scipy import stats
        >>> import bayesgd as bg
        >>> post = bg.conjugate(bg.Bernoulli(y=[1, 0], p=stats.beta(1, 1)))
        >>> for chunk in ([1], [1]):
        ...     post.update(y=chunk)
        >>> post.hyper
        {'a': 4.0, 'b': 2.0}
        """
        new = self.updated(**data)
        self.__class__ = type(new)
        self.__dict__.clear()
        self.__dict__.update(new.__dict__)

    def __repr__(self) -> str:
        hyper = {
            k: (v if np.ndim(v) == 0 else f"array{np.shape(v)}") for k, v in self.hyper.items()
        }
        head = f"<ConjugatePosterior {self.pair} {hyper} of {self.model!r}>"
        if self.model.size > 20:
            return head
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            try:
                table = self.summary().to_string()
            except ValueError:  # e.g. a U-shaped marginal has no single HDI
                return head
        return f"{head}\n{table}"
