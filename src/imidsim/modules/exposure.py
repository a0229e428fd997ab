"""Drug exposure inputs: plasma concentrations supplied in closed form by the PK layer."""

from __future__ import annotations

from imidsim.library.loader import small_molecules
from imidsim.model.core import Input, Module


def conc_name(drug: str) -> str:
    """Model input holding ``drug``'s plasma (or medium) concentration in uM."""
    return f"C_{drug}"


def exposure_module(drugs: tuple[str, ...] | None = None) -> Module:
    drugs = small_molecules() if drugs is None else drugs
    return Module(
        name="exposure",
        description="Plasma or in-vitro medium concentration of each CRBN modulator (uM).",
        inputs=tuple(Input(conc_name(d), "uM", f"{d} concentration") for d in drugs),
        refs=("data:pkpd_reference",),
    )
