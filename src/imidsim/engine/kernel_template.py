"""Batched Dormand–Prince 5(4) integrator with closed-form linear PK — compiled with numba.

This file is appended verbatim to each generated model module, after the model's ``rhs``
function, so that numba can cache one compiled integrator per model. It is valid Python on
its own; the stub below stands in for the generated ``rhs`` when the file is read alone.

Per patient, time is cut into segments at dosing events. Within a segment every drug's
amounts follow ``x(t) = V exp(Lambda (t - t0)) V^-1 x(t0)`` exactly, so the plasma
concentrations the model reads are closed-form; at a segment end the PK state is propagated
analytically and the dose is added to the gut (oral) or central (IV) compartment. Only the
*active* drugs (``act``: those dosed or held at a fixed concentration in this batch) are
evaluated; the others stay at zero. An event with a negative drug index ``-(k + 2)`` is a
bolus into model species ``k`` (antibodies and cell products, whose kinetics are part of the
ODE). An event may carry a dose rule: the rule's observable is evaluated at the dose time;
below its threshold the dose is held, and the first dose given after a hold moves to the next
(lower) dose level.

Within a step, the concentration terms at the five later stage times come from two
exponentials per term (:func:`_stage_terms`) rather than five, and the integrating factor's
decay factors from one per species (:func:`_stage_powers`). The integrator's own arithmetic
may use fused multiply-adds and its error norm a reassociated (vectorised) sum; both are
shared by every model variant, so variants still agree bit for bit, and they move results by
rounding only (the SciPy reference and libRoadRunner checks hold unchanged).

The ODE state is integrated by an adaptive DOPRI5 step (first-same-as-last) with the
step-size control and the starting-step estimate of Hairer, Nørsett & Wanner (Solving ODEs I,
2nd ed., section II.4 and the code DOPRI5; its PI stabilisation ``BETA`` is available but off);
the starting estimate is used again after every dose given, where the solution has a kink or
a jump, instead of carrying the step size across it.

Fast first-order losses get an integrating factor. The model's fast losses (a CRBN substrate
under a degrader, c-Myc: up to ~2.4 /h) are read at each step's start (``rhs_lam``: ``lam_i``,
the loss per unit of species ``i``). For a species with ``lam_i h > lamh_min`` (0.2 by
default; infinity turns the factor off) and ``lam_i <= LAM_MAX`` the step
integrates, instead of ``x``, the exact transform ``u = exp(lam_i tau) (x - s_i)``, ``tau`` the
time into the step, where the shift ``s_i = x0 + f_i(x0) / lam_i`` is where the frozen linear
decay would settle. Then ``u' = exp(lam_i tau) (f_i(x) + lam_i (x - s_i))`` carries only what
the linearisation misses and is zero at the step's start: a Lawson (integrating-factor)
Runge–Kutta step with an equilibrium shift. It is the same DOPRI5 applied to ``u`` (error
estimate mapped back to ``x`` by ``exp(-lam_i h)``), so the accuracy control is unchanged;
``lam_i`` only decides how the work is split, never the solution. ``rhs_lam`` is a second
copy of the right-hand side with the loss rates added, which costs compile time (a variant
of the DRd model: 19 -> 30 s; ~20 s since the batch loop left ``prange``). One body serving
both (writing the rates only when asked) was tried: it compiles in 22 s, but LLVM then
inlined it into the step, whose FMA contraction rounded the general and specialised variants
1e-13 apart; compiled without contraction the step was 12 % slower (17.3 against 15.2-15.5
ms per DRd patient). So two copies.

Where it pays, measured: after each oral dose a substrate relaxes towards a target that the
drug's absorption moves within hours, and plain DOPRI5 resolved that transient in short steps
(CK1alpha and c-Myc set its error on 98 % of accepted steps). With the factor, accepted steps
per patient fall by 27 % on the DRd benchmark (31.2k to 22.7k over 2 years, 400 patients),
and a test substrate degraded at up to 2.4 /h by a daily, decaying driver takes 3.4 times
fewer steps. Where it does not: a fast relaxation towards a target that moves smoothly
(``x' = k (A - x)``) can take more steps than plain DOPRI5 (1.3 times at k = 1.7 /h, 2.8
times at 20 /h), because the error estimate of the transformed step is conservative there
(the result is more accurate than asked). Losses faster than ``LAM_MAX`` therefore stay plain
DOPRI5; the model's fastest is ~2.8 /h (daratumumab's central compartment after a dose). The
threshold 0.2 is the measured best: at 0.3 a species held by accuracy at ``lam h`` just
below it never gets the factor that would lengthen its steps (the test substrate: 1,709
steps instead of 503), and at 0.1 the DRd benchmark takes as many steps, each 15 % dearer
(more species transformed).

Steps end exactly on output times (and on events), so every stored value is a full step's
5th-order solution (at most one extra step per output time: +0.2 % steps on the DRd benchmark
with daily output; fine output over a long, quiet horizon pays more); no interpolant is
needed, which matters for the transformed species, whose interpolant in ``u`` amplifies
errors by ``exp(lam_i h)``. The stored species (``ykeep``), drug concentrations (``ckeep``)
and observables (``okeep``, evaluated at each output time) are chosen by the caller, so large
batches need not keep every species.

Status codes: 0 ok, 1 too many steps, 2 step size underflow, 3 non-finite state.
Per-patient statistics ``stats``: accepted steps, rejected steps, right-hand-side evaluations.
"""

import math

import numpy as np
from numba import njit

if "rhs" not in globals():  # pragma: no cover - replaced by the generated model code

    @njit(cache=False)
    def rhs(t, y, p, c, dy):
        dy[:] = 0.0

    @njit(cache=False)
    def rhs_lam(t, y, p, c, dy, lam):
        dy[:] = 0.0

    @njit(cache=False)
    def observe(t, y, p, c, out):
        out[:] = 0.0


MAX_STEPS = 5_000_000
SAFE = 0.9  # safety factor of the step-size controller
FAC_DOWN = 0.2  # the step shrinks at most 5x ...
FAC_UP = 10.0  # ... and grows at most 10x per step
BETA = 0.0  # PI (Lund) stabilisation: 0.04 in DOPRI5; off here, 7% fewer steps on the model
EXPO1 = 0.2 - BETA * 0.75
LAMH_MAX = 300.0  # cap on loss rate x step: exp(-300) is far from underflow
LAM_MAX = 10.0  # 1/h: faster losses stay plain DOPRI5 (see the module docstring)


@njit(cache=True, fastmath=False, error_model="numpy")
def _pk_coeffs(act, pkx, vec, vinv, scale, coef):
    """Concentration coefficients: c_d(tau) = sum_k coef[d, k] exp(lam[d, k] tau)."""
    for a in range(act.shape[0]):
        d = act[a]
        for k in range(3):
            s = 0.0
            for j in range(3):
                s += vinv[d, k, j] * pkx[d, j]
            coef[d, k] = vec[d, 1, k] * s * scale[d]


@njit(cache=True, fastmath=False, error_model="numpy")
def _pk_advance(act, pkx, lam, vec, vinv, tau):
    """Propagate every active drug's compartment amounts by ``tau`` hours (in place)."""
    z = np.empty(3)
    for a in range(act.shape[0]):
        d = act[a]
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
def _conc(act, t, t0, lam, coef, cfix, c):
    tau = t - t0
    for a in range(act.shape[0]):
        d = act[a]
        s = 0.0
        for k in range(3):
            if coef[d, k] != 0.0:
                s += coef[d, k] * math.exp(lam[d, k] * tau)
        c[d] = (s if s > 0.0 else 0.0) + cfix[d]


@njit(cache=True, fastmath=False, error_model="numpy")
def _stage_powers(q):
    """``q ** 18, q ** 27, q ** 72, q ** 80, q ** 90`` by eight multiplications: with ``q =
    exp(x / 90)`` the factors ``exp(c_i x)`` at DOPRI5's stage times c_i = 0.2, 0.3, 0.8, 8/9
    and 1, from one exponential instead of five (relative rounding ~1e-14)."""
    q2 = q * q
    q8 = (q2 * q2) * (q2 * q2)
    r = q8 * q
    r2 = r * r
    r8 = (r2 * r2) * (r2 * r2)
    return r2, r2 * r, r8, r8 * q8, r8 * r2


@njit(cache=True, fastmath=False, error_model="numpy")
def _stage_terms(act, tau, h, lam, coef, terms):
    """Every concentration term at the five later stage times ``tau + c_i h`` of a DOPRI5
    step (c_i = 0.2, 0.3, 0.8, 8/9, 1): ``terms[d, k, i] = coef[d, k] exp(lam[d, k] (tau +
    c_i h))``. Two exponentials per term instead of five: exp(lam tau) and exp(lam h / 90)
    (:func:`_stage_powers`). (Carrying exp(lam tau) from step to step saves one more, which
    measured within noise on the DRd benchmark.)"""
    for a in range(act.shape[0]):
        d = act[a]
        for k in range(3):
            ck = coef[d, k]
            if ck == 0.0:
                for i in range(5):
                    terms[d, k, i] = 0.0
                continue
            base = ck * math.exp(lam[d, k] * tau)
            e0, e1, e2, e3, e4 = _stage_powers(math.exp(lam[d, k] * h / 90.0))
            terms[d, k, 0] = base * e0
            terms[d, k, 1] = base * e1
            terms[d, k, 2] = base * e2
            terms[d, k, 3] = base * e3
            terms[d, k, 4] = base * e4


@njit(cache=True, fastmath=False, error_model="numpy")
def _conc_stage(act, i, terms, cfix, c):
    """Concentrations at stage ``i`` of :func:`_stage_terms`."""
    for a in range(act.shape[0]):
        d = act[a]
        s = terms[d, 0, i] + terms[d, 1, i] + terms[d, 2, i]
        c[d] = (s if s > 0.0 else 0.0) + cfix[d]


@njit(cache=True, fastmath={"reassoc", "contract", "nsz"}, error_model="numpy")
def _error_norm(h, k1, k3, k4, k5, k6, k7, y, y1, w, rtol, atol):
    """DOPRI5's scaled RMS error estimate of a step; ``w`` maps each species' error to the
    original variables (the integrating factor at the step's end, 1 without one). The sum may
    be reassociated (vectorised): it only decides acceptance and the next step size, and is
    the same code for every model variant, so variants still agree bit for bit."""
    ns = y.shape[0]
    err = 0.0
    for i in range(ns):
        e = w[i] * h * (71.0 / 57600.0 * k1[i] - 71.0 / 16695.0 * k3[i]
                        + 71.0 / 1920.0 * k4[i] - 17253.0 / 339200.0 * k5[i]
                        + 22.0 / 525.0 * k6[i] - 1.0 / 40.0 * k7[i])
        sc = atol + rtol * max(abs(y[i]), abs(y1[i]))
        err += (e / sc) * (e / sc)
    return math.sqrt(err / ns)


@njit(cache=True, fastmath={"contract"}, error_model="numpy")
def _factors(h, lam, sidx, nst, f1raw, y, k1, L, E, S, X0):
    """Set up one step attempt for the stiff species ``sidx[:nst]``: ``L`` the loss rate taken
    out (capped so that ``L h <= LAMH_MAX``), ``E[j] = exp(-L c_j h)`` at the stage times
    c = 0.2, 0.3, 0.8, 8/9, 1, the shift ``S = x0 + f(x0) / L``; ``y`` becomes the transformed
    start ``u0 = x0 - S`` (``x0`` kept in ``X0``) and ``k1`` its derivative ``u0' = 0``."""
    for j in range(nst):
        i = sidx[j]
        lj = min(lam[i], LAMH_MAX / h)
        L[j] = lj
        E[0, j], E[1, j], E[2, j], E[3, j], E[4, j] = _stage_powers(math.exp(-lj * h / 90.0))
        X0[j] = y[i]
        S[j] = y[i] + f1raw[j] / lj
        y[i] = y[i] - S[j]
        k1[i] = 0.0


@njit(cache=True, fastmath={"contract"}, error_model="numpy")
def _to_stage(stage, sidx, nst, E, S, ytmp):
    """Stage values of the stiff species back to the model's variables: ``x = S + E u``."""
    for j in range(nst):
        ytmp[sidx[j]] = S[j] + E[stage, j] * ytmp[sidx[j]]


@njit(cache=True, fastmath={"contract"}, error_model="numpy")
def _from_stage(stage, sidx, nst, L, E, S, ytmp, k):
    """Stage derivatives of the stiff species in the transformed variables:
    ``u' = (f(x) + L (x - S)) / E``."""
    for j in range(nst):
        i = sidx[j]
        k[i] = (k[i] + L[j] * (ytmp[i] - S[j])) / E[stage, j]


@njit(cache=True, fastmath=False, error_model="numpy")
def _store(iout, t, y, p, c, ykeep, ckeep, okeep, obs_buf, out_y, out_c, out_obs):
    for j in range(ykeep.shape[0]):
        out_y[iout, j] = y[ykeep[j]]
    for j in range(ckeep.shape[0]):
        out_c[iout, j] = c[ckeep[j]]
    if okeep.shape[0] > 0:
        observe(t, y, p, c, obs_buf)
        for j in range(okeep.shape[0]):
            out_obs[iout, j] = obs_buf[okeep[j]]


@njit(cache=True, fastmath={"contract"}, error_model="numpy")
def integrate_one(y0, p, ev_t, ev_d, ev_amt, ev_cmt, ev_rule, rule_obs, rule_thr, rule_levels,
                  rule_nlev, act, lam, vec, vinv, scale, cfix, t_out, rtol, atol, hmax, lamh_min,
                  ykeep, ckeep, okeep, out_y, out_c, out_obs, held_count, level_out, obs_buf,
                  stats):
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
    # Integrating factor: loss rates at the step's start (loss) and end (loss7), the stiff
    # species (sidx[:nst]) with their raw derivatives at both ends, rates taken out (L), decay
    # factors (E), shifts (S), start values (X0) and error weights (w).
    loss = np.zeros(ns)
    loss7 = np.zeros(ns)
    sidx = np.zeros(ns, np.int64)
    nst = 0
    f1raw = np.empty(ns)
    f7raw = np.empty(ns)
    L = np.empty(ns)
    E = np.empty((5, ns))
    w = np.ones(ns)
    S = np.empty(ns)
    X0 = np.empty(ns)
    c = np.zeros(nd)
    coef = np.zeros((nd, 3))
    terms = np.zeros((nd, 3, 5))
    pkx = np.zeros((nd, 3))
    nr = rule_obs.shape[0]
    level = np.zeros(nr, np.int64)
    held = np.zeros(nr, np.bool_)
    t = 0.0
    t_end = t_out[nt - 1]
    iout = 0
    ie = 0
    h = 0.0  # 0: estimate the starting step
    facold = 1e-4
    naccept = 0
    nreject = 0
    nfev = 0
    # Output at (or before) the start.
    while iout < nt and t_out[iout] <= t:
        _pk_coeffs(act, pkx, vec, vinv, scale, coef)
        _conc(act, t, t, lam, coef, cfix, c)
        _store(iout, t, y, p, c, ykeep, ckeep, okeep, obs_buf, out_y, out_c, out_obs)
        iout += 1
    while t < t_end:
        # Apply every event due now; a dose given is a kink or jump: restart the step size.
        while ie < ne and ev_t[ie] <= t:
            amt = ev_amt[ie]
            r = ev_rule[ie]
            if r >= 0:
                _pk_coeffs(act, pkx, vec, vinv, scale, coef)
                _conc(act, t, t, lam, coef, cfix, c)
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
            if amt != 0.0 and d != -1:
                h = 0.0
            ie += 1
        t_seg = ev_t[ie] if ie < ne else t_end
        if t_seg > t_end:
            t_seg = t_end
        t0 = t
        _pk_coeffs(act, pkx, vec, vinv, scale, coef)
        _conc(act, t, t0, lam, coef, cfix, c)
        rhs_lam(t, y, p, c, k1, loss)
        nfev += 1
        if h == 0.0:
            # Starting step (Hairer's HINIT): from the sizes of y, y' and an estimate of y''.
            dnf = 0.0
            dny = 0.0
            for i in range(ns):
                sk = atol + rtol * abs(y[i])
                dnf += (k1[i] / sk) ** 2
                dny += (y[i] / sk) ** 2
            h = 1e-6 if dnf <= 1e-10 or dny <= 1e-10 else math.sqrt(dny / dnf) * 0.01
            h = min(h, hmax, t_seg - t)
            for i in range(ns):
                ytmp[i] = y[i] + h * k1[i]
            _conc(act, t + h, t0, lam, coef, cfix, c)
            rhs(t + h, ytmp, p, c, k2)
            nfev += 1
            der2 = 0.0
            for i in range(ns):
                sk = atol + rtol * abs(y[i])
                der2 += ((k2[i] - k1[i]) / sk) ** 2
            der2 = math.sqrt(der2) / h
            der12 = max(abs(der2), math.sqrt(dnf))
            h1 = max(1e-6, h * 1e-3) if der12 <= 1e-15 else (0.01 / der12) ** 0.2
            h = min(100.0 * h, h1, hmax)
            facold = 1e-4
        reject = False
        while t < t_seg:
            if naccept + nreject >= MAX_STEPS:
                stats[0] = naccept
                stats[1] = nreject
                stats[2] = nfev
                return 1
            if h > hmax:
                h = hmax
            # End exactly on the next output time or event (``last``: this step reaches it).
            last = False
            t_stop = t_seg
            if iout < nt and t_out[iout] < t_stop:
                t_stop = t_out[iout]
            if t + 1.01 * h >= t_stop:
                h = t_stop - t
                last = True
            # The stiff species of this attempt; k1 holds raw derivatives here.
            nst = 0
            for i in range(ns):
                if loss[i] * h > lamh_min and loss[i] <= LAM_MAX:
                    sidx[nst] = i
                    f1raw[nst] = k1[i]
                    nst += 1
            _factors(h, loss, sidx, nst, f1raw, y, k1, L, E, S, X0)
            for i in range(ns):
                ytmp[i] = y[i] + h * 0.2 * k1[i]
            _to_stage(0, sidx, nst, E, S, ytmp)
            _stage_terms(act, t - t0, h, lam, coef, terms)
            _conc_stage(act, 0, terms, cfix, c)
            rhs(t + 0.2 * h, ytmp, p, c, k2)
            _from_stage(0, sidx, nst, L, E, S, ytmp, k2)
            for i in range(ns):
                ytmp[i] = y[i] + h * (3.0 / 40.0 * k1[i] + 9.0 / 40.0 * k2[i])
            _to_stage(1, sidx, nst, E, S, ytmp)
            _conc_stage(act, 1, terms, cfix, c)
            rhs(t + 0.3 * h, ytmp, p, c, k3)
            _from_stage(1, sidx, nst, L, E, S, ytmp, k3)
            for i in range(ns):
                ytmp[i] = y[i] + h * (44.0 / 45.0 * k1[i] - 56.0 / 15.0 * k2[i]
                                      + 32.0 / 9.0 * k3[i])
            _to_stage(2, sidx, nst, E, S, ytmp)
            _conc_stage(act, 2, terms, cfix, c)
            rhs(t + 0.8 * h, ytmp, p, c, k4)
            _from_stage(2, sidx, nst, L, E, S, ytmp, k4)
            for i in range(ns):
                ytmp[i] = y[i] + h * (19372.0 / 6561.0 * k1[i] - 25360.0 / 2187.0 * k2[i]
                                      + 64448.0 / 6561.0 * k3[i] - 212.0 / 729.0 * k4[i])
            _to_stage(3, sidx, nst, E, S, ytmp)
            _conc_stage(act, 3, terms, cfix, c)
            rhs(t + 8.0 / 9.0 * h, ytmp, p, c, k5)
            _from_stage(3, sidx, nst, L, E, S, ytmp, k5)
            for i in range(ns):
                ytmp[i] = y[i] + h * (9017.0 / 3168.0 * k1[i] - 355.0 / 33.0 * k2[i]
                                      + 46732.0 / 5247.0 * k3[i] + 49.0 / 176.0 * k4[i]
                                      - 5103.0 / 18656.0 * k5[i])
            _to_stage(4, sidx, nst, E, S, ytmp)
            _conc_stage(act, 4, terms, cfix, c)
            rhs(t + h, ytmp, p, c, k6)
            _from_stage(4, sidx, nst, L, E, S, ytmp, k6)
            for i in range(ns):
                y1[i] = y[i] + h * (35.0 / 384.0 * k1[i] + 500.0 / 1113.0 * k3[i]
                                    + 125.0 / 192.0 * k4[i] - 2187.0 / 6784.0 * k5[i]
                                    + 11.0 / 84.0 * k6[i])
            for j in range(nst):
                i = sidx[j]
                y1[i] = S[j] + E[4, j] * y1[i]
                w[i] = E[4, j]
                y[i] = X0[j]
            rhs_lam(t + h, y1, p, c, k7, loss7)
            for j in range(nst):
                i = sidx[j]
                f7raw[j] = k7[i]
            _from_stage(4, sidx, nst, L, E, S, y1, k7)
            nfev += 6
            err = _error_norm(h, k1, k3, k4, k5, k6, k7, y, y1, w, rtol, atol)
            for j in range(nst):  # back to raw derivatives at the step's start
                i = sidx[j]
                k1[i] = f1raw[j]
                w[i] = 1.0
            if not math.isfinite(err):
                nreject += 1
                if h < 1e-12:
                    stats[0] = naccept
                    stats[1] = nreject
                    stats[2] = nfev
                    return 3
                h *= 0.1
                reject = True
                continue
            fac11 = err ** EXPO1
            if err <= 1.0:
                naccept += 1
                t = t_stop if last else t + h
                for i in range(ns):
                    y[i] = y1[i]
                    k1[i] = k7[i]
                    loss[i] = loss7[i]
                for j in range(nst):
                    k1[sidx[j]] = f7raw[j]
                while iout < nt and t_out[iout] == t:  # a full step's solution, no interpolant
                    _conc(act, t, t0, lam, coef, cfix, c)
                    _store(iout, t, y, p, c, ykeep, ckeep, okeep, obs_buf, out_y, out_c,
                           out_obs)
                    iout += 1
                # PI controller: new/old step ratio from this and the last accepted error.
                fac = fac11 / facold ** BETA
                fac = max(1.0 / FAC_UP, min(1.0 / FAC_DOWN, fac / SAFE))
                hnew = h / fac
                if reject:
                    hnew = min(hnew, h)
                h = hnew
                facold = max(err, 1e-4)
                reject = False
            else:
                nreject += 1
                h = h / min(1.0 / FAC_DOWN, fac11 / SAFE)
                reject = True
                if h < 1e-10:
                    stats[0] = naccept
                    stats[1] = nreject
                    stats[2] = nfev
                    return 2
        # Segment done: advance the PK state analytically to the segment end.
        _pk_advance(act, pkx, lam, vec, vinv, t_seg - t0)
    for r in range(nr):
        level_out[r] = level[r]
    stats[0] = naccept
    stats[1] = nreject
    stats[2] = nfev
    return 0


@njit(cache=True, nogil=True, error_model="numpy")
def integrate_batch(y0, P, ev_t, ev_d, ev_amt, ev_cmt, ev_rule, rule_obs, rule_thr,
                    rule_levels, rule_nlev, act, lam, vec, vinv, scale, cfix, t_out, rtol, atol,
                    hmax, lamh_min, ykeep, ckeep, okeep, out_y, out_c, out_obs, status,
                    held_count, level_out, n_obs, stats):
    """Integrate every patient (rows of ``y0`` and ``P``) in turn. It releases the GIL, so
    the caller runs slices of a batch on several threads (``solve_batch``): a serial loop
    compiles in a fraction of the time of a ``prange`` one, which numba compiles twice."""
    n = y0.shape[0]
    obs_buf = np.zeros(n_obs)
    for i in range(n):
        status[i] = integrate_one(y0[i], P[i], ev_t[i], ev_d[i], ev_amt[i], ev_cmt[i],
                                  ev_rule[i], rule_obs, rule_thr, rule_levels, rule_nlev, act,
                                  lam[i], vec[i], vinv[i], scale[i], cfix[i], t_out, rtol, atol,
                                  hmax, lamh_min, ykeep, ckeep, okeep, out_y[i], out_c[i],
                                  out_obs[i], held_count[i], level_out[i], obs_buf, stats[i])
