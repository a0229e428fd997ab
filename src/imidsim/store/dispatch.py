"""Run independent tasks in-process or on a Dask cluster, yielding results as they finish.

``none`` runs tasks one after another in this process (numba then uses every core per task).
``local`` starts a ``dask.distributed`` LocalCluster of processes (one per CPU, one thread each);
``tcp://HOST:PORT`` connects to a running ``dask scheduler``. Workers import imidsim and build
the model themselves; the compiled model is cached on disk by source hash (``$IMIDSIM_CACHE``),
so workers on one machine share it. Inside a worker each task's numba kernels use
``$IMIDSIM_WORKER_THREADS`` threads (default 1): parallelism comes from the workers.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

from imidsim.errors import InputError
from imidsim.scheduler_text import SCHEDULER_HELP, check_scheduler

__all__ = ["SCHEDULER_HELP", "DaskRunner", "InProcess", "TaskRunner", "check_scheduler",
           "task_runner"]

T = TypeVar("T")
_LOCK = threading.Lock()


class TaskRunner(Protocol):
    workers: int

    def imap_unordered(self, fn: Callable[[T], Any], items: Sequence[T]
                       ) -> Iterator[tuple[T, Any]]: ...

    def on_every_worker(self, fn: Callable[[], Any]) -> list[Any]: ...


class InProcess:
    """Tasks one after another in this process."""

    workers = 1

    def imap_unordered(self, fn: Callable[[T], Any], items: Sequence[T]
                       ) -> Iterator[tuple[T, Any]]:
        for item in items:
            yield item, fn(item)

    def on_every_worker(self, fn: Callable[[], Any]) -> list[Any]:
        """Call ``fn`` once (this process is the only worker)."""
        return [fn()]


def _in_worker(fn: Callable[[T], Any], item: T) -> Any:
    """Call ``fn`` on a Dask worker: numba threads per task limited, one solve at a time."""
    import numba

    threads = int(os.environ.get("IMIDSIM_WORKER_THREADS", "1"))
    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
    with _LOCK:  # one solve at a time: each already runs on ``threads`` threads
        return fn(item)


def _in_worker_call(fn: Callable[[], Any]) -> Any:
    return _in_worker(lambda _: fn(), None)


class DaskRunner:
    """Tasks submitted to a ``dask.distributed`` client, yielded as they complete."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.workers = max(1, len(client.scheduler_info().get("workers", {})))

    def imap_unordered(self, fn: Callable[[T], Any], items: Sequence[T]
                       ) -> Iterator[tuple[T, Any]]:
        from distributed import as_completed

        futures = [self.client.submit(_in_worker, fn, item, pure=False) for item in items]
        index = {f.key: i for i, f in enumerate(futures)}
        try:
            for fut in as_completed(futures):
                yield items[index[fut.key]], fut.result()
        finally:
            self.client.cancel([f for f in futures if not f.done()])

    def on_every_worker(self, fn: Callable[[], Any]) -> list[Any]:
        """Call ``fn`` once in every worker process (e.g. to load the compiled model before a
        timed run); returns the results in worker order."""
        done = self.client.run(_in_worker_call, fn)
        return [done[w] for w in sorted(done)]


@contextmanager
def task_runner(scheduler: str = "none") -> Iterator[TaskRunner]:
    """A runner for ``scheduler`` (see :data:`SCHEDULER_HELP`); clusters it starts are closed."""
    check_scheduler(scheduler)
    if scheduler == "none":
        yield InProcess()
        return
    import logging

    from distributed import Client, LocalCluster

    cluster = None
    try:
        if scheduler == "local":
            cluster = LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1,
                                   processes=True, dashboard_address=":0",
                                   silence_logs=logging.ERROR)
            client = Client(cluster)
        else:
            client = Client(scheduler, timeout="10s")
    except OSError as exc:
        if cluster is not None:
            cluster.close()
        raise InputError(f"--scheduler: cannot reach a Dask scheduler at '{scheduler}' ({exc});"
                         f" expected the address of a running 'dask scheduler', or local/none"
                         ) from None
    try:
        yield DaskRunner(client)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
