"""Bone marrow: neutrophil and platelet production under CRBN-modulator treatment.

Each lineage ``L`` (``N`` neutrophils, ``P`` platelets) is a Friberg transit-compartment
chain (T19, T20): a proliferating pool, three maturation compartments and the circulating
pool, all relative to baseline (1 = untreated)::

    ktr_L       = 4 / MTT_L
    dProl_L/dt  = ktr_L Prol_L (1 - E_mat_L) (1 / Circ_L)^gamma_L - ktr_L Prol_L - E_tox Prol_L
    dTr1_L/dt   = ktr_L (Prol_L - Tr1_L)
    dTr2_L/dt   = ktr_L (Tr1_L - Tr2_L)
    dTr3_L/dt   = ktr_L (Tr2_L - Tr3_L)
    dCirc_L/dt  = ktr_L (Tr3_L - Circ_L)

The drug effect is mechanistic, not an Emax on plasma concentration. Loss of Ikaros in
myeloid progenitors (``IKZF1_Prog``, from the CRBN glue) lowers PU.1 and arrests
maturation (S72/T25; the avadomide QSP model of T23 uses the same chain), which removes
effective production::

    E_mat_L = min(1, mat_max_L * S * pos(1 - IKZF1_Prog))
    S       = marrow_sensitivity * (1 + (pretreated_sensitivity - 1) * heavily_pretreated)

``S`` is the patient's marrow sensitivity: a lognormal per-patient multiplier (median 1)
times a population covariate for heavily pretreated marrow (>= 3 prior lines, alkylators,
autologous transplant: less marrow reserve).

GSPT1 loss (CC-885) is broadly cytotoxic and kills proliferating progenitors. CK1alpha loss
adds p53-driven precursor death: lenalidomide, but not pomalidomide, expands Trp53-mutant
HSPCs through CK1alpha degradation (review ref 171), so CK1alpha loss costs normal
progenitors their fitness through p53 (far less than in CSNK1A1-haploinsufficient del(5q)
cells, review refs 80, 186, 187)::

    E_tox = S * (gspt1_kill pos(1 - GSPT1_Prog) + ck1a_kill pos(1 - CK1a_Prog))

The IKZF1 arrest, the CK1alpha death and the covariate are fitted jointly to seven grade 3-4
neutropenia rates (lenalidomide 25 mg + dex, S10 and MM-009; lenalidomide 30 mg, S11;
pomalidomide with and without dex, MM-002 and STRATUS; avadomide 3 mg, S29;
scripts/calibrate_marrow.py): CK1alpha is what ranks lenalidomide 30 mg above pomalidomide
4 mg, although pomalidomide removes more progenitor Ikaros.

Dexamethasone raises the circulating neutrophil count by demargination and release from the
marrow storage pool; it does not change production::

    ANC = anc0 * Circ_N * (1 + dex_demargination * dex_effect)     [10^9 cells/L]
    PLT = plt0 * Circ_P                                             [10^9 cells/L]

CRBN knockout in progenitors (``crbn.level_Prog = 0``) leaves every substrate at 1, so
E_mat = E_tox = 0 and only the dexamethasone demargination remains.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from imidsim.model.core import Assignment, Module, Reaction, Species
from imidsim.model.parameter import ParameterSet
from imidsim.modules.crbn import substrate

LINEAGES = (("N", "neutrophil", "marrow.mat_max_N"), ("P", "platelet", "marrow.mat_max_P"))
TRANSIT = ("Tr1", "Tr2", "Tr3")
FRIBERG_REFS = ("T19", "T20")
MECHANISM_REFS = ("S72", "T25", "T23")
TOXICITY_REFS = ("review:170", "review:121")


def _lineage(key: str, label: str, mat_max: str) -> tuple[list[Species], list[Assignment],
                                                            list[Reaction]]:
    prol, circ = f"Prol_{key}", f"Circ_{key}"
    chain = [prol, *(f"{t}_{key}" for t in TRANSIT), circ]
    ktr, e_mat, fb = f"marrow_ktr_{key}", f"E_mat_{key}", f"marrow_feedback_{key}"
    species = [Species(prol, "1", 1.0, f"proliferating {label} precursors (1 = baseline)",
                       FRIBERG_REFS)]
    species += [Species(f"{t}_{key}", "1", 1.0,
                        f"{label} maturation compartment {i + 1} of 3 (1 = baseline)",
                        FRIBERG_REFS) for i, t in enumerate(TRANSIT)]
    species.append(Species(circ, "1", 1.0, f"circulating {label}s (1 = baseline)",
                           FRIBERG_REFS))
    assigns = [
        Assignment(ktr, f"4 / marrow.mtt_{key}", "1/h",
                   f"{label} transit rate constant, 4 / mean transit time", FRIBERG_REFS),
        Assignment(e_mat,
                   f"min(1, {mat_max} * marrow_sensitivity_eff * marrow_ikzf1_loss)", "1",
                   f"fractional loss of effective {label} production from IKZF1-driven "
                   "maturation arrest", MECHANISM_REFS),
        Assignment(fb, f"(1 / max({circ}, 1e-6)) ** marrow.gamma_{key}", "1",
                   f"homeostatic feedback of circulating {label}s on proliferation "
                   "(Circ0 / Circ)^gamma", FRIBERG_REFS),
    ]
    reactions = [
        Reaction(f"{prol}_proliferation", f"{ktr} * (1 - {e_mat}) * {fb} * {prol}", {prol: 1},
                 f"{label} precursor proliferation, braked by maturation arrest and raised by "
                 "feedback", (*FRIBERG_REFS, *MECHANISM_REFS)),
        Reaction(f"{prol}_drug_toxicity", f"marrow_progenitor_tox * {prol}", {prol: -1},
                 f"death of proliferating {label} precursors from GSPT1 (and CK1alpha) loss",
                 ("S36",)),
    ]
    for src, dst in pairwise(chain):
        reactions.append(Reaction(f"{src}_to_{dst}", f"{ktr} * {src}", {src: -1, dst: 1},
                                  f"{label} maturation {src} -> {dst}", FRIBERG_REFS))
    reactions.append(Reaction(f"{circ}_elimination", f"{ktr} * {circ}", {circ: -1},
                              f"removal of circulating {label}s (Friberg: rate ktr)",
                              FRIBERG_REFS))
    return species, assigns, reactions


def marrow_module(extra_tox: tuple[str, ...] = ()) -> Module:
    """Marrow; ``extra_tox`` adds progenitor death-rate terms (1/h, e.g. chemotherapy)."""
    extra = "".join(f" + {e}" for e in extra_tox)
    species: list[Species] = []
    assigns: list[Assignment] = [
        Assignment("marrow_sensitivity_eff",
                   "patient.marrow_sensitivity * (1 + (marrow.pretreated_sensitivity - 1)"
                   " * patient.heavily_pretreated)", "1",
                   "patient's marrow sensitivity to drug effects, with the heavily-pretreated "
                   "covariate", ("S11", "imidsim:calibration")),
        Assignment("marrow_ikzf1_loss", f"pos(1 - {substrate('IKZF1', 'Prog')})", "1",
                   "Ikaros lost from myeloid progenitors (0 untreated, 1 complete)",
                   MECHANISM_REFS),
        Assignment("marrow_progenitor_tox",
                   f"marrow_sensitivity_eff * (marrow.gspt1_kill * "
                   f"pos(1 - {substrate('GSPT1', 'Prog')}) + marrow.ck1a_kill * "
                   f"pos(1 - {substrate('CK1a', 'Prog')})){extra}", "1/h",
                   "death rate of proliferating precursors from GSPT1 and CK1alpha loss",
                   ("S36", "review:80", "review:186", "review:187")),
    ]
    reactions: list[Reaction] = []
    for key, label, mat_max in LINEAGES:
        s, a, r = _lineage(key, label, mat_max)
        species += s
        assigns += a
        reactions += r
    assigns += [
        Assignment("ANC", "patient.anc0 * Circ_N * (1 + marrow.dex_demargination * dex_effect)",
                   "gcell/L", "absolute neutrophil count, with dexamethasone demargination",
                   (*FRIBERG_REFS, *TOXICITY_REFS)),
        Assignment("PLT", "patient.plt0 * Circ_P", "gcell/L", "platelet count",
                   (*FRIBERG_REFS, *TOXICITY_REFS)),
    ]
    return Module(
        "marrow",
        "Bone marrow: Friberg myelosuppression driven by IKZF1/GSPT1 loss in progenitors.",
        species=tuple(species), assignments=tuple(assigns), reactions=tuple(reactions),
        refs=(*FRIBERG_REFS, *MECHANISM_REFS, *TOXICITY_REFS),
    )


def _lognormal(rng: np.random.Generator, median: float, cv: float, n: int) -> np.ndarray:
    sdlog = float(np.sqrt(np.log1p(cv * cv)))
    return median * np.exp(sdlog * rng.standard_normal(n))


def marrow_population(n: int, *, seed: int = 20261, pretreated_fraction: float = 0.0,
                      params: ParameterSet | None = None) -> dict[str, np.ndarray]:
    """A virtual population's marrow covariates, as ``patients=`` columns for a simulation.

    ``patient.anc0`` and ``patient.plt0`` are lognormal around their typical values with the
    CVs ``marrow.pop_cv_anc0`` / ``marrow.pop_cv_plt0``; ``patient.marrow_sensitivity`` is
    lognormal with median 1 and CV ``marrow.pop_cv_sensitivity``. Exactly
    ``round(pretreated_fraction * n)`` randomly chosen patients are heavily pretreated
    (``patient.heavily_pretreated = 1``). The same ``seed`` gives the same draws whatever
    ``pretreated_fraction`` is, so two populations differ only in the covariate.
    """
    if params is None:
        from imidsim.library.loader import parameters_for

        params = parameters_for("myeloma")
    if not 0.0 <= pretreated_fraction <= 1.0:
        raise ValueError(f"pretreated_fraction must lie in [0, 1], got {pretreated_fraction}")
    rng = np.random.default_rng(seed)
    anc0 = _lognormal(rng, params.value("patient.anc0"), params.value("marrow.pop_cv_anc0"), n)
    plt0 = _lognormal(rng, params.value("patient.plt0"), params.value("marrow.pop_cv_plt0"), n)
    sens = _lognormal(rng, 1.0, params.value("marrow.pop_cv_sensitivity"), n)
    flag = np.zeros(n)
    flag[rng.permutation(n)[: round(pretreated_fraction * n)]] = 1.0
    return {"patient.anc0": anc0, "patient.plt0": plt0, "patient.marrow_sensitivity": sens,
            "patient.heavily_pretreated": flag}
