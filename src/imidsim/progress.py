"""The progress bar of long commands: patients done of the total, elapsed time and ETA.

Drawn on standard error, so that ``--json`` output on standard output stays clean, and only
while the command runs (transient); disabled when ``show`` is false.
"""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


def patient_progress(show: bool = True) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(),
                    TextColumn("{task.completed}/{task.total} patients"), TimeElapsedColumn(),
                    TextColumn("ETA"), TimeRemainingColumn(), disable=not show, transient=True,
                    console=Console(stderr=True))
