"""Normal B cells: CRBN-modulator depletion and the antigen sink for anti-CD20/CD19 agents.

Ikaros and Aiolos are needed for B-cell development and survival; CRBN modulators lower
circulating B cells (iberdomide: -58% at week 24, S25; lower CD19+ counts in healthy
volunteers, S22, S24). Normal B cells also carry CD20 and CD19, so anti-CD20/CD19 antibodies
deplete them within days; their loss is a large part of the fall in antibody clearance over
the first weeks (rituximab's time-varying clearance, U9, U13).
"""

from __future__ import annotations

from imidsim.model.core import Assignment, Module, Reaction, Species
from imidsim.modules.crbn import substrate


def bcell_module(antibody_kill: tuple[str, ...] = ()) -> Module:
    """``antibody_kill`` are rate terms (1/h) by which antibodies deplete normal B cells."""
    d = f"pos(1 - ({substrate('IKZF1', 'B')} + {substrate('IKZF3', 'B')}) / 2)"
    reactions = [
        Reaction("BCELL_production", "bcell.k_turn * (1 - bcell.ikzf_block * derepression_B)",
                 {"BCELL": 1}, "B-cell output, impaired by Ikaros/Aiolos loss", ("S25", "S24")),
        Reaction("BCELL_turnover", "bcell.k_turn * BCELL", {"BCELL": -1}, "B-cell turnover"),
    ]
    if antibody_kill:
        reactions.append(Reaction("BCELL_antibody_depletion",
                                  f"({' + '.join(antibody_kill)}) * BCELL", {"BCELL": -1},
                                  "depletion by anti-CD20/CD19 antibodies", ("U9", "U13")))
    return Module(
        "bcells", "Normal B cells.",
        species=(Species("BCELL", "1", 1.0, "normal B cells (1 = untreated)", ("S25",)),),
        assignments=(Assignment("derepression_B", d, "1", "IKZF1/3 loss in normal B cells",
                                ("S24",)),),
        reactions=tuple(reactions),
    )
