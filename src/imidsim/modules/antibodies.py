"""Antibodies, bispecific T-cell engagers and checkpoint inhibitors as ODE modules.

PK (review section 4; parameters in agents.yaml): two-compartment amounts (mg) with linear
clearance plus target-mediated elimination that scales with the antigen load the tumour
carries (so clearance falls as the target is depleted)::

    dA1/dt = -(CL + Q)/V1 A1 + Q/V2 A2 - Vmax L C/(Km + C),   C = A1/V1
    dA2/dt = Q/V1 A1 - Q/V2 A2

with ``L`` the tumour antigen load relative to baseline (times, for agents whose popPK has a
time-varying target-mediated clearance, the still-active share of the sink, which declines at
``kdes`` while the antibody is bound). Target engagement is
``occ = C / (C + KD)``. Each mechanism kills tumour cells in proportion to occupancy, the
clone's antigen density (CD38 rises with IKZF loss) and the effector capacity the IMiD layer
sets — so an IMiD changes the combination's result by mechanism, with no synergy constant:

* ADCC: ``ab.k_adcc * agent.adcc * adcc_capacity * 2 x / (x + EC50_CD16)`` with the CD16
  signal ``x = occ * antigen``: NK capacity times a saturating trigger whose threshold the IMiD
  lowers (S41: NK cells respond to lower rituximab doses), mattering most for dim antigen;
* ADCP: ``ab.k_adcp * agent.adcp * occ * antigen * adcp_capacity`` (macrophages);
* CDC and direct death: complement or antibody alone, no effector cells;
* T-cell engagers: ``ab.k_tce * agent.tce * occ * antigen * T effectors * synapse quality``;
* anti-CD38 fratricide of CD38+ NK cells; elotuzumab's SLAMF7-mediated NK activation;
* checkpoint blockade sets PD-1 occupancy and an immune-toxicity hazard that IMiD-activated
  T cells raise (KEYNOTE-183/185).
"""

from __future__ import annotations

from imidsim.library.agents import Agent
from imidsim.model.core import Assignment, Module, Reaction, Species
from imidsim.modules.tumour import CLONES

TUMOUR_ANTIGENS = ("CD20", "CD38", "CD19", "BCMA", "SLAMF7", "CD23")
B_CELL_ANTIGENS = ("CD20", "CD19")  # also carried by normal B cells (an antigen sink)
CAPACITY = {"adcc": "adcc_capacity", "adcp": "adcp_capacity", "cdc": "1", "direct": "1"}
MECH_REFS = {"adcc": ("review:62", "review:250"), "adcp": ("review:224", "review:226"),
             "cdc": ("review:264",), "direct": ("review:264",)}


def central(agent: str) -> str:
    """Species holding the agent's central amount (dose boluses go here)."""
    return f"{agent}_C"


def antigen_expr(target: str, clone: str) -> str:
    """Surface antigen density of a tumour clone (CD38 follows the IKZF-driven rise)."""
    base = f"antigen.{target}"
    return f"{base} * CD38_{clone}" if target == "CD38" else base


def tumour_antigen_load(target: str) -> str:
    """Antigen on all tumour clones relative to the untreated baseline burden."""
    total = " + ".join(f"{c.burden} * {antigen_expr(target, c.programme)}" for c in CLONES)
    return f"({total}) / (patient.tumour_burden0 * antigen.{target} + 1e-12)"


def antibody_module(agents: tuple[Agent, ...]) -> Module:
    species: list[Species] = []
    assigns: list[Assignment] = []
    reactions: list[Reaction] = []
    for ag in agents:
        a = ag.name
        refs = ag.refs
        c1, c2 = central(a), f"{a}_P"
        species += [Species(c1, "mg", 0.0, f"{ag.label}, central amount", refs),
                    Species(c2, "mg", 0.0, f"{ag.label}, peripheral amount", refs)]
        conc, occ = f"{a}_conc", f"{a}_occupancy"
        assigns += [
            Assignment(conc, f"{c1} / {a}.V1", "mg/L", f"{ag.label} serum concentration", refs),
            Assignment(occ, f"{conc} / ({conc} + {a}.KD)", "1",
                       f"{ag.label} target engagement", refs),
        ]
        reactions += [
            Reaction(f"{a}_clearance", f"{a}.CL / {a}.V1 * {c1}", {c1: -1},
                     "linear (FcRn-protected) clearance", refs),
            Reaction(f"{a}_distribution", f"{a}.Q / {a}.V1 * {c1}", {c1: -1, c2: 1},
                     "distribution to the periphery", refs),
            Reaction(f"{a}_redistribution", f"{a}.Q / {a}.V2 * {c2}", {c2: -1, c1: 1},
                     "return from the periphery", refs),
        ]
        if ag.target in TUMOUR_ANTIGENS:
            load = tumour_antigen_load(ag.target)
            if ag.target in B_CELL_ANTIGENS:
                load = f"(1 - bcell.sink_share) * {load} + bcell.sink_share * BCELL"
            assigns.append(Assignment(f"{a}_target_load", load, "1",
                                      f"{ag.target} antigen load relative to baseline", refs))
            sink = f"{a}_target_load"
            if any(p.name == f"{a}.kdes" for p in ag.parameters):
                # popPK: target-mediated CL declines with time on antibody (kdes, e.g. U9's
                # 0.04/day for rituximab: antigen modulation beyond depletion); killing is
                # unaffected — only the clearance sink decays, while the antibody is bound
                avail = f"{a}_sink_available"
                species.append(Species(avail, "1", 1.0,
                                       f"share of the {ag.target} clearance sink still active",
                                       refs))
                reactions.append(Reaction(f"{avail}_decline", f"{a}.kdes * {occ} * {avail}",
                                          {avail: -1}, "time-varying target-mediated CL", refs))
                sink = f"{sink} * {avail}"
            reactions.append(Reaction(
                f"{a}_target_mediated_clearance",
                f"{a}.Vmax * {sink} * {conc} / ({a}.Km + {conc})", {c1: -1},
                "target-mediated elimination (antigen sink)", refs))
            mechs = [m for m in ("adcc", "adcp", "cdc", "direct") if ag.has(m)]
            for clone in CLONES:
                k = clone.key
                terms = []
                for m in mechs:
                    name = f"{a}_{m}_kill_{k}"
                    signal = f"{occ} * {antigen_expr(ag.target, clone.programme)}"
                    if m == "adcc":
                        signal = f"2 * ({signal}) / ({signal} + nk_cd16_ec50)"
                    assigns.append(Assignment(
                        name, f"ab.k_{m} * {a}.{m} * {signal} * {CAPACITY[m]}", "1/h",
                        f"{m.upper()} by {ag.label}", MECH_REFS[m] + refs))
                    terms.append(name)
                if ag.has("t_cell_engager"):
                    name = f"{a}_tce_kill_{k}"
                    assigns.append(Assignment(
                        name, f"ab.k_tce * {a}.tce * {occ} * "
                        f"{antigen_expr(ag.target, clone.programme)}"
                        " * t_effectors * synapse_quality / (1 - patient.synapse_defect)", "1/h",
                        f"T-cell redirection by {ag.label}", ("review:209", "review:284", *refs)))
                    terms.append(name)
                if terms:
                    assigns.append(Assignment(f"{a}_kill_{k}", " + ".join(terms), "1/h",
                                              f"tumour killing by {ag.label}", refs))
                    reactions.append(Reaction(
                        f"{clone.burden}_{a}_kill",
                        f"{a}_kill_{k} * {clone.sensitivity} * {clone.burden}",
                        {clone.burden: -1}, f"killing by {ag.label}", refs))
        if ag.has("nk_fratricide"):
            reactions.append(Reaction(f"NK_{a}_fratricide",
                                      f"ab.k_fratricide * {a}.fratricide * {occ} * NK", {"NK": -1},
                                      "NK cells express CD38: anti-CD38 fratricide",
                                      ("review:213", *refs)))
    return Module("antibodies", "Antibodies, bispecifics and checkpoint inhibitors.",
                  tuple(species), tuple(assigns), tuple(reactions))


def bcell_kill_terms(agents: tuple[Agent, ...]) -> tuple[str, ...]:
    """Rates at which anti-CD20/CD19 antibodies and engagers deplete circulating normal B cells
    (fast: blood B cells vanish within days of the first dose)."""
    return tuple(f"bcell.k_depletion * {ag.name}_occupancy" for ag in agents
                 if ag.target in B_CELL_ANTIGENS and ag.agent_class != "car_t")


def checkpoint_expr(agents: tuple[Agent, ...]) -> str:
    """PD-1 axis blockade from the experiment input and any checkpoint antibody present."""
    terms = "".join(f" * (1 - {a.name}_occupancy)" for a in agents if a.has("checkpoint"))
    return f"1 - (1 - intervention.pd1_blockade){terms}"


def nk_activation_terms(agents: tuple[Agent, ...]) -> tuple[str, ...]:
    """Extra NK activation (e.g. elotuzumab engaging SLAMF7 on NK cells)."""
    return tuple(f"{a.name}.nk_act * {a.name}_occupancy" for a in agents
                 if a.has("nk_activation"))


def irae_module() -> Module:
    """Immune-related toxicity hazard under checkpoint blockade (claim C4)."""
    return Module(
        "immune_toxicity", "Cumulative hazard of immune-related adverse events.",
        species=(Species("IRAE_HAZARD", "1", 0.0, "cumulative immune-toxicity hazard",
                         ("trial:KEYNOTE-183", "review:295", "review:296")),),
        assignments=(Assignment("irae_risk", "1 - exp(-IRAE_HAZARD)", "1",
                                "probability of a serious immune-related event so far",
                                ("review:295", "review:296")),),
        reactions=(Reaction("irae_accrual",
                            "checkpoint.irae_rate * pd1_blockade * (1 + checkpoint.irae_imid"
                            " * pos(IL2 - 1))", {"IRAE_HAZARD": 1},
                            "hazard grows with PD-1 blockade, more so with IMiD-activated T cells",
                            ("review:295", "review:296")),),
    )
