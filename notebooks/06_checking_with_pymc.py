# %% [markdown]
# # Checking with PyMC
#
# Every method in bayesgd can be wrong in its own way: a closed form can be mis-derived, a grid
# can miss mass, gradient descent can stop early, a Gaussian approximation can be the wrong shape.
# `bg.check_with_pymc` checks a posterior against an independent computation: the same model
# written in PyMC (`bg.to_pymc`) and sampled with NUTS.
#
# The check compares, for every scalar parameter, the posterior mean, standard deviation and the
# two ends of the 94 % highest-density interval with the NUTS estimates. NUTS estimates carry Monte
# Carlo error, so the tolerance is not a fixed number: a statistic passes when it lies within
# $z = 4$ Monte Carlo standard errors (MCSE, from the effective sample size) of the NUTS value.
# The check also fails if NUTS's own diagnostics fail, and it compares the MAP from gradient
# descent with `pm.find_MAP`.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats

import bayesgd as bg

rng = np.random.default_rng(11)

# %% [markdown]
# ## Three families
#
# * a Binomial with a flat Beta(1, 1) prior and 1 success in 20 trials: the posterior, Beta(2, 20),
#   is pressed against zero and skewed;
# * a Poisson with a Gamma prior: conjugate again;
# * a Normal with unknown mean *and* standard deviation under independent Normal and half-Normal
#   priors: not conjugate, so the reference is the grid.

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
# ## The same model in PyMC
#
# `bg.to_pymc` writes a bayesgd model as a PyMC model. Its log density, without PyMC's Jacobian
# terms for the transformed variables, is the bayesgd log density at every point:

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
# ## `compare`: every method side by side
#
# `bg.compare` runs the methods that apply and measures each against the best reference
# (conjugate, else grid) in posterior standard deviations (`mean_error`, `mode_error`). Here
# without NUTS, which the checks below run. A method named in `methods=` that cannot run raises
# its error (`bg.NotConjugateError` for the Normal with independent priors), so we ask for the
# closed form only where `bg.is_conjugate` says there is one.

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
# The exact, grid and gradient-descent answers agree to many digits. The Laplace approximation
# is visibly off where the posterior is skewed: the Beta (its mean is a third of a posterior sd
# too high) and the Normal's $\sigma$.
#
# ## `check_with_pymc`: a verdict against NUTS
#
# By default the check takes the exact posterior when there is one, else the grid.

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
# One report in full: each statistic, the NUTS estimate, the difference, its MCSE and the
# difference in MCSE units ($z$); then the MAP against `pm.find_MAP`.

# %%
reports["Normal, unknown mu and sigma"]

# %%
assert all(r.passed for r in reports.values())

# %% [markdown]
# ## What a failed check looks like
#
# Now check an approximation that is wrong: the Laplace approximation in the constrained space
# (a Gaussian on $p$ itself at the MAP, as rethinking's `quap` does) for the skewed Beta(2, 20)
# posterior. We reuse the NUTS draws of the passing check (`reference=`), so there is no second
# run.

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
# Every statistic is many MCSE away. The picture shows why: the Gaussian is centred at the mode,
# $p = 0.05$, symmetric, and puts mass on negative probabilities. The unconstrained Laplace
# (a Gaussian on $\operatorname{logit} p$) stays inside $(0, 1)$ and is closer, but with 4000
# NUTS draws the check still resolves its error.

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
ax.legend(frameon=False)
plt.show()

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
# ## What to take away
#
# * `check_with_pymc` gives a verdict with a tolerance that follows from the Monte Carlo error of
#   NUTS, not from a guess: an approximation fails when its error is larger than what the draws
#   can resolve.
# * A pass is evidence at the resolution of the NUTS run; more draws resolve smaller errors.
# * The exact, grid and MAP answers pass; a Gaussian at the mode of a skewed posterior fails, and
#   the report says which statistic, by how much, and in which direction.
