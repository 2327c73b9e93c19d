# %% [markdown]
# # No closed form: logistic regression of the Challenger O-rings
#
# Before the space shuttle Challenger's last launch, engineers had data on O-ring damage from 23
# earlier flights and the temperature at each launch. The forecast for the morning of 28 January
# 1986 was 31 °F, far colder than any previous launch. This is the data set Dalal, Fowlkes and
# Hoadley (1989) analysed afterwards, and it is small enough to see every method at work.
#
# The model is a logistic regression: there is no conjugate prior, so no closed-form posterior.
# We compute the posterior on a grid, find the MAP by gradient descent, approximate the posterior
# by a Gaussian at the mode (Laplace), sample it with PyMC's NUTS, and compare. Then we ask what
# each says about a launch at 31 °F.

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
ax.set(xlabel="launch temperature (°F)", ylabel="O-ring damage (0/1)", xlim=(25, 85))
plt.show()

# %% [markdown]
# ## The model
#
# $$
# \Pr(\text{damage}_i = 1) = \operatorname{logit}^{-1}(\alpha + \beta x_i), \qquad
# x_i = \frac{T_i - 70\,°\mathrm F}{10\,°\mathrm F},
# $$
#
# with weakly informative priors $\beta \sim \mathcal N(0, 2.5)$ (`coef`, the change in log-odds
# per 10 °F) and $\alpha \sim \mathcal N(0, 5)$ (`intercept`, the log-odds at 70 °F).
# `bg.datasets.challenger_model()` builds it. Asking for the closed form fails, loudly and with
# the alternatives:

# %%
model = bg.datasets.challenger_model()
print(model)
try:
    bg.conjugate(model)
except bg.NotConjugateError as error:
    print("NotConjugateError:", str(error)[:300], "...")

x31 = (31 - 70) / 10  # the standardised launch temperature

# %% [markdown]
# ## All the methods, side by side
#
# `bg.compare` runs every method that applies: the grid (the reference here, since there is no
# closed form; two parameters are cheap on a grid), gradient descent for the MAP, Laplace, and
# NUTS through PyMC (a short run: 2 chains of 500 draws after 500 tuning steps). The table gives
# each method's summaries and its distance from the reference in posterior standard deviations.

# %%
cmp = bg.compare(model, rng=20240601, options={"pymc": {"draws": 500, "tune": 500, "chains": 2}})
cmp.table.drop(columns="seconds").round(4)  # wall times vary from run to run

# %%
print(cmp.explain())

# %% [markdown]
# `cmp.plot()` overlays the marginal densities, with the MAP as a red line and each method's mean
# as a dot on the axis. The grid and NUTS agree; the slope's posterior is skewed toward steeper
# (more negative) slopes, and both the MAP and the Laplace Gaussian, which is symmetric about the
# MAP, miss that tail.

# %%
cmp.plot()
plt.show()

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
# ## Where the MAP misleads: a launch at 31 °F
#
# The MAP gives one pair $(\hat\alpha, \hat\beta)$, and *plugging it in* gives one probability of
# damage, $\operatorname{logit}^{-1}(\hat\alpha + \hat\beta x)$. The posterior predictive instead
# averages the probability over the posterior,
#
# $$
# \Pr(\text{damage} \mid x, D) = \int \operatorname{logit}^{-1}(\alpha + \beta x)\,
# p(\alpha, \beta \mid D)\, d\alpha\, d\beta ,
# $$
#
# which we estimate from draws of each posterior. At 31 °F, four standard deviations of the data
# below its mean, the two differ.


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
# Both say damage is likely. But the plug-in answer, 99.9 %, is far too sure: it treats the
# estimated slope as known, when 23 flights leave it uncertain and 31 °F is an extrapolation. The
# posterior puts the probability anywhere from about 0.84 to 1 (the interval of the probability
# itself), and its average is lower than the plug-in because the logistic curve flattens near 1.
# The Laplace approximation, symmetric about the MAP, understates how steep the slope may be and
# so understates the risk.
#
# Across temperatures: the MAP's curve against the posterior's mean and 94 % band.

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
ax.legend(frameon=False)
plt.show()

# %% [markdown]
# ## What to take away
#
# * Without a conjugate prior there is no formula, but two parameters are easy on a grid, and the
#   grid and NUTS agree with each other.
# * The MAP and the Laplace approximation are centred on the mode: fine for the bulk of a nearly
#   Gaussian posterior, wrong in the tails of a skewed one.
# * A prediction from the MAP alone hides the uncertainty that matters most where the data are
#   thinnest. Averaging over the posterior shows it.
