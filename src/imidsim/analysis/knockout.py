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


def _readouts(task: tuple[Scenario, str, bool]) -> dict[str, float]:
    """One simulation of the experiment (a worker task): the figures a row needs."""
    scenario, name, treated = task
    res = Simulation(_with(scenario, INTERVENTIONS.get(name, {}), treated)).solve()
    ro = res.series(READOUTS[lookup_disease(scenario.disease).readout][0])
    return {"readout_change_pct": 100.0 * (float(ro.min()) - float(ro[0])) / float(ro[0]),
            "burden_end": float(res.series("tumour_burden")[-1]),
            "il2_peak": float(res.series("IL2").max()),
            "nk_peak": float(res.series("nk_cytotoxicity").max()),
            "cd8_peak": float(res.series("cd8_total").max())}


def knockout_table(scenario: Scenario, what: list[str], scheduler: str = "none"
                   ) -> list[KnockoutRow]:
    """One row for the intact system and one per intervention; ``scheduler`` runs the
    simulations in this process (``none``) or on Dask workers (``local``, ``tcp://HOST:PORT``)."""
    from imidsim.store import task_runner

    names = ["none", *what]
    tasks = [(scenario, name, treated) for name in names for treated in (True, False)]
    with task_runner(scheduler) as runner:
        done = {(t[1], t[2]): out for t, out in runner.imap_unordered(_readouts, tasks)}
    rows: list[KnockoutRow] = []
    intact_effect = None
    for name in names:
        t, c = done[(name, True)], done[(name, False)]
        effect = float(np.log10(c["burden_end"] / t["burden_end"]))
        if intact_effect is None:
            intact_effect = effect
        retained = 100.0 * effect / intact_effect if abs(intact_effect) > 1e-12 else float("nan")
        rows.append(KnockoutRow(name, t["readout_change_pct"], t["burden_end"], c["burden_end"],
                                effect, retained, t["il2_peak"], t["nk_peak"], t["cd8_peak"]))
    return rows
