"""Toxicity claim X1 (shared/design/MECHANISMS.md): neutropenia and thrombocytopenia follow dose
and exposure, and the grade 3-4 rates of the calibration trials are matched.

Bone-marrow module (modules/marrow.py): Friberg transit chains (T19, T20) whose production
falls with Ikaros loss in myeloid progenitors (S72/T25) and GSPT1 loss (S36); dexamethasone
demargination raises the observed ANC. Populations come from
``imidsim.modules.marrow.marrow_population`` (n=400, seed 20261), as in
scripts/calibrate_marrow.py; grades are CTCAE v5.0 (imidsim.toxicity).
"""

from __future__ import annotations

import numpy as np
import pytest

from imidsim.library.loader import marrow_calibration_targets
from imidsim.modules.marrow import marrow_population
from imidsim.toxicity import anc_grade, grade34_rate, platelet_grade, worst_grade

from ..conftest import oral, run

N, SEED = 400, 20261
S11_PRETREATED = 0.67  # share of S11 patients with >= 3 prior lines (trials_calibration.csv)
# The regimens and the seven rates scripts/calibrate_marrow.py fits jointly
# (library/marrow_calibration.yaml); first 4 cycles each.
TREATMENTS, JOINT_TARGETS, _ = marrow_calibration_targets()


@pytest.fixture(scope="module")
def standard_population() -> dict[str, np.ndarray]:
    """Relapsed myeloma, not heavily pretreated (the MM-010 population, S10)."""
    return marrow_population(N, seed=SEED, pretreated_fraction=0.0)


@pytest.fixture(scope="module")
def rd25_standard(standard_population):
    return run(TREATMENTS["rd25"], days=112, interval_h=2, patients=standard_population)


@pytest.fixture(scope="module")
def mono30_standard(standard_population):
    return run(TREATMENTS["mono30"], days=112, interval_h=2, patients=standard_population)


@pytest.fixture(scope="module")
def mono30_s11():
    """The S11 population: 67% heavily pretreated, otherwise the same draws."""
    pop = marrow_population(N, seed=SEED, pretreated_fraction=S11_PRETREATED)
    return run(TREATMENTS["mono30"], days=112, interval_h=2, patients=pop)


def test_ctcae_v5_grades() -> None:
    """CTCAE v5.0 'Neutrophil count decreased' and 'Platelet count decreased' (definitions;
    imidsim:modelling-choice for the LLN values 2.0 and 150 x10^9/L)."""
    anc = np.array([2.5, 2.0, 1.99, 1.5, 1.49, 1.0, 0.99, 0.5, 0.49, 0.0])
    assert anc_grade(anc).tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    plt = np.array([200, 150, 149, 75, 74.9, 50, 49, 25, 24.9])
    assert platelet_grade(plt).tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4]
    series = np.array([[3.0, 1.2, 0.8, 2.0], [3.0, 2.5, 1.6, 1.9]])
    assert worst_grade(series, "anc").tolist() == [3, 1]
    assert grade34_rate(series) == pytest.approx(0.5)
    assert grade34_rate(np.array([[200.0, 40.0]]), "platelets") == 1.0


def test_x1_untreated_counts_stay_at_baseline() -> None:
    """X1 baseline (T19): without drug the Friberg chain stays at its steady state, so ANC and
    platelets equal the patient's baseline counts."""
    r = run([], days=56, interval_h=6)
    assert r.series("ANC") == pytest.approx(3.5, abs=1e-9)
    assert r.series("PLT") == pytest.approx(200.0, abs=1e-7)


def test_x1_nadirs_deepen_with_dose() -> None:
    """X1 (review refs 170, 121; S4, T21/T22: higher lenalidomide dose and exposure give more
    neutropenia and thrombocytopenia): ANC and platelet nadirs fall monotonically over
    lenalidomide 5, 10, 25 and 30 mg d1-21/28."""
    anc, plt = [], []
    for dose in (5, 10, 25, 30):
        r = run([oral("lenalidomide", dose, "d1-21/28", 1)], days=28, interval_h=2)
        anc.append(r.series("ANC").min())
        plt.append(r.series("PLT").min())
    assert np.all(np.diff(anc) < 0), anc
    assert np.all(np.diff(plt) < 0), plt


def test_x1_nadirs_deepen_with_exposure() -> None:
    """X1 (S4, S56/T21, T22; renal PK T1/T2): at 25 mg, CrCl 30 mL/min (higher lenalidomide
    AUC) gives deeper ANC and platelet nadirs than CrCl 90 mL/min."""
    r = run([oral("lenalidomide", 25, "d1-21/28", 1)], days=28, interval_h=2,
            patients={"crcl_ml_min": [30.0, 90.0]})
    assert r.series("ANC", 0).min() < 0.95 * r.series("ANC", 1).min()
    assert r.series("PLT", 0).min() < 0.95 * r.series("PLT", 1).min()


def test_x1_monotherapy_30mg_more_neutropenic_than_rd(
        rd25_standard, mono30_standard, mono30_s11) -> None:
    """X1 (S11: 60% grade 3-4 neutropenia on lenalidomide 30 mg d1-21/28 alone in RRMM, 67%
    with >= 3 prior lines; S10: 16.5% and MM-009: 41.2% on lenalidomide 25 mg +
    dexamethasone): in one and the same population the higher dose without dexamethasone gives
    more neutropenia, and the S11 population (heavily pretreated marrow, a population covariate
    rather than a per-trial factor) more again."""
    assert grade34_rate(mono30_standard) > grade34_rate(rd25_standard)
    assert grade34_rate(mono30_s11) > grade34_rate(mono30_standard) + 0.02


@pytest.fixture(scope="module")
def joint_rates(rd25_standard, mono30_s11) -> dict[str, float]:
    known = {("rd25", 0.0): rd25_standard, ("mono30", S11_PRETREATED): mono30_s11}
    rates = {}
    for t in JOINT_TARGETS:
        key = (t.regimen, t.pretreated)
        res = known[key] if key in known else run(
            TREATMENTS[t.regimen], days=112, interval_h=2,
            patients=marrow_population(N, seed=SEED, pretreated_fraction=t.pretreated))
        rates[t.label] = grade34_rate(res)
    return rates


def test_x1_calibrated_grade34_rates(joint_rates, mono30_s11) -> None:
    """X1 (S10, MM-009, S11, MM-002, STRATUS, S29; scripts/calibrate_marrow.py): first 4
    cycles, the seven grade 3-4 neutropenia rates are met jointly, rms 8.5 points at the
    calibration (within 10 here), and none is off by 16 points or more (S10 and S11, the
    farthest, pull in opposite directions: 16.5% and 60% for two lenalidomide doses that the
    model's saturated CRBN occupancy treats almost alike). The 16-point bound is the fit's own
    worst gap, not a data spread: S11 sits on it (44.0% of 400 patients against 60%, which the
    strict comparison passes only because 0.44 - 0.60 rounds to just under 0.16), so any
    drift of the fit away from S11 fails here. The data's own spread for one regimen is wider
    (lenalidomide 25 mg + dex: 16.5% in S10, 41.2% in MM-009). Grade 3-4 thrombocytopenia on
    30 mg alone is 39% +/- 10 points (S11)."""
    gaps = np.array([joint_rates[t.label] - t.observed for t in JOINT_TARGETS])
    assert np.sqrt(np.mean(gaps ** 2)) < 0.10, dict(zip(joint_rates, gaps.round(3), strict=True))
    assert np.all(np.abs(gaps) < 0.16), dict(zip(joint_rates, gaps.round(3), strict=True))
    assert grade34_rate(mono30_s11, "platelets") == pytest.approx(0.39, abs=0.10)


def test_x1_pomalidomide_no_more_neutropenic_than_lenalidomide_30mg(joint_rates) -> None:
    """X1 (S11 60% on lenalidomide 30 mg vs MM-002 48% on pomalidomide 4 mg, both heavily
    pretreated): pomalidomide removes more progenitor Ikaros, yet its rate stays within 10
    points of lenalidomide 30 mg's, not 17 above it as with the IKZF1 arrest alone. The data
    put it 12 below; the model still puts it 5 above (48.8% against 44.0%), so this guards the
    improvement and does not claim the published ranking."""
    assert (joint_rates["MM-002 pomalidomide 4 mg"]
            < joint_rates["S11 lenalidomide 30 mg"] + 0.10)


def test_x1_ck1a_loss_adds_to_lenalidomide_marrow_toxicity_only() -> None:
    """X1 with review ref 171 (lenalidomide, not pomalidomide, costs normal HSPCs through
    CK1alpha degradation and p53): without the CK1alpha precursor death the lenalidomide
    30 mg ANC nadir is higher, pomalidomide's moves less (a tenth of lenalidomide's CK1alpha
    efficiency, partly made up by its longer half-life: measured 12.6 % against 23.2 % at the
    calibrated strength, a ratio of 0.54 that the 0.75 bound holds with room for the CK1alpha
    strength to move), and avadomide's not at all (it does not degrade CK1alpha)."""
    nadir = {}
    for drug, dose in (("lenalidomide", 30), ("pomalidomide", 4), ("avadomide", 3)):
        for kill in ("on", "off"):
            r = run([oral(drug, dose, "d1-21/28", 1)], days=28, interval_h=2,
                    parameters={"marrow.ck1a_kill": 0.0} if kill == "off" else None)
            nadir[drug, kill] = r.series("ANC").min()
    gain = {d: nadir[d, "off"] / nadir[d, "on"] - 1 for d in ("lenalidomide", "pomalidomide",
                                                             "avadomide")}
    assert gain["lenalidomide"] > 0.02, gain
    assert 0.0 < gain["pomalidomide"] < 0.75 * gain["lenalidomide"], gain
    assert gain["avadomide"] == pytest.approx(0.0, abs=1e-9), gain


def test_x1_avadomide_intermittent_schedule_spares_neutrophils(standard_population) -> None:
    """X1 (S28: the 5/7-day intermittent avadomide schedule reduced neutropenia; S29/T30:
    52% grade 3-4 on 3 mg daily): avadomide 3 mg 5 days on / 2 off gives a higher ANC nadir
    and fewer grade 3-4 neutropenias than 3 mg daily over 4 weeks."""
    cont = run([oral("avadomide", 3, "continuous", 1)], days=28, interval_h=2,
               patients=standard_population)
    inter = run([oral("avadomide", 3, "5/7", 4)], days=28, interval_h=2,
                patients=standard_population)
    nadir_c = np.median([cont.series("ANC", i).min() for i in range(N)])
    nadir_i = np.median([inter.series("ANC", i).min() for i in range(N)])
    assert nadir_i > 1.05 * nadir_c
    assert grade34_rate(inter) < grade34_rate(cont) - 0.05


def test_x1_crbn_knockout_in_progenitors_removes_neutropenia() -> None:
    """X1 with M1 (S72/T25: the marrow effect is CRBN-dependent IKZF1 degradation in CD34+
    progenitors): with crbn.level_Prog = 0 lenalidomide leaves ANC and platelets at baseline."""
    tx = [oral("lenalidomide", 25, "d1-21/28", 1)]
    ko = run(tx, days=28, interval_h=2, parameters={"crbn.level_Prog": 0.0})
    wt = run(tx, days=28, interval_h=2)
    assert ko.series("ANC") == pytest.approx(3.5, abs=1e-9)
    assert ko.series("PLT") == pytest.approx(200.0, abs=1e-7)
    assert wt.series("ANC").min() < 0.5 * 3.5


def test_x1_anc_recovers_in_drug_free_week() -> None:
    """X1 (T24: IKZF levels recover within the 7 drug-free days; S72): on lenalidomide 25 mg
    d1-21/28 the ANC at day 28 is above the ANC at day 21."""
    r = run([oral("lenalidomide", 25, "d1-21/28", 1)], days=28, interval_h=1)
    t, anc = r.t_days, r.series("ANC")
    assert anc[np.argmin(np.abs(t - 28))] > 1.2 * anc[np.argmin(np.abs(t - 21))]


def test_x1_gspt1_loss_is_progenitor_toxic() -> None:
    """X1 with M5 (S36: GSPT1 degradation by CC-885 is broadly cytotoxic): CC-885 at 0.1 uM
    deepens the ANC nadir through progenitor death beyond its IKZF1 effect alone."""
    tx = [{"drug": "cc885", "concentration_uM": 0.1}]
    full = run(tx, days=14, interval_h=2)
    no_kill = run(tx, days=14, interval_h=2, parameters={"marrow.gspt1_kill": 0.0})
    assert full.series("GSPT1_Prog").min() < 0.1
    assert full.series("ANC").min() < 0.5 * no_kill.series("ANC").min()
