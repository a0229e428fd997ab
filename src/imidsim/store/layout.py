"""Shard layout: which patient indices of which arm make one unit of work and one file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Shard:
    """Patients ``start .. stop-1`` of arm ``arm_index`` (whose full size is ``n``)."""

    arm_index: int
    arm: str
    start: int
    stop: int
    n: int

    @property
    def key(self) -> str:
        return f"arm{self.arm_index:02d}_{self.start:07d}-{self.stop:07d}"

    @property
    def filename(self) -> str:
        return f"{self.key}.parquet"

    @property
    def size(self) -> int:
        return self.stop - self.start


def plan_shards(arms: Sequence[tuple[str, int]], shard_size: int) -> list[Shard]:
    """Every arm ``(name, n)`` cut into blocks of at most ``shard_size`` patients, in order."""
    if shard_size < 1:
        raise ValueError(f"shard_size: {shard_size} is not valid; expected a positive number")
    return [Shard(i, name, start, min(start + shard_size, n), n)
            for i, (name, n) in enumerate(arms) for start in range(0, n, shard_size)]
