"""Read a store with SQL: ``patients`` (every verified shard row), ``shards`` and ``run``."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from imidsim.errors import InputError
from imidsim.store.catalog import open_locked
from imidsim.store.files import problem
from imidsim.store.store import DEFAULT_CATALOG, sql_list


def connect(store: str | Path, catalog: str | Path | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection: catalogue tables ``run``, ``shards`` (copied, so the
    catalogue is not locked during a query; column ``verified`` is false for a file that is
    missing or fails its checksum or row count) and the view ``patients`` over the verified
    shard files only."""
    root = Path(store)
    cat = Path(catalog) if catalog is not None else root / DEFAULT_CATALOG
    if not cat.is_file():
        raise InputError(f"--store: '{root}' has no catalogue (expected {cat}); run "
                         f"'imidsim trial SPEC --store {root}' first")
    try:
        src = open_locked(cat, read_only=True)
        try:
            run = src.execute("SELECT * FROM run").df()
            shards = src.execute("SELECT * FROM shards ORDER BY arm_index, start").df()
        finally:
            src.close()
    except duckdb.Error as exc:
        raise InputError(f"--store: cannot read the catalogue {cat} ({exc})") from None
    shards["verified"] = [problem(root / f, sha, n) is None
                          for f, sha, n in zip(shards["file"], shards["sha256"], shards["rows"],
                                               strict=True)]
    files = [(root / f).resolve() for f in shards.loc[shards["verified"], "file"]]
    con = duckdb.connect()
    try:
        for name, frame in (("run", run), ("shards", shards)):
            con.register("frame", frame)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM frame")
            con.unregister("frame")
        if files:
            con.execute("CREATE VIEW patients AS SELECT * FROM read_parquet("
                        f"{sql_list(files)}, union_by_name = true)")
        else:
            con.execute("CREATE VIEW patients AS SELECT NULL::VARCHAR AS trial WHERE false")
    except duckdb.Error as exc:
        con.close()
        raise InputError(f"--store: cannot read the shards of '{root}' ({exc})") from None
    return con


def query(store: str | Path, sql: str, catalog: str | Path | None = None) -> pd.DataFrame:
    """Run ``sql`` against the store's views and return the result as a DataFrame.

    ``frame.attrs["unverified"]`` lists shard files left out because they fail verification."""
    con = connect(store, catalog)
    try:
        frame = con.execute(sql).df()
        frame.attrs["unverified"] = [f for (f,) in con.execute(
            "SELECT file FROM shards WHERE NOT verified").fetchall()]
        return frame
    except duckdb.Error as exc:
        msg = str(exc).splitlines()[0]
        raise InputError(f"SQL: {msg} (query {sql!r}); tables: patients, shards, run") from None
    finally:
        con.close()
