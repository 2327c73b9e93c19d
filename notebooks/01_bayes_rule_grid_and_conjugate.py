# %% [markdown]
# # Bayes' rule on a grid and in closed form
#
# Bayes' rule says how a belief about an unknown $\theta$ changes after seeing data $D$:
#
# $$
# p(\theta \mid D) = \frac{p(D \mid \theta)\, p(\theta)}{p(D)}, \qquad
# p(D) = \int p(D \mid \theta)\, p(\theta)\, d\theta .
# $$
#
# The **prior** $p(\theta)$ is what we believed before, the **likelihood** $p(D \mid \theta)$ how
# probable the data are for each value of $\theta$, and the **posterior** $p(\theta \mid D)$ what
# we believe after. The denominator $p(D)$, the **evidence**, only makes the posterior integrate to
# one.
#
# This notebook computes a posterior twice: numerically, by evaluating prior × likelihood on a grid
# of $\theta$ values, and exactly, with the closed-form (conjugate) update. Then it updates the
# posterior one batch of data at a time.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import logsumexp

import bayesgd as bg

rng = np.random.default_rng(20240601)

# %% [markdown]
# ## A coin
#
# We flip a coin 20 times. Its probability of heads, $p$, is what we want to learn. (The coin is
# simulated with $p = 0.7$, so we can see how close to the truth 20 flips get us.)

# %%
flips = (rng.random(20) < 0.7).astype(int)
print(flips, "->", flips.sum(), "heads in", flips.size, "flips")

# %% [markdown]
# ## The model: data + likelihood + prior
#
# In bayesgd a model is the data, a likelihood family and a prior for each unknown. Priors are
# `scipy.stats` distributions. We take a Beta(2, 2) prior: it says $p$ is probably not very close
# to 0 or 1, and nothing more. Each flip is a Bernoulli trial:
#
# $$
# p(D \mid p) = \prod_i p^{y_i} (1 - p)^{1 - y_i} = p^{k} (1 - p)^{n - k},
# $$
#
# with $k$ heads in $n$ flips: the likelihood depends on the data only through $(k, n)$, its
# *sufficient statistics*, which the model computes once.

# %%
model = bg.Bernoulli(y=flips, p=stats.beta(2, 2))
print(model)
print("parameters:", model.names, " sufficient statistics:", model.stats)

# %% [markdown]
# ## Bayes' rule by hand, on a grid
#
# Evaluate the log prior and the log likelihood at 1001 values of $p$ (one vectorised call each),
# add them, and normalise. Working in log space keeps the numbers representable however much data
# there is; `logsumexp` does the normalisation stably. The sum of the unnormalised posterior times
# the grid spacing approximates the evidence $p(D)$.

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
# `bg.plots.plot_bayes` draws the three ingredients on one axis. The likelihood is not a density
# in $p$, so it is scaled to integrate to one, to share the axis: the posterior sits between the
# prior and the likelihood, closer to the likelihood because 20 flips say more than a Beta(2, 2)
# prior.

# %%
ax = bg.plots.plot_bayes(model)
ax.axvline(flips.mean(), color="tab:blue", linewidth=0.8, linestyle=":")
ax.set_title(f"{flips.sum()} heads in {flips.size} flips, Beta(2, 2) prior")
plt.show()

# %% [markdown]
# ## The closed form
#
# For this prior and likelihood the integral has a closed form. Multiply the Beta(a, b) density
# $\propto p^{a-1}(1-p)^{b-1}$ by the likelihood $p^{k}(1-p)^{n-k}$ and you get another Beta:
#
# $$
# p \mid D \sim \mathrm{Beta}(a + k,\; b + n - k).
# $$
#
# A prior whose posterior stays in the same family is *conjugate* to the likelihood.
# `bg.conjugate` applies the update and returns `scipy.stats` marginals (`post.dist`), the
# evidence and the posterior predictive.

# %%
post = bg.conjugate(model)
k, n = flips.sum(), flips.size
print(post.hyper, "== Beta(2 +", k, ", 2 +", n - k, ")")
assert np.isclose(post.hyper["a"], 2 + k) and np.isclose(post.hyper["b"], 2 + n - k)
low, high = post.hdi(0.94)["p"]
print(f"94% highest-density interval ({low:.3f}, {high:.3f}); the coin's true p is 0.7")
post

# %% [markdown]
# ## The grid against the closed form, side by side
#
# `bg.grid` does what we did by hand, more carefully: it places the grid where the posterior has
# mass and integrates cell by cell. All three answers agree; the grid's errors are far below the
# posterior's own spread.

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
# The exact evidence is also the probability of this exact sequence of flips under the prior
# predictive: a Beta function ratio, $B(a + k, b + n - k) / B(a, b)$.

# %%
from scipy.special import betaln

print(post.log_evidence, betaln(2 + k, 2 + n - k) - betaln(2, 2))

# %% [markdown]
# ## Sequential updating: today's posterior is tomorrow's prior
#
# Data can arrive in batches. Updating with the first batch gives a posterior; using that
# posterior as the prior for the next batch gives the same result as updating with everything at
# once, because the likelihood of independent flips multiplies. `bg.plots.plot_updates` draws each
# step (dashed: before the batch, solid: after).

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
    sequential.update(**batch)  # in place, like dict.update
print("one batch at a time:", sequential.hyper, " all at once:", post.hyper)
assert sequential.hyper == post.hyper

# %% [markdown]
# ## What the posterior predicts
#
# The probability that the next flip is heads averages $p$ over the posterior: it is the
# posterior mean, $(a + k) / (a + b + n)$, not the single most probable $p$ (the mode,
# $(a + k - 1) / (a + b + n - 2)$). `post.predictive()` returns it as a `scipy.stats` distribution.

# %%
next_flip = post.predictive()
print(
    f"P(next flip is heads) = {next_flip.pmf(1):.4f};  posterior mean {post.mean()['p']:.4f};"
    f"  posterior mode {post.mode()['p']:.4f}"
)
assert np.isclose(next_flip.pmf(1), post.mean()["p"])

# %% [markdown]
# ## What to take away
#
# * The posterior is prior × likelihood, normalised. On one or two parameters a grid computes it
#   directly, in log space.
# * When the prior is conjugate the update is a formula; `bg.conjugate` gives it, and `bg.grid`
#   agrees with it to many digits.
# * Updating in batches equals updating at once.
# * The mode and the mean of the posterior differ. The next notebook finds the mode by gradient
#   descent, and the rest of the series asks when that single point is a good summary.
