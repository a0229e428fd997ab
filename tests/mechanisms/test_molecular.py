"""Mechanism claims M1-M7 (shared/design/MECHANISMS.md), each run as a scenario."""

from __future__ import annotations

import numpy as np
import pytest

from ..conftest import in_vitro, oral, run, window_mean

KNOCKOUT = {"crbn.level_T": 0.0, "crbn.level_NK": 0.0, "crbn.level_Mac": 0.0,
            "crbn.level_Prog": 0.0, "crbn.level_B": 0.0}
CLINICAL = {"thalidomide": 200.0, "lenalidomide": 25.0, "pomalidomide": 4.0, "iberdomide": 1.6}


@pytest.mark.parametrize("drug", ["lenalidomide", "pomalidomide", "iberdomide", "thalidomide"])
def test_m1_crbn_is_required(drug: str) -> None:
    """M1 (review refs 173, 13): without CRBN no drug degrades IKZF1/3, kills tumour cells
    directly or raises T-cell IL-2; with CRBN it does all three."""
    tx = [oral(drug, CLINICAL[drug], "d1-21/28", 1)]
    ko = run(tx, parameters=KNOCKOUT, patient={"crbn_level": 0.0}, days=28, interval_h=2)
    wt = run(tx, days=28, interval_h=2)
    for ctx in ("TumS", "TumR", "T", "NK", "Mac", "B"):
        for s in ("IKZF1", "IKZF3"):
            name = f"{s}_{ctx}"
            if name in ko.model.species_names:
                assert ko.series(name).min() == pytest.approx(1.0, abs=1e-9), name
    assert ko.series("direct_kill_TumS").max() == pytest.approx(0.0, abs=1e-12)
    assert ko.series("IL2").max() == pytest.approx(1.0, abs=1e-9)
    assert wt.series("IKZF3_TumS").min() < 0.7
    assert wt.series("direct_kill_TumS").max() > 1e-3
    assert wt.series("IL2").max() > 1.3


def test_m2_lenalidomide_degrades_ck1a_most() -> None:
    """M2 (review refs 80, 186, 187): at clinical exposure lenalidomide degrades CK1a more than
    thalidomide and pomalidomide (del(5q) MDS selectivity)."""
    ck1a = {}
    for drug in ("lenalidomide", "thalidomide", "pomalidomide"):
        r = run([oral(drug, CLINICAL[drug], "d1-21/28", 1)], days=21, interval_h=2)
        ck1a[drug] = window_mean(r, "CK1a_Prog", 7, 21)
    assert ck1a["lenalidomide"] < 0.5 * ck1a["thalidomide"]
    assert ck1a["lenalidomide"] < 0.5 * ck1a["pomalidomide"]


def test_m3_potency_order_despite_lower_pomalidomide_exposure() -> None:
    """M3 (review refs 30, 31; pkpd_reference sections 2-3): at standard doses pomalidomide 4 mg
    degrades IKZF1/3 more deeply than lenalidomide 25 mg, and iberdomide 1.6 mg more than
    pomalidomide, although pomalidomide's plasma concentration is lower."""
    depth, cmax = {}, {}
    for drug in ("lenalidomide", "pomalidomide", "iberdomide"):
        r = run([oral(drug, CLINICAL[drug], "d1-21/28", 1)], days=21, interval_h=0.5)
        depth[drug] = window_mean(r, "IKZF3_TumS", 7, 21) + window_mean(r, "IKZF1_T", 7, 21)
        cmax[drug] = r.series(f"C_{drug}").max()
    assert cmax["pomalidomide"] < 0.25 * cmax["lenalidomide"]
    assert depth["pomalidomide"] < depth["lenalidomide"]
    assert depth["iberdomide"] < depth["pomalidomide"]


def _first_time(t: np.ndarray, v: np.ndarray, level: float) -> float:
    idx = np.flatnonzero(v <= level)
    return float(t[idx[0]]) if idx.size else np.inf


@pytest.mark.parametrize("drug", ["lenalidomide", "pomalidomide"])
def test_m4_myc_falls_before_irf4_before_death(drug: str) -> None:
    """M4 (review ref 189; S37): in myeloma cells c-Myc falls before IRF4 and both precede
    cell death (in vitro, 1 uM)."""
    r = run([in_vitro(drug, 1.0)], setting="in_vitro", days=6, interval_h=0.25)
    t = r.solution.t_h
    myc, irf4 = r.series("MYC_TumS"), r.series("IRF4_TumS")
    half = lambda v: _first_time(t, v, 1 - 0.5 * (1 - v.min()))  # noqa: E731
    t_myc, t_irf4 = half(myc), half(irf4)
    t_death = _first_time(t, r.series("N_TumS") / r.series("N_TumS")[0], 0.5)
    assert myc.min() < 0.8 and irf4.min() < 0.8
    assert t_myc < t_irf4 < t_death
    assert t_death < 6 * 24  # cells die within days, as after IRF4 knockdown (T27)


def test_m5_only_cc885_degrades_gspt1() -> None:
    """M5 (S36): CC-885 degrades GSPT1; lenalidomide and pomalidomide do not."""
    levels = {}
    for drug, conc in (("cc885", 0.1), ("lenalidomide", 10.0), ("pomalidomide", 1.0)):
        r = run([in_vitro(drug, conc)], setting="in_vitro", days=2, interval_h=1)
        levels[drug] = r.series("GSPT1_TumS")[-1]
    assert levels["cc885"] < 0.2
    assert levels["lenalidomide"] == pytest.approx(1.0, abs=1e-9)
    assert levels["pomalidomide"] == pytest.approx(1.0, abs=1e-9)


def test_m6_aiolos_follows_exposure() -> None:
    """M6 (S27, S38, T24): Aiolos in peripheral T and B cells falls within hours of the first
    lenalidomide dose and recovers in the drug-free week of d1-21/28."""
    r = run([oral("lenalidomide", 25, "d1-21/28", 2)], days=35, interval_h=0.5)
    t = r.t_days
    for name in ("IKZF3_T", "IKZF3_B"):
        v = r.series(name)
        assert v[t <= 6 / 24].min() < 0.85, "falls within 6 h of the first dose"
        assert window_mean(r, name, 14, 21) < 0.7, "stays low while dosing"
        assert v[np.argmin(np.abs(t - 28.0))] > 0.95, "recovered by day 28 (C2D1)"
        assert v[np.argmin(np.abs(t - 29.0))] < 0.85, "falls again in cycle 2"


def test_m7_response_falls_with_crbn_expression() -> None:
    """M7 (S46, S47, T37): lower CRBN lowers response; in the lowest band it approaches zero
    (S47: no >=PR in the lowest CRBN band; S46: no responder with very low CRBN).

    Per CRBN band, 40 patients differing in tumour growth and resistant fraction (fixed seed)
    receive six cycles of lenalidomide; the >=PR rate (M-protein -50%) is computed per band.
    """
    bands = [0.02, 0.05, 0.1, 0.3, 1.0]
    n = 40
    rng = np.random.default_rng(7)
    growth = 1.582e-4 * rng.lognormal(0.0, 0.5, n)
    resistant = np.clip(1e-3 * rng.lognormal(0.0, 1.0, n), 0, 0.5)
    panel = {"patient.crbn_level": np.repeat(bands, n),
             "tumour.net_growth": np.tile(growth, len(bands)),
             "patient.resistant_fraction": np.tile(resistant, len(bands))}
    r = run([oral("lenalidomide", 25, "d1-21/28", 6)], days=168, interval_h=24, patients=panel)
    best = np.array([r.series("MPROTEIN", i).min() / r.series("MPROTEIN", i)[0] - 1
                     for i in range(n * len(bands))]).reshape(len(bands), n)
    pr_rate = (best <= -0.5).mean(axis=1)
    assert np.all(np.diff(pr_rate) >= 0), f"PR rate should rise with CRBN: {pr_rate}"
    assert pr_rate[0] == 0.0, "lowest CRBN band: no partial responses"
    assert pr_rate[-1] >= 0.5, "typical CRBN: most patients respond"
    assert np.all(np.diff(np.median(best, axis=1)) <= 0), "median depth grows with CRBN"
