"""How many steps does an order-5 method need to follow a degrader-driven substrate between doses?

Issue 6 asks whether the engine's between-dose steps (about 1.2-1.5 an hour on lenalidomide
dosing days) are set by the integrating-factor step's stiff-order shortfall or by the solution
itself. This probe strips the question to one species: a CRBN substrate made at rate s and lost
at lam(t) = k0 + (kmax - k0) occ(t), occ = C / (C + Kd), on lenalidomide 25 mg daily
(one-compartment approximation of the library's PK: ka 1.2353 /h, CL 11.74 L/h, V1 + V2 46 L;
Kd 0.06 uM; k0 = ln 2 / 12 h, crbn.kdeg0_CK1a). kmax is the loss rate the README's
finite-difference Jacobian measured for CK1alpha in progenitors (2.2 /h) and in the tumour
(5.0 /h). It counts the steps SciPy's Radau (L-stable, stiffly accurate, order 5), RK45 and
DOP853 take over hours 1-24 after the ninth dose at rtol 1e-6 / atol 1e-9, from the exact state.

Radau has no stability limit and no order reduction on this problem, so its count is what
following the smooth quasi-steady trajectory costs at this tolerance.

Run: ``python scripts/qss_resolution_probe.py`` (a few seconds).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.integrate import solve_ivp

KA, CL, V, MW, DOSE_MG = 1.2353, 11.74, 46.0, 259.27, 25.0  # drugs.yaml (lenalidomide)
KE = CL / V
KD_UM = 0.06  # lenalidomide.Kd
K0 = math.log(2) / 12.0  # crbn.kdeg0_CK1a: half-life 12 h
DAY = 24.0


def concentration_um(t: float) -> float:
    """Plasma lenalidomide (uM) at t hours, 25 mg every 24 h from t = 0 (superposition)."""
    total = 0.0
    for k in range(int(t // DAY) + 1):
        tau = t - k * DAY
        total += DOSE_MG / V * KA / (KA - KE) * (math.exp(-KE * tau) - math.exp(-KA * tau))
    return total * 1000.0 / MW


def count_steps(kmax: float) -> dict[str, tuple[int, float]]:
    def lam(t: float) -> float:
        c = concentration_um(t)
        return K0 + (kmax - K0) * c / (c + KD_UM)

    def rhs(t: float, y: np.ndarray) -> list[float]:
        return [K0 - lam(t) * y[0]]  # baseline level 1

    def jac(t: float, y: np.ndarray) -> list[list[float]]:
        return [[-lam(t)]]

    start, end = 8 * DAY + 1.0, 9 * DAY
    y0 = solve_ivp(rhs, (0.0, start), [1.0], method="Radau", jac=jac,
                   rtol=1e-11, atol=1e-14).y[:, -1]
    out = {}
    for method in ("Radau", "RK45", "DOP853"):
        extra = {"jac": jac} if method == "Radau" else {}
        res = solve_ivp(rhs, (start, end), y0, method=method, rtol=1e-6, atol=1e-9, **extra)
        out[method] = (len(res.t) - 1, float(np.median(np.diff(res.t))))
    return out


def main() -> None:
    print("steps over hours 1-24 after a lenalidomide 25 mg dose (rtol 1e-6, atol 1e-9)")
    for kmax in (2.2, 5.0):
        row = count_steps(kmax)
        print(f"  kmax {kmax} /h: " + ", ".join(f"{m} {n} (median h {h:.2f} h)"
                                               for m, (n, h) in row.items()))


if __name__ == "__main__":
    main()
