"""Shards dispatched to ``dask.distributed`` give the in-process numbers exactly.

``tcp://``: a real Scheduler and two single-threaded Workers listening on 127.0.0.1 (started
in this process, so the test stays short; tasks and results still cross TCP, pickled).
``local``: the default of ``imidsim trial``, a LocalCluster of worker processes, each of which
imports imidsim and builds the model itself from the on-disk cache.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from imidsim.errors import InputError
from imidsim.store import ResultStore, StoreError, check_scheduler, plan_shards, query, task_runner
from imidsim.trials.runner import ShardTask, TrialResult, run_trial, timed_shard_rows
from imidsim.trials.spec import TrialSpec, parse_trial

from ..conftest import cli_input_error_before_run
from .mini_trial import SEED, SPEC, N, assert_same


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """``tcp://127.0.0.1:PORT`` of a scheduler with two workers (one thread each)."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp",
                      host="127.0.0.1", scheduler_port=0, dashboard_address=":0") as lc:
        yield lc.scheduler_address


@pytest.fixture(scope="module")
def spec() -> TrialSpec:
    return parse_trial(SPEC)


@pytest.fixture(scope="module")
def plain(spec: TrialSpec) -> TrialResult:
    return run_trial(spec, N, SEED)


def test_tcp_scheduler_equals_in_process_run(cluster: str, spec: TrialSpec, plain: TrialResult,
                                             tmp_path: Path) -> None:
    assert cluster.startswith("tcp://127.0.0.1:")
    res = run_trial(spec, N, SEED, scheduler=cluster, store=ResultStore(tmp_path),
                    shard_size=3)
    assert_same(plain, res)
    assert query(tmp_path, "SELECT count(DISTINCT (arm_index, patient)) AS k FROM patients"
                 )["k"].iloc[0] == 3 * N


def test_parameter_override_reaches_the_workers(cluster: str, spec: TrialSpec) -> None:
    """A calibration override travels with each shard task: over TCP it gives the in-process
    numbers of the same override, which differ from the run without it."""
    over = {"tumour.kill_irf4": 0.1}
    here = run_trial(spec, N, SEED, parameters=over)
    assert_same(here, run_trial(spec, N, SEED, scheduler=cluster, shard_size=3, parameters=over))
    assert here.as_dict() != run_trial(spec, N, SEED).as_dict()


def test_worker_with_other_imidsim_refuses_the_task(cluster: str, spec: TrialSpec) -> None:
    task = ShardTask(spec, SEED, plan_shards([("Rd", N)], N)[0], package_sha256="0" * 64)
    with task_runner(cluster) as runner, pytest.raises(StoreError, match="differs from the client"):
        list(runner.imap_unordered(timed_shard_rows, [task]))


def test_local_cluster_of_processes_equals_in_process_run(spec: TrialSpec, plain: TrialResult
                                                          ) -> None:
    assert_same(plain, run_trial(spec, N, SEED, scheduler="local", shard_size=4))


def test_scheduler_option_is_checked() -> None:
    assert check_scheduler("tcp://10.0.0.2:8786") == "tcp://10.0.0.2:8786"
    for bad in ("dask", "tcp://nohost", "locale"):
        with pytest.raises(InputError, match=rf"--scheduler: '{bad}' is not valid; expected none"):
            check_scheduler(bad)


def test_bench_batch_sharded_over_workers_equals_in_process(cluster: str) -> None:
    """``imidsim bench --scheduler``: the population split into chunks on two workers gives
    every patient's kept outputs and step statistics exactly as the in-process batch."""
    import numpy as np

    from imidsim.bench import bench_patients, bench_scenario, solve_dispatched, solve_engine

    years, keep = 30 / 365, ["MPROTEIN", "ANC", "PLT"]
    table = bench_patients("DRd", 130, seed=3)
    obs, _, stats = solve_engine(bench_scenario("DRd", years), table, keep=keep)
    d_obs, d_stats, wall, cpu, workers = solve_dispatched("DRd", years, table, keep, cluster)
    assert workers == 2 and wall > 0 and cpu > 0
    assert d_obs.shape == (130, 31, 3)
    np.testing.assert_array_equal(d_obs, obs)
    np.testing.assert_array_equal(d_stats, stats)


def test_knockout_experiment_on_workers_equals_in_process(cluster: str) -> None:
    """``imidsim experiment knockout --scheduler``: the same rows from two workers over TCP,
    and the experiment's own logic holds (intact effect retained 100 %; knocking CRBN out
    everywhere removes lenalidomide's effect; depleting T cells removes part of it)."""
    from imidsim.analysis.knockout import knockout_table
    from imidsim.scenario import parse_scenario

    sc = parse_scenario({"name": "ko", "disease": "myeloma",
                         "treatments": [{"drug": "lenalidomide", "dose_mg": 25,
                                         "schedule": "d1-21/28", "cycles": 2}],
                         "output": {"interval_h": 24}})
    rows = knockout_table(sc, ["crbn", "tcells"])
    assert [r.intervention for r in rows] == ["none", "crbn", "tcells"]
    intact, crbn, tcells = rows
    assert intact.drug_effect_log10 > 0.05 and intact.retained_pct == pytest.approx(100.0)
    assert abs(crbn.drug_effect_log10) < 0.01 * intact.drug_effect_log10
    assert 0.0 < tcells.retained_pct < 100.0
    assert [r.as_dict() for r in knockout_table(sc, ["crbn", "tcells"], scheduler=cluster)] \
        == [r.as_dict() for r in rows]


def test_bench_trial_refuses_a_bad_scheduler_before_its_warm_up(monkeypatch) -> None:
    """``imidsim bench-trial --scheduler dask`` is an error naming the option, raised before
    the benchmark (and its warm-up simulation) starts."""
    import imidsim.trials.benchmark as benchmark

    message = cli_input_error_before_run(monkeypatch, benchmark, "run_trial_benchmark",
                                         ["bench-trial", "--scheduler", "dask"])
    assert "--scheduler: 'dask' is not valid" in message
