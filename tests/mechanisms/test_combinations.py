"""Combination claims N4, A2, B3 (anti-CD38 consequence), C1-C4 (MECHANISMS.md), effector
mechanisms by removal, and antibody PK against published values."""

from __future__ import annotations

import numpy as np

from imidsim.response import progression_index
from imidsim.scenario import parse_scenario
from imidsim.simulation import Simulation


def regimen(name: str, cycle_days: int, cycles: int | str, agents: list[dict] | None = None,
            phases: list[dict] | None = None) -> dict:
    out = {"name": name, "cycle_days": cycle_days, "cycles": cycles, "agents": agents or []}
    if phases:
        out["phases"] = phases
    return out


def sim(reg: dict, disease: str, days: float, interval_h: float = 24, **kw):
    spec = {"name": reg["name"], "disease": disease, "regimen": reg, "duration_days": days,
            "output": {"interval_h": interval_h}, **kw}
    return Simulation(parse_scenario(spec)).solve()


LEN20 = {"agent": "lenalidomide", "dose": 20, "unit": "mg", "days": "1-21"}
RTX_C1 = {"name": "induction", "cycles": "1",
          "agents": [{"agent": "rituximab", "dose": 375, "unit": "mg/m2", "days": "1,8,15,22"}]}
RTX_C2_5 = {"name": "monthly", "cycles": "2-5",
            "agents": [{"agent": "rituximab", "dose": 375, "unit": "mg/m2", "days": "1"}]}
R2 = regimen("R2", 28, 12, [LEN20], [RTX_C1, RTX_C2_5])
R_MONO = regimen("R", 28, 5, [], [RTX_C1, RTX_C2_5])
LEN_MONO = regimen("L", 28, 12, [LEN20])


def _burden(r, day: float) -> float:
    return float(r.series("tumour_burden")[int(day)])


def test_n4_c1_lenalidomide_rituximab_beats_either_alone() -> None:
    """N4 (refs 62, 63) and C1 (AUGMENT): lenalidomide + rituximab kills lymphoma better than
    either alone, with more NK cells, and delays progression versus rituximab alone."""
    r2, r, lm = (sim(x, "fl", 1825) for x in (R2, R_MONO, LEN_MONO))
    for day in (120, 365):
        assert _burden(r2, day) < min(_burden(r, day), _burden(lm, day))
    assert r2.series("NK")[20:140].mean() > 1.1 * r.series("NK")[20:140].mean()

    def progression_day(res) -> float:  # Lugano on SPD, as the trial endpoints use it
        i = progression_index("spd", res.series("SPD"))
        return float(res.t_days[i]) if i is not None else np.inf

    assert progression_day(r) < np.inf, "rituximab alone: progression within 5 years"
    assert progression_day(r2) > progression_day(r)


def test_effector_removal_separates_adcc_from_adcp_and_shrinks_imid_benefit() -> None:
    """Mechanism, not constants: without NK cells the ADCC part of rituximab's effect goes while
    the ADCP part stays; without macrophages the reverse; lenalidomide's added benefit to the
    antibody shrinks accordingly."""
    def run(reg: dict, **interventions: float):
        return sim(reg, "fl", 140, interventions=interventions)

    base = run(R2)
    no_nk = run(R2, nk_depletion=1.0)
    no_mac = run(R2, macrophage_depletion=1.0)
    mean = lambda r, n: float(r.series(n)[10:140].mean())  # noqa: E731
    assert mean(no_nk, "rituximab_adcc_kill_TumS") < 0.01 * mean(base, "rituximab_adcc_kill_TumS")
    assert mean(no_nk, "rituximab_adcp_kill_TumS") > 0.9 * mean(base, "rituximab_adcp_kill_TumS")
    assert mean(no_mac, "rituximab_adcp_kill_TumS") < 0.01 * mean(base, "rituximab_adcp_kill_TumS")
    assert mean(no_mac, "rituximab_adcc_kill_TumS") > 0.9 * mean(base, "rituximab_adcc_kill_TumS")
    # The IMiD's gain on the antibody's killing (R2 vs R) shrinks without NK cells.
    r_only = run(R_MONO)
    r_only_no_nk = run(R_MONO, nk_depletion=1.0)
    gain = mean(base, "rituximab_kill_TumS") - mean(r_only, "rituximab_kill_TumS")
    gain_no_nk = mean(no_nk, "rituximab_kill_TumS") - mean(r_only_no_nk, "rituximab_kill_TumS")
    assert gain > 0
    assert gain_no_nk < 0.5 * gain


def test_a2_imids_raise_adcp_and_obinutuzumab_more_than_rituximab() -> None:
    """A2 (refs 213, 225, 226): IMiDs raise ADCP of anti-CD20 (and anti-CD38, see B3 test);
    obinutuzumab gives more ADCP than rituximab."""
    r2 = sim(R2, "fl", 60)
    r = sim(R_MONO, "fl", 60)
    m = lambda x, n: float(x.series(n)[5:28].mean())  # noqa: E731
    assert m(r2, "rituximab_adcp_kill_TumS") > 1.1 * m(r, "rituximab_adcp_kill_TumS")
    obi = regimen("G", 28, 1, [{"agent": "obinutuzumab", "dose": 1000, "unit": "mg",
                                "days": "1,8,15"}])
    rit = regimen("R1", 28, 1, [{"agent": "rituximab", "dose": 1000, "unit": "mg",
                                 "days": "1,8,15"}])
    g, rr = sim(obi, "fl", 28), sim(rit, "fl", 28)
    assert m(g, "obinutuzumab_adcp_kill_TumS") > m(rr, "rituximab_adcp_kill_TumS")


DARA = [{"name": "weekly", "cycles": "1-2",
         "agents": [{"agent": "daratumumab", "dose": 16, "unit": "mg/kg", "days": "1,8,15,22"}]},
        {"name": "q2w", "cycles": "3-6",
         "agents": [{"agent": "daratumumab", "dose": 16, "unit": "mg/kg", "days": "1,15"}]},
        {"name": "q4w", "cycles": "7-end",
         "agents": [{"agent": "daratumumab", "dose": 16, "unit": "mg/kg", "days": "1"}]}]
RD = [{"agent": "lenalidomide", "dose": 25, "unit": "mg", "days": "1-21"},
      {"agent": "dexamethasone", "dose": 40, "unit": "mg", "days": "1,8,15,22"}]


def test_b3_cd38_rise_feeds_anti_cd38_killing() -> None:
    """B3 with its anti-CD38 consequence (refs 213, S40): IKZF loss raises CD38, so the same
    daratumumab engagement kills more with lenalidomide; ADCP of anti-CD38 rises too (A2)."""
    drd = sim(regimen("DRd", 28, 2, RD, DARA[:1]), "myeloma", 56)
    d = sim(regimen("D", 28, 2, [], DARA[:1]), "myeloma", 56)
    w = slice(10, 20)
    assert drd.series("CD38_TumS")[w].mean() > 1.2 * d.series("CD38_TumS")[w].mean()
    per_occ = lambda r, n: float((r.series(n) / np.maximum(  # noqa: E731
        r.series("daratumumab_occupancy"), 1e-9))[w].mean())
    for mech in ("adcc", "adcp", "cdc"):
        assert per_occ(drd, f"daratumumab_{mech}_kill_TumS") > \
            1.15 * per_occ(d, f"daratumumab_{mech}_kill_TumS"), mech


def test_c2_daratumumab_plus_rd_beats_rd() -> None:
    """C2 (POLLUX): DRd beats Rd in relapsed myeloma (deeper tumour reduction, later regrowth),
    for a patient with a CRBN-low resistant subclone."""
    patient = {"resistant_fraction": 0.05}
    drd = sim(regimen("DRd", 28, "until_progression", RD, DARA), "myeloma", 730,
              patient=patient)
    rd = sim(regimen("Rd", 28, "until_progression", RD), "myeloma", 730, patient=patient)
    assert drd.series("tumour_burden").min() < 0.5 * rd.series("tumour_burden").min()
    assert drd.series("tumour_burden")[-1] < rd.series("tumour_burden")[-1]
    assert drd.series("NK")[30:200].mean() < rd.series("NK")[30:200].mean(), "NK fratricide"


def test_escape_clone_relapses_through_continuous_drd() -> None:
    """Acquired resistance (review refs 312, 313; S75): DRd holds the sensitive and the CRBN-low
    clones, but a small multi-resistant escape clone regrows through continuous therapy and the
    disease relapses; without it the burden stays near its nadir."""
    drd = regimen("DRd", 28, "until_progression", RD, DARA)
    base = {"resistant_fraction": 0.05, "tumour_burden0": 1.0}
    esc = sim(drd, "myeloma", 1095, patient={**base, "escape_fraction": 1e-3},
              parameters={"tumour.net_growth": 5e-4})
    none = sim(drd, "myeloma", 1095, patient=base, parameters={"tumour.net_growth": 5e-4})
    x = esc.series("N_TumX")
    assert x[-1] > 100 * x[0], "the escape clone grows under the regimen"
    assert esc.series("N_TumS")[-1] < 1e-3 * esc.series("N_TumS")[0]
    burden = esc.series("tumour_burden")
    assert burden[-1] > 5 * burden.min(), "relapse: regrowth from the nadir"
    assert esc.series("escape_share")[-1] > 0.9
    assert none.series("N_TumX").max() == 0.0
    assert none.series("tumour_burden")[-1] < 0.2 * burden[-1]


def test_escape_clone_with_full_kill_factor_is_the_crbn_low_clone() -> None:
    """With ``tumour.escape_kill_factor`` = 1 the escape clone obeys the CRBN-low clone's
    equation exactly (same programme, same kills), so the two burdens keep their initial ratio:
    every treatment kill reaches both, none is double-counted or missed."""
    drd = regimen("DRd", 28, 3, RD, DARA[:1])
    r = sim(drd, "myeloma", 84, patient={"resistant_fraction": 0.05, "escape_fraction": 0.01},
            parameters={"tumour.escape_kill_factor": 1.0})
    ratio = r.series("N_TumX") / r.series("N_TumR")
    assert r.series("N_TumR")[-1] < 0.75 * r.series("N_TumR")[0]  # acts on it (0.57 measured)
    np.testing.assert_allclose(ratio, 0.2, rtol=1e-9)


def test_escape_clone_sensitivity_is_its_own_not_the_patients() -> None:
    """The escape clone carries the lesions that the patient's kill sensitivity stands for, so
    that sensitivity scales the other clones' treatment kills but not the escape clone's: with
    kill factor 1, a patient twice as sensitive loses the CRBN-low clone faster while the escape
    clone follows exactly the trajectory of a patient of sensitivity 1."""
    drd = regimen("DRd", 28, 3, RD, DARA[:1])
    pars = {"tumour.escape_kill_factor": 1.0}
    base = {"resistant_fraction": 0.05, "escape_fraction": 0.01}
    typical = sim(drd, "myeloma", 84, patient={**base, "kill_sensitivity": 1.0}, parameters=pars)
    high = sim(drd, "myeloma", 84, patient={**base, "kill_sensitivity": 2.0}, parameters=pars)
    assert high.series("N_TumR")[-1] < 0.6 * typical.series("N_TumR")[-1]  # 0.46 measured
    ratio = high.series("N_TumX") / typical.series("N_TumX")
    # the clone's own equation is unchanged; the shared terms (capacity brake, immune state,
    # antibody target load) follow the smaller burden, so the match is close, not exact
    # (0.13 % apart at most, measured; the CRBN-low clone ends 54 % lower)
    np.testing.assert_allclose(ratio, 1.0, rtol=0.01)
    assert (high.series("N_TumX") / high.series("N_TumR"))[-1] > 1.5 * 0.2  # 0.44 measured


def test_c3_lenalidomide_enhances_car_t() -> None:
    """C3 (refs 207, 208, 73): lenalidomide enhances CAR-T expansion, cytotoxicity and tumour
    control."""
    car = {"name": "infusion", "cycles": "1",
           "agents": [{"agent": "cart_cd19", "dose": 1.0e8, "unit": "cells", "days": "1"}]}
    with_len = sim(regimen("CAR+L", 28, 3, [{"agent": "lenalidomide", "dose": 10, "unit": "mg",
                                             "days": "1-21"}], [car]), "dlbcl_gcb", 84, 6)
    alone = sim(regimen("CAR", 28, 3, [], [car]), "dlbcl_gcb", 84, 6)
    day5 = int(np.argmin(np.abs(alone.t_days - 5)))
    assert with_len.series("cart_cd19_E")[day5] > 1.2 * alone.series("cart_cd19_E")[day5], \
        "faster expansion (the peak itself is capped by faster antigen clearance)"
    week = alone.t_days <= 7
    first_week = [x.series("cart_cd19_E")[week].sum() for x in (with_len, alone)]
    assert first_week[0] > 1.2 * first_week[1]
    assert with_len.series("cart_cd19_kill_TumS").max() > alone.series("cart_cd19_kill_TumS").max()
    assert with_len.series("tumour_burden")[-1] < alone.series("tumour_burden")[-1]
    peak_day = alone.t_days[np.argmax(alone.series("cart_cd19_E"))]
    assert 5 <= peak_day <= 21, "expansion peaks within weeks (U49: day 9.3)"


def test_c4_pembrolizumab_adds_little_and_carries_immune_toxicity() -> None:
    """C4 (KEYNOTE-183/185): adding pembrolizumab to an IMiD + dexamethasone gives no large
    benefit, and carries an immune-toxicity hazard that IMiD activation raises."""
    pd_ = [{"agent": "pomalidomide", "dose": 4, "unit": "mg", "days": "1-21"},
           {"agent": "dexamethasone", "dose": 40, "unit": "mg", "days": "1,8,15,22"}]
    pembro = [{"agent": "pembrolizumab", "dose": 200, "unit": "mg", "days": "1,22"}]
    kw = {"patient": {"resistant_fraction": 0.05, "cd28_fraction": 0.3}}
    with_p = sim(regimen("Pembro-Pd", 28, "until_progression", pd_ + pembro), "myeloma",
                 365, **kw)
    without = sim(regimen("Pd", 28, "until_progression", pd_), "myeloma", 365, **kw)
    alone = sim(regimen("Pembro", 28, "until_progression", pembro), "myeloma", 365, **kw)
    ratio = without.series("tumour_burden")[-1] / with_p.series("tumour_burden")[-1]
    assert ratio < 2.0, f"no large benefit (burden ratio {ratio:.2f})"
    assert with_p.series("irae_risk")[-1] > 0.05
    assert with_p.series("irae_risk")[-1] > 1.2 * alone.series("irae_risk")[-1]


def test_rituximab_terminal_half_life_about_three_weeks() -> None:
    """U10/U11: terminal half-life 22 days in NHL (popPK; 26.7 days in CLL). Measured 60-120
    days after four weekly doses in a follicular-lymphoma patient: within 25% of 22-26.7 days."""
    reg = regimen("R4", 28, 1, [], [RTX_C1])
    r = sim(reg, "fl", 150)
    c = r.series("rituximab_conc")
    t_half = 60 * np.log(2) / np.log(c[80] / c[140])
    assert 0.75 * 22.0 <= t_half <= 1.25 * 26.7, f"t1/2 {t_half:.1f} d"


def test_daratumumab_clearance_falls_as_target_is_depleted() -> None:
    """U1, U2, U5, U6: daratumumab's clearance falls with repeated dosing as CD38+ tumour is
    depleted; apparent half-life ~9 days after the first dose vs ~18 at steady state."""
    r = sim(regimen("DRd", 28, 6, RD, DARA[:2]), "myeloma", 168, 6)
    p = r.parameters
    c = r.series("daratumumab_conc")
    load = r.series("daratumumab_target_load")
    cl_total = p.value("daratumumab.CL") + p.value("daratumumab.Vmax") * load / (
        p.value("daratumumab.Km") + c) * (c > 0)
    early = cl_total[(r.t_days > 1) & (r.t_days < 7)].mean()
    late = cl_total[(r.t_days > 140)].mean()
    assert late < 0.5 * early
    linear_half_life_days = np.log(2) / (p.value("daratumumab.CL") / p.value("daratumumab.V1")
                                         ) / 24
    assert linear_half_life_days > 18 * 0.75
