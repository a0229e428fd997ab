"""Results store: a trial written shard by shard to Parquet + DuckDB, resumed after a crash.

The trial is a minimal spec (12 months, three arms of 8 patients: Rd and two observation arms
compared with each other so the hazard ratio is finite). Every check compares a stored run
with the plain in-memory run of the same seed: the endpoints must be equal exactly.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
import yaml
from typer.testing import CliRunner

from imidsim.cli import app
from imidsim.errors import InputError
from imidsim.store import ResultStore, query
from imidsim.store.files import sha256_file
from imidsim.trials.runner import TrialResult, run_trial
from imidsim.trials.spec import TrialSpec, parse_trial

from .mini_trial import SEED, SHARD, SPEC, N, assert_same


@pytest.fixture(scope="module")
def spec() -> TrialSpec:
    return parse_trial(SPEC)


@pytest.fixture(scope="module")
def plain(spec: TrialSpec) -> TrialResult:
    """The uninterrupted in-memory run (one shard per arm)."""
    return run_trial(spec, N, SEED)


@pytest.fixture(scope="module")
def stored(spec: TrialSpec, tmp_path_factory: pytest.TempPathFactory
           ) -> tuple[Path, TrialResult]:
    root = tmp_path_factory.mktemp("store") / "run"
    return root, run_trial(spec, N, SEED, store=ResultStore(root), shard_size=SHARD)


def assert_each_patient_once(root: Path) -> None:
    counts = query(root, "SELECT arm_index, patient, count(*) AS k FROM patients GROUP BY ALL")
    assert len(counts) == 3 * N and (counts["k"] == 1).all()


def test_store_run_equals_plain_run(plain: TrialResult, stored: tuple[Path, TrialResult]
                                    ) -> None:
    root, res = stored
    assert_same(plain, res)
    shards = query(root, "SELECT * FROM shards ORDER BY arm_index, start")
    assert len(shards) == 9 and shards["rows"].sum() == 3 * N
    for rec in shards.itertuples():
        assert sha256_file(root / rec.file) == rec.sha256
    run = query(root, "SELECT * FROM run").iloc[0]
    assert (run["seed"], json.loads(run["n_per_arm"]), run["shard_size"]) == (SEED, [N] * 3, 3)
    assert_each_patient_once(root)
    assert sorted(os.listdir(root / "shards")) == sorted(f"{s}.parquet" for s in shards["shard"])


def test_interrupted_run_resumes_to_identical_result(spec: TrialSpec, plain: TrialResult,
                                                     tmp_path: Path) -> None:
    """Ctrl-C after four shards, then --resume: five computed, four reused, same numbers."""
    kept: list[str] = []

    def stop_after_four(shard: object) -> None:
        kept.append(str(shard))
        if len(kept) == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_trial(spec, N, SEED, store=ResultStore(tmp_path), shard_size=SHARD,
                  on_shard=stop_after_four)
    assert len(query(tmp_path, "SELECT * FROM shards")) == 4
    res = run_trial(spec, N, SEED, store=ResultStore(tmp_path), shard_size=SHARD, resume=True)
    assert (res.run["reused"], res.run["computed"]) == (4, 5)
    assert_same(plain, res)
    assert_each_patient_once(tmp_path)


def test_sigkill_mid_run_then_resume(spec: TrialSpec, plain: TrialResult, tmp_path: Path
                                     ) -> None:
    """A real crash: SIGKILL the CLI once two shard files exist, then resume in process."""
    spec_file = tmp_path / "mini.yaml"
    spec_file.write_text(yaml.safe_dump(SPEC))
    root = tmp_path / "store"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.Popen([sys.executable, "-m", "imidsim.cli", "trial", str(spec_file),
                             "--n-per-arm", str(N), "--seed", str(SEED), "--store", str(root),
                             "--shard-size", "2", "--scheduler", "none", "--json"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None \
                and len(list((root / "shards").glob("*.parquet"))) < 2:
            time.sleep(0.01)
        assert proc.poll() is None, f"run ended before it could be killed: {proc.stderr}"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    done_before = len(query(root, "SELECT * FROM shards"))  # the last file may be uncatalogued
    assert 1 <= done_before < 12
    res = run_trial(spec, N, SEED, store=ResultStore(root), shard_size=2, resume=True)
    assert res.run["computed"] == 12 - res.run["reused"] and res.run["computed"] > 0
    assert_same(plain, res)
    assert_each_patient_once(root)


def test_corrupt_partial_and_stray_shards_are_redone(
        spec: TrialSpec, plain: TrialResult, stored: tuple[Path, TrialResult], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Truncated, bit-flipped, missing, uncatalogued and half-written files: never read, redone."""
    root = tmp_path / "copy"
    shutil.copytree(stored[0], root)
    files = sorted((root / "shards").glob("*.parquet"))
    truncated, flipped, missing = files[0], files[4], files[8]
    truncated.write_bytes(truncated.read_bytes()[:200])
    data = bytearray(flipped.read_bytes())
    data[len(data) // 2] ^= 0xFF
    flipped.write_bytes(bytes(data))
    missing.unlink()
    stray = root / "shards" / "arm00_0000099-0000100.parquet"
    shutil.copy(files[1], stray)
    partial = root / "shards" / ".arm01_0000000-0000003.parquet.123.tmp"
    partial.write_bytes(b"PAR1 half a file")

    import pyarrow.parquet as pq

    good = set(query(stored[0], "SELECT sha256 FROM shards")["sha256"])
    verified = query(root, "SELECT count(*) AS n FROM shards WHERE verified")["n"].iloc[0]
    assert verified == 6 and len(query(root, "SELECT * FROM patients")) == 3 * N - 8
    opened: list[str] = []  # checksum of every file handed to the Parquet reader
    real = pq.read_metadata
    monkeypatch.setattr(pq, "read_metadata", lambda p, *a, **k: opened.append(sha256_file(p))
                        or real(p, *a, **k))
    res = run_trial(spec, N, SEED, store=ResultStore(root), shard_size=SHARD, resume=True)
    assert set(opened) <= good, "a corrupt or foreign file was parsed"
    assert set(query(root, "SELECT sha256 FROM shards")["sha256"]) == good  # redone bit for bit
    assert (res.run["reused"], res.run["computed"]) == (6, 3)
    deleted = "\n".join(res.run["deleted"])  # type: ignore[arg-type]
    for path, why in ((truncated, "checksum"), (flipped, "checksum"), (missing, "file missing"),
                      (stray, "not in the catalogue"), (partial, "partial write")):
        assert f"{path.name}: {why}" in deleted
    assert not stray.exists() and not partial.exists()
    assert_same(plain, res)
    assert_each_patient_once(root)


def test_resume_into_a_different_run_is_refused(spec: TrialSpec, stored: tuple[Path, TrialResult],
                                                tmp_path: Path) -> None:
    root = stored[0]
    before = sorted(p.name for p in (root / "shards").iterdir())
    with pytest.raises(InputError, match=r"--resume: .*different run.*seed: store 11, this run 12"):
        run_trial(spec, N, SEED + 1, store=ResultStore(root), shard_size=SHARD, resume=True)
    other = parse_trial({**SPEC, "follow_up_months": 13})
    with pytest.raises(InputError, match=r"different run \(spec_sha256: store"):
        run_trial(other, N, SEED, store=ResultStore(root), shard_size=SHARD, resume=True)
    with pytest.raises(InputError, match=r"n_per_arm: store \(8, 8, 8\), this run \(9, 9, 9\)"):
        run_trial(spec, N + 1, SEED, store=ResultStore(root), shard_size=SHARD, resume=True)
    with pytest.raises(InputError, match=r"--store: .* already holds a run .*--resume"):
        run_trial(spec, N, SEED, store=ResultStore(root), shard_size=SHARD)
    with pytest.raises(InputError, match=r"holds Parquet shards but the catalogue .* no run"):
        run_trial(spec, N, SEED, store=ResultStore(root, tmp_path / "other.duckdb"),
                  shard_size=SHARD, resume=True)
    assert sorted(p.name for p in (root / "shards").iterdir()) == before
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)
    with duckdb.connect(str(copy / "catalog.duckdb")) as con:
        con.execute("UPDATE run SET package_sha256 = 'feedbeef0000aaaa'")
    with pytest.raises(InputError, match=r"package_sha256: store feedbeef0000\.\.\., this run"):
        run_trial(spec, N, SEED, store=ResultStore(copy), shard_size=SHARD, resume=True)


def test_a_store_in_use_by_another_run_is_refused(spec: TrialSpec, plain: TrialResult,
                                                   tmp_path: Path) -> None:
    """Two runs never write one store: the second is refused while the first holds the lock
    (an flock, so a killed run leaves none behind), and runs once it is released."""
    root = tmp_path / "busy"
    other = ResultStore(root)
    other.acquire()
    try:
        with pytest.raises(InputError, match=rf"--store: '{root}' is being written by another "
                                             rf"run \(process {os.getpid()}\)"):
            run_trial(spec, N, SEED, store=ResultStore(root), shard_size=SHARD)
        assert not (root / "shards").exists()
    finally:
        other.release()
    assert_same(plain, run_trial(spec, N, SEED, store=ResultStore(root), shard_size=SHARD))
    # the finished run released its lock: a second writer may take it
    later = ResultStore(root)
    later.acquire()
    later.release()


def test_trial_and_results_query_cli(plain: TrialResult, stored: tuple[Path, TrialResult],
                                     tmp_path: Path) -> None:
    runner = CliRunner()
    spec_file = tmp_path / "mini.yaml"
    spec_file.write_text(yaml.safe_dump(SPEC))
    cat = tmp_path / "elsewhere" / "cat.duckdb"
    args = ["trial", str(spec_file), "--n-per-arm", str(N), "--seed", str(SEED), "--store",
            str(tmp_path / "s"), "--catalog", str(cat), "--shard-size", "5", "--scheduler", "none"]
    out = runner.invoke(app, [*args, "--json"])
    assert out.exit_code == 0, out.output
    printed = json.loads(out.output)
    assert printed.pop("store") == {"shards": 6, "computed": 6, "reused": 0, "deleted": []}
    assert printed == json.loads(json.dumps(plain.as_dict()))
    assert cat.is_file() and not (tmp_path / "s" / "catalog.duckdb").exists()
    out = runner.invoke(app, [*args, "--resume"])
    assert out.exit_code == 0 and "0 shards computed, 6 reused of 6" in out.output, out.output
    out = runner.invoke(app, ["results", "query", "SELECT count(*) AS n FROM patients", "--store",
                              str(tmp_path / "s"), "--catalog", str(cat), "--json"])
    assert json.loads(out.output) == [{"n": 3 * N}], out.output

    root = str(stored[0])
    sql = ("SELECT arm, count(*) AS n, sum(event::INT) AS events FROM patients "
           "GROUP BY arm ORDER BY arm")
    out = runner.invoke(app, ["results", "query", sql, "--store", root, "--json"])
    assert out.exit_code == 0, out.output
    rows = {r["arm"]: r for r in json.loads(out.output)}
    assert {k: v["n"] for k, v in rows.items()} == {"Obs": N, "Obs2": N, "Rd": N}
    by_arm = {a.name: a for a in plain.arms}
    assert all(rows[k]["events"] == int(by_arm[k].event.sum()) for k in rows)
    out = runner.invoke(app, ["results", "query", "SELECT shard, rows FROM shards", "--store",
                              root])
    assert out.exit_code == 0 and "arm02_0000006-0000008" in out.output, out.output
    out = runner.invoke(app, ["results", "query", "SELECT * FROM nope", "--store", root])
    assert isinstance(out.exception, InputError) and "SQL:" in str(out.exception)
    out = runner.invoke(app, ["results", "query", "SELECT 1", "--store", str(tmp_path / "x")])
    assert isinstance(out.exception, InputError) and "no catalogue" in str(out.exception)
