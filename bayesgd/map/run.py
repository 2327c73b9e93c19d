"""One start of :func:`bayesgd.map_estimate`: the optimisation loop, round by round."""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import optim
from ..errors import ConvergenceWarning, DivergenceError

if TYPE_CHECKING:
    pass
from ._constants import (
    _BLOWUP,
    _FIRST_CHECK,
    _STUCK,
    _ULPS,
    _UNSETTLED,
)
from .advice import _other_optimizer, _stable_step_advice
from .edges import _EdgeProbes
from .result import _Outcome, _params_text, _Recorder, _scalarise

__all__: list[str] = []


@dataclass
class _Cursor:
    """Where a run is: the point, its loss and gradient, the free coordinates, counters."""

    u: np.ndarray
    value: float
    grad: np.ndarray
    free: np.ndarray
    it: int = 0
    rounds: int = 0
    nudges: int = 0
    status: str = ""


@dataclass
class _Sub:
    """The problem over the free coordinates ``idx``: objective ``f``, point ``x``, gradient."""

    f: Any
    idx: np.ndarray
    x: np.ndarray
    g: np.ndarray


@dataclass
class _Loop:
    """The state of one descent: the optimizer's state, the best point, the checks' clocks."""

    state: Any
    best_value: float
    best_x: np.ndarray
    best_g: np.ndarray
    best_state: Any
    next_check: int
    checked: tuple[np.ndarray, float, int]
    it_round: int
    prev: float = math.nan
    stuck: int = 0


class _Run(_EdgeProbes):
    """One start of :func:`map_estimate`: rounds of descent over the coordinates not held at an
    edge, each ended by a check of the edges (see :mod:`bayesgd.map.edges`)."""

    def __init__(self, space, opt, *, jacobian, max_iter, tol, record, progress, label):
        self.space = space
        self.opt = opt
        self.jacobian = jacobian
        self.max_iter = max_iter
        self.tol = tol
        self.record = record
        self.progress = _Progress(opt.name, label) if progress else None
        self.n_evals = 0
        inner = space.objective(jacobian=jacobian)

        def counted(u: np.ndarray) -> tuple[float, np.ndarray]:
            self.n_evals += 1
            return inner(u)

        self.fun = counted
        self.edge = np.zeros(space.dim)  # -1 / +1: held at that edge; 0: free
        self.edge_from = np.zeros(space.dim)  # the interior value a held coordinate came from
        self.unsettled: tuple[float, float, float] | None = None  # (last, best, suggested lr)
        self.rec: _Recorder | None = None

    # ----------------------------------------------------------------------------- run
    def solve(self, u0: np.ndarray, *, first: bool) -> _Outcome:
        c = self._start(u0, first)
        while self._round(c):
            pass
        return self._finish(c.u, c.value, c.grad, c.free, c.status, c.it, self.rec)

    def _start(self, u0: np.ndarray, first: bool) -> _Cursor:
        u = np.array(u0, dtype=float)
        value, grad = self.fun(u)
        if not (math.isfinite(value) and np.all(np.isfinite(grad))):
            what = "log density" if not math.isfinite(value) else "gradient of the log density"
            raise ValueError(
                f"the {what} is not finite at the starting point {self._theta_text(u)} "
                f"(loss {value}); map_estimate needs a start where the model has positive, "
                "finite density: pass init= with such a point"
                + ("" if first else " (this start was drawn from the prior)")
            )
        self.rec = _Recorder(self.space.dim, self.max_iter + 1) if self.record else None
        if self.rec is not None:
            self.rec.add(u, value, float(np.sqrt(grad @ grad)), math.nan)
        return _Cursor(u, value, grad, np.ones(self.space.dim, dtype=bool))

    def _hold_found(self, c: _Cursor, found: dict[int, int]) -> None:
        """Hold the coordinates ``found`` at their edges and re-evaluate there."""
        c.u = c.u.copy()  # may be an optimizer's read-only array
        self._hold(c.u, found)
        c.free = self.edge == 0
        c.value, c.grad = self.fun(c.u)

    def _round(self, c: _Cursor) -> bool:
        """One round: hold reachable edges, descend over the rest, check the edges again.
        Returns whether another round is needed."""
        c.rounds += 1
        if self.space.has_edges and c.it < self.max_iter:
            found = self._probe(c.u, c.value, c.grad, c.free)
            if found:
                self._hold_found(c, found)
        if not c.free.any():
            c.status = "edge"
            return False
        sub = self._subproblem(c)
        loop = self._loop(c, sub)
        if self._descend(c, sub, loop):
            return True  # an edge was reached mid-run: a new round over the others
        self._after_descent(c, sub, loop)
        if self._nudge(c, sub, loop):
            return True
        c.u = _embed(c.u, sub.idx, sub.x)
        c.grad = np.zeros(self.space.dim)
        c.grad[sub.idx] = sub.g
        return self._settle_edges(c) and c.it < self.max_iter

    def _subproblem(self, c: _Cursor) -> _Sub:
        idx = np.flatnonzero(c.free)
        if c.free.all():
            return _Sub(self.fun, idx, c.u, c.grad)
        base, fun = c.u.copy(), self.fun

        def f_sub(v):
            w = base.copy()
            w[idx] = v
            L, gw = fun(w)
            return L, gw[idx]

        return _Sub(f_sub, idx, c.u[idx].copy(), c.grad[idx])

    def _loop(self, c: _Cursor, sub: _Sub) -> _Loop:
        state = self.opt.init(sub.x)
        return _Loop(
            state=state,
            best_value=c.value,
            best_x=sub.x,
            best_g=sub.g,
            best_state=state,
            next_check=max(_FIRST_CHECK, 2 * c.it),
            checked=(_embed(c.u, sub.idx, sub.x).copy(), c.value, c.it),
            it_round=c.it,
        )

    def _descend(self, c: _Cursor, sub: _Sub, loop: _Loop) -> bool:
        """Iterate the optimizer until it stops (``c.status``); True when an edge was found
        and held mid-run (the round restarts)."""
        while True:
            status = self._stop_reason(c, sub, loop) or self._iterate(c, sub, loop)
            status = status or self._periodic_check(c, sub, loop)
            if status == "restart":
                return True
            if status:
                c.status = status
                return False

    def _stop_reason(self, c: _Cursor, sub: _Sub, loop: _Loop) -> str | None:
        gnorm = math.sqrt(float(sub.g @ sub.g))
        scale = max(1.0, abs(c.value))
        if gnorm <= self.tol * scale and not (abs(loop.prev - c.value) > self.tol * scale):
            return "converged"
        if c.it >= self.max_iter:
            return "max_iter"
        if getattr(loop.state, "stalled", False):
            return "stalled"
        return None

    def _iterate(self, c: _Cursor, sub: _Sub, loop: _Loop) -> str | None:
        """One update; raises DivergenceError on a non-finite or exploding loss."""
        step, loop.state = self.opt.update(sub.g, loop.state, sub.x, value=c.value, fun=sub.f)
        x_new = sub.x + step
        last = getattr(loop.state, "last_eval", None)
        if last is not None and np.array_equal(last[0], x_new):
            value_new, g_new = float(last[1]), last[2]
        else:
            value_new, g_new = sub.f(x_new)
        c.it += 1
        if not (
            math.isfinite(value_new)
            and np.all(np.isfinite(g_new))
            and value_new - loop.best_value <= _BLOWUP * (1.0 + abs(loop.best_value))
        ):
            best = (loop.best_x, loop.best_g, loop.best_state)
            u_last = _embed(c.u, sub.idx, sub.x)
            raise self._divergence(c.it, value_new, g_new, u_last, best, sub.f)
        # rounding, not curvature, limits a step this short that does not lower the loss
        # (large counts make gradient noise exceed tol * |L|): stop as stalled
        no_progress = value_new >= c.value and _ulps_short(step, sub.x)
        loop.stuck = loop.stuck + 1 if no_progress else 0
        loop.prev, sub.x, c.value, sub.g = c.value, x_new, value_new, g_new
        if loop.stuck >= _STUCK:
            return "stalled"
        if c.value < loop.best_value:
            loop.best_value, loop.best_x, loop.best_g = c.value, sub.x, sub.g
            loop.best_state = loop.state
        gnorm = math.sqrt(float(sub.g @ sub.g))
        if self.rec is not None:
            u_now = self._report_u(_embed(c.u, sub.idx, sub.x))
            self.rec.add(u_now, c.value, gnorm, math.sqrt(float(step @ step)))
        if self.progress is not None:
            self.progress.update(c.it, c.value, gnorm)
        return None

    def _periodic_check(self, c: _Cursor, sub: _Sub, loop: _Loop) -> str | None:
        """At iterations 16, 32, 64, ...: edges reached, an unbounded density, a kink."""
        if c.it != loop.next_check:
            return None
        loop.next_check *= 2
        full_u = _embed(c.u, sub.idx, sub.x)
        if self.space.has_edges:
            full_g = np.zeros(self.space.dim)
            full_g[sub.idx] = sub.g
            found = self._probe(full_u, c.value, full_g, c.free)
            if found:
                c.u = full_u
                self._hold_found(c, found)
                return "restart"
            self._check_unbounded(full_u, c.value, loop.checked, c.free, c.it)
        loop.checked = (full_u.copy(), c.value, c.it)
        return "kink" if self._at_kink(sub.f, sub.x, c.value, sub.g) else None

    def _after_descent(self, c: _Cursor, sub: _Sub, loop: _Loop) -> None:
        """A stop at a kink, and a run that never settled (its advice on lr)."""
        if c.status in ("stalled", "max_iter") and self._at_kink(sub.f, sub.x, c.value, sub.g):
            c.status = "kink"
        overshoot = c.value - loop.best_value > _UNSETTLED * max(1.0, abs(loop.best_value))
        if c.status == "max_iter" and overshoot:
            try:
                lr = optim.suggest_step_size(sub.f, loop.best_x, loop.best_g)
            except Exception:  # the suggestion must never hide the report itself
                lr = math.nan
            self.unsettled = (c.value, loop.best_value, lr)

    def _nudge(self, c: _Cursor, sub: _Sub, loop: _Loop) -> bool:
        """A start exactly at a stationary point (zero gradient) that is not a minimum: move
        to a lower point nearby and go on (True), at most three times."""
        if not (c.status == "converged" and c.it == loop.it_round and c.nudges < 3):
            return False
        lower = self._descend_from_stationary(sub.f, sub.x, c.value)
        if lower is None:
            return False
        c.nudges += 1
        c.u = _embed(c.u, sub.idx, lower).copy()
        c.value, c.grad = self.fun(c.u)
        return True

    def _settle_edges(self, c: _Cursor) -> bool:
        """At the end of a round: edges reached by converging, and whether each held
        coordinate still belongs on its edge. Returns whether anything changed."""
        if not (self.space.has_edges and c.rounds < 6):
            return False
        changed = False
        found = self._probe(c.u, c.value, c.grad, c.free)
        if found:
            c.u = c.u.copy()  # may be an optimizer's read-only array
            self._hold(c.u, found)
            changed = True
        for j in np.flatnonzero(self.edge != 0):
            if j in found:
                continue
            trial = c.u.copy()
            trial[j] = self.edge_from[j]
            tv, tg = self.fun(trial)
            mask = np.zeros(self.space.dim, dtype=bool)
            mask[j] = True
            if not self._probe(trial, tv, tg, mask):
                c.u = trial
                self.edge[j] = 0
                changed = True
        if changed:
            c.free = self.edge == 0
            c.value, c.grad = self.fun(c.u)
        return changed

    def _finish(self, u, value, grad, free, status, it, rec) -> _Outcome:
        space = self.space
        out = _Outcome()
        out.warnings = []
        u_rep = self._report_u(u)
        held = self.edge != 0
        if held.any():
            value = float(space.loss(u_rep, jacobian=self.jacobian))
        g_free = grad[free] if free.any() else np.zeros(0)
        gnorm = math.sqrt(float(g_free @ g_free))
        scale = max(1.0, abs(value)) if math.isfinite(value) else 1.0
        if status == "kink":
            converged = True
            message = (
                "converged at a kink: the loss is not differentiable at the mode (e.g. the "
                "peak of a Laplace prior) and rises in every probed direction on both sides, "
                f"so 0 is a subgradient; |grad| = {gnorm:.3g} is a one-sided gradient"
            )
        elif status == "stalled":
            converged = gnorm <= math.sqrt(self.tol) * scale
            message = (
                "stopped: the line search can no longer decrease the loss at floating-point "
                f"precision (|grad| = {gnorm:.3g})"
            )
        elif status == "max_iter" and self.unsettled is not None:
            converged = False
            last, best, lr = self.unsettled
            message = (
                f"the loss never settled in max_iter={self.max_iter} iterations: it ended at "
                f"{last:.6g}, far above the best {best:.6g} seen, so the steps overshoot (the "
                "step size is too large for the curvature here)"
            )
        elif status == "max_iter":
            converged = False
            message = (
                f"stopped after max_iter={self.max_iter} iterations before reaching tol="
                f"{self.tol:g} (|grad| = {gnorm:.3g}, loss scale {scale:.3g})"
            )
        else:
            converged = True
            message = f"converged: |grad| = {gnorm:.3g} <= tol * max(1, |loss|)"
        if status == "edge":
            message = "every coordinate is on the edge: nothing left to optimise"
        if not converged:
            if self.unsettled is None:
                advice = "increase max_iter, loosen tol, "
            elif math.isfinite(lr := self.unsettled[2]):
                advice = f"lower lr (about {lr:.3g} fits the curvature at the best point), "
            else:
                advice = "lower lr, "
            advice += _other_optimizer(self.opt.name)
            out.warnings.append(
                (ConvergenceWarning, f"map_estimate did not converge: {message}; {advice}")
            )
        if self.progress is not None:
            self.progress.close(it, value, gnorm)
        out.u = u_rep
        out.value = value
        out.grad_norm = gnorm
        out.iterations = it
        out.status = status
        out.message = message
        out.n_evals = self.n_evals
        out.edge = held
        out.history = rec
        out.converged = converged
        return out

    def _divergence(self, it, value_new, g_new, u_last, best, f_sub):
        try:
            lr, hint = _stable_step_advice(self.opt, f_sub, *best)
        except Exception:  # the suggestion must never hide the divergence itself
            lr, hint = math.nan, "no step size could be suggested"
        if math.isfinite(value_new) and np.all(np.isfinite(g_new)):
            what = f"the loss blew up to {value_new:.6g}"
        elif not math.isfinite(value_new):
            what = f"the loss became {value_new}"
        else:
            what = "the gradient became non-finite"
        last = self.space.snap_to_edges(
            self.space.to_constrained(self._report_u(u_last)), self._report_u(u_last)
        )
        return DivergenceError(
            f"{self.opt.name} diverged at iteration {it}: {what}. Last finite point: "
            f"{_params_text(last)}. The step is too large for the local curvature; "
            f"{hint}; {_other_optimizer(self.opt.name)}.",
            iteration=int(it),
            last_params={n: _scalarise(v) for n, v in last.items()},
            suggested_lr=lr,
            reason="nonfinite"
            if what.startswith("the loss became") or "gradient" in what
            else "blowup",
        )


class _Progress:
    """A progress line on stderr, rewritten at most every 0.1 s."""

    def __init__(self, name: str, label: str):
        self.prefix = f"map_estimate[{name}]" + (f" {label}" if label else "")
        self.last = 0.0
        self.shown = False

    def update(self, it: int, loss: float, gnorm: float, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self.last >= 0.1:
            self.last = now
            self.shown = True
            sys.stderr.write(
                f"\r{self.prefix} iter {it:>7d}  loss {loss: .10g}  |grad| {gnorm:.3e}   "
            )
            sys.stderr.flush()

    def close(self, it: int, loss: float, gnorm: float) -> None:
        self.update(it, loss, gnorm, force=True)
        sys.stderr.write("\n")
        sys.stderr.flush()


def _ulps_short(step: np.ndarray, x: np.ndarray) -> bool:
    """Whether ``step`` is at most ``_ULPS`` ulps of ``max(1, |x|)`` in every coordinate."""
    tiny = _ULPS * np.finfo(float).eps * max(1.0, float(np.max(np.abs(x))))
    return float(np.max(np.abs(step))) <= tiny


def _embed(u: np.ndarray, idx: np.ndarray, x: np.ndarray) -> np.ndarray:
    if x.shape[0] == u.shape[0]:
        return x
    out = u.copy()
    out[idx] = x
    return out
