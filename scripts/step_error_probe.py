"""Where the engine's step size comes from between doses (DRd, one patient): a NumPy replica.

Replicates one engine attempt (the Lawson DOPRI5 step with the integrating factor of
``engine/kernel_template.py``: same transform rule, frozen loss rate and equilibrium shift) and,
for comparison, a Cox-Matthews ETDRK4 step with an ETD3 error estimate, against a tight SciPy
reference (rtol 1e-9, PK amounts as ODE states). Prints, for patient 0 of the DRd benchmark
population on day 9 (a dosing day):

1. each species' share of the error norm of a 0.75 h step at hours 2, 4, 8 and 12 after the
   dose, and the step at which the error estimate reaches 1 with every species, without
   CK1alpha in progenitors, and without any transformed species;
2. the error estimate and the true local error of each step at h = 0.5 ... 8 h (hour 8);
3. the steps each needs over the whole day under a DOPRI-style controller.

A Lawson DOP853 step (the same transform on SciPy's DOP853 coefficients) is compared too.

Run: ``python scripts/step_error_probe.py`` (about a minute). Figures: README, throughput.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
from scipy.integrate import solve_ivp
from scipy.integrate._ivp import dop853_coefficients as dop853
from scipy.optimize import brentq

from imidsim.bench import bench_patients, bench_scenario
from imidsim.engine.kernel_template import FAC_DOWN, FAC_UP, LAM_MAX, LAMH_MAX, SAFE
from imidsim.engine.solve import INTEGRATING_FACTOR_MIN as LAMH_MIN
from imidsim.engine.solve import initial_state

RTOL, ATOL = 1e-6, 1e-9
DAY = 9
C = [0.0, 0.2, 0.3, 0.8, 8 / 9, 1.0]
A = [[], [0.2], [3 / 40, 9 / 40], [44 / 45, -56 / 15, 32 / 9],
     [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
     [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656]]
B5 = [35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84]
ERR = [71 / 57600, 0.0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40]

sim = bench_scenario("DRd", (DAY + 1) / 365)
table = sim.patient_table(bench_patients("DRd", 2, seed=0))
P, plan, cm = sim.parameter_matrix(table), sim.dosing_plan(table), sim.compiled.general()
names = cm.model.species_names
ns, nd = len(names), len(cm.model.inputs)
p = P[0]
rate = np.einsum("dik,dk,dkj->dij", plan.vec[0], plan.lam[0], plan.vinv[0])
scale, cfix = plan.scale[0], plan.cfix[0]
rhs, rhs_lam = cm.rhs, cm.module.rhs_lam


def conc(x: np.ndarray) -> np.ndarray:
    return np.maximum(x.reshape(nd, 3)[:, 1] * scale, 0.0) + cfix


def reference() -> list:
    """Dense SciPy solutions between dosing events (tight tolerances)."""
    events = [(t, d, a, k) for t, d, a, k in zip(plan.ev_t[0], plan.ev_d[0], plan.ev_amt[0],
                                                 plan.ev_cmt[0], strict=True) if d >= 0 or d <= -2]
    end = (DAY + 1) * 24.0
    cuts = sorted({0.0, *[t for t, *_ in events if t < end], end})
    z = np.concatenate([initial_state(cm, P)[0], np.zeros(nd * 3)])
    dy = np.zeros(ns)

    def f(t: float, w: np.ndarray) -> np.ndarray:
        rhs(t, w[:ns], p, conc(w[ns:]), dy)
        return np.concatenate([dy, np.einsum("dij,dj->di", rate, w[ns:].reshape(nd, 3)).ravel()])

    out = []
    for t0, t1 in pairwise(cuts):
        for te, d, a, k in events:
            if te == t0:
                if d >= 0:
                    z[ns + 3 * d + k] += a
                else:
                    z[-d - 2] += a
        sol = solve_ivp(f, (t0, t1), z, method="RK45", rtol=1e-9, atol=1e-12,
                        dense_output=True)
        out.append(sol)
        z = sol.y[:, -1].copy()
    return out


SOLS = reference()


def at(t: float) -> tuple[np.ndarray, np.ndarray]:
    """Reference state and drug concentrations at ``t`` (h), inside one dosing interval."""
    sol = next(s for s in SOLS if s.t[0] <= t <= s.t[-1])
    w = sol.sol(t)
    return w[:ns].copy(), conc(w[ns:])


def f_at(t: float, x: np.ndarray) -> np.ndarray:
    out = np.zeros(ns)
    rhs(t, x, p, at(t)[1], out)
    return out


def transformed(t: float, x: np.ndarray, h: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """f(x) at the step's start, the species the engine transforms for a step ``h``, and their
    loss rates L (0 for the others), by the engine's rule."""
    f0, lam = np.zeros(ns), np.zeros(ns)
    rhs_lam(t, x, p, at(t)[1], f0, lam)
    tr = (lam * h > LAMH_MIN) & (lam <= LAM_MAX)
    return f0, tr, np.where(tr, np.minimum(lam, LAMH_MAX / h), 0.0)


def lawson_frame(t: float, x: np.ndarray, h: float):
    """The engine's Lawson transform for one attempt: (f0, transformed, L, u0, stage), where
    ``stage(c, u)`` maps a stage value ``u`` at ``t + c h`` to (its derivative in u, x)."""
    f0, tr, L = transformed(t, x, h)
    S = np.where(tr, x + f0 / np.where(tr, L, 1.0), 0.0)

    def stage(ci: float, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        e = np.exp(-L * ci * h)
        xx = np.where(tr, S + e * u, u)
        fx = f_at(t + ci * h, xx)
        return np.where(tr, (fx + L * (xx - S)) / e, fx), xx

    return f0, tr, L, np.where(tr, x - S, x), stage


def lawson(t: float, x: np.ndarray, h: float) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """One engine attempt: (x1, error norm, per-species squared scaled error, transformed)."""
    f0, tr, L, u0, stage = lawson_frame(t, x, h)
    ks = [np.where(tr, 0.0, f0)]
    for i in range(1, 6):
        ks.append(stage(C[i], u0 + h * sum(b * k for b, k in zip(A[i], ks, strict=False)))[0])
    k7, x1 = stage(1.0, u0 + h * sum(b * k for b, k in zip(B5, ks, strict=False)))
    ks.append(k7)
    e = np.where(tr, np.exp(-L * h), 1.0) * h * sum(c * k for c, k in zip(ERR, ks, strict=True))
    r = (e / (ATOL + RTOL * np.maximum(np.abs(x), np.abs(x1)))) ** 2
    return x1, float(np.sqrt(r.mean())), r, tr


def phis(z: np.ndarray) -> tuple[np.ndarray, ...]:
    """exp(z), phi_1, phi_2, phi_3 (Taylor series near 0)."""
    small = np.abs(z) < 0.2
    zs = np.where(small, 1.0, z)
    ez = np.exp(z)
    s1 = 1 + z / 2 + z**2 / 6 + z**3 / 24 + z**4 / 120 + z**5 / 720
    s2 = 1 / 2 + z / 6 + z**2 / 24 + z**3 / 120 + z**4 / 720 + z**5 / 5040
    s3 = 1 / 6 + z / 24 + z**2 / 120 + z**3 / 720 + z**4 / 5040 + z**5 / 40320
    return (ez, np.where(small, s1, (ez - 1) / zs), np.where(small, s2, (ez - 1 - z) / zs**2),
            np.where(small, s3, (ez - 1 - z - z * z / 2) / zs**3))


def etdrk4(t: float, x: np.ndarray, h: float) -> tuple[np.ndarray, float]:
    """Cox-Matthews ETDRK4 with the ETD3 solution as error estimate (5 evaluations)."""
    f0, _, L = transformed(t, x, h)

    def n(tt: float, xx: np.ndarray) -> np.ndarray:
        return f_at(tt, xx) + L * xx

    nn = f0 + L * x
    e2, q1, _, _ = phis(-L * h / 2)
    e, p1, p2, p3 = phis(-L * h)
    a = e2 * x + h / 2 * q1 * nn
    na = n(t + h / 2, a)
    b = e2 * x + h / 2 * q1 * na
    nb = n(t + h / 2, b)
    nc = n(t + h, e2 * a + h / 2 * q1 * (2 * nb - nn))
    x4 = e * x + h * ((p1 - 3 * p2 + 4 * p3) * nn + 2 * (p2 - 2 * p3) * (na + nb)
                      + (4 * p3 - p2) * nc)
    nb3 = n(t + h, e * x + h * p1 * (2 * na - nn))
    x3 = e * x + h * ((p1 - 3 * p2 + 4 * p3) * nn + 4 * (p2 - 2 * p3) * na
                      + (4 * p3 - p2) * nb3)
    sc = ATOL + RTOL * np.maximum(np.abs(x), np.abs(x4))
    return x4, float(np.sqrt(np.mean(((x4 - x3) / sc) ** 2)))


def lawson853(t: float, x: np.ndarray, h: float) -> tuple[np.ndarray, float]:
    """The same Lawson transform on DOP853 (SciPy's coefficients and error norm, 12
    evaluations)."""
    f0, tr, L, u0, stage = lawson_frame(t, x, h)
    a, c = dop853.A[:12, :12], dop853.C[:12]
    k = np.zeros((13, ns))
    k[0] = np.where(tr, 0.0, f0)
    for i in range(1, 12):
        k[i] = stage(c[i], u0 + h * (a[i, :i] @ k[:i]))[0]
    k[12], x1 = stage(1.0, u0 + h * (dop853.B @ k[:12]))
    w = np.where(tr, np.exp(-L * h), 1.0)
    sc = ATOL + RTOL * np.maximum(np.abs(x), np.abs(x1))
    e5 = float(np.sum((w * (k.T @ dop853.E5) / sc) ** 2))
    e3 = float(np.sum((w * (k.T @ dop853.E3) / sc) ** 2))
    return x1, 0.0 if e5 == e3 == 0 else h * e5 / float(np.sqrt((e5 + 0.01 * e3) * ns))


def true_error(x1: np.ndarray, t1: float) -> float:
    ref = at(t1)[0]
    return float(np.sqrt(np.mean(((x1 - ref) / (ATOL + RTOL * np.abs(ref))) ** 2)))


def day_steps(step, order: int) -> tuple[int, int]:
    t, t1 = DAY * 24.0 + 1e-6, (DAY + 1) * 24.0 - 1e-6
    x, h, n, rejected = at(t)[0], 0.05, 0, 0
    while t < t1 - 1e-12:
        h = min(h, t1 - t)
        x1, err = step(t, x, h)[:2]
        fac = FAC_UP if err == 0 else min(FAC_UP, max(FAC_DOWN, SAFE * err ** (-1 / order)))
        if err <= 1:
            t, x, n = t + h, x1, n + 1
        else:
            rejected += 1
        h *= fac
    return n, rejected


def main() -> None:
    next_dose = (DAY + 1) * 24.0
    print("1. error shares of a 0.75 h Lawson step, and the step where the estimate reaches 1")
    ck1a = np.array([nm == "CK1a_Prog" for nm in names])
    for hour in (2, 4, 8, 12):
        t = DAY * 24.0 + hour
        x = at(t)[0]
        _, err, r, tr = lawson(t, x, 0.75)
        top = np.argsort(-r)[:3]
        shares = ", ".join(f"{names[i]}{'*' if tr[i] else ''} {r[i] / r.sum():.2f}"
                           for i in top)
        crit = []
        for drop in ("none", "CK1a_Prog", "transformed"):
            def gap(h: float, drop: str = drop, t: float = t, x: np.ndarray = x) -> float:
                _, _, rr, trr = lawson(t, x, h)
                keep = ~ck1a if drop == "CK1a_Prog" else (~trr if drop == "transformed"
                                                          else np.ones(ns, bool))
                return float(np.sqrt(rr[keep].sum() / ns)) - 1.0
            hi = min(12.0, next_dose - t - 1e-3)
            crit.append(brentq(gap, 0.2, hi, xtol=0.01) if gap(hi) > 0 else float("inf"))
        print(f"   hour {hour}: error {err:.2f} ({shares}; * = transformed); error 1 at h = "
              f"{crit[0]:.2f} / {crit[1]:.2f} / {crit[2]:.2f} h (all / without CK1a_Prog / "
              "without transformed species)")
    print("2. estimate and true local error (RMS over the tolerance) at hour 8")
    t = DAY * 24.0 + 8
    x = at(t)[0]
    for h in (0.5, 1.0, 2.0, 4.0, 8.0):
        xl, el = lawson(t, x, h)[:2]
        xe, ee = etdrk4(t, x, h)
        x8, e8 = lawson853(t, x, h)
        print(f"   h = {h:g} h: Lawson DOPRI5 {el:.3g} / {true_error(xl, t + h):.3g}; "
              f"ETDRK4 {ee:.3g} / {true_error(xe, t + h):.3g}; "
              f"Lawson DOP853 {e8:.3g} / {true_error(x8, t + h):.3g}")
    print(f"3. steps over the dosing day (DOPRI-style controller, safety {SAFE})")
    for name, step, order in (("Lawson DOPRI5", lawson, 5), ("ETDRK4/ETD3", etdrk4, 4),
                              ("Lawson DOP853", lawson853, 8)):
        n, rej = day_steps(step, order)
        print(f"   {name}: {n} steps (+{rej} rejected)")


if __name__ == "__main__":
    main()
