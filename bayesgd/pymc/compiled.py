"""Compiled log densities of a PyMC model, vectorised over batch points, for :class:`PyMCModel`.

:class:`_PyMCEvaluator` holds the log prior, log likelihood and their gradients in PyMC's value
space, compiled as PyMC compiles them (failed parameter checks give -inf) and vectorised by
:class:`_Batched`; :func:`_supports` reads from PyMC the support of every value variable.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    pass

__all__ = []


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
