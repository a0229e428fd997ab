"""Response categories from simulated readouts (best response over a trajectory).

Simplified, readout-only versions of the clinical criteria (the full criteria also use
marrow, imaging and immunofixation, which the model does not produce):

* myeloma, IMWG on serum M-protein: CR <= 1% of baseline (stand-in for negative
  immunofixation), VGPR >= 90% reduction, PR >= 50%, MR >= 25%, progression = rise of
  >= 25% and >= 0.5 g/dL above the nadir;
* lymphoma, Lugano on SPD: CR >= 95% reduction (stand-in for complete metabolic response),
  PR >= 50%, progression >= 50% above nadir and at least 2.25 cm^2 (one 1.5 x 1.5 cm lesion);
* CLL, iwCLL on lymphocyte count: CR < 4 x 10^9/L, PR >= 50% reduction, progression
  >= 50% above nadir to at least 5 x 10^9/L.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

READOUTS = {"mprotein": ("MPROTEIN", "g/dL", "IMWG (M-protein)"),
            "spd": ("SPD", "cm**2", "Lugano (SPD)"),
            "alc": ("ALC", "gcell/L", "iwCLL (lymphocyte count)")}
ORDER = ("CR", "VGPR", "PR", "MR", "SD", "PD")


@dataclass(frozen=True)
class ResponseSummary:
    readout: str
    unit: str
    criteria: str
    baseline: float
    nadir: float
    time_to_nadir_days: float
    best_change_pct: float
    final: float
    best_response: str
    progression_day: float | None

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def categorise(kind: str, baseline: float, value: float) -> str:
    change = (value - baseline) / baseline
    if kind == "mprotein":
        if value <= 0.01 * baseline:
            return "CR"
        if change <= -0.9:
            return "VGPR"
    elif kind == "spd":
        if change <= -0.95:
            return "CR"
    elif kind == "alc" and value < 4.0:
        return "CR"
    if change <= -0.5:
        return "PR"
    if kind == "mprotein" and change <= -0.25:
        return "MR"
    return "SD"


def progression_index(kind: str, values: np.ndarray) -> int | None:
    """First index where the readout has risen enough above its running nadir."""
    nadir = np.minimum.accumulate(values)
    if kind == "mprotein":
        prog = (values >= 1.25 * nadir) & (values - nadir >= 0.5)
    elif kind == "spd":
        prog = (values >= 1.5 * nadir) & (values >= 2.25)
    else:
        prog = (values >= 1.5 * nadir) & (values >= 5.0)
    hits = np.flatnonzero(prog)
    return int(hits[0]) if hits.size else None


def summarise(kind: str, t_days: np.ndarray, values: np.ndarray) -> ResponseSummary:
    name, unit, criteria = READOUTS[kind]
    base = float(values[0])
    i_nadir = int(np.argmin(values))
    cats = [categorise(kind, base, float(v)) for v in values]
    best = min(cats, key=ORDER.index)
    i_prog = progression_index(kind, values)
    if i_prog is not None and best == "SD" and i_nadir == 0:
        best = "PD"
    return ResponseSummary(name, unit, criteria, base, float(values[i_nadir]),
                           float(t_days[i_nadir]), 100.0 * (float(values[i_nadir]) - base) / base,
                           float(values[-1]), best,
                           None if i_prog is None else float(t_days[i_prog]))
