"""Scenario files: one patient (or a small panel), a disease, treatments, a horizon.

A scenario is YAML validated by pydantic with unknown fields rejected. Example::

    name: Lenalidomide 25 mg d1-21/28 in myeloma, 6 cycles
    disease: myeloma
    patient: {crbn_level: 1.0, crcl_ml_min: 90}
    treatments:
      - {drug: lenalidomide, dose_mg: 25, schedule: d1-21/28, cycles: 6}
    duration_days: 168
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from imidsim.errors import InputError
from imidsim.library.loader import disease as lookup_disease
from imidsim.library.loader import drug as lookup_drug
from imidsim.regimen import Schedule, resolve_schedule


def _reraise(fn: Any) -> Any:
    """Run a library lookup inside a validator; pydantic adds the field location."""
    try:
        return fn()
    except InputError as exc:
        text = str(exc)
        raise ValueError(text.split(": ", 1)[1] if ": " in text else text) from None


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PatientSpec(Strict):
    """Patient inputs (each maps to a ``patient.*`` parameter or a PK covariate)."""

    crbn_level: float | None = Field(None, ge=0, description="tumour CRBN, 1 = typical")
    crbn_mutation: float | None = Field(None, ge=0, le=1)
    degron_mut_IKZF1: float | None = Field(None, ge=0, le=1)
    degron_mut_IKZF3: float | None = Field(None, ge=0, le=1)
    resistant_fraction: float | None = Field(None, ge=0, le=1)
    escape_fraction: float | None = Field(None, ge=0, le=1,
                                          description="multi-resistant escape clone share")
    tumour_burden0: float | None = Field(None, gt=0)
    mprotein0: float | None = Field(None, gt=0, description="g/dL")
    spd0: float | None = Field(None, gt=0, description="cm2")
    alc0: float | None = Field(None, gt=0, description="10^9/L")
    crcl_ml_min: float | None = Field(None, ge=0, le=250, description="creatinine clearance")
    weight_kg: float | None = Field(None, gt=20, le=250, description="body weight")
    bsa_m2: float | None = Field(None, gt=0.8, le=3.0, description="body-surface area")
    tcell_level: float | None = Field(None, ge=0, description="T cells, 1 = typical")
    nk_level: float | None = Field(None, ge=0, description="NK cells, 1 = typical")
    exhaustion: float | None = Field(None, ge=0, lt=1, description="PD-1-high share of CD8")
    cd28_fraction: float | None = Field(None, ge=0, le=1)
    synapse_defect: float | None = Field(None, ge=0, lt=1)
    m1_fraction0: float | None = Field(None, gt=0, lt=1)
    kill_sensitivity: float | None = Field(None, ge=0,
                                           description="tumour kill sensitivity, 1 = typical")

    def parameter_values(self) -> dict[str, float]:
        keys = ("crbn_level", "crbn_mutation", "degron_mut_IKZF1", "degron_mut_IKZF3",
                "resistant_fraction", "escape_fraction", "tumour_burden0", "mprotein0", "spd0",
                "alc0", "tcell_level", "nk_level", "exhaustion", "cd28_fraction", "synapse_defect",
                "m1_fraction0", "kill_sensitivity")
        return {f"patient.{k}": float(getattr(self, k)) for k in keys
                if getattr(self, k) is not None}


class Treatment(Strict):
    """One drug given on a schedule (oral dose in mg) or held at an in-vitro concentration."""

    drug: str
    dose_mg: float | None = Field(None, gt=0)
    schedule: str | dict[str, Any] = "continuous"
    cycles: int = Field(1, ge=1, le=1000)
    start_day: float = Field(1.0, ge=1)
    dose_hour: float = Field(0.0, ge=0, lt=24, description="clock hour of each dose")
    concentration_uM: float | None = Field(None, ge=0)

    @field_validator("drug")
    @classmethod
    def _known_drug(cls, v: str) -> str:
        return _reraise(lambda: lookup_drug(v, field="drug").name)

    @field_validator("schedule")
    @classmethod
    def _valid_schedule(cls, v: str | dict[str, Any]) -> str | dict[str, Any]:
        _reraise(lambda: resolve_schedule(v, field="schedule"))
        return v

    @model_validator(mode="after")
    def _dose_or_conc(self) -> Treatment:
        if (self.dose_mg is None) == (self.concentration_uM is None):
            raise ValueError("give exactly one of dose_mg (oral dosing) or concentration_uM "
                             "(in-vitro exposure)")
        return self

    def resolved_schedule(self) -> Schedule:
        return resolve_schedule(self.schedule, field="treatments.schedule")


CRBN_KNOCKOUT_PARAMS = {
    "tumour": "patient.crbn_level", "T": "crbn.level_T", "NK": "crbn.level_NK",
    "macrophage": "crbn.level_Mac", "progenitor": "crbn.level_Prog", "B": "crbn.level_B",
    "DC": "crbn.level_DC", "stroma": "crbn.level_Stroma",
}
CRBN_MUTATION_PARAMS = {"tumour": "patient.crbn_mutation", "T": "crbn.mutation_T"}


class Interventions(Strict):
    """In-silico experiments: knockouts, depletions and blockades (all 0/empty = none)."""

    crbn_knockout: list[Literal["tumour", "T", "NK", "macrophage", "progenitor", "B", "DC",
                                "stroma"]] = Field(default_factory=list)
    crbn_mutation: dict[Literal["tumour", "T"], float] = Field(default_factory=dict)
    degron_mutation: dict[Literal["IKZF1", "IKZF3"], float] = Field(default_factory=dict)
    tcell_depletion: float = Field(0.0, ge=0, le=1)
    il2_blockade: float = Field(0.0, ge=0, le=1)
    nk_depletion: float = Field(0.0, ge=0, le=1)
    macrophage_depletion: float = Field(0.0, ge=0, le=1)
    pd1_blockade: float = Field(0.0, ge=0, le=1)

    @field_validator("crbn_mutation", "degron_mutation")
    @classmethod
    def _fractions(cls, v: dict[str, float]) -> dict[str, float]:
        for key, val in v.items():
            if not 0 <= val <= 1:
                raise ValueError(f"{key}: {val} is not a fraction between 0 and 1")
        return v

    def parameter_values(self) -> dict[str, float]:
        out = {CRBN_KNOCKOUT_PARAMS[c]: 0.0 for c in self.crbn_knockout}
        out.update({CRBN_MUTATION_PARAMS[c]: float(f) for c, f in self.crbn_mutation.items()})
        out.update({f"patient.degron_mut_{s}": float(f) for s, f in self.degron_mutation.items()})
        for name in ("tcell_depletion", "il2_blockade", "nk_depletion", "macrophage_depletion",
                     "pd1_blockade"):
            if getattr(self, name):
                out[f"intervention.{name}"] = float(getattr(self, name))
        return out


class OutputSpec(Strict):
    interval_h: float = Field(6.0, gt=0, le=24 * 28, description="output spacing (hours)")


class SolverSpec(Strict):
    rtol: float = Field(1e-6, gt=0, lt=1)
    atol: float = Field(1e-9, gt=0, lt=1)
    hmax_h: float = Field(24.0, gt=0)


class Scenario(Strict):
    """A simulation scenario (see module docstring)."""

    name: str = "scenario"
    disease: str = "myeloma"
    setting: Literal["in_vivo", "in_vitro"] = Field(
        "in_vivo", description="in_vitro removes the tumour niche's protection (cell culture)")
    patient: PatientSpec = PatientSpec()
    interventions: Interventions = Interventions()
    treatments: list[Treatment] = Field(default_factory=list)
    regimen: str | dict[str, Any] | None = Field(
        None, description="library regimen name, path to a regimen YAML, or inline mapping")
    duration_days: float | None = Field(None, gt=0, le=3650)
    output: OutputSpec = OutputSpec()
    solver: SolverSpec = SolverSpec()
    parameters: dict[str, float] = Field(default_factory=dict,
                                         description="what-if overrides of model parameters")

    @field_validator("disease")
    @classmethod
    def _known_disease(cls, v: str) -> str:
        return _reraise(lambda: lookup_disease(v, field="disease").name)

    @field_validator("regimen")
    @classmethod
    def _valid_regimen(cls, v: str | dict[str, Any] | None) -> str | dict[str, Any] | None:
        if v is not None:
            from imidsim.regimens import load_regimen

            _reraise(lambda: load_regimen(v))
        return v

    def resolved_regimen(self):
        from imidsim.regimens import load_regimen

        return None if self.regimen is None else load_regimen(self.regimen)

    def horizon_days(self) -> float:
        if self.duration_days is not None:
            return float(self.duration_days)
        ends = [t.start_day - 1 + t.cycles * t.resolved_schedule().cycle_days
                for t in self.treatments]
        reg = self.resolved_regimen()
        if reg is not None:
            from imidsim.regimens import finite_length_days

            length = finite_length_days(reg)
            ends.append(365.0 if length is None else length)
        return float(max(ends, default=28.0))


def _format_validation(exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"]) or "scenario"
    value = err.get("input")
    kind = err["type"]
    if kind == "extra_forbidden":
        return f"{loc}: unknown field (value {value!r}); remove it or check its spelling"
    msg = err["msg"].removeprefix("Value error, ")
    shown = value if not isinstance(value, dict) else "{...}"
    return f"{loc}: {msg} (got {shown!r})"


def parse_scenario(data: Any, *, source: str = "scenario") -> Scenario:
    """Validate a mapping as a :class:`Scenario`; raise InputError with one clear line."""
    if not isinstance(data, dict):
        raise InputError(f"{source}: expected a YAML mapping of scenario fields, got "
                         f"{type(data).__name__}")
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise InputError(f"{source}: {_format_validation(exc)}") from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario YAML file."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"scenario file '{p}' does not exist; expected a path to a YAML file")
    try:
        data = yaml.safe_load(p.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise InputError(f"scenario file '{p}': not valid YAML{where}; expected a mapping of "
                         f"scenario fields") from None
    return parse_scenario(data, source=str(p))
