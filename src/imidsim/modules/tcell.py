"""T cells: IL-2 derepression, CD8 effector/exhausted, CD4 Th1/Th2, Treg, immune synapse.

Aiolos/Ikaros are repressors of the IL-2 promoter in T cells; their CRBN-dependent
degradation (derepression ``D_T = 1 - IKZF activity``) raises IL-2 (review refs 175, 192;
S38). IL-2 drives CD8 effectors, Th1 and Treg expansion; IKZF loss also co-stimulates
(a CD28 bypass, ref 206), restrains exhaustion (refs 192, 203), restores the immune synapse
(refs 184, 198, 202) and inhibits Treg induction and function (S42, refs 201, 204, 205).
CD8 cells exhaust (PD-1 high) under chronic tumour antigen and are reinvigorated by PD-1
blockade only with co-stimulation (CD28, or lenalidomide's bypass). Dexamethasone dampens
IL-2 output and T-cell drive (``dex_immune_damping``). Cell numbers are relative to the
untreated patient (1); interventions deplete T cells or block IL-2.
"""

from __future__ import annotations

from imidsim.model.core import Assignment, Module, Reaction, Species
from imidsim.modules.crbn import substrate
from imidsim.modules.motifs import relax


def tcell_module(pd1_blockade: str = "intervention.pd1_blockade") -> Module:
    """T cells; ``pd1_blockade`` is the expression of PD-1 axis blockade (0..1)."""
    a = "ikzf_activity_T"
    d = "derepression_T"
    x0 = "patient.exhaustion / (1 - patient.exhaustion)"
    t0 = "patient.tcell_level * (1 - intervention.tcell_depletion)"
    assigns = [
        Assignment(a, f"({substrate('IKZF1', 'T')} + {substrate('IKZF3', 'T')}) / 2", "1",
                   "IKZF1/3 repressor activity in T cells", ("S38",)),
        Assignment(d, f"pos(1 - {a})", "1", "derepression of IKZF targets in T cells",
                   ("review:175",)),
        Assignment("t_cells", t0, "1", "T-cell number relative to the untreated patient"),
        Assignment("il2_signal", "IL2 * (1 - intervention.il2_blockade)", "1",
                   "IL-2 available to receptors (after any blocking antibody)", ("review:212",)),
        Assignment("costimulation", f"patient.cd28_fraction + tcell.cd28_bypass * {d}", "1",
                   "CD28 co-stimulation plus lenalidomide's CD28-independent bypass",
                   ("review:206", "review:240")),
        Assignment("synapse_quality",
                   f"1 - patient.synapse_defect + patient.synapse_defect * tcell.synapse_repair"
                   f" * {d}", "1", "T cell - tumour immune-synapse quality (1 = healthy)",
                   ("review:184", "review:198", "review:202", "review:65")),
        Assignment("treg_suppression", f"TREG * (1 - tcell.treg_inhibition * {d})", "1",
                   "suppressive output of Tregs (number x function)", ("S42", "review:201")),
        Assignment("cd8_drive",
                   f"il2_signal ** tcell.il2_exp * dc_priming_cd8"
                   f" * (1 + tcell.costim_gain * tcell.cd28_bypass * {d})"
                   f" * (1 + tcell.treg_brake) / (1 + tcell.treg_brake * treg_suppression)"
                   f" * dex_immune_damping", "1",
                   "CD8 proliferative drive: IL-2, DC priming, co-stimulation, Treg brake",
                   ("review:175", "review:201", "review:229")),
        Assignment("exhaustion_drive",
                   f"burden_rel ** tcell.antigen_exp * (1 - tcell.exh_inhibition * {d})", "1",
                   "chronic tumour-antigen drive to exhaustion, restrained by IKZF loss",
                   ("review:192", "review:203")),
        Assignment("pd1_blockade", pd1_blockade, "1",
                   "PD-1/PD-L1 axis blockade (experiment input and checkpoint antibodies)",
                   ("review:206",)),
        Assignment("t_effectors", "(CD8_EFF + TH1) / 2", "1",
                   "T cells available for redirection by engagers (1 = untreated)"),
        Assignment("reinvigoration",
                   "1 + tcell.pd1_reversal * pd1_blockade * costimulation", "1",
                   "exhaustion reversal; PD-1 blockade works only with co-stimulation",
                   ("review:206",)),
        Assignment("exhaustion_rate", f"(tcell.k_rev + tcell.k_exh_death) * {x0}", "1/h",
                   "exhaustion rate that holds the baseline PD-1-high share"),
        Assignment("cd8_total", f"(CD8_EFF + CD8_EXH) / (1 + {x0})", "1",
                   "CD8 T cells relative to the untreated patient", ("review:244", "review:203")),
        Assignment("pd1_fraction", "CD8_EXH / (CD8_EFF + CD8_EXH + 1e-12)", "1",
                   "PD-1-high (exhausted) share of CD8 T cells", ("review:203",)),
        Assignment("th1_th2_ratio", "TH1 / max(TH2, 1e-9)", "1",
                   "Th1/Th2 balance (1 = untreated; 0 when no CD4 cells remain)",
                   ("review:201", "review:267")),
    ]
    species = (
        Species("IL2", "1", "patient.tcell_level * (1 - intervention.tcell_depletion)",
                "IL-2 output of T cells (1 = untreated)", ("review:175", "S38")),
        Species("CD8_EFF", "1", t0, "effector CD8 T cells (1 = untreated)", ("review:244",)),
        Species("CD8_EXH", "1", f"({t0}) * {x0}", "exhausted, PD-1-high CD8 T cells",
                ("review:203",)),
        Species("TH1", "1", t0, "CD4 Th1 cells", ("review:201",)),
        Species("TH2", "1", t0, "CD4 Th2 cells", ("review:267",)),
        Species("TREG", "1", t0, "regulatory T cells", ("S42", "S25")),
    )
    reactions = [
        *relax("IL2", f"t_cells * (1 + tcell.il2_max * {d}) * dex_immune_damping",
                "tcell.kdeg_il2", "IL-2 transcription derepressed by Ikaros/Aiolos loss",
                ("review:175", "S38")),
        Reaction("CD8_EFF_supply",
                 f"(tcell.k_turn + tcell.k_exh_death * {x0}) * t_cells * cd8_drive",
                 {"CD8_EFF": 1}, "priming and IL-2-driven expansion of effector CD8 cells",
                 ("review:175", "review:229")),
        Reaction("CD8_EFF_turnover", "tcell.k_turn * CD8_EFF", {"CD8_EFF": -1},
                 "effector contraction"),
        Reaction("CD8_exhaustion", "exhaustion_rate * exhaustion_drive * CD8_EFF",
                 {"CD8_EFF": -1, "CD8_EXH": 1}, "exhaustion under chronic antigen",
                 ("review:192", "review:203")),
        Reaction("CD8_reinvigoration", "tcell.k_rev * reinvigoration * CD8_EXH",
                 {"CD8_EXH": -1, "CD8_EFF": 1}, "reversal of exhaustion",
                 ("review:206", "review:203")),
        Reaction("CD8_EXH_death", "tcell.k_exh_death * CD8_EXH", {"CD8_EXH": -1},
                 "loss of exhausted cells"),
        *relax("TH1", f"t_cells * il2_signal ** tcell.il2_exp * dc_priming_cd4"
                f" * (1 + tcell.costim_gain * tcell.cd28_bypass * {d}) * dex_immune_damping",
                "tcell.k_cd4", "Th1 expansion (IL-2, DC priming, co-stimulation)",
                ("review:201", "review:229")),
        *relax("TH2", "t_cells * (1 + tcell.th2_dc_gain * dc_activation)", "tcell.k_cd4",
                "Th2 help via DC STAT6/IRF4", ("review:267",)),
        *relax("TREG", f"t_cells * il2_signal ** tcell.treg_il2_exp"
                f" * (1 - tcell.treg_inhibition * {d})", "tcell.k_treg",
                "IL-2-driven Treg expansion, IMiD-inhibited induction",
                ("S42", "S25", "review:204", "review:205")),
    ]
    return Module("tcell", "T cells: IL-2, CD8 effector/exhausted, Th1/Th2, Treg, synapse.",
                  species, tuple(assigns), tuple(reactions),
                  refs=("review:175", "review:192", "review:206", "S38", "S42"))
