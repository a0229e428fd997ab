"""Batched Dormand–Prince 5(4) integrator with closed-form linear PK — compiled with numba.

This file is appended verbatim to each generated model module, after the model's ``rhs``
function, so that numba can cache one compiled integrator per model. It is valid Python on
its own; the stub below stands in for the generated ``rhs`` when the file is read alone.

Per patient, time is cut into segments at dosing events. Within a segment every drug's
amounts follow ``x(t) = V exp(Lambda (t - t0)) V^-1 x(t0)`` exactly, so the plasma
concentrations the model reads are closed-form; at a segment end the PK state is propagated
analytically and the dose is added to the gut (oral) or central (IV) compartment. An event
with a negative drug index ``-(k + 2)`` is a bolus into model species ``k`` (antibodies and
cell products, whose kinetics are part of the ODE). An event may carry a dose rule: the rule's
observable is evaluated at the dose time; below its threshold the dose is held, and the first
dose given after a hold moves to the next (lower) dose level. The ODE state is integrated by
an adaptive DOPRI5 step with its 4th-order continuous extension for output times.

Status codes: 0 ok, 1 too many steps, 2 step size underflow, 3 non-finite state.
"""

import math

import numpy as np
from numba import njit, prange

if "rhs" not in globals():  # pragma: no cover - replaced by the generated model code

    @njit(cache=False)
    def rhs(t, y, p, c, dy):
        dy[:] = 0.0

    @njit(cache=False)
    def observe(t, y, p, c, out):
        out[:] = 0.0


MAX_STEPS = 5_000_000


@njit(cache=True, fastmath=False, error_model="numpy")
def _pk_coeffs(pkx, lam, vec, vinv, scale, coef):
    """Concentration coefficients: c_d(tau) = sum_k coef[d, k] exp(lam[d, k] tau)."""
    nd = pkx.shape[0]
    for d in range(nd):
        for k in range(3):
            s = 0.0
            for j in range(3):
                s += vinv[d, k, j] * pkx[d, j]
            coef[d, k] = vec[d, 1, k] * s * scale[d]


@njit(cache=True, fastmath=False, error_model="numpy")
def _pk_advance(pkx, lam, vec, vinv, tau):
    """Propagate every drug's compartment amounts by ``tau`` hours (in place)."""
    nd = pkx.shape[0]
    z = np.empty(3)
    for d in range(nd):
        for k in range(3):
            s = 0.0
            for j in range(3):
                s += vinv[d, k, j] * pkx[d, j]
            z[k] = s * math.exp(lam[d, k] * tau)
        for i in range(3):
            s = 0.0
            for k in range(3):
                s += vec[d, i, k] * z[k]
            pkx[d, i] = s if abs(s) > 1e-300 else 0.0


@njit(cache=True, fastmath=False, error_model="numpy")
def _conc(t, t0, lam, coef, cfix, c):
    nd = coef.shape[0]
    tau = t - t0
    for d in range(nd):
        s = 0.0
        for k in range(3):
            s += coef[d, k] * math.exp(lam[d, k] * tau)
        c[d] = (s if s > 0.0 else 0.0) + cfix[d]


@njit(cache=True, fastmath=False, error_model="numpy")
def integrate_one(y0, p, ev_t, ev_d, ev_amt, ev_cmt, ev_rule, rule_obs, rule_thr, rule_levels,
                  rule_nlev, lam, vec, vinv, scale, cfix, t_out, rtol, atol, hmax, out_y, out_c,
                  held_count, level_out, obs_buf):
    ns = y0.shape[0]
    nd = lam.shape[0]
    nt = t_out.shape[0]
    ne = ev_t.shape[0]
    y = y0.copy()
    y1 = np.empty(ns)
    ytmp = np.empty(ns)
    k1 = np.empty(ns)
    k2 = np.empty(ns)
    k3 = np.empty(ns)
    k4 = np.empty(ns)
    k5 = np.empty(ns)
    k6 = np.empty(ns)
    k7 = np.empty(ns)
    r5 = np.empty(ns)
    c = np.zeros(nd)
    coef = np.zeros((nd, 3))
    pkx = np.zeros((nd, 3))
    nr = rule_obs.shape[0]
    level = np.zeros(nr, np.int64)
    held = np.zeros(nr, np.bool_)
    t = 0.0
    t_end = t_out[nt - 1]
    iout = 0
    ie = 0
    h = 0.1
    nsteps = 0
    # Output at (or before) the start.
    while iout < nt and t_out[iout] <= t:
        _pk_coeffs(pkx, lam, vec, vinv, scale, coef)
        _conc(t, t, lam, coef, cfix, c)
        out_y[iout, :] = y
        out_c[iout, :] = c
        iout += 1
    while t < t_end:
        # Apply every event due now.
        while ie < ne and ev_t[ie] <= t:
            amt = ev_amt[ie]
            r = ev_rule[ie]
            if r >= 0:
                _pk_coeffs(pkx, lam, vec, vinv, scale, coef)
                _conc(t, t, lam, coef, cfix, c)
                observe(t, y, p, c, obs_buf)
                if obs_buf[rule_obs[r]] < rule_thr[r]:
                    held[r] = True
                    held_count[r] += 1
                    amt = 0.0
                else:
                    if held[r]:
                        held[r] = False
                        if level[r] < rule_nlev[r] - 1:
                            level[r] += 1
                    amt *= rule_levels[r, level[r]]
            d = ev_d[ie]
            if d >= 0:
                pkx[d, ev_cmt[ie]] += amt
            elif d <= -2:
                y[-d - 2] += amt
            ie += 1
        t_seg = ev_t[ie] if ie < ne else t_end
        if t_seg > t_end:
            t_seg = t_end
        t0 = t
        _pk_coeffs(pkx, lam, vec, vinv, scale, coef)
        _conc(t, t0, lam, coef, cfix, c)
        rhs(t, y, p, c, k1)
        while t < t_seg:
            nsteps += 1
            if nsteps > MAX_STEPS:
                return 1
            if h > hmax:
                h = hmax
            last = False
            if t + h >= t_seg or t + 1.01 * h >= t_seg:
                h = t_seg - t
                last = True
            for i in range(ns):
                ytmp[i] = y[i] + h * 0.2 * k1[i]
            _conc(t + 0.2 * h, t0, lam, coef, cfix, c)
            rhs(t + 0.2 * h, ytmp, p, c, k2)
            for i in range(ns):
                ytmp[i] = y[i] + h * (3.0 / 40.0 * k1[i] + 9.0 / 40.0 * k2[i])
            _conc(t + 0.3 * h, t0, lam, coef, cfix, c)
            rhs(t + 0.3 * h, ytmp, p, c, k3)
            for i in range(ns):
                ytmp[i] = y[i] + h * (44.0 / 45.0 * k1[i] - 56.0 / 15.0 * k2[i]
                                      + 32.0 / 9.0 * k3[i])
            _conc(t + 0.8 * h, t0, lam, coef, cfix, c)
            rhs(t + 0.8 * h, ytmp, p, c, k4)
            for i in range(ns):
                ytmp[i] = y[i] + h * (19372.0 / 6561.0 * k1[i] - 25360.0 / 2187.0 * k2[i]
                                      + 64448.0 / 6561.0 * k3[i] - 212.0 / 729.0 * k4[i])
            _conc(t + 8.0 / 9.0 * h, t0, lam, coef, cfix, c)
            rhs(t + 8.0 / 9.0 * h, ytmp, p, c, k5)
            for i in range(ns):
                ytmp[i] = y[i] + h * (9017.0 / 3168.0 * k1[i] - 355.0 / 33.0 * k2[i]
                                      + 46732.0 / 5247.0 * k3[i] + 49.0 / 176.0 * k4[i]
                                      - 5103.0 / 18656.0 * k5[i])
            _conc(t + h, t0, lam, coef, cfix, c)
            rhs(t + h, ytmp, p, c, k6)
            for i in range(ns):
                y1[i] = y[i] + h * (35.0 / 384.0 * k1[i] + 500.0 / 1113.0 * k3[i]
                                    + 125.0 / 192.0 * k4[i] - 2187.0 / 6784.0 * k5[i]
                                    + 11.0 / 84.0 * k6[i])
            rhs(t + h, y1, p, c, k7)
            err = 0.0
            for i in range(ns):
                e = h * (71.0 / 57600.0 * k1[i] - 71.0 / 16695.0 * k3[i] + 71.0 / 1920.0 * k4[i]
                         - 17253.0 / 339200.0 * k5[i] + 22.0 / 525.0 * k6[i]
                         - 1.0 / 40.0 * k7[i])
                sc = atol + rtol * max(abs(y[i]), abs(y1[i]))
                err += (e / sc) ** 2
            err = math.sqrt(err / ns)
            if not math.isfinite(err):
                if h < 1e-12:
                    return 3
                h *= 0.1
                continue
            if err <= 1.0:
                # Accepted: dense output for every requested time inside (t, t + h].
                t_new = t_seg if last else t + h
                while iout < nt and t_out[iout] <= t_new:
                    th = (t_out[iout] - t) / h
                    th1 = 1.0 - th
                    for i in range(ns):
                        ydiff = y1[i] - y[i]
                        bspl = h * k1[i] - ydiff
                        r5[i] = h * (-12715105075.0 / 11282082432.0 * k1[i]
                                     + 87487479700.0 / 32700410799.0 * k3[i]
                                     - 10690763975.0 / 1880347072.0 * k4[i]
                                     + 701980252875.0 / 199316789632.0 * k5[i]
                                     - 1453857185.0 / 822651844.0 * k6[i]
                                     + 69997945.0 / 29380423.0 * k7[i])
                        out_y[iout, i] = y[i] + th * (ydiff + th1 * (
                            bspl + th * ((ydiff - h * k7[i] - bspl) + th1 * r5[i])))
                    _conc(t_out[iout], t0, lam, coef, cfix, c)
                    out_c[iout, :] = c
                    iout += 1
                t = t_new
                for i in range(ns):
                    y[i] = y1[i]
                    k1[i] = k7[i]
                fac = 0.9 * (err if err > 1e-10 else 1e-10) ** -0.2
                h = h * min(5.0, max(0.2, fac)) if not last else h
            else:
                h = h * max(0.2, 0.9 * err ** -0.25)
                if h < 1e-10:
                    return 2
        # Segment done: advance the PK state analytically to the segment end.
        _pk_advance(pkx, lam, vec, vinv, t_seg - t0)
    for r in range(nr):
        level_out[r] = level[r]
    return 0


@njit(cache=True, parallel=True, error_model="numpy")
def integrate_batch(y0, P, ev_t, ev_d, ev_amt, ev_cmt, ev_rule, rule_obs, rule_thr,
                    rule_levels, rule_nlev, lam, vec, vinv, scale, cfix, t_out, rtol, atol, hmax,
                    out_y, out_c, status, held_count, level_out, n_obs):
    """Integrate every patient (rows of ``y0`` and ``P``) in parallel."""
    n = y0.shape[0]
    for i in prange(n):
        obs_buf = np.zeros(n_obs)
        status[i] = integrate_one(y0[i], P[i], ev_t[i], ev_d[i], ev_amt[i], ev_cmt[i],
                                  ev_rule[i], rule_obs, rule_thr, rule_levels, rule_nlev, lam[i],
                                  vec[i], vinv[i], scale[i], cfix[i], t_out, rtol, atol, hmax,
                                  out_y[i], out_c[i], held_count[i], level_out[i], obs_buf)


@njit(cache=True, parallel=True, error_model="numpy")
def observe_batch(t_out, out_y, P, out_c, out_obs):
    """Evaluate every assignment at every stored time for every patient."""
    n = out_y.shape[0]
    nt = t_out.shape[0]
    for i in prange(n):
        for j in range(nt):
            observe(t_out[j], out_y[i, j], P[i], out_c[i, j], out_obs[i, j])
