"""Malignant B-cell claims B1-B3 (shared/design/MECHANISMS.md)."""

from __future__ import annotations

import numpy as np
import pytest

from ..conftest import in_vitro, oral, run, window_mean


def test_b1_p21_arrest_in_cll() -> None:
    """B1 (review ref 72): lenalidomide raises p21 and arrests the cell cycle in CLL cells."""
    r = run([oral("lenalidomide", 10, "continuous", 1)], disease="cll", days=28, interval_h=2)
    base_prolif = r.series("prolif_TumS")[0]
    assert window_mean(r, "P21_TumS", 7, 28) > 1.5
    assert window_mean(r, "prolif_TumS", 7, 28) < 0.6 * base_prolif
    ko = run([oral("lenalidomide", 10, "continuous", 1)], disease="cll", days=28,
             interval_h=2, patient={"crbn_level": 0.0})
    assert ko.series("P21_TumS").max() == pytest.approx(1.0, abs=1e-9)


def test_b2_abc_dlbcl_irf4_spib_ifnb_crbn_dependent_and_more_sensitive_than_gcb() -> None:
    """B2 (review ref 191): in ABC-DLBCL lenalidomide lowers IRF4 and SPI-B and raises IFN-beta,
    CRBN-dependently; ABC is more sensitive than GCB."""
    tx = [in_vitro("lenalidomide", 1.0)]
    abc = run(tx, disease="dlbcl_abc", setting="in_vitro", days=4, interval_h=2)
    assert abc.series("IRF4_TumS")[-1] < 0.7
    assert abc.series("SPIB_TumS")[-1] < 0.7
    assert abc.series("IFNB_TumS")[-1] > 1.5
    ko = run(tx, disease="dlbcl_abc", setting="in_vitro", days=4, interval_h=2,
             patient={"crbn_level": 0.0})
    for name in ("IRF4_TumS", "SPIB_TumS", "IFNB_TumS"):
        assert ko.series(name)[-1] == pytest.approx(1.0, abs=1e-9)
    clinic = [oral("lenalidomide", 25, "d1-21/28", 2)]
    kill = {}
    for d in ("dlbcl_abc", "dlbcl_gcb"):
        r = run(clinic, disease=d, days=56, interval_h=24)
        kill[d] = r.series("tumour_burden")[-1]
    assert kill["dlbcl_abc"] < 0.5 * kill["dlbcl_gcb"]


@pytest.mark.parametrize("drug,dose", [("lenalidomide", 25), ("pomalidomide", 4)])
def test_b3_ikzf_loss_raises_cd38(drug: str, dose: float) -> None:
    """B3 (review ref 213; S40): IKZF loss raises CD38 on myeloma cells, CRBN-dependently."""
    r = run([oral(drug, dose, "d1-21/28", 1)], days=21, interval_h=2)
    assert window_mean(r, "CD38_TumS", 10, 21) > 1.3
    ko = run([oral(drug, dose, "d1-21/28", 1)], days=21, interval_h=2,
             patient={"crbn_level": 0.0})
    assert ko.series("CD38_TumS").max() == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("death_basal", [1.0e-4, 1.0e-3, 3.0e-3])
def test_untreated_tumour_grows_to_capacity_whatever_its_turnover(death_basal: float) -> None:
    """The logistic brake limits net growth, not gross division: untreated, the burden grows
    at the net rate while small and approaches the carrying capacity, for any turnover."""
    growth = 1.0e-3  # 1/h: doubling ~29 days
    r = run([], days=365, interval_h=24, parameters={"tumour.net_growth": growth,
                                                     "tumour.death_basal": death_basal})
    burden = r.series("tumour_burden")
    capacity = r.parameters.value("tumour.capacity")
    assert burden[-1] > 0.9 * capacity
    assert burden[-1] <= 1.1 * capacity
    # early growth at about the net rate (the brake is ~1 near the baseline burden)
    early = np.log(burden[10] / burden[0]) / (10 * 24)
    assert early == pytest.approx(growth, rel=0.2)
