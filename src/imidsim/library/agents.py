"""Combination agents (antibodies, bispecifics, checkpoint inhibitors, CAR-T) from agents.yaml.

Small molecules — IMiDs, CELMoDs, dexamethasone, proteasome inhibitors and chemotherapy — live
in drugs.yaml with closed-form PK; the agents here have kinetics that are part of the ODE
(target-mediated antibody clearance, CAR-T expansion), dosed by boluses into model species.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

from imidsim.errors import ParameterError, lookup
from imidsim.model.parameter import Parameter, parameter_from_mapping

AGENT_CLASSES = ("antibody", "checkpoint", "bispecific", "car_t")
MECHANISMS = ("adcc", "adcp", "cdc", "direct", "nk_activation", "nk_fratricide", "checkpoint",
              "t_cell_engager", "car_t")
ANTIGENS = ("CD20", "CD38", "CD19", "BCMA", "SLAMF7", "CD23", "PD1", "PDL1")
DOSE_UNITS = ("mg", "mg/kg", "mg/m2", "ug", "ug/day", "cells", "cells/kg")


@dataclass(frozen=True)
class Agent:
    """An agent with ODE kinetics: class, target antigen, mechanisms, dose units, parameters."""

    name: str
    label: str
    agent_class: str
    target: str
    mechanisms: tuple[str, ...]
    dose_units: tuple[str, ...]
    route: str
    parameters: tuple[Parameter, ...]
    refs: tuple[str, ...]

    def has(self, mechanism: str) -> bool:
        return mechanism in self.mechanisms


@cache
def agents() -> dict[str, Agent]:
    data = yaml.safe_load(resources.files("imidsim.library").joinpath("agents.yaml").read_text())
    out: dict[str, Agent] = {}
    for name, spec in data.items():
        if name.startswith("_"):
            continue
        where = f"agent '{name}'"
        if spec["class"] not in AGENT_CLASSES:
            raise ParameterError(f"{where}: class '{spec['class']}' not in {AGENT_CLASSES}")
        if spec["target"] not in ANTIGENS:
            raise ParameterError(f"{where}: target '{spec['target']}' not in {ANTIGENS}")
        mech = tuple(spec["mechanisms"])
        for m in mech:
            if m not in MECHANISMS:
                raise ParameterError(f"{where}: mechanism '{m}' not in {MECHANISMS}")
        units = tuple(spec["dose_units"])
        for u in units:
            if u not in DOSE_UNITS:
                raise ParameterError(f"{where}: dose unit '{u}' not in {DOSE_UNITS}")
        params = tuple(parameter_from_mapping(f"{name}.{k}", v)
                       for k, v in spec["parameters"].items())
        out[name] = Agent(name, spec["label"], spec["class"], spec["target"], mech, units,
                          spec.get("route", "iv"), params, tuple(spec.get("refs", ())))
    return out


def agent(name: str, *, field: str = "agent") -> Agent:
    return lookup(agents(), str(name).lower(), what="agent", field=field, shown=name)
