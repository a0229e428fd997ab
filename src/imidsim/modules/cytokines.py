"""Cytokines (relative to the untreated patient): IFN-gamma, TNF-alpha, IL-6, IL-10.

IMiDs raise the pro-inflammatory IL-2, IFN-gamma and TNF-alpha and lower the
anti-inflammatory IL-6 and IL-10 (review refs 192, 12, 238, 239; claim T1). Each cytokine
relaxes (hours) to a weighted mix of its sources' outputs, every source being 1 untreated.
"""

from __future__ import annotations

from imidsim.model.core import Module, Reaction, Species

SOURCES = {
    "IFNG": ("(cyto.w_ifng_t * (TH1 + CD8_EFF * synapse_quality / (1 - patient.synapse_defect))"
             " / 2 + cyto.w_ifng_nk * nk_cytotoxicity) / (cyto.w_ifng_t + cyto.w_ifng_nk)",
             "IFN-gamma from Th1, effector CD8 and activated NK cells",
             ("review:192", "review:253", "S41")),
    "TNFA": ("(cyto.w_tnf_t * (CD8_EFF + TH1) / 2"
             " * (1 + tcell.costim_gain * tcell.cd28_bypass * derepression_T)"
             " + cyto.w_tnf_m * macrophages * M1_SHARE / patient.m1_fraction0)"
             " / (cyto.w_tnf_t + cyto.w_tnf_m)",
             "TNF-alpha from activated T cells and M1 macrophages", ("review:192", "review:185")),
    "IL6": ("(cyto.w_il6_s * IL6_STROMA + cyto.w_il6_m * macrophages * (1 - M1_SHARE)"
            " / (1 - patient.m1_fraction0)) / (cyto.w_il6_s + cyto.w_il6_m)",
            "IL-6 from bone-marrow stroma and M2 macrophages", ("review:269", "review:246", "S73")),
    "IL10": ("(cyto.w_il10_t * treg_suppression + cyto.w_il10_m * macrophages * (1 - M1_SHARE)"
             " / (1 - patient.m1_fraction0)) / (cyto.w_il10_t + cyto.w_il10_m)",
             "IL-10 from Tregs and M2 macrophages", ("review:192", "review:12")),
}


def cytokine_module() -> Module:
    species, reactions = [], []
    for name, (target, desc, refs) in SOURCES.items():
        species.append(Species(name, "1", 1.0, f"{name} level (1 = untreated)", refs))
        reactions += [Reaction(f"{name}_production", f"cyto.k_turn * {target}", {name: 1},
                               desc, refs),
                      Reaction(f"{name}_clearance", f"cyto.k_turn * {name}", {name: -1},
                               f"{name} clearance")]
    return Module("cytokines", "IFN-gamma, TNF-alpha, IL-6, IL-10.", tuple(species), (),
                  tuple(reactions), refs=("review:192",))
