"""End-to-end tests of the ``imidsim`` console script, run as a real subprocess.

Checks the contract of the issue: ``simulate`` writes exactly four files, ``pk --json``
prints the four exposure keys, ``params``/``evidence`` run, and every bad input exits
non-zero with ONE line ``error: ...`` on stderr naming the field and the value, without a
traceback and without writing anything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "lenalidomide_myeloma.yaml"
OUTPUTS = {"timecourse.parquet", "timecourse.csv", "summary.json", "plot.png"}
PK_KEYS = ("cmax_ng_ml", "tmax_h", "auc_ng_h_ml", "t_half_h")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="session")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("IMIDSIM_CACHE", str(tmp_path_factory.mktemp("imcache")))
    env["PYTHONWARNINGS"] = "ignore"
    env["COLUMNS"] = "200"
    return env


def imidsim(env: dict[str, str], *args: str | Path, cwd: Path | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``python -m imidsim.cli ARGS`` and capture its output."""
    return subprocess.run([sys.executable, "-m", "imidsim.cli", *map(str, args)],
                          capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)


def assert_one_error_line(proc: subprocess.CompletedProcess[str], *needles: str) -> str:
    """Non-zero exit, exactly one non-empty 'error:' line on stderr containing ``needles``."""
    cmd = " ".join(map(str, proc.args[3:]))
    detail = f"command: imidsim {cmd}\nrc={proc.returncode}\nstderr:\n{proc.stderr}"
    assert proc.returncode != 0, detail
    assert "Traceback" not in proc.stderr, detail
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, detail
    line = lines[0]
    assert line.startswith("error:"), detail
    assert len(line.removeprefix("error:").strip()) > 0, detail
    for needle in needles:
        assert needle in line, f"expected {needle!r} in the error line\n{detail}"
    return line


# --------------------------------------------------------------------------- simulate


@pytest.fixture(scope="module")
def simulated(cli_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim") / "results"
    proc = imidsim(cli_env, "simulate", EXAMPLE, "--out", out, cwd=out.parent)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return out


def test_simulate_writes_exactly_the_four_files(simulated: Path) -> None:
    assert {p.name for p in simulated.iterdir()} == OUTPUTS
    assert not [p for p in simulated.parent.iterdir() if p.name.startswith(".imidsim-")]


def test_simulate_summary_json(simulated: Path) -> None:
    s = json.loads((simulated / "summary.json").read_text())
    assert isinstance(s["response"], dict)
    assert s["response"]["best_response"]
    assert s["provenance"]
    assert isinstance(s["citations"], list)
    assert len(s["citations"]) > 0


def test_simulate_csv_and_parquet_agree(simulated: Path) -> None:
    csv = pd.read_csv(simulated / "timecourse.csv")
    pq = pd.read_parquet(simulated / "timecourse.parquet")
    assert "time_day" in csv.columns
    assert "time_day" in pq.columns
    assert len(csv) == len(pq) > 1
    assert list(csv.columns) == list(pq.columns)
    pd.testing.assert_series_equal(csv["time_day"], pq["time_day"], check_exact=False,
                                   rtol=1e-6, check_dtype=False)


def test_simulate_png(simulated: Path) -> None:
    assert (simulated / "plot.png").read_bytes()[:8] == PNG_MAGIC


# --------------------------------------------------------------------------- pk


def pk_json(env: dict[str, str], *args: str) -> dict[str, float]:
    proc = imidsim(env, "pk", "lenalidomide", "--dose-mg", "25", *args, "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_pk_json_contract_keys(cli_env: dict[str, str]) -> None:
    data = pk_json(cli_env)
    for key in PK_KEYS:
        assert key in data, key
        assert isinstance(data[key], int | float), key
        assert data[key] > 0, key


def test_pk_renal_impairment_raises_auc(cli_env: dict[str, str]) -> None:
    low = pk_json(cli_env, "--crcl", "30")
    normal = pk_json(cli_env, "--crcl", "90")
    assert low["auc_ng_h_ml"] > normal["auc_ng_h_ml"]


# --------------------------------------------------------------------------- params, evidence


def test_params_json(cli_env: dict[str, str]) -> None:
    proc = imidsim(cli_env, "params", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["parameters"]


@pytest.mark.parametrize("args", [
    (),
    ("--drug", "lenalidomide"),
    ("--cell", "nk"),
    ("--cell", "tcell", "--json"),
], ids=["all", "drug", "cell", "cell-json"])
def test_evidence(cli_env: dict[str, str], args: tuple[str, ...]) -> None:
    proc = imidsim(cli_env, "evidence", *args)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip()


# --------------------------------------------------------------------------- bad pk input


@pytest.mark.parametrize(("args", "needles"), [
    (("pk", "lenalidomid", "--dose-mg", "25"),
     ("lenalidomid", "Did you mean 'lenalidomide'")),
    (("pk", "lenalidomide", "--dose-mg", "-5"), ("--dose-mg", "-5")),
    (("pk", "lenalidomide", "--dose-mg", "abc"), ("--dose-mg", "abc")),
    (("pk", "lenalidomide", "--dose-mg", "0"), ("--dose-mg", "0")),
    (("pk", "lenalidomide", "--dose-mg", "25", "--crcl", "-3"), ("--crcl", "-3")),
], ids=["unknown-drug", "negative-dose", "non-numeric-dose", "zero-dose", "negative-crcl"])
def test_pk_bad_input(cli_env: dict[str, str], tmp_path: Path, args: tuple[str, ...],
                      needles: tuple[str, ...]) -> None:
    proc = imidsim(cli_env, *args, "--json", cwd=tmp_path)
    assert_one_error_line(proc, *needles)
    assert proc.stdout.strip() == ""
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- bad scenarios

GOOD_TREATMENT = "  - {drug: lenalidomide, dose_mg: 25, schedule: d1-21/28, cycles: 1}\n"


def scenario(*, top: str = "", treatment: str = GOOD_TREATMENT) -> str:
    return ("name: cli test\n"
            "disease: myeloma\n"
            "output: {interval_h: 24}\n"
            f"{top}"
            "treatments:\n"
            f"{treatment}")


def with_treatment(fields: str) -> str:
    return scenario(treatment=f"  - {{{fields}}}\n")


BAD_SCENARIOS: list[tuple[str, str | None, tuple[str, ...]]] = [
    ("unknown-top-level-field", scenario(top="colour: red\n"), ("colour", "red")),
    ("unknown-treatment-field",
     with_treatment("drug: lenalidomide, dose_mg: 25, cycles: 1, food: fasted"),
     ("food", "fasted")),
    ("unknown-drug", with_treatment("drug: lenalidomid, dose_mg: 25, cycles: 1"),
     ("drug", "lenalidomid")),
    ("negative-dose", with_treatment("drug: lenalidomide, dose_mg: -5, cycles: 1"),
     ("dose_mg", "-5")),
    ("schedule-day-beyond-cycle",
     with_treatment("drug: lenalidomide, dose_mg: 25, schedule: d1-40/28, cycles: 1"),
     ("schedule", "d1-40/28")),
    ("schedule-unreadable",
     with_treatment("drug: lenalidomide, dose_mg: 25, schedule: every monday, cycles: 1"),
     ("schedule", "every monday")),
    ("schedule-mapping-without-days",
     with_treatment("drug: lenalidomide, dose_mg: 25, schedule: {cycle_days: 28}, cycles: 1"),
     ("schedule", "days")),
    ("not-yaml", "name: [unclosed\n  : - :\n\t- x: {\n", ("bad.yaml", "YAML")),
    ("yaml-list", "- drug: lenalidomide\n- dose_mg: 25\n", ("bad.yaml", "list")),
    ("missing-file", None, ("missing.yaml",)),
    ("unknown-disease", scenario().replace("disease: myeloma", "disease: myelomaa"),
     ("disease", "myelomaa")),
    ("unknown-parameter-override", scenario(top="parameters: {no_such.parameter: 1.0}\n"),
     ("parameters", "no_such.parameter")),
    ("non-numeric-dose", with_treatment("drug: lenalidomide, dose_mg: twenty, cycles: 1"),
     ("dose_mg", "twenty")),
    ("zero-cycles", with_treatment("drug: lenalidomide, dose_mg: 25, cycles: 0"),
     ("cycles", "0")),
]


def test_good_scenario_template_runs(cli_env: dict[str, str], tmp_path: Path) -> None:
    """The template the bad cases are derived from is itself valid (so failures are real)."""
    path = tmp_path / "good.yaml"
    path.write_text(scenario())
    out = tmp_path / "out"
    proc = imidsim(cli_env, "simulate", path, "--out", out, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert {p.name for p in out.iterdir()} == OUTPUTS


@pytest.mark.parametrize(("text", "needles"), [(t, n) for _, t, n in BAD_SCENARIOS],
                         ids=[i for i, _, _ in BAD_SCENARIOS])
def test_simulate_bad_scenario(cli_env: dict[str, str], tmp_path: Path, text: str | None,
                               needles: tuple[str, ...]) -> None:
    if text is None:
        path = tmp_path / "missing.yaml"
    else:
        path = tmp_path / "bad.yaml"
        path.write_text(text)
    out = tmp_path / "out"
    proc = imidsim(cli_env, "simulate", path, "--out", out, cwd=tmp_path)
    assert_one_error_line(proc, *needles)
    assert not out.exists(), "--out folder was created although the input was rejected"
    leftovers = {p.name for p in tmp_path.iterdir()} - {"bad.yaml"}
    assert not leftovers, f"files left behind: {sorted(leftovers)}"


def test_simulate_out_is_a_file(cli_env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "good.yaml"
    path.write_text(scenario())
    out = tmp_path / "out"
    out.write_text("not a folder")
    proc = imidsim(cli_env, "simulate", path, "--out", out, cwd=tmp_path)
    assert_one_error_line(proc, "--out", str(out))
    assert out.read_text() == "not a folder"
    assert {p.name for p in tmp_path.iterdir()} == {"good.yaml", "out"}
