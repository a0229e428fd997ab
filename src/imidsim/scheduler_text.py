"""The ``--scheduler`` option's accepted values, in words, and their check.

Kept apart from :mod:`imidsim.store.dispatch` (which re-exports both) so that the command line
can build its help text without importing the store package and DuckDB at start-up.
"""

from __future__ import annotations

from imidsim.errors import InputError

SCHEDULER_HELP = ("none (in this process), local (a Dask LocalCluster, one process per CPU) or "
                  "tcp://HOST:PORT (a running Dask scheduler)")


def check_scheduler(text: str, *, option: str = "--scheduler") -> str:
    """The scheduler text if valid, else an InputError naming the option and the value."""
    if text in ("none", "local") or (text.startswith(("tcp://", "tls://"))
                                     and ":" in text.split("://", 1)[1]):
        return text
    raise InputError(f"{option}: '{text}' is not valid; expected {SCHEDULER_HELP}")
