"""Results store: trial shards as Parquet files with a DuckDB catalogue, and task dispatch.

A virtual-trial run is split into shards (arm x block of patient indices). Each finished shard
is written atomically as one Parquet file whose SHA-256 and row count go into the catalogue
(``catalog.duckdb`` in the store folder unless another path is given), together with the run's
identity (spec hash, seed, patients per arm, shard size, imidsim version, digest of its code
and library). ``--resume`` reuses verified shards and deletes and recomputes anything else.
"""

from imidsim.store.dispatch import SCHEDULER_HELP, TaskRunner, check_scheduler, task_runner
from imidsim.store.identity import RunIdentity, spec_hash
from imidsim.store.layout import Shard, plan_shards
from imidsim.store.query import connect, query
from imidsim.store.store import DEFAULT_CATALOG, ResultStore, StoreError

__all__ = ["DEFAULT_CATALOG", "SCHEDULER_HELP", "ResultStore", "RunIdentity", "Shard",
           "StoreError", "TaskRunner", "check_scheduler", "connect", "plan_shards", "query",
           "spec_hash", "task_runner"]
