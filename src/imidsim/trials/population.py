"""Virtual populations: per-patient parameter draws with acceptance-rejection eligibility.

Each patient gets its own random stream (``SeedSequence(seed).spawn``), so a patient's draw does
not depend on how many others are drawn or how a run is chunked. Draws failing the eligibility
window (e.g. ANC >= 1.0, platelets >= 75) are rejected and redrawn from the same patient's
stream (the acceptance-rejection scheme of Allen, Rieger & Musante 2016, here on baseline
eligibility; matching observed outcome distributions is left to the calibration layer).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
import yaml

from imidsim.errors import InputError, lookup

DISTS = ("lognormal", "normal", "uniform", "bernoulli", "fixed")


@dataclass(frozen=True)
class Population:
    name: str
    disease: str
    label: str
    parameters: dict[str, dict[str, Any]]
    covariates: dict[str, dict[str, Any]]
    eligibility: dict[str, tuple[float | None, float | None]]
    source: tuple[str, ...]


@cache
def populations() -> dict[str, Population]:
    data = yaml.safe_load(resources.files("imidsim.library").joinpath("populations.yaml")
                          .read_text())
    out = {}
    for name, spec in data.items():
        if name.startswith("_"):
            continue
        for field in ("parameters", "covariates"):
            for key, d in spec.get(field, {}).items():
                if d.get("dist") not in DISTS:
                    raise InputError(f"population {name}.{field}.{key}: dist '{d.get('dist')}' "
                                     f"not one of {', '.join(DISTS)}")
        elig = {k: (v[0], v[1]) for k, v in (spec.get("eligibility") or {}).items()}
        out[name] = Population(name, spec["disease"], spec["label"], dict(spec["parameters"]),
                               dict(spec.get("covariates", {})), elig, tuple(spec["source"]))
    return out


def population(name: str, *, field: str = "population") -> Population:
    return lookup(populations(), name, what="population", field=field)


def _draw(rng: np.random.Generator, d: dict[str, Any]) -> float:
    kind = d["dist"]
    if kind == "lognormal":
        sigma = np.sqrt(np.log1p(d["cv"] ** 2))
        x = d["median"] * np.exp(sigma * rng.standard_normal())
    elif kind == "normal":
        x = d["mean"] + d["sd"] * rng.standard_normal()
    elif kind == "uniform":
        x = rng.uniform(d["low"], d["high"])
    elif kind == "bernoulli":
        x = float(rng.random() < d["p"])
    else:
        x = float(d["value"])
    lo, hi = d.get("min"), d.get("max")
    if lo is not None:
        x = max(x, lo)
    if hi is not None:
        x = min(x, hi)
    return float(x)


def sample(pop: Population, n: int, seed: int, *, max_tries: int = 100) -> pd.DataFrame:
    """``n`` eligible virtual patients (rows) with model parameters and covariates (columns)."""
    if n < 1:
        raise InputError(f"n: {n} is not valid; expected a positive number of patients")
    specs = {**pop.parameters, **pop.covariates}
    rows = []
    for child in np.random.SeedSequence(seed).spawn(n):
        rng = np.random.default_rng(child)
        for _ in range(max_tries):
            row = {k: _draw(rng, d) for k, d in specs.items()}
            ok = all((lo is None or row[k] >= lo) and (hi is None or row[k] <= hi)
                     for k, (lo, hi) in pop.eligibility.items())
            if ok:
                break
        else:
            raise InputError(f"population {pop.name}: no eligible draw in {max_tries} tries")
        rows.append(row)
    return pd.DataFrame(rows)
