"""A store folder: Parquet shards under ``shards/`` and the DuckDB catalogue."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from imidsim.errors import ImidsimError, InputError
from imidsim.store.catalog import Catalog, ShardRecord
from imidsim.store.files import TMP_SUFFIX, problem, write_parquet_atomic
from imidsim.store.identity import RunIdentity
from imidsim.store.layout import Shard

DEFAULT_CATALOG = "catalog.duckdb"
SHARD_DIR = "shards"
LOCK_FILE = ".lock"


class StoreError(ImidsimError, RuntimeError):
    """A store whose content is inconsistent (a shard changed or missing after it was written)."""


@dataclass
class Reconciled:
    """What ``prepare`` found: shard keys reused, and what was deleted and why."""

    reused: set[str] = field(default_factory=set)
    deleted: list[str] = field(default_factory=list)


def sql_list(paths: Sequence[Path]) -> str:
    """``['a', 'b']`` as a SQL list of string literals."""
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


class ResultStore:
    """Shards of one run in ``root/shards``, catalogue by default ``root/catalog.duckdb``."""

    def __init__(self, root: str | Path, catalog: str | Path | None = None) -> None:
        self.root = Path(root)
        self.catalog = Catalog(Path(catalog) if catalog is not None
                               else self.root / DEFAULT_CATALOG)
        self.shard_dir = self.root / SHARD_DIR
        self._lock_fd: int | None = None

    def acquire(self) -> None:
        """Take the store's writer lock (an advisory ``flock`` on ``root/.lock``, released by
        :meth:`release` or by the kernel when the process ends, even on ``kill -9``): a second
        run writing into the same store is refused instead of interleaving shards."""
        if self._lock_fd is not None:
            return
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise InputError(f"--store: '{self.root}' is being written by another run (process "
                             f"{holder}); expected a store no other run is using: wait for it to "
                             f"finish, or use another folder") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._lock_fd = fd

    def release(self) -> None:
        """Drop the writer lock taken by :meth:`acquire` (no-op when not held)."""
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def prepare(self, ident: RunIdentity, plan: Sequence[Shard], *, resume: bool) -> Reconciled:
        """Start a run (empty store) or check and reconcile one being resumed.

        On resume, a catalogued shard is reused only if its file exists with the recorded
        checksum and row count; every other file in ``shards/`` is deleted and its shard redone.
        """
        if self.root.exists() and not self.root.is_dir():
            raise InputError(f"--store: '{self.root}' is a file; expected a folder")
        self.acquire()
        stored = self.catalog.identity()
        if stored is not None and not resume:
            raise InputError(f"--store: '{self.root}' already holds a run of '{stored.trial}' "
                             f"(seed {stored.seed}); pass --resume to complete it, or choose "
                             f"an empty folder")
        if stored is not None and stored != ident:
            raise InputError(f"--resume: store '{self.root}' holds a different run ("
                             + "; ".join(stored.differences(ident)) + "); expected the same "
                             "spec, seed, --n-per-arm and --shard-size. Use a new --store folder "
                             "for this run")
        if stored is None and self.shard_dir.is_dir() \
                and any(self.shard_dir.glob("*.parquet")):
            raise InputError(f"--store: '{self.shard_dir}' holds Parquet shards but the catalogue "
                             f"{self.catalog.path} records no run; pass the --catalog they were "
                             f"written with, or empty the folder")
        self.shard_dir.mkdir(parents=True, exist_ok=True)
        out = Reconciled()
        if stored is None:
            self.catalog.set_identity(ident)
        wanted = {s.key: s for s in plan}
        bad = []
        for key, rec in self.catalog.shards().items():
            why = "not part of this run" if key not in wanted else \
                problem(self.root / rec.file, rec.sha256, rec.rows)
            if why is None:
                out.reused.add(key)
            else:
                bad.append(key)
                out.deleted.append(f"{rec.file}: {why}")
                (self.root / rec.file).unlink(missing_ok=True)
        self.catalog.remove(bad)
        keep = {f"{SHARD_DIR}/{wanted[k].filename}" for k in out.reused}
        for path in sorted(self.shard_dir.iterdir()):
            rel = f"{SHARD_DIR}/{path.name}"
            if path.is_file() and rel not in keep and (path.suffix == ".parquet"
                                                       or path.name.endswith(TMP_SUFFIX)):
                path.unlink()
                out.deleted.append(f"{rel}: " + ("partial write" if rel.endswith(TMP_SUFFIX)
                                                 else "not in the catalogue"))
        return out

    def write(self, shard: Shard, frame: pd.DataFrame, seconds: float = 0.0) -> ShardRecord:
        """Write one finished shard atomically, then record it in the catalogue."""
        rel = f"{SHARD_DIR}/{shard.filename}"
        sha, rows = write_parquet_atomic(frame, self.root / rel)
        rec = ShardRecord(shard.key, shard.arm_index, shard.arm, shard.start, shard.stop, rel,
                          sha, rows, float(seconds))
        self.catalog.add(rec)
        return rec

    def rows(self, plan: Sequence[Shard]) -> pd.DataFrame:
        """Every patient row of the planned shards (verified again), ordered by arm and patient."""
        recs = self.catalog.shards()
        missing = [s.key for s in plan if s.key not in recs]
        if missing:
            raise StoreError(f"store '{self.root}': shards {', '.join(missing[:5])} are not in "
                             f"the catalogue; rerun with --resume")
        paths = []
        for s in plan:
            rec = recs[s.key]
            why = problem(self.root / rec.file, rec.sha256, rec.rows)
            if why is not None:
                raise StoreError(f"store '{self.root}': {rec.file} changed after it was written "
                                 f"({why}); rerun with --resume to redo it")
            paths.append((self.root / rec.file).resolve())
        con = duckdb.connect()
        try:
            frame = con.execute(f"SELECT * FROM read_parquet({sql_list(paths)}) "
                                "ORDER BY arm_index, patient").df()
        finally:
            con.close()
        check_complete(frame, plan)
        return frame


def check_complete(frame: pd.DataFrame, plan: Sequence[Shard]) -> None:
    """Every planned patient present exactly once."""
    import numpy as np

    sizes = {s.arm_index: s.n for s in plan}
    for arm_index, n in sizes.items():
        got = np.sort(frame.loc[frame["arm_index"] == arm_index, "patient"].to_numpy())
        if len(got) != n or not np.array_equal(got, np.arange(n)):
            raise StoreError(f"arm {arm_index}: expected patients 0..{n - 1} exactly once, "
                             f"found {len(got)} rows ({len(np.unique(got))} distinct)")
