"""Linear oral PK: the closed form against numerical integration and analytic formulas, and the
library parameters against the published exposure numbers of pkpd_reference.md (S#) and the
lenalidomide renal study (T1, T2 in docs/literature/parameter_search_2026-11.md)."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from imidsim.library.loader import base_parameters, drug
from imidsim.pk.drug_pk import ExposureSummary, exposure_summary, linear_pk
from imidsim.pk.linear import LinearPK


@pytest.fixture(scope="module")
def params():
    return base_parameters()


def pk_of(name: str, params) -> LinearPK:
    return linear_pk(drug(name), params, 1)


def summary(name: str, dose_mg: float, crcl: float | None = None) -> ExposureSummary:
    return exposure_summary(drug(name), base_parameters(), dose_mg, crcl=crcl)


def within(value: float, target: float, rel: float) -> bool:
    return abs(value / target - 1.0) <= rel


# ------------------------------------------------------------------ closed form vs integration

def integrate(pk: LinearPK, times: np.ndarray, dose_times: np.ndarray,
              doses: np.ndarray) -> np.ndarray:
    """Central concentration (ng/mL) by LSODA over ``dx/dt = A x`` with bolus doses to the gut."""
    a = pk.system_matrix()[0]
    lag = float(pk.lag[0])
    events = sorted(zip(dose_times + lag, doses * float(pk.f[0]), strict=True))
    x = np.zeros(3)
    out = np.zeros(times.size)
    t_now = 0.0
    bounds = [ev[0] for ev in events] + [float(times[-1]) + 1.0]
    for k, (t_dose, amount) in enumerate(events):
        if t_dose > t_now:  # no drug moves before the first dose
            t_now = t_dose
        x[0] += amount
        t_next = bounds[k + 1]
        sel = (times >= t_now) & (times < t_next)
        t_eval = np.append(times[sel], t_next)
        sol = solve_ivp(lambda _t, y: a @ y, (t_now, t_next), x, method="LSODA",
                        t_eval=t_eval, rtol=1e-10, atol=1e-12, jac=lambda _t, _y: a)
        assert sol.success
        out[sel] = sol.y[1, :-1]
        x = sol.y[:, -1]
        t_now = t_next
    return out / float(pk.v1[0]) * 1e3


@pytest.mark.parametrize("name", ["thalidomide", "pomalidomide"])
def test_closed_form_matches_numerical_integration(name: str, params) -> None:
    """10 daily doses: superposed eigen-solution == LSODA solution of the same A (rel < 1e-6).

    Thalidomide is one-compartment with a 0.41 h lag [S17]; pomalidomide two-compartment.
    """
    pk = pk_of(name, params)
    if name == "thalidomide":
        assert pk.lag[0] > 0 and pk.q[0] == 0
    else:
        assert pk.q[0] > 0
    dose_times = np.arange(10) * 24.0
    doses = np.full(10, 4.0 if name == "pomalidomide" else 200.0)
    times = np.linspace(0.0, 12 * 24.0, 2881)
    closed = pk.concentration(times, dose_times, doses)[0]
    numeric = integrate(pk, times, dose_times, doses)
    mask = numeric > 1e-3 * numeric.max()
    assert mask.sum() > 2000
    rel = np.abs(closed[mask] / numeric[mask] - 1.0)
    assert rel.max() < 1e-6, f"{name}: max relative error {rel.max():.3e}"


def test_one_compartment_matches_bateman(params) -> None:
    """Thalidomide (lag removed): C = F D ka / (V (ka - k)) (exp(-k t) - exp(-ka t)) [S17]."""
    pk = pk_of("thalidomide", params)
    pk = replace(pk, lag=np.zeros(1))
    ka, v, f = float(pk.ka[0]), float(pk.v1[0]), float(pk.f[0])
    k = float(pk.cl[0]) / v
    dose = 200.0
    t = np.linspace(0.5, 120.0, 2000)
    bateman = f * dose * ka / (v * (ka - k)) * (np.exp(-k * t) - np.exp(-ka * t)) * 1e3
    c = pk.concentration(t, np.array([0.0]), np.array([dose]))[0]
    rel = np.abs(c / bateman - 1.0)
    assert rel.max() < 1e-9, f"max relative error {rel.max():.3e}"


@pytest.mark.parametrize(("name", "dose"), [("thalidomide", 200.0), ("lenalidomide", 25.0),
                                            ("pomalidomide", 4.0)])
def test_auc_inf_matches_trapezoid(name: str, dose: float, params) -> None:
    """AUC0-inf = F D / CL equals the trapezoid integral of C over 0-20 half-lives (0.5%)."""
    pk = pk_of(name, params)
    ex = exposure_summary(drug(name), params, dose)
    t_end = 20 * float(pk.terminal_half_life()[0])
    t = np.linspace(0.0, t_end, 200_001)
    c = pk.concentration(t, np.array([0.0]), np.array([dose]))[0]
    auc = float(np.trapezoid(c, t))
    assert within(ex.auc_ng_h_ml, auc, 0.005), (ex.auc_ng_h_ml, auc)


# ------------------------------------------------------------------ acceptance vs pkpd_reference

def test_lenalidomide_25mg_exposure() -> None:
    """Lenalidomide 25 mg single dose.

    Cmax 470 ng/mL and AUC 2130 ng.h/mL are the 10 mg MDS values of [S1] (188 ng/mL,
    852.3 ng.h/mL) x 2.5, using dose-linear PK [S2]. tmax 0.5-2.0 h is the S1 range [S1].
    t1/2 3-4 h is the healthy-volunteer range [S2].
    """
    ex = summary("lenalidomide", 25.0)
    assert within(ex.cmax_ng_ml, 470.0, 0.20), ex.cmax_ng_ml
    assert 0.5 <= ex.tmax_h <= 2.0, ex.tmax_h
    assert within(ex.auc_ng_h_ml, 2130.0, 0.20), ex.auc_ng_h_ml
    assert 3.0 <= ex.t_half_h <= 4.0, ex.t_half_h


def test_pomalidomide_4mg_exposure() -> None:
    """Pomalidomide 4 mg QD.

    Steady-state Cmax 75 ng/mL and AUCtau 400 ng.h/mL come from the US label [S12]. For
    linear PK, AUCtau at steady state equals the single-dose AUC0-inf. tmax 2-3 h is from
    [S12] and [S13]. t1/2 7.5 h is the MM median [S13], [S66].
    """
    ex = summary("pomalidomide", 4.0)
    assert within(ex.cmax_ss_ng_ml, 75.0, 0.20), ex.cmax_ss_ng_ml
    assert within(ex.auc_ng_h_ml, 400.0, 0.20), ex.auc_ng_h_ml
    assert within(ex.auc_tau_ss_ng_h_ml, ex.auc_ng_h_ml, 1e-3), ex.auc_tau_ss_ng_h_ml
    assert 2.0 <= ex.tmax_h <= 3.0, ex.tmax_h
    assert within(ex.t_half_h, 7.5, 0.20), ex.t_half_h


def test_thalidomide_200mg_exposure() -> None:
    """Thalidomide 200 mg single dose in healthy men.

    From [S17]: Cmax 1.15 ug/mL, tmax 4.39 h, CL/F 10.41 L/h (so AUC = 200/10.41 mg.h/L)
    and t1/2 8.70 h. The label's tmax range 2.9-5.7 h is from [S19].
    """
    ex = summary("thalidomide", 200.0)
    assert within(ex.cmax_ng_ml, 1150.0, 0.20), ex.cmax_ng_ml
    assert 2.9 <= ex.tmax_h <= 5.7, ex.tmax_h
    assert within(ex.tmax_h, 4.39, 0.20), ex.tmax_h
    assert within(ex.auc_ng_h_ml, 200.0 / 10.41 * 1e3, 0.20), ex.auc_ng_h_ml
    assert within(ex.t_half_h, 8.70, 0.20), ex.t_half_h


# ------------------------------------------------------------------ renal covariate

NORMAL, MILD = 114.0, 65.5  # group CrCl midpoints, mL/min (T1, T2)


def pooled_reference_auc() -> float:
    """AUC of the pooled normal (n=7) and mild (n=5) groups, 25 mg [T2]."""
    return (7 * summary("lenalidomide", 25.0, NORMAL).auc_ng_h_ml
            + 5 * summary("lenalidomide", 25.0, MILD).auc_ng_h_ml) / 12


@pytest.mark.parametrize(("crcl", "target"), [(39.5, 2.4), (23.0, 3.4), (5.0, 4.6)])
def test_lenalidomide_renal_auc_ratios(crcl: float, target: float) -> None:
    """AUC ratio vs pooled normal + mild: moderate +140%, severe +240%, ESRD +360% [T2], i.e.
    2.4, 3.4 and 4.6 (renal study [S5] = [T1]). ESRD CrCl 5 mL/min is assumed. Tolerance 25%."""
    ratio = summary("lenalidomide", 25.0, crcl).auc_ng_h_ml / pooled_reference_auc()
    assert within(ratio, target, 0.25), (crcl, ratio)


def test_lenalidomide_mild_vs_normal() -> None:
    """Mild vs normal renal function: mean AUC difference below 20% [T1], [T2] ([S5])."""
    ratio = (summary("lenalidomide", 25.0, MILD).auc_ng_h_ml
             / summary("lenalidomide", 25.0, NORMAL).auc_ng_h_ml)
    assert 1.0 < ratio < 1.2, ratio


def test_lenalidomide_auc_rises_as_crcl_falls() -> None:
    """CL correlates with CrCl (R > 0.9) [T1], so AUC rises strictly as CrCl falls [S5]."""
    crcls = [140, 114, 90, 65.5, 50, 39.5, 30, 23, 10]
    aucs = [summary("lenalidomide", 25.0, c).auc_ng_h_ml for c in crcls]
    assert all(b > a for a, b in pairwise(aucs)), aucs


# ------------------------------------------------------------------ superposition and limits

def test_drug_free_week_after_21_daily_doses(params) -> None:
    """Lenalidomide D1-21/28: after the 7-day break the plasma is drug-free (t1/2 3-4 h [S2])."""
    pk = pk_of("lenalidomide", params)
    dose_times = np.arange(21) * 24.0
    t = np.linspace(0.0, 28 * 24.0, 28 * 24 * 20 + 1)
    c = pk.concentration(t, dose_times, np.full(21, 25.0))[0]
    assert np.all(np.isfinite(c)) and np.all(c >= 0)
    peak = c.max()
    day28 = t >= 27 * 24.0  # day 28 of the cycle (dosing on day 1 at t = 0)
    assert c[day28].max() < 1e-6 * peak, (c[day28].max(), peak)
    # superposition: the 21-dose curve is the sum of shifted single-dose curves
    single = sum(pk.concentration(t, np.array([td]), np.array([25.0]))[0] for td in dose_times)
    np.testing.assert_allclose(c, single, rtol=1e-12, atol=1e-12 * peak)


def test_degenerate_ka_equal_k_gives_bateman_limit(params) -> None:
    """ka = k makes A defective; the result must stay finite and equal the limit
    C = F D k t exp(-k t) / V (within 1e-5 relative). Thalidomide CL and V [S17]."""
    pk = pk_of("thalidomide", params)
    v, cl, f = float(pk.v1[0]), float(pk.cl[0]), float(pk.f[0])
    k = cl / v
    pk = replace(pk, ka=np.array([k]), lag=np.zeros(1))
    dose = 200.0
    t = np.linspace(0.0, 20 / k, 2001)
    c = pk.concentration(t, np.array([0.0]), np.array([dose]))[0]
    assert np.all(np.isfinite(c))
    limit = f * dose * k * t * np.exp(-k * t) / v * 1e3
    mask = limit > 1e-3 * limit.max()
    rel = np.abs(c[mask] / limit[mask] - 1.0)
    assert rel.max() < 1e-5, f"max relative error {rel.max():.3e}"
