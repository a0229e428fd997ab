"""The CRL4^CRBN molecular glue in each cell type.

Drug binding to CRBN is fast next to protein turnover, so binary (CRBN.drug) occupancy is in
rapid equilibrium with competition between drugs::

    occ_d = (C_d / Kd_d) / (1 + sum_j C_j / Kd_j)

In a cell context ``c`` with functional CRBN ``E_c`` (expression x (1 - binding-loss
mutation)), CRBN.drug complexes recruit neosubstrates with a drug- and substrate-specific
ternary efficiency ``a_ds`` (times the drug's CRBN closure for the zinc-finger degrons IKZF1,
IKZF3 and SALL4, since only closed CRBN binds Ikaros). Substrates compete for the complex::

    ternary_dsc = E_c occ_d (a_ds S_sc / Km) / (1 + sum_s' a_ds' S_s'c / Km)

Ubiquitination and proteasomal degradation remove substrate at ``kcat * ternary`` and return
CRBN.drug to the pool (catalytic recycling). Every substrate is made at its basal turnover
rate, so its untreated level is 1. Total CRBN is conserved exactly:
free + binary + ternary = E_c. A degron-mutant fraction ``m`` of a substrate is never
recognised. Pomalidomide's CRBN-independent ZAP-70 branch is an NK-cell input.
"""

from __future__ import annotations

from dataclasses import dataclass

from imidsim.library.loader import CRBN_DRUGS
from imidsim.model.core import Assignment, Module, Reaction, Species
from imidsim.modules.exposure import conc_name

ZINC_FINGER = frozenset({"IKZF1", "IKZF3", "SALL4"})


@dataclass(frozen=True)
class CellContext:
    """A cell type (or tumour subclone) with its own CRBN level and neosubstrates."""

    key: str
    label: str
    substrates: tuple[str, ...]
    crbn: str  # expression for functional CRBN (relative)
    degron_mutation: dict[str, str]  # substrate -> expression of its non-degradable fraction


TUMOUR_CRBN = "patient.crbn_level * (1 - patient.crbn_mutation)"
TUMOUR_DEGRON = {"IKZF1": "patient.degron_mut_IKZF1", "IKZF3": "patient.degron_mut_IKZF3"}

CONTEXTS: tuple[CellContext, ...] = (
    CellContext("TumS", "tumour, sensitive clone", ("IKZF1", "IKZF3", "CK1a", "GSPT1"),
                TUMOUR_CRBN, TUMOUR_DEGRON),
    CellContext("TumR", "tumour, CRBN-low resistant clone", ("IKZF1", "IKZF3", "CK1a", "GSPT1"),
                f"{TUMOUR_CRBN} * tumour.resistant_crbn_factor", TUMOUR_DEGRON),
    CellContext("T", "T cells", ("IKZF1", "IKZF3"), "crbn.level_T * (1 - crbn.mutation_T)", {}),
    CellContext("NK", "NK cells", ("IKZF1", "IKZF3"), "crbn.level_NK", {}),
    CellContext("Mac", "macrophages", ("IKZF1",), "crbn.level_Mac", {}),
    CellContext("Prog", "myeloid progenitors", ("IKZF1", "CK1a", "GSPT1", "SALL4"),
                "crbn.level_Prog", {}),
    CellContext("B", "normal peripheral B cells", ("IKZF1", "IKZF3"), "crbn.level_B", {}),
    CellContext("DC", "dendritic cells", ("IKZF1",), "crbn.level_DC", {}),
)


def substrate(s: str, ctx: str) -> str:
    """Species name of neosubstrate ``s`` (relative level) in context ``ctx``."""
    return f"{s}_{ctx}"


def occupancy(drug: str) -> str:
    return f"crbn_occ_{drug}"


def crbn_module(drugs: tuple[str, ...] = CRBN_DRUGS,
                contexts: tuple[CellContext, ...] = CONTEXTS) -> Module:
    assigns: list[Assignment] = []
    species: list[Species] = []
    reactions: list[Reaction] = []
    binding = " + ".join(f"{conc_name(d)} / {d}.Kd" for d in drugs)
    assigns.append(Assignment("crbn_free_frac", f"1 / (1 + {binding})", "1",
                              "fraction of CRBN with no drug bound", ("review:173",)))
    for d in drugs:
        assigns.append(Assignment(occupancy(d), f"({conc_name(d)} / {d}.Kd) * crbn_free_frac",
                                  "1", f"fraction of CRBN bound by {d} (binary + ternary)",
                                  ("review:180", "review:181")))
    subs = sorted({s for c in contexts for s in c.substrates})
    for d in drugs:
        for s in subs:
            gate = f" * {d}.closure" if s in ZINC_FINGER else ""
            assigns.append(Assignment(f"aeff_{d}_{s}", f"{d}.a_{s}{gate}", "1",
                                      f"effective ternary efficiency of {d} for {s}", ("S33",)))
    for c in contexts:
        assigns.append(Assignment(f"crbn_{c.key}", c.crbn, "1",
                                  f"functional CRBN in {c.label} (relative)", ("S46",)))
        free_sub = {}
        for s in c.substrates:
            m = c.degron_mutation.get(s)
            free_sub[s] = f"pos({substrate(s, c.key)} - {m})" if m else substrate(s, c.key)
        for d in drugs:
            load = " + ".join(f"aeff_{d}_{s} * {free_sub[s]} / crbn.Km" for s in c.substrates)
            assigns.append(Assignment(
                f"crbnD_{c.key}_{d}", f"crbn_{c.key} * {occupancy(d)} / (1 + {load})", "1",
                f"CRBN.{d} binary complex (not holding substrate) in {c.label}"))
        for s in c.substrates:
            tern = " + ".join(f"crbnD_{c.key}_{d} * aeff_{d}_{s}" for d in drugs)
            assigns.append(Assignment(
                f"ternary_{s}_{c.key}", f"({tern}) * {free_sub[s]} / crbn.Km", "1",
                f"CRBN.drug.{s} ternary complexes in {c.label} (fraction of total CRBN)",
                ("review:14", "review:56")))
            sp = substrate(s, c.key)
            species.append(Species(sp, "1", 1.0, f"{s} level in {c.label} (1 = untreated)"))
            reactions += [
                Reaction(f"{sp}_synthesis", f"crbn.kdeg0_{s}", {sp: 1},
                         f"basal synthesis of {s}"),
                Reaction(f"{sp}_turnover", f"crbn.kdeg0_{s} * {sp}", {sp: -1},
                         f"basal degradation of {s}"),
                Reaction(f"{sp}_glue_degradation", f"crbn.kcat * ternary_{s}_{c.key}", {sp: -1},
                         f"drug-induced ubiquitination and proteasomal degradation of {s}",
                         ("review:14", "review:56", "review:88", "review:182", "review:183")),
            ]
        binary = " + ".join(f"crbnD_{c.key}_{d}" for d in drugs)
        terns = " + ".join(f"ternary_{s}_{c.key}" for s in c.substrates)
        assigns += [
            Assignment(f"crbn_binary_{c.key}", binary, "1", f"CRBN.drug binary in {c.label}"),
            Assignment(f"crbn_ternary_{c.key}", terns, "1", f"all ternary complexes in {c.label}"),
            Assignment(f"crbn_total_{c.key}",
                       f"crbn_{c.key} * crbn_free_frac + crbn_binary_{c.key} + "
                       f"crbn_ternary_{c.key}", "1",
                       f"free + binary + ternary CRBN in {c.label} (conserved: equals crbn_"
                       f"{c.key})"),
        ]
    return Module(
        name="crbn",
        description="CRBN molecular glue: binding, ternary complexes, degradation, recycling.",
        species=tuple(species), assignments=tuple(assigns), reactions=tuple(reactions),
        refs=("review:173", "review:13", "S33", "S37"),
    )
