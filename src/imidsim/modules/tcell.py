"""T-cell IL-2 derepression: Aiolos/Ikaros repress the IL-2 promoter; their loss raises IL-2."""

from __future__ import annotations

from imidsim.model.core import Assignment, Module, Reaction, Species
from imidsim.modules.crbn import substrate


def il2_module() -> Module:
    a = "ikzf_activity_T"
    return Module(
        "tcell_il2", "IL-2 production by T cells, derepressed by IKZF1/3 degradation.",
        species=(Species("IL2", "1", 1.0, "IL-2 output of T cells (1 = untreated)",
                         ("review:175", "S38")),),
        assignments=(Assignment(a, f"({substrate('IKZF1', 'T')} + {substrate('IKZF3', 'T')}) / 2",
                                "1", "IKZF1/3 repressor activity in T cells", ("S38",)),),
        reactions=(
            Reaction("IL2_production", f"tcell.kdeg_il2 * (1 + tcell.il2_max * pos(1 - {a}))",
                     {"IL2": 1}, "IL-2 transcription derepressed by Ikaros/Aiolos loss",
                     ("review:175", "S38")),
            Reaction("IL2_clearance", "tcell.kdeg_il2 * IL2", {"IL2": -1}, "IL-2 turnover"),
        ),
        refs=("review:175", "S38"),
    )
