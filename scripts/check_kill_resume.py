"""Crash check at scale: ``kill -9`` a stored trial run at a random point, ``--resume`` it, and
compare with an uninterrupted run of the same trial (issue 6's acceptance check; the test
suite runs the same check on a small trial).

Steps, each a real ``imidsim trial`` process:

1. the uninterrupted run into ``WORKDIR/whole``;
2. the same command into ``WORKDIR/crashed``, killed with SIGKILL once a number of shard files
   drawn at random (``--kill-seed``) between 10 % and 90 % of the run exist;
3. the same command with ``--resume`` into ``WORKDIR/crashed``.

Then it checks that every patient of every arm is in the resumed store exactly once, that every
catalogued shard verifies (SHA-256 and row count), that the stored rows equal the uninterrupted
run's row for row, and that the printed JSON results are identical; and it prints the timings.
Exit status 0 when every check holds.

    python scripts/check_kill_resume.py --n-per-arm 5000          # 10,000 patients (AUGMENT)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from imidsim.store import query


def trial_command(args: argparse.Namespace, store: Path, *, resume: bool = False) -> list[str]:
    cmd = [sys.executable, "-m", "imidsim.cli", "trial", str(args.spec), "--n-per-arm",
           str(args.n_per_arm), "--seed", str(args.seed), "--store", str(store),
           "--shard-size", str(args.shard_size), "--scheduler", args.scheduler, "--json"]
    return cmd + (["--resume"] if resume else [])


def run(cmd: list[str]) -> tuple[dict, float]:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"command failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr[-2000:]}")
    return json.loads(done.stdout), time.perf_counter() - start


def shard_files(store: Path) -> int:
    return len(list((store / "shards").glob("*.parquet")))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--spec", type=Path, default=Path("examples/trials/augment.yaml"))
    ap.add_argument("--n-per-arm", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--shard-size", type=int, default=100)
    ap.add_argument("--scheduler", default="none", help="none, local or tcp://HOST:PORT")
    ap.add_argument("--kill-seed", type=int, default=None,
                    help="seed of the random kill point (default: from the clock)")
    ap.add_argument("--workdir", type=Path, default=Path("kill_resume_check"))
    args = ap.parse_args()
    if args.n_per_arm < 1 or args.shard_size < 1:
        ap.error("--n-per-arm and --shard-size: expected positive whole numbers")
    if args.workdir.exists():
        shutil.rmtree(args.workdir)
    whole, crashed = args.workdir / "whole", args.workdir / "crashed"
    kill_seed = args.kill_seed if args.kill_seed is not None else time.time_ns() % 2**32

    print(f"1/3 uninterrupted run: {args.spec}, {args.n_per_arm} patients per arm", flush=True)
    ref_json, t_whole = run(trial_command(args, whole))
    n_shards = int(query(whole, "SELECT count(*) AS k FROM shards")["k"][0])
    rng = np.random.default_rng(kill_seed)
    kill_at = int(rng.integers(max(1, n_shards // 10), max(2, (9 * n_shards) // 10)))
    print(f"    {t_whole:.1f} s, {n_shards} shards", flush=True)

    print(f"2/3 same run, SIGKILL once {kill_at} shard files exist (kill seed {kill_seed})",
          flush=True)
    start = time.perf_counter()
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.Popen(trial_command(args, crashed), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=env)
    while proc.poll() is None and (not (crashed / "shards").exists()
                                   or shard_files(crashed) < kill_at):
        time.sleep(0.005)
    if proc.poll() is not None:
        sys.exit("the run finished before it could be killed; use more patients")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    t_killed = time.perf_counter() - start
    before = shard_files(crashed)
    print(f"    killed after {t_killed:.1f} s with {before} shard files on disk", flush=True)

    print("3/3 --resume", flush=True)
    res_json, t_resume = run(trial_command(args, crashed, resume=True))
    run_info = res_json["store"]
    print(f"    {t_resume:.1f} s; reused {run_info.get('reused')}, computed "
          f"{run_info.get('computed')}, deleted and redone {len(run_info.get('deleted', []))}",
          flush=True)

    checks: dict[str, bool] = {}
    counts = query(crashed, "SELECT arm_index, patient, count(*) AS k FROM patients GROUP BY ALL")
    n_arms = len(ref_json["arms"])
    checks["every patient present once"] = (len(counts) == n_arms * args.n_per_arm
                                            and bool((counts["k"] == 1).all()))
    shards = query(crashed, "SELECT verified FROM shards")
    checks["every catalogued shard verifies"] = (len(shards) == n_shards
                                                 and bool(shards["verified"].all()))
    order = "ORDER BY arm_index, patient"
    a = query(whole, f"SELECT * FROM patients {order}")
    b = query(crashed, f"SELECT * FROM patients {order}")
    try:
        pd.testing.assert_frame_equal(a, b)
        checks["stored rows identical to the uninterrupted run"] = True
    except AssertionError:
        checks["stored rows identical to the uninterrupted run"] = False
    strip = ("store",)
    checks["results (arms, comparisons) identical"] = (
        {k: v for k, v in ref_json.items() if k not in strip}
        == {k: v for k, v in res_json.items() if k not in strip})
    for name, ok in checks.items():
        print(f"{'PASS' if ok else 'FAIL'} {name}")
    print(f"timings: uninterrupted {t_whole:.1f} s; killed run {t_killed:.1f} s; "
          f"resume {t_resume:.1f} s; patients {n_arms * args.n_per_arm}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
