"""Load the data library (drugs, diseases, parameter records) shipped with the package."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from imidsim.errors import ParameterError, lookup
from imidsim.model.parameter import Parameter, ParameterSet, Status, parameter_from_mapping

PK_MODELS = ("oral_1cmt", "oral_2cmt", "none")
CRBN_DRUGS = ("thalidomide", "lenalidomide", "pomalidomide", "iberdomide", "mezigdomide",
              "avadomide", "cc885")
SUBSTRATES = ("IKZF1", "IKZF3", "CK1a", "GSPT1", "SALL4")


def small_molecules() -> tuple[str, ...]:
    """Every drug with closed-form PK (a plasma-concentration input of the model)."""
    return tuple(d.name for d in drugs().values())

DRUG_ALIASES = {"cc-885": "cc885", "cc-220": "iberdomide", "cc-92480": "mezigdomide",
                "cc-122": "avadomide", "len": "lenalidomide", "pom": "pomalidomide",
                "thal": "thalidomide", "dex": "dexamethasone"}


def _read_yaml(name: str) -> Any:
    text = resources.files("imidsim.library").joinpath(name).read_text()
    return yaml.safe_load(text)


@dataclass(frozen=True)
class Drug:
    """A small-molecule CRBN modulator: its class, PK model and parameter records."""

    name: str
    label: str
    drug_class: str
    pk_model: str
    renal: bool
    parameters: tuple[Parameter, ...]
    route: str = "oral"

    def param(self, key: str) -> Parameter:
        full = f"{self.name}.{key}"
        for p in self.parameters:
            if p.name == full:
                return p
        raise ParameterError(f"drug '{self.name}' has no parameter '{key}'")


@dataclass(frozen=True)
class Disease:
    """A disease: readout, disease-specific tumour parameters and antigen densities."""

    name: str
    label: str
    readout: str
    parameters: tuple[Parameter, ...]
    antigens: dict[str, float]


@cache
def drugs() -> dict[str, Drug]:
    out: dict[str, Drug] = {}
    for name, spec in _read_yaml("drugs.yaml").items():
        if name.startswith("_"):
            continue
        pk_model = spec["pk_model"]
        if pk_model not in PK_MODELS:
            raise ParameterError(f"drug '{name}': pk_model '{pk_model}' not in {PK_MODELS}")
        params = tuple(parameter_from_mapping(f"{name}.{k}", v)
                       for k, v in spec["parameters"].items())
        out[name] = Drug(name, spec["label"], spec["class"], pk_model,
                         bool(spec.get("renal", False)), params, spec.get("route", "oral"))
    return out


def drug(name: str, *, field: str = "drug") -> Drug:
    """Look a drug up by name or alias, with a clear error for unknown names."""
    key = DRUG_ALIASES.get(str(name).lower(), str(name).lower())
    return lookup(drugs(), key, what="drug", field=field, shown=name)


@cache
def diseases() -> dict[str, Disease]:
    out: dict[str, Disease] = {}
    for name, spec in _read_yaml("diseases.yaml").items():
        if name.startswith("_"):
            continue
        params = tuple(parameter_from_mapping(k, v) for k, v in spec["parameters"].items())
        antigens = {k: float(v) for k, v in spec["antigens"].items()}
        params += tuple(
            Parameter(f"antigen.{k}", v, "1", ("imidsim:modelling-choice",), Status.ASSUMED,
                      note=f"relative surface density of {k} on {spec['label']} cells (1 = high; "
                           f"typical immunophenotype, not a measured number)")
            for k, v in antigens.items())
        out[name] = Disease(name, spec["label"], spec["readout"], params, antigens)
    return out


def disease(name: str, *, field: str = "disease") -> Disease:
    return lookup(diseases(), name, what="disease", field=field)


PARAMETER_FILES = ("crbn.yaml", "tumour.yaml", "patient.yaml")


@cache
def module_parameters() -> ParameterSet:
    """Every record in ``library/parameters/*.yaml``."""
    recs: list[Parameter] = []
    folder = resources.files("imidsim.library").joinpath("parameters")
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".yaml"):
            continue
        data = yaml.safe_load(entry.read_text()) or {}
        recs += [parameter_from_mapping(k, v) for k, v in data.items()]
    return ParameterSet.from_records(recs)


@cache
def base_parameters() -> ParameterSet:
    """Module parameters plus every drug's records (disease-specific values excluded)."""
    recs = list(module_parameters().values())
    for d in drugs().values():
        recs += d.parameters
    return ParameterSet.from_records(recs)


@cache
def parameters_for(disease_name: str = "myeloma") -> ParameterSet:
    """The full parameter set for one disease."""
    return base_parameters().merged(ParameterSet.from_records(disease(disease_name).parameters))


@dataclass(frozen=True)
class CytopeniaTarget:
    """A published grade 3-4 rate the marrow calibration uses (``marrow_calibration.yaml``):
    the regimen behind it, its population's heavily pretreated share, the rate (fraction)."""

    label: str
    regimen: str
    pretreated: float
    observed: float
    source: str
    fitted: bool = True


def marrow_calibration_targets() -> tuple[dict[str, list[dict]], list[CytopeniaTarget],
                                          list[CytopeniaTarget]]:
    """(treatments by regimen key, neutropenia targets, thrombocytopenia targets) of
    ``marrow_calibration.yaml``: what scripts/calibrate_marrow.py fits."""
    data = _read_yaml("marrow_calibration.yaml")
    treatments = data["treatments"]

    def targets(key: str) -> list[CytopeniaTarget]:
        out = [CytopeniaTarget(**row) for row in data[key]]
        unknown = [t.regimen for t in out if t.regimen not in treatments]
        if unknown:
            raise ParameterError(f"marrow_calibration.yaml: {key} names regimens {unknown} that "
                                 f"'treatments' lacks; expected one of {sorted(treatments)}")
        return out

    return treatments, targets("neutropenia"), targets("thrombocytopenia")
