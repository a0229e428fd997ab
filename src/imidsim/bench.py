"""Benchmarks printed by ``imidsim bench`` (timings are measured here, never asserted in tests)."""

from __future__ import annotations

import resource
import time

import numpy as np

from imidsim.scenario import parse_scenario
from imidsim.simulation import Simulation

SIX_CYCLES = {
    "name": "lenalidomide 25 mg d1-21/28, myeloma, 6 cycles",
    "disease": "myeloma",
    "treatments": [{"drug": "lenalidomide", "dose_mg": 25, "schedule": "d1-21/28", "cycles": 6}],
    "output": {"interval_h": 6},
}


def run_bench(n_patients: int = 1000, repeats: int = 5) -> dict[str, object]:
    """Time model build, first solve (compile or cache load) and warm solves."""
    t0 = time.perf_counter()
    sim = Simulation(parse_scenario(SIX_CYCLES))
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    sim.solve()
    t_first = time.perf_counter() - t0
    single = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        sim.solve()
        single.append(time.perf_counter() - t0)
    rng = np.random.default_rng(0)
    panel = {"patient.crbn_level": rng.lognormal(0.0, 0.5, n_patients),
             "crcl_ml_min": rng.uniform(40, 120, n_patients)}
    t0 = time.perf_counter()
    sim.solve(panel)
    t_batch = time.perf_counter() - t0
    return {
        "scenario": SIX_CYCLES["name"],
        "build_s": round(t_build, 4),
        "first_solve_s (compile or cache load)": round(t_first, 4),
        "single_patient_solve_s (median)": round(float(np.median(single)), 5),
        "single_patient_total_s (build + first solve)": round(t_build + t_first, 4),
        f"batch_{n_patients}_patients_s": round(t_batch, 4),
        "patients_per_second": round(n_patients / t_batch, 1),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
