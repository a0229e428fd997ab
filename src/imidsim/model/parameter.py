"""Parameter records: every number in the model carries value, unit, source and status."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

from imidsim.errors import ParameterError, did_you_mean
from imidsim.units import parse_unit


class Status(StrEnum):
    """How a parameter value was obtained."""

    MEASURED = "measured"  # read in a publication
    DERIVED = "derived"  # computed from measured numbers; ``formula`` says how
    CALIBRATED = "calibrated"  # fitted; ``note`` names the data
    ASSUMED = "assumed"  # a modelling choice, said plainly


@dataclass(frozen=True)
class Parameter:
    """One model parameter.

    ``source`` holds one or more evidence-registry keys (``"S1"``, ``"review:212"``,
    ``"imidsim:modelling-choice"``). A derived parameter states its ``formula``; a calibrated
    one names the data it was fitted to in ``note``.
    """

    name: str
    value: float
    unit: str
    source: tuple[str, ...]
    status: Status
    note: str = ""
    formula: str = ""
    description: str = ""

    def __post_init__(self) -> None:
        where = f"parameter '{self.name}'"
        if not self.source or any(not s.strip() for s in self.source):
            raise ParameterError(f"{where}: source is empty; expected at least one evidence key")
        if not isinstance(self.value, int | float) or self.value != self.value:
            raise ParameterError(f"{where}: value {self.value!r} is not a finite number")
        parse_unit(self.unit, field=f"{where} unit")
        if self.status is Status.DERIVED and not self.formula:
            raise ParameterError(f"{where}: status 'derived' needs a formula")
        if self.status is Status.CALIBRATED and not self.note:
            raise ParameterError(f"{where}: status 'calibrated' needs a note naming the data")
        if self.status is Status.ASSUMED and not self.note:
            raise ParameterError(f"{where}: status 'assumed' needs a note giving the reasoning")

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "value": self.value,
            "unit": self.unit,
            "source": list(self.source),
            "status": self.status.value,
            "formula": self.formula,
            "note": self.note,
            "description": self.description,
        }


@dataclass(frozen=True)
class ParameterSet(Mapping[str, Parameter]):
    """An immutable, name-keyed collection of parameter records."""

    records: Mapping[str, Parameter] = field(default_factory=dict)

    @classmethod
    def from_records(cls, records: Iterable[Parameter]) -> ParameterSet:
        out: dict[str, Parameter] = {}
        for rec in records:
            if rec.name in out:
                raise ParameterError(f"parameter '{rec.name}' is defined twice")
            out[rec.name] = rec
        return cls(out)

    def __getitem__(self, name: str) -> Parameter:
        try:
            return self.records[name]
        except KeyError:
            raise ParameterError(
                f"unknown parameter '{name}'.{did_you_mean(name, self.records)}"
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)

    def value(self, name: str) -> float:
        return self[name].value

    def with_values(self, values: Mapping[str, float], *, note: str = "") -> ParameterSet:
        """Return a copy with some values replaced (unknown names are an error)."""
        new = dict(self.records)
        for name, val in values.items():
            rec = self[name]
            new[name] = replace(rec, value=float(val), note=(note or rec.note))
        return ParameterSet(new)

    def merged(self, other: ParameterSet) -> ParameterSet:
        return ParameterSet.from_records([*self.records.values(), *other.records.values()])

    def by_status(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {s.value: [] for s in Status}
        for rec in self.records.values():
            out[rec.status.value].append(rec.name)
        return out

    def sources(self, names: Iterable[str] | None = None) -> list[str]:
        keys: set[str] = set()
        for n in names if names is not None else self.records:
            keys.update(self[n].source)
        return sorted(keys)

    def digest(self) -> str:
        """Stable hash of names, values and units (for provenance)."""
        blob = json.dumps(
            sorted((r.name, r.value, r.unit) for r in self.records.values()), default=str
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def parameter_from_mapping(name: str, spec: Mapping[str, object]) -> Parameter:
    """Build a record from a YAML mapping, naming the field on error."""
    allowed = {"value", "unit", "source", "status", "note", "formula", "description"}
    unknown = set(spec) - allowed
    if unknown:
        bad = sorted(unknown)[0]
        raise ParameterError(
            f"parameter '{name}': unknown field '{bad}'.{did_you_mean(bad, allowed)} "
            f"Expected fields: {', '.join(sorted(allowed))}"
        )
    for req in ("value", "unit", "source", "status"):
        if req not in spec:
            raise ParameterError(f"parameter '{name}': missing field '{req}'")
    src = spec["source"]
    sources = tuple(str(s) for s in src) if isinstance(src, list | tuple) else (str(src),)
    try:
        status = Status(str(spec["status"]))
    except ValueError:
        raise ParameterError(
            f"parameter '{name}': status '{spec['status']}' is not one of "
            f"{', '.join(s.value for s in Status)}"
        ) from None
    value = spec["value"]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ParameterError(f"parameter '{name}': value {value!r} is not a number")
    return Parameter(
        name=name,
        value=float(value),
        unit=str(spec["unit"]),
        source=sources,
        status=status,
        note=str(spec.get("note", "") or ""),
        formula=str(spec.get("formula", "") or ""),
        description=str(spec.get("description", "") or ""),
    )
