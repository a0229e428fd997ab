"""Virtual trials (issue 5): specs carry no model parameters, malformed specs fail naming the
field, the same seed reproduces, another seed moves numbers only by sampling error, and the
scorecard scores what the issue defines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from imidsim.errors import InputError
from imidsim.library.loader import parameters_for
from imidsim.trials.diagnoses import parse_diagnoses, shipped_diagnoses
from imidsim.trials.endpoints import ArmEndpoints
from imidsim.trials.runner import TrialResult, run_trial
from imidsim.trials.spec import TrialSpec, load_trial, parse_trial
from imidsim.trials.validate import arm_checks, confidence_level, find_specs

ROOT = Path(__file__).resolve().parents[2]
SPECS = sorted((ROOT / "examples" / "trials").glob("*.yaml"))
CSV_TRIALS = 26  # rows of trials_calibration.csv grouped by trial/analysis


def _small(**extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": "small", "disease": "myeloma", "population": "myeloma_rr",
        "follow_up_months": 6, "assessment_interval_days": 28,
        "arms": [{"name": "Rd", "regimen": "Rd", "n": 12},
                 {"name": "dex", "regimen": "placebo-HiDex", "n": 12}],
        "comparisons": [{"experimental": "Rd", "control": "dex"}]}
    spec.update(extra)
    return spec


# --- the specs ---------------------------------------------------------------------------------

def test_every_csv_trial_has_a_spec_and_each_parses() -> None:
    assert len(SPECS) == CSV_TRIALS
    assert find_specs(ROOT / "examples" / "trials") == SPECS
    for path in SPECS:
        spec = TrialSpec.model_validate(yaml.safe_load(path.read_text()))
        assert spec.source and all(k.startswith("trial:") for k in spec.source), path.name


def test_specs_carry_no_model_parameters() -> None:
    """Who is enrolled and what they get, never efficacy knobs: no key of any spec (at any depth)
    names a model parameter, and no scalar is keyed like one."""
    names = set(parameters_for("myeloma"))
    for disease in ("fl", "cll", "mcl", "dlbcl_gcb"):
        names |= set(parameters_for(disease))
    prefixes = {n.split(".")[0] + "." for n in names}

    def keys(node: Any) -> list[str]:
        if isinstance(node, dict):
            return [*map(str, node), *[k for v in node.values() for k in keys(v)]]
        if isinstance(node, list):
            return [k for v in node for k in keys(v)]
        return []

    for path in SPECS:
        for key in keys(yaml.safe_load(path.read_text())):
            assert key not in names, f"{path.name}: model parameter '{key}'"
            assert not key.startswith(tuple(prefixes)), f"{path.name}: '{key}'"


@pytest.mark.parametrize(("change", "expected"), [
    ({"arms": [{"name": "x", "regimen": "Rdd", "n": 10}], "comparisons": []},
     ["arms[0] (x)", "Rdd", "Did you mean"]),
    ({"arms": [{"name": "x", "regimen": "Rd", "n": 0}]}, ["arms.0.n", "greater than 0"]),
    ({"arms": [{"name": "x", "regimen": "Rd", "n": -5}]}, ["arms.0.n", "-5"]),
    ({"follow_up_months": 0.5, "arms": [{"name": "x", "regimen": "Rd", "n": 10}],
      "comparisons": []}, ["follow_up_months 0.5", "28-day cycle", "'x'"]),
    ({"dex.kill_max": 0.01}, ["dex.kill_max", "unknown field", "never model parameters"]),
    ({"efficacy": {"orr": 0.9}}, ["efficacy", "unknown field", "never model parameters"]),
    ({"arms": [{"name": "x", "regimen": "Rd", "n": 10, "kill_rate": 2}]},
     ["arms.0.kill_rate", "unknown field"]),
    ({"population": "fl_mzl_rr"}, ["population", "fl_mzl_rr", "fl", "not myeloma"]),
    ({"population": "myeloma_r"}, ["population", "unknown population 'myeloma_r'"]),
    ({"comparisons": [{"experimental": "Rd", "control": "nobody"}]}, ["nobody", "not one of"]),
    ({"eligibility": {"patient.kill_sensitivity": [1, None]}},
     ["eligibility.patient.kill_sensitivity", "unknown entry criterion", "crcl_ml_min",
      "never model parameters"]),
    ({"eligibility": {"spd_cm2": [5, None]}},
     ["eligibility.spd_cm2", "myeloma_rr", "not screened"]),
    ({"eligibility": {"crcl_ml_min": [60, 40]}}, ["eligibility.crcl_ml_min", "60", "above", "40"]),
    ({"eligibility": {"crcl_ml_min": [None, None]}}, ["eligibility.crcl_ml_min", "screens nobody"]),
    ({"eligibility": {"crcl_ml_min": "high"}}, ["eligibility.crcl_ml_min", "'high'"]),
    ({"response_at_day": 400}, ["response_at_day 400", "after the end of follow-up",
                                "follow_up_months 6"]),
    ({"response_at_day": 0}, ["response_at_day", "greater than 0"]),
])
def test_malformed_spec_names_the_field(change: dict[str, Any], expected: list[str]) -> None:
    with pytest.raises(InputError) as err:
        parse_trial(_small(**change), source="spec.yaml")
    msg = str(err.value)
    assert msg.startswith("spec.yaml")
    for part in expected:
        assert part in msg, (part, msg)


def test_entry_criteria_select_who_is_enrolled() -> None:
    """``eligibility`` screens on baseline quantities: every simulated patient of the run meets
    the trial's criteria, which the population alone does not guarantee."""
    open_run = run_trial(parse_trial(_small()), n_per_arm=30, seed=3)
    screened = run_trial(parse_trial(_small(eligibility={"crcl_ml_min": [60, None],
                                                         "mprotein_g_dl": [1.0, None]})),
                         n_per_arm=30, seed=3)
    assert open_run.rows is not None and screened.rows is not None
    assert (open_run.rows["crcl_ml_min"] < 60).any()
    assert (screened.rows["crcl_ml_min"] >= 60).all()
    assert (screened.rows["patient.mprotein0"] >= 1.0).all()


# --- reproducibility ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def runs() -> dict[str, TrialResult]:
    spec = parse_trial(_small())
    return {"a": run_trial(spec, n_per_arm=40, seed=11),
            "b": run_trial(spec, n_per_arm=40, seed=11),
            "c": run_trial(spec, n_per_arm=40, seed=12)}


def test_same_seed_gives_identical_numbers(runs: dict[str, TrialResult]) -> None:
    assert runs["a"].as_dict() == runs["b"].as_dict()
    for x, y in zip(runs["a"].arms, runs["b"].arms, strict=True):
        assert np.array_equal(x.pfs_months, y.pfs_months) and x.best == y.best


def test_another_seed_moves_numbers_only_by_sampling_error(
        runs: dict[str, TrialResult]) -> None:
    a, c = runs["a"], runs["c"]
    assert a.as_dict() != c.as_dict()  # different patients
    for x, y in zip(a.arms, c.arms, strict=True):
        p1, p2 = x.rate(("CR", "VGPR", "PR")) / 100, y.rate(("CR", "VGPR", "PR")) / 100
        pooled = (p1 + p2) / 2
        se = np.sqrt(max(pooled * (1 - pooled), 0.05) * 2 / x.n)
        assert abs(p1 - p2) < 4 * se, (x.name, p1, p2)
    # the experimental arm (Rd) beats dexamethasone alone under both seeds
    for r in (a, c):
        by = {arm.name: arm for arm in r.arms}
        assert by["Rd"].rate(("CR", "VGPR", "PR")) > by["dex"].rate(("CR", "VGPR", "PR"))


def test_json_keys_of_the_issue(runs: dict[str, TrialResult]) -> None:
    d = runs["a"].as_dict()
    for arm in d["arms"]:  # type: ignore[union-attr]
        assert {"name", "n", "orr_pct", "cr_pct", "median_pfs_months",
                "grade34_neutropenia_pct"} <= set(arm)
    for comp in d["comparisons"]:  # type: ignore[union-attr]
        assert {"experimental", "control", "hr", "hr_ci"} <= set(comp)


# --- calibration overrides (run_trial(parameters=...), never from a spec) ---------------------

RANK = {"PD": 0, "SD": 1, "MR": 2, "PR": 3, "VGPR": 4, "CR": 5}


def test_parameter_override_moves_responses_the_expected_way(tmp_path: Path) -> None:
    """Six Rd patients over 6 months: a stronger lenalidomide kill (tumour.kill_irf4) never makes
    a patient's best response worse and improves at least one; none makes it worse. The shard
    task a Dask worker receives carries the override, and it is part of the run identity."""
    import pickle

    from imidsim.store import ResultStore, Shard
    from imidsim.trials.runner import ShardTask, shard_rows

    spec = parse_trial(_small(arms=[{"name": "Rd", "regimen": "Rd", "n": 12}], comparisons=[]))
    base = run_trial(spec, n_per_arm=6, seed=3)
    runs = {k: run_trial(spec, n_per_arm=6, seed=3, parameters={"tumour.kill_irf4": k})
            for k in (0.0, 0.1)}
    ranks = {k: np.array([RANK[b] for b in r.arms[0].best]) for k, r in runs.items()}
    ranks["base"] = np.array([RANK[b] for b in base.arms[0].best])
    assert (ranks[0.1] >= ranks["base"]).all() and (ranks[0.1] > ranks["base"]).any(), ranks
    assert (ranks[0.0] <= ranks["base"]).all() and (ranks[0.0] < ranks["base"]).any(), ranks
    # the worker task path (pickled as for Dask) applies the same override
    task = ShardTask(spec, 3, Shard(0, "Rd", 0, 6, 6), "", (("tumour.kill_irf4", 0.1),))
    rows = shard_rows(pickle.loads(pickle.dumps(task)))
    assert runs[0.1].rows is not None
    assert list(rows["best_response"]) == list(runs[0.1].rows["best_response"])
    # a store holding the run with an override is not resumed without it (or with another)
    root = tmp_path / "store"
    run_trial(spec, n_per_arm=6, seed=3, store=ResultStore(root),
              parameters={"tumour.kill_irf4": 0.1})
    with pytest.raises(InputError, match=r"parameters: store \{\"tumour.kill_irf4\":0.1\}, "
                                         r"this run none"):
        run_trial(spec, n_per_arm=6, seed=3, store=ResultStore(root), resume=True)


def test_parameter_override_errors_name_the_parameter() -> None:
    """An override no arm's model has, a parameter drawn per patient, or a non-number is an
    InputError naming it; an agent's parameter goes only to the arms giving that agent."""
    from imidsim.trials.runner import arm_parameters

    spec = parse_trial(_small())
    for bad, words in (({"tumour.kill_irf44": 0.1}, ["unknown parameter 'tumour.kill_irf44'",
                                                      "no arm of 'small'", "tumour.kill_irf4"]),
                       ({"tumour.net_growth": 1e-3}, ["'tumour.net_growth'", "drawn per patient",
                                                      "myeloma_rr"]),
                       ({"tumour.kill_irf4": float("nan")}, ["'tumour.kill_irf4'", "finite"])):
        with pytest.raises(InputError) as err:
            run_trial(spec, n_per_arm=2, seed=0, parameters=bad)
        for w in words:
            assert w in str(err.value), (w, str(err.value))
    mixed = parse_trial(_small(arms=[{"name": "Rd", "regimen": "Rd", "n": 12},
                                     {"name": "DRd", "regimen": "DRd", "n": 12}],
                               comparisons=[]))
    got = arm_parameters(mixed, {"daratumumab.CL": 0.5, "tumour.kill_irf4": 0.05})
    assert got == [{"tumour.kill_irf4": 0.05}, {"daratumumab.CL": 0.5, "tumour.kill_irf4": 0.05}]


# --- the scorecard -----------------------------------------------------------------------------

def _arm(name: str, responders: int, n: int, pfs: float) -> ArmEndpoints:
    best = ["PR"] * responders + ["SD"] * (n - responders)
    return ArmEndpoints(name, best, np.full(n, pfs) + np.linspace(-0.5, 0.5, n),
                        np.ones(n, bool), np.zeros(n, int), np.zeros(n, int))


def _scored_spec(dex_confidence: str) -> TrialSpec:
    """Rd (ORR 60 %, PFS 12 months, high confidence) against dex (20 %, 4 months), HR 0.4
    (0.3-0.5)."""
    return parse_trial(_small(arms=[
        {"name": "Rd", "regimen": "Rd", "n": 100,
         "published": {"orr_pct": 60, "median_pfs_months": 12, "confidence": "high"}},
        {"name": "dex", "regimen": "placebo-HiDex", "n": 100,
         "published": {"orr_pct": 20, "median_pfs_months": 4, "confidence": dex_confidence}}],
        comparisons=[{"experimental": "Rd", "control": "dex", "hr": 0.4, "hr_ci": [0.3, 0.5],
                      "confidence": "medium"}]))


def test_scorecard_applies_the_issue_tolerances() -> None:
    spec = _scored_spec(dex_confidence="low")
    result = TrialResult(spec, 0, [_arm("Rd", 69, 100, 14.9), _arm("dex", 45, 100, 4.0)],
                         [{"experimental": "Rd", "control": "dex", "hr": 0.55,
                           "hr_ci": [0.4, 0.7]}])
    checks = {(c.arm, c.quantity): c for c in arm_checks(spec, result)}
    assert checks[("Rd", "orr")].passed  # 69 vs 60: within 10 points
    assert checks[("Rd", "median_pfs")].passed  # 14.9 vs 12: +24%
    assert not checks[("dex", "orr")].scored  # low-confidence rows are shown, not scored
    hr = checks[("Rd vs dex", "hr")]
    assert hr.scored and not hr.passed and "benefit too small" in hr.reason
    result.arms[0] = _arm("Rd", 71, 100, 15.2)
    checks = {(c.arm, c.quantity): c for c in arm_checks(spec, result)}
    assert not checks[("Rd", "orr")].passed and "too strong" in checks[("Rd", "orr")].reason
    assert not checks[("Rd", "median_pfs")].passed
    assert confidence_level("high; n=medium") == "high"
    assert confidence_level("medium; dose=low") == "medium"


def test_validate_cli_arm_sizes_and_json() -> None:
    """``imidsim validate``: --n-per-arm caps each arm, --published-n runs the spec's N, the
    JSON scorecard carries the checks of the chosen spec; an empty --only match is an error."""
    import json

    from typer.testing import CliRunner

    from imidsim.cli import app

    runner = CliRunner()
    base = ["validate", "--specs", str(ROOT / "examples" / "trials"), "--only", "ofa_len",
            "--json"]
    capped = runner.invoke(app, [*base, "--n-per-arm", "10"])
    assert capped.exit_code == 0, capped.output
    card = json.loads(capped.stdout)
    assert card["n_per_arm"] == 10 and [a["n"] for a in card["trials"][0]["arms"]] == [10]
    full = runner.invoke(app, [*base, "--published-n"])
    assert full.exit_code == 0, full.output
    card = json.loads(full.stdout)
    assert card["n_per_arm"] is None and [a["n"] for a in card["trials"][0]["arms"]] == [34]
    assert {c["trial"] for c in card["checks"]} == {card["trials"][0]["trial"]}
    missing = runner.invoke(app, ["validate", "--only", "no-such-trial"])
    assert missing.exit_code != 0


def test_validate_cli_seeds_reports_each_seed_and_per_check_pass_counts() -> None:
    """``imidsim validate --seeds 0,1``: one scorecard per seed (equal to the single-seed run
    of that seed), their counts and mean, and per scored check how many seeds pass it; a
    malformed list is an error naming the option."""
    import json

    from typer.testing import CliRunner

    from imidsim.cli import app

    runner = CliRunner()
    base = ["validate", "--specs", str(ROOT / "examples" / "trials"), "--only", "ofa_len",
            "--json", "--n-per-arm", "12"]
    res = runner.invoke(app, [*base, "--seeds", "0,1"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["seeds"] == [0, 1] and len(data["scorecards"]) == 2
    one = json.loads(runner.invoke(app, [*base, "--seed", "1"]).stdout)
    assert data["scorecards"][1]["checks"] == one["checks"]
    passed = [card["efficacy"]["passed"] for card in data["scorecards"]]
    assert data["efficacy_passed"] == passed
    assert data["efficacy_pass_pct_mean"] == pytest.approx(
        sum(c["efficacy"]["pass_pct"] for c in data["scorecards"]) / 2, abs=0.051)
    for row in data["checks"]:
        i = next(c for c in one["checks"]
                 if (c["arm"], c["quantity"]) == (row["arm"], row["quantity"]))
        assert row["simulated"][1] == i["simulated"]
        assert 0 <= row["passed_seeds"] <= 2
    assert sum(r["passed_seeds"] for r in data["checks"]
               if r["quantity"] != "neutropenia") == sum(passed)
    bad = runner.invoke(app, [*base, "--seeds", "0,x"])
    assert bad.exit_code != 0 and "--seeds" in str(bad.exception)


def test_trial_report_writes_km_png_html_and_json(tmp_path: Path) -> None:
    """``trial --report DIR``: a Kaplan-Meier PNG, an HTML page with the side-by-side table and
    who was enrolled (the population's entry window narrowed by the spec's criteria), and the
    JSON of the run."""
    from imidsim.trials.report import write_report

    spec = parse_trial(_small(eligibility={"crcl_ml_min": [60, None]}))
    res = run_trial(spec, n_per_arm=10, seed=2)
    paths = write_report(res, tmp_path / "report")
    png = Path(paths["kaplan_meier"]).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    page = Path(paths["report"]).read_text()
    for arm in spec.arms:
        assert arm.name in page
    assert "median_pfs_months" in page
    assert "crcl_ml_min &gt;= 60" in page and "anc_10e9_per_l &gt;= 1" in page
    assert "Population myeloma_rr" in page
    for arm in res.arms:
        assert f"{arm.name} (n={arm.n}): best response" in page
    assert json.loads(Path(paths["json"]).read_text()) == json.loads(json.dumps(res.as_dict()))


def test_arm_summary_gives_best_responses_and_the_spread_of_progressions() -> None:
    arm = _arm("Rd", 69, 100, 14.9)  # progressions spread evenly over months 14.4-15.4
    s = arm.summary()
    assert s["best_response_counts"] == {"PR": 69, "SD": 31}
    pct = s["progression_month_percentiles"]
    assert pct["p10"] == pytest.approx(14.5, abs=0.01)
    assert pct["p50"] == pytest.approx(14.9, abs=0.01)
    assert pct["p90"] == pytest.approx(15.3, abs=0.01)
    arm.event[:50] = False  # the censored are not in the percentiles: the later half remains
    assert arm.summary()["progression_month_percentiles"]["p50"] == pytest.approx(15.15,
                                                                                   abs=0.01)
    arm.event[:] = False
    assert arm.summary()["progression_month_percentiles"] is None


def test_scorecard_attaches_a_diagnosis_only_to_a_miss_on_its_side() -> None:
    spec = _scored_spec(dex_confidence="high")
    notes = parse_diagnoses([
        {"trial": spec.name, "arm": "Rd", "quantity": "orr", "side": "high",
         "cause": "too many  responders", "evidence": "here"},
        {"trial": spec.name, "arm": "Rd vs dex", "quantity": "hr", "side": "high",
         "cause": "benefit too small", "evidence": "there"},
        {"trial": spec.name, "arm": "Rd", "quantity": "median_pfs", "side": "low",
         "cause": "progresses early", "evidence": "elsewhere"}])
    hr = [{"experimental": "Rd", "control": "dex", "hr": 0.55, "hr_ci": [0.4, 0.7]}]
    high = TrialResult(spec, 0, [_arm("Rd", 80, 100, 12.0), _arm("dex", 20, 100, 4.0)], hr)
    checks = {(c.arm, c.quantity): c for c in arm_checks(spec, high, notes)}
    assert not checks[("Rd", "orr")].passed
    assert checks[("Rd", "orr")].diagnosis == "too many responders [here]"
    assert checks[("Rd vs dex", "hr")].diagnosis == "benefit too small [there]"
    assert checks[("Rd", "median_pfs")].passed
    assert checks[("Rd", "median_pfs")].diagnosis == ""  # passes: nothing to explain
    low = TrialResult(spec, 0, [_arm("Rd", 40, 100, 12.0), _arm("dex", 20, 100, 4.0)],
                      [{"experimental": "Rd", "control": "dex", "hr": 0.2, "hr_ci": [0.1, 0.3]}])
    checks = {(c.arm, c.quantity): c for c in arm_checks(spec, low, notes)}
    assert not checks[("Rd", "orr")].passed and not checks[("Rd vs dex", "hr")].passed
    assert checks[("Rd", "orr")].diagnosis == ""  # missed on the other side
    assert checks[("Rd vs dex", "hr")].diagnosis == ""


def test_shipped_diagnoses_name_real_checks_of_the_shipped_specs() -> None:
    specs = {s.name: s for s in (load_trial(p) for p in SPECS)}
    field = {"orr": "orr_pct", "median_pfs": "median_pfs_months",
             "neutropenia": "grade34_neutropenia_pct"}
    notes = shipped_diagnoses()
    assert len(notes) >= 5
    for (trial, arm, quantity, _side), note in notes.items():
        assert trial in specs, trial
        spec = specs[trial]
        if quantity == "hr":
            labels = {f"{c.experimental} vs {c.control}" for c in spec.comparisons
                      if c.hr_ci is not None}
            assert arm in labels, (trial, arm)
        else:
            arms = {a.name: a for a in spec.arms}
            assert arm in arms, (trial, arm)
            assert getattr(arms[arm].published, field[quantity]) is not None, (trial, arm)
        assert note.cause.strip() and note.evidence.strip()


@pytest.mark.parametrize("entry, words", [
    ({"trial": "T", "arm": "A", "quantity": "pfs", "side": "high", "cause": "c",
      "evidence": "e"}, ["entry 1", "'quantity'", "'pfs'"]),
    ({"trial": "T", "arm": "A", "quantity": "orr", "side": "up", "cause": "c",
      "evidence": "e"}, ["entry 1", "'side'", "'up'"]),
    ({"trial": "T", "arm": "A", "quantity": "orr", "side": "high", "cause": "c"},
     ["entry 1", "'evidence'"]),
    ({"trial": "T", "arm": "A", "quantity": "orr", "side": "high", "cause": "c",
      "evidence": "e", "knob": 1.0}, ["entry 1", "'knob'"]),
])
def test_malformed_diagnosis_names_the_entry_and_field(entry: dict[str, Any],
                                                       words: list[str]) -> None:
    with pytest.raises(InputError) as err:
        parse_diagnoses([entry])
    for w in words:
        assert w in str(err.value), (w, str(err.value))


def test_response_at_a_time_point_changes_only_the_response_readout() -> None:
    """``response_at_day`` reads each patient's response at one assessment: the same patients
    and progression times as the best-response run, an ORR and CR that cannot exceed the best
    response's, and every patient counted (NE for those who left before it)."""
    from imidsim.trials.report import arm_outcomes

    best = run_trial(parse_trial(_small()), n_per_arm=12, seed=4)
    at = run_trial(parse_trial(_small(response_at_day=84)), n_per_arm=12, seed=4)
    for b, a in zip(best.arms, at.arms, strict=True):
        np.testing.assert_array_equal(a.pfs_months, b.pfs_months)
        np.testing.assert_array_equal(a.event, b.event)
        assert a.rate(("CR", "VGPR", "PR")) <= b.rate(("CR", "VGPR", "PR"))
        assert a.rate(("CR",)) <= b.rate(("CR",))
        assert sum(a.best_counts().values()) == a.n
    assert any(a.best != b.best for a, b in zip(at.arms, best.arms, strict=True))
    assert all(": response at day 84 " in line for line in arm_outcomes(at))
    assert at.as_dict()["response_at_day"] == 84 and best.as_dict()["response_at_day"] is None


def test_validate_store_resume_completes_an_interrupted_validation(tmp_path: Path) -> None:
    """``validate --store S``: each trial and seed keeps its shards in S/seed-N/TRIAL; the same
    store without --resume is refused; after losing one shard and corrupting another (an
    interrupted, partly written run), --resume redoes just those and gives the same scorecards
    as the uninterrupted run, which equals a run without a store."""
    from typer.testing import CliRunner

    from imidsim.cli import app

    runner = CliRunner()
    store = tmp_path / "val"
    base = ["validate", "--specs", str(ROOT / "examples" / "trials"), "--only", "ofa_len",
            "--json", "--n-per-arm", "12", "--seeds", "0,1"]
    first = runner.invoke(app, [*base, "--store", str(store)])
    assert first.exit_code == 0, first.output
    data = json.loads(first.stdout)
    plain = json.loads(runner.invoke(app, base).stdout)
    assert data == plain
    shards = {s: sorted((store / f"seed-{s}").glob("*/shards/*.parquet")) for s in (0, 1)}
    assert all(len(v) == 1 for v in shards.values()), shards
    assert shards[0][0].parent.parent.name == "Ofatumumab_lenalidomide_R_R_CLL"
    again = runner.invoke(app, [*base, "--store", str(store)])
    assert again.exit_code != 0 and "--resume" in str(again.exception)
    shards[1][0].unlink()
    shards[0][0].write_bytes(shards[0][0].read_bytes()[:100])
    resumed = runner.invoke(app, [*base, "--store", str(store), "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert json.loads(resumed.stdout) == data
    orphan = runner.invoke(app, [*base, "--resume"])
    assert orphan.exit_code != 0 and "--resume" in str(orphan.exception)
    assert "--store" in str(orphan.exception)


def test_validate_passes_its_scheduler_and_store_to_every_trial(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each trial runs with validate's scheduler, resume flag and its own store folder."""
    import imidsim.trials.validate as val

    seen: list[dict[str, Any]] = []
    real = val.run_trial

    def spy(spec: TrialSpec, **kw: Any) -> Any:
        seen.append({"trial": spec.name, **kw})
        return real(spec, **{**kw, "store": None, "resume": False, "scheduler": "none"})

    monkeypatch.setattr(val, "run_trial", spy)
    specs = [parse_trial(_small()), parse_trial(_small(name="small / other"))]
    val.validate(specs, n_per_arm=6, seed=3, store=tmp_path, resume=True,
                 scheduler="tcp://127.0.0.1:8786")
    assert [s["scheduler"] for s in seen] == ["tcp://127.0.0.1:8786"] * 2
    assert all(s["resume"] for s in seen)
    assert [s["store"].root for s in seen] == [tmp_path / "seed-3" / "small",
                                                tmp_path / "seed-3" / "small_other"]
    with pytest.raises(InputError, match="share a store folder"):
        val.validate([specs[0], parse_trial(_small(name="small?"))], store=tmp_path)


def test_ctrl_c_with_a_store_says_how_to_resume(capsys: pytest.CaptureFixture[str]) -> None:
    """``trial``/``validate`` with --store: Ctrl-C exits 130 naming the store and --resume;
    without a store the interrupt goes through unchanged."""
    from imidsim.cli import _resumable_on_interrupt

    with pytest.raises(SystemExit) as done, _resumable_on_interrupt(Path("runs/val"),
                                                                    "validation"):
        raise KeyboardInterrupt
    assert done.value.code == 130
    err = capsys.readouterr().err
    assert "runs/val" in err and "--resume to complete the validation" in err
    with pytest.raises(KeyboardInterrupt), _resumable_on_interrupt(None, "run"):
        raise KeyboardInterrupt
