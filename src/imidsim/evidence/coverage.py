"""Coverage matrix: each Table 2 / section 3.2.5 effect -> model terms -> references -> tests."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

from imidsim.evidence.tables import table2
from imidsim.model.core import Model


@cache
def _coverage() -> dict[str, dict[str, Any]]:
    return yaml.safe_load(resources.files("imidsim.evidence").joinpath("coverage.yaml")
                          .read_text())


def model_names(model: Model) -> set[str]:
    """Every name a coverage row may point at: species, assignments and reactions."""
    return {*model.species_names, *model.assignment_names, *(r.name for r in model.reactions)}


def coverage_rows(model: Model) -> list[dict[str, object]]:
    """One row per effect with its terms, which of them the model lacks, refs and tests."""
    cov = _coverage()
    names = model_names(model)
    rows = []
    for eff in table2():
        if "-C" in eff.id:  # rational combinations are the combination layer's business
            continue
        key = f"{eff.cell}/{eff.id}"
        entry = cov.get(key, {"terms": [], "tests": []})
        terms = list(entry["terms"])
        rows.append({
            "effect": key, "text": eff.text, "refs": [f"review:{r}" for r in eff.refs],
            "terms": terms, "missing_terms": [t for t in terms if t not in names],
            "tests": list(entry["tests"]),
        })
    return rows
