"""NK cells: IL-2-driven expansion and activation, granzyme B/FasL, thresholds, ADCC capacity.

Lenalidomide's NK effects run through T-cell IL-2: T-cell depletion or IL-2 blockade abolishes
NK proliferation and cytotoxicity (review ref 212). IKZF3 loss in NK cells raises granzyme B
and FasL (refs 62, 218) and lowers the activation thresholds of CD16 (EC50 -66%) and NKG2D
(-38%) (S41, ref 217); these act on *stimulated* NK cells (no IFN-gamma without stimulation,
S41). Pomalidomide also binds ZAP-70 and activates NK cells without CRBN (ref 218).

Per-cell cytotoxicity = (basal + (IL-2 signal + ZAP-70 activation) x granzyme) x damping,
normalised to 1 untreated, so without IL-2 the drug-induced part vanishes except ZAP-70's.
"""

from __future__ import annotations

from imidsim.model.core import Assignment, Module, Reaction, Species
from imidsim.modules.crbn import substrate
from imidsim.modules.exposure import conc_name

N0 = "patient.nk_level * (1 - intervention.nk_depletion)"


def nk_module(extra_activation: tuple[str, ...] = ()) -> Module:
    """NK cells; ``extra_activation`` adds antibody-driven activation terms (e.g. SLAMF7)."""
    d = "derepression_NK"
    extra = "".join(f" + {e}" for e in extra_activation)
    assigns = (
        Assignment(d, f"pos(1 - ({substrate('IKZF1', 'NK')} + {substrate('IKZF3', 'NK')}) / 2)",
                   "1", "IKZF1/3 loss in NK cells", ("review:218",)),
        Assignment("nk_zap70", f"hill({conc_name('pomalidomide')}, pomalidomide.zap70_EC50, 1)",
                   "1", "CRBN-independent ZAP-70 activation by pomalidomide", ("review:218",)),
        Assignment("nk_granzyme", f"1 + nk.grz_max * pos(1 - {substrate('IKZF3', 'NK')})", "1",
                   "granzyme B / FasL per NK cell (CRBN-IKZF3 axis)",
                   ("review:218", "review:62")),
        Assignment("nk_synapse_quality",
                   f"1 - patient.synapse_defect + patient.synapse_defect * tcell.synapse_repair"
                   f" * {d}", "1", "NK - tumour synapse quality", ("review:217",)),
        Assignment("nk_activation",
                   f"(nk.basal_activation + (il2_signal ** nk.il2_act_exp + nk.zap_gain * nk_zap70"
                   f"{extra})"
                   " * nk_granzyme * nk_synapse_quality / (1 - patient.synapse_defect)"
                   " * dex_immune_damping) / (nk.basal_activation + 1)", "1",
                   "cytotoxic activation per NK cell (1 = untreated); granzyme and the restored "
                   "synapse act on stimulated cells",
                   ("review:212", "review:216", "review:217", "review:218")),
        Assignment("nk_cytotoxicity", "NK * nk_activation", "1",
                   "natural NK cytotoxicity of the NK compartment (1 = untreated)",
                   ("review:217", "review:221", "review:222")),
        Assignment("nk_cd16_ec50", f"1 - nk.cd16_shift * {d}", "1",
                   "CD16-triggered activation EC50 relative to untreated", ("S41", "review:217")),
        Assignment("nk_nkg2d_ec50", f"1 - nk.nkg2d_shift * {d}", "1",
                   "NKG2D-triggered activation EC50 relative to untreated", ("S41",)),
        Assignment("adcc_capacity",
                   "NK * nk_granzyme * dex_immune_damping * nk_synapse_quality"
                   " / (1 - patient.synapse_defect)", "1",
                   "NK effector capacity for antibody-dependent cytotoxicity (1 = untreated); "
                   "the CD16 threshold acts on the antibody signal (antibodies module)",
                   ("review:62", "review:217", "S41")),
    )
    species = (Species("NK", "1", N0, "NK cells relative to the untreated patient",
                       ("review:212",)),)
    reactions = (
        Reaction("NK_supply", f"nk.k_turn * ({N0}) * pos(1 + nk.il2_gain * (il2_signal - 1))"
                 , {"NK": 1},
                 "NK production and IL-2-driven proliferation", ("review:212", "S44")),
        Reaction("NK_turnover", "nk.k_turn * NK", {"NK": -1}, "NK death"),
    )
    return Module("nk", "NK cells: number, activation, cytotoxicity, ADCC capacity.",
                  species, assigns, reactions, refs=("review:212", "review:218", "S41"))
