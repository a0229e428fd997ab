"""CAR-T cellular kinetics: antigen-driven expansion, contraction to memory, persistence.

Following the shape of Stein 2019 / Kirouac 2023 (U49, U54), effector CAR-T cells ``E`` expand
while their antigen is present and contract as it is cleared; a small share converts to
long-lived memory ``M``::

    dE/dt = E (k_exp * s * boost - k_con - k_mem),  s = L / (L + K_ag)
    dM/dt = k_mem E - k_mdecay M

``L`` is the tumour's target-antigen load relative to baseline. Lenalidomide degrades
Ikaros/Aiolos in the CAR-T cells (they are T cells) and enhances expansion, cytotoxicity and
synapse formation (review refs 207, 208, 73; claim C3): ``boost = 1 + len_gain * D_T`` and the
kill uses the T-cell synapse quality. A CRS marker follows antigen-driven activation.
"""

from __future__ import annotations

from imidsim.library.agents import Agent
from imidsim.model.core import Assignment, Module, Reaction, Species
from imidsim.modules.antibodies import antigen_expr, tumour_antigen_load
from imidsim.modules.tumour import CLONES


def effector(agent: str) -> str:
    """Species that receives a CAR-T infusion (cells)."""
    return f"{agent}_E"


def cart_module(agents: tuple[Agent, ...]) -> Module:
    species: list[Species] = []
    assigns: list[Assignment] = []
    reactions: list[Reaction] = []
    for ag in agents:
        a, refs = ag.name, ag.refs
        e, m = effector(a), f"{a}_M"
        load = tumour_antigen_load(ag.target)
        species += [Species(e, "cell", 0.0, f"{ag.label} effector cells", refs),
                    Species(m, "cell", 0.0, f"{ag.label} memory cells", refs)]
        assigns += [
            Assignment(f"{a}_antigen_load", load, "1", f"{ag.target} load seen by {ag.label}"),
            Assignment(f"{a}_stimulation", f"{a}_antigen_load / ({a}_antigen_load + {a}.K_ag)",
                       "1", "antigen stimulation of CAR-T expansion", refs),
            Assignment(f"{a}_boost", "1 + cart.len_gain * derepression_T", "1",
                       "IMiD enhancement of CAR-T expansion", ("review:207", "review:208",
                                                               "review:73")),
            Assignment(f"{a}_cells_rel", f"({e} + cart.mem_kill * {m}) / cart.ref_cells", "1",
                       "cytotoxic CAR-T cells relative to the reference level"),
            Assignment(f"{a}_crs_index", f"{e} * {a}_stimulation / cart.ref_cells", "1",
                       "cytokine-release marker (activated CAR-T cells)", ("review:299",)),
        ]
        reactions += [
            Reaction(f"{e}_expansion", f"{a}.k_exp * {a}_stimulation * {a}_boost * {e}", {e: 1},
                     "antigen-driven expansion", refs),
            Reaction(f"{e}_contraction", f"{a}.k_con * {e}", {e: -1}, "contraction", refs),
            Reaction(f"{e}_to_memory", f"{a}.k_mem * {e}", {e: -1, m: 1}, "memory formation",
                     refs),
            Reaction(f"{m}_decay", f"{a}.k_mdecay * {m}", {m: -1}, "memory attrition", refs),
        ]
        for clone in CLONES:
            name = f"{a}_kill_{clone.key}"
            assigns.append(Assignment(
                name, f"cart.k_kill * {a}.potency * {a}_cells_rel * "
                f"{antigen_expr(ag.target, clone.programme)}"
                " * synapse_quality / (1 - patient.synapse_defect)", "1/h",
                f"killing by {ag.label}", ("review:207", "review:208", *refs)))
            reactions.append(Reaction(f"{clone.burden}_{a}_kill",
                                      f"{name} * {clone.sensitivity} * {clone.burden}",
                                      {clone.burden: -1}, f"killing by {ag.label}", refs))
    return Module("car_t", "CAR-T cellular kinetics and killing.", tuple(species),
                  tuple(assigns), tuple(reactions))
