"""SBML export: libSBML accepts the document and libRoadRunner reproduces imidsim's engine.

python-libsbml and libroadrunner are test dependencies (the ``test`` extra): without them these
tests fail with the install hint instead of skipping.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

from imidsim.engine.sbml import INSTALL_HINT, check_consistency, export_sbml, require_libsbml
from imidsim.scenario import parse_scenario
from imidsim.simulation import Simulation

from ..conftest import oral

LEN_D1_21 = {"agent": "lenalidomide", "dose": 25, "unit": "mg", "days": "1-21"}
DARA_WEEKLY = {"agent": "daratumumab", "dose": 16, "unit": "mg/kg", "days": "1,8,15,22"}


def len_scenario() -> Simulation:
    """Lenalidomide 25 mg d1-21/28, two cycles, myeloma."""
    return Simulation(parse_scenario({
        "name": "len 25 d1-21/28 x2", "disease": "myeloma",
        "treatments": [oral("lenalidomide", 25, "d1-21/28", 2)], "duration_days": 56,
        "output": {"interval_h": 4.0}}))


def dara_len_scenario(**regimen_extra: object) -> Simulation:
    """Daratumumab 16 mg/kg weekly + lenalidomide 25 mg d1-21, two 28-day cycles."""
    reg = {"name": "DR", "cycle_days": 28, "cycles": 2, "agents": [LEN_D1_21, DARA_WEEKLY],
           **regimen_extra}
    return Simulation(parse_scenario({
        "name": "dara-len", "disease": "myeloma", "regimen": reg, "duration_days": 56,
        "output": {"interval_h": 4.0}}))


def _sbml_libraries() -> None:
    """Fail (not skip) with the install hint when the SBML extra is missing."""
    require_libsbml()
    from imidsim.engine.roadrunner_check import require_roadrunner

    require_roadrunner()


def test_export_passes_libsbml_consistency_checks() -> None:
    _sbml_libraries()
    import libsbml

    sim = len_scenario()
    text = export_sbml(sim)
    errors, warnings = check_consistency(text)
    assert errors == [], "\n".join(errors[:5])
    # Unit checks may only warn (parameters and species carry their units in notes).
    assert all(w.split("]")[0].lstrip("[") in {"99505", "99508", "20702", "80701"}
               for w in warnings), "\n".join(warnings[:5])
    doc = libsbml.readSBMLFromString(text)
    assert (doc.getLevel(), doc.getVersion()) == (3, 2)
    model = doc.getModel()
    m = sim.model
    assert model.getNumSpecies() == len(m.species) + 3  # + lenalidomide gut/central/peripheral
    assert model.getNumEvents() == 42  # 21 daily doses in each of two cycles
    assert model.getNumRules() == len(m.assignments) + 1  # + C_lenalidomide
    assert model.getTimeUnits() == "hour"
    # Original names survive sanitising, with units and sources in the notes.
    name = next(n for n in m.parameter_names if "." in n)
    p = next(q for q in model.getListOfParameters() if q.getName() == name)
    assert p.getId() == name.replace(".", "_") and p.getConstant()
    notes = p.getNotesString()
    assert m.parameters[name].unit in notes and m.parameters[name].status.value in notes
    assert p.getValue() == pytest.approx(m.parameters.value(name), rel=1e-15)


@pytest.mark.parametrize("make", [len_scenario, dara_len_scenario], ids=["len", "dara+len"])
def test_roadrunner_matches_imidsim(make) -> None:
    _sbml_libraries()
    from imidsim.engine.roadrunner_check import compare, simulate_roadrunner

    sim = make()
    text = export_sbml(sim)
    errors, _ = check_consistency(text)
    assert errors == [], "\n".join(errors[:5])
    t = sim.output_times()
    rr = simulate_roadrunner(text, t)
    assert set(sim.model.species_names) <= set(rr)
    assert all(np.all(np.isfinite(v)) for v in rr.values())
    err = compare(sim)
    assert set(sim.model.species_names) <= set(err)
    worst = sorted(err.items(), key=lambda kv: -kv[1])[:5]
    assert worst[0][1] < 1e-3, f"largest relative errors: {worst}"


def test_dose_rules_are_not_exportable() -> None:
    _sbml_libraries()
    sim = dara_len_scenario(dose_modifications=[
        {"agent": "lenalidomide", "hold_if": {"marker": "ANC", "below": 1.0},
         "levels": [25, 15, 10]}])
    with pytest.raises(NotImplementedError, match="lenalidomide"):
        export_sbml(sim)


def test_missing_libsbml_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "libsbml", None)  # makes `import libsbml` fail
    with pytest.raises(ImportError, match=r"imidsim\[sbml\]"):
        require_libsbml()
    assert "pip install" in INSTALL_HINT


def test_write_sbml_round_trips(tmp_path) -> None:
    _sbml_libraries()
    import libsbml

    from imidsim.engine.sbml import write_sbml

    sim = dara_len_scenario()
    path = write_sbml(sim, tmp_path / "dr.xml")
    doc = libsbml.readSBMLFromFile(str(path))
    assert doc.getNumErrors(libsbml.LIBSBML_SEV_ERROR) == 0
    model = doc.getModel()
    # Daratumumab is dosed as boluses into its central species, lenalidomide into its gut.
    dara = next(s.getId() for s in model.getListOfSpecies() if s.getName() == "daratumumab_C")
    targets = {ea.getVariable() for ev in model.getListOfEvents()
               for ea in ev.getListOfEventAssignments()}
    assert {dara, "pk_lenalidomide_gut"} <= targets
