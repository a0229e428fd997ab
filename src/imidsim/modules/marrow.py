"""Bone marrow: neutrophil and platelet production (placeholder until the marrow module lands)."""

from __future__ import annotations

from imidsim.model.core import Module


def marrow_module() -> Module:
    return Module("marrow", "placeholder")
