"""Engine variants and output selection: the specialised variant (drugs not given folded away,
fixed exponents as literals) computes bit for bit what the general one does, and storing
only some outputs changes nothing in them."""

from __future__ import annotations

import numpy as np

from imidsim.engine.solve import active_inputs, solve_batch
from imidsim.scenario import parse_scenario
from imidsim.simulation import Simulation

PANEL = {"patient.crbn_level": [0.3, 1.0, 2.5], "crcl_ml_min": [35.0, 80.0, 120.0],
         "weight_kg": [55.0, 70.0, 95.0]}


def _dara_len_dex() -> Simulation:
    reg = {"name": "DRd-like", "cycle_days": 28, "cycles": 2, "agents": [
        {"agent": "lenalidomide", "dose": 25, "unit": "mg", "days": "1-21"},
        {"agent": "dexamethasone", "dose": 40, "unit": "mg", "days": "1,8,15,22"},
        {"agent": "daratumumab", "dose": 16, "unit": "mg/kg", "days": "1,8,15,22"}]}
    return Simulation(parse_scenario({"name": "variants", "disease": "myeloma", "regimen": reg,
                                      "duration_days": 42, "output": {"interval_h": 12.0}}))


def test_specialised_variant_is_bitwise_identical() -> None:
    sim = _dara_len_dex()
    table = sim.patient_table(PANEL)
    P, plan, t = sim.parameter_matrix(table), sim.dosing_plan(table), sim.output_times()
    used = {sim.model.input_names[d] for d in active_inputs(plan)}
    assert used == {"C_lenalidomide", "C_dexamethasone"}
    general = solve_batch(sim.compiled, P, plan, t, specialize=False)
    special = solve_batch(sim.compiled, P, plan, t, specialize=True)
    for a, b in ((general.y, special.y), (general.c, special.c), (general.obs, special.obs)):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(general.stats, special.stats)
    assert general.stats is not None and np.all(general.stats[:, 0] > 0)


def test_selected_outputs_equal_the_full_solution() -> None:
    sim = _dara_len_dex()
    table = sim.patient_table(PANEL)
    P, plan, t = sim.parameter_matrix(table), sim.dosing_plan(table), sim.output_times()
    full = solve_batch(sim.compiled, P, plan, t)
    names = sim.model.assignment_names
    obs = [names.index("ANC"), names.index("PLT")]
    sp = [sim.model.species_index("daratumumab_C"), 0]
    part = solve_batch(sim.compiled, P, plan, t, observables=obs, species=sp, inputs=[1])
    np.testing.assert_array_equal(part.obs, full.obs[:, :, obs])
    np.testing.assert_array_equal(part.y, full.y[:, :, sp])
    np.testing.assert_array_equal(part.c, full.c[:, :, [1]])
    none = solve_batch(sim.compiled, P, plan, t, observables=False, species=False, inputs=False)
    assert none.y.shape[2] == none.c.shape[2] == none.obs.shape[2] == 0
    np.testing.assert_array_equal(none.status, full.status)
