"""Atomic Parquet writes and their verification (SHA-256 and row count)."""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

TMP_SUFFIX = ".tmp"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem lets a folder be opened
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_parquet_atomic(frame: pd.DataFrame, path: Path) -> tuple[str, int]:
    """Write ``frame`` to ``path`` via a temporary name, fsync and rename; (sha256, rows)."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    data = sink.getvalue().to_pybytes()
    tmp = path.with_name(f".{path.name}.{os.getpid()}{TMP_SUFFIX}")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)
    return hashlib.sha256(data).hexdigest(), table.num_rows


def problem(path: Path, sha256: str, rows: int) -> str | None:
    """Why ``path`` cannot be reused (missing, checksum, row count), or ``None`` if it can.

    The checksum is checked first, so a file with foreign bytes is never parsed."""
    if not path.is_file():
        return "file missing"
    if sha256_file(path) != sha256:
        return "checksum mismatch"
    try:
        n = pq.read_metadata(path).num_rows
    except (OSError, pa.ArrowException) as exc:
        return f"unreadable ({exc})"
    return None if n == rows else f"{n} rows, catalogue says {rows}"
