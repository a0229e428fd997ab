"""Benchmark printed by ``imidsim bench`` (timings are measured here, never asserted in tests).

One run times the same scenario in imidsim and in libRoadRunner, side by side:

* the scenario is a library regimen (DRd in relapsed myeloma by default, R2 in follicular
  lymphoma) for ``years`` years with daily output, run as its fixed-dose schedule: the
  regimen's hold-and-reduce rules decide doses from the simulated state and cannot be
  exported to SBML, so both engines run without them;
* ``n`` virtual patients come from the trial population sampler (CRBN level, tumour growth,
  resistant fraction, marrow sensitivity, CrCl, weight, BSA, ...);
* imidsim integrates all of them in one batch through the engine (the building blocks of
  :meth:`Simulation.solve`: patient table, parameter matrix, dosing plan), keeping only the
  readout, ANC and platelets at each day, as a trial does;
* libRoadRunner integrates an evenly spread sample of the same patients on the exported SBML
  (:class:`~imidsim.engine.roadrunner_check.RoadRunnerBatch`: one loaded instance,
  re-parameterised per patient, CVODE between doses at the same tolerances, doses added to
  the amounts between segments);
* agreement is the largest relative difference between the two over every species, sampled
  patient and day where imidsim's value exceeds ``floor`` times that species' peak;
* ``agreement_reference`` runs a few of the sampled patients once more in libRoadRunner, untimed,
  at tolerances 100 times tighter, and gives each engine's timed solution's distance from it.
  Both timed solutions carry the global error that rtol 1e-6 allows, and near the floor (an
  antibody washing out, a trough) that can exceed 1e-3 of the value; the reference says
  whose error it is (R2, 10,000 patients: timed disagreement 1.89e-3 on rituximab's
  peripheral amount at day 730, 1.6e-6 of its peak; imidsim within 1.1e-5 of the reference,
  libRoadRunner at rtol 1e-6 1.89e-3 from it).

Per-patient cost is wall time over patients (imidsim uses every core numba is given;
libRoadRunner integrates one patient at a time on one core); CPU time per patient is
reported too. Peak memory is the process's peak resident set size after the imidsim batch
(before libRoadRunner is imported) and at the end.
"""

from __future__ import annotations

import functools
import os
import resource
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from imidsim.engine.solve import BatchSolution, solve_batch
from imidsim.library.loader import disease as lookup_disease
from imidsim.progress import patient_progress
from imidsim.response import READOUTS
from imidsim.scenario import parse_scenario
from imidsim.simulation import Simulation

if TYPE_CHECKING:
    from imidsim.engine.roadrunner_check import RoadRunnerBatch

# regimen -> (disease, population) of the benchmark
BENCH_REGIMENS = {"DRd": ("myeloma", "myeloma_rr"), "R2": ("fl", "fl_mzl_rr")}
CHUNK = 2500  # patients per engine call: bounds the memory of dosing plans and outputs
# libRoadRunner tolerances of the untimed reference runs: 100 times tighter than the timed
# rtol 1e-6 / atol 1e-9 (on R2 patients, rtol 1e-8 and 1e-10 gave the same agreement, 1.08e-5).
REFERENCE_TOLERANCES = (1e-8, 1e-12)
PROGRESS_CHUNK = 1000  # patients per engine call of the timed batch (one progress step each)


def _rss_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def bench_scenario(regimen: str = "DRd", years: float = 2.0,
                   interval_h: float = 24.0) -> Simulation:
    """The benchmark scenario: ``regimen``'s fixed-dose schedule for ``years`` years."""
    from imidsim.regimens import load_regimen

    if regimen not in BENCH_REGIMENS:
        raise ValueError(f"--regimen: '{regimen}' is not one of {', '.join(BENCH_REGIMENS)}")
    disease, _ = BENCH_REGIMENS[regimen]
    reg = load_regimen(regimen).model_dump()
    reg["dose_modifications"] = []
    return Simulation(parse_scenario({
        "name": f"{regimen} (fixed-dose schedule), {disease}, {years:g} years",
        "disease": disease, "regimen": reg, "duration_days": 365.0 * years,
        "output": {"interval_h": interval_h}}))


def bench_patients(regimen: str, n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` virtual patients of the regimen's benchmark population."""
    from imidsim.trials.population import population, sample

    return sample(population(BENCH_REGIMENS[regimen][1]), n, seed)


def solve_engine(sim: Simulation, table: pd.DataFrame, *, keep: list[str] | None = None,
                 all_species: bool = False, chunk: int = CHUNK,
                 on_chunk: Callable[[int], None] | None = None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integrate ``table`` in chunks with the specialised variant.

    Returns the kept outputs (n, nt, len(keep): species or assignments, in ``keep``'s order),
    every species (n, nt, ns) when ``all_species`` (else an empty array) and the integrator
    statistics (n, 3). ``on_chunk`` is called with the size of each chunk done.
    """
    s = sim.scenario.solver
    m = sim.model
    keep = list(keep or [])
    unknown = [k for k in keep if k not in m.assignment_names and k not in m.species_names]
    if unknown:
        raise ValueError(f"keep: unknown outputs {unknown}")
    sp = [m.species_index(k) for k in keep if k in m.species_names]
    ob = [m.assignment_names.index(k) for k in keep if k in m.assignment_names]
    order = [("y", sp.index(m.species_index(k))) if k in m.species_names
             else ("obs", ob.index(m.assignment_names.index(k))) for k in keep]
    t = sim.output_times()
    full = sim.patient_table(table)
    kept, ys, stats = [], [], []
    for start in range(0, len(full), chunk):
        part = full.iloc[start:start + chunk].reset_index(drop=True)
        sol: BatchSolution = solve_batch(
            sim.compiled, sim.parameter_matrix(part), sim.dosing_plan(part), t, rtol=s.rtol,
            atol=s.atol, hmax=s.hmax_h, observables=ob, species=True if all_species else sp,
            inputs=False, specialize=True)
        ysel = sol.y[:, :, sp] if all_species else sol.y
        kept.append(np.stack([(ysel if kind == "y" else sol.obs)[:, :, j] for kind, j in order],
                             axis=2) if order else np.zeros((len(part), len(t), 0)))
        ys.append(sol.y if all_species else np.zeros((len(part), len(t), 0)))
        assert sol.stats is not None
        stats.append(sol.stats)
        if on_chunk is not None:
            on_chunk(len(part))
    return np.concatenate(kept), np.concatenate(ys), np.concatenate(stats)


@functools.lru_cache(maxsize=4)
def _worker_scenario(regimen: str, years: float) -> Simulation:
    return bench_scenario(regimen, years)


def bench_chunk(task: tuple[str, float, pd.DataFrame, tuple[str, ...]]
                ) -> tuple[np.ndarray, np.ndarray, float]:
    """One task of a dispatched benchmark: (regimen, years, patients, kept outputs) ->
    (kept outputs, integrator statistics, CPU seconds this worker spent)."""
    regimen, years, table, keep = task
    c0 = time.process_time()
    obs, _, stats = solve_engine(_worker_scenario(regimen, years), table, keep=list(keep))
    return obs, stats, time.process_time() - c0


def solve_dispatched(regimen: str, years: float, table: pd.DataFrame, keep: list[str],
                     scheduler: str, on_chunk: Callable[[int], None] | None = None
                     ) -> tuple[np.ndarray, np.ndarray, float, float, int]:
    """Integrate ``table`` on Dask workers (``local`` or ``tcp://``) in chunks.

    Every worker first loads the scenario and the compiled variant (untimed, like the in-process
    warm-up); the timed part is from the first chunk submitted to the last result back.
    Returns (kept outputs, statistics, wall seconds, worker CPU seconds, workers)."""
    from imidsim.store import task_runner

    with task_runner(scheduler) as runner:
        warm = functools.partial(bench_chunk, (regimen, years, table.iloc[:2], tuple(keep)))
        runner.on_every_worker(warm)
        size = max(64, -(-len(table) // (4 * runner.workers)))  # ~4 chunks per worker
        tasks = [(regimen, years, table.iloc[i:i + size], tuple(keep))
                 for i in range(0, len(table), size)]
        t0 = time.perf_counter()
        done = {}
        for task, out in runner.imap_unordered(bench_chunk, tasks):
            done[id(task)] = out
            if on_chunk is not None:
                on_chunk(len(task[2]))
        wall = time.perf_counter() - t0
        outs = [done[id(task)] for task in tasks]
        return (np.concatenate([o[0] for o in outs]), np.concatenate([o[1] for o in outs]),
                wall, sum(o[2] for o in outs), runner.workers)


def max_relative_error(ref: np.ndarray, other: np.ndarray, floor: float = 1e-6
                       ) -> tuple[float, tuple[int, int, int]]:
    """Largest |other - ref| / |ref| over (patient, time, species) where |ref| exceeds
    ``floor`` times the species' peak for that patient; returns it and its position."""
    peak = np.max(np.abs(ref), axis=1, keepdims=True)
    big = (np.abs(ref) > floor * peak) & (peak > 0)
    rel = np.where(big, np.abs(other - ref) / np.where(big, np.abs(ref), 1.0), 0.0)
    pos = np.unravel_index(int(np.argmax(rel)), rel.shape)
    return float(rel[pos]), (int(pos[0]), int(pos[1]), int(pos[2]))


def run_bench(n_patients: int = 1000, repeats: int = 5, *, regimen: str = "DRd",
              years: float = 2.0, rr_sample: int = 20, seed: int = 0, floor: float = 1e-6,
              rr_stiff: bool = False, scheduler: str = "none", show_progress: bool = False,
              rr_reference: int = 5) -> dict[str, Any]:
    """Time imidsim on ``n_patients`` and libRoadRunner on ``rr_sample`` of them; compare.

    The timed libRoadRunner runs use imidsim's tolerances, so their disagreement holds the
    global error of both. ``rr_reference`` of the sampled patients are also run (untimed) in
    libRoadRunner at :data:`REFERENCE_TOLERANCES`, which separates imidsim's error from
    libRoadRunner's (``agreement_reference``).

    ``scheduler`` ``none`` integrates the batch in this process (one thread per core numba is
    given); ``local`` or ``tcp://HOST:PORT`` shards it across Dask workers
    (:func:`solve_dispatched`)."""
    import numba

    if n_patients < 1 or repeats < 1 or rr_sample < 0 or rr_reference < 0 or years <= 0:
        raise ValueError("--patients/--repeats/--years: expected positive numbers "
                         "(--rr-sample, --rr-reference: zero or more)")
    t0 = time.perf_counter()
    sim = bench_scenario(regimen, years)
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    sim.solve()
    t_first = time.perf_counter() - t0
    single = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        sim.solve()
        single.append(time.perf_counter() - t0)
    table = bench_patients(regimen, n_patients, seed)
    disease = BENCH_REGIMENS[regimen][0]
    keep = [READOUTS[lookup_disease(disease).readout][0], "ANC", "PLT"]
    t0 = time.perf_counter()
    solve_engine(sim, table.iloc[:2], keep=keep)  # compile or load the specialised variant
    t_variant = time.perf_counter() - t0

    workers = 1
    with patient_progress(show_progress) as progress:
        bar = progress.add_task(f"imidsim, {regimen} {years:g} years", total=n_patients)
        advance = functools.partial(progress.advance, bar)
        if scheduler == "none":
            t0, c0 = time.perf_counter(), time.process_time()
            obs, _, stats = solve_engine(sim, table, keep=keep, chunk=PROGRESS_CHUNK,
                                         on_chunk=advance)
            t_batch, c_batch = time.perf_counter() - t0, time.process_time() - c0
        else:
            obs, stats, t_batch, c_batch, workers = solve_dispatched(
                regimen, years, table, keep, scheduler, on_chunk=advance)
    rss_imidsim = _rss_mib()
    s = sim.scenario.solver
    out: dict[str, Any] = {
        "scenario": sim.scenario.name,
        "build_s": round(t_build, 4),
        "first_solve_s (compile or cache load)": round(t_first, 4),
        "single_patient_solve_s (median)": round(float(np.median(single)), 5),
        "single_patient_total_s (build + first solve)": round(t_build + t_first, 4),
        f"batch_{n_patients}_patients_s": round(t_batch, 4),
        "patients_per_second": round(n_patients / t_batch, 1),
        "peak_rss_mib": rss_imidsim,
        "regimen": regimen, "disease": disease, "population": BENCH_REGIMENS[regimen][1],
        "years": years, "patients": n_patients, "output_interval_h": 24.0,
        "solver": {"rtol": s.rtol, "atol": s.atol, "hmax_h": s.hmax_h},
        "kept_outputs": keep,
        "machine": {"cpu_count": os.cpu_count(), "numba_threads": numba.get_num_threads(),
                    "load_average_1min": round(os.getloadavg()[0], 2)},
        "scheduler": scheduler, "workers": workers,
        "specialised_variant_s (compile or cache load)": round(t_variant, 3),
        "imidsim_ms_per_patient": round(1000 * t_batch / n_patients, 3),
        "imidsim_cpu_ms_per_patient": round(1000 * c_batch / n_patients, 3),
        "imidsim_steps_per_patient": round(float(stats[:, 0].mean()), 1),
        "imidsim_rejected_steps_per_patient": round(float(stats[:, 1].mean()), 1),
        "imidsim_rhs_evaluations_per_patient": round(float(stats[:, 2].mean()), 1),
    }
    if rr_sample == 0:
        return out
    out.update(_roadrunner_side(sim, table, obs, keep, rr_sample, floor, rr_stiff,
                                1000 * t_batch / n_patients, 1000 * c_batch / n_patients,
                                rr_reference))
    out["peak_rss_mib_with_roadrunner"] = _rss_mib()
    return out


def _roadrunner_side(sim: Simulation, table: pd.DataFrame, obs: np.ndarray, keep: list[str],
                     k: int, floor: float, stiff: bool, im_ms: float, im_cpu_ms: float,
                     n_reference: int = 0) -> dict[str, Any]:
    import roadrunner

    from imidsim.engine.roadrunner_check import RoadRunnerBatch

    n = len(table)
    rows = np.unique(np.linspace(0, n - 1, min(k, n)).round().astype(int))
    sample = table.iloc[rows].reset_index(drop=True)
    s = sim.scenario.solver
    t_out = sim.output_times()
    batch = RoadRunnerBatch(sim, sample, rtol=s.rtol, atol=s.atol, stiff=stiff)
    walls, cpus, rr_y = [], [], []
    for i in range(len(rows)):
        t0, c0 = time.perf_counter(), time.process_time()
        rr_y.append(batch.run(i, t_out))
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    # imidsim's full trajectories of the sample (same compiled variant as the batch: identical
    # numbers, checked on the kept outputs).
    obs_s, y_s, _ = solve_engine(sim, sample, keep=keep, all_species=True)
    same = bool(np.array_equal(obs_s, obs[rows]))
    err, (p, ti, j) = max_relative_error(y_s, np.stack(rr_y), floor)
    rr_ms = 1000 * float(np.mean(walls))
    rr_cpu_ms = 1000 * float(np.mean(cpus))
    out = {
        "roadrunner_version": roadrunner.__version__,
        "roadrunner_sample": len(rows),
        "roadrunner_method": (f"CVODE {'BDF' if stiff else 'Adams-Moulton'} at the same "
                              f"rtol/atol; one loaded instance re-parameterised per patient; "
                              f"segments between doses, doses added to amounts"),
        "roadrunner_export_s": round(batch.export_s, 3),
        "roadrunner_load_s": round(batch.load_s, 3),
        "roadrunner_ms_per_patient": round(rr_ms, 2),
        "roadrunner_cpu_ms_per_patient": round(rr_cpu_ms, 2),
        "speedup_per_patient (roadrunner / imidsim, wall)": round(rr_ms / im_ms, 1),
        "speedup_per_patient_cpu (roadrunner / imidsim, CPU time)": round(
            rr_cpu_ms / im_cpu_ms, 1),
        "agreement_max_rel_error": float(f"{err:.3g}"),
        "agreement_where": {"species": sim.model.species_names[j],
                            "patient": int(rows[p]), "day": float(t_out[ti] / 24.0)},
        "agreement_floor (fraction of each species' peak)": floor,
        "sample_matches_batch": same,
    }
    if n_reference > 0:
        out["agreement_reference"] = _reference_agreement(sim, batch, rows, y_s, np.stack(rr_y),
                                                          n_reference, floor)
    return out


def _reference_agreement(sim: Simulation, batch: RoadRunnerBatch, rows: np.ndarray,
                         y_s: np.ndarray, rr_y: np.ndarray, k: int, floor: float
                         ) -> dict[str, Any]:
    """imidsim and the timed libRoadRunner runs, each against libRoadRunner at the reference
    tolerances, on ``k`` patients of the sample (evenly spread): whose error the timed
    disagreement is. Reuses the timed runs' loaded model (``batch``), after the timing."""
    sub = np.unique(np.linspace(0, len(rows) - 1, min(k, len(rows))).round().astype(int))
    rtol, atol = REFERENCE_TOLERANCES
    batch.set_tolerances(rtol, atol)
    t_out = sim.output_times()
    ref_y = np.stack([batch.run(int(i), t_out) for i in sub])
    e_im, (p, ti, j) = max_relative_error(ref_y, y_s[sub], floor)
    e_rr, (q, tj, jj) = max_relative_error(ref_y, rr_y[sub], floor)
    names = sim.model.species_names
    return {
        "rtol": rtol, "atol": atol, "patients": [int(rows[i]) for i in sub],
        "imidsim_max_rel_error": float(f"{e_im:.3g}"),
        "imidsim_where": {"species": names[j], "patient": int(rows[sub[p]]),
                          "day": float(t_out[ti] / 24.0)},
        "roadrunner_timed_max_rel_error": float(f"{e_rr:.3g}"),
        "roadrunner_timed_where": {"species": names[jj], "patient": int(rows[sub[q]]),
                                   "day": float(t_out[tj] / 24.0)},
    }
