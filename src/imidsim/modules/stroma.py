"""Stroma and vessels: BMSC IL-6, adhesion, CXCL12; VEGF and bFGF (review section 3.2.5).

IMiDs abrogate myeloma-stroma interaction by lowering stromal IL-6 and the adhesion pairs
LFA-1/ICAM-1 and VLA-4/VCAM-1 (ref 269), inhibit IL-6/STAT3 pro-survival signalling (ref 270)
and CXCL12 production by mesenchymal stromal cells (ref 271), and are anti-angiogenic:
VEGF and bFGF fall (refs 275, 276, 277, 64). The molecular route in stroma is not known; the
model drives it by the CRBN occupancy of any CRBN modulator in stromal cells, so a stromal
CRBN knockout removes it. Niche protection of tumour cells from direct drug-induced death
scales with the mean of IL-6, adhesion and CXCL12 (claim S1); angiogenic factors support
proliferation (claim S2).
"""

from __future__ import annotations

from imidsim.model.core import Assignment, Module, Reaction, Species

FACTORS = {
    "IL6_STROMA": ("stroma.il6_imax", "BMSC IL-6 secretion", ("review:269", "review:270")),
    "ADHESION": ("stroma.adhesion_imax", "LFA-1/ICAM-1 and VLA-4/VCAM-1 adhesion",
                 ("review:269",)),
    "CXCL12": ("stroma.cxcl12_imax", "CXCL12 from mesenchymal stromal cells", ("review:271",)),
    "VEGF": ("stroma.vegf_imax", "VEGF (angiogenesis)", ("review:275", "review:276")),
    "BFGF": ("stroma.bfgf_imax", "bFGF (angiogenesis)", ("review:276",)),
}


def stroma_module() -> Module:
    species, reactions = [], []
    for name, (imax, desc, refs) in FACTORS.items():
        species.append(Species(name, "1", 1.0, f"{desc} (1 = untreated)", refs))
        reactions += [
            Reaction(f"{name}_production", f"stroma.k_turn * (1 - {imax} * stroma_drug)",
                     {name: 1}, f"{desc}, lowered by IMiDs", refs),
            Reaction(f"{name}_turnover", f"stroma.k_turn * {name}", {name: -1}, "turnover"),
        ]
    assigns = (
        Assignment("stroma_drug", "crbn.level_Stroma * (1 - crbn_free_frac)", "1",
                   "CRBN occupancy by CRBN modulators in stromal/endothelial cells",
                   ("review:269", "review:275")),
        Assignment("niche_protection",
                   "tumour.stromal_protection * (IL6_STROMA + ADHESION + CXCL12) / 3", "1",
                   "share of direct drug-induced death blocked by the niche",
                   ("review:268", "review:269", "review:270", "review:271")),
        Assignment("angiogenic_support", "1 - stroma.angio_weight * (1 - (VEGF + BFGF) / 2)",
                   "1", "vascular support of tumour proliferation (1 = untreated)",
                   ("review:274", "review:275", "review:276")),
    )
    return Module("stroma", "Stroma and angiogenesis.", tuple(species), assigns,
                  tuple(reactions), refs=("review:269", "review:275", "review:276"))
