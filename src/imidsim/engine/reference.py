"""Reference path: SciPy integration of the same model with PK as ODE states.

Independent of the closed-form PK and of the DOPRI5 kernel: drug amounts are integrated
numerically (``dx/dt = A x``) alongside the model, dose boluses are added between
integration pieces, and SciPy's LSODA runs at tight tolerances. Used by tests to check the
fast engine; too slow for production runs.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from imidsim.engine.solve import initial_state
from imidsim.simulation import Simulation


def solve_reference(sim: Simulation, patients=None, patient: int = 0, *,
                    rtol: float = 1e-10, atol: float = 1e-12) -> tuple[np.ndarray, np.ndarray]:
    """States (nt, ns) and concentrations (nt, nd) of one patient at the output times."""
    table = sim.patient_table(patients)
    P = sim.parameter_matrix(table)
    plan = sim.dosing_plan(table)
    cm = sim.compiled
    p = P[patient]
    ns, nd = len(cm.model.species), len(cm.model.inputs)
    lam, vec, vinv = plan.lam[patient], plan.vec[patient], plan.vinv[patient]
    A = np.einsum("dik,dk,dkj->dij", vec, lam, vinv)  # rate matrix per drug
    scale, cfix = plan.scale[patient], plan.cfix[patient]
    t_out = sim.output_times()
    y0 = initial_state(cm, P)[patient]
    state = np.concatenate([y0, np.zeros(nd * 3)])
    rhs = cm.rhs
    dy = np.zeros(ns)

    def f(t: float, z: np.ndarray) -> np.ndarray:
        x = z[ns:].reshape(nd, 3)
        c = np.maximum(x[:, 1] * scale, 0.0) + cfix
        rhs(t, z[:ns], p, c, dy)
        return np.concatenate([dy, np.einsum("dij,dj->di", A, x).ravel()])

    if len(plan.rule_obs):
        raise NotImplementedError("the reference path does not apply dose rules")
    ev = [(t, d, a, k) for t, d, a, k in zip(plan.ev_t[patient], plan.ev_d[patient],
                                             plan.ev_amt[patient], plan.ev_cmt[patient],
                                             strict=True) if d >= 0 or d <= -2]
    cuts = sorted({0.0, *[t for t, *_ in ev if t < t_out[-1]], float(t_out[-1])})
    out_y = np.zeros((len(t_out), ns))
    out_c = np.zeros((len(t_out), nd))
    t = 0.0
    for t_next in cuts[1:]:
        for te, d, a, k in ev:
            if te == t:
                if d >= 0:
                    state[ns + 3 * d + k] += a
                else:
                    state[-d - 2] += a
        mask = (t_out >= t) & (t_out <= t_next)
        t_eval = np.unique(np.append(t_out[mask], t_next))
        sol = solve_ivp(f, (t, t_next), state, method="LSODA", rtol=rtol, atol=atol,
                        t_eval=t_eval)
        if not sol.success:
            raise RuntimeError(sol.message)
        keep = np.isin(sol.t, t_out[mask])
        out_y[mask] = sol.y[:ns, keep].T
        x = sol.y[ns:, keep].T.reshape(-1, nd, 3)
        out_c[mask] = np.maximum(x[:, :, 1] * scale, 0.0) + cfix
        state = sol.y[:, -1].copy()
        t = t_next
    return out_y, out_c
