"""Calibrate the CRBN glue layer and T-cell IL-2 gain to the clinical PD anchors.

Fits, with every other parameter at its library value:

1. ``iberdomide.a_IKZF1/3`` so that iberdomide's Ikaros DC50 is 24-fold below pomalidomide's
   at steady state in cells (S33), given the Kd ratio of 20 (S33) and the closure values;
2. ``crbn.kcat`` and ``pomalidomide.Kd`` (with the derived Kds of lenalidomide, iberdomide,
   mezigdomide and avadomide following) to the single-dose iberdomide Aiolos nadir in B cells
   of healthy volunteers, 28% at 0.3 mg and 12% at 6 mg (range 12-28%, S24), using the
   healthy-volunteer clearance of 20.41 L/h (S21);
3. ``tcell.il2_max`` to plasma IL-2 +144% after 24 weeks of iberdomide 0.45 mg daily (S25).

Run: ``python scripts/calibrate_crbn.py`` (prints the values to put in the library YAML).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq, least_squares

from imidsim.scenario import parse_scenario
from imidsim.simulation import Simulation

HEALTHY_IBER = {"iberdomide.CL": 20.41, "iberdomide.V1": 20.41 * 14 / np.log(2)}


def overrides(kd_pom: float, kcat: float, a_iber: float) -> dict[str, float]:
    return {"pomalidomide.Kd": kd_pom, "lenalidomide.Kd": kd_pom, "iberdomide.Kd": kd_pom / 20,
            "mezigdomide.Kd": kd_pom / 60, "avadomide.Kd": kd_pom / 10, "crbn.kcat": kcat,
            "iberdomide.a_IKZF1": a_iber, "iberdomide.a_IKZF3": a_iber}


def steady_ikzf1(drug: str, conc: float, params: dict[str, float]) -> float:
    sc = parse_scenario({"name": "dc50", "duration_days": 10, "parameters": params,
                         "treatments": [{"drug": drug, "concentration_uM": conc}]})
    return float(Simulation(sc).solve().series("IKZF1_TumS")[-1])


def dc50(drug: str, params: dict[str, float]) -> float:
    f = lambda logc: steady_ikzf1(drug, 10**logc, params) - 0.5  # noqa: E731
    if f(3.0) > 0:  # half-degradation unreachable: maximal effect below 50%
        return 1e6
    return 10 ** brentq(f, -7, 3, xtol=1e-6)


def fit_a_iber(kd_pom: float, kcat: float) -> float:
    def gap(log_a: float) -> float:
        p = overrides(kd_pom, kcat, 10**log_a)
        return np.log(dc50("pomalidomide", p) / dc50("iberdomide", p)) - np.log(24.0)
    return 10 ** brentq(gap, -2, 1.5, xtol=1e-6)


def nadir(dose: float, params: dict[str, float]) -> float:
    sc = parse_scenario({"name": "sd", "duration_days": 4, "output": {"interval_h": 0.25},
                         "parameters": {**params, **HEALTHY_IBER},
                         "treatments": [{"drug": "iberdomide", "dose_mg": dose}]})
    return float(Simulation(sc).solve().series("IKZF3_B").min())


def main() -> None:
    kd, kcat, a = 0.06, 0.5, 0.42
    for _ in range(4):
        a = fit_a_iber(kd, kcat)

        def res(x: np.ndarray, a: float = a) -> list[float]:
            p = overrides(10 ** x[0], 10 ** x[1], a)
            return [np.log(nadir(0.3, p) / 0.28), np.log(nadir(6.0, p) / 0.12)]

        fit = least_squares(res, np.log10([kd, kcat]), diff_step=1e-3)
        kd, kcat = 10 ** fit.x
        print(f"a_iber={a:.4g} Kd_pom={kd:.4g} uM kcat={kcat:.4g} /h residuals={fit.fun}")
    p = overrides(kd, kcat, a)
    print("nadirs 0.3/1/6 mg:", [round(nadir(d, p), 3) for d in (0.3, 1.0, 6.0)])
    sc = parse_scenario({"name": "il2", "duration_days": 168, "output": {"interval_h": 1},
                         "parameters": {**p, **HEALTHY_IBER, "tcell.il2_max": 1.0},
                         "treatments": [{"drug": "iberdomide", "dose_mg": 0.45,
                                         "schedule": "continuous", "cycles": 6}]})
    r = Simulation(sc).solve()
    il2 = r.series("IL2")[-25:].mean() - 1.0
    print(f"IL-2 rise with il2_max=1: {il2:.4f}; il2_max for +144%: {1.441 / il2:.4g}")
    for k, v in p.items():
        print(f"  {k}: {v:.6g}")


if __name__ == "__main__":
    main()
