"""Code generation: folding of inputs held at zero and of fixed exponents is exact."""

from __future__ import annotations

import math

import pytest

from imidsim.engine.codegen import emit_folded
from imidsim.model.expr import parse, to_code

EXPRS = ["x * K + D / K", "hill(D, K, n) * x", "-(x - K) ** n", "max(x, 0.5) + pos(D) + exp(K)",
         "C * K + x", "hill(C, K, n) * x + C ** n", "exp(C) * x - C / K"]


def _names(n: str) -> str:
    return {"C": "c[0]", "D": "c[1]", "K": "p[0]", "n": "p[1]", "x": "y[0]"}[n]


def _pow(x: float, n: float) -> float:
    return x * x if n == 2.0 else x if n == 1.0 else math.sqrt(x) if n == 0.5 else x ** n


def _eval(code: str, c0: float) -> float:
    env = {"math": math, "_pow": _pow, "c": [c0, 0.7], "p": [1.3, 2.0], "y": [0.4]}
    return float(eval(code, env))  # generated test expressions only


@pytest.mark.parametrize("text", EXPRS)
def test_folding_keeps_the_value(text: str) -> None:
    reference = _eval(to_code(parse(text), _names), 0.0)
    code, value = emit_folded(parse(text), _names, {"C": 0.0})
    assert _eval(code, 0.0) == reference
    assert value is None or value == reference
    plain, _ = emit_folded(parse(text), _names, {})
    assert _eval(plain, 0.9) == _eval(to_code(parse(text), _names), 0.9)


@pytest.mark.parametrize(("text", "expected"), [
    ("C * K + x", "y[0]"),
    ("x + C / K", "y[0]"),
    ("x - C", "y[0]"),
    ("C - x", "(-y[0])"),
    ("hill(C, K, n) * x", "0.0"),
    ("C ** n", "0.0"),
    ("exp(C) * x", "(1.0 * y[0])"),
    ("pos(C) + max(C, 0.0)", "0.0"),
])
def test_zero_inputs_fold_away(text: str, expected: str) -> None:
    code, value = emit_folded(parse(text), _names, {"C": 0.0})
    assert code == expected
    assert (value == 0.0) == (expected == "0.0")


def test_fixed_exponent_becomes_a_literal() -> None:
    code, _ = emit_folded(parse("hill(x, K, n)"), _names, {"n": 2.0})
    assert code == "(_pow(y[0], 2.0) / (_pow(y[0], 2.0) + _pow(p[0], 2.0)))"


def test_divisions_by_parameters_become_hoisted_reciprocals() -> None:
    """With ``reciprocals``, ``x / K`` (K a parameter) multiplies by one named reciprocal,
    a non-zero constant divisor by its literal reciprocal, and other divisors stay divisions;
    a fixed parameter's literal reciprocal is the value the general variant computes."""
    inv: dict[str, str] = {}
    code, _ = emit_folded(parse("x / K + x / K + x / 4.0 + K / x"), _names, {}, inv)
    assert code == "((((y[0] * inv_p0) + (y[0] * inv_p0)) + (y[0] * 0.25)) + (p[0] / y[0]))"
    assert inv == {"p[0]": "inv_p0"}
    fixed, _ = emit_folded(parse("x / K"), _names, {"K": 3.0}, {})
    assert fixed == f"(y[0] * {1.0 / 3.0!r})"  # repr round-trips: the computed reciprocal
