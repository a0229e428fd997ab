"""The DuckDB catalogue: the run's identity and one row per finished shard.

A connection is opened per operation, so the file is locked only for milliseconds and
``imidsim results query`` can read it while a run is still writing shards.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from imidsim.store.identity import RunIdentity

SCHEMA = """
CREATE TABLE IF NOT EXISTS run (
    trial VARCHAR, spec_sha256 VARCHAR, seed BIGINT, n_per_arm VARCHAR, shard_size INTEGER,
    version VARCHAR, package_sha256 VARCHAR, parameters VARCHAR DEFAULT '',
    created_at TIMESTAMP DEFAULT current_timestamp);
ALTER TABLE run ADD COLUMN IF NOT EXISTS parameters VARCHAR DEFAULT '';
CREATE TABLE IF NOT EXISTS shards (
    shard VARCHAR PRIMARY KEY, arm_index INTEGER, arm VARCHAR, start INTEGER, stop INTEGER,
    file VARCHAR, sha256 VARCHAR, rows BIGINT, seconds DOUBLE,
    written_at TIMESTAMP DEFAULT current_timestamp);
"""


def open_locked(path: Path, *, read_only: bool, wait_s: float = 30.0
                ) -> duckdb.DuckDBPyConnection:
    """Connect to a DuckDB file, waiting while another process holds its lock."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@dataclass(frozen=True)
class ShardRecord:
    shard: str
    arm_index: int
    arm: str
    start: int
    stop: int
    file: str  # relative to the store folder
    sha256: str
    rows: int
    seconds: float


class Catalog:
    """Run identity and shard records in one DuckDB file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._ready = False

    @contextmanager
    def _connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = open_locked(self.path, read_only=False)
        try:
            if not self._ready:
                con.execute(SCHEMA)
                self._ready = True
            yield con
        finally:
            con.close()

    def identity(self) -> RunIdentity | None:
        if not self.path.exists():
            return None
        with self._connect() as con:
            cur = con.execute("SELECT trial, spec_sha256, seed, n_per_arm, shard_size, version, "
                              "package_sha256, parameters FROM run LIMIT 1")
            row = cur.fetchone()
            if row is None:
                return None
            names = [d[0] for d in cur.description]
        return RunIdentity.from_row(dict(zip(names, row, strict=True)))

    def set_identity(self, ident: RunIdentity) -> None:
        row = ident.as_row()
        with self._connect() as con:
            con.execute("DELETE FROM run")
            con.execute("DELETE FROM shards")
            keys = ("trial", "spec_sha256", "seed", "n_per_arm", "shard_size", "version",
                    "package_sha256", "parameters")
            con.execute(f"INSERT INTO run ({', '.join(keys)}) VALUES "
                        f"({', '.join('?' * len(keys))})",
                        [row[k] for k in keys])

    def shards(self) -> dict[str, ShardRecord]:
        if not self.path.exists():
            return {}
        with self._connect() as con:
            rows = con.execute("SELECT shard, arm_index, arm, start, stop, file, sha256, rows, "
                               "seconds FROM shards ORDER BY arm_index, start").fetchall()
        return {r[0]: ShardRecord(*r) for r in rows}

    def add(self, rec: ShardRecord) -> None:
        with self._connect() as con:
            con.execute("INSERT OR REPLACE INTO shards (shard, arm_index, arm, start, stop, file, "
                        "sha256, rows, seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [rec.shard, rec.arm_index, rec.arm, rec.start, rec.stop, rec.file,
                         rec.sha256, rec.rows, rec.seconds])

    def remove(self, keys: list[str]) -> None:
        if keys:
            with self._connect() as con:
                con.executemany("DELETE FROM shards WHERE shard = ?", [[k] for k in keys])
