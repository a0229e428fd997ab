"""Cross-check of the SBML export: libRoadRunner against imidsim's own engine.

:func:`simulate_roadrunner` loads an exported document into libRoadRunner and integrates it
with CVODE at tight tolerances on the requested output grid (``rr.simulate(times=...)``: the
grid's times are hit exactly and the dosing events, time-triggered, fire at their times).
libRoadRunner reports the state *after* the events at an output time that coincides with a
dose, whereas imidsim's engine reports the state just *before* the dose there;
:func:`compare` adds each dose to the engine's value at those instants (the engine's own
post-dose state) before comparing.

:class:`RoadRunnerBatch` is the fast path used by ``imidsim bench``: one loaded instance for a
whole patient table, doses applied between integration segments.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from imidsim.engine.sbml import INSTALL_HINT, export_batch, export_sbml, require_libsbml
from imidsim.scenario import SolverSpec

if TYPE_CHECKING:
    import pandas as pd

    from imidsim.simulation import Simulation


def require_roadrunner() -> Any:
    """Import libRoadRunner, or raise ImportError with the install hint."""
    try:
        import roadrunner
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError(INSTALL_HINT) from exc
    return roadrunner


def simulate_roadrunner(sbml: str, t_out_h: np.ndarray, *, rtol: float = 1e-10,
                        atol: float = 1e-12, max_steps: int = 1_000_000
                        ) -> dict[str, np.ndarray]:
    """Amounts of every species and values of every rule-defined parameter at ``t_out_h``.

    Keys are the elements' SBML names (imidsim's original names; the id where no name is
    set). Values at a dosing time are those after the dose.
    """
    lib = require_libsbml()
    rr_mod = require_roadrunner()
    t_out = np.asarray(t_out_h, float)
    if t_out.ndim != 1 or len(t_out) < 2 or np.any(np.diff(t_out) <= 0):
        raise ValueError("t_out_h must be at least two strictly increasing times")
    doc = lib.readSBMLFromString(sbml)
    model = doc.getModel()
    names: dict[str, str] = {}
    for s in model.getListOfSpecies():
        names[s.getId()] = s.getName() or s.getId()
    for r in model.getListOfRules():
        var = r.getVariable()
        p = model.getParameter(var)
        if p is not None:
            names[var] = p.getName() or var
    rr = rr_mod.RoadRunner(sbml)
    rr.setIntegrator("cvode")
    integ = rr.integrator
    integ.relative_tolerance = float(rtol)
    integ.absolute_tolerance = float(atol)
    integ.maximum_num_steps = int(max_steps)
    ids = list(names)
    rr.timeCourseSelections = ["time", *ids]
    out = np.asarray(rr.simulate(times=t_out))
    if out.shape[0] != len(t_out) or not np.allclose(out[:, 0], t_out, rtol=0, atol=1e-9):
        raise RuntimeError("libRoadRunner did not return the requested output times")
    return {names[sid]: out[:, k + 1].copy() for k, sid in enumerate(ids)}


class RoadRunnerBatch:
    """One loaded libRoadRunner instance that simulates every patient of a table.

    The scenario is exported once without dose events (:func:`export_batch`); for each patient
    the constant parameters and initial amounts are set on the loaded model, and the time
    course is integrated segment by segment between dosing times, each dose being added to its
    species' amount between segments — the fastest way libRoadRunner offers for a fixed
    schedule (no event root-finding, no reload). CVODE runs with ``rtol``/``atol``; ``stiff``
    picks BDF (True) or Adams–Moulton (False, faster on this mildly stiff model). Output at a
    dosing time is the state just before the dose, as in imidsim's engine.
    """

    def __init__(self, sim: Simulation, patients: pd.DataFrame | Mapping[str, Any] | None = None,
                 *, rtol: float = 1e-6, atol: float = 1e-9, stiff: bool = False,
                 max_steps: int = 1_000_000) -> None:
        rr_mod = require_roadrunner()
        rr_mod.Logger.setLevel(rr_mod.Logger.LOG_ERROR)
        self.sim = sim
        t0 = time.perf_counter()
        self.sbml, self.layout, self.values = export_batch(sim, patients)
        self.export_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        rr = rr_mod.RoadRunner(self.sbml)
        self.load_s = time.perf_counter() - t0
        rr.setIntegrator("cvode")
        integ = rr.integrator
        integ.maximum_num_steps = int(max_steps)
        integ.stiff = bool(stiff)
        self.rr = rr
        self.set_tolerances(rtol, atol)
        model = rr.model
        fs = list(model.getFloatingSpeciesIds())
        gp = list(model.getGlobalParameterIds())
        self._fs = {sid: k for k, sid in enumerate(fs)}
        first = self.values[0] if self.values else None
        self._p_keys = [k for k in (first.parameters if first else {})]
        self._p_idx = np.array([gp.index(k) for k in self._p_keys], np.int32)
        self._s_keys = list(first.amounts) if first else []
        self._s_idx = np.array([self._fs[k] for k in self._s_keys], np.int32)
        self.species_ids = list(self.layout.species)
        rr.timeCourseSelections = ["time", *self.species_ids]

    def set_tolerances(self, rtol: float, atol: float) -> None:
        """CVODE's tolerances for the following runs (the loaded model is kept)."""
        integ = self.rr.integrator
        integ.relative_tolerance = float(rtol)
        integ.absolute_tolerance = float(atol)

    def run(self, patient: int, t_out_h: np.ndarray, *, quiet: bool = True) -> np.ndarray:
        """Amounts of the model's species (imidsim order) at ``t_out_h`` for one patient.

        ``quiet`` silences SUNDIALS' own warnings (CVODE notes on its first step after a dose),
        which bypass libRoadRunner's logger and go straight to the console.
        """
        if not quiet:
            return self._run(patient, t_out_h)
        sys.stdout.flush()
        sys.stderr.flush()
        saved = [os.dup(1), os.dup(2)]
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            return self._run(patient, t_out_h)
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in (*saved, devnull):
                os.close(fd)

    def _run(self, patient: int, t_out_h: np.ndarray) -> np.ndarray:
        rr, model = self.rr, self.rr.model
        v = self.values[patient]
        rr.resetAll()  # time 0, the document's values; then this patient's
        model.setGlobalParameterValues(self._p_idx,
                                       np.array([v.parameters[k] for k in self._p_keys]))
        model.setFloatingSpeciesAmounts(self._s_idx,
                                        np.array([v.amounts[k] for k in self._s_keys]))
        t_out = np.asarray(t_out_h, float)
        out = np.empty((len(t_out), len(self.species_ids)))
        doses = v.doses
        t, ie, io = 0.0, 0, 0
        while io < len(t_out) and t_out[io] <= t:
            out[io] = [rr.getValue(sid) for sid in self.species_ids]
            io += 1
        while t < t_out[-1]:
            while ie < len(doses) and doses[ie][0] <= t:
                k = self._fs[doses[ie][1]]
                amt = model.getFloatingSpeciesAmounts([k])[0] + doses[ie][2]
                model.setFloatingSpeciesAmounts([k], [amt])
                ie += 1
            t_next = min(doses[ie][0], t_out[-1]) if ie < len(doses) else t_out[-1]
            j = io
            while j < len(t_out) and t_out[j] <= t_next:
                j += 1
            times = np.unique(np.concatenate([[t], t_out[io:j], [t_next]]))
            res = np.asarray(rr.simulate(times=times))
            rows = np.searchsorted(times, t_out[io:j])
            out[io:j] = res[rows, 1:]
            io, t = j, t_next
        return out


def tightened(sim: Simulation, rtol: float = 1e-9, atol: float = 1e-12) -> Simulation:
    """A copy of ``sim`` whose scenario asks the engine for tight solver tolerances."""
    from imidsim.simulation import Simulation

    solver = SolverSpec(rtol=rtol, atol=atol, hmax_h=sim.scenario.solver.hmax_h)
    return Simulation(sim.scenario.model_copy(update={"solver": solver}))


def _max_rel_err(ref: np.ndarray, other: np.ndarray, floor: float) -> float:
    peak = float(np.max(np.abs(ref)))
    if peak == 0.0:
        return float(np.max(np.abs(other)))  # both should stay exactly zero
    big = np.abs(ref) > floor * peak
    return float(np.max(np.abs(other[big] - ref[big]) / np.abs(ref[big]), initial=0.0))


def compare(sim: Simulation, patient: int = 0, *,
            patients: pd.DataFrame | Mapping[str, Any] | None = None,
            engine_rtol: float = 1e-9, engine_atol: float = 1e-12, rr_rtol: float = 1e-10,
            rr_atol: float = 1e-12, floor: float = 1e-6) -> dict[str, float]:
    """Max relative error per species (and per dosed drug's ``C_<drug>``) between imidsim's
    engine and libRoadRunner on the exported scenario.

    Each is taken over the output times where the engine's value exceeds ``floor`` times its
    peak magnitude; a species that stays exactly zero in the engine reports libRoadRunner's
    largest magnitude. The engine runs with ``engine_rtol``/``engine_atol`` through the
    scenario's ``solver:`` block.
    """
    tight = tightened(sim, engine_rtol, engine_atol)
    res = tight.solve(patients)
    t_out = res.solution.t_h
    sbml = export_sbml(tight, patient, patients=patients)
    rr = simulate_roadrunner(sbml, t_out, rtol=rr_rtol, atol=rr_atol)
    m = tight.model
    y = res.solution.y[patient].copy()
    c = res.solution.c[patient].copy()
    # Align conventions: add the doses due at an output time to the engine's (pre-dose) value.
    plan = tight.dosing_plan(tight.patient_table(patients))
    scale = plan.scale[patient]
    at = {float(t): i for i, t in enumerate(t_out)}
    for te, d, amt, cmt in zip(plan.ev_t[patient], plan.ev_d[patient], plan.ev_amt[patient],
                               plan.ev_cmt[patient], strict=True):
        i = at.get(float(te))
        if i is None or d == -1 or te >= t_out[-1]:
            continue
        if d <= -2:
            y[i, -d - 2] += amt
        elif cmt == 1:
            c[i, d] += amt * scale[d]
    errors: dict[str, float] = {}
    for j, name in enumerate(m.species_names):
        errors[name] = _max_rel_err(y[:, j], rr[name], floor)
    dosed = {int(d) for d in plan.ev_d[patient] if d >= 0}
    for d in sorted(dosed):
        name = m.input_names[d]
        errors[name] = _max_rel_err(c[:, d], rr[name], floor)
    return errors
