"""Build the walkthrough notebooks in ``notebooks/`` from the readable sources in this file.

Each notebook is one string below, in the "percent" format: a line ``# %% [markdown]`` starts a
markdown cell, a line ``# %%`` starts a code cell. Edit the source here, then run::

    python scripts/build_notebooks.py            # write notebooks/*.ipynb (no outputs)
    python scripts/build_notebooks.py --check    # exit 1 if a notebook differs from its source
    python scripts/build_notebooks.py --execute  # also run them, outputs kept in build/notebooks

The committed notebooks carry no outputs, so diffs stay small; the test suite
(``tests/test_notebooks.py``) executes every one from a clean kernel.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat

__all__ = ["NOTEBOOKS", "build", "cells_of", "main", "notebook"]

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
EXECUTED_DIR = ROOT / "build" / "notebooks"  # git-ignored

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def cells_of(source: str) -> list[tuple[str, str]]:
    """Split a percent-format source into ``(kind, text)`` cells, kind ``markdown``/``code``."""
    cells: list[tuple[str, list[str]]] = []
    for line in source.strip("\n").splitlines():
        if line.startswith("# %%"):
            kind = "markdown" if "[markdown]" in line else "code"
            cells.append((kind, []))
        elif not cells:
            raise ValueError(f"text before the first cell marker: {line!r}")
        else:
            cells[-1][1].append(line)
    return [(kind, "\n".join(lines).strip("\n")) for kind, lines in cells]


def notebook(source: str) -> nbformat.NotebookNode:
    """A notebook (nbformat 4, no outputs, stable cell ids) from a percent-format source."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    for i, (kind, text) in enumerate(cells_of(source)):
        make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        cell = make(text)
        cell.id = f"cell-{i:02d}"
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def _text(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb) + "\n"


# ==========================================================================================
NB01 = r"""
# %% [markdown]
# Bayes' rule on a grid and in closed form

Bayes' rule says how a belief about an unknown $\theta$ changes after seeing data $D$:

$$
p(\theta \mid D) = \frac{p(D \mid \theta)\, p(\theta)}{p(D)}, \qquad
p(D) = \int p(D \mid \theta)\, p(\theta)\, d\theta .
$$

The **prior** $p(\theta)$ is what we believed before, the **likelihood** $p(D \mid \theta)$ how
probable the data are for each value of $\theta$, and the **posterior** $p(\theta \mid D)$ what
we believe after. The denominator $p(D)$, the **evidence**, only makes the posterior integrate to
one.

This notebook computes a posterior twice: numerically, by evaluating prior × likelihood on a grid
of $\theta$ values, and exactly, with the closed-form (conjugate) update. Then it updates the
posterior one batch of data at a time.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import logsumexp

import bayesgd as bg

rng = np.random.default_rng(20240601)

# %% [markdown]
## A coin

We flip a coin 20 times. Its probability of heads, $p$, is what we want to learn. (The coin is
simulated with $p = 0.7$, so we can see how close to the truth 20 flips get us.)

# %%
flips = (rng.random(20) < 0.7).astype(int)
print(flips, "->", flips.sum(), "heads in", flips.size, "flips")

# %% [markdown]
## The model: data + likelihood + prior

In bayesgd a model is the data, a likelihood family and a prior for each unknown. Priors are
`scipy.stats` distributions. We take a Beta(2, 2) prior: it says $p$ is probably not very close
to 0 or 1, and nothing more. Each flip is a Bernoulli trial:

$$
p(D \mid p) = \prod_i p^{y_i} (1 - p)^{1 - y_i} = p^{k} (1 - p)^{n - k},
$$

with $k$ heads in $n$ flips: the likelihood depends on the data only through $(k, n)$, its
*sufficient statistics*, which the model computes once.

# %%
model = bg.Bernoulli(y=flips, p=stats.beta(2, 2))
print(model)
print("parameters:", model.names, " sufficient statistics:", model.stats)

# %% [markdown]
## Bayes' rule by hand, on a grid

Evaluate the log prior and the log likelihood at 1001 values of $p$ (one vectorised call each),
add them, and normalise. Working in log space keeps the numbers representable however much data
there is; `logsumexp` does the normalisation stably. The sum of the unnormalised posterior times
the grid spacing approximates the evidence $p(D)$.

# %%
p_grid = np.linspace(0.0005, 0.9995, 1000)  # cell centres of 1000 cells on (0, 1)
h = p_grid[1] - p_grid[0]
log_prior = model.log_prior(p=p_grid)
log_lik = model.log_likelihood(p=p_grid)
log_unnorm = log_prior + log_lik
log_evidence_by_hand = logsumexp(log_unnorm) + np.log(h)
posterior_by_hand = np.exp(log_unnorm - log_evidence_by_hand)  # a density on (0, 1)

mean_by_hand = np.sum(p_grid * posterior_by_hand) * h
sd_by_hand = np.sqrt(np.sum((p_grid - mean_by_hand) ** 2 * posterior_by_hand) * h)
print(
    f"posterior mean {mean_by_hand:.6f}, sd {sd_by_hand:.6f}, "
    f"log evidence {log_evidence_by_hand:.6f}"
)

# %% [markdown]
`bg.plots.plot_bayes` draws the three ingredients on one axis. The likelihood is not a density
in $p$, so it is scaled to integrate to one, to share the axis: the posterior sits between the
prior and the likelihood, closer to the likelihood because 20 flips say more than a Beta(2, 2)
prior.

# %%
ax = bg.plots.plot_bayes(model)
ax.axvline(flips.mean(), color="tab:blue", linewidth=0.8, linestyle=":")
ax.set_title(f"{flips.sum()} heads in {flips.size} flips, Beta(2, 2) prior");

# %% [markdown]
## The closed form

For this prior and likelihood the integral has a closed form. Multiply the Beta(a, b) density
$\propto p^{a-1}(1-p)^{b-1}$ by the likelihood $p^{k}(1-p)^{n-k}$ and you get another Beta:

$$
p \mid D \sim \mathrm{Beta}(a + k,\; b + n - k).
$$

A prior whose posterior stays in the same family is *conjugate* to the likelihood.
`bg.conjugate` applies the update and returns `scipy.stats` marginals (`post.dist`), the
evidence and the posterior predictive.

# %%
post = bg.conjugate(model)
k, n = flips.sum(), flips.size
print(post.hyper, "== Beta(2 +", k, ", 2 +", n - k, ")")
assert np.isclose(post.hyper["a"], 2 + k) and np.isclose(post.hyper["b"], 2 + n - k)
low, high = post.hdi(0.94)["p"]
print(f"94% highest-density interval ({low:.3f}, {high:.3f}); the coin's true p is 0.7")
post

# %% [markdown]
## The grid against the closed form, side by side

`bg.grid` does what we did by hand, more carefully: it places the grid where the posterior has
mass and integrates cell by cell. All three answers agree; the grid's errors are far below the
posterior's own spread.

# %%
grid_post = bg.grid(model)


def row(name, mean, sd, q05, q95, log_evidence):
    return {
        "method": name,
        "mean": mean,
        "sd": sd,
        "5%": q05,
        "95%": q95,
        "log evidence": log_evidence,
    }


cdf = np.cumsum(posterior_by_hand) * h
table = pd.DataFrame(
    [
        row(
            "conjugate (exact)",
            post.mean()["p"],
            post.sd()["p"],
            *np.ravel(post.quantile([0.05, 0.95])["p"]),
            post.log_evidence,
        ),
        row(
            "bg.grid",
            grid_post.mean()["p"],
            grid_post.sd()["p"],
            *np.ravel(grid_post.quantile([0.05, 0.95])["p"]),
            grid_post.log_evidence,
        ),
        row(
            "grid by hand",
            mean_by_hand,
            sd_by_hand,
            *np.interp([0.05, 0.95], cdf, p_grid + h / 2),
            log_evidence_by_hand,
        ),
    ]
).set_index("method")
table.round(6)

# %%
exact = table.loc["conjugate (exact)"]
for method in ["bg.grid", "grid by hand"]:
    error = (table.loc[method] - exact).abs()
    print(f"{method:>13}: largest difference {error.max():.2g}")
    assert error.max() < 1e-3
assert (table.loc["bg.grid"] - exact).abs().max() < 1e-6

# %% [markdown]
The exact evidence is also the probability of this exact sequence of flips under the prior
predictive: a Beta function ratio, $B(a + k, b + n - k) / B(a, b)$.

# %%
from scipy.special import betaln

print(post.log_evidence, betaln(2 + k, 2 + n - k) - betaln(2, 2))

# %% [markdown]
## Sequential updating: today's posterior is tomorrow's prior

Data can arrive in batches. Updating with the first batch gives a posterior; using that
posterior as the prior for the next batch gives the same result as updating with everything at
once, because the likelihood of independent flips multiplies. `bg.plots.plot_updates` draws each
step (dashed: before the batch, solid: after).

# %%
batches = [{"y": flips[:2]}, {"y": flips[2:6]}, {"y": flips[6:12]}, {"y": flips[12:]}]
start = bg.Bernoulli(y=[], p=stats.beta(2, 2))  # no data yet: the posterior is the prior
fig, axes = plt.subplots(1, 4, figsize=(14, 3.2), layout="constrained")
bg.plots.plot_updates(start, batches, axes=axes)
for ax, batch in zip(axes, batches, strict=True):
    ax.set_title(f"+{batch['y'].size} flips ({batch['y'].sum()} heads)")

# %%
sequential = bg.conjugate(start)
for batch in batches:
    sequential = sequential.update(**batch)
print("one batch at a time:", sequential.hyper, " all at once:", post.hyper)
assert sequential.hyper == post.hyper

# %% [markdown]
## What the posterior predicts

The probability that the next flip is heads averages $p$ over the posterior: it is the
posterior mean, $(a + k) / (a + b + n)$, not the single most probable $p$ (the mode,
$(a + k - 1) / (a + b + n - 2)$). `post.predictive()` returns it as a `scipy.stats` distribution.

# %%
next_flip = post.predictive()
print(
    f"P(next flip is heads) = {next_flip.pmf(1):.4f};  posterior mean {post.mean()['p']:.4f};"
    f"  posterior mode {post.mode()['p']:.4f}"
)
assert np.isclose(next_flip.pmf(1), post.mean()["p"])

# %% [markdown]
## What to take away

* The posterior is prior × likelihood, normalised. On one or two parameters a grid computes it
  directly, in log space.
* When the prior is conjugate the update is a formula; `bg.conjugate` gives it, and `bg.grid`
  agrees with it to many digits.
* Updating in batches equals updating at once.
* The mode and the mean of the posterior differ. The next notebook finds the mode by gradient
  descent, and the rest of the series asks when that single point is a good summary.
"""

# ==========================================================================================
NB02 = r"""
# %% [markdown]
# Gradient descent on the negative log posterior

The posterior mode, the **MAP** (maximum a posteriori) estimate, is the $\theta$ where
$p(\theta \mid D)$ is largest. Take logs and flip the sign: it is the minimum of the **loss**

$$
L(\theta) = -\log p(D \mid \theta) - \log p(\theta)
\;\;\big(= -\log p(\theta \mid D) - \log p(D)\big).
$$

The evidence $p(D)$ does not depend on $\theta$, so the unnormalised posterior is enough.
Gradient descent finds the minimum by walking downhill:

$$
\theta \leftarrow \theta - \alpha \, \frac{\partial L}{\partial \theta},
$$

with a **learning rate** (step size) $\alpha$. This notebook does a few steps by hand, checks them
against `bg.map_estimate`, shows what the learning rate does, and compares plain gradient descent
with momentum, Adam and the default optimizer.

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats

import bayesgd as bg

rng = np.random.default_rng(7)

# %% [markdown]
## One unknown: the mean of a Normal

Twenty measurements with a known noise standard deviation $\sigma = 2$, and a Normal(0, 10)
prior on their mean $\mu$.

# %%
sigma = 2.0
y = rng.normal(3.0, sigma, size=20)
model = bg.Normal(y=y, mu=stats.norm(0, 10), sigma=sigma)
print(model, " sample mean", y.mean().round(4))

# %% [markdown]
Written out, up to constants,

$$
L(\mu) = \sum_i \frac{(y_i - \mu)^2}{2\sigma^2} + \frac{\mu^2}{2 \cdot 10^2}, \qquad
\frac{\partial L}{\partial \mu} = -\sum_i \frac{y_i - \mu}{\sigma^2} + \frac{\mu}{10^2}.
$$

The model computes $\log p(D \mid \theta) + \log p(\theta)$ (`model.log_density`) and its
gradient (`model.grad_log_density`) analytically; $L$ and $\partial L / \partial \mu$ are their
negatives. A check at $\mu = 1$:

# %%
mu = 1.0
by_formula = -np.sum(y - mu) / sigma**2 + mu / 10**2
by_model = -model.grad_log_density(mu=mu)["mu"]
print(f"dL/dmu at mu = 1: formula {by_formula:.10f}, model {float(by_model):.10f}")
assert np.isclose(by_formula, by_model)

# %% [markdown]
## Five steps by hand

Start where `map_estimate` starts, at the prior median ($\mu_0 = 0$), with $\alpha = 0.05$.

# %%
lr = 0.05
mu = 0.0
rows = []
for t in range(6):
    loss = -float(model.log_density(mu=mu))
    grad = -float(model.grad_log_density(mu=mu)["mu"])
    rows.append({"iteration": t, "mu": mu, "loss": loss, "dL/dmu": grad, "step": -lr * grad})
    mu = mu - lr * grad  # the update rule
by_hand = pd.DataFrame(rows).set_index("iteration")
by_hand

# %% [markdown]
`bg.map_estimate` with `optimizer="gd"` runs exactly this rule (in the parameter's unconstrained
coordinate, which for $\mu$ is $\mu$ itself) until the gradient vanishes. With `record=True`,
the default, it keeps every iterate in `fit.history`: the same numbers.

# %%
fit = bg.map_estimate(model, optimizer="gd", lr=lr)
print(fit)
fit.history.head(6)

# %%
np.testing.assert_allclose(fit.history["mu"][:6], by_hand["mu"], rtol=1e-12)
np.testing.assert_allclose(fit.history["loss"][:6], by_hand["loss"], rtol=1e-12)
np.testing.assert_allclose(fit.history["grad_norm"][:6], by_hand["dL/dmu"].abs(), rtol=1e-12)

# %% [markdown]
The prior is conjugate, so the exact posterior is known: a Normal whose mean and mode are
$\mu_n = \frac{\sum_i y_i / \sigma^2}{n / \sigma^2 + 1/10^2}$. Gradient descent lands on it to
about eight digits (the default tolerance).

# %%
exact = bg.conjugate(model)
print(f"gradient descent {fit.params['mu']:.10f}, exact mode {exact.mode()['mu']:.10f}")
assert np.isclose(fit.params["mu"], exact.mode()["mu"], rtol=1e-8)

# %% [markdown]
`bg.plots.plot_loss_and_gradient` draws the loss and its derivative with the iterates on both:
the steps shrink as the slope flattens toward the minimum, where $\partial L / \partial \mu = 0$.

# %%
bg.plots.plot_loss_and_gradient(model, fit);

# %% [markdown]
## The learning rate: too small, right, too large

The loss is a parabola with curvature $H = \partial^2 L / \partial \mu^2 = n / \sigma^2 + 1/10^2$.
One step multiplies the distance to the minimum by $1 - \alpha H$:

$$
\mu_{t+1} - \mu^\ast = (1 - \alpha H)(\mu_t - \mu^\ast).
$$

So $\alpha = 1/H$ jumps to the minimum in one step, any $\alpha < 2/H$ converges (oscillating
when $\alpha > 1/H$), and $\alpha > 2/H$ makes every step overshoot further than the last.

# %%
H = y.size / sigma**2 + 1 / 10**2
print(f"H = {H:.4f}:  1/H = {1 / H:.4f},  2/H = {2 / H:.4f}")

# %%
runs = {}
rows = []
for lr_try in [0.002, 0.1, 0.35, 0.45]:
    row = {"lr": lr_try, "1 - lr H": 1 - lr_try * H}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            runs[lr_try] = result = bg.map_estimate(model, optimizer="gd", lr=lr_try, max_iter=300)
            row.update(
                iterations=result.iterations,
                converged=result.converged,
                mu=result.params["mu"],
            )
        except bg.DivergenceError as error:
            row.update(outcome="DivergenceError")
            divergence = error
    row["warnings"] = "; ".join(type(w.message).__name__ for w in caught)
    rows.append(row)
pd.DataFrame(rows).set_index("lr")

# %% [markdown]
* $\alpha = 0.002$ is too small: after 300 iterations it is still on its way, and
  `map_estimate` says so with a `ConvergenceWarning` and `converged=False`.
* $\alpha = 0.1$ converges quickly; $\alpha = 0.35$ too, overshooting the minimum at every step.
* $\alpha = 0.45 > 2/H$ diverges. `map_estimate` does not return a silent NaN: it raises
  `bg.DivergenceError`, naming the iteration and suggesting a step size from the local curvature:

# %%
print(divergence)

# %% [markdown]
The contraction factor can be read off the history: successive distances to the mode shrink by
exactly $|1 - \alpha H|$.

# %%
for lr_try in [0.1, 0.35]:
    distance = runs[lr_try].history["mu"].to_numpy()[:8] - exact.mode()["mu"]
    ratio = distance[1:] / distance[:-1]
    print(f"lr = {lr_try}: ratios {np.round(ratio, 6)}; 1 - lr H = {1 - lr_try * H:.6f}")
    np.testing.assert_allclose(ratio, 1 - lr_try * H, rtol=1e-6)

# %%
fig, axes = plt.subplots(2, 2, figsize=(10, 6.5), layout="constrained")
for row_axes, lr_try in zip(axes, [0.1, 0.35], strict=True):
    bg.plots.plot_loss_and_gradient(model, runs[lr_try], axes=row_axes)
    row_axes[0].set_title(f"lr = {lr_try}")

# %% [markdown]
## Convergence, on a log scale

`bg.plots.plot_convergence` plots the loss above its final value and the gradient norm against
the iteration on a log scale, and the length of each step. A fixed factor per step is a straight
line: this is *linear* convergence. The loss gap falls twice as steeply as the gradient, because
near the minimum $L - L^\ast \propto (\mu - \mu^\ast)^2$ while
$\partial L / \partial \mu \propto \mu - \mu^\ast$.

# %%
axes = bg.plots.plot_convergence(runs[0.1])
axes[0].set_title("lr = 0.1");

# %% [markdown]
## Keeping every θ, or only the last

`record=True` (the default) stores the whole path, which the plots above need. With
`record=False` only the current iterate is kept: memory stays constant however many iterations
run, the answer is the same, and `history` is `None`.

# %%
slow_recorded = bg.map_estimate(model, optimizer="gd", lr=0.01, max_iter=20_000)
slow_last_only = bg.map_estimate(model, optimizer="gd", lr=0.01, max_iter=20_000, record=False)
print("iterations:", slow_recorded.iterations)
print(
    "history kept:",
    slow_recorded.history.memory_usage(deep=True).sum(),
    "bytes;",
    "with record=False:",
    slow_last_only.history,
)
assert slow_last_only.params == slow_recorded.params
try:
    bg.plots.plot_convergence(slow_last_only)
except ValueError as error:
    print("ValueError:", error)

# %% [markdown]
## Two unknowns: a valley, momentum and Adam

With more than one parameter the gradient is a vector, and the update moves all of them at once.
A straight-line regression with the predictor far from zero makes the loss a long, narrow valley:
the intercept and the slope trade off against each other.

# %%
x = rng.uniform(0, 4, size=30)
y_line = 1.0 + 0.5 * x + rng.normal(0, 1.0, size=30)
line = bg.LinearRegression(
    X=x[:, None], y=y_line, coef=stats.norm(0, 5), intercept=stats.norm(0, 5), sigma=1.0
)
exact_line = bg.conjugate(line).mode()
print(line, "\nexact mode:", exact_line)

# %% [markdown]
The loss is again quadratic. Its Hessian is $X^\top X / \sigma^2$ plus the prior precision
(with a column of ones for the intercept); its eigenvalues are the curvatures along the valley
floor ($\lambda_{\min}$) and across it ($\lambda_{\max}$). Plain gradient descent needs
$\alpha < 2/\lambda_{\max}$ to stay stable across the valley, and then crawls along it at a rate
set by the condition number $\kappa = \lambda_{\max} / \lambda_{\min}$.

# %%
design = np.column_stack([x, np.ones_like(x)])
hessian = design.T @ design / 1.0**2 + np.eye(2) / 5**2
lam_min, lam_max = np.linalg.eigvalsh(hessian)
kappa = lam_max / lam_min
print(f"curvatures {lam_min:.2f} and {lam_max:.2f}, condition number {kappa:.1f}")

# %% [markdown]
Optimizers are objects built by `bg.optim` (or named by a string). Four of them:

* **gd** with $\alpha = 1/\lambda_{\max}$;
* **momentum** (heavy ball): $v \leftarrow \beta v - \alpha \nabla L$, $\theta \leftarrow
  \theta + v$, with the same $\alpha$ and $\beta = 0.7$: the velocity $v$ averages away the
  zig-zag across the valley and builds up speed along it;
* **Adam**, which scales each coordinate's step by a running estimate of its gradient size;
* the **default**, L-BFGS, which builds a curvature model from past gradients and picks its step
  by a line search: no learning rate to tune.

# %%
optimizers = {
    "gd": bg.optim.gd(lr=1 / lam_max),
    "momentum": bg.optim.momentum(lr=1 / lam_max, beta=0.7),
    "adam": bg.optim.adam(lr=0.1),
    "default (lbfgs)": None,
}
paths = {
    name: bg.map_estimate(line, optimizer=opt, max_iter=5000) for name, opt in optimizers.items()
}
pd.DataFrame(
    {
        name: {
            "iterations": f.iterations,
            "evaluations": f.n_evaluations,
            "converged": f.converged,
            "coef": f.params["coef"][0],
            "intercept": f.params["intercept"],
            "max error": "{:.1e}".format(
                max(
                    abs(f.params["coef"][0] - exact_line["coef"][0]),
                    abs(f.params["intercept"] - exact_line["intercept"]),
                )
            ),
        }
        for name, f in paths.items()
    }
).T

# %% [markdown]
The paths on the contours of the log posterior (`bg.plots.plot_descent_paths`): gradient descent
heads straight downhill, which is mostly across the valley, then creeps along its floor;
momentum swings past the floor but keeps its speed along it; Adam's first steps, about $\alpha$
in every coordinate whatever the gradient, go diagonally; L-BFGS needs a handful of steps.

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
bounds = {"intercept": (-0.2, 1.5), "coef[0]": (-0.3, 1.5)}
for ax, names in zip(axes, [["gd", "momentum"], ["adam", "default (lbfgs)"]], strict=True):
    bg.plots.plot_descent_paths(
        line,
        {name: paths[name] for name in names},
        parameters=("intercept", "coef[0]"),
        bounds=bounds,
        ax=ax,
    )

# %%
fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
for name, f in paths.items():
    ax.semilogy(f.history["iteration"], f.history["grad_norm"], label=name)
ax.set_xlabel("iteration")
ax.set_ylabel("gradient norm")
ax.legend(frameon=False);

# %% [markdown]
## A constrained parameter: the chain rule through the transform

Now let the noise scale be unknown too, with a half-normal prior: $\sigma > 0$. A gradient step
could jump to a negative $\sigma$, so `map_estimate` optimises the unconstrained
$u = \log \sigma$ instead and maps back. The gradient in $u$ comes from the chain rule:

$$
\frac{\partial L}{\partial u} = \frac{\partial L}{\partial \sigma}
\frac{d\sigma}{du} = \frac{\partial L}{\partial \sigma}\, \sigma .
$$

One step by hand from the starting point, against the recorded history (`u[sigma]` is the
unconstrained coordinate):

# %%
both = bg.Normal(y=y, mu=stats.norm(0, 10), sigma=stats.halfnorm(scale=5))
fit_both = bg.map_estimate(both, optimizer="gd", lr=0.02)
start = fit_both.history.iloc[0]
grad = both.grad_log_density(mu=start["mu"], sigma=start["sigma"])
dL_du = -np.array([float(grad["mu"]), float(grad["sigma"]) * start["sigma"]])
u1 = np.array([start["u[mu]"], start["u[sigma]"]]) - 0.02 * dL_du
print("by hand:       mu =", u1[0], " sigma =", np.exp(u1[1]))
print("map_estimate:  mu =", fit_both.history["mu"][1], " sigma =", fit_both.history["sigma"][1])
np.testing.assert_allclose([u1[0], np.exp(u1[1])], fit_both.history[["mu", "sigma"]].iloc[1])
print(fit_both)

# %% [markdown]
## What to take away

* Gradient descent on $L(\theta) = -\log p(D \mid \theta) - \log p(\theta)$ finds the posterior
  mode; `map_estimate(optimizer="gd")` is the textbook rule, step for step.
* The learning rate has to respect the curvature: $\alpha < 2/H$. Too small wastes iterations
  (a `ConvergenceWarning`), too large diverges (a `DivergenceError` with a suggested step).
* Momentum and Adam change the path, not the destination; the default L-BFGS gets there in a
  few steps without a learning rate to choose.
* The MAP is one point. The posterior around it, and when that point misleads, is the subject
  of the next notebooks.
"""

# ==========================================================================================
NB03 = r"""
# %% [markdown]
# A Normal with unknown mean and variance: two dimensions, and which mode?

In 1882 Simon Newcomb timed light over a path of about 7.4 km, 66 times. The measurements are
recorded as deviations from 24,800 nanoseconds. Both the mean $\mu$ of the measurements and
their variance $\sigma^2$ are unknown: the posterior lives in two dimensions.

This notebook computes that posterior on a 2-D grid and in closed form (the
Normal-Inverse-Gamma update), draws gradient-descent paths on its contours, compares the MAP with
the posterior mean, and asks a question that only arises for modes: *the mode of which density?*

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit, logit

import bayesgd as bg

# %%
newcomb = bg.datasets.load_newcomb()
y = newcomb["deviation"].to_numpy(dtype=float)
print(f"n = {y.size}, mean {y.mean():.3f}, sd {y.std(ddof=1):.3f}, two lowest {np.sort(y)[:2]}")
fig, ax = plt.subplots(figsize=(7, 3), layout="constrained")
ax.hist(y, bins=40, color="0.6")
ax.set_xlabel("deviation from 24,800 ns")
ax.set_ylabel("count");

# %% [markdown]
Two measurements (−44 and −2) sit far below the rest. A Normal model takes them at face value:
they widen $\sigma^2$ and pull $\mu$ down a little. We keep them, as Newcomb's data are usually
analysed this way first (Gelman et al., *Bayesian Data Analysis*, ch. 3).

## The model and its conjugate prior

`bg.datasets.newcomb_model()` is a Normal likelihood with a vague **Normal-Inverse-Gamma** prior
(`scipy.stats.normal_inverse_gamma`):

$$
\sigma^2 \sim \text{Inv-Gamma}(a_0, b_0), \qquad
\mu \mid \sigma^2 \sim \mathcal N\!\left(\mu_0, \sigma^2 / \lambda_0\right),
$$

with $\mu_0 = 25$, $\lambda_0 = 0.01$ (worth a hundredth of an observation), $a_0 = 1$,
$b_0 = 20$.

# %%
model = bg.datasets.newcomb_model()
print(model)
post = bg.conjugate(model)
print("prior:", post.prior_hyper)
print("posterior:", post.hyper)

# %% [markdown]
The posterior is Normal-Inverse-Gamma again, with

$$
\lambda_n = \lambda_0 + n, \quad
\mu_n = \frac{\lambda_0 \mu_0 + n \bar y}{\lambda_n}, \quad
a_n = a_0 + \frac n2, \quad
b_n = b_0 + \frac12 \sum_i (y_i - \bar y)^2 + \frac{\lambda_0 n (\bar y - \mu_0)^2}{2 \lambda_n}.
$$

By hand:

# %%
mu0, lam0, a0, b0 = 25.0, 0.01, 1.0, 20.0
n, ybar = y.size, y.mean()
lam_n = lam0 + n
mu_n = (lam0 * mu0 + n * ybar) / lam_n
a_n = a0 + n / 2
b_n = b0 + 0.5 * np.sum((y - ybar) ** 2) + lam0 * n * (ybar - mu0) ** 2 / (2 * lam_n)
print(f"mu_n {mu_n:.6f}, lambda_n {lam_n}, a_n {a_n}, b_n {b_n:.6f}")
np.testing.assert_allclose(
    [mu_n, lam_n, a_n, b_n], [post.hyper[k] for k in ("mu", "lmbda", "a", "b")]
)

# %% [markdown]
Its marginals are the ones `post.dist` returns as `scipy.stats` objects:
$\sigma^2 \mid D \sim \text{Inv-Gamma}(a_n, b_n)$ and $\mu \mid D$ a Student-$t$ with $2a_n$
degrees of freedom, centre $\mu_n$ and scale $\sqrt{b_n / (a_n \lambda_n)}$.

# %%
print("mu:", post.dist["mu"].dist.name, post.dist["mu"].args, post.dist["mu"].kwds)
print("sigma2:", post.dist["sigma2"].dist.name, post.dist["sigma2"].args, post.dist["sigma2"].kwds)
post

# %% [markdown]
## The same posterior on a 2-D grid

`bg.grid` evaluates the log posterior on a 2-D grid (one vectorised call over all points) and
chooses the box from where the posterior has mass. Its summaries agree with the closed form.

# %%
grid_post = bg.grid(model, points=201)
print("grid shape", grid_post.shape)
side_by_side = pd.concat({"conjugate": post.summary(), "grid": grid_post.summary()}, axis=0)
side_by_side

# %%
scale = post.summary()["sd"].to_numpy()[:, None]
difference = (grid_post.summary() - post.summary()).abs() / scale
print("largest difference, in posterior sds:", float(difference.to_numpy().max()))
assert difference.to_numpy().max() < 1e-3

# %% [markdown]
## The descent path on the contours

Gradient descent on $L(\mu, \sigma^2) = -\log p(\mu, \sigma^2 \mid D)$ works in the
unconstrained coordinates $(\mu, \log \sigma^2)$ and reports $(\mu, \sigma^2)$. Left: the
grid's posterior density. Right: the paths of three optimizers from the prior's centre,
drawn by `bg.plots.plot_descent_paths`.

# %%
paths = {
    "gd": bg.map_estimate(model, optimizer="gd", lr=0.02, max_iter=5000),
    "adam": bg.map_estimate(model, optimizer="adam", lr=0.1, max_iter=5000),
    "default (lbfgs)": bg.map_estimate(model),
}
for name, f in paths.items():
    print(
        f"{name:>16}: {f.iterations:5d} iterations, mu = {f.params['mu']:.6f}, "
        f"sigma2 = {f.params['sigma2']:.6f}"
    )

fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
mu_axis, s2_axis = grid_post.axes["mu"], grid_post.axes["sigma2"]
density = np.exp(grid_post.log_density - grid_post.log_density.max())
left.contourf(mu_axis, s2_axis, density.T, levels=np.linspace(0.02, 1, 11), cmap="Blues")
left.plot(*paths["default (lbfgs)"].params.values(), "r*", markersize=12, label="MAP")
left.plot(post.mean()["mu"], post.mean()["sigma2"], "ko", label="posterior mean")
left.set(xlim=(21, 31.5), ylim=(60, 200), xlabel="mu", ylabel="sigma2")
left.legend(frameon=False)
left.set_title("posterior density on the grid")
bg.plots.plot_descent_paths(model, paths, ax=right)
right.set_title("gradient-descent paths");

# %% [markdown]
## MAP versus posterior mean

For $\mu$ the posterior is symmetric: mode, median and mean coincide. For $\sigma^2$ it is
skewed to the right, and the summaries spread out. In closed form:

* the joint mode (the MAP): $\sigma^2 = b_n / (a_n + 3/2)$,
* the mode of the marginal of $\sigma^2$: $b_n / (a_n + 1)$,
* the posterior mean: $b_n / (a_n - 1)$.

# %%
fit = paths["default (lbfgs)"]
summary = pd.DataFrame(
    {
        "MAP (gradient descent)": fit.params,
        "joint mode, closed form": {"mu": mu_n, "sigma2": b_n / (a_n + 1.5)},
        "marginal mode": {"mu": mu_n, "sigma2": b_n / (a_n + 1)},
        "posterior median": post.median(),
        "posterior mean": post.mean(),
        "posterior sd": post.sd(),
    }
).T.astype(float)
summary

# %%
assert np.isclose(fit.params["sigma2"], b_n / (a_n + 1.5), rtol=1e-8)
gap = (post.mean()["sigma2"] - fit.params["sigma2"]) / post.sd()["sigma2"]
print(f"the MAP of sigma2 lies {gap:.2f} posterior sds below the posterior mean")

# %% [markdown]
A fraction of a standard deviation is not a disaster here, but it is a systematic bias: the MAP
reports a smaller noise variance than the posterior supports. Which summary to report depends
on the cost of being wrong: the mean minimises expected squared error, the median expected absolute
error. The mode is not the answer to such a question, and, as the next section shows, it is
not even a property of the posterior alone.

## The Jacobian question: the mode of which density?

A probability *density* changes when the variable is transformed. If $u = g(\theta)$, then
$p_u(u) = p_\theta(\theta)\, |d\theta / du|$. Probabilities of intervals, and so quantiles, carry
over; the location of the peak does not.

The smallest example: $p \sim \text{Beta}(9, 5)$ (a Binomial with 7 successes in 10 and a
Beta(2, 2) prior). The mode of the density of $p$ is $(9-1)/(9+5-2) = 0.6667$. In the
unconstrained coordinate $u = \operatorname{logit} p$, where gradient descent runs, the density
picks up the factor $dp/du = p(1 - p)$:

$$
p_u(u) \propto p^{8} (1 - p)^{4} \cdot p (1 - p) = p^{9} (1 - p)^{5}, \quad
\text{mode at } p = 9/14 = 0.6429 .
$$

`map_estimate` reports the first by default (`jacobian=False`: the mode of the density of the
parameter as the model writes it, as `pm.find_MAP` does); `jacobian=True` gives the second (the
mode of the density of $u$, mapped back, where a Laplace approximation in $u$ is centred).

# %%
coin = bg.Binomial(k=7, n=10, p=stats.beta(2, 2))
plain = bg.map_estimate(coin)
adjusted = bg.map_estimate(coin, jacobian=True)
print(f"jacobian=False: p = {plain.params['p']:.4f}  ({plain.mode_kind})")
print(f"jacobian=True:  p = {adjusted.params['p']:.4f}  ({adjusted.mode_kind})")
assert round(plain.params["p"], 4) == 0.6667 and round(adjusted.params["p"], 4) == 0.6429

# %%
beta95 = stats.beta(9, 5)
p = np.linspace(0.25, 0.97, 721)
u = logit(p)
density_u = beta95.pdf(expit(u)) * expit(u) * (1 - expit(u))
fig, (ax_p, ax_u) = plt.subplots(1, 2, figsize=(11, 3.6), layout="constrained")
ax_p.plot(p, beta95.pdf(p), color="black")
ax_u.plot(u, density_u, color="black")
for value, style, label in [(8 / 12, "-", "jacobian=False"), (9 / 14, "--", "jacobian=True")]:
    ax_p.axvline(value, color="tab:red", linestyle=style, label=f"{label}: p = {value:.4f}")
    ax_u.axvline(logit(value), color="tab:red", linestyle=style, label=label)
ax_p.set(xlabel="p", ylabel="density of p", title="Beta(9, 5)")
ax_u.set(xlabel="u = logit(p)", ylabel="density of u", title="the same distribution, in u")
ax_p.legend(frameon=False)
ax_u.legend(frameon=False);

# %% [markdown]
For Newcomb's variance the unconstrained coordinate is $u = \log \sigma^2$; the factor
$d\sigma^2/du = \sigma^2$ moves the mode from $b_n / (a_n + 3/2)$ to $b_n / (a_n + 1/2)$.
The median, by contrast, is the same in every coordinate: the median of $\log \sigma^2$ (here
estimated from posterior draws) is the log of the median of $\sigma^2$.

# %%
newcomb_adjusted = bg.map_estimate(model, jacobian=True)
print(
    f"sigma2, jacobian=False: {fit.params['sigma2']:.4f}  (b_n / (a_n + 3/2) = "
    f"{b_n / (a_n + 1.5):.4f})"
)
print(
    f"sigma2, jacobian=True:  {newcomb_adjusted.params['sigma2']:.4f}  (b_n / (a_n + 1/2) = "
    f"{b_n / (a_n + 0.5):.4f})"
)
assert np.isclose(newcomb_adjusted.params["sigma2"], b_n / (a_n + 0.5), rtol=1e-8)
draws = post.sample(200_000, rng=1)["sigma2"]
median_of_log = np.median(np.log(draws))
print(
    f"median of sigma2 {post.median()['sigma2']:.3f}; "
    f"exp(median of log sigma2 over the draws) {np.exp(median_of_log):.3f}"
)

# %% [markdown]
## What to take away

* With two unknowns the posterior is a surface; a grid still computes it, and the
  Normal-Inverse-Gamma update gives it exactly.
* Gradient descent finds its peak, the joint mode, from any start; the optimizers differ only in
  the path.
* For a skewed posterior the MAP, the marginal mode, the median and the mean are different
  numbers. The mode also depends on the coordinates: say which one you report (`jacobian=`).
"""

# ==========================================================================================
NB04 = r"""
# %% [markdown]
# No closed form: logistic regression of the Challenger O-rings

Before the space shuttle Challenger's last launch, engineers had data on O-ring damage from 23
earlier flights and the temperature at each launch. The forecast for the morning of 28 January
1986 was 31 °F, far colder than any previous launch. This is the data set Dalal, Fowlkes and
Hoadley (1989) analysed afterwards, and it is small enough to see every method at work.

The model is a logistic regression: there is no conjugate prior, so no closed-form posterior.
We compute the posterior on a grid, find the MAP by gradient descent, approximate the posterior
by a Gaussian at the mode (Laplace), sample it with PyMC's NUTS, and compare. Then we ask what
each says about a launch at 31 °F.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy.special import expit

import bayesgd as bg

# %%
challenger = bg.datasets.load_challenger()
print(challenger.describe().loc[["count", "min", "max"]])
fig, ax = plt.subplots(figsize=(7, 3), layout="constrained")
jitter = np.random.default_rng(0).uniform(-0.03, 0.03, len(challenger))
ax.plot(challenger["temperature_f"], challenger["damaged"] + jitter, "o", color="0.3")
ax.axvline(31, color="tab:red", linestyle="--")
ax.text(32, 0.5, "forecast for 28 Jan 1986: 31 °F", color="tab:red")
ax.set(xlabel="launch temperature (°F)", ylabel="O-ring damage (0/1)", xlim=(25, 85));

# %% [markdown]
## The model

$$
\Pr(\text{damage}_i = 1) = \operatorname{logit}^{-1}(\alpha + \beta x_i), \qquad
x_i = \frac{T_i - 70\,°\mathrm F}{10\,°\mathrm F},
$$

with weakly informative priors $\beta \sim \mathcal N(0, 2.5)$ (`coef`, the change in log-odds
per 10 °F) and $\alpha \sim \mathcal N(0, 5)$ (`intercept`, the log-odds at 70 °F).
`bg.datasets.challenger_model()` builds it. Asking for the closed form fails, loudly and with
the alternatives:

# %%
model = bg.datasets.challenger_model()
print(model)
try:
    bg.conjugate(model)
except bg.NotConjugateError as error:
    print("NotConjugateError:", str(error)[:300], "...")

x31 = (31 - 70) / 10  # the standardised launch temperature

# %% [markdown]
## All the methods, side by side

`bg.compare` runs every method that applies: the grid (the reference here, since there is no
closed form; two parameters are cheap on a grid), gradient descent for the MAP, Laplace, and
NUTS through PyMC (a short run: 2 chains of 500 draws after 500 tuning steps). The table gives
each method's summaries and its distance from the reference in posterior standard deviations.

# %%
cmp = bg.compare(model, rng=20240601, options={"pymc": {"draws": 500, "tune": 500, "chains": 2}})
cmp.table.round(4)

# %%
print(cmp.explain())

# %% [markdown]
`cmp.plot()` overlays the marginal densities, with the MAP as a red line and each method's mean
as a dot on the axis. The grid and NUTS agree; the slope's posterior is skewed toward steeper
(more negative) slopes, and both the MAP and the Laplace Gaussian, which is symmetric about the
MAP, miss that tail.

# %%
cmp.plot();

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), layout="constrained")
for ax, element in zip(axes, ["coef[0]", "intercept"], strict=True):
    bg.plots.plot_draws(
        cmp.results["pymc"], cmp.results["grid"], parameter=element, ax=ax, bins=30
    )

# %%
grid_post, nuts, laplace, fit = (cmp.results[k] for k in ["grid", "pymc", "laplace", "map"])
print(fit)
print("NUTS diagnostics passed:", nuts.ok)
nuts.summary()

# %% [markdown]
## Where the MAP misleads: a launch at 31 °F

The MAP gives one pair $(\hat\alpha, \hat\beta)$, and *plugging it in* gives one probability of
damage, $\operatorname{logit}^{-1}(\hat\alpha + \hat\beta x)$. The posterior predictive instead
averages the probability over the posterior,

$$
\Pr(\text{damage} \mid x, D) = \int \operatorname{logit}^{-1}(\alpha + \beta x)\,
p(\alpha, \beta \mid D)\, d\alpha\, d\beta ,
$$

which we estimate from draws of each posterior. At 31 °F, four standard deviations of the data
below its mean, the two differ.

# %%
def probability(draws, x):
    return expit(draws["intercept"] + draws["coef"][..., 0] * x)


rows = {"MAP plug-in": {"P(damage)": float(probability(fit.params, x31))}}
for name, posterior in [("grid", grid_post), ("NUTS", nuts), ("Laplace", laplace)]:
    p31 = probability(posterior.sample(20_000, rng=1), x31)
    rows[name + " predictive"] = {
        "P(damage)": p31.mean(),
        "3%": np.quantile(p31, 0.03),
        "97%": np.quantile(p31, 0.97),
    }
at31 = pd.DataFrame(rows).T
at31["P(no damage)"] = 1 - at31["P(damage)"]
at31

# %%
ratio = at31.loc["grid predictive", "P(no damage)"] / at31.loc["MAP plug-in", "P(no damage)"]
print(f"the posterior gives a {ratio:.0f} times larger chance of no damage than the MAP plug-in")
assert at31.loc["MAP plug-in", "P(damage)"] > at31.loc["grid predictive", "P(damage)"]
assert at31.loc["grid predictive", "P(damage)"] > at31.loc["Laplace predictive", "P(damage)"]

# %% [markdown]
Both say damage is likely. But the plug-in answer, 99.9 %, is far too sure: it treats the
estimated slope as known, when 23 flights leave it uncertain and 31 °F is an extrapolation. The
posterior puts the probability anywhere from about 0.84 to 1 (the interval of the probability
itself), and its average is lower than the plug-in because the logistic curve flattens near 1.
The Laplace approximation, symmetric about the MAP, understates how steep the slope may be and
so understates the risk.

Across temperatures: the MAP's curve against the posterior's mean and 94 % band.

# %%
temperatures = np.linspace(25, 85, 121)
xs = (temperatures - 70) / 10
draws = grid_post.sample(4000, rng=2)
curves = probability(draws, xs[:, None])  # (temperatures, draws)
fig, ax = plt.subplots(figsize=(8, 4), layout="constrained")
ax.fill_between(
    temperatures,
    np.quantile(curves, 0.03, axis=1),
    np.quantile(curves, 0.97, axis=1),
    color="tab:blue",
    alpha=0.2,
    label="posterior 94% band",
)
ax.plot(temperatures, curves.mean(axis=1), color="tab:blue", label="posterior predictive")
ax.plot(temperatures, probability(fit.params, xs), color="tab:red", label="MAP plug-in")
ax.plot(challenger["temperature_f"], challenger["damaged"], "o", color="0.3")
ax.axvline(31, color="0.5", linestyle="--")
ax.set(xlabel="launch temperature (°F)", ylabel="P(O-ring damage)")
ax.legend(frameon=False);

# %% [markdown]
## What to take away

* Without a conjugate prior there is no formula, but two parameters are easy on a grid, and the
  grid and NUTS agree with each other.
* The MAP and the Laplace approximation are centred on the mode: fine for the bulk of a nearly
  Gaussian posterior, wrong in the tails of a skewed one.
* A prediction from the MAP alone hides the uncertainty that matters most where the data are
  thinnest. Averaging over the posterior shows it.
"""

# ==========================================================================================
NB05 = r"""
# %% [markdown]
# Backpropagation and a Bayesian perceptron

A neural network is a model like any other: a likelihood with parameters (its weights), and, once
we give the weights priors, a posterior. Training it by gradient descent on the usual loss is
finding the MAP; the gradient is computed by **backpropagation**, the chain rule applied layer
by layer. This notebook writes the forward and backward passes out by hand for a network with
one hidden layer, checks the gradient against finite differences, shows that weight decay *is* a
Gaussian prior, and then compares the MAP network's predictions with the posterior predictive
away from the data.

The network (`bg.Perceptron`) maps an input row $x$ to a probability:

$$
a = x W_1 + b_1, \quad h = \tanh(a), \quad f = h \cdot w_2 + b_2, \quad
\Pr(y = 1 \mid x) = \sigma(f) = \frac{1}{1 + e^{-f}} .
$$

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit

import bayesgd as bg

rng = np.random.default_rng(3)

# %% [markdown]
## Data: two clusters

Thirty points in two dimensions, two classes separated along the first coordinate.

# %%
n = 30
X = np.concatenate(
    [rng.normal([-1.5, 0.0], 0.7, size=(n // 2, 2)), rng.normal([1.5, 0.0], 0.7, size=(n // 2, 2))]
)
y = np.repeat([0, 1], n // 2)
model = bg.Perceptron(X, y, hidden=4, weights=stats.norm(0, 2), biases=stats.norm(0, 2))
print(model)
print({name: p.shape for name, p in model.parameters.items()}, "->", model.size, "parameters")

# %% [markdown]
## The forward pass, by hand

Start from small random weights (`model.initial_point`; all-zero weights are a saddle point
where every hidden unit gets the same gradient). The loss is the negative log likelihood, the
summed cross-entropy $L = -\sum_i \big[y_i \log \sigma(f_i) + (1 - y_i) \log(1 - \sigma(f_i))
\big]$.

# %%
theta = model.initial_point(rng=0)
W1, b1, w2, b2 = (theta[k] for k in ("W1", "b1", "w2", "b2"))

a = X @ W1 + b1  # (n, hidden) pre-activations
h = np.tanh(a)  # (n, hidden) hidden activations
f = h @ w2 + b2  # (n,) output logits
prob = expit(f)
cross_entropy = -np.sum(y * np.log(prob) + (1 - y) * np.log1p(-prob))

forward = model.forward(**theta)
np.testing.assert_allclose(forward.hidden, h)
np.testing.assert_allclose(forward.output, f)
print(f"cross-entropy by hand {cross_entropy:.10f}")
print(f"-log likelihood       {-float(model.log_likelihood(**theta)):.10f}")
assert np.isclose(cross_entropy, -model.log_likelihood(**theta))

# %% [markdown]
## The backward pass, by hand

The chain rule, from the output back. For the cross-entropy of a sigmoid output the first step
is simple, $\partial L / \partial f_i = \sigma(f_i) - y_i =: \delta_i$. Then

$$
\frac{\partial L}{\partial w_2} = \sum_i \delta_i h_i, \quad
\frac{\partial L}{\partial b_2} = \sum_i \delta_i, \quad
\frac{\partial L}{\partial h_i} = \delta_i w_2, \quad
\frac{\partial L}{\partial a_i} = \frac{\partial L}{\partial h_i} \odot (1 - h_i^2), \quad
\frac{\partial L}{\partial W_1} = X^\top \frac{\partial L}{\partial a}, \quad
\frac{\partial L}{\partial b_1} = \sum_i \frac{\partial L}{\partial a_i}.
$$

Each layer reuses what the forward pass stored; that is why backpropagation costs about as much
as one forward pass, whatever the number of weights.

# %%
delta = prob - y  # dL/df
grad_w2 = h.T @ delta
grad_b2 = delta.sum()
grad_h = np.outer(delta, w2)  # dL/dh
grad_a = grad_h * (1 - h**2)  # through tanh' = 1 - tanh^2
grad_W1 = X.T @ grad_a
grad_b1 = grad_a.sum(axis=0)
by_hand = {"W1": grad_W1, "b1": grad_b1, "w2": grad_w2, "b2": grad_b2}

backward = model.backward(**theta)
library = model.grad_log_likelihood(**theta)
for name, value in by_hand.items():
    np.testing.assert_allclose(value, backward.params[name], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(value, -library[name], rtol=1e-12, atol=1e-14)
print("backpropagation by hand == model.backward == -model.grad_log_likelihood")
print("dL/dW1 =\n", grad_W1.round(5))

# %% [markdown]
## Checking the gradient against finite differences

The definition of a derivative gives an independent check: perturb each of the 17 parameters by
$\pm\epsilon$ and take $(L(\theta + \epsilon e_j) - L(\theta - \epsilon e_j)) / 2\epsilon$,
which is accurate to about $\epsilon^2$ plus rounding error (we compare relative to
$\max(1, |\partial L / \partial \theta_j|)$). The model evaluates a whole batch of parameter
sets in one call (parameters with a leading batch axis), so all 34 perturbed networks are one
evaluation.

# %%
names = list(model.parameters)
shapes = [model.parameters[k].shape for k in names]
sizes = [int(np.prod(s)) for s in shapes]
flat = np.concatenate([np.ravel(theta[k]) for k in names])


def unflatten(vectors):
    parts = np.split(vectors, np.cumsum(sizes)[:-1], axis=-1)
    return {
        k: p.reshape(vectors.shape[:-1] + s) for k, p, s in zip(names, parts, shapes, strict=True)
    }


eps = 1e-5
perturbed = np.concatenate([flat + eps * np.eye(flat.size), flat - eps * np.eye(flat.size)])
log_density = model.log_density(**unflatten(perturbed))  # 34 networks at once
numeric = (log_density[: flat.size] - log_density[flat.size :]) / (2 * eps)
analytic = np.concatenate([np.ravel(g) for g in model.grad_log_density(**theta).values()])
error = np.abs(numeric - analytic) / np.maximum(np.abs(analytic), 1.0)
print(pd.DataFrame({"backprop": analytic, "finite differences": numeric}).head(4))
print(f"largest difference over {flat.size} partial derivatives: {error.max():.1e}")
assert error.max() < 1e-7

# %% [markdown]
## Weight decay is a Gaussian prior

The MAP minimises $-\log p(y \mid \theta) - \log p(\theta)$. With a $\mathcal N(0, s^2)$ prior on
every weight,

$$
-\log p(\theta) = \frac{\lVert \theta \rVert^2}{2 s^2} + \text{const}
= \lambda \lVert \theta \rVert^2 + \text{const}, \qquad \lambda = \frac{1}{2 s^2},
$$

which is exactly the L2 penalty ("weight decay") of neural-network training. `weight_decay()`
gives $\lambda$ for each parameter; `per_observation=True` divides by $n$, the form used with a
*mean* loss.

# %%
print("lambda:", model.weight_decay())
print("lambda on the mean loss:", model.weight_decay(per_observation=True))
other = model.initial_point(rng=1, scale=1.0)
penalty = sum(lam * np.sum(theta[k] ** 2) for k, lam in model.weight_decay().items())
penalty_other = sum(lam * np.sum(other[k] ** 2) for k, lam in model.weight_decay().items())
difference_of_priors = float(model.log_prior(**other) - model.log_prior(**theta))
print(f"log p(other) - log p(theta) = {difference_of_priors:.10f}")
print(f"lambda |theta|^2 - lambda |other|^2 = {penalty - penalty_other:.10f}")
assert np.isclose(difference_of_priors, penalty - penalty_other)

# %% [markdown]
A tighter prior is a larger decay: smaller weights, a larger training loss, and gentler
predictions. The MAP for four prior scales:

# %%
far_point = np.array([[0.0, 6.0]])  # far above the data, between the two clusters
rows = []
for s in [0.5, 1.0, 2.0, 4.0]:
    m_s = bg.Perceptron(X, y, hidden=4, weights=stats.norm(0, s), biases=stats.norm(0, s))
    fit_s = bg.map_estimate(m_s)
    weights = np.concatenate([np.ravel(fit_s.params[k]) for k in names])
    rows.append(
        {
            "prior sd s": s,
            "lambda": 1 / (2 * s**2),
            "|weights|": np.linalg.norm(weights),
            "cross-entropy": -float(m_s.log_likelihood(**fit_s.params)),
            "P(y=1) at (0, 6)": float(m_s.predict(far_point, fit_s)[0]),
        }
    )
pd.DataFrame(rows).set_index("prior sd s").round(4)

# %% [markdown]
## The MAP network against the posterior predictive

Training gives one network, the MAP. The posterior keeps every network compatible with the
data and the prior. Away from the data they disagree: the data pin down how the classes change
along the first coordinate, but say nothing about what happens far above or below the
clusters. The MAP network extrapolates its tanh units with confidence; the posterior averages
over networks that extrapolate in different ways.

We approximate the posterior twice: Laplace (a Gaussian at the MAP) and a short NUTS run (2
chains of 300 draws). Bayesian neural networks have many equivalent modes (swap two hidden
units, or flip the signs of one unit's weights, and the function is unchanged), so NUTS's
per-weight diagnostics (R-hat, ESS) are expected to complain: the chains wander between
equivalent labelings. The *predictions* are unaffected by relabelling, and those are what we
compare.

# %%
fit = bg.map_estimate(model)
laplace = bg.laplace(model)
nuts = bg.sample_pymc(model, draws=300, tune=300, chains=2, rng=1)
print(fit)

# %%
g1, g2 = np.meshgrid(np.linspace(-6, 6, 61), np.linspace(-6, 6, 61))
inputs = np.column_stack([g1.ravel(), g2.ravel()])
surfaces = {
    "MAP plug-in": model.predict(inputs, fit),
    "Laplace predictive": model.predict(inputs, posterior=laplace, size=1000, rng=0).mean,
    "NUTS predictive": model.predict(inputs, posterior=nuts, size=600, rng=0).mean,
}
fig, axes = plt.subplots(1, 3, figsize=(14, 4.2), layout="constrained", sharey=True)
for ax, (name, surface) in zip(axes, surfaces.items(), strict=True):
    filled = ax.contourf(
        g1, g2, surface.reshape(g1.shape), levels=np.linspace(0, 1, 11), cmap="RdBu_r"
    )
    ax.scatter(*X[y == 0].T, marker="o", facecolors="white", edgecolors="k", s=25)
    ax.scatter(*X[y == 1].T, marker="s", facecolors="black", s=20)
    ax.set_title(name)
    ax.set_xlabel("x1")
axes[0].set_ylabel("x2")
fig.colorbar(filled, ax=axes, label="P(y = 1)");

# %% [markdown]
The MAP network draws one straight boundary and is nearly certain everywhere off it, including
far above and below the data, where it has never seen a point. Under the posterior the boundary
fans out away from the data: networks that agree on the thirty points disagree there. The
Laplace approximation goes the right way, but a single Gaussian at one mode is a poor picture
of a network's posterior (it is too wide even near the data; compare with NUTS). At a few
points (white circles: class 0, black squares: class 1):

# %%
probe = np.array([[-1.5, 0.0], [1.5, 0.0], [0.0, 6.0], [0.0, -6.0], [5.0, 5.0]])
table = {"MAP plug-in": model.predict(probe, fit)}
for name, posterior in [("Laplace", laplace), ("NUTS", nuts)]:
    pred = model.predict(probe, posterior=posterior, size=600, rng=0)
    table[f"{name} mean"] = pred.mean
    table[f"{name} 94% interval"] = [
        f"({lo:.3f}, {hi:.3f})" for lo, hi in zip(pred.low, pred.high, strict=True)
    ]
    if name == "NUTS":
        nuts_pred = pred
at_probe = pd.DataFrame(table, index=[f"x = ({a:g}, {b:g})" for a, b in probe])
at_probe.round(4)

# %%
far = 2  # the point (0, 6)
print(
    f"at (0, 6): MAP {table['MAP plug-in'][far]:.4f}, NUTS predictive "
    f"{nuts_pred.mean[far]:.4f} with 94% interval ({nuts_pred.low[far]:.3f}, "
    f"{nuts_pred.high[far]:.3f})"
)
assert table["MAP plug-in"][far] > 0.99
assert nuts_pred.mean[far] < table["MAP plug-in"][far] and nuts_pred.width[far] > 0.5

# %% [markdown]
## What to take away

* Backpropagation is the chain rule, layer by layer, reusing the forward pass; it matches
  finite differences to the precision of the arithmetic.
* Training with weight decay $\lambda$ is MAP estimation under a $\mathcal N(0, 1/(2\lambda))$
  prior.
* The MAP is one network, and it is confident wherever its units say so, including where there
  are no data. The posterior predictive knows where the data end; a Laplace approximation only
  partly, because a network's posterior is far from one Gaussian.
"""

# ==========================================================================================
NB06 = r"""
# %% [markdown]
# Checking with PyMC

Every method in bayesgd can be wrong in its own way: a closed form can be mis-derived, a grid
can miss mass, gradient descent can stop early, a Gaussian approximation can be the wrong shape.
`bg.check_with_pymc` checks a posterior against an independent computation: the same model
written in PyMC (`bg.to_pymc`) and sampled with NUTS.

The check compares, for every scalar parameter, the posterior mean, standard deviation and the
two ends of the 94 % highest-density interval with the NUTS estimates. NUTS estimates carry Monte
Carlo error, so the tolerance is not a fixed number: a statistic passes when it lies within
$z = 4$ Monte Carlo standard errors (MCSE, from the effective sample size) of the NUTS value.
The check also fails if NUTS's own diagnostics fail, and it compares the MAP from gradient
descent with `pm.find_MAP`.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats

import bayesgd as bg

rng = np.random.default_rng(11)

# %% [markdown]
## Three families

* a Binomial with a flat Beta(1, 1) prior and 1 success in 20 trials: the posterior, Beta(2, 20),
  is pressed against zero and skewed;
* a Poisson with a Gamma prior: conjugate again;
* a Normal with unknown mean *and* standard deviation under independent Normal and half-Normal
  priors: not conjugate, so the reference is the grid.

# %%
counts = rng.poisson(3.5, size=15)
heights = rng.normal(10.0, 3.0, size=25)
models = {
    "Beta-Binomial": bg.Binomial(k=1, n=20, p=stats.beta(1, 1)),
    "Gamma-Poisson": bg.Poisson(k=counts, mu=stats.gamma(2, scale=2)),
    "Normal, unknown mu and sigma": bg.Normal(
        y=heights, mu=stats.norm(0, 20), sigma=stats.halfnorm(scale=10)
    ),
}
for name, m in models.items():
    print(f"{name:>30}: {m}")

# %% [markdown]
## The same model in PyMC

`bg.to_pymc` writes a bayesgd model as a PyMC model. Its log density, without PyMC's Jacobian
terms for the transformed variables, is the bayesgd log density at every point:

# %%
normal_model = models["Normal, unknown mu and sigma"]
pm_model = bg.to_pymc(normal_model)
print(pm_model.str_repr())
logp = pm_model.compile_logp(jacobian=False)
for mu, sigma in [(10.0, 3.0), (8.0, 5.0), (12.5, 1.5)]:
    ours = float(normal_model.log_density(mu=mu, sigma=sigma))
    theirs = float(logp({"mu": mu, "sigma_log__": np.log(sigma)}))
    print(f"mu={mu}, sigma={sigma}: bayesgd {ours:.10f}  PyMC {theirs:.10f}")
    assert np.isclose(ours, theirs, rtol=1e-12)

# %% [markdown]
## `compare`: every method side by side

`bg.compare` runs the methods that apply and measures each against the best reference
(conjugate, else grid) in posterior standard deviations (`mean_error`, `mode_error`). Here
without NUTS, which the checks below run. A method named in `methods=` that cannot run raises
its error (`bg.NotConjugateError` for the Normal with independent priors), so we ask for the
closed form only where `bg.is_conjugate` says there is one.

# %%
tables = []
for name, m in models.items():
    methods = ["grid", "map", "laplace"]
    if bg.is_conjugate(m):  # not the Normal with independent priors
        methods = ["conjugate", *methods]
    cmp = bg.compare(m, methods=methods)
    print(cmp.explain().splitlines()[0])
    tables.append(cmp.table.assign(model=name))
columns = ["model", "method", "parameter", "mean", "sd", "mode", "mean_error", "mode_error"]
pd.concat(tables)[columns].round(4)

# %% [markdown]
The exact, grid and gradient-descent answers agree to many digits. The Laplace approximation
is visibly off where the posterior is skewed: the Beta (its mean is a third of a posterior sd
too high) and the Normal's $\sigma$.

## `check_with_pymc`: a verdict against NUTS

By default the check takes the exact posterior when there is one, else the grid.

# %%
reports = {name: bg.check_with_pymc(m, rng=i) for i, (name, m) in enumerate(models.items())}
pd.DataFrame(
    {
        name: {
            "checked": r.candidate.method,
            "passed": r.passed,
            "statistics within 4 MCSE": f"{int(r.table['passed'].sum())}/{len(r.table)}",
            "largest |z|": round(r.table["z"].abs().max(), 2),
            "MAP relative difference": "{:.1e}".format(r.map_table["relative"].max()),
        }
        for name, r in reports.items()
    }
).T

# %% [markdown]
One report in full: each statistic, the NUTS estimate, the difference, its MCSE and the
difference in MCSE units ($z$); then the MAP against `pm.find_MAP`.

# %%
reports["Normal, unknown mu and sigma"]

# %%
assert all(r.passed for r in reports.values())

# %% [markdown]
## What a failed check looks like

Now check an approximation that is wrong: the Laplace approximation in the constrained space
(a Gaussian on $p$ itself at the MAP, as rethinking's `quap` does) for the skewed Beta(2, 20)
posterior. We reuse the NUTS draws of the passing check (`reference=`), so there is no second
run.

# %%
skewed = models["Beta-Binomial"]
nuts = reports["Beta-Binomial"].reference
quap = bg.laplace(skewed, space="constrained")
failed = bg.check_with_pymc(skewed, posterior=quap, reference=nuts)
failed

# %%
print("passed:", failed.passed)
for problem in failed.problems:
    print("problem:", problem)
assert not failed.passed

# %% [markdown]
Every statistic is many MCSE away. The picture shows why: the Gaussian is centred at the mode,
$p = 0.05$, symmetric, and puts mass on negative probabilities. The unconstrained Laplace
(a Gaussian on $\operatorname{logit} p$) stays inside $(0, 1)$ and is closer, but with 4000
NUTS draws the check still resolves its error.

# %%
exact = bg.conjugate(skewed)
logit_normal = bg.laplace(skewed)
gaussian = stats.norm(quap.mean()["p"], quap.sd()["p"])
print(f"mass the constrained Laplace puts below p = 0: {gaussian.cdf(0):.1%}")

fig, ax = plt.subplots(figsize=(8, 4), layout="constrained")
bg.plots.plot_draws(nuts, exact, ax=ax, bins=60)
p = np.linspace(-0.12, 0.35, 600)
ax.plot(p, gaussian.pdf(p), color="tab:red", linestyle="--", label="Laplace, constrained")
lap_draws = logit_normal.sample(200_000, rng=0)["p"]
hist, edges = np.histogram(lap_draws, bins=200, range=(0, 0.35), density=True)
ax.plot(
    (edges[1:] + edges[:-1]) / 2,
    hist,
    color="tab:green",
    linestyle="-.",
    label="Laplace, unconstrained",
)
ax.axvline(0, color="0.5", linewidth=0.8)
ax.set_xlim(-0.12, 0.35)
ax.legend(frameon=False);

# %%
unconstrained = bg.check_with_pymc(skewed, posterior=logit_normal, reference=nuts)
print(unconstrained.passed, unconstrained.problems)
pd.DataFrame(
    {
        "exact (conjugate)": reports["Beta-Binomial"].table.set_index("statistic")["z"],
        "Laplace, unconstrained": unconstrained.table.set_index("statistic")["z"],
        "Laplace, constrained": failed.table.set_index("statistic")["z"],
    }
).round(2)

# %% [markdown]
## What to take away

* `check_with_pymc` gives a verdict with a tolerance that follows from the Monte Carlo error of
  NUTS, not from a guess: an approximation fails when its error is larger than what the draws
  can resolve.
* A pass is evidence at the resolution of the NUTS run; more draws resolve smaller errors.
* The exact, grid and MAP answers pass; a Gaussian at the mode of a skewed posterior fails, and
  the report says which statistic, by how much, and in which direction.
"""

# ==========================================================================================
NOTEBOOKS: dict[str, str] = {
    "01_bayes_rule_grid_and_conjugate": NB01,
    "02_gradient_descent": NB02,
    "03_normal_unknown_mean_variance": NB03,
    "04_no_closed_form_logistic": NB04,
    "05_backprop_perceptron": NB05,
    "06_checking_with_pymc": NB06,
}


def build(*, check: bool = False, execute: bool = False, names: list[str] | None = None) -> int:
    """Write (or with ``check``, compare) every notebook; return the number out of date."""
    stale = 0
    for name, source in NOTEBOOKS.items():
        if names and name not in names:
            continue
        path = NOTEBOOK_DIR / f"{name}.ipynb"
        nb = notebook(source)
        text = _text(nb)
        if check:
            current = path.read_text(encoding="utf-8") if path.exists() else None
            if current != text:
                stale += 1
                print(f"{path.relative_to(ROOT)} is out of date: run scripts/build_notebooks.py")
            continue
        if execute:
            from nbclient import NotebookClient

            start = time.perf_counter()
            resources = {"metadata": {"path": str(NOTEBOOK_DIR)}}
            NotebookClient(nb, timeout=300, kernel_name="python3", resources=resources).execute()
            print(f"{name}: executed in {time.perf_counter() - start:.1f} s")
            EXECUTED_DIR.mkdir(parents=True, exist_ok=True)
            (EXECUTED_DIR / path.name).write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
        path.write_text(text, encoding="utf-8")
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    parser.add_argument(
        "--execute", action="store_true", help="also run them; outputs go to build/notebooks"
    )
    parser.add_argument("names", nargs="*", help="notebook names (default: all)")
    args = parser.parse_args(argv)
    if args.check and args.execute:
        parser.error("--check and --execute exclude each other")
    stale = build(check=args.check, execute=args.execute, names=args.names)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
