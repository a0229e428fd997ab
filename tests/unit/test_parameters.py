"""Every parameter has a parsable unit, resolvable sources and a status; derived values agree
with their formulas; assumed parameters are counted and listed."""

from __future__ import annotations

import math

import pytest

from imidsim.errors import ModelError
from imidsim.evidence.registry import validate_key
from imidsim.library.loader import base_parameters, diseases
from imidsim.model.expr import parse, to_code
from imidsim.model.parameter import Status
from imidsim.simulation import build
from imidsim.units import parse_unit


def all_records():
    recs = list(base_parameters().values())
    for d in diseases().values():
        recs += list(d.parameters)
    return recs


def test_every_parameter_has_unit_source_and_status() -> None:
    recs = all_records()
    assert len(recs) > 100
    for r in recs:
        parse_unit(r.unit)
        assert isinstance(r.status, Status)
        assert r.source, r.name
        for key in r.source:
            validate_key(key)  # raises EvidenceError for an unknown key
        if r.status in (Status.ASSUMED, Status.CALIBRATED):
            assert len(r.note) > 15, f"{r.name}: say why ({r.status.value})"


def test_derived_formulas_reproduce_their_values() -> None:
    ps = base_parameters()
    values = {n: ps.value(n) for n in ps}
    checked = 0
    for r in all_records():
        if r.status is not Status.DERIVED and not r.formula:
            continue
        try:
            expr = parse(r.formula)
        except ModelError:
            continue  # a formula in words (e.g. a root of an equation); stated in the note
        code = to_code(expr, lambda n: f"V[{n!r}]")
        got = eval(code, {"math": math, "V": values})
        assert got == pytest.approx(r.value, rel=2e-3), r.name
        checked += 1
    assert checked >= 10


def test_model_reads_only_recorded_parameters() -> None:
    model, _ = build("myeloma")
    for n in model.parameter_names:
        assert n in model.parameters


def test_assumed_parameters_are_a_visible_counted_list(capsys) -> None:
    import json

    from typer.testing import CliRunner

    from imidsim.cli import app

    res = CliRunner().invoke(app, ["params", "--json"])
    assert res.exit_code == 0
    data = json.loads(res.stdout)
    names = {p["name"] for p in data["parameters"]}
    assert "lenalidomide.CL" in names and "crbn.kcat" in names
    assumed = [p for p in data["parameters"] if p["status"] == "assumed"]
    assert data["counts"]["assumed"] == len(assumed) == len(data["assumed"])
    for p in data["parameters"]:
        assert set(p) >= {"name", "value", "unit", "source", "status"}
