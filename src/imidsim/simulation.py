"""One orchestrated path: ``Simulation(scenario).solve()``.

The CLI, trials and analyses all go through this module; it holds no biology itself. It
assembles the model from modules, fills the parameter set for the disease and patient,
turns the treatments into dosing events with closed-form PK, integrates every patient in
one compiled batch, and returns a labelled :class:`SimulationResult`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd

from imidsim import __version__
from imidsim.engine.codegen import CompiledModel, compile_model
from imidsim.engine.solve import BatchSolution, DosingPlan, solve_batch
from imidsim.errors import InputError, did_you_mean
from imidsim.library.agents import agent, agents
from imidsim.library.loader import DRUG_ALIASES, disease, drug, drugs, parameters_for
from imidsim.model.core import Model, Module, assemble
from imidsim.model.parameter import ParameterSet
from imidsim.modules.antibodies import (
    antibody_module,
    bcell_kill_terms,
    central,
    checkpoint_expr,
    irae_module,
    nk_activation_terms,
)
from imidsim.modules.bcells import bcell_module
from imidsim.modules.cart import cart_module, effector
from imidsim.modules.chemo import chemo_module, marrow_toxicity_terms
from imidsim.modules.crbn import crbn_module
from imidsim.modules.cytokines import cytokine_module
from imidsim.modules.dendritic import dendritic_module
from imidsim.modules.dex import dex_module
from imidsim.modules.exposure import conc_name, exposure_module
from imidsim.modules.macrophage import macrophage_module
from imidsim.modules.marrow import marrow_module
from imidsim.modules.nk import nk_module
from imidsim.modules.stroma import stroma_module
from imidsim.modules.tcell import tcell_module
from imidsim.modules.tumour import readout_module, tumour_module
from imidsim.pk.drug_pk import linear_pk
from imidsim.scenario import Scenario

PATIENT_COVARIATES = ("crcl_ml_min", "weight_kg", "bsa_m2")
COVARIATE_DEFAULTS = {"crcl_ml_min": np.nan, "weight_kg": 70.0, "bsa_m2": 1.8}


def default_modules(agent_names: tuple[str, ...] = ()) -> tuple[Module, ...]:
    """The full model: exposure, CRBN glue, tumour, readouts, immune microenvironment, marrow,
    plus a module for each combination agent in use (antibodies, engagers, checkpoints)."""
    ags = tuple(agent(a) for a in agent_names)
    gcs = tuple(d.name for d in drugs().values()
                if d.drug_class == "glucocorticoid" and d.name != "dexamethasone")
    mods = [exposure_module(), crbn_module(), tumour_module(), readout_module(),
            tcell_module(pd1_blockade=checkpoint_expr(ags)),
            nk_module(extra_activation=nk_activation_terms(ags)), macrophage_module(),
            dendritic_module(), cytokine_module(), stroma_module(), dex_module(gcs),
            bcell_module(bcell_kill_terms(ags)),
            marrow_module(extra_tox=marrow_toxicity_terms()), chemo_module()]
    abs_ = tuple(a for a in ags if a.agent_class != "car_t")
    cars = tuple(a for a in ags if a.agent_class == "car_t")
    if abs_:
        mods.append(antibody_module(abs_))
    if cars:
        mods.append(cart_module(cars))
    if any(a.has("checkpoint") for a in ags):
        mods.append(irae_module())
    return tuple(mods)


def scenario_agents(scenario: Scenario) -> tuple[str, ...]:
    """The combination agents (antibodies, engagers, ...) of a scenario's regimen, sorted."""
    regimen = scenario.resolved_regimen()
    names = regimen.agent_names() if regimen else []
    return tuple(sorted({n.lower() for n in names if n.lower() in agents()}))


@cache
def model_parameters(disease_name: str = "myeloma", agent_names: tuple[str, ...] = ()
                     ) -> ParameterSet:
    """The parameter set of the model for a disease and a set of agents (no compile): the
    names a scenario's ``parameters`` may override."""
    params = parameters_for(disease_name)
    extra = [p for a in agent_names for p in agent(a).parameters]
    return params.merged(ParameterSet.from_records(extra)) if extra else params


@cache
def build(disease_name: str = "myeloma", agent_names: tuple[str, ...] = ()
          ) -> tuple[Model, CompiledModel]:
    """Assemble and compile the model for a disease and a set of agents (cached)."""
    model = assemble(default_modules(tuple(sorted(agent_names))),
                     model_parameters(disease_name, agent_names))
    return model, compile_model(model)


@dataclass
class SimulationResult:
    """Labelled trajectories of one or more patients, with provenance and citations."""

    scenario: Scenario
    model: Model
    parameters: ParameterSet
    patients: pd.DataFrame
    solution: BatchSolution
    provenance: dict[str, object] = field(default_factory=dict)

    @property
    def kept(self) -> list[str] | None:
        """Assignments stored (None = all), as the solution records them."""
        idx = self.solution.observable_index
        return None if idx is None else [self.model.assignment_names[int(j)] for j in idx]

    @property
    def t_days(self) -> np.ndarray:
        return self.solution.t_h / 24.0

    @property
    def n_patients(self) -> int:
        return int(self.solution.y.shape[0])

    def names(self) -> list[str]:
        return [*self.model.species_names, *self.model.assignment_names,
                *[f"{n}_uM" for n in self.model.input_names]]

    def series(self, name: str, patient: int = 0) -> np.ndarray:
        """Trajectory of a species, assignment or input (``C_<drug>`` in uM) for one patient."""
        m = self.model
        sol = self.solution
        for names, stored, values in ((m.species_names, sol.species_index, sol.y),
                                      (m.assignment_names, sol.observable_index, sol.obs),
                                      (m.input_names, sol.input_index, sol.c)):
            if name not in names:
                continue
            j = names.index(name)
            if stored is not None:
                hits = np.flatnonzero(np.asarray(stored) == j)
                if not hits.size:
                    raise InputError(f"output '{name}' was not kept in this run; kept: "
                                     f"{', '.join(self.kept_names())}")
                j = int(hits[0])
            return values[patient, :, j]
        raise InputError(f"unknown output '{name}'.{did_you_mean(name, self.names())}")

    def kept_names(self) -> list[str]:
        """Every output stored by this run (all of them unless ``solve(keep=...)`` chose)."""
        m, sol = self.model, self.solution
        out = []
        for names, stored in ((m.species_names, sol.species_index),
                              (m.assignment_names, sol.observable_index),
                              (m.input_names, sol.input_index)):
            out += names if stored is None else [names[int(j)] for j in stored]
        return out

    def frame(self, patient: int = 0, names: Sequence[str] | None = None) -> pd.DataFrame:
        """Wide table: ``time_h``, ``time_day`` and one column per requested output."""
        cols = list(names) if names is not None else self.kept_names()
        data = {"time_h": self.solution.t_h, "time_day": self.t_days}
        for n in cols:
            data[n] = self.series(n, patient)
        return pd.DataFrame(data)

    def citations(self) -> list[str]:
        return self.model.references()


class Simulation:
    """Simulate a :class:`Scenario` for one patient or a panel of patients."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.disease = disease(scenario.disease)
        self.regimen = scenario.resolved_regimen()
        self.agent_names = scenario_agents(scenario)
        self.model, self.compiled = build(self.disease.name, self.agent_names)
        base = self.model.parameters
        unknown = [k for k in scenario.parameters if k not in base]
        if unknown:
            raise InputError(f"{scenario.name}: parameters: unknown parameter '{unknown[0]}'; "
                             f"expected a name listed by 'imidsim params'."
                             f"{did_you_mean(unknown[0], base)}")
        setting = {"tumour.stromal_protection": 0.0} if scenario.setting == "in_vitro" else {}
        values = {**setting, **scenario.parameters, **scenario.patient.parameter_values(),
                  **scenario.interventions.parameter_values()}
        self.parameters = base.with_values(values, note="set by the scenario") if values else base

    def patient_table(self, patients: pd.DataFrame | Mapping[str, Sequence[float]] | None
                      ) -> pd.DataFrame:
        """One row per patient: model parameters plus PK covariates (defaults filled in)."""
        table = pd.DataFrame(patients) if patients is not None else pd.DataFrame(index=[0])
        if table.empty and len(table.columns) == 0:
            table = pd.DataFrame(index=[0])
        allowed = set(self.model.parameter_names) | set(PATIENT_COVARIATES)
        for col in table.columns:
            if col not in allowed:
                raise InputError(f"patients: unknown column '{col}'."
                                 f"{did_you_mean(col, allowed)}")
        table = table.reset_index(drop=True)
        for cov, default in COVARIATE_DEFAULTS.items():
            if cov not in table.columns:
                given = getattr(self.scenario.patient, cov)
                table[cov] = default if given is None else given
        return table

    def parameter_matrix(self, table: pd.DataFrame) -> np.ndarray:
        names = self.model.parameter_names
        P = np.tile(np.array(self.model.parameter_vector(self.parameters)), (len(table), 1))
        for j, n in enumerate(names):
            if n in table.columns:
                P[:, j] = table[n].to_numpy(float)
        if not np.all(np.isfinite(P)):
            raise InputError("patients: every parameter value must be a finite number")
        return P

    def dosing_plan(self, table: pd.DataFrame) -> DosingPlan:
        n = len(table)
        inputs = self.model.input_names
        plan = DosingPlan.empty(n, len(inputs))
        for k, tr in enumerate(self.scenario.treatments):
            dname = tr.drug
            if conc_name(dname) not in inputs:
                raise InputError(f"treatments[{k}].drug: '{dname}' is not part of this model")
            d_idx = inputs.index(conc_name(dname))
            if tr.concentration_uM is not None:
                plan.cfix[:, d_idx] += tr.concentration_uM
                continue
            crcl = table["crcl_ml_min"].to_numpy(float)
            pk = linear_pk(drug(dname), self.parameters, n,
                           crcl=None if np.all(np.isnan(crcl)) else np.nan_to_num(crcl, nan=100.0))
            plan.set_drug(d_idx, pk)
            days = tr.resolved_schedule().dose_days(tr.cycles, tr.start_day)
            times = days * 24.0 + tr.dose_hour
            ev_t = times[None, :] + pk.lag[:, None]
            iv = drug(dname).route == "iv"
            if iv:
                ev_t = np.broadcast_to(times[None, :], (n, len(times))).copy()
            ev_amt = np.broadcast_to(tr.dose_mg * (1.0 if iv else pk.f[:, None]), ev_t.shape)
            plan.add_events(ev_t, d_idx, np.array(ev_amt), compartment=1 if iv else 0)
        if self.regimen is not None:
            self._regimen_events(plan, table)
        return plan

    def _regimen_events(self, plan: DosingPlan, table: pd.DataFrame) -> None:
        """Turn the regimen's doses into engine events (drugs: PK compartments; agents: boluses
        into their central species), attaching hold-and-reduce rules."""
        from imidsim.regimens import dose_multiplier, expand

        reg = self.regimen
        assert reg is not None
        n = len(table)
        weight = table["weight_kg"].to_numpy(float)
        bsa = table["bsa_m2"].to_numpy(float)
        crcl = table["crcl_ml_min"].to_numpy(float)
        rules = {}
        for r in reg.dose_modifications:
            obs = self.model.assignment_names.index(r.hold_if.marker)
            rules[r.agent.lower()] = plan.add_rule(obs, r.hold_if.below,
                                                   [lv / r.levels[0] for lv in r.levels])
        events = expand(reg, self.scenario.horizon_days())
        by_agent: dict[str, list] = {}
        for ev in events:
            by_agent.setdefault(ev.agent.lower(), []).append(ev)
        inputs = self.model.input_names
        for name, evs in by_agent.items():
            key = DRUG_ALIASES.get(name, name)
            days = np.array([e.day for e in evs])
            mult = np.stack([dose_multiplier(e.unit, weight, bsa) * e.dose for e in evs], axis=1)
            rule = rules.get(name, -1)
            if key in drugs():
                d = drug(key)
                pk = linear_pk(d, self.parameters, n,
                               crcl=None if np.all(np.isnan(crcl)) else np.nan_to_num(crcl,
                                                                                     nan=100.0))
                d_idx = inputs.index(conc_name(key))
                plan.set_drug(d_idx, pk)
                iv = d.route == "iv"
                times = days[None, :] * 24.0 + (0.0 if iv else pk.lag[:, None])
                plan.add_events(np.broadcast_to(times, (n, len(days))).copy(), d_idx,
                                mult * (1.0 if iv else pk.f[:, None]),
                                compartment=1 if iv else 0, rule=rule)
            else:
                target = effector(key) if agent(key).agent_class == "car_t" else central(key)
                s_idx = self.model.species_index(target)
                plan.add_species_bolus(np.broadcast_to(days * 24.0, (n, len(days))).copy(),
                                       s_idx, mult, rule=rule)

    def output_times(self) -> np.ndarray:
        horizon_h = self.scenario.horizon_days() * 24.0
        step = self.scenario.output.interval_h
        t = np.arange(0.0, horizon_h + 1e-9, step)
        if t[-1] < horizon_h:
            t = np.append(t, horizon_h)
        return t

    def solve(self, patients: pd.DataFrame | Mapping[str, Sequence[float]] | None = None, *,
              keep: Sequence[str] | None = None) -> SimulationResult:
        """Integrate every patient. ``keep`` names the outputs to store (species, assignments,
        ``C_<drug>`` inputs) — for large batches: nothing else is kept in memory and ``series``
        refuses other names; by default every output is stored."""
        table = self.patient_table(patients)
        P = self.parameter_matrix(table)
        plan = self.dosing_plan(table)
        s = self.scenario.solver
        m = self.model
        sel: dict[str, bool | list[int]] = {"observables": True, "species": True, "inputs": True}
        if keep is not None:
            known = [*m.species_names, *m.assignment_names, *m.input_names]
            unknown = [k for k in keep if k not in known]
            if unknown:
                raise InputError(f"keep: unknown output '{unknown[0]}'."
                                 f"{did_you_mean(unknown[0], known)}")
            sel = {"observables": [m.assignment_names.index(k) for k in keep
                                   if k in m.assignment_names],
                   "species": [m.species_names.index(k) for k in keep if k in m.species_names],
                   "inputs": [m.input_names.index(k) for k in keep if k in m.input_names]}
        sol = solve_batch(self.compiled, P, plan, self.output_times(), rtol=s.rtol, atol=s.atol,
                          hmax=s.hmax_h, **sel)  # type: ignore[arg-type]
        prov = {
            "imidsim_version": __version__,
            "scenario": self.scenario.name,
            "disease": self.disease.name,
            "model_structure": self.model.structure_digest(),
            "parameter_set": self.parameters.digest(),
            "solver": {"method": "DOPRI5 (numba) with an integrating factor for fast "
                                  "first-order losses, closed-form linear PK", "rtol": s.rtol,
                       "atol": s.atol, "hmax_h": s.hmax_h},
            "n_species": len(self.model.species),
            "n_parameters": len(self.model.parameter_names),
        }
        return SimulationResult(self.scenario, self.model, self.parameters, table, sol, prov)
