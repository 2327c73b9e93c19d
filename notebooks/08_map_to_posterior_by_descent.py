# %% [markdown]
# # From the MAP to the posterior by gradient descent
#
# Gradient descent on $L(\theta) = -\log p(\theta \mid D)$ finds one point, the MAP. Four
# approximations go from that point toward the whole posterior, each by a little more descent:
#
# 1. **the MAP** (`bg.map_estimate`): a point, no uncertainty at all;
# 2. **Laplace** (`bg.laplace`): a Gaussian at the mode, its covariance the inverse curvature
#    there. In the constrained space (`space="constrained"`) it sits on $\theta$ at the MAP; in
#    the default unconstrained space it sits on $u$ (e.g. $\operatorname{logit} p$) at the
#    Jacobian-adjusted mode and is pushed back through the transform;
# 3. **ADVI** (`bg.vi`): a Gaussian on $u$ fitted by descent on the negative ELBO,
#    $-\mathrm{ELBO}(q) = E_q[-\log p(u, D)] - H(q)$, with independent coordinates
#    (`family="meanfield"`) or a full covariance (`"fullrank"`);
# 4. **Pathfinder** (`bg.pathfinder`): a Gaussian read off the path that L-BFGS walks to the mode,
#    its covariance L-BFGS's own inverse-Hessian estimate at the iterate with the best ELBO.
#
# Each is a Gaussian somewhere, and a posterior need not be one. Without running NUTS, how do we
# know when to trust it? Pareto-smoothed importance sampling (PSIS) draws from the approximation
# $q$, weights each draw by $p(\theta, D) / q(\theta)$ (the model's exact unnormalised density
# over the approximation's), and fits a generalised Pareto distribution to the largest weights.
# Its shape $\hat k$ measures how heavy the weights' tail is: below 0.5 good, up to 0.7 usable,
# above 0.7 do not trust (Yao et al. 2018, Vehtari et al. 2024). `q.khat(model)` reports it;
# `q.importance_resample(model, size=...)` resamples the draws by the same weights and so
# corrects them toward the posterior, when $\hat k$ says the correction itself can be trusted.
#
# Three models, each with an exact answer to compare with: a skewed Beta-Binomial (conjugate),
# the Challenger logistic regression (a 2-D grid) and a linear regression with strongly
# correlated predictors and known noise (conjugate, and exactly Gaussian).

# %%
import time
import warnings

import arviz as az
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats

import bayesgd as bg

pd.set_option("display.width", 120)

start = time.perf_counter()
# importance_resample warns (ImportanceWarning) whenever k-hat > 0.7; the tables show k-hat.
warnings.filterwarnings("ignore", category=bg.ImportanceWarning)

DRAWS = 4000  # proposals for every k-hat


def approximations(model, seed):
    """The four approximations (Laplace in both spaces, ADVI in both families), seeded."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bg.SupportWarning)  # constrained Laplace below p = 0
        return {
            "Laplace (θ)": bg.laplace(model, space="constrained"),
            "Laplace (u)": bg.laplace(model),
            "ADVI mean-field": bg.vi(model, family="meanfield", rng=seed),
            "ADVI full-rank": bg.vi(model, family="fullrank", rng=seed + 1),
            "Pathfinder": bg.pathfinder(model, rng=seed + 2),
        }


def trust_table(model, fits, exact_mean, exact_sd, element, seed):
    """Mean and sd of one element, uncorrected and importance-resampled, with k-hat."""
    name, index = element
    pick = (lambda v: v[name]) if index is None else (lambda v: v[name][index])
    fit = bg.map_estimate(model)
    rows = [("exact", exact_mean, exact_sd, np.nan, "", np.nan, np.nan)]
    rows.append(("MAP", pick(fit.params), 0.0, np.nan, "a point", np.nan, np.nan))
    corrected = {}
    for i, (label, q) in enumerate(fits.items()):
        k = q.khat(model, draws=DRAWS, rng=seed + i)
        fixed = q.importance_resample(model, size=DRAWS, rng=seed + 10 + i)
        corrected[label] = fixed
        verdict = bg.trust.khat_verdict(k)
        rows.append((label, pick(q.mean()), pick(q.sd()), k, verdict,
                     pick(fixed.mean()), pick(fixed.sd())))  # fmt: skip
    columns = ["mean", "sd", "khat", "verdict", "corrected mean", "corrected sd"]
    table = pd.DataFrame([r[1:] for r in rows], columns=columns, index=[r[0] for r in rows])
    return table, corrected


# %% [markdown]
# `bg.trust.khat_verdict` turns a $\hat k$ into the words of the thresholds:

# %%
for k in (0.3, 0.6, 0.9):
    print(f"k-hat {k}: {bg.trust.khat_verdict(k)}")

# %% [markdown]
# ## 1. A skewed posterior: one success in twenty
#
# One success in $n = 20$ trials under a flat prior gives the posterior Beta(2, 20): pressed
# against zero, with a long right tail. The MAP is $1/20 = 0.05$, the mean $2/22 = 0.091$.

# %%
beta_model = bg.Binomial(k=1, n=20, p=stats.beta(1, 1))
exact_beta = stats.beta(2, 20)
beta_fits = approximations(beta_model, seed=1)
beta_table, beta_fixed = trust_table(
    beta_model, beta_fits, exact_beta.mean(), exact_beta.std(), ("p", None), seed=100
)
beta_table.round(4)

# %% [markdown]
# The constrained Laplace Gaussian is centred on the MAP, 0.05, and puts mass below zero; the
# others live on $u = \operatorname{logit} p$, where the posterior density is
# $\propto e^{2u} / (1 + e^u)^{22}$: its left tail falls like $e^{2u}$, only exponentially, while
# every Gaussian's tail falls like $e^{-u^2}$. The weights $p / q$ therefore grow without bound
# far out in that tail, and $\hat k$ says so: no Gaussian here is "good". The ADVI fits, which
# minimise $\mathrm{KL}(q \,\|\, p)$ and so are drawn to the mode and away from the tails, get
# the largest $\hat k$; the unconstrained Laplace and Pathfinder, wider in that tail, get less.
#
# The corrected columns show what importance resampling recovers. The figure puts each
# approximation (uncorrected, filled) and its correction (line) over the exact Beta(2, 20).

# %%
x = np.linspace(0.0, 0.4, 400)
fig, axes = plt.subplots(1, len(beta_fits), figsize=(15, 3.2), sharey=True)
for ax, (label, q) in zip(axes, beta_fits.items(), strict=True):
    bins = np.linspace(-0.1, 0.4, 80)
    raw = q.sample(DRAWS, rng=7)["p"]
    ax.hist(raw, bins=bins, density=True, color="C0", alpha=0.35, label="approximation")
    ax.hist(beta_fixed[label].sample(DRAWS, rng=8)["p"], bins=bins, density=True,
            histtype="step", color="C3", lw=1.5, label="importance-resampled")  # fmt: skip
    ax.plot(x, exact_beta.pdf(x), "k", lw=1.5, label="exact Beta(2, 20)")
    ax.axvline(0.05, color="grey", ls=":", label="MAP")
    ax.set(title=f"{label}\nk-hat {beta_table.loc[label, 'khat']:.2f}", xlabel="p")
axes[0].set_ylabel("density")
axes[0].legend(fontsize=7)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 2. The Challenger logistic regression
#
# Damage to an O-ring against launch temperature (per 10 °F, centred at 70 °F), two parameters
# with Normal priors (`bg.datasets.challenger_model()`). There is no closed form, but with two
# parameters a grid is exact to its resolution. The parameters are unconstrained, so both
# Laplace fits are the same Gaussian at the MAP.

# %%
challenger = bg.datasets.challenger_model()
exact_grid = bg.grid(challenger)
ch_fits = approximations(challenger, seed=2)
ch_table, ch_fixed = trust_table(
    challenger,
    ch_fits,
    exact_grid.mean()["coef"][0],
    exact_grid.sd()["coef"][0],
    ("coef", 0),
    seed=200,
)
ch_table.round(3)

# %% [markdown]
# The posterior of the temperature coefficient is skewed toward large negative values: the MAP
# and the Laplace mean (−1.98) sit closer to zero than the posterior mean (−2.32), and the
# Laplace sd is too small. ADVI and Pathfinder move the mean to the right place, and the
# importance-resampled columns move every fit to the grid's answer.
#
# $\hat k$ is not a score for the mean and the sd, though. Full-rank ADVI has the best mean and
# nearly the right sd, and still the worst $\hat k$: somewhere its Gaussian tail is lighter than
# the posterior's, so a few draws get very large weights. $\hat k$ reads only the tail of the
# weights. It is easy to check by hand, with ArviZ's PSIS on the same draws and the model's log
# density:

# %%
q = ch_fits["ADVI full-rank"]
draws = q.sample(DRAWS, rng=21)
u = np.column_stack([draws["coef"][:, 0], draws["intercept"]])
log_q = stats.multivariate_normal(q.mean_vector, q.cov).logpdf(u)
log_p = np.array([float(challenger.log_density(coef=np.array([c]), intercept=b)) for c, b in u])
_, k_by_hand = az.psislw(log_p - log_q)
print(f"k-hat by hand (ArviZ psislw): {float(k_by_hand):.3f}")
print(f"q.khat(model, draws={DRAWS}, rng=21): {q.khat(challenger, draws=DRAWS, rng=21):.3f}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
x_grid, dens = exact_grid.marginal("coef", 0)
axes[0].plot(x_grid, dens, "k", lw=2, label="exact (grid)")
for i, label in enumerate(["Laplace (u)", "ADVI full-rank", "Pathfinder"]):
    raw = ch_fits[label].sample(DRAWS, rng=9)["coef"][:, 0]
    fixed = ch_fixed[label].sample(DRAWS, rng=10)["coef"][:, 0]
    bins = np.linspace(-6, 1, 60)
    axes[0].hist(raw, bins=bins, density=True, histtype="step", ls="--", color=f"C{i}",
                 label=f"{label}")  # fmt: skip
    axes[0].hist(fixed, bins=bins, density=True, histtype="step", color=f"C{i}",
                 label=f"{label}, resampled")  # fmt: skip
axes[0].set(xlabel="coef (log-odds per 10 °F)", ylabel="density", xlim=(-6, 1),
            title="Temperature coefficient: dashed raw, solid corrected")  # fmt: skip
axes[0].legend(fontsize=7)

# The ELBO history of a full-rank ADVI run: an ELBO estimate every 5 iterations.
q_elbo = bg.vi(challenger, family="fullrank", eval_every=5, tol=1e-3, rng=5)
history = q_elbo.history
print(history.head().round(5))
axes[1].plot(history["iteration"][:-1], history["elbo"][:-1], "o-", ms=3, label="ELBO estimate")
axes[1].axhline(q_elbo.elbo, color="C3", ls="--", label="final (Polyak average)")
axes[1].set(xlabel="iteration", ylabel="ELBO", title="ADVI: descent on the negative ELBO")
axes[1].legend(fontsize=8)
fig.tight_layout()
plt.show()
print(f"converged: {q_elbo.converged} after {q_elbo.iterations} iterations; "
      f"ELBO {q_elbo.elbo:.3f} <= log evidence (grid) {exact_grid.log_evidence:.3f}")  # fmt: skip
assert q_elbo.elbo <= exact_grid.log_evidence

# %% [markdown]
# The history is short because `bg.vi` does not start from nothing: it starts at the Laplace
# Gaussian (in coordinates whitened by the curvature at the mode), so the descent only has to
# correct Laplace's shape. The estimates along the way reuse the same 200 draws every time
# (so that their change measures how far $q$ moved, not Monte Carlo noise), which shifts their
# level by a fixed amount; the final ELBO, from 4,000 fresh draws at the averaged $q$, is the one
# to read. The ELBO is a lower bound on the log evidence; the gap,
# $\log p(D) - \mathrm{ELBO} = \mathrm{KL}(q \,\|\, p)$, is what the Gaussian family costs.
#
# ## 3. Correlated predictors: what mean-field cannot see
#
# Fifty observations of $y = 1.0\,x_1 - 0.5\,x_2 + \varepsilon$, noise sd 1 known, where the two
# predictors have correlation 0.95. With Normal(0, 10) priors the posterior of the two
# coefficients is exactly Gaussian, with covariance
# $\Sigma = (X^\top X / \sigma^2 + I / 10^2)^{-1}$, and strongly correlated (the data pin down
# $x_1$'s and $x_2$'s effects together much better than apart).
#
# A mean-field Gaussian has no correlation. Minimising $\mathrm{KL}(q \,\|\, p)$ over it, for a
# Gaussian $p$ with precision $\Lambda = \Sigma^{-1}$, gives exactly the right mean and the
# variances $1 / \Lambda_{ii}$: in two dimensions each marginal sd shrunk by the factor
# $\sqrt{1 - \rho^2}$, where $\rho$ is the posterior correlation.

# %%
rng = np.random.default_rng(8)
X = rng.multivariate_normal([0.0, 0.0], [[1.0, 0.95], [0.95, 1.0]], size=50)
y = X @ np.array([1.0, -0.5]) + rng.normal(0.0, 1.0, size=50)
regression = bg.LinearRegression(X=X, y=y, coef=stats.norm(0, 10), sigma=1.0)

cov = np.linalg.inv(X.T @ X + np.eye(2) / 100.0)
exact_mean = cov @ X.T @ y
exact_sd = np.sqrt(np.diag(cov))
rho = cov[0, 1] / (exact_sd[0] * exact_sd[1])
conj = bg.conjugate(regression)
assert np.allclose(conj.mean()["coef"], exact_mean) and np.allclose(conj.sd()["coef"], exact_sd)
print(
    f"posterior correlation rho = {rho:.4f}; shrinkage sqrt(1 - rho^2) = {np.sqrt(1 - rho**2):.4f}"
)

reg_fits = approximations(regression, seed=3)
reg_table, reg_fixed = trust_table(
    regression, reg_fits, exact_mean[0], exact_sd[0], ("coef", 0), seed=300
)
reg_table.round(4)

# %% [markdown]
# Laplace, full-rank ADVI and Pathfinder recover the exact Gaussian (Laplace exactly: the
# posterior *is* Gaussian, and every importance ratio is the same constant, so $\hat k = -\infty$).
# Mean-field ADVI gets the mean and the shrunk sd, as the closed form says:

# %%
mf = reg_fits["ADVI mean-field"]
predicted = exact_sd * np.sqrt(1 - rho**2)
for i in range(2):
    ratio = mf.sd()["coef"][i] / exact_sd[i]
    print(f"coef[{i}]: mean-field sd {mf.sd()['coef'][i]:.4f}, exact sd {exact_sd[i]:.4f}, "
          f"ratio {ratio:.4f} (closed form {np.sqrt(1 - rho**2):.4f})")  # fmt: skip
    assert abs(mf.sd()["coef"][i] / predicted[i] - 1) < 0.05
    assert abs(mf.mean()["coef"][i] - exact_mean[i]) < 0.05 * exact_sd[i]

# %% [markdown]
# $\hat k$ sees it: mean-field ADVI is the only fit here flagged as not to be trusted, because
# its narrow, axis-aligned Gaussian never proposes the points along the posterior's long diagonal,
# where the weights are then huge. Resampling cannot create those points either, and so the
# "corrected" mean-field sd is still too small: a large $\hat k$ means that the correction, too,
# cannot be trusted. The picture shows the draws:

# %%
fig, ax = plt.subplots(figsize=(5.5, 5))
exact_draws = conj.sample(2000, rng=11)["coef"]
ax.scatter(*exact_draws.T, s=3, color="k", alpha=0.3, label="exact (conjugate)")
for i, label in enumerate(["ADVI mean-field", "ADVI full-rank"]):
    draws = reg_fits[label].sample(2000, rng=12 + i)["coef"]
    k = reg_table.loc[label, "khat"]
    ax.scatter(*draws.T, s=3, color=f"C{i}", alpha=0.4, label=f"{label}, k-hat {k:.2f}")
ax.set(xlabel="coef[0] (x1)", ylabel="coef[1] (x2)",
       title=f"Posterior correlation {rho:.2f}: mean-field is round")  # fmt: skip
ax.legend(fontsize=8, markerscale=3)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## The trust numbers together
#
# One $\hat k$ per approximation and model, all from the same PSIS against each model's exact
# log density:

# %%
trust = pd.DataFrame(
    {
        "Beta-Binomial": beta_table["khat"],
        "Challenger": ch_table["khat"],
        "correlated regression": reg_table["khat"],
    }
).drop(index=["exact", "MAP"])
print(trust.round(2))
elapsed = time.perf_counter() - start
assert elapsed < 120, elapsed

# %% [markdown]
# Read down a column to choose an approximation for a model, across a row to see where a method
# breaks. The MAP has no row: a point has no density to weigh draws by, and no uncertainty to
# trust. Laplace is exact on the Gaussian posterior, and the constrained Laplace fails on the
# skewed one; mean-field ADVI fails where the posterior is correlated; no Gaussian is good for a
# posterior whose tail is heavier than a Gaussian's; and a fit with the right mean and sd can
# still have weights too heavy-tailed to correct. Pathfinder, the cheapest of the descents, is
# usable or good on all three models here. Where $\hat k$ is below 0.7, importance resampling
# turns the approximation into draws from the posterior itself, with no Markov chain at all.
