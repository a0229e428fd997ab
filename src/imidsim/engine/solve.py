"""Batched solve: parameter matrix + dosing events + PK → trajectories for many patients."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numba
import numpy as np

from imidsim.engine.codegen import CompiledModel, exponent_parameters
from imidsim.errors import SolverError
from imidsim.pk.linear import N_CMT, LinearPK

SPECIALIZE_MIN_PATIENTS = 64  # batches this large run the variant compiled for their drugs
THREAD_SLICES = 8  # slices of a batch per thread (load balance)
INTEGRATING_FACTOR_MIN = 0.2  # loss rate x step above which a species' loss is taken out exactly

STATUS_TEXT = {
    1: "too many steps: the model is stiff or a rate is huge; check parameter overrides "
       "(e.g. a half-life given in the wrong unit) or lower the output horizon",
    2: "step size underflow: a rate changes discontinuously or is enormous; check parameter "
       "overrides",
    3: "a state became non-finite (NaN or infinity): check parameter values for zeros in "
       "denominators",
}


@dataclass
class DosingPlan:
    """Per-patient dosing events and PK propagators for the model's drug inputs.

    ``ev_t`` (n, ne) hours; ``ev_d`` (n, ne) drug index, ``-1`` padding, ``-(k + 2)`` a bolus
    into species ``k``; ``ev_amt`` (n, ne) amount (mg for drugs, species units for boluses);
    ``ev_cmt`` (n, ne) PK compartment receiving a drug dose (0 gut/oral, 1 central/IV);
    ``ev_rule`` (n, ne) dose-rule index or -1. Rules: ``rule_obs`` observable index,
    ``rule_thr`` hold threshold, ``rule_levels`` (nr, L) dose multipliers per level,
    ``rule_nlev`` levels in use. ``lam`` (n, nd, 3), ``vec``/``vinv`` (n, nd, 3, 3); ``scale``
    (n, nd) turns central amount (mg) into uM; ``cfix`` (n, nd) in-vitro concentration (uM).
    """

    ev_t: np.ndarray
    ev_d: np.ndarray
    ev_amt: np.ndarray
    ev_cmt: np.ndarray
    ev_rule: np.ndarray
    lam: np.ndarray
    vec: np.ndarray
    vinv: np.ndarray
    scale: np.ndarray
    cfix: np.ndarray
    rule_obs: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    rule_thr: np.ndarray = field(default_factory=lambda: np.zeros(0))
    rule_levels: np.ndarray = field(default_factory=lambda: np.ones((0, 1)))
    rule_nlev: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @classmethod
    def empty(cls, n: int, nd: int) -> DosingPlan:
        eye = np.broadcast_to(np.eye(N_CMT), (n, nd, N_CMT, N_CMT)).copy()
        return cls(np.full((n, 1), np.inf), np.full((n, 1), -1, np.int64), np.zeros((n, 1)),
                   np.zeros((n, 1), np.int64), np.full((n, 1), -1, np.int64),
                   -np.ones((n, nd, N_CMT)), eye, eye.copy(), np.zeros((n, nd)),
                   np.zeros((n, nd)))

    def rows(self, index: np.ndarray | Sequence[int] | slice) -> DosingPlan:
        """The plan of a subset of patients (rules are shared)."""
        per_patient = ("ev_t", "ev_d", "ev_amt", "ev_cmt", "ev_rule", "lam", "vec", "vinv",
                       "scale", "cfix")
        return DosingPlan(**{k: (np.ascontiguousarray(v[index]) if k in per_patient else v)
                             for k, v in self.__dict__.items()})

    def add_rule(self, observable_index: int, threshold: float, levels: list[float]) -> int:
        """Register a hold-and-reduce rule; returns its index for :meth:`add_events`."""
        width = max(self.rule_levels.shape[1], len(levels))
        table = np.ones((self.rule_levels.shape[0] + 1, width))
        table[:-1, : self.rule_levels.shape[1]] = self.rule_levels
        table[-1, : len(levels)] = levels
        table[-1, len(levels):] = levels[-1]
        self.rule_levels = table
        self.rule_obs = np.append(self.rule_obs, observable_index).astype(np.int64)
        self.rule_thr = np.append(self.rule_thr, threshold)
        self.rule_nlev = np.append(self.rule_nlev, len(levels)).astype(np.int64)
        return len(self.rule_obs) - 1

    def set_drug(self, d: int, pk: LinearPK) -> None:
        lam, vec, vinv = pk.eigen()
        self.lam[:, d] = lam
        self.vec[:, d] = vec
        self.vinv[:, d] = vinv
        self.scale[:, d] = 1000.0 / (np.asarray(pk.v1, float) * pk.mw)

    def add_events(self, times: np.ndarray, drug_index: int, amounts: np.ndarray, *,
                   compartment: int = 0, rule: int = -1) -> None:
        """Append events (times (n, k) hours, amounts (n, k)) and keep them time-sorted."""
        n = self.ev_t.shape[0]
        full = np.full(times.shape, 0, np.int64)
        t = np.concatenate([self.ev_t, times], axis=1)
        d = np.concatenate([self.ev_d, full + drug_index], axis=1)
        a = np.concatenate([self.ev_amt, amounts], axis=1)
        cm = np.concatenate([self.ev_cmt, full + compartment], axis=1)
        ru = np.concatenate([self.ev_rule, full + rule], axis=1)
        order = np.argsort(t, axis=1, kind="stable")
        rows = np.arange(n)[:, None]
        self.ev_t, self.ev_d, self.ev_amt = t[rows, order], d[rows, order], a[rows, order]
        self.ev_cmt, self.ev_rule = cm[rows, order], ru[rows, order]

    def add_species_bolus(self, times: np.ndarray, species_index: int,
                          amounts: np.ndarray, *, rule: int = -1) -> None:
        """Boluses into a model species (e.g. an antibody's central amount)."""
        self.add_events(times, -(species_index + 2), amounts, rule=rule)


@dataclass
class BatchSolution:
    """Trajectories of a batch. ``y`` holds the species listed in ``species_index`` (all when
    None), ``c`` the inputs in ``input_index`` and ``obs`` the assignments in
    ``observable_index`` (likewise)."""

    t_h: np.ndarray  # (nt,)
    y: np.ndarray  # (n, nt, ns) or (n, nt, len(species_index))
    c: np.ndarray  # (n, nt, nd) uM, or (n, nt, len(input_index))
    obs: np.ndarray  # (n, nt, na) or (n, nt, len(observable_index))
    status: np.ndarray  # (n,)
    held_doses: np.ndarray | None = None  # (n, n_rules) doses held by each rule
    dose_level: np.ndarray | None = None  # (n, n_rules) final dose level index
    stats: np.ndarray | None = None  # (n, 3) accepted steps, rejected steps, RHS evaluations
    species_index: np.ndarray | None = None
    observable_index: np.ndarray | None = None
    input_index: np.ndarray | None = None


def initial_state(cm: CompiledModel, P: np.ndarray) -> np.ndarray:
    y0 = np.zeros((P.shape[0], len(cm.model.species)))
    for i in range(P.shape[0]):
        cm.init(P[i], y0[i])
    return y0


def active_inputs(plan: DosingPlan) -> np.ndarray:
    """Drug inputs that are dosed or held at a fixed concentration for some patient."""
    nd = plan.lam.shape[1]
    dosed = np.zeros(nd, bool)
    d = plan.ev_d[(plan.ev_d >= 0) & (plan.ev_amt != 0)]
    dosed[np.unique(d)] = True
    dosed |= np.any(plan.cfix != 0, axis=0)
    return np.flatnonzero(dosed).astype(np.int64)


def uniform_exponents(cm: CompiledModel, P: np.ndarray) -> dict[str, float]:
    """Exponent parameters with one value across the batch (written into the code as literals
    by :meth:`CompiledModel.specialised`)."""
    names = cm.model.parameter_names
    found = cm.module.__dict__.get("EXPONENT_PARAMETERS")
    if found is None:
        found = cm.module.__dict__["EXPONENT_PARAMETERS"] = exponent_parameters(cm.model)
    out = {}
    for name in found:
        col = P[:, names.index(name)]
        if np.all(col == col[0]):
            out[name] = float(col[0])
    return out


def _selection(sel: bool | Sequence[int], size: int) -> np.ndarray:
    if sel is True:
        return np.arange(size, dtype=np.int64)
    if sel is False:
        return np.zeros(0, np.int64)
    idx = np.asarray(sel, np.int64).reshape(-1)
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        raise SolverError(f"selected index out of range 0..{size - 1}")
    return idx


def _on_threads(run: Callable[[slice], None], n: int) -> None:
    """Call ``run`` on slices of ``range(n)`` on ``numba.get_num_threads()`` threads.

    The compiled batch loop releases the GIL, so Python threads run slices in parallel;
    slices are small (``THREAD_SLICES`` per thread) so a slow patient does not hold up one
    thread while the others idle. Results do not depend on the slicing: each patient is
    integrated on its own."""
    threads = min(numba.get_num_threads(), n)
    if threads <= 1:
        run(slice(0, n))
        return
    size = max(1, math.ceil(n / (threads * THREAD_SLICES)))
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for done in [pool.submit(run, slice(i, min(i + size, n))) for i in range(0, n, size)]:
            done.result()


def solve_batch(cm: CompiledModel, P: np.ndarray, plan: DosingPlan, t_out_h: np.ndarray, *,
                rtol: float = 1e-6, atol: float = 1e-9, hmax: float = 24.0,
                observables: bool | Sequence[int] = True, species: bool | Sequence[int] = True,
                inputs: bool | Sequence[int] = True, raise_on_failure: bool = True,
                specialize: bool | None = None, integrating_factor: bool = True
                ) -> BatchSolution:
    """Integrate every row of ``P`` (n, n_params) and return states at ``t_out_h``.

    ``species``, ``inputs`` (drug concentrations) and ``observables`` choose what is stored at
    each output time (True: all, False: none, or a list of indices); observables are
    evaluated inside the integrator, so a large batch can keep a few of them without storing
    every species. ``specialize`` runs the model variant compiled for this batch: the drugs it
    does not use folded away and the exponents it holds fixed written as literals (bit for bit
    the same results, two to three times as fast); by default batches of at least
    ``SPECIALIZE_MIN_PATIENTS`` do, since a new variant costs one compilation (then cached).
    ``integrating_factor`` takes fast first-order losses out of the step exactly (see
    ``kernel_template.py``); off, every species is plain DOPRI5 (for comparisons).
    """
    P = np.ascontiguousarray(P, float)
    n, ns = P.shape[0], len(cm.model.species)
    nd, nt = len(cm.model.inputs), len(t_out_h)
    na = len(cm.model.assignments)
    t_out = np.ascontiguousarray(t_out_h, float)
    if np.any(np.diff(t_out) < 0) or t_out[0] < 0:
        raise SolverError("output times must start at >= 0 h and increase")
    act = active_inputs(plan)
    if specialize is None:
        specialize = n >= SPECIALIZE_MIN_PATIENTS
    if specialize:
        cm = cm.specialised([cm.model.input_names[d] for d in act], uniform_exponents(cm, P))
    else:
        cm = cm.general()
    ykeep = _selection(species, ns)
    okeep = _selection(observables, na)
    ckeep = _selection(inputs, nd)
    y0 = initial_state(cm, P)
    y = np.zeros((n, nt, len(ykeep)))
    c = np.zeros((n, nt, len(ckeep)))
    obs = np.zeros((n, nt, len(okeep)))
    status = np.zeros(n, np.int64)
    stats = np.zeros((n, 3), np.int64)
    nr = len(plan.rule_obs)
    held = np.zeros((n, nr), np.int64)
    level = np.zeros((n, nr), np.int64)
    arr = np.ascontiguousarray
    per_patient = (y0, P, arr(plan.ev_t), arr(plan.ev_d), arr(plan.ev_amt), arr(plan.ev_cmt),
                   arr(plan.ev_rule))
    pk = (arr(plan.lam), arr(plan.vec), arr(plan.vinv), arr(plan.scale), arr(plan.cfix))
    outputs = (y, c, obs, status, held, level)
    rules = (arr(plan.rule_obs), arr(plan.rule_thr, dtype=float),
             arr(plan.rule_levels, dtype=float), arr(plan.rule_nlev))
    lamh_min = INTEGRATING_FACTOR_MIN if integrating_factor else math.inf

    def run(rows: slice) -> None:
        cm.integrate_batch(*(a[rows] for a in per_patient), *rules, act,
                           *(a[rows] for a in pk), t_out, float(rtol), float(atol), float(hmax),
                           lamh_min, ykeep, ckeep, okeep, *(a[rows] for a in outputs),
                           max(na, 1), stats[rows])

    _on_threads(run, n)
    if raise_on_failure and np.any(status != 0):
        i = int(np.flatnonzero(status)[0])
        raise SolverError(f"integration failed for patient {i}: "
                          f"{STATUS_TEXT.get(int(status[i]), 'unknown failure')}")
    return BatchSolution(t_out, y, c, obs, status, held, level, stats,
                         None if species is True else ykeep,
                         None if observables is True else okeep,
                         None if inputs is True else ckeep)
