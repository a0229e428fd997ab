"""The malignant B cell: IKZF1/3 -> c-Myc -> IRF4 axis, p21, IRF4/SPI-B/IFN-beta, CD38.

Two subclones — drug-sensitive (``TumS``) and CRBN-low resistant (``TumR``) — share the
programme and differ in CRBN, so relapse emerges from selection. A third, small escape clone
(``TumX``) stands for the subclone that eventually escapes continuous therapy: it runs the
CRBN-low programme (IMiD-insensitive, the commonest IMiD escape, review ref 312) and keeps only
a fraction ``tumour.escape_kill_factor`` of a typical clone's every other treatment-induced death
(glucocorticoid, proteasome inhibitor and chemotherapy, antibody, CAR-T and treatment-driven
immune killing) — not scaled by the patient's kill sensitivity, which stands for the lesions
this clone already carries — so that under a regimen holding the other two clones it regrows
from its share at the start (Goldie–Coldman-type pre-existing resistance; review refs 312, 313;
S75). Each intracellular
factor relaxes to a target set by IKZF activity ``A = (IKZF1 + IKZF3) / 2``::

    c-Myc  -> f(A; K_myc)                      (fast: protein half-life ~25 min)
    IRF4   -> sqrt(f(A; K_irf4) * c-Myc)        (slower: falls after c-Myc)
    SPI-B  -> f(A; K_irf4)
    IFN-b  -> 1 + ifnb_max * (1 - IRF4 * SPI-B) (IRF4/SPI-B repress IFN-beta)
    p21    -> 1 + p21_max * (1 - A)
    CD38   -> 1 + cd38_max * (1 - A)

with ``f(A; K) = A^n (1 + K^n) / (A^n + K^n)`` so every factor is 1 untreated. Proliferation
follows c-Myc and is braked by p21; death rises with IRF4 loss, the IFN programme and GSPT1
loss. Disease parameters weight these branches (diseases.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from imidsim.model.core import Assignment, Module, Reaction, Species
from imidsim.modules.crbn import substrate
from imidsim.modules.motifs import relax

_relax = partial(relax, gain="synthesis", loss="decay")


@dataclass(frozen=True)
class Clone:
    """A tumour subclone: its burden species is ``N_<key>``."""

    key: str
    label: str
    share: str  # initial share of the burden (expression)
    programme: str  # clone whose intracellular programme (CRBN, IKZF, c-Myc ...) it runs
    sensitivity: str  # multiplier on every treatment-induced death rate (expression)

    @property
    def burden(self) -> str:
        return f"N_{self.key}"


ESCAPE_SENSITIVITY = "tumour.escape_kill_factor"  # the clone's own, not the patient's
CLONES = (
    Clone("TumS", "sensitive clone",
          "pos(1 - patient.resistant_fraction - patient.escape_fraction)", "TumS",
          "patient.kill_sensitivity"),
    Clone("TumR", "CRBN-low resistant clone", "patient.resistant_fraction", "TumR",
          "patient.kill_sensitivity"),
    Clone("TumX", "multi-resistant escape clone", "patient.escape_fraction", "TumR",
          ESCAPE_SENSITIVITY),
)
PROGRAMMES = tuple(c for c in CLONES if c.programme == c.key)


def tumour_module() -> Module:
    species: list[Species] = []
    assigns: list[Assignment] = []
    reactions: list[Reaction] = []
    for clone in PROGRAMMES:
        k, label = clone.key, clone.label
        a = f"ikzf_activity_{k}"
        assigns += [
            Assignment(a, f"({substrate('IKZF1', k)} + {substrate('IKZF3', k)}) / 2", "1",
                       f"IKZF1/3 transcriptional activity in the {label}", ("review:189",)),
            Assignment(f"myc_drive_{k}",
                       f"hill({a}, tumour.K_myc, tumour.n_myc)"
                       " * (1 + tumour.K_myc ** tumour.n_myc)",
                       "1", "normalised c-Myc drive", ("review:189", "S37")),
            Assignment(f"irf4_drive_{k}",
                       f"hill({a}, tumour.K_irf4, tumour.n_irf4) * (1 + tumour.K_irf4 ** "
                       f"tumour.n_irf4)", "1", "normalised IRF4/SPI-B drive",
                       ("review:189", "review:191")),
        ]
        myc, irf4, spib = f"MYC_{k}", f"IRF4_{k}", f"SPIB_{k}"
        ifnb, p21, cd38 = f"IFNB_{k}", f"P21_{k}", f"CD38_{k}"
        species += [
            Species(myc, "1", 1.0, f"c-Myc in the {label} (1 = untreated)", ("review:189",)),
            Species(irf4, "1", 1.0, f"IRF4 in the {label}", ("review:189",)),
            Species(spib, "1", 1.0, f"SPI-B in the {label}", ("review:191",)),
            Species(ifnb, "1", 1.0, f"IFN-beta / interferon programme in the {label}",
                    ("review:191", "S40")),
            Species(p21, "1", 1.0, f"p21 in the {label}", ("review:72",)),
            Species(cd38, "1", 1.0, f"surface CD38 in the {label}", ("review:213", "S40")),
        ]
        reactions += _relax(myc, f"myc_drive_{k}", "tumour.kdeg_myc",
                            "c-Myc transcription sustained by Ikaros/Aiolos", ("review:189", "S39"))
        reactions += _relax(irf4, f"sqrt(irf4_drive_{k} * {myc})", "tumour.kdeg_irf4",
                            "IRF4 sustained by IKZF1/3 and c-Myc (falls after c-Myc)",
                            ("review:189", "S37"))
        reactions += _relax(spib, f"irf4_drive_{k}", "tumour.kdeg_spib",
                            "SPI-B sustained by IKZF1/3", ("review:191",))
        reactions += _relax(ifnb, f"(1 + tumour.ifnb_max * pos(1 - {irf4} * {spib}))",
                            "tumour.kdeg_ifnb", "IFN-beta derepressed by IRF4/SPI-B loss",
                            ("review:191", "S40"))
        reactions += _relax(p21, f"(1 + tumour.p21_max * pos(1 - {a}))", "tumour.kdeg_p21",
                            "p21 induced on IKZF loss (cell-cycle arrest)", ("review:72",))
        reactions += _relax(cd38, f"(1 + tumour.cd38_max * pos(1 - {a}))", "tumour.kdeg_cd38",
                            "CD38 raised on IKZF loss (interferon branch)", ("review:213", "S40"))
        assigns += [
            Assignment(f"prolif_{k}",
                       f"(tumour.net_growth * capacity_brake + tumour.death_basal"
                       f" + immune_kill_baseline) * {myc}"
                       f" / (1 + tumour.w_p21 * pos({p21} - 1)) * angiogenic_support",
                       "1/h", f"proliferation rate of the {label}", ("review:189", "review:72")),
            Assignment(f"direct_kill_{k}",
                       f"tumour.kill_irf4 * pos(1 - {irf4}) + tumour.kill_ifn * pos({ifnb} - 1)"
                       f" + tumour.kill_gspt1 * pos(1 - {substrate('GSPT1', k)})",
                       "1/h", f"drug-induced direct death rate of the {label}",
                       ("review:189", "review:191", "S36")),
        ]
    for clone in CLONES:
        n, k, label = clone.burden, clone.programme, clone.label
        species.append(Species(n, "1", f"patient.tumour_burden0 * {clone.share}",
                               f"tumour burden of the {label} (1 = total burden at baseline)"))
        immune = "immune_kill_patient"
        if clone.sensitivity != "patient.kill_sensitivity":
            immune = f"immune_kill_{clone.key}"
            assigns.append(Assignment(
                immune, f"pos(immune_kill_baseline + {clone.sensitivity}"
                " * (immune_kill - immune_kill_baseline))", "1/h",
                f"immune killing of the {label}: the untreated rate plus its share of the "
                "treatment-driven change"))
        reactions += [
            Reaction(f"{n}_proliferation", f"prolif_{k} * {n}", {n: 1},
                     f"proliferation of the {label}"),
            Reaction(f"{n}_basal_death", f"tumour.death_basal * {n}", {n: -1}, "basal death"),
            Reaction(f"{n}_direct_kill",
                     f"direct_kill_{k} * (1 - niche_protection) * {clone.sensitivity} * {n}",
                     {n: -1},
                     "apoptosis from IRF4 loss, the IFN programme and GSPT1 loss",
                     ("review:189", "review:191", "S40")),
            Reaction(f"{n}_immune_kill", f"{immune} * {n}", {n: -1},
                     "killing by CD8 T cells, NK cells and macrophages (the treatment-driven "
                     "change scaled by the clone's kill sensitivity)",
                     ("review:11", "review:12", "review:212", "review:223")),
        ]
    assigns += [
        Assignment("capacity_brake",
                   "pos(1 - tumour_burden / tumour.capacity) / (1 - 1 / tumour.capacity)", "1",
                   "logistic brake on net growth (1 at the baseline burden, 0 at capacity): it "
                   "limits the untreated excess of division over death, not gross division, so "
                   "an untreated tumour grows to its capacity whatever its turnover"),
        Assignment("immune_kill_baseline", "immune.k_ctl + immune.k_nk + immune.k_mac", "1/h",
                   "immune killing in the untreated patient (part of basal turnover)"),
        Assignment("tumour_presentation", "1 + immune.ifng_mhc * (IFNG - 1)", "1",
                   "MHC-I antigen presentation by tumour cells (IFN-gamma-inducible)",
                   ("review:198", "review:245")),
        Assignment("ctl_kill",
                   "immune.k_ctl * CD8_EFF * synapse_quality / (1 - patient.synapse_defect)"
                   " * tumour_presentation", "1/h",
                   "CD8 T-cell killing rate (antigen presentation and synapse dependent)",
                   ("review:184", "review:202", "review:244")),
        Assignment("nk_kill", "immune.k_nk * nk_cytotoxicity", "1/h", "NK killing rate",
                   ("review:212", "review:221", "review:222")),
        Assignment("mac_kill", "immune.k_mac * phagocytosis", "1/h",
                   "macrophage phagocytic killing rate", ("review:35",)),
        Assignment("immune_kill", "ctl_kill + nk_kill + mac_kill", "1/h",
                   "total immune killing rate of tumour cells"),
        Assignment("immune_kill_patient",
                   "pos(immune_kill_baseline + patient.kill_sensitivity"
                   " * (immune_kill - immune_kill_baseline))", "1/h",
                   "immune killing applied to this patient's tumour: the untreated rate plus "
                   "the treatment-driven change times the tumour's kill sensitivity"),
    ]
    assigns.append(Assignment("tumour_burden", " + ".join(c.burden for c in CLONES), "1",
                              "total tumour burden (1 = baseline)"))
    assigns.append(Assignment("resistant_share", "N_TumR / tumour_burden", "1",
                              "share of the burden in the CRBN-low resistant clone"))
    assigns.append(Assignment("escape_share", "N_TumX / tumour_burden", "1",
                              "share of the burden in the multi-resistant escape clone"))
    return Module("tumour", "Malignant B cell: direct IMiD effects and clonal selection.",
                  tuple(species), tuple(assigns), tuple(reactions),
                  refs=("review:189", "review:72", "review:191", "review:213"))


def readout_module() -> Module:
    """Clinical readouts: serum M-protein (myeloma), SPD (lymphoma), lymphocyte count (CLL)."""
    return Module(
        "readouts", "Clinical tumour readouts.",
        species=(Species("MPROTEIN", "g/dL", "patient.mprotein0",
                         "serum M-protein: made in proportion to burden, cleared as IgG",
                         ("T9", "T13")),),
        assignments=(
            Assignment("burden_rel", "tumour_burden / patient.tumour_burden0", "1",
                       "burden relative to baseline"),
            Assignment("SPD", "patient.spd0 * burden_rel ** 0.6667", "cm**2",
                       "sum of product diameters: cross-sectional area ~ volume^(2/3)"),
            Assignment("ALC", "patient.alc0 * burden_rel", "gcell/L",
                       "absolute lymphocyte count (CLL), proportional to burden"),
        ),
        reactions=(
            Reaction("mprotein_secretion",
                     "readout.mprotein_kel * patient.mprotein0 * burden_rel", {"MPROTEIN": 1},
                     "secretion by myeloma cells", ("T13",)),
            Reaction("mprotein_clearance", "readout.mprotein_kel * MPROTEIN", {"MPROTEIN": -1},
                     "IgG catabolism", ("T9",)),
        ),
    )
