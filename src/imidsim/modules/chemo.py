"""Proteasome inhibitors and cytotoxic chemotherapy: exposure-driven kill pulses.

Each drug's plasma concentration (closed-form PK, drugs.yaml) gives an Emax effect
``E = C / (C + EC50)``; tumour cells die at ``kill_max * E * sensitivity`` (sensitivity is the
disease's: proteasome inhibitors act mostly on plasma cells) and proliferating myeloid
progenitors at ``marrow_tox * E`` (the marrow module adds it to progenitor death).
"""

from __future__ import annotations

from imidsim.library.loader import drugs
from imidsim.model.core import Assignment, Module, Reaction
from imidsim.modules.exposure import conc_name
from imidsim.modules.tumour import CLONES

CLASSES = {"proteasome_inhibitor": "tumour.pi_sensitivity",
           "chemotherapy": "tumour.chemo_sensitivity"}


def cytotoxic_drugs() -> tuple[str, ...]:
    return tuple(d.name for d in drugs().values() if d.drug_class in CLASSES)


def chemo_module(names: tuple[str, ...] | None = None) -> Module:
    names = cytotoxic_drugs() if names is None else names
    assigns, reactions = [], []
    for d in names:
        sens = CLASSES[drugs()[d].drug_class]
        assigns.append(Assignment(f"{d}_effect", f"hill({conc_name(d)}, {d}.EC50, 1)", "1",
                                  f"{d} exposure effect", ("review:274",)))
        for k in CLONES:
            reactions.append(Reaction(
                f"{k.burden}_{d}_kill",
                f"{d}.kill_max * {d}_effect * {sens} * {k.sensitivity} * {k.burden}",
                {k.burden: -1},
                f"{d}-induced tumour-cell death", ("review:274", "review:306")))
    return Module("chemotherapy", "Proteasome inhibitors and cytotoxic chemotherapy.", (),
                  tuple(assigns), tuple(reactions))


def marrow_toxicity_terms(names: tuple[str, ...] | None = None) -> tuple[str, ...]:
    names = cytotoxic_drugs() if names is None else names
    return tuple(f"{d}.marrow_tox * {d}_effect" for d in names)
