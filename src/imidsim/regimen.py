"""Dosing schedules and regimens → dosing events (hours since the start of treatment).

A schedule is a set of dosing days within a repeating cycle. It may be a library name
(``d1-21/28``, ``continuous``, ``weekly``, ``5/7`` …), a compact string
``d<first>-<last>/<cycle>`` or ``d1,8,15,22/28``, or a mapping
``{cycle_days: 28, days: "1-21"}``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import yaml

from imidsim.errors import InputError, did_you_mean


@dataclass(frozen=True)
class Schedule:
    """Dosing days (1-based) within a cycle of ``cycle_days`` days."""

    name: str
    cycle_days: int
    days: tuple[int, ...]
    description: str = ""

    def dose_days(self, cycles: int, start_day: float = 1.0) -> np.ndarray:
        """Days since treatment start (0-based, fractional) of every dose over ``cycles``."""
        base = np.arange(cycles)[:, None] * self.cycle_days + (np.array(self.days) - 1)[None, :]
        return base.ravel().astype(float) + (start_day - 1.0)


def parse_days(text: str | list[int], *, field: str) -> tuple[int, ...]:
    """Parse ``"1-21"``, ``"1,8,15,22"``, ``"1-4,9-12"`` or a list of ints."""
    if isinstance(text, list):
        items = text
    else:
        items = []
        for part in str(text).replace(" ", "").split(","):
            m = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
            if not m:
                raise InputError(f"{field}: cannot read dosing days '{text}'; expected e.g. "
                                 f"'1-21', '1,8,15,22' or '1-4,9-12'")
            lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
            if hi < lo:
                raise InputError(f"{field}: day range '{part}' runs backwards")
            items.extend(range(lo, hi + 1))
    days = tuple(sorted(set(int(d) for d in items)))
    if not days or days[0] < 1:
        raise InputError(f"{field}: dosing days must be >= 1, got '{text}'")
    return days


@cache
def library_schedules() -> dict[str, Schedule]:
    data = yaml.safe_load(resources.files("imidsim.library").joinpath("schedules.yaml")
                          .read_text())
    return {name: make_schedule(name, spec["cycle_days"], spec["days"], field=f"schedule {name}",
                                description=spec.get("description", ""))
            for name, spec in data.items()}


def make_schedule(name: str, cycle_days: int, days: str | list[int], *, field: str,
                  description: str = "") -> Schedule:
    if isinstance(cycle_days, bool) or not isinstance(cycle_days, int) or cycle_days < 1:
        raise InputError(f"{field}.cycle_days: '{cycle_days}' is not a positive whole number")
    parsed = parse_days(days, field=f"{field}.days")
    if parsed[-1] > cycle_days:
        raise InputError(f"{field}.days: day {parsed[-1]} lies beyond the cycle length of "
                         f"{cycle_days} days")
    return Schedule(name, cycle_days, parsed, description)


def resolve_schedule(spec: str | dict, *, field: str = "schedule") -> Schedule:
    """Turn a schedule name, compact string or mapping into a :class:`Schedule`."""
    lib = library_schedules()
    if isinstance(spec, dict):
        unknown = set(spec) - {"cycle_days", "days"}
        if unknown:
            bad = sorted(unknown)[0]
            raise InputError(f"{field}: unknown field '{bad}'; expected 'cycle_days' and 'days'")
        if "cycle_days" not in spec or "days" not in spec:
            raise InputError(f"{field}: needs both 'cycle_days' and 'days'")
        return make_schedule("custom", spec["cycle_days"], spec["days"], field=field)
    text = str(spec).strip()
    if text in lib:
        return lib[text]
    m = re.fullmatch(r"d([\d,\- ]+)/(\d+)", text)
    if m:
        return make_schedule(text, int(m.group(2)), m.group(1), field=field)
    raise InputError(
        f"{field}: unknown schedule '{spec}'; expected a library name "
        f"({', '.join(lib)}), a compact form like 'd1-21/28' or 'd1,8,15,22/28', or a mapping "
        f"with cycle_days and days.{did_you_mean(text, lib)}"
    )
