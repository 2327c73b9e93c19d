# %% [markdown]
# # Backpropagation and a Bayesian perceptron
#
# A neural network is a model like any other: a likelihood with parameters (its weights), and, once
# we give the weights priors, a posterior. Training it by gradient descent on the usual loss is
# finding the MAP; the gradient is computed by **backpropagation**, the chain rule applied layer
# by layer. This notebook writes the forward and backward passes out by hand for a network with
# one hidden layer, checks the gradient against finite differences, shows that weight decay *is* a
# Gaussian prior, and then compares the MAP network's predictions with the posterior predictive
# away from the data.
#
# The network (`bg.Perceptron`) maps an input row $x$ to a probability:
#
# $$
# a = x W_1 + b_1, \quad h = \tanh(a), \quad f = h \cdot w_2 + b_2, \quad
# \Pr(y = 1 \mid x) = \sigma(f) = \frac{1}{1 + e^{-f}} .
# $$

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit

import bayesgd as bg

rng = np.random.default_rng(3)

# %% [markdown]
# ## Data: two clusters
#
# Thirty points in two dimensions, two classes separated along the first coordinate.

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
# ## The forward pass, by hand
#
# Start from small random weights (`model.initial_point`; all-zero weights are a saddle point
# where every hidden unit gets the same gradient). The loss is the negative log likelihood, the
# summed cross-entropy $L = -\sum_i \big[y_i \log \sigma(f_i) + (1 - y_i) \log(1 - \sigma(f_i))
# \big]$.

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
# ## The backward pass, by hand
#
# The chain rule, from the output back. For the cross-entropy of a sigmoid output the first step
# is simple, $\partial L / \partial f_i = \sigma(f_i) - y_i =: \delta_i$. Then
#
# $$
# \frac{\partial L}{\partial w_2} = \sum_i \delta_i h_i, \quad
# \frac{\partial L}{\partial b_2} = \sum_i \delta_i, \quad
# \frac{\partial L}{\partial h_i} = \delta_i w_2, \quad
# \frac{\partial L}{\partial a_i} = \frac{\partial L}{\partial h_i} \odot (1 - h_i^2), \quad
# \frac{\partial L}{\partial W_1} = X^\top \frac{\partial L}{\partial a}, \quad
# \frac{\partial L}{\partial b_1} = \sum_i \frac{\partial L}{\partial a_i}.
# $$
#
# Each layer reuses what the forward pass stored; that is why backpropagation costs about as much
# as one forward pass, whatever the number of weights.

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
# ## Checking the gradient against finite differences
#
# The definition of a derivative gives an independent check: perturb each of the 17 parameters by
# $\pm\epsilon$ and take $(L(\theta + \epsilon e_j) - L(\theta - \epsilon e_j)) / 2\epsilon$,
# which is accurate to about $\epsilon^2$ plus rounding error (we compare relative to
# $\max(1, |\partial L / \partial \theta_j|)$). The model evaluates a whole batch of parameter
# sets in one call (parameters with a leading batch axis), so all 34 perturbed networks are one
# evaluation.

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
# ## Weight decay is a Gaussian prior
#
# The MAP minimises $-\log p(y \mid \theta) - \log p(\theta)$. With a $\mathcal N(0, s^2)$ prior on
# every weight,
#
# $$
# -\log p(\theta) = \frac{\lVert \theta \rVert^2}{2 s^2} + \text{const}
# = \lambda \lVert \theta \rVert^2 + \text{const}, \qquad \lambda = \frac{1}{2 s^2},
# $$
#
# which is exactly the L2 penalty ("weight decay") of neural-network training. `weight_decay()`
# gives $\lambda$ for each parameter; `per_observation=True` divides by $n$, the form used with a
# *mean* loss.

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
# A tighter prior is a larger decay: smaller weights, a larger training loss, and gentler
# predictions. The MAP for four prior scales:

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
# ## The MAP network against the posterior predictive
#
# Training gives one network, the MAP. The posterior keeps every network compatible with the
# data and the prior. Away from the data they disagree: the data pin down how the classes change
# along the first coordinate, but say nothing about what happens far above or below the
# clusters. The MAP network extrapolates its tanh units with confidence; the posterior averages
# over networks that extrapolate in different ways.
#
# We approximate the posterior twice: Laplace (a Gaussian at the MAP) and a short NUTS run (2
# chains of 300 draws). Bayesian neural networks have many equivalent modes (swap two hidden
# units, or flip the signs of one unit's weights, and the function is unchanged), so NUTS's
# per-weight diagnostics (R-hat, ESS) are expected to complain: the chains wander between
# equivalent labelings. The *predictions* are unaffected by relabelling, and those are what we
# compare.

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
fig.colorbar(filled, ax=axes, label="P(y = 1)")
plt.show()

# %% [markdown]
# The MAP network draws one straight boundary and is nearly certain everywhere off it, including
# far above and below the data, where it has never seen a point. Under the posterior the boundary
# fans out away from the data: networks that agree on the thirty points disagree there. The
# Laplace approximation goes the right way, but a single Gaussian at one mode is a poor picture
# of a network's posterior (it is too wide even near the data; compare with NUTS). At a few
# points (white circles: class 0, black squares: class 1):

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
# ## What to take away
#
# * Backpropagation is the chain rule, layer by layer, reusing the forward pass; it matches
#   finite differences to the precision of the arithmetic.
# * Training with weight decay $\lambda$ is MAP estimation under a $\mathcal N(0, 1/(2\lambda))$
#   prior.
# * The MAP is one network, and it is confident wherever its units say so, including where there
#   are no data. The posterior predictive knows where the data end; a Laplace approximation only
#   partly, because a network's posterior is far from one Gaussian.
