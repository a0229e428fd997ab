"""The Table 2 / stroma coverage matrix is complete and every row's test exists."""

from __future__ import annotations

import re
from pathlib import Path

from imidsim.evidence.coverage import coverage_rows
from imidsim.simulation import build

TESTS = Path(__file__).resolve().parents[1]


def test_every_effect_maps_to_existing_model_terms() -> None:
    model, _ = build("myeloma")
    rows = coverage_rows(model)
    cells = [str(r["effect"]).split("/")[0] for r in rows]
    assert {c: cells.count(c) for c in set(cells)} == {
        "tcell": 6, "nk": 5, "macrophage": 3, "dendritic": 4, "stroma": 4}
    for r in rows:
        assert r["terms"], r["effect"]
        assert not r["missing_terms"], (r["effect"], r["missing_terms"])
        assert r["refs"], r["effect"]


def test_every_row_names_tests_that_exist() -> None:
    model, _ = build("myeloma")
    defined = set()
    for f in TESTS.rglob("test_*.py"):
        for name in re.findall(r"^def (test_\w+)", f.read_text(), flags=re.M):
            defined.add(f"{f.name}::{name}")
    for r in coverage_rows(model):
        assert r["tests"], r["effect"]
        for t in r["tests"]:
            assert t in defined, f"{r['effect']}: test {t} not found"
