"""Diagnosed scorecard misses: what was measured about why the model misses a published readout.

The diagnoses are data (``diagnoses.yaml`` next to this module), written when a miss has been
investigated. :func:`diagnosis_for` returns the one that matches a failing check *on the side it
fails*, never one for a miss in the other direction.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from imidsim.errors import InputError

DIAGNOSES_FILE = Path(__file__).with_name("diagnoses.yaml")
Side = Literal["high", "low"]
Key = tuple[str, str, str, str]


class Diagnosis(BaseModel):
    """One investigated miss: the check (trial, arm, quantity), the side of the published value
    the simulation falls on (``high``/``low``), the measured cause and where it is written up."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    trial: str
    arm: str
    quantity: Literal["orr", "median_pfs", "hr", "neutropenia"]
    side: Side
    cause: str
    evidence: str

    @property
    def key(self) -> Key:
        return (self.trial, self.arm, self.quantity, self.side)

    def text(self) -> str:
        return f"{' '.join(self.cause.split())} [{self.evidence}]"


def parse_diagnoses(entries: object, source: str = "diagnoses") -> dict[Key, Diagnosis]:
    """Validate a list of diagnosis entries; errors name the entry and field."""
    if not isinstance(entries, list):
        raise InputError(f"{source}: expected a list of diagnoses, got {type(entries).__name__}")
    out: dict[Key, Diagnosis] = {}
    for i, entry in enumerate(entries):
        try:
            d = Diagnosis.model_validate(entry)
        except ValidationError as err:
            first = err.errors()[0]
            field = ".".join(str(x) for x in first["loc"]) or "entry"
            raise InputError(f"{source}: entry {i + 1}, field '{field}': {first['msg']} "
                             f"(got {first.get('input')!r})") from None
        if d.key in out:
            raise InputError(f"{source}: entry {i + 1} repeats {d.trial} / {d.arm} / "
                             f"{d.quantity} / {d.side}")
        out[d.key] = d
    return out


@functools.lru_cache(maxsize=1)
def shipped_diagnoses() -> dict[Key, Diagnosis]:
    """The library's diagnoses (``diagnoses.yaml``)."""
    return parse_diagnoses(yaml.safe_load(DIAGNOSES_FILE.read_text()), DIAGNOSES_FILE.name)


def diagnosis_for(trial: str, arm: str, quantity: str, side: Side,
                  diagnoses: dict[Key, Diagnosis] | None = None) -> str:
    """The diagnosis text for a miss of this check on this side, or "" when none is on file."""
    table = shipped_diagnoses() if diagnoses is None else diagnoses
    found = table.get((trial, arm, quantity, side))
    return found.text() if found else ""
