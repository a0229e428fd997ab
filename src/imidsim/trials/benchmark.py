"""Virtual-trial benchmark (issue 5): a two-arm trial of N patients per arm over 3 years.

Timings are printed by ``imidsim bench-trial``, never asserted in tests. The first call of a
regimen compiles its models (cached on disk); the benchmark reports that separately by running
a warm-up of ``WARM_UP`` patients per arm first (batches of 64 or more use a model variant
compiled for the batch's drugs, so a smaller warm-up would leave that compile in the timing).
"""

from __future__ import annotations

import resource
import time
from pathlib import Path

from imidsim.trials.runner import run_trial
from imidsim.trials.spec import TrialSpec, load_trial

WARM_UP = 64  # patients per arm: batches this size or larger use the per-batch compiled model


def run_trial_benchmark(spec_path: Path, n_per_arm: int = 500, months: float = 36.0,
                        seed: int = 0, scheduler: str = "none") -> dict[str, object]:
    """Wall time of one run of ``spec_path``: ``n_per_arm`` patients, ``months`` of follow-up."""
    spec = load_trial(spec_path)
    spec = TrialSpec.model_validate({**spec.model_dump(), "follow_up_months": months})
    t0 = time.perf_counter()
    run_trial(spec, n_per_arm=WARM_UP, seed=seed)  # compile (or load) the batch models
    t_warm = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = run_trial(spec, n_per_arm=n_per_arm, seed=seed, scheduler=scheduler)
    wall = time.perf_counter() - t0
    n_total = n_per_arm * len(spec.arms)
    return {
        "trial": spec.name, "arms": len(spec.arms), "n_per_arm": n_per_arm,
        "follow_up_months": months, "scheduler": scheduler,
        f"warm_up_s (compile or cache load, {WARM_UP} patients per arm)": round(t_warm, 2),
        "wall_s": round(wall, 2), "patients_per_second": round(n_total / wall, 1),
        "ms_per_patient_year": round(1000 * wall / (n_total * months / 12), 2),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "target": "2 x 500 patients, 3 years, < 60 s on the 2-core CI machine",
        "arms_summary": [a.summary() for a in result.arms],
    }
