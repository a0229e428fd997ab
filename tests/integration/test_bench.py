"""``imidsim bench`` runs end to end on a tiny size, and imidsim agrees with libRoadRunner on
the exported scenario. Timings are printed by the command, never asserted here."""

from __future__ import annotations

from imidsim.bench import run_bench

from ..conftest import cli_input_error_before_run

KEYS = (  # the original keys, kept, and the side-by-side ones
    "scenario", "build_s", "first_solve_s (compile or cache load)",
    "single_patient_solve_s (median)", "single_patient_total_s (build + first solve)",
    "batch_3_patients_s", "patients_per_second", "peak_rss_mib",
    "imidsim_ms_per_patient", "imidsim_cpu_ms_per_patient", "imidsim_steps_per_patient",
    "roadrunner_ms_per_patient", "roadrunner_cpu_ms_per_patient",
    "speedup_per_patient (roadrunner / imidsim, wall)", "agreement_max_rel_error",
    "agreement_where", "peak_rss_mib_with_roadrunner", "agreement_reference",
)


def test_bench_tiny_agrees_with_roadrunner() -> None:
    res = run_bench(3, 1, regimen="DRd", years=30 / 365, rr_sample=2)
    missing = [k for k in KEYS if k not in res]
    assert not missing, missing
    assert res["patients"] == 3 and res["roadrunner_sample"] == 2
    assert res["sample_matches_batch"], "the sample re-run must reproduce the batch exactly"
    assert res["agreement_max_rel_error"] < 1e-3, res["agreement_where"]
    ref = res["agreement_reference"]
    assert ref["rtol"] == 1e-8 and len(ref["patients"]) == 2
    # imidsim at rtol 1e-6 sits far closer to the tight libRoadRunner run than the bound.
    assert ref["imidsim_max_rel_error"] < 1e-4, ref["imidsim_where"]
    assert ref["roadrunner_timed_max_rel_error"] < 1e-3, ref["roadrunner_timed_where"]


def test_bench_rejects_negative_rr_reference(monkeypatch) -> None:
    """``imidsim bench --rr-reference -1`` is an error naming the option, raised before the
    benchmark starts."""
    import imidsim.bench as bench

    message = cli_input_error_before_run(monkeypatch, bench, "run_bench",
                                         ["bench", "--rr-reference", "-1"])
    assert "--rr-reference" in message
