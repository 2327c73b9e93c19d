"""The ``bayesgd`` command: good arguments run; failures are one line (exit 1, or 2 for bad
arguments), never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import pytest

import bayesgd as bg
from bayesgd.cli import build_model, main, parse_prior


def _run(*args: str, cwd=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    return subprocess.run(
        [sys.executable, "-m", "bayesgd.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=600,
    )


def test_demo_runs_in_a_subprocess_and_writes_the_figure(tmp_path):
    out = tmp_path / "demo.png"
    proc = _run("demo", "--methods", "grid,map,laplace", "--output", str(out), "--seed", "3")
    assert proc.returncode == 0, proc.stderr
    assert "Challenger" in proc.stdout
    assert "coef[0]: the MAP" in proc.stdout
    assert out.stat().st_size > 10_000


def test_compare_inline_data(tmp_path):
    out = tmp_path / "cmp.png"
    proc = _run(
        "compare", "binomial", "k=7", "n=10", "p=beta(2, 2)",
        "--methods", "conjugate,map", "--output", str(out),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "conjugate" in proc.stdout and "0.6667" in proc.stdout
    assert out.exists()


def test_compare_from_csv(tmp_path):
    csv = tmp_path / "launches.csv"
    csv.write_text("temp,damaged\n-1.2,1\n-0.4,1\n0.1,0\n0.5,0\n0.9,1\n1.3,0\n")
    proc = _run(
        "compare", "logistic", "X=@temp", "y=@damaged", "coef=norm(0, 2.5)",
        "intercept=norm(0, 5)", "--csv", str(csv), "--methods", "grid,map", "--output", "",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "coef[0]" in proc.stdout and "intercept" in proc.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["compare", "binomal", "k=1", "n=2", "p=beta(1,1)"], "unknown likelihood"),
        (["compare", "binomial", "k=1", "n=2", "p=betta(1,1)"], "no distribution 'betta'"),
        (["compare", "binomial", "k=1", "n=2", "p=beta(__import__('os'))"], "only numbers"),
        (["compare", "binomial", "k=5", "n=2", "p=beta(1,1)"], "k must not exceed n"),
        (["compare", "binomial", "k=1", "n=2", "p=norm(0,1)"], "must lie in [0, 1]"),
        (["compare", "binomial", "k=one", "n=2", "p=beta(1,1)"], "expected numbers"),
        (["compare", "binomial", "k", "p=beta(1,1)"], "expected name=value"),
        (["compare", "normal", "y=@x", "mu=norm(0,1)", "sigma=1"], "--dataset NAME or --csv FILE"),
        (["compare", "binomial", "k=1", "n=2", "p=beta(1,1)", "--methods", "nuts"], "methods"),
        (["compare", "binomial", "k=1", "n=2"], "Binomial"),
        (["compare", "binomial", "k=1", "n=2", "p=beta(1,1)", "--methods", ""], "needs one"),
        (["compare", "binomial", "k=1", "n=2", "p=beta(1,1)", "--methods", " , "], "needs one"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(args, message, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("bayesgd: error: ")
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_bad_arguments_in_a_subprocess_never_print_a_traceback():
    proc = _run("compare", "poisson", "k=-1", "mu=gamma(2)")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("bayesgd: error: k must be >= 0")


def test_help_explains_each_command():
    proc = _run("--help")
    assert proc.returncode == 0 and "demo" in proc.stdout and "compare" in proc.stdout
    proc = _run("compare", "--help")
    assert "@column" in proc.stdout and "--methods" in proc.stdout and "--seed" in proc.stdout
    proc = _run("demo", "--help")
    assert "--output" in proc.stdout


def test_argparse_errors_exit_2():
    proc = _run("frobnicate")
    assert proc.returncode == 2


def test_parse_prior_and_build_model():
    assert parse_prior("norm(loc=1, scale=2)").mean() == 1
    model = build_model("normal", ["y=1,2,3", "mu=norm(0, 10)", "sigma=2"])
    assert model.names == ("mu",)
    assert model.fixed["sigma"] == 2


def test_assignments_after_an_option_as_in_the_help_examples(tmp_path, capsys):
    csv = tmp_path / "newcomb.csv"
    csv.write_text("deviation\n28\n26\n33\n24\n34\n27\n16\n40\n29\n22\n")
    status = main(
        [
            "compare", "normal", "y=@deviation", "--csv", str(csv), "mu=norm(25, 10)",
            "sigma=halfnorm(scale=20)", "--methods", "map", "--output", "",
        ]
    )  # fmt: skip
    assert status == 0
    assert "sigma" in capsys.readouterr().out


def test_unwritable_output_is_a_usage_error(capsys):
    status = main(
        [
            "compare", "normal", "y=1,2,3", "mu=norm(0,10)", "sigma=1",
            "--methods", "conjugate", "--output", "/nonexistent_dir/x.png",
        ]
    )  # fmt: skip
    assert status == 2
    err = capsys.readouterr().err
    assert err.startswith("bayesgd: error: --output: cannot write")
    assert len(err.strip().splitlines()) == 1


def test_output_without_suffix_gets_png_and_says_so(tmp_path, capsys):
    target = tmp_path / "figure"
    args = ["compare", "binomial", "k=3", "n=9", "p=beta(1, 1)", "--methods", "conjugate"]
    assert main([*args, "--output", str(target)]) == 0
    assert (tmp_path / "figure.png").exists()
    assert f"figure written to {target}.png" in capsys.readouterr().out


def test_negative_seed_is_refused():
    with pytest.raises(SystemExit) as info:
        main(["demo", "--seed", "-1"])
    assert info.value.code == 2


def test_multi_line_errors_are_joined_on_one_line(capsys):
    args = ["compare", "normal", "y=1,2", "mu=norm(0,1)", "sigma=halfnorm(1)"]
    assert main([*args, "--methods", "conjugate"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "conjugate pairs" in err.lower() or "Beta" in err or "beta" in err


def test_methods_list_tolerates_spaces_and_a_trailing_comma(capsys):
    args = ["compare", "binomial", "k=7", "n=10", "p=beta(2,2)", "--methods", " conjugate, map,"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "conjugate" in out and "map" in out and "grid" not in out


# ------------------------------------------- failures and warnings: one line, non-zero exit
BINOMIAL = ["compare", "binomial", "k=7", "n=10", "p=beta(2, 2)", "--methods", "conjugate"]


def _public(kind):
    found = (getattr(bg, name) for name in bg.__all__)
    classes = [c for c in found if isinstance(c, type) and issubclass(c, kind)]
    return [c for c in classes if kind is Warning or not issubclass(c, Warning)]


def test_an_unbounded_map_is_one_line_and_exit_1_not_a_traceback():
    """Issue 13 item 11: this ended in a full DivergenceError traceback."""
    proc = _run(
        "compare", "normal", "y=1", "mu=norm(0, 1)", "sigma=halfnorm(scale=1)", "--methods", "map"
    )  # fmt: skip
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("bayesgd: error: DivergenceError: the posterior density is")
    assert len(proc.stderr.strip().splitlines()) == 1


def _sampling_error():
    from pymc.exceptions import SamplingError

    return SamplingError


@pytest.mark.parametrize(
    "error",
    [*_public(Exception), "SamplingError"],
    ids=lambda c: c if isinstance(c, str) else c.__name__,
)
def test_every_bayesgd_error_and_pymcs_sampling_error_is_one_line(error, monkeypatch, capsys):
    error = _sampling_error() if error == "SamplingError" else error
    assert len(_public(Exception)) >= 4

    def fail(*args, **kwargs):
        raise error("it went wrong\n  on two lines")

    monkeypatch.setattr(bg, "compare", fail)
    status = main(BINOMIAL)
    err = capsys.readouterr().err
    assert status == (2 if issubclass(error, ValueError) else 1)
    assert err.startswith("bayesgd: error: ") and "it went wrong on two lines" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("warning", _public(Warning), ids=lambda c: c.__name__)
def test_every_bayesgd_warning_is_one_line_and_a_non_zero_exit(warning, monkeypatch, capsys):
    real = bg.compare

    def warns(*args, **kwargs):
        warnings.warn("do not trust\n  this", warning, stacklevel=2)
        warnings.warn("do not trust\n  this", warning, stacklevel=2)  # said once
        return real(*args, **kwargs)

    monkeypatch.setattr(bg, "compare", warns)
    assert main(BINOMIAL) == 1
    out, err = capsys.readouterr()
    assert "0.64286" in out  # the table is still printed
    assert err == f"bayesgd: warning: {warning.__name__}: do not trust this\n"


def test_interrupt_and_bugs(monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(bg, "compare", interrupted)
    assert main(BINOMIAL) == 130
    assert capsys.readouterr().err == "bayesgd: interrupted\n"

    def bug(*args, **kwargs):
        raise ZeroDivisionError("a bug keeps its traceback")

    monkeypatch.setattr(bg, "compare", bug)
    with pytest.raises(ZeroDivisionError):
        main(BINOMIAL)


def _unwritable(tmp_path):
    cases = [
        (tmp_path / "missing" / "x.png", "no directory"),
        (tmp_path, "it is a directory"),
        (tmp_path / "x.xyz", "matplotlib writes"),
    ]
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        cases.append((locked / "x.png", "permission denied"))
    return cases


def test_a_bad_output_path_is_refused_before_any_work(tmp_path, monkeypatch, capsys):
    def never(*args, **kwargs):  # pragma: no cover - reaching it is the failure
        raise AssertionError("compared before checking --output")

    monkeypatch.setattr(bg, "compare", never)
    for path, why in _unwritable(tmp_path):
        assert main([*BINOMIAL, "--output", str(path)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"bayesgd: error: --output: cannot write '{path}") and why in err
        assert len(err.strip().splitlines()) == 1
    assert main(["demo", "--output", str(tmp_path / "missing" / "d.png")]) == 2
    assert not (tmp_path / "missing").exists()


def test_the_challenger_data_in_fahrenheit_mark_the_broken_nuts_run():
    """Issue 13 items 10-11: unscaled temperatures leave NUTS with R-hat 2.2 and 1000
    divergences; its rows are marked, the words say why, and the warning is one line."""
    from importlib.resources import files

    csv = str(files("bayesgd") / "data" / "challenger.csv")
    proc = _run(
        "compare", "logistic", "X=@temperature_f", "y=@damaged", "coef=norm(0, 2.5)",
        "intercept=norm(0, 5)", "--csv", csv, "--methods", "grid,map,pymc", "--output", "",
    )  # fmt: skip
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    rows = [line for line in proc.stdout.splitlines() if line.split()[:1] == ["pymc"]]
    rows = [line for line in rows if line.split()[1] in ("coef[0]", "intercept")]
    assert len(rows) == 2 and all(row.endswith("UNHEALTHY (see below)") for row in rows)
    assert "pymc is UNHEALTHY, do not trust its rows: R-hat > 1.01" in proc.stdout
    assert "(reference: grid)" in proc.stdout
    ours = [line for line in proc.stderr.splitlines() if line.startswith("bayesgd:")]
    assert len(ours) == 1 and ours[0].startswith("bayesgd: warning: SamplingWarning: NUTS")


def _readme_cli_lines():
    import re
    import shlex
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    lines = [ln.split("  #")[0].strip() for b in blocks for ln in b.splitlines()]
    return [shlex.split(ln)[1:] for ln in lines if ln.startswith("bayesgd compare")]


def test_readme_cli_commands_run_as_written(tmp_path, monkeypatch, capsys):
    """Every `bayesgd compare` line of the README runs from any directory (no files needed)."""
    monkeypatch.chdir(tmp_path)
    commands = _readme_cli_lines()
    assert len(commands) >= 3
    for argv in commands:
        if "--help" in argv:
            with pytest.raises(SystemExit) as info:
                main(argv)
            assert info.value.code == 0
            continue
        assert main(argv) == 0, capsys.readouterr()


def test_help_is_plain_text_and_names_shipped_data(capsys):
    with pytest.raises(SystemExit):
        main(["compare", "--help"])
    out = capsys.readouterr().out
    assert "``" not in out and ":func:" not in out and "launches.csv" not in out
    assert "--dataset" in out


def test_dataset_columns_and_errors(capsys):
    assert main(["compare", "normal", "y=@deviation", "--dataset", "newcomb",
                 "mu=norm(25, 10)", "sigma=5", "--methods", "conjugate,map"]) == 0  # fmt: skip
    assert main(["compare", "normal", "y=@deviation", "--dataset", "nope", "mu=norm(0, 1)",
                 "sigma=1"]) == 2  # fmt: skip
    assert "--dataset must be one of" in capsys.readouterr().err
