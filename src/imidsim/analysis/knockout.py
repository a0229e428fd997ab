"""In-silico knockouts: how much of a regimen's effect survives each intervention.

For every intervention the scenario is run twice — treated and untreated — under that
intervention, so the *drug effect* (log10 of untreated over treated tumour burden at the end)
is measured against the right control. ``retained_pct`` compares it with the intact effect.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imidsim.errors import InputError, did_you_mean
from imidsim.library.loader import disease as lookup_disease
from imidsim.response import READOUTS
from imidsim.scenario import Scenario
from imidsim.simulation import Simulation

INTERVENTIONS: dict[str, dict[str, object]] = {
    "tcells": {"tcell_depletion": 1.0},
    "il2": {"il2_blockade": 1.0},
    "nk": {"nk_depletion": 1.0},
    "macrophages": {"macrophage_depletion": 1.0},
    "crbn": {"crbn_knockout": ["tumour", "T", "NK", "macrophage", "progenitor", "B", "DC",
                               "stroma"]},
    "crbn_tumour": {"crbn_knockout": ["tumour"]},
    "crbn_immune": {"crbn_knockout": ["T", "NK", "macrophage", "DC", "B"]},
    "crbn_stroma": {"crbn_knockout": ["stroma"]},
    "degron": {"degron_mutation": {"IKZF1": 1.0, "IKZF3": 1.0}},
    "pd1": {"pd1_blockade": 1.0},
}


@dataclass(frozen=True)
class KnockoutRow:
    intervention: str
    readout_best_change_pct: float
    burden_end: float
    burden_end_untreated: float
    drug_effect_log10: float
    retained_pct: float
    il2_peak: float
    nk_cytotoxicity_peak: float
    cd8_peak: float

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def parse_what(text: str) -> list[str]:
    items = [w.strip() for w in text.split(",") if w.strip()]
    for w in items:
        if w not in INTERVENTIONS:
            raise InputError(f"--what: unknown intervention '{w}'; expected a comma-separated "
                             f"list of {', '.join(INTERVENTIONS)}.{did_you_mean(w, INTERVENTIONS)}")
    if not items:
        raise InputError("--what: give at least one intervention")
    return items


def _with(scenario: Scenario, intervention: dict[str, object], treated: bool) -> Scenario:
    data = scenario.model_dump()
    merged = {**data.get("interventions", {}), **intervention}
    data["interventions"] = merged
    if not treated:
        data["treatments"] = []
        data["duration_days"] = scenario.horizon_days()
    return Scenario.model_validate(data)


def knockout_table(scenario: Scenario, what: list[str]) -> list[KnockoutRow]:
    """One row for the intact system and one per intervention."""
    readout = READOUTS[lookup_disease(scenario.disease).readout][0]
    rows: list[KnockoutRow] = []
    intact_effect = None
    for name in ["none", *what]:
        spec = INTERVENTIONS.get(name, {})
        treated = Simulation(_with(scenario, spec, True)).solve()
        control = Simulation(_with(scenario, spec, False)).solve()
        ro = treated.series(readout)
        b_t = float(treated.series("tumour_burden")[-1])
        b_c = float(control.series("tumour_burden")[-1])
        effect = float(np.log10(b_c / b_t))
        if intact_effect is None:
            intact_effect = effect
        retained = 100.0 * effect / intact_effect if abs(intact_effect) > 1e-12 else float("nan")
        rows.append(KnockoutRow(
            name, 100.0 * (float(ro.min()) - float(ro[0])) / float(ro[0]), b_t, b_c, effect,
            retained, float(treated.series("IL2").max()),
            float(treated.series("nk_cytotoxicity").max()),
            float(treated.series("cd8_total").max())))
    return rows
