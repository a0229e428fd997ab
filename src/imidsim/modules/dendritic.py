"""Dendritic cells: MHC I/II, CD86, antigen uptake and T-cell priming (review ref 229).

Lenalidomide and pomalidomide raise MHC class I and CD86 on DCs, promote antigen uptake and
presentation to naive CD8 cells, and (pomalidomide) MHC class II for CD4 priming (ref 229);
IMiDs also favour DC-driven Th2 help via STAT6/IRF4 (ref 267). The DC activation state
relaxes (about a day) to the IKZF1 loss in DCs.
"""

from __future__ import annotations

from imidsim.model.core import Assignment, Module, Reaction, Species
from imidsim.modules.crbn import substrate


def dendritic_module() -> Module:
    assigns = (
        Assignment("mhc1_dc", "1 + dc.mhc1_max * dc_activation", "1", "MHC class I on DCs",
                   ("review:229",)),
        Assignment("mhc2_dc", "1 + dc.mhc2_max * dc_activation", "1", "MHC class II on DCs",
                   ("review:229",)),
        Assignment("cd86_dc", "1 + dc.cd86_max * dc_activation", "1", "CD86 on DCs",
                   ("review:229",)),
        Assignment("antigen_uptake", "1 + dc.uptake_max * dc_activation", "1",
                   "antigen uptake and presentation by DCs", ("review:229",)),
        Assignment("dc_priming_cd8", "(mhc1_dc * cd86_dc * antigen_uptake) ** (1 / 3)", "1",
                   "DC priming of CD8 T cells (1 = untreated)", ("review:229",)),
        Assignment("dc_priming_cd4", "(mhc2_dc * cd86_dc * antigen_uptake) ** (1 / 3)", "1",
                   "DC priming of CD4 T cells (1 = untreated)", ("review:229",)),
    )
    species = (Species("dc_activation", "1", 0.0,
                       "DC activation by IKZF1 loss (0 = untreated, 1 = complete)",
                       ("review:229",)),)
    reactions = (
        Reaction("DC_activation", f"dc.k_act * pos(1 - {substrate('IKZF1', 'DC')})",
                 {"dc_activation": 1}, "DC maturation on IKZF1 degradation", ("review:229",)),
        Reaction("DC_relaxation", "dc.k_act * dc_activation", {"dc_activation": -1},
                 "return to the resting state"),
    )
    return Module("dendritic", "Dendritic cells: MHC, CD86, antigen uptake, T-cell priming.",
                  species, assigns, reactions, refs=("review:229", "review:267"))
