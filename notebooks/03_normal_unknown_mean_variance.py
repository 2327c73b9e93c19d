# %% [markdown]
# # A Normal with unknown mean and variance: two dimensions, and which mode?
#
# In 1882 Simon Newcomb timed light over a path of about 7.4 km, 66 times. The measurements are
# recorded as deviations from 24,800 nanoseconds. Both the mean $\mu$ of the measurements and
# their variance $\sigma^2$ are unknown: the posterior lives in two dimensions.
#
# This notebook computes that posterior on a 2-D grid and in closed form (the
# Normal-Inverse-Gamma update), draws gradient-descent paths on its contours, compares the MAP with
# the posterior mean, and asks a question that only arises for modes: *the mode of which density?*

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
ax.set_ylabel("count")
plt.show()

# %% [markdown]
# Two measurements (−44 and −2) sit far below the rest. A Normal model takes them at face value:
# they widen $\sigma^2$ and pull $\mu$ down a little. We keep them, as Newcomb's data are usually
# analysed this way first (Gelman et al., *Bayesian Data Analysis*, ch. 3).
#
# ## The model and its conjugate prior
#
# `bg.datasets.newcomb_model()` is a Normal likelihood with a vague **Normal-Inverse-Gamma** prior
# (`scipy.stats.normal_inverse_gamma`):
#
# $$
# \sigma^2 \sim \text{Inv-Gamma}(a_0, b_0), \qquad
# \mu \mid \sigma^2 \sim \mathcal N\!\left(\mu_0, \sigma^2 / \lambda_0\right),
# $$
#
# with $\mu_0 = 25$, $\lambda_0 = 0.01$ (worth a hundredth of an observation), $a_0 = 1$,
# $b_0 = 20$.

# %%
model = bg.datasets.newcomb_model()
print(model)
post = bg.conjugate(model)
print("prior:", post.prior_hyper)
print("posterior:", post.hyper)

# %% [markdown]
# The posterior is Normal-Inverse-Gamma again, with
#
# $$
# \lambda_n = \lambda_0 + n, \quad
# \mu_n = \frac{\lambda_0 \mu_0 + n \bar y}{\lambda_n}, \quad
# a_n = a_0 + \frac n2, \quad
# b_n = b_0 + \frac12 \sum_i (y_i - \bar y)^2 + \frac{\lambda_0 n (\bar y - \mu_0)^2}{2 \lambda_n}.
# $$
#
# By hand:

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
# Its marginals are the ones `post.dist` returns as `scipy.stats` objects:
# $\sigma^2 \mid D \sim \text{Inv-Gamma}(a_n, b_n)$ and $\mu \mid D$ a Student-$t$ with $2a_n$
# degrees of freedom, centre $\mu_n$ and scale $\sqrt{b_n / (a_n \lambda_n)}$.

# %%
print("mu:", post.dist["mu"].dist.name, post.dist["mu"].args, post.dist["mu"].kwds)
print("sigma2:", post.dist["sigma2"].dist.name, post.dist["sigma2"].args, post.dist["sigma2"].kwds)
post

# %% [markdown]
# ## The same posterior on a 2-D grid
#
# `bg.grid` evaluates the log posterior on a 2-D grid (one vectorised call over all points) and
# chooses the box from where the posterior has mass. Its summaries agree with the closed form.

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
# ## The descent path on the contours
#
# Gradient descent on $L(\mu, \sigma^2) = -\log p(\mu, \sigma^2 \mid D)$ works in the
# unconstrained coordinates $(\mu, \log \sigma^2)$ and reports $(\mu, \sigma^2)$. Left: the
# grid's posterior density. Right: the paths of three optimizers from the prior's centre,
# drawn by `bg.plots.plot_descent_paths`.

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
right.set_title("gradient-descent paths")
plt.show()

# %% [markdown]
# ## MAP versus posterior mean
#
# For $\mu$ the posterior is symmetric: mode, median and mean coincide. For $\sigma^2$ it is
# skewed to the right, and the summaries spread out. In closed form:
#
# * the joint mode (the MAP): $\sigma^2 = b_n / (a_n + 3/2)$,
# * the mode of the marginal of $\sigma^2$: $b_n / (a_n + 1)$,
# * the posterior mean: $b_n / (a_n - 1)$.

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
# A fraction of a standard deviation is not a disaster here, but it is a systematic bias: the MAP
# reports a smaller noise variance than the posterior supports. Which summary to report depends
# on the cost of being wrong: the mean minimises expected squared error, the median expected
# absolute error. The mode is not the answer to such a question, and, as the next section shows,
# it is not even a property of the posterior alone.
#
# ## The Jacobian question: the mode of which density?
#
# A probability *density* changes when the variable is transformed. If $u = g(\theta)$, then
# $p_u(u) = p_\theta(\theta)\, |d\theta / du|$. Probabilities of intervals, and so quantiles, carry
# over; the location of the peak does not.
#
# The smallest example: $p \sim \text{Beta}(9, 5)$ (a Binomial with 7 successes in 10 and a
# Beta(2, 2) prior). The mode of the density of $p$ is $(9-1)/(9+5-2) = 0.6667$. In the
# unconstrained coordinate $u = \operatorname{logit} p$, where gradient descent runs, the density
# picks up the factor $dp/du = p(1 - p)$:
#
# $$
# p_u(u) \propto p^{8} (1 - p)^{4} \cdot p (1 - p) = p^{9} (1 - p)^{5}, \quad
# \text{mode at } p = 9/14 = 0.6429 .
# $$
#
# `map_estimate` reports the first by default (`jacobian=False`: the mode of the density of the
# parameter as the model writes it, as `pm.find_MAP` does); `jacobian=True` gives the second (the
# mode of the density of $u$, mapped back, where a Laplace approximation in $u$ is centred).

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
ax_u.legend(frameon=False)
plt.show()

# %% [markdown]
# For Newcomb's variance the unconstrained coordinate is $u = \log \sigma^2$; the factor
# $d\sigma^2/du = \sigma^2$ moves the mode from $b_n / (a_n + 3/2)$ to $b_n / (a_n + 1/2)$.
# The median, by contrast, is the same in every coordinate: the median of $\log \sigma^2$ (here
# estimated from posterior draws) is the log of the median of $\sigma^2$.

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
# ## What to take away
#
# * With two unknowns the posterior is a surface; a grid still computes it, and the
#   Normal-Inverse-Gamma update gives it exactly.
# * Gradient descent finds its peak, the joint mode, from any start; the optimizers differ only in
#   the path.
# * For a skewed posterior the MAP, the marginal mode, the median and the mean are different
#   numbers. The mode also depends on the coordinates: say which one you report (`jacobian=`).
