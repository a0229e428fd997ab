"""Run a virtual trial: sample each arm's population, simulate it in shards, score endpoints.

A run is cut into shards (arm x block of patient indices). Patient ``i`` of an arm is always
row ``i`` of the arm's table ``sample(population, n, seed)`` with its own dropout time, so the
rows of a shard do not depend on the shard size, the scheduler or the order shards finish in.
Each shard yields one row per patient; the endpoints (ORR, median PFS, HR) are computed from
these rows only, whether they stayed in memory or went through a :class:`ResultStore`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from imidsim.errors import InputError, did_you_mean
from imidsim.library.loader import disease as lookup_disease
from imidsim.progress import patient_progress
from imidsim.response import READOUTS
from imidsim.scenario import Scenario, parse_scenario
from imidsim.simulation import Simulation, model_parameters, scenario_agents
from imidsim.store import ResultStore, RunIdentity, Shard, StoreError, plan_shards, task_runner
from imidsim.store.identity import package_digest
from imidsim.store.store import check_complete
from imidsim.trials.endpoints import (
    DAYS_PER_MONTH,
    ArmEndpoints,
    grades,
    hazard_ratio,
    patient_endpoints,
)
from imidsim.trials.population import Window, population, sample
from imidsim.trials.spec import TrialSpec

CHUNK = 100  # patients per shard by default (bounds memory; results do not depend on it)
ENDPOINT_COLUMNS = ("censor_day", "best_response", "pfs_days", "pfs_months", "event",
                    "anc_grade", "plt_grade")


@dataclass
class TrialResult:
    spec: TrialSpec
    seed: int
    arms: list[ArmEndpoints]
    comparisons: list[dict[str, object]] = field(default_factory=list)
    rows: pd.DataFrame | None = None  # one row per patient (see ``shard_rows``)
    run: dict[str, object] = field(default_factory=dict)  # shards computed/reused/redone

    def as_dict(self) -> dict[str, object]:
        return {"trial": self.spec.name, "seed": self.seed,
                "response_at_day": self.spec.response_at_day,
                "arms": [a.summary() for a in self.arms], "comparisons": self.comparisons}


@dataclass(frozen=True)
class ShardTask:
    """Everything a worker needs to simulate one shard."""

    spec: TrialSpec
    seed: int
    shard: Shard
    package_sha256: str = ""  # the client's imidsim; a worker with other code refuses the task
    parameters: tuple[tuple[str, float], ...] = ()  # overrides this shard's arm model has


def _arm_seed(seed: int, arm_index: int) -> int:
    return int(np.random.SeedSequence([seed, arm_index]).generate_state(1)[0])


@lru_cache(maxsize=16)
def _arm_table(pop_name: str, n: int, arm_seed: int,
               entry: tuple[tuple[str, Window], ...] = ()) -> pd.DataFrame:
    return sample(population(pop_name), n, arm_seed, entry=dict(entry))


def _dropout_days(spec: TrialSpec, arm_index: int, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(np.random.SeedSequence([seed, arm_index, 1]))
    rate = -np.log(1.0 - spec.dropout_per_year) / 365.25 if spec.dropout_per_year > 0 else 0.0
    return rng.exponential(1.0 / rate, n) if rate > 0 else np.full(n, np.inf)


def arm_scenario(spec: TrialSpec, arm_index: int,
                 parameters: Mapping[str, float] | None = None) -> Scenario:
    """The scenario every patient of an arm runs (daily output over the follow-up)."""
    arm = spec.arms[arm_index]
    return parse_scenario({"name": f"{spec.name}: {arm.name}", "disease": spec.disease,
                           "regimen": arm.regimen,
                           "duration_days": spec.follow_up_months * DAYS_PER_MONTH,
                           "output": {"interval_h": 24.0}, "parameters": dict(parameters or {})})


def arm_parameter_names(spec: TrialSpec) -> list[frozenset[str]]:
    """For each arm, the names of its model's parameters (no model is compiled)."""
    dis = lookup_disease(spec.disease).name
    return [frozenset(model_parameters(dis, scenario_agents(arm_scenario(spec, i))))
            for i in range(len(spec.arms))]


def arm_parameters(spec: TrialSpec, parameters: Mapping[str, float] | None
                   ) -> list[dict[str, float]]:
    """For each arm, the overrides of ``parameters`` its model has (an agent's parameters exist
    only in the models of arms that give the agent). An override no arm's model has, one of a
    parameter the population draws per patient (the drawn values would win: change the
    population instead), or a value that is not a finite number is an InputError naming it."""
    if not parameters:
        return [{} for _ in spec.arms]
    drawn = population(spec.population).parameters
    values: dict[str, float] = {}
    for name, value in parameters.items():
        try:
            values[name] = float(value)
        except (TypeError, ValueError):
            values[name] = math.nan
        if not math.isfinite(values[name]):
            raise InputError(f"parameters: '{name}' = {value!r} is not valid; expected a finite "
                             f"number")
    known = arm_parameter_names(spec)
    everywhere = set().union(*known)
    for name in values:
        if name not in everywhere:
            raise InputError(f"parameters: unknown parameter '{name}': no arm of "
                             f"'{spec.name}' has it in its model; expected a name listed by "
                             f"'imidsim params'.{did_you_mean(name, everywhere)}")
        if name in drawn:
            raise InputError(f"parameters: '{name}' is drawn per patient by population "
                             f"'{spec.population}', so an override would have no effect; "
                             f"change the population's distribution instead")
    return [{k: v for k, v in values.items() if k in names} for names in known]


def shard_rows(task: ShardTask) -> pd.DataFrame:
    """Simulate one shard: a row per patient with covariates and endpoints (a worker task)."""
    spec, seed, sh = task.spec, task.seed, task.shard
    arm = spec.arms[sh.arm_index]
    table = _arm_table(spec.population, sh.n, _arm_seed(seed, sh.arm_index),
                       tuple(sorted(spec.eligibility.items())))
    part = table.iloc[sh.start:sh.stop].reset_index(drop=True).copy()
    dropout = _dropout_days(spec, sh.arm_index, sh.n, seed)[sh.start:sh.stop]
    horizon = spec.follow_up_months * DAYS_PER_MONTH
    sim = Simulation(arm_scenario(spec, sh.arm_index, dict(task.parameters)))
    kind = lookup_disease(spec.disease).readout
    readout = READOUTS[kind][0]
    outputs = {*sim.model.species_names, *sim.model.assignment_names}
    keep = [x for x in (readout, "ANC", "PLT") if x in outputs]
    # a patient's antigen densities are drawn whatever the arm; an arm without an agent against
    # that antigen has no such parameter, and the column is not used there
    unused = [c for c in part.columns
              if c.startswith("antigen.") and c not in sim.model.parameter_names]
    res = sim.solve(part.drop(columns=unused), keep=keep)
    t = res.t_days
    out: dict[str, list[object]] = {c: [] for c in ENDPOINT_COLUMNS}
    for i in range(len(part)):
        censor = min(horizon, float(dropout[i]))
        b, p, e = patient_endpoints(kind, t, res.series(readout, i),
                                    spec.assessment_interval_days, censor, spec.response_at_day)
        # toxicity counts while the patient is on study: until progression is detected (the
        # patient then leaves the regimen, which the simulation keeps giving) or censoring
        on = t <= (p * DAYS_PER_MONTH if e else censor)
        ga, gp = grades(res.series("ANC", i)[on], res.series("PLT", i)[on])
        for col, v in zip(ENDPOINT_COLUMNS, (censor, b, p * DAYS_PER_MONTH, p, e, ga, gp),
                          strict=True):
            out[col].append(v)
    ids = pd.DataFrame({"trial": spec.name, "arm": arm.name, "arm_index": sh.arm_index,
                        "patient": np.arange(sh.start, sh.stop, dtype=np.int64)})
    ends = pd.DataFrame(out).astype({"censor_day": float, "pfs_days": float, "pfs_months": float,
                                     "event": bool, "anc_grade": np.int64,
                                     "plt_grade": np.int64})
    return pd.concat([ids, part, ends], axis=1)


def timed_shard_rows(task: ShardTask) -> tuple[pd.DataFrame, float]:
    """:func:`shard_rows` and the seconds it took (the task sent to workers)."""
    if task.package_sha256 and package_digest() != task.package_sha256:
        import socket

        raise StoreError(f"worker {socket.gethostname()}: its imidsim code or library differs "
                         f"from the client's (package digest {package_digest()[:12]}... vs "
                         f"{task.package_sha256[:12]}...); install the same imidsim everywhere")
    t0 = time.perf_counter()
    return shard_rows(task), time.perf_counter() - t0


def arm_endpoints(name: str, rows: pd.DataFrame) -> ArmEndpoints:
    """An arm's endpoints from its patient rows (ordered by patient index)."""
    rows = rows.sort_values("patient", kind="stable")
    return ArmEndpoints(name, [str(b) for b in rows["best_response"]],
                        rows["pfs_months"].to_numpy(float), rows["event"].to_numpy(bool),
                        rows["anc_grade"].to_numpy(np.int64), rows["plt_grade"].to_numpy(np.int64))


def run_arm(spec: TrialSpec, arm_index: int, n: int, seed: int) -> ArmEndpoints:
    """One arm of ``n`` patients, in process (shards of :data:`CHUNK`)."""
    name = spec.arms[arm_index].name
    frames = [shard_rows(ShardTask(spec, seed, Shard(arm_index, name, s, min(s + CHUNK, n), n)))
              for s in range(0, n, CHUNK)]
    return arm_endpoints(name, pd.concat(frames, ignore_index=True))


def run_trial(spec: TrialSpec, n_per_arm: int | None = None, seed: int = 0,
              show_progress: bool = False, *, store: ResultStore | None = None,
              resume: bool = False, scheduler: str = "none", shard_size: int = CHUNK,
              on_shard: Callable[[Shard], None] | None = None,
              parameters: dict[str, float] | None = None) -> TrialResult:
    """Simulate every arm (independent virtual patients per arm) and the comparisons.

    With ``store``, each shard is written as soon as it finishes and the endpoints are computed
    from the stored rows; ``resume`` completes an interrupted run in that store. ``scheduler``
    is ``none`` (in process), ``local`` or ``tcp://HOST:PORT`` (Dask). ``on_shard`` is called
    after each shard is kept (written or held in memory), and for each shard a resumed run
    reuses.

    ``parameters`` (for calibration only; trial specs never carry model parameters) overrides
    model parameters in every arm whose model has them (see :func:`arm_parameters`); they are
    part of the run's identity, so a store never mixes runs with different overrides.
    """
    ns = tuple(n_per_arm or a.n for a in spec.arms)
    plan = plan_shards([(a.name, n) for a, n in zip(spec.arms, ns, strict=True)], shard_size)
    info: dict[str, object] = {"shards": len(plan), "reused": 0, "deleted": []}
    done: set[str] = set()
    per_arm = [tuple(sorted(p.items())) for p in arm_parameters(spec, parameters)]
    ident = RunIdentity.of(spec, seed, ns, shard_size, parameters)
    try:
        if store is not None:
            rec = store.prepare(ident, plan, resume=resume)
            done, info["reused"], info["deleted"] = rec.reused, len(rec.reused), rec.deleted
            for s in plan:
                if s.key in done and on_shard is not None:
                    on_shard(s)
        pkg = "" if scheduler == "none" else ident.package_sha256
        todo = [ShardTask(spec, seed, s, pkg, per_arm[s.arm_index])
                for s in plan if s.key not in done]
        frames: dict[str, pd.DataFrame] = {}
        label = spec.name + (f" ({len(done)} shards reused)" if done else "")
        with patient_progress(show_progress) as progress:
            bar = progress.add_task(label, total=sum(t.shard.size for t in todo))
            if todo:
                if scheduler != "none":
                    progress.update(bar,
                                    description=f"{label}: connecting to Dask ({scheduler})")
                with task_runner(scheduler) as runner:
                    progress.update(bar, description=f"{label} on {runner.workers} worker(s)")
                    for task, (frame, seconds) in runner.imap_unordered(timed_shard_rows, todo):
                        if store is not None:
                            store.write(task.shard, frame, seconds)
                        else:
                            frames[task.shard.key] = frame
                        progress.advance(bar, task.shard.size)
                        if on_shard is not None:
                            on_shard(task.shard)
        if store is not None:
            rows = store.rows(plan)
        else:
            rows = pd.concat([frames[s.key] for s in plan], ignore_index=True)
            check_complete(rows, plan)
    finally:
        if store is not None:
            store.release()
    info["computed"] = len(todo)
    arms = [arm_endpoints(a.name, rows[rows["arm_index"] == i]) for i, a in enumerate(spec.arms)]
    by_name = {a.name: a for a in arms}
    comps = []
    for c in spec.comparisons:
        hr, ci = hazard_ratio(by_name[c.experimental], by_name[c.control])
        comp: dict[str, object] = {"experimental": c.experimental, "control": c.control,
                                   "hr": None if hr is None else round(hr, 4),
                                   "hr_ci": None if ci is None else [round(x, 4) for x in ci]}
        if hr is None:
            comp["note"] = "not estimable: an arm has no progression event in follow-up"
        comps.append(comp)
    return TrialResult(spec, seed, arms, comps, rows, info)
