"""Virtual populations: per-patient parameter draws with acceptance-rejection eligibility.

Every parameter has its own random stream (``SeedSequence([seed, crc32(name), attempt])``),
and patient ``i`` takes the ``i``-th variate of it. So a patient's draw of a parameter depends
neither on how many patients are drawn (or how a run is chunked) nor on which other parameters
the population has: adding a parameter to a population leaves every other draw as it was.
Patients failing the eligibility window (e.g. ANC >= 1.0, platelets >= 75) are redrawn, all
their parameters, from the next attempt's streams (the acceptance-rejection scheme of Allen,
Rieger & Musante 2016, here on baseline eligibility; matching observed outcome distributions is
left to the calibration layer).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
import yaml

from imidsim.errors import InputError, lookup

DISTS = ("lognormal", "normal", "uniform", "bernoulli", "fixed")

# Entry criteria a trial spec may add, by their clinical names: each is a baseline quantity
# a protocol screens on (a lab value, renal function, body size, the measurable disease), mapped
# to the population column that holds it. Hidden model parameters (growth, kill sensitivity,
# CRBN ...) are not screenable, so a spec cannot select patients on them.
ENTRY_CRITERIA = {
    "anc_10e9_per_l": "patient.anc0",
    "platelets_10e9_per_l": "patient.plt0",
    "crcl_ml_min": "crcl_ml_min",
    "weight_kg": "weight_kg",
    "bsa_m2": "bsa_m2",
    "mprotein_g_dl": "patient.mprotein0",
    "spd_cm2": "patient.spd0",
    "alc_10e9_per_l": "patient.alc0",
}
Window = tuple[float | None, float | None]


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


def _draw(seed: int, name: str, attempt: int, n: int, d: dict[str, Any]) -> np.ndarray:
    """``n`` draws of parameter ``name`` (patient ``i`` gets element ``i``) from its own stream."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(name.encode()),
                                                        attempt]))
    kind = d["dist"]
    if kind == "lognormal":
        sigma = np.sqrt(np.log1p(d["cv"] ** 2))
        x = d["median"] * np.exp(sigma * rng.standard_normal(n))
    elif kind == "normal":
        x = d["mean"] + d["sd"] * rng.standard_normal(n)
    elif kind == "uniform":
        x = d["low"] + (d["high"] - d["low"]) * rng.random(n)
    elif kind == "bernoulli":
        x = (rng.random(n) < d["p"]).astype(float)
    else:
        x = np.full(n, float(d["value"]))
    lo, hi = d.get("min"), d.get("max")
    if lo is not None:
        x = np.maximum(x, lo)
    if hi is not None:
        x = np.minimum(x, hi)
    return np.asarray(x, float)


def entry_window(pop: Population, extra: dict[str, Window] | None = None) -> dict[str, Window]:
    """The population's eligibility narrowed by a trial's entry criteria (clinical names of
    :data:`ENTRY_CRITERIA`): the intersection of the two windows, per column."""
    def tighter(pick: Callable[..., float], *bounds: float | None) -> float | None:
        return pick((b for b in bounds if b is not None), default=None)

    window = dict(pop.eligibility)
    for name, (lo, hi) in (extra or {}).items():
        col = ENTRY_CRITERIA[name]
        old_lo, old_hi = window.get(col, (None, None))
        window[col] = (tighter(max, lo, old_lo), tighter(min, hi, old_hi))
    return window


def sample(pop: Population, n: int, seed: int, *, max_tries: int = 100,
           entry: dict[str, Window] | None = None) -> pd.DataFrame:
    """``n`` eligible virtual patients (rows) with model parameters and covariates (columns).

    ``entry``: a trial's entry criteria (see :func:`entry_window`) on top of the population's
    own window; patients failing either are redrawn."""
    if n < 1:
        raise InputError(f"n: {n} is not valid; expected a positive number of patients")
    specs = {**pop.parameters, **pop.covariates}
    window = entry_window(pop, entry)
    table = pd.DataFrame({k: _draw(seed, k, 0, n, d) for k, d in specs.items()})
    for attempt in range(1, max_tries + 1):
        ok = np.ones(n, bool)
        for k, (lo, hi) in window.items():
            if lo is not None:
                ok &= table[k].to_numpy() >= lo
            if hi is not None:
                ok &= table[k].to_numpy() <= hi
        if ok.all():
            return table
        if attempt == max_tries:
            break
        redo = ~ok
        for k, d in specs.items():
            table.loc[redo, k] = _draw(seed, k, attempt, n, d)[redo]
    raise InputError(f"population {pop.name}: no eligible draw in {max_tries} tries for "
                     f"{int((~ok).sum())} of {n} patients")
