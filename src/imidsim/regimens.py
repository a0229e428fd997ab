"""The regimen language: agents, doses, cycles, phases and dose modifications, as YAML.

Example (DRd, POLLUX)::

    name: DRd
    label: daratumumab + lenalidomide + dexamethasone
    disease: [myeloma]
    source: [trial:POLLUX]
    cycle_days: 28
    cycles: until_progression
    agents:                                   # given in every cycle
      - {agent: lenalidomide, dose: 25, unit: mg, days: "1-21"}
      - {agent: dexamethasone, dose: 40, unit: mg, days: "1,8,15,22"}
    phases:                                   # cycle ranges must not overlap
      - name: weekly
        cycles: "1-2"
        agents: [{agent: daratumumab, dose: 16, unit: mg/kg, days: "1,8,15,22"}]
      - name: q2w
        cycles: "3-6"
        agents: [{agent: daratumumab, dose: 16, unit: mg/kg, days: "1,15"}]
      - name: q4w
        cycles: "7-end"
        agents: [{agent: daratumumab, dose: 16, unit: mg/kg, days: "1"}]
    dose_modifications:
      - {agent: lenalidomide, hold_if: {marker: ANC, below: 1.0}, levels: [25, 20, 15, 10, 5]}

``cycles: until_progression`` keeps dosing for the whole simulated horizon (the readout-based
progression time is what PFS uses). A phase may set its own ``cycle_days`` (e.g. VRd induction
in 21-day cycles, then Rd maintenance in 28-day cycles). Doses per kg or m^2 use the patient's
weight and body-surface area.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from imidsim.errors import InputError, did_you_mean
from imidsim.evidence.registry import validate_key
from imidsim.regimen import parse_days

END = 10_000  # "end" of an open cycle range


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _agent_units(name: str) -> tuple[str, tuple[str, ...]]:
    """(kind, accepted dose units) of a drug or agent name; raises ValueError if unknown."""
    from imidsim.library.agents import agents
    from imidsim.library.loader import DRUG_ALIASES, drugs

    key = DRUG_ALIASES.get(name.lower(), name.lower())
    if key in drugs():
        d = drugs()[key]
        units = ("mg", "mg/m2") if d.drug_class in ("chemotherapy", "proteasome_inhibitor") \
            else ("mg",)
        return "drug", units
    if key in agents():
        return "agent", agents()[key].dose_units
    choices = [*drugs(), *agents()]
    raise ValueError(f"unknown agent '{name}'; expected one of {', '.join(sorted(choices))}."
                     f"{did_you_mean(key, choices)}")


class AgentDose(_Strict):
    agent: str
    dose: float = Field(gt=0)
    unit: str = "mg"
    days: str | list[int]
    hour: float = Field(0.0, ge=0, lt=24)

    @model_validator(mode="after")
    def _check(self) -> AgentDose:
        _, units = _agent_units(self.agent)
        if self.unit not in units:
            raise ValueError(f"dose unit '{self.unit}' does not fit {self.agent}; accepted units: "
                             f"{', '.join(units)} (e.g. dose: 25, unit: {units[0]})")
        parse_days(self.days, field="days")
        return self

    def day_list(self) -> tuple[int, ...]:
        return parse_days(self.days, field="days")


class Phase(_Strict):
    name: str = "phase"
    cycles: str | int
    cycle_days: int | None = Field(None, ge=1)
    agents: list[AgentDose]

    def span(self) -> tuple[int, int]:
        text = str(self.cycles).strip()
        m = re.fullmatch(r"(\d+)(?:-(\d+|end))?", text)
        if not m:
            raise ValueError(f"cycles '{text}' is not a range like '3-6', '7-end' or '2'")
        first = int(m.group(1))
        last = END if m.group(2) == "end" else int(m.group(2) or first)
        if first < 1 or last < first:
            raise ValueError(f"cycles '{text}' must run forwards from cycle 1 or later")
        return first, last


class HoldIf(_Strict):
    marker: Literal["ANC", "PLT"]
    below: float = Field(gt=0)


class DoseRule(_Strict):
    agent: str
    hold_if: HoldIf
    levels: list[float] = Field(min_length=1)

    @field_validator("levels")
    @classmethod
    def _decreasing(cls, v: list[float]) -> list[float]:
        if any(x <= 0 for x in v) or any(b > a for a, b in itertools.pairwise(v)):
            raise ValueError(f"levels {v} must be positive and non-increasing")
        return v


class Regimen(_Strict):
    name: str
    label: str = ""
    disease: list[str] = Field(default_factory=list)
    source: list[str] = Field(default_factory=list)
    notes: str = ""
    cycle_days: int = Field(28, ge=1)
    cycles: int | Literal["until_progression"] = "until_progression"
    agents: list[AgentDose] = Field(default_factory=list)
    phases: list[Phase] = Field(default_factory=list)
    dose_modifications: list[DoseRule] = Field(default_factory=list)
    observation: bool = False  # a placebo/observation arm: no agents at all

    @field_validator("source")
    @classmethod
    def _sources(cls, v: list[str]) -> list[str]:
        for key in v:
            try:
                validate_key(key)
            except KeyError as exc:
                raise ValueError(str(exc)) from None
        return v

    @model_validator(mode="after")
    def _structure(self) -> Regimen:
        if self.observation and (self.agents or self.phases):
            raise ValueError("an observation (placebo) regimen takes no 'agents' or 'phases'")
        if not self.agents and not self.phases and not self.observation:
            raise ValueError("a regimen needs 'agents' or 'phases' (or 'observation: true' for a "
                             "placebo/observation arm)")
        spans = []
        for i, ph in enumerate(self.phases):
            first, last = ph.span()
            for other_name, (a, b) in spans:
                if first <= b and a <= last:
                    hi = min(last, b)
                    raise ValueError(f"phases '{other_name}' and '{ph.name}' overlap in cycles "
                                     f"{max(first, a)}-{hi if hi < END else 'end'}")
            spans.append((ph.name, (first, last)))
            cd = ph.cycle_days or self.cycle_days
            for ad in ph.agents:
                if ad.day_list()[-1] > cd:
                    raise ValueError(f"phases[{i}] ({ph.name}): {ad.agent} day "
                                     f"{ad.day_list()[-1]} lies beyond the {cd}-day cycle")
        for ad in self.agents:
            if ad.day_list()[-1] > self.cycle_days:
                raise ValueError(f"agents: {ad.agent} day {ad.day_list()[-1]} lies beyond the "
                                 f"{self.cycle_days}-day cycle")
        named = {a.agent for a in self.agents} | {a.agent for p in self.phases for a in p.agents}
        for rule in self.dose_modifications:
            if rule.agent not in named:
                raise ValueError(f"dose_modifications: agent '{rule.agent}' is not in the regimen")
        return self

    def phase_of(self, cycle: int) -> Phase | None:
        for ph in self.phases:
            first, last = ph.span()
            if first <= cycle <= last:
                return ph
        return None

    def agent_names(self) -> list[str]:
        names = [a.agent for a in self.agents] + [a.agent for p in self.phases for a in p.agents]
        return list(dict.fromkeys(names))


@dataclass(frozen=True)
class DoseEvent:
    agent: str
    day: float  # days since treatment start (0-based)
    dose: float
    unit: str
    cycle: int


def expand(regimen: Regimen, horizon_days: float, start_day: float = 1.0) -> list[DoseEvent]:
    """Every dose of ``regimen`` up to ``horizon_days`` (cycles run back to back)."""
    events: list[DoseEvent] = []
    n_cycles = regimen.cycles if isinstance(regimen.cycles, int) else END
    t0 = start_day - 1.0
    for cycle in range(1, n_cycles + 1):
        if t0 >= horizon_days:
            break
        phase = regimen.phase_of(cycle)
        if regimen.phases and phase is None and not regimen.agents:
            break
        length = (phase.cycle_days if phase and phase.cycle_days else regimen.cycle_days)
        for ad in [*regimen.agents, *(phase.agents if phase else [])]:
            split = INFUSION_SPLIT if ad.unit == "ug/day" else 1
            for d in ad.day_list():
                for k in range(split):
                    day = t0 + d - 1 + ad.hour / 24.0 + k / split
                    if day < horizon_days:
                        events.append(DoseEvent(ad.agent, day, ad.dose, ad.unit, cycle))
        t0 += length
    return sorted(events, key=lambda e: e.day)


def finite_length_days(regimen: Regimen) -> float | None:
    """Total length of a fixed-duration regimen, or None for 'until progression'."""
    if not isinstance(regimen.cycles, int):
        return None
    total = 0.0
    for cycle in range(1, regimen.cycles + 1):
        ph = regimen.phase_of(cycle)
        total += ph.cycle_days if ph and ph.cycle_days else regimen.cycle_days
    return total


def _format(exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"]) or "regimen"
    if err["type"] == "extra_forbidden":
        return f"{loc}: unknown field (value {err.get('input')!r})"
    return f"{loc}: {err['msg'].removeprefix('Value error, ')}"


def parse_regimen(data: Any, *, source: str = "regimen") -> Regimen:
    if not isinstance(data, dict):
        raise InputError(f"{source}: expected a mapping of regimen fields")
    try:
        return Regimen.model_validate(data)
    except ValidationError as exc:
        raise InputError(f"{source}: {_format(exc)}") from None


@cache
def library() -> dict[str, Regimen]:
    """The regimen library shipped in ``library/regimens/*.yaml``."""
    folder = resources.files("imidsim.library").joinpath("regimens")
    out: dict[str, Regimen] = {}
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".yaml"):
            reg = parse_regimen(yaml.safe_load(entry.read_text()), source=f"library {entry.name}")
            out[reg.name] = reg
    return out


def load_regimen(spec: str | dict[str, Any]) -> Regimen:
    """A library name, a path to a YAML file, or an inline mapping."""
    if isinstance(spec, dict):
        return parse_regimen(spec, source="regimen")
    lib = library()
    if spec in lib:
        return lib[spec]
    path = Path(spec)
    if path.suffix in (".yaml", ".yml"):
        if not path.is_file():
            raise InputError(f"regimen: file '{spec}' does not exist")
        return parse_regimen(yaml.safe_load(path.read_text()), source=str(path))
    raise InputError(f"regimen: '{spec}' is neither a library regimen nor a YAML file; library: "
                     f"{', '.join(lib)}.{did_you_mean(spec, lib)}")


INFUSION_SPLIT = 12  # a continuous infusion (ug/day) is given as 12 two-hourly boluses a day


def dose_multiplier(unit: str, weight_kg: np.ndarray, bsa_m2: np.ndarray) -> np.ndarray:
    """Factor turning a dose in ``unit`` into an absolute amount per patient (mg or cells)."""
    ones = np.ones_like(weight_kg)
    factors = {"mg": ones, "cells": ones, "ug": 1e-3 * ones,
               "ug/day": 1e-3 / INFUSION_SPLIT * ones, "mg/kg": weight_kg,
               "cells/kg": weight_kg, "mg/m2": bsa_m2}
    if unit not in factors:
        raise InputError(f"unit: '{unit}' is not a dose unit; expected one of "
                         f"{', '.join(factors)}")
    return factors[unit]
