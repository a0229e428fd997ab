"""The declarative core: expressions, unit checks at assembly, parameter records."""

from __future__ import annotations

import pytest

from imidsim.errors import ModelError, ParameterError, UnitError
from imidsim.model import (
    Assignment,
    Module,
    Parameter,
    ParameterSet,
    Reaction,
    Species,
    Status,
    assemble,
)
from imidsim.model.expr import parse, to_code


def _params(**kw: tuple[float, str]) -> ParameterSet:
    return ParameterSet.from_records(
        Parameter(k, v, u, ("imidsim:modelling-choice",), Status.ASSUMED, note="test")
        for k, (v, u) in kw.items())


def _decay(rate_param_unit: str) -> Module:
    return Module("m", species=(Species("X", "1", 1.0),),
                  reactions=(Reaction("decay", "k * X", {"X": -1}),))


def test_consistent_rate_law_assembles() -> None:
    model = assemble([_decay("1/h")], _params(k=(0.1, "1/h")))
    assert model.species_names == ["X"]
    assert model.parameter_names == ("k",)


def test_rate_in_wrong_time_unit_is_a_unit_error() -> None:
    with pytest.raises(UnitError, match=r"reaction 'decay'.*expected.*factor of 0.0416"):
        assemble([_decay("1/day")], _params(k=(0.1, "1/day")))


def test_adding_unlike_units_is_an_error() -> None:
    mod = Module("m", species=(Species("X", "1", 1.0),),
                 assignments=(Assignment("s", "a + b", "uM"),),
                 reactions=(Reaction("r", "k * X", {"X": -1}),))
    with pytest.raises(UnitError, match="adds 'a'"):
        assemble([mod], _params(a=(1.0, "uM"), b=(1.0, "nM"), k=(1.0, "1/h")))


def test_exp_of_dimensional_quantity_is_an_error() -> None:
    mod = Module("m", species=(Species("X", "1", 1.0),),
                 reactions=(Reaction("r", "k * exp(c) * X", {"X": -1}),))
    with pytest.raises(UnitError, match=r"exp\(\)"):
        assemble([mod], _params(k=(1.0, "1/h"), c=(1.0, "uM")))


def test_unknown_name_suggests_the_closest() -> None:
    mod = Module("m", species=(Species("X", "1", 1.0),),
                 reactions=(Reaction("r", "kk * X", {"X": -1}),))
    with pytest.raises(ModelError, match="Did you mean 'k'"):
        assemble([mod], _params(k=(1.0, "1/h")))


def test_assignment_cycle_is_reported() -> None:
    mod = Module("m", species=(Species("X", "1", 1.0),),
                 assignments=(Assignment("a", "b", "1"), Assignment("b", "a", "1")),
                 reactions=(Reaction("r", "k * a * X", {"X": -1}),))
    with pytest.raises(ModelError, match="cycle"):
        assemble([mod], _params(k=(1.0, "1/h")))


def test_duplicate_species_across_modules() -> None:
    a = Module("a", species=(Species("X", "1", 1.0),))
    with pytest.raises(ModelError, match="already defined by module 'a'"):
        assemble([a, Module("b", species=(Species("X", "1", 1.0),))], _params())


def test_disallowed_syntax() -> None:
    with pytest.raises(ModelError):
        parse("__import__('os')")
    with pytest.raises(ModelError):
        parse("a if b else c")


def test_codegen_python_and_sbml() -> None:
    e = parse("hill(C, K, n) + x ** 2 + log(y)")
    py = to_code(e, lambda n: n)
    sb = to_code(e, lambda n: n, dialect="sbml")
    assert "**" in py and "math.log" in py
    assert "^" in sb and "ln(" in sb
    env = {"C": 2.0, "K": 1.0, "n": 2.0, "x": 3.0, "y": 1.0}
    import math

    assert eval(py, {"math": math}, env) == pytest.approx(4 / 5 + 9)


@pytest.mark.parametrize("field,kw,match", [
    ("source", {"source": ()}, "source is empty"),
    ("unit", {"unit": "furlongs per blorp"}, "cannot parse unit"),
    ("derived", {"status": Status.DERIVED}, "needs a formula"),
    ("calibrated", {"status": Status.CALIBRATED, "note": ""}, "needs a note"),
])
def test_incomplete_parameter_records_are_rejected(field: str, kw: dict, match: str) -> None:
    base = dict(name="p", value=1.0, unit="1/h", source=("S1",), status=Status.MEASURED,
                note="n")
    base.update(kw)
    with pytest.raises((ParameterError, UnitError), match=match):
        Parameter(**base)  # type: ignore[arg-type]
