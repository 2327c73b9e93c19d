"""Tests of bayesgd.plots: what is drawn, checked against closed forms and the MAP history."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.patches
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.contour import ContourSet
from scipy import stats

import bayesgd as bg
from bayesgd import plots
from bayesgd.compare import compare
from bayesgd.map import map_estimate
from bayesgd.posterior import SamplePosterior


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _lines(ax) -> dict[str, matplotlib.lines.Line2D]:
    return {line.get_label(): line for line in ax.get_lines()}


def _xy(line) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(line.get_xdata(), dtype=float), np.asarray(line.get_ydata(), dtype=float)


def _save(ax, tmp_path, name: str) -> None:
    path = tmp_path / f"{name}.png"
    ax.figure.savefig(path)
    assert path.stat().st_size > 1000


# ------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def normal_data() -> np.ndarray:
    return np.random.default_rng(11).normal(3.0, 2.0, size=20)


@pytest.fixture(scope="module")
def mean_model(normal_data):
    """Normal mean, sigma known: the loss is a parabola with curvature n/sigma² + 1/100."""
    return bg.Normal(y=normal_data, mu=stats.norm(0, 10), sigma=2.0)


@pytest.fixture(scope="module")
def two_param_model(normal_data):
    return bg.Normal(y=normal_data, mu=stats.norm(0, 10), sigma=stats.halfnorm(scale=5))


@pytest.fixture(scope="module")
def gd_fit(mean_model):
    return map_estimate(mean_model, optimizer="gd", lr=0.05, max_iter=500)


@pytest.fixture(scope="module")
def two_fits(two_param_model):
    return {
        "gd": map_estimate(two_param_model, optimizer="gd", lr=0.02, max_iter=2000),
        "adam": map_estimate(two_param_model, optimizer="adam", lr=0.1, max_iter=2000),
    }


# ---------------------------------------------------------------------------- plot_bayes
def test_plot_bayes_beta_binomial_matches_closed_form(tmp_path):
    model = bg.Binomial(k=7, n=10, p=stats.beta(2, 2))
    _, ax = plt.subplots()
    out = plots.plot_bayes(model, ax=ax)
    assert out is ax
    lines = _lines(ax)
    assert list(lines) == ["prior", "likelihood (normalised)", "posterior"]
    assert ax.get_xlabel() == "p"
    x, post = _xy(lines["posterior"])
    assert np.all((x > 0) & (x < 1)) and np.all(np.diff(x) > 0)
    # the window holds essentially all the posterior mass, so the line is the Beta(9, 5) pdf
    exact = stats.beta(9, 5)
    window = exact.cdf(x[-1]) - exact.cdf(x[0])
    assert window > 0.9999
    np.testing.assert_allclose(post, exact.pdf(x) / window, rtol=2e-4, atol=1e-4)
    assert np.trapezoid(post, x) == pytest.approx(1.0, abs=1e-6)
    # the prior and the normalised likelihood (p^7 (1-p)^3 ∝ Beta(8, 4)) are normalised on
    # the drawn window: each is its pdf divided by its mass in the window
    for label, dist in (
        ("prior", stats.beta(2, 2)),
        ("likelihood (normalised)", stats.beta(8, 4)),
    ):
        _, y = _xy(lines[label])
        mass = np.trapezoid(dist.pdf(x), x)
        np.testing.assert_allclose(y, dist.pdf(x) / mass, rtol=1e-9, atol=1e-12)
    # the posterior peaks at the MAP (9 - 1) / (9 + 5 - 2)
    assert x[np.argmax(post)] == pytest.approx(8 / 12, abs=2 * (x[1] - x[0]))
    _save(ax, tmp_path, "bayes")


def test_plot_bayes_normal_mean_bounds_and_points(mean_model, normal_data):
    ax = plots.plot_bayes(mean_model, bounds=(-2.0, 8.0), points=301)
    x, post = _xy(_lines(ax)["posterior"])
    assert len(x) == 301 and x[0] == -2.0 and x[-1] == 8.0
    # conjugate Normal: precision 1/100 + n/4, mean (sum(y)/4) / precision
    prec = 1 / 100 + len(normal_data) / 4
    exact = stats.norm(normal_data.sum() / 4 / prec, prec**-0.5)
    np.testing.assert_allclose(post, exact.pdf(x), rtol=1e-3, atol=1e-6)


def test_plot_bayes_one_element_vector_parameter():
    model = bg.LogisticRegression(
        X=np.array([[0.0], [1.0], [2.0]]), y=[0, 1, 1], coef=stats.norm(0, 2)
    )
    ax = plots.plot_bayes(model, points=401)
    assert ax.get_xlabel() == "coef[0]"
    x, post = _xy(_lines(ax)["posterior"])
    logp = model.log_density(coef=x[:, None])
    ref = np.exp(logp - logp.max())
    np.testing.assert_allclose(post, ref / np.trapezoid(ref, x), rtol=1e-12)


def test_plot_bayes_rejects_bad_models(two_param_model):
    with pytest.raises(ValueError, match="one scalar parameter"):
        plots.plot_bayes(two_param_model)
    with pytest.raises(TypeError, match="model"):
        plots.plot_bayes(stats.beta(2, 2))


# --------------------------------------------------------------------------- plot_updates
def test_plot_updates_panels_are_sequential_posteriors(tmp_path):
    model = bg.Bernoulli(y=[], p=stats.beta(1, 1))
    batches = [{"y": [1, 0, 1]}, {"y": [1, 1]}]
    axs = plots.plot_updates(model, batches)
    assert len(axs) == 2
    expected = [(stats.beta(1, 1), stats.beta(3, 2)), (stats.beta(3, 2), stats.beta(5, 2))]
    for ax, (before, after), batch in zip(axs, expected, batches, strict=True):
        lines = _lines(ax)
        assert set(lines) == {"before", "after"}
        for label, dist in (("before", before), ("after", after)):
            x, y = _xy(lines[label])
            mass = dist.cdf(x[-1]) - dist.cdf(x[0])
            np.testing.assert_allclose(y, dist.pdf(x) / mass, rtol=5e-4, atol=1e-4)
        assert f"+{len(batch['y'])} observation" in ax.get_title()
    # the posterior after update 1 is the prior of update 2
    np.testing.assert_array_equal(
        _xy(_lines(axs[0])["after"])[1], _xy(_lines(axs[1])["before"])[1]
    )
    _save(axs[0], tmp_path, "updates")


def test_plot_updates_needs_batches_and_axes():
    model = bg.Bernoulli(y=[], p=stats.beta(1, 1))
    with pytest.raises(ValueError, match="at least one batch"):
        plots.plot_updates(model, [])
    _, one = plt.subplots(1, 1, squeeze=False)
    with pytest.raises(ValueError, match="at least 2 axes"):
        plots.plot_updates(model, [{"y": [1]}, {"y": [0]}], axes=one)


# ------------------------------------------------------------------------ plot_comparison
def test_plot_comparison_lines_map_and_hdi(tmp_path):
    model = bg.Binomial(k=7, n=10, p=stats.beta(2, 2))
    cmp = compare(model, methods=["conjugate", "grid", "map", "laplace"], rng=0)
    axs = plots.plot_comparison(cmp)
    assert len(axs) == 1
    ax = axs[0]
    lines = _lines(ax)
    assert {"conjugate", "grid", "laplace", "MAP"} <= set(lines)
    # the MAP line sits at the MAP (8/12), drawn vertically
    mx, _ = _xy(lines["MAP"])
    np.testing.assert_allclose(mx, [8 / 12, 8 / 12], rtol=1e-8)
    x, dens = _xy(lines["conjugate"])
    np.testing.assert_allclose(dens, stats.beta(9, 5).pdf(x), rtol=1e-12)
    gx, gdens = _xy(lines["grid"])
    np.testing.assert_allclose(gdens, stats.beta(9, 5).pdf(gx), rtol=1e-3, atol=1e-3)
    # the reference (conjugate) HDI is shaded
    low, high = cmp.results["conjugate"].hdi(0.94)["p"]
    spans = [p for p in ax.patches if isinstance(p, matplotlib.patches.Rectangle)]
    assert len(spans) == 1, "no HDI band drawn"
    band = spans[0]
    assert band.get_x() == pytest.approx(low)
    assert band.get_x() + band.get_width() == pytest.approx(high)
    _save(ax, tmp_path, "comparison")
    with pytest.raises(ValueError, match="not in the comparison"):
        plots.plot_comparison(cmp, parameters=["q"])


def test_plot_comparison_draws_and_gaussian_lines():
    """A constrained Laplace is drawn as its Normal; NUTS-like draws by a KDE of the draws."""
    model = bg.Binomial(k=7, n=10, p=stats.beta(2, 2))
    cmp = compare(
        model, methods=["conjugate", "laplace"], options={"laplace": {"space": "constrained"}}
    )
    draws = stats.beta(9, 5).rvs(size=3000, random_state=np.random.default_rng(5))
    cmp.results["pymc"] = SamplePosterior(model, {"p": draws}, method="pymc")
    row = {"method": "pymc", "parameter": "p", "mean": draws.mean(), "sd": draws.std()}
    cmp.table = pd.concat([cmp.table, pd.DataFrame([row])], ignore_index=True)
    (ax,) = plots.plot_comparison(cmp)
    lines = _lines(ax)
    x, dens = _xy(lines["laplace"])
    lap = cmp.results["laplace"]
    expected = stats.norm(lap.mean()["p"], lap.sd()["p"]).pdf(x)
    np.testing.assert_allclose(dens, expected, rtol=1e-12)
    assert lap.mean()["p"] == pytest.approx(8 / 12, rel=1e-8)  # centred at the MAP
    kx, kdens = _xy(lines["pymc"])
    np.testing.assert_allclose(kdens, stats.gaussian_kde(draws)(kx), rtol=1e-10)


# ----------------------------------------------------------------- plot_loss_and_gradient
def test_plot_loss_and_gradient_marks_the_history(mean_model, gd_fit, tmp_path):
    axs = plots.plot_loss_and_gradient(mean_model, gd_fit)
    assert len(axs) == 2
    ax_loss, ax_grad = axs
    h = gd_fit.history
    px, py = _xy(_lines(ax_loss)["gradient-descent iterates"])
    np.testing.assert_array_equal(px, h["mu"].to_numpy())
    # mu is unconstrained, so the loss at the iterates is the recorded loss
    np.testing.assert_allclose(py, h["loss"].to_numpy(), rtol=1e-12)
    gx, gy = _xy(_lines(ax_grad)["iterates"])
    np.testing.assert_array_equal(gx, h["mu"].to_numpy())
    np.testing.assert_allclose(gy, -mean_model.grad_log_density(mu=gx)["mu"], rtol=1e-12)
    np.testing.assert_allclose(np.abs(gy), h["grad_norm"].to_numpy(), rtol=1e-10)
    # the curves: the loss is smallest, and the gradient crosses zero, at the MAP
    x, loss = _xy(_lines(ax_loss)["L(θ) = −log p(θ|D)"])
    assert x[np.argmin(loss)] == pytest.approx(gd_fit.params["mu"], abs=x[1] - x[0])
    x, grad = _xy(_lines(ax_grad)["∂L/∂mu"])
    assert np.interp(0.0, grad, x) == pytest.approx(gd_fit.params["mu"], rel=1e-6)
    _save(ax_loss, tmp_path, "loss_gradient")


def test_plot_loss_and_gradient_other_parameters_held_at_map(two_param_model, two_fits):
    fit = two_fits["gd"]
    ax_loss, _ = plots.plot_loss_and_gradient(two_param_model, fit, parameter="sigma")
    x, loss = _xy(_lines(ax_loss)["L(θ) = −log p(θ|D)"])
    assert np.all(x > 0)
    expected = -two_param_model.log_density(mu=np.full_like(x, fit.params["mu"]), sigma=x)
    np.testing.assert_allclose(loss, expected, rtol=1e-12)
    px, _ = _xy(_lines(ax_loss)["gradient-descent iterates"])
    np.testing.assert_array_equal(px, fit.history["sigma"].to_numpy())


def test_plot_loss_and_gradient_bad_input(mean_model):
    no_history = map_estimate(mean_model, record=False)
    with pytest.raises(ValueError, match="record=True"):
        plots.plot_loss_and_gradient(mean_model, no_history)
    fit = map_estimate(mean_model)
    with pytest.raises(ValueError, match="not a scalar parameter"):
        plots.plot_loss_and_gradient(mean_model, fit, parameter="sigma")


# --------------------------------------------------------------------- plot_descent_paths
def test_plot_descent_paths_contours_and_paths(two_param_model, two_fits, tmp_path):
    ax = plots.plot_descent_paths(two_param_model, two_fits, levels=9)
    assert ax.get_xlabel() == "mu" and ax.get_ylabel() == "sigma"
    lines = _lines(ax)
    for label, fit in two_fits.items():
        xs, ys = _xy(lines[label])
        np.testing.assert_array_equal(xs, fit.history["mu"].to_numpy())
        np.testing.assert_array_equal(ys, fit.history["sigma"].to_numpy())
    # each path ends at its MAP, marked by a star
    stars = [line for line in ax.get_lines() if line.get_marker() == "*"]
    assert len(stars) == 2
    for star, fit in zip(stars, two_fits.values(), strict=True):
        sx, sy = _xy(star)
        np.testing.assert_allclose([sx[0], sy[0]], [fit.params["mu"], fit.params["sigma"]])
    contours = [c for c in ax.collections if isinstance(c, ContourSet)]
    assert len(contours) == 1
    lv = np.asarray(contours[0].levels)
    assert len(lv) == 9 and np.all(np.diff(lv) > 0)
    # the levels are log-density values below the top, the highest close to the maximum
    top = float(two_param_model.log_density(**two_fits["gd"].params))
    assert np.all(lv < top) and top - lv[-1] < 0.01 * (top - lv[0])
    _save(ax, tmp_path, "paths")


def test_plot_descent_paths_bad_input(mean_model, two_param_model, two_fits):
    with pytest.raises(ValueError, match="at least two scalar parameters"):
        plots.plot_descent_paths(mean_model, {"gd": map_estimate(mean_model)})
    with pytest.raises(ValueError, match="at least one MAPResult"):
        plots.plot_descent_paths(two_param_model, {})
    with pytest.raises(ValueError, match="record=True"):
        plots.plot_descent_paths(
            two_param_model, {"last": map_estimate(two_param_model, record=False)}
        )
    with pytest.raises(ValueError, match="two different"):
        plots.plot_descent_paths(two_param_model, two_fits, parameters=("mu", "mu"))
    with pytest.raises(ValueError, match="not a scalar parameter"):
        plots.plot_descent_paths(two_param_model, two_fits, parameters=("mu", "tau"))


# ----------------------------------------------------------------------- plot_convergence
def test_plot_convergence_log_axes_and_history(gd_fit, tmp_path):
    ax_conv, ax_step = plots.plot_convergence(gd_fit)
    assert ax_conv.get_yscale() == "log" and ax_step.get_yscale() == "log"
    h = gd_fit.history
    lines = _lines(ax_conv)
    gx, gy = _xy(lines["‖∇L‖"])
    np.testing.assert_array_equal(gx, h["iteration"].to_numpy())
    np.testing.assert_array_equal(gy, h["grad_norm"].to_numpy())
    lx, ly = _xy(lines["L − L*"])
    gap = h["loss"].to_numpy() - gd_fit.loss
    np.testing.assert_array_equal(ly, gap[gap > 0])
    assert np.all(ly > 0) and lx[0] == 0
    _, sy = _xy(_lines(ax_step)["step size"])
    np.testing.assert_array_equal(sy[1:], h["step_size"].to_numpy()[1:])
    # plain gradient descent: step = lr * |gradient| at the previous iterate
    np.testing.assert_allclose(sy[1:], 0.05 * h["grad_norm"].to_numpy()[:-1], rtol=1e-10)
    _save(ax_conv, tmp_path, "convergence")


def test_plot_convergence_needs_history(mean_model):
    with pytest.raises(ValueError, match="record=True"):
        plots.plot_convergence(map_estimate(mean_model, record=False))


def test_plot_convergence_and_plot_draws_name_bad_arguments(mean_model):
    exact = bg.conjugate(bg.Binomial(k=7, n=10, p=stats.beta(2, 2)))
    with pytest.raises(TypeError, match="result must be a MAPResult"):
        plots.plot_convergence(exact)
    with pytest.raises(TypeError, match="reference must be a bayesgd posterior"):
        plots.plot_draws(exact, [1.0, 2.0])
    with pytest.raises(TypeError, match="samples must be a posterior"):
        plots.plot_draws([1.0, 2.0, 3.0], exact)


# ---------------------------------------------------------------------------- plot_draws
def test_plot_draws_histogram_and_reference(tmp_path):
    model = bg.Binomial(k=7, n=10, p=stats.beta(2, 2))
    exact = bg.conjugate(model)
    draws = stats.beta(9, 5).rvs(size=4000, random_state=np.random.default_rng(3))
    samples = SamplePosterior(model, {"p": draws}, method="exact draws")
    ax = plots.plot_draws(samples, exact, bins=40)
    bars = ax.patches
    assert len(bars) == 40
    area = sum(b.get_width() * b.get_height() for b in bars)
    assert area == pytest.approx(1.0, rel=1e-9)
    lines = _lines(ax)
    x, dens = _xy(lines["conjugate"])
    assert x[0] == pytest.approx(draws.min()) and x[-1] == pytest.approx(draws.max())
    np.testing.assert_allclose(dens, stats.beta(9, 5).pdf(x), rtol=1e-12)
    # the histogram follows the density: bar heights against the pdf at the bar centres
    centres = np.array([b.get_x() + b.get_width() / 2 for b in bars])
    heights = np.array([b.get_height() for b in bars])
    assert np.max(np.abs(heights - stats.beta(9, 5).pdf(centres))) < 0.35
    assert "exact draws" in ax.get_legend().get_texts()[0].get_text()
    _save(ax, tmp_path, "draws")


def test_plot_draws_vector_element_against_grid():
    X = np.linspace(-1, 1, 12)[:, None]
    y = (X[:, 0] + np.random.default_rng(0).normal(0, 0.6, 12) > 0).astype(int)
    model = bg.LogisticRegression(X=X, y=y, coef=stats.norm(0, 2), intercept=stats.norm(0, 2))
    g = bg.grid(model, points=101)
    lap = bg.laplace(model)
    ax = plots.plot_draws(lap, g, parameter="intercept")
    assert ax.get_xlabel() == "intercept"
    x, dens = _xy(_lines(ax)["grid"])
    np.testing.assert_allclose(dens, g.marginal_pdf("intercept", x))  # the grid's own density
    gx, gd = g.marginal("intercept")
    np.testing.assert_allclose(dens, np.interp(x, gx, gd, left=0.0, right=0.0), rtol=0.03)
    with pytest.raises(ValueError, match="not a scalar parameter"):
        plots.plot_draws(lap, g, parameter="coef")


# ------------------------------------------------------------- the marginal_pdf hook
def test_marginal_pdf_default_is_a_kde_of_draws_close_to_the_exact_marginal():
    """Posterior.marginal_pdf: exact for a conjugate posterior (for a Dirichlet posterior the
    marginal of p[1] is Beta(a_1, a_0 + a_2)); a sample posterior's is a KDE of its own draws."""
    model = bg.Categorical(y=[0, 1, 1, 2, 1, 1], p=stats.dirichlet([2.0, 2.0, 2.0]))
    post = bg.conjugate(model)  # Dirichlet(3, 6, 3)
    x = np.linspace(0.1, 0.9, 81)
    exact = stats.beta(6, 6).pdf(x)
    np.testing.assert_allclose(post.marginal_pdf("p[1]", x), exact, rtol=1e-10)  # exact here
    own = SamplePosterior(model, post.sample(3000, rng=1))
    np.testing.assert_allclose(
        own.marginal_pdf("p[2]", x), stats.gaussian_kde(own.draws["p"][:, 2])(x), rtol=1e-12
    )
    with pytest.raises(ValueError, match="element"):
        post.marginal_pdf("q", x)
    with pytest.raises(ValueError, match="element"):
        own.marginal_pdf("q", x)
