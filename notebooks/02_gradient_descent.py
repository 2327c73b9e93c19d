# %% [markdown]
# # Gradient descent on the negative log posterior
#
# The posterior mode, the **MAP** (maximum a posteriori) estimate, is the $\theta$ where
# $p(\theta \mid D)$ is largest. Take logs and flip the sign: it is the minimum of the **loss**
#
# $$
# L(\theta) = -\log p(D \mid \theta) - \log p(\theta)
# \;\;\big(= -\log p(\theta \mid D) - \log p(D)\big).
# $$
#
# The evidence $p(D)$ does not depend on $\theta$, so the unnormalised posterior is enough.
# Gradient descent finds the minimum by walking downhill:
#
# $$
# \theta \leftarrow \theta - \alpha \, \frac{\partial L}{\partial \theta},
# $$
#
# with a **learning rate** (step size) $\alpha$. This notebook does a few steps by hand, checks
# them against `bg.map_estimate`, shows what the learning rate does, and compares plain gradient
# descent with momentum, Adam and the default optimizer.

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats

import bayesgd as bg

rng = np.random.default_rng(7)

# %% [markdown]
# ## One unknown: the mean of a Normal
#
# Twenty measurements with a known noise standard deviation $\sigma = 2$, and a Normal(0, 10)
# prior on their mean $\mu$.

# %%
sigma = 2.0
y = rng.normal(3.0, sigma, size=20)
model = bg.Normal(y=y, mu=stats.norm(0, 10), sigma=sigma)
print(model, " sample mean", y.mean().round(4))

# %% [markdown]
# Written out, up to constants,
#
# $$
# L(\mu) = \sum_i \frac{(y_i - \mu)^2}{2\sigma^2} + \frac{\mu^2}{2 \cdot 10^2}, \qquad
# \frac{\partial L}{\partial \mu} = -\sum_i \frac{y_i - \mu}{\sigma^2} + \frac{\mu}{10^2}.
# $$
#
# The model computes $\log p(D \mid \theta) + \log p(\theta)$ (`model.log_density`) and its
# gradient (`model.grad_log_density`) analytically; $L$ and $\partial L / \partial \mu$ are their
# negatives. A check at $\mu = 1$:

# %%
mu = 1.0
by_formula = -np.sum(y - mu) / sigma**2 + mu / 10**2
by_model = -model.grad_log_density(mu=mu)["mu"]
print(f"dL/dmu at mu = 1: formula {by_formula:.10f}, model {float(by_model):.10f}")
assert np.isclose(by_formula, by_model)

# %% [markdown]
# ## Five steps by hand
#
# Start where `map_estimate` starts, at the prior median ($\mu_0 = 0$), with $\alpha = 0.05$.

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
# `bg.map_estimate` with `optimizer="gd"` runs exactly this rule (in the parameter's unconstrained
# coordinate, which for $\mu$ is $\mu$ itself) until the gradient vanishes. With `record=True`,
# the default, it keeps every iterate in `fit.history`: the same numbers.

# %%
fit = bg.map_estimate(model, optimizer="gd", lr=lr)
print(fit)
fit.history.head(6)

# %%
np.testing.assert_allclose(fit.history["mu"][:6], by_hand["mu"], rtol=1e-12)
np.testing.assert_allclose(fit.history["loss"][:6], by_hand["loss"], rtol=1e-12)
np.testing.assert_allclose(fit.history["grad_norm"][:6], by_hand["dL/dmu"].abs(), rtol=1e-12)

# %% [markdown]
# The prior is conjugate, so the exact posterior is known: a Normal whose mean and mode are
# $\mu_n = \frac{\sum_i y_i / \sigma^2}{n / \sigma^2 + 1/10^2}$. Gradient descent lands on it to
# about eight digits (the default tolerance).

# %%
exact = bg.conjugate(model)
print(f"gradient descent {fit.params['mu']:.10f}, exact mode {exact.mode()['mu']:.10f}")
assert np.isclose(fit.params["mu"], exact.mode()["mu"], rtol=1e-8)

# %% [markdown]
# `bg.plots.plot_loss_and_gradient` draws the loss and its derivative with the iterates on both:
# the steps shrink as the slope flattens toward the minimum, where $\partial L / \partial \mu = 0$.

# %%
bg.plots.plot_loss_and_gradient(model, fit)
plt.show()

# %% [markdown]
# ## The learning rate: too small, right, too large
#
# The loss is a parabola with curvature
# $H = \partial^2 L / \partial \mu^2 = n / \sigma^2 + 1/10^2$.
# One step multiplies the distance to the minimum by $1 - \alpha H$:
#
# $$
# \mu_{t+1} - \mu^\ast = (1 - \alpha H)(\mu_t - \mu^\ast).
# $$
#
# So $\alpha = 1/H$ jumps to the minimum in one step, any $\alpha < 2/H$ converges (oscillating
# when $\alpha > 1/H$), and $\alpha > 2/H$ makes every step overshoot further than the last.

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
# * $\alpha = 0.002$ is too small: after 300 iterations it is still on its way, and
#   `map_estimate` says so with a `ConvergenceWarning` and `converged=False`.
# * $\alpha = 0.1$ converges quickly; $\alpha = 0.35$ too, overshooting the minimum at every step.
# * $\alpha = 0.45 > 2/H$ diverges. `map_estimate` does not return a silent NaN: it raises
#   `bg.DivergenceError`, naming the iteration and suggesting a step size from the local curvature:

# %%
print(divergence)

# %% [markdown]
# The contraction factor can be read off the history: successive distances to the mode shrink by
# exactly $|1 - \alpha H|$.

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
# ## Convergence, on a log scale
#
# `bg.plots.plot_convergence` plots the loss above its final value and the gradient norm against
# the iteration on a log scale, and the length of each step. A fixed factor per step is a straight
# line: this is *linear* convergence. The loss gap falls twice as steeply as the gradient, because
# near the minimum $L - L^\ast \propto (\mu - \mu^\ast)^2$ while
# $\partial L / \partial \mu \propto \mu - \mu^\ast$.

# %%
axes = bg.plots.plot_convergence(runs[0.1])
axes[0].set_title("lr = 0.1")
plt.show()

# %% [markdown]
# ## Keeping every θ, or only the last
#
# `record=True` (the default) stores the whole path, which the plots above need. With
# `record=False` only the current iterate is kept: memory stays constant however many iterations
# run, the answer is the same, and `history` is `None`.

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
# ## Two unknowns: a valley, momentum and Adam
#
# With more than one parameter the gradient is a vector, and the update moves all of them at once.
# A straight-line regression with the predictor far from zero makes the loss a long, narrow valley:
# the intercept and the slope trade off against each other.

# %%
x = rng.uniform(0, 4, size=30)
y_line = 1.0 + 0.5 * x + rng.normal(0, 1.0, size=30)
line = bg.LinearRegression(
    X=x[:, None], y=y_line, coef=stats.norm(0, 5), intercept=stats.norm(0, 5), sigma=1.0
)
exact_line = bg.conjugate(line).mode()
print(line, "\nexact mode:", exact_line)

# %% [markdown]
# The loss is again quadratic. Its Hessian is $X^\top X / \sigma^2$ plus the prior precision
# (with a column of ones for the intercept); its eigenvalues are the curvatures along the valley
# floor ($\lambda_{\min}$) and across it ($\lambda_{\max}$). Plain gradient descent needs
# $\alpha < 2/\lambda_{\max}$ to stay stable across the valley, and then crawls along it at a rate
# set by the condition number $\kappa = \lambda_{\max} / \lambda_{\min}$.

# %%
design = np.column_stack([x, np.ones_like(x)])
hessian = design.T @ design / 1.0**2 + np.eye(2) / 5**2
lam_min, lam_max = np.linalg.eigvalsh(hessian)
kappa = lam_max / lam_min
print(f"curvatures {lam_min:.2f} and {lam_max:.2f}, condition number {kappa:.1f}")

# %% [markdown]
# Optimizers are objects built by `bg.optim` (or named by a string). Four of them:
#
# * **gd** with $\alpha = 1/\lambda_{\max}$;
# * **momentum** (heavy ball): $v \leftarrow \beta v - \alpha \nabla L$, $\theta \leftarrow
#   \theta + v$, with the same $\alpha$ and $\beta = 0.7$: the velocity $v$ averages away the
#   zig-zag across the valley and builds up speed along it;
# * **Adam**, which scales each coordinate's step by a running estimate of its gradient size;
# * the **default**, L-BFGS, which builds a curvature model from past gradients and picks its step
#   by a line search: no learning rate to tune.

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
# The paths on the contours of the log posterior (`bg.plots.plot_descent_paths`): gradient descent
# heads straight downhill, which is mostly across the valley, then creeps along its floor;
# momentum swings past the floor but keeps its speed along it; Adam's first steps, about $\alpha$
# in every coordinate whatever the gradient, go diagonally; L-BFGS needs a handful of steps.

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
ax.legend(frameon=False)
plt.show()

# %% [markdown]
# ## A constrained parameter: the chain rule through the transform
#
# Now let the noise scale be unknown too, with a half-normal prior: $\sigma > 0$. A gradient step
# could jump to a negative $\sigma$, so `map_estimate` optimises the unconstrained
# $u = \log \sigma$ instead and maps back. The gradient in $u$ comes from the chain rule:
#
# $$
# \frac{\partial L}{\partial u} = \frac{\partial L}{\partial \sigma}
# \frac{d\sigma}{du} = \frac{\partial L}{\partial \sigma}\, \sigma .
# $$
#
# One step by hand from the starting point, against the recorded history (`u[sigma]` is the
# unconstrained coordinate):

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
# ## What to take away
#
# * Gradient descent on $L(\theta) = -\log p(D \mid \theta) - \log p(\theta)$ finds the posterior
#   mode; `map_estimate(optimizer="gd")` is the textbook rule, step for step.
# * The learning rate has to respect the curvature: $\alpha < 2/H$. Too small wastes iterations
#   (a `ConvergenceWarning`), too large diverges (a `DivergenceError` with a suggested step).
# * Momentum and Adam change the path, not the destination; the default L-BFGS gets there in a
#   few steps without a learning rate to choose.
# * The MAP is one point. The posterior around it, and when that point misleads, is the subject
#   of the next notebooks.
