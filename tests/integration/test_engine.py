"""The batched numba engine agrees with the SciPy reference path and keeps the invariants."""

from __future__ import annotations

import numpy as np
import pytest

from imidsim.engine.reference import solve_reference
from imidsim.scenario import parse_scenario
from imidsim.simulation import Simulation

from ..conftest import oral


def _sim(treatments: list[dict], days: float = 35, interval_h: float = 3.0) -> Simulation:
    return Simulation(parse_scenario({
        "name": "engine", "treatments": treatments, "duration_days": days,
        "output": {"interval_h": interval_h},
        "solver": {"rtol": 1e-8, "atol": 1e-11}}))


@pytest.mark.parametrize("treatments", [
    [oral("lenalidomide", 25, "d1-21/28", 2)],
    [oral("pomalidomide", 4, "d1-21/28", 2), oral("thalidomide", 100, "weekly", 2)],
])
def test_engine_matches_scipy_reference(treatments: list[dict]) -> None:
    sim = _sim(treatments)
    fast = sim.solve()
    y_ref, c_ref = solve_reference(sim)
    y = fast.solution.y[0]
    peak = np.max(np.abs(y_ref), axis=0)
    for j, name in enumerate(sim.model.species_names):
        big = np.abs(y_ref[:, j]) > 1e-6 * max(peak[j], 1e-300)
        err = np.max(np.abs(y[big, j] - y_ref[big, j]) / np.abs(y_ref[big, j]), initial=0.0)
        assert err < 1e-5, f"{name}: max relative error {err:.2e}"
    c = fast.solution.c[0]
    big = c_ref > 1e-6 * c_ref.max()
    assert np.max(np.abs(c[big] - c_ref[big]) / c_ref[big]) < 1e-6


def test_batch_equals_one_by_one() -> None:
    sim = _sim([oral("lenalidomide", 25, "d1-21/28", 1)], days=28, interval_h=6)
    panel = {"patient.crbn_level": [0.2, 1.0, 3.0], "crcl_ml_min": [30.0, 60.0, 110.0]}
    batch = sim.solve(panel)
    for i in range(3):
        one = sim.solve({k: [v[i]] for k, v in panel.items()})
        np.testing.assert_allclose(batch.solution.y[i], one.solution.y[0], rtol=1e-12, atol=0)


def test_crbn_is_conserved_and_states_stay_nonnegative() -> None:
    sim = _sim([oral("iberdomide", 1.6, "d1-21/28", 2), oral("lenalidomide", 10, "continuous", 2)],
               days=56)
    r = sim.solve({"patient.crbn_level": [0.5, 1.5]})
    for p in range(2):
        for ctx in ("TumS", "TumR", "T", "NK", "Mac", "Prog", "B"):
            total = r.series(f"crbn_total_{ctx}", p)
            expected = r.series(f"crbn_{ctx}", p)
            np.testing.assert_allclose(total, expected, rtol=1e-12)
            assert r.series(f"crbn_binary_{ctx}", p).min() >= 0
            assert r.series(f"crbn_ternary_{ctx}", p).min() >= 0
    assert r.solution.y.min() > -1e-9


def test_untreated_steady_state_holds_except_tumour_growth() -> None:
    sim = Simulation(parse_scenario({"name": "steady", "duration_days": 60,
                                     "parameters": {"tumour.net_growth": 0.0}}))
    steady = sim.solve()
    for name in steady.model.species_names:  # no growth, no drug: nothing moves
        v = steady.series(name)
        np.testing.assert_allclose(v, v[0], rtol=1e-9, atol=1e-12, err_msg=name)
    r = _sim([], days=60).solve()
    # Untreated myeloma grows at its net growth rate (doubling ~6 months, T14) at baseline,
    # then slower as the logistic niche capacity is approached.
    burden, t_h = r.series("tumour_burden"), r.solution.t_h
    g = r.parameters.value("tumour.net_growth")
    early = np.log(burden[8] / burden[0]) / t_h[8]
    late = np.log(burden[-1] / burden[-9]) / (t_h[-1] - t_h[-9])
    assert early == pytest.approx(g, rel=0.01)
    assert late < early


def test_keep_stores_only_the_named_outputs() -> None:
    """``solve(keep=...)`` stores just the named species, assignments and inputs (the same
    numbers as a full solve), and refuses the others by name instead of returning something."""
    from imidsim.errors import InputError

    sim = _sim([oral("lenalidomide", 25, "d1-21/28", 1)], days=28, interval_h=24.0)
    full = sim.solve({"patient.crbn_level": [1.0, 0.5]})
    keep = ["IKZF1_TumS", "MPROTEIN", "ANC", "C_lenalidomide"]  # species x2, assignment, input
    part = sim.solve({"patient.crbn_level": [1.0, 0.5]}, keep=keep)
    sol = part.solution
    assert sol.y.shape[2] == 2 and sol.obs.shape[2] == 1 and sol.c.shape[2] == 1
    assert part.kept_names() == keep
    assert part.kept == ["ANC"] and full.kept is None
    for name in keep:
        for i in range(2):
            np.testing.assert_array_equal(part.series(name, i), full.series(name, i))
    assert list(part.frame(1).columns) == ["time_h", "time_day", *keep]
    with pytest.raises(InputError, match="output 'PLT' was not kept in this run; kept: "
                                         "IKZF1_TumS, MPROTEIN, ANC, C_lenalidomide"):
        part.series("PLT")
    with pytest.raises(InputError, match=r"keep: unknown output 'MPROTIEN'.*MPROTEIN"):
        sim.solve(keep=["MPROTIEN"])
