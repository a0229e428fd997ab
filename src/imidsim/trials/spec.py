"""Trial specifications: who is enrolled and what they get — never efficacy knobs.

A spec names arms (library regimens or regimen files), N per arm, the population, follow-up,
dropout and the published readouts to compare with. Unknown keys — and in particular any
model parameter — are rejected: a trial cannot be tuned.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from imidsim.errors import InputError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Published(_Strict):
    orr_pct: float | None = None
    cr_pct: float | None = None
    vgpr_or_better_pct: float | None = None
    median_pfs_months: float | None = None
    grade34_neutropenia_pct: float | None = None
    grade34_thrombocytopenia_pct: float | None = None
    n: int | None = None
    confidence: str = ""


class Arm(_Strict):
    name: str
    regimen: str | dict[str, Any]
    n: int = Field(gt=0)
    published: Published = Published()


class Comparison(_Strict):
    experimental: str
    control: str
    hr: float | None = Field(None, gt=0)
    hr_ci: tuple[float, float] | None = None
    confidence: str = ""


class TrialSpec(_Strict):
    name: str
    disease: str
    population: str
    arms: list[Arm] = Field(min_length=1)
    follow_up_months: float = Field(gt=0, le=120)
    dropout_per_year: float = Field(0.05, ge=0, lt=1)
    assessment_interval_days: float = Field(28.0, gt=0, le=120)
    pfs_endpoint: str = "PFS"
    # response read at one scheduled assessment (the first on or after this day, e.g. the end of
    # induction) instead of the best response; None: best response (the default)
    response_at_day: float | None = Field(None, gt=0)
    comparisons: list[Comparison] = Field(default_factory=list)
    # entry criteria on top of the population's window, by clinical name (ENTRY_CRITERIA):
    # {name: [min, max]}, either bound null
    eligibility: dict[str, tuple[float | None, float | None]] = Field(default_factory=dict)
    source: list[str] = Field(default_factory=list)
    notes: str = ""

    @model_validator(mode="after")
    def _check(self) -> TrialSpec:
        from imidsim.library.loader import disease
        from imidsim.regimens import load_regimen
        from imidsim.trials.population import population

        disease(self.disease)
        pop = population(self.population)
        if pop.disease != self.disease:
            raise ValueError(f"population '{pop.name}' is for {pop.disease}, not {self.disease}")
        _check_eligibility(self.eligibility, pop)
        regimens = []
        for i, a in enumerate(self.arms):
            try:
                regimens.append(load_regimen(a.regimen))
            except InputError as exc:
                raise ValueError(f"arms[{i}] ({a.name}): {exc}") from None
        names = [a.name for a in self.arms]
        if len(set(names)) != len(names):
            raise ValueError(f"arm names must be unique; got {names}")
        for c in self.comparisons:
            for arm in (c.experimental, c.control):
                if arm not in names:
                    raise ValueError(f"comparison arm '{arm}' is not one of {names}")
        horizon = self.follow_up_months * 30.4375
        if self.response_at_day is not None and self.response_at_day > horizon:
            raise ValueError(f"response_at_day {self.response_at_day:g} is after the end of "
                             f"follow-up (day {horizon:g}, follow_up_months "
                             f"{self.follow_up_months:g})")
        for a, reg in zip(self.arms, regimens, strict=True):
            cycle = reg.phases[0].cycle_days if reg.phases and reg.phases[0].cycle_days \
                else reg.cycle_days
            if self.follow_up_months * 30.4375 < cycle:
                raise ValueError(f"follow_up_months {self.follow_up_months} is shorter than one "
                                 f"{cycle}-day cycle of arm '{a.name}'")
        return self


def _check_eligibility(eligibility: dict[str, tuple[float | None, float | None]],
                       pop: Any) -> None:
    from imidsim.trials.population import ENTRY_CRITERIA

    columns = {*pop.parameters, *pop.covariates}
    for name, (lo, hi) in eligibility.items():
        field = f"eligibility.{name}"
        if name not in ENTRY_CRITERIA:
            raise ValueError(f"{field}: unknown entry criterion; expected one of "
                             f"{', '.join(ENTRY_CRITERIA)} (screenable baseline quantities, "
                             f"never model parameters)")
        if ENTRY_CRITERIA[name] not in columns:
            raise ValueError(f"{field}: population '{pop.name}' has no such baseline quantity "
                             f"({pop.disease} patients are not screened on it)")
        if lo is None and hi is None:
            raise ValueError(f"{field}: [null, null] screens nobody; give a minimum, a maximum "
                             f"or both")
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"{field}: minimum {lo} is above maximum {hi}")


def _format(exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"]) or "trial"
    if err["type"] == "extra_forbidden":
        return (f"{loc}: unknown field (value {err.get('input')!r}); trial specs describe who is "
                f"enrolled and what they get, never model parameters")
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "value_error" and not err["loc"]:  # a whole-spec check names its own field
        return msg
    return f"{loc}: {msg} (got {err.get('input')!r})"


def parse_trial(data: Any, *, source: str = "trial") -> TrialSpec:
    if not isinstance(data, dict):
        raise InputError(f"{source}: expected a mapping of trial fields")
    try:
        return TrialSpec.model_validate(data)
    except ValidationError as exc:
        raise InputError(f"{source}: {_format(exc)}") from None
    except InputError as exc:
        raise InputError(f"{source}: {exc}") from None


def load_trial(path: str | Path) -> TrialSpec:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"trial spec '{p}' does not exist; expected a path to a YAML file")
    try:
        data = yaml.safe_load(p.read_text())
    except yaml.YAMLError:
        raise InputError(f"trial spec '{p}': not valid YAML") from None
    return parse_trial(data, source=str(p))
