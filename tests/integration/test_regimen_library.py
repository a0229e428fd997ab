"""The regimen library: every shipped regimen validates, simulates a year for one patient of a
disease it lists, expands to the right doses; malformed regimens fail naming the field."""

from __future__ import annotations

from collections import Counter
from importlib import resources
from typing import Any

import numpy as np
import pytest
import yaml

from imidsim.errors import InputError
from imidsim.evidence.registry import validate_key
from imidsim.library.agents import agents
from imidsim.library.loader import DRUG_ALIASES, diseases, drugs
from imidsim.regimens import expand, finite_length_days, library, parse_regimen
from imidsim.scenario import parse_scenario
from imidsim.simulation import Simulation

EXPECTED = {
    "Rd", "Rd-HiDex", "HiDex", "placebo-HiDex", "Len-mono", "Len-mono-30", "Pd", "Pom-mono",
    "DRd", "D-Pd", "Isa-Pd", "ERd", "EPd", "VRd", "KRd", "IRd", "PVd", "R2", "R-mono",
    "Len-maintenance", "GALEN", "Tafa-Len", "R-CHOP", "R2-CHOP", "Ofa-Len", "Pembro-Rd",
    "Pembro-Pd", "MPT", "Len-CLL", "Rd18", "Observation", "Iber-d", "Mezi-d", "Len-CLL-1L",
    "Len-CLL-RR", "CART19-Len",
}
REGIMENS = sorted(library())


def _files() -> dict[str, dict[str, Any]]:
    folder = resources.files("imidsim.library").joinpath("regimens")
    out = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".yaml"):
            data = yaml.safe_load(entry.read_text())
            out[data["name"]] = data
    return out


def _counts(name: str, horizon_days: float) -> Counter:
    return Counter(e.agent for e in expand(library()[name], horizon_days))


# --- the library ------------------------------------------------------------------------------

def test_library_holds_the_expected_regimens() -> None:
    assert set(REGIMENS) == EXPECTED
    assert set(_files()) == EXPECTED  # one YAML per regimen, names unique


@pytest.mark.parametrize("name", REGIMENS)
def test_library_regimen_validates(name: str) -> None:
    data = _files()[name]
    reg = parse_regimen(data, source=name)
    assert reg == library()[name]
    assert reg.disease and set(reg.disease) <= set(diseases()), reg.disease
    assert reg.source and any(k.startswith(("trial:", "review")) for k in reg.source)
    for key in reg.source:
        validate_key(key)
    assert len(reg.notes) > 40, "notes must give the schedule and its simplifications"
    for a in reg.agent_names():
        assert DRUG_ALIASES.get(a, a) in drugs() or a in agents(), a
    for rule in reg.dose_modifications:
        assert rule.agent in ("lenalidomide", "pomalidomide", "iberdomide", "mezigdomide")
        assert rule.hold_if.marker == "ANC" and rule.hold_if.below == 1.0
    if reg.observation:
        assert not reg.agent_names() and not expand(reg, 365.0)
    else:
        assert expand(reg, 365.0), "a regimen must give doses in its first year"


@pytest.mark.parametrize("name", REGIMENS)
def test_library_regimen_simulates_one_year(name: str) -> None:
    reg = library()[name]
    scenario = parse_scenario({"name": f"library {name}", "disease": reg.disease[0],
                               "regimen": name, "duration_days": 365,
                               "output": {"interval_h": 24}})
    res = Simulation(scenario).solve()
    sol = res.solution
    assert res.t_days[-1] == pytest.approx(365.0)
    for arr in (sol.y, sol.obs, sol.c):
        assert np.all(np.isfinite(arr)), name
    for a in reg.agent_names():
        key = DRUG_ALIASES.get(a.lower(), a.lower())
        if key in drugs():
            series = res.series(f"C_{key}")
        elif agents()[key].agent_class == "car_t":
            series = res.series(f"{key}_E")  # CAR-T cells (effectors) in blood
        else:
            series = res.series(f"{key}_conc")
        assert np.max(series) > 0.0, f"{name}: no exposure to {a}"


# --- expansion -------------------------------------------------------------------------------

def test_rd_expands_to_two_cycles_of_doses() -> None:
    # per 28-day cycle: lenalidomide d1-21 (21 doses), dexamethasone d1, 8, 15, 22 (4 doses)
    assert _counts("Rd", 2 * 28) == {"lenalidomide": 2 * 21, "dexamethasone": 2 * 4}
    days = [e.day for e in expand(library()["Rd"], 56) if e.agent == "dexamethasone"]
    assert days == [0, 7, 14, 21, 28, 35, 42, 49]


def test_drd_daratumumab_doses_over_cycles_1_to_7() -> None:
    # weekly in cycles 1-2 (4 + 4), every 2 weeks in cycles 3-6 (4 x 2), every 4 weeks from 7
    counts = _counts("DRd", 7 * 28)
    assert counts["daratumumab"] == 4 + 4 + 4 * 2 + 1 == 17
    assert counts["lenalidomide"] == 7 * 21 and counts["dexamethasone"] == 7 * 4
    cyc = Counter(e.cycle for e in expand(library()["DRd"], 7 * 28) if e.agent == "daratumumab")
    assert [cyc[c] for c in range(1, 8)] == [4, 4, 2, 2, 2, 2, 1]


def test_phase_cycle_lengths_and_exact_q3w() -> None:
    vrd = expand(library()["VRd"], 8 * 21 + 28)
    assert sum(e.agent == "bortezomib" for e in vrd) == 8 * 4
    assert min(e.day for e in vrd if e.cycle == 9) == pytest.approx(8 * 21)
    pem = [e.day for e in expand(library()["Pembro-Pd"], 365) if e.agent == "pembrolizumab"]
    assert np.allclose(np.diff(pem), 21.0) and len(pem) == 18
    assert finite_length_days(library()["GALEN"]) == 6 * 28 + 12 * 56
    assert finite_length_days(library()["R-CHOP"]) == 6 * 21


# --- malformed regimens -----------------------------------------------------------------------

def _base(**extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": "bad", "cycle_days": 28,
                            "agents": [{"agent": "lenalidomide", "dose": 25, "unit": "mg",
                                        "days": "1-21"}]}
    spec.update(extra)
    return spec


@pytest.mark.parametrize(("spec", "expected"), [
    (_base(cycle_days=21, agents=[{"agent": "lenalidomide", "dose": 25, "days": "1-28"}]),
     ["agents", "lenalidomide day 28", "21-day cycle"]),
    (_base(phases=[{"name": "late", "cycles": "2-end", "cycle_days": 21,
                    "agents": [{"agent": "dexamethasone", "dose": 40, "days": "22"}]}]),
     ["phases[0]", "late", "dexamethasone day 22", "21-day cycle"]),
    (_base(agents=[{"agent": "lenalidomid", "dose": 25, "days": "1-21"}]),
     ["agents.0", "unknown agent 'lenalidomid'", "Did you mean 'lenalidomide'?"]),
    (_base(agents=[{"agent": "lenalidomide", "dose": 0.3, "unit": "mg/kg", "days": "1-21"}]),
     ["agents.0", "dose unit 'mg/kg' does not fit lenalidomide", "accepted units: mg"]),
    (_base(phases=[
        {"name": "weekly", "cycles": "1-3",
         "agents": [{"agent": "daratumumab", "dose": 16, "unit": "mg/kg", "days": "1,8"}]},
        {"name": "monthly", "cycles": "3-end",
         "agents": [{"agent": "daratumumab", "dose": 16, "unit": "mg/kg", "days": "1"}]}]),
     ["phases", "'weekly' and 'monthly' overlap", "cycles 3-3"]),
    (_base(dose_modifications=[{"agent": "pomalidomide", "hold_if": {"marker": "ANC",
                                                                      "below": 1.0},
                                "levels": [4, 3, 2]}]),
     ["dose_modifications", "'pomalidomide' is not in the regimen"]),
    (_base(agnets=[]), ["agnets", "unknown field"]),
    (_base(agents=[{"agent": "lenalidomide", "dose": 25, "days": "1-21", "route": "iv"}]),
     ["agents.0.route", "unknown field"]),
])
def test_malformed_regimen_names_the_field(spec: dict[str, Any], expected: list[str]) -> None:
    with pytest.raises(InputError) as err:
        parse_regimen(spec, source="bad.yaml")
    msg = str(err.value)
    assert msg.startswith("bad.yaml: ")
    for part in expected:
        assert part in msg, msg


def test_malformed_regimen_via_scenario_is_an_input_error() -> None:
    with pytest.raises(InputError, match="unknown agent 'daratumumb'"):
        parse_scenario({"name": "s", "regimen": _base(
            agents=[{"agent": "daratumumb", "dose": 16, "unit": "mg/kg", "days": "1"}])})


def test_cart_with_lenalidomide_regimen_expands_after_the_infusion() -> None:
    # CART19-Len: conditioning d1-3, CAR-T on day 6 (t = 5 d), lenalidomide from the infusion on
    reg = library()["CART19-Len"]
    doses = [e for e in expand(reg, 60) if e.agent == "cart_cd19"]
    assert [e.day for e in doses] == [5.0]
    scenario = parse_scenario({"name": "cart", "disease": "dlbcl_abc", "regimen": "CART19-Len",
                               "duration_days": 60, "output": {"interval_h": 24}})
    res = Simulation(scenario).solve()
    car = res.series("cart_cd19_E")
    peak_day = res.t_days[np.argmax(car)]
    assert 5.0 + 5.0 <= peak_day <= 5.0 + 20.0  # expansion peaks ~9 days after infusion (U49)
    assert car[res.t_days < 5.0].max() == 0.0
    assert res.series("C_lenalidomide")[res.t_days < 5.0].max() == 0.0
