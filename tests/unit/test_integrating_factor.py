"""Stiff first-order losses: found by code generation, taken out exactly by the integrator."""

from __future__ import annotations

import ast

import numpy as np
import pytest

from imidsim.engine.codegen import compile_model, loss_rates, per_capita
from imidsim.engine.solve import DosingPlan, solve_batch
from imidsim.model import Module, Parameter, ParameterSet, Reaction, Species, Status, assemble
from imidsim.model.expr import parse


@pytest.mark.parametrize(("rate", "expected"), [
    ("k * X", "k"),
    ("X * k", "k"),
    ("k * (a * X) / V", "k * a / V"),
    ("V * X / (K + X)", None),  # saturating: X is also in the denominator
    ("X * X", None),  # second order
    ("k * A", None),  # does not read X
])
def test_per_capita_rate(rate: str, expected: str | None) -> None:
    found = per_capita(parse(rate).tree, "X", {})
    if expected is None:
        assert found is None
    else:
        assert found is not None
        assert ast.unparse(found) == ast.unparse(parse(expected).tree)


def test_per_capita_rate_through_assignments() -> None:
    assigned = {"bound": parse("occ * X / Kd").tree, "sat": parse("X / (K + X)").tree}
    found = per_capita(parse("kcat * bound").tree, "X", assigned)
    assert found is not None and ast.unparse(found) == "kcat * (occ / Kd)"
    assert per_capita(parse("kcat * sat").tree, "X", assigned) is None


def _model(species: tuple[Species, ...], reactions: tuple[Reaction, ...],
           rates: dict[str, float]):
    """An assembled test model with first-order rate constants ``rates`` (1/h), and its
    one-patient parameter matrix."""
    params = ParameterSet.from_records(
        Parameter(n, v, "1/h", ("imidsim:modelling-choice",), Status.ASSUMED, note="test")
        for n, v in rates.items())
    model = assemble([Module("m", species=species, reactions=reactions)], params)
    return model, np.array([[params.value(n) for n in model.parameter_names]])


def _stiff_model(k: float, a: float):
    """A slow driver ``A`` (decay ``a``) and ``X`` relaxing to it at ``k`` per hour."""
    return _model((Species("A", "1", 1.0), Species("X", "1", 0.0)),
                  (Reaction("a_decay", "a * A", {"A": -1}),
                   Reaction("x_in", "k * A", {"X": 1}),
                   Reaction("x_out", "k * X", {"X": -1})), {"a": a, "k": k})


def test_loss_rates_of_a_model() -> None:
    model, _ = _stiff_model(500.0, 0.05)
    rates = loss_rates(model)
    assert {n: e.text for n, e in rates.items()} == {"A": "a", "X": "k"}


def _solve(k: float, a: float, plan: DosingPlan, t: np.ndarray, **kw):
    model, P = _stiff_model(k, a)
    sol = solve_batch(compile_model(model), P, plan, t, **kw)
    assert sol.stats is not None and sol.status[0] == 0
    return model, sol


@pytest.mark.parametrize("k", [2.0, 5.0, 500.0])
def test_relaxation_matches_the_closed_form(k: float) -> None:
    """X' = k (A - X), A = exp(-a t): with the factor (k = 2 and 5 /h; 500 /h is above
    ``LAM_MAX`` and stays plain) and without, the solution is exact to the tolerance."""
    a = 0.05
    t = np.arange(0.0, 48.0 + 1e-9, 1.0)
    x_exact = k / (k - a) * (np.exp(-a * t) - np.exp(-k * t))
    for factor in (True, False):
        model, sol = _solve(k, a, DosingPlan.empty(1, 0), t, rtol=1e-6, atol=1e-12,
                            integrating_factor=factor)
        x = sol.y[0, 1:, model.species_index("X")]
        assert np.max(np.abs(x - x_exact[1:]) / x_exact[1:]) < 5e-6


def _degrader_model():
    """A driver ``A`` (decay 0.5 /h, given as a daily bolus, like an oral drug's exposure) and
    a substrate ``X`` made at 0.05 /h and degraded at 0.05 + 2.4 A per hour (CK1alpha under a
    degrader)."""
    return _model((Species("A", "1", 0.0), Species("X", "1", 1.0)),
                  (Reaction("a_decay", "a * A", {"A": -1}),
                   Reaction("x_in", "k0", {"X": 1}),
                   Reaction("x_out", "(k0 + kmax * A) * X", {"X": -1})),
                  {"a": 0.5, "k0": 0.05, "kmax": 2.4})


def test_dose_driven_degradation_takes_fewer_steps_with_the_factor() -> None:
    """The situation of the model's fast species: both ways agree to the tolerance, and the
    factor saves steps (measured 503 against 1,709)."""
    model, P = _degrader_model()
    assert loss_rates(model)["X"].text == "k0 + kmax * A"
    t = np.arange(0.0, 24.0 * 28 + 1e-9, 24.0)
    plan = DosingPlan.empty(1, 0)
    plan.add_species_bolus(np.arange(0.0, 24.0 * 28, 24.0)[None, :], 0, np.ones((1, 28)))
    out = {}
    for factor in (True, False):
        sol = solve_batch(compile_model(model), P, plan, t, rtol=1e-6, atol=1e-12,
                          integrating_factor=factor)
        assert sol.stats is not None and sol.status[0] == 0
        out[factor] = (sol.y[0, :, model.species_index("X")], int(sol.stats[0, 0]))
    (x_on, steps_on), (x_off, steps_off) = out[True], out[False]
    assert np.max(np.abs(x_on - x_off) / x_off) < 1e-5
    assert steps_on < 0.5 * steps_off, (steps_on, steps_off)
