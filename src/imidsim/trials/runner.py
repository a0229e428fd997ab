"""Run a virtual trial: sample each arm's population, simulate it in batches, score endpoints."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from imidsim.library.loader import disease as lookup_disease
from imidsim.response import READOUTS
from imidsim.scenario import parse_scenario
from imidsim.simulation import Simulation
from imidsim.trials.endpoints import (
    DAYS_PER_MONTH,
    ArmEndpoints,
    grades,
    hazard_ratio,
    patient_endpoints,
)
from imidsim.trials.population import population, sample
from imidsim.trials.spec import TrialSpec

CHUNK = 250  # patients per batch (bounds memory; results do not depend on it)


@dataclass
class TrialResult:
    spec: TrialSpec
    seed: int
    arms: list[ArmEndpoints]
    comparisons: list[dict[str, object]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"trial": self.spec.name, "seed": self.seed,
                "arms": [a.summary() for a in self.arms], "comparisons": self.comparisons}


def _arm_seed(seed: int, arm_index: int) -> int:
    return int(np.random.SeedSequence([seed, arm_index]).generate_state(1)[0])


def run_arm(spec: TrialSpec, arm_index: int, n: int, seed: int,
            progress: Progress | None = None, task: int | None = None) -> ArmEndpoints:
    arm = spec.arms[arm_index]
    pop = population(spec.population)
    table = sample(pop, n, _arm_seed(seed, arm_index))
    horizon = spec.follow_up_months * DAYS_PER_MONTH
    sc = parse_scenario({"name": f"{spec.name}: {arm.name}", "disease": spec.disease,
                         "regimen": arm.regimen, "duration_days": horizon,
                         "output": {"interval_h": 24.0}})
    sim = Simulation(sc)
    kind = lookup_disease(spec.disease).readout
    readout = READOUTS[kind][0]
    keep = [x for x in (readout, "ANC", "PLT") if x in sim.model.assignment_names]
    rng = np.random.default_rng(np.random.SeedSequence([seed, arm_index, 1]))
    rate = -np.log(1.0 - spec.dropout_per_year) / 365.25 if spec.dropout_per_year > 0 else 0.0
    dropout = rng.exponential(1.0 / rate, n) if rate > 0 else np.full(n, np.inf)
    best, pfs, event, g_anc, g_plt = [], [], [], [], []
    for start in range(0, n, CHUNK):
        part = table.iloc[start:start + CHUNK]
        res = sim.solve(part, keep=keep)
        t = res.t_days
        for i in range(len(part)):
            censor = min(horizon, float(dropout[start + i]))
            values = res.series(readout, i)
            b, p, e = patient_endpoints(kind, t, values, spec.assessment_interval_days, censor)
            best.append(b)
            pfs.append(p)
            event.append(e)
            on = t <= censor
            ga, gp = grades(res.series("ANC", i)[on], res.series("PLT", i)[on])
            g_anc.append(ga)
            g_plt.append(gp)
        if progress is not None and task is not None:
            progress.advance(task, len(part))
    return ArmEndpoints(arm.name, best, np.array(pfs), np.array(event, bool),
                        np.array(g_anc), np.array(g_plt))


def run_trial(spec: TrialSpec, n_per_arm: int | None = None, seed: int = 0,
              show_progress: bool = False) -> TrialResult:
    """Simulate every arm (independent virtual patients per arm) and the comparisons."""
    arms = []
    total = sum(n_per_arm or a.n for a in spec.arms)
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/"
               "{task.total} patients"), TimeRemainingColumn())
    with Progress(*columns, disable=not show_progress, transient=True) as progress:
        task = progress.add_task(spec.name, total=total)
        for i, arm in enumerate(spec.arms):
            arms.append(run_arm(spec, i, n_per_arm or arm.n, seed, progress, task))
    by_name = {a.name: a for a in arms}
    comps = []
    for c in spec.comparisons:
        hr, ci = hazard_ratio(by_name[c.experimental], by_name[c.control])
        comps.append({"experimental": c.experimental, "control": c.control, "hr": round(hr, 4),
                      "hr_ci": [round(ci[0], 4), round(ci[1], 4)]})
    return TrialResult(spec, seed, arms, comps)
