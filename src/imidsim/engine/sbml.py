"""SBML export of an assembled scenario (model + PK + doses) for one patient.

:func:`export_sbml` writes an SBML Level 3 Version 2 document with libSBML:

* every model parameter the model reads is a constant ``<parameter>`` with this patient's value
  (ids sanitised; the original name is the element's ``name``, and its unit, source, status,
  note and formula are in its notes);
* every species is an SBML species in the single compartment ``body`` (size 1,
  ``hasOnlySubstanceUnits``, so rate laws read amounts directly in imidsim's units) with its
  initial amount evaluated for this patient;
* every assignment is an ``assignmentRule`` on a non-constant parameter, every reaction an SBML
  reaction with its rate law and stoichiometry;
* each dosed drug's linear PK becomes three species (gut, central and peripheral amounts, mg)
  with first-order transfer and elimination reactions taken from the rate matrix
  ``A = vec diag(lam) vinv``, and its plasma concentration ``C_<drug>`` (uM) the assignment
  rule ``max(central * scale, 0) + cfix``, exactly as the engine and the SciPy reference do;
* doses are ``<event>``s, one per dosing time (``time >= t``, persistent, values from trigger
  time, initial value false so that a dose at time 0 fires), adding every amount due then.

:func:`export_batch` writes one document without dose events for a whole patient table and
returns, with it, where each quantity sits (:class:`SbmlLayout`) and every patient's values
and doses (:class:`PatientValues`): a simulator loads it once and re-parameterises it per
patient (see :class:`imidsim.engine.roadrunner_check.RoadRunnerBatch`).

Time is in hours (unit definition ``hour``); species, parameters and rules carry their imidsim
units in their notes and are otherwise declared dimensionless or left undeclared, so libSBML's
unit checks give warnings, not errors. Hold-and-reduce dose rules depend on the simulated
state at each dose and are not exported (:class:`NotImplementedError`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from imidsim import __version__
from imidsim.engine.solve import initial_state
from imidsim.model.expr import to_code

if TYPE_CHECKING:
    import pandas as pd

    from imidsim.simulation import Simulation

INSTALL_HINT = ("SBML export and its libRoadRunner check need python-libsbml and libroadrunner; "
                "install them with: pip install 'imidsim[sbml]'")

PK_COMPARTMENTS = ("gut", "central", "peripheral")
TIME_UNIT_ID = "hour"
XHTML = "http://www.w3.org/1999/xhtml"

# Names the SBML L3 infix parser reads as constants or csymbols (compared case-insensitively).
_RESERVED = {"time", "avogadro", "pi", "e", "exponentiale", "true", "false", "inf", "infinity",
             "nan", "notanumber", "rateof", "delay", "and", "or", "not", "xor"}


def require_libsbml() -> Any:
    """Import libSBML, or raise ImportError with the install hint."""
    try:
        import libsbml
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError(INSTALL_HINT) from exc
    return libsbml


@dataclass
class IdMap:
    """Original imidsim names to unique SBML SIds (one namespace for the whole model)."""

    ids: dict[tuple[str, str], str] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)

    @staticmethod
    def sanitise(name: str) -> str:
        sid = re.sub(r"[^A-Za-z0-9_]", "_", name)
        if not sid or not (sid[0].isalpha() or sid[0] == "_"):
            sid = "x_" + sid
        if sid.lower() in _RESERVED:
            sid = "x_" + sid
        return sid

    def new(self, kind: str, name: str, base: str | None = None) -> str:
        sid = self.sanitise(base if base is not None else name)
        candidate, k = sid, 1
        while candidate in self.used:
            k += 1
            candidate = f"{sid}_{k}"
        self.used.add(candidate)
        self.ids[(kind, name)] = candidate
        return candidate

    def __getitem__(self, key: tuple[str, str]) -> str:
        return self.ids[key]


def _notes(fields: Mapping[str, object]) -> str:
    rows = "".join(f"<p>{html.escape(k)}: {html.escape(str(v))}</p>"
                   for k, v in fields.items() if v not in ("", None, ()))
    return f'<body xmlns="{XHTML}">{rows or "<p/>"}</body>'


def _check(rc: int, what: str) -> None:
    libsbml = require_libsbml()
    if rc != libsbml.LIBSBML_OPERATION_SUCCESS:
        raise RuntimeError(f"libSBML failed to {what}: "
                           f"{libsbml.OperationReturnValue_toString(rc)}")


@dataclass
class _Writer:
    """Small helpers around one libSBML model."""

    lib: Any
    model: Any
    settings: Any

    def math(self, formula: str, where: str) -> Any:
        ast = self.lib.parseL3FormulaWithSettings(formula, self.settings)
        if ast is None:
            raise RuntimeError(f"{where}: libSBML cannot parse '{formula}': "
                               f"{self.lib.getLastParseL3Error()}")
        return ast

    def parameter(self, sid: str, value: float, *, name: str = "", constant: bool = True,
                  notes: Mapping[str, object] | None = None, units: str = "") -> Any:
        p = self.model.createParameter()
        _check(p.setId(sid), f"set parameter id '{sid}'")
        if name:
            p.setName(name)
        p.setConstant(constant)
        p.setValue(float(value))
        if units:
            p.setUnits(units)
        if notes:
            _check(p.setNotes(_notes(notes)), f"set notes of '{sid}'")
        return p

    def species(self, sid: str, amount: float, *, name: str = "",
                notes: Mapping[str, object] | None = None) -> Any:
        s = self.model.createSpecies()
        _check(s.setId(sid), f"set species id '{sid}'")
        if name:
            s.setName(name)
        s.setCompartment("body")
        s.setInitialAmount(float(amount))
        s.setHasOnlySubstanceUnits(True)
        s.setBoundaryCondition(False)
        s.setConstant(False)
        if notes:
            _check(s.setNotes(_notes(notes)), f"set notes of '{sid}'")
        return s

    def rule(self, variable: str, formula: str) -> None:
        r = self.model.createAssignmentRule()
        r.setVariable(variable)
        _check(r.setMath(self.math(formula, f"rule for '{variable}'")),
               f"set the rule for '{variable}'")

    def reaction(self, sid: str, formula: str, changes: Mapping[str, float], *, name: str = "",
                 modifiers: tuple[str, ...] = (),
                 notes: Mapping[str, object] | None = None) -> None:
        r = self.model.createReaction()
        _check(r.setId(sid), f"set reaction id '{sid}'")
        if name:
            r.setName(name)
        r.setReversible(False)
        for sp, coef in changes.items():
            if coef == 0:
                continue
            ref = r.createReactant() if coef < 0 else r.createProduct()
            ref.setSpecies(sp)
            ref.setStoichiometry(abs(float(coef)))
            ref.setConstant(True)
        for sp in modifiers:
            if changes.get(sp, 0) == 0:
                r.createModifier().setSpecies(sp)
        law = r.createKineticLaw()
        _check(law.setMath(self.math(formula, f"reaction '{name or sid}'")),
               f"set the rate law of '{sid}'")
        if notes:
            _check(r.setNotes(_notes(notes)), f"set notes of '{sid}'")


def _rule_error(sim: Simulation, rule: int) -> NotImplementedError:
    reg = sim.regimen
    what = f"dose rule #{rule}"
    if reg is not None and rule < len(reg.dose_modifications):
        r = reg.dose_modifications[rule]
        what = (f"the dose-modification rule of regimen '{reg.name}' for '{r.agent}' "
                f"(hold if {r.hold_if.marker} < {r.hold_if.below}, levels {r.levels})")
    return NotImplementedError(
        f"{what} cannot be exported to SBML: it decides each dose from the simulated state. "
        f"Remove the regimen's dose_modifications to export the fixed-dose schedule.")


def _pk_matrix(plan: Any, patient: int, d: int) -> np.ndarray:
    vec, lam, vinv = plan.vec[patient, d], plan.lam[patient, d], plan.vinv[patient, d]
    return np.einsum("ik,k,kj->ij", vec, lam, vinv)


@dataclass
class SbmlLayout:
    """Where each imidsim quantity sits in an exported document (SBML ids), so that one loaded
    document can be re-parameterised for other patients of the same scenario.

    ``parameters``/``species`` follow the model's parameter and species order; ``pk_species``
    maps (drug input, compartment) to the PK amount species; ``pk_scale``/``pk_cfix`` map a drug
    input to its constants; ``pk_transfer`` lists (id, drug, to, from) first-order transfer
    rates (entry ``A[to, from]`` of the PK rate matrix) and ``pk_elimination`` (id, drug, from,
    transfer targets) the elimination rates ``-(A[from, from] + sum A[to, from])``.
    """

    parameters: list[str] = field(default_factory=list)
    species: list[str] = field(default_factory=list)
    pk_species: dict[tuple[int, int], str] = field(default_factory=dict)
    pk_scale: dict[int, str] = field(default_factory=dict)
    pk_cfix: dict[int, str] = field(default_factory=dict)
    pk_transfer: list[tuple[str, int, int, int]] = field(default_factory=list)
    pk_elimination: list[tuple[str, int, int, tuple[int, ...]]] = field(default_factory=list)


@dataclass(frozen=True)
class PatientValues:
    """One patient's values for a document laid out by :class:`SbmlLayout`: constant
    parameters and initial amounts by SBML id, and the doses (time h, species id, amount)
    inside the horizon, time-ordered."""

    parameters: dict[str, float]
    amounts: dict[str, float]
    doses: list[tuple[float, str, float]]


def _events(sim: Simulation, plan: Any, patient: int, t_end: float
            ) -> list[tuple[float, int, float, int]]:
    """Dosing events of one patient inside the horizon (the engine applies none at t_end)."""
    events = []
    for te, d, amt, cmt, rule in zip(plan.ev_t[patient], plan.ev_d[patient],
                                     plan.ev_amt[patient], plan.ev_cmt[patient],
                                     plan.ev_rule[patient], strict=True):
        if d == -1 or not np.isfinite(te):
            continue
        if rule >= 0:
            raise _rule_error(sim, int(rule))
        if te < t_end:
            events.append((float(te), int(d), float(amt), int(cmt)))
    return events


def export_sbml(sim: Simulation, patient: int = 0, *,
                patients: pd.DataFrame | Mapping[str, Any] | None = None,
                doses: bool = True) -> str:
    """SBML L3V2 text of ``sim``'s scenario (model, this patient's parameters, PK and doses).

    ``patients`` is the optional patient table (as for :meth:`Simulation.solve`); ``patient``
    picks its row. ``doses=False`` leaves the dosing events out (a caller then applies the
    doses itself, see :func:`export_batch`). Raises NotImplementedError for dose rules, which
    are not exportable.
    """
    table = sim.patient_table(patients)
    if not 0 <= patient < len(table):
        raise IndexError(f"patient {patient} out of range: the table has {len(table)} rows")
    P = sim.parameter_matrix(table)
    plan = sim.dosing_plan(table)
    return _document(sim, patient, P, plan, doses=doses)[0]


def export_batch(sim: Simulation, patients: pd.DataFrame | Mapping[str, Any] | None = None
                 ) -> tuple[str, SbmlLayout, list[PatientValues]]:
    """One document for the whole patient table (the first patient's values, no dose events)
    with its layout and every patient's values: load it once, then set each patient's
    parameters and amounts and apply its doses between integration segments."""
    table = sim.patient_table(patients)
    P = sim.parameter_matrix(table)
    plan = sim.dosing_plan(table)
    text, layout = _document(sim, 0, P, plan, doses=False)
    y0 = initial_state(sim.compiled, P)
    t_end = float(sim.output_times()[-1])
    values = []
    for i in range(len(table)):
        params = dict(zip(layout.parameters, map(float, P[i]), strict=True))
        for d, sid in layout.pk_scale.items():
            params[sid] = float(plan.scale[i, d])
        for d, sid in layout.pk_cfix.items():
            params[sid] = float(plan.cfix[i, d])
        mats = {d: _pk_matrix(plan, i, d) for d in layout.pk_scale}
        for sid, d, to, frm in layout.pk_transfer:
            params[sid] = float(mats[d][to, frm])
        for sid, d, frm, targets in layout.pk_elimination:
            A = mats[d]
            params[sid] = float(-(A[frm, frm] + sum(A[to, frm] for to in targets)))
        amounts = dict(zip(layout.species, map(float, y0[i]), strict=True))
        amounts.update({sid: 0.0 for sid in layout.pk_species.values()})
        doses_i = []
        for te, d, amt, cmt in _events(sim, plan, i, t_end):
            if d >= 0 and (d, cmt) not in layout.pk_species:
                raise ValueError(f"patient {i}: drug input {d} is dosed but not patient 0's; "
                                 f"export these patients separately")
            target = layout.pk_species[(d, cmt)] if d >= 0 else layout.species[-d - 2]
            doses_i.append((te, target, amt))
        values.append(PatientValues(params, amounts, doses_i))
    return text, layout, values


def _document(sim: Simulation, patient: int, P: np.ndarray, plan: Any, *, doses: bool
              ) -> tuple[str, SbmlLayout]:
    lib = require_libsbml()
    m = sim.model
    p = P[patient]
    y0 = initial_state(sim.compiled, P[patient:patient + 1])[0]
    t_end = float(sim.output_times()[-1])
    events = _events(sim, plan, patient, t_end)
    dosed = sorted({d for _, d, _, _ in events if d >= 0})
    layout = SbmlLayout()

    doc = lib.SBMLDocument(3, 2)
    model = doc.createModel()
    ids = IdMap()
    model_id = ids.new("model", sim.scenario.name, "scenario_" + sim.scenario.name)
    model.setId(model_id)
    model.setName(sim.scenario.name)
    _check(model.setNotes(_notes({
        "exported by": f"imidsim {__version__}",
        "scenario": sim.scenario.name,
        "disease": sim.disease.name,
        "patient": f"row {patient} of the patient table",
        "time": "hours",
        "species": "amounts in their imidsim units (see each species' notes); compartment "
                   "'body' has size 1 so amounts and concentrations coincide",
        "PK": "pk_<drug>_gut/central/peripheral are drug amounts in mg; C_<drug> is the "
              "plasma concentration in uM",
        "model structure digest": m.structure_digest(),
        "parameter set digest": sim.parameters.digest(),
    })), "set model notes")

    ud = model.createUnitDefinition()
    ud.setId(TIME_UNIT_ID)
    ud.setName("hour")
    u = ud.createUnit()
    u.setKind(lib.UNIT_KIND_SECOND)
    u.setExponent(1.0)
    u.setScale(0)
    u.setMultiplier(3600.0)
    model.setTimeUnits(TIME_UNIT_ID)
    model.setSubstanceUnits("dimensionless")
    model.setExtentUnits("dimensionless")
    model.setVolumeUnits("dimensionless")

    comp = model.createCompartment()
    comp.setId(ids.new("compartment", "body"))
    comp.setName("body (unit size: species are amounts)")
    comp.setSize(1.0)
    comp.setConstant(True)
    comp.setSpatialDimensions(3.0)
    comp.setUnits("dimensionless")

    # Reserve every id first so that expressions can be emitted in any order.
    for name in m.parameter_names:
        ids.new("name", name)
    for s in m.species:
        ids.new("name", s.name)
    for a in m.assignments:
        ids.new("name", a.name)
    for i in m.inputs:
        ids.new("name", i.name)
    for r in m.reactions:
        ids.new("reaction", r.name, "R_" + r.name)

    def name_map(n: str) -> str:
        return "time" if n == "t" else ids[("name", n)]

    settings = lib.L3ParserSettings()
    settings.setModel(model)
    settings.setParseLog(lib.L3P_PARSE_LOG_AS_LN)
    w = _Writer(lib, model, settings)

    layout.parameters = [ids[("name", name)] for name in m.parameter_names]
    layout.species = [ids[("name", s.name)] for s in m.species]
    for j, name in enumerate(m.parameter_names):
        rec = m.parameters[name]
        w.parameter(ids[("name", name)], p[j], name=name, notes={
            "imidsim name": name, "unit": rec.unit, "value": repr(float(p[j])),
            "source": ", ".join(rec.source), "status": rec.status.value, "formula": rec.formula,
            "note": rec.note, "description": rec.description})

    for k, s in enumerate(m.species):
        w.species(ids[("name", s.name)], y0[k], name=s.name, notes={
            "imidsim species": s.name, "unit": s.unit, "initial": s.initial,
            "description": s.description, "refs": ", ".join(s.refs)})

    for a in m.assignments:
        sid = ids[("name", a.name)]
        w.parameter(sid, 0.0, name=a.name, constant=False, notes={
            "imidsim assignment": a.name, "unit": a.unit, "expression": a.expr,
            "description": a.description})
        w.rule(sid, to_code(m.exprs[f"assign:{a.name}"], name_map, dialect="sbml"))

    # Drug inputs: PK species and transfer/elimination reactions for dosed drugs.
    pk_ids: dict[tuple[int, int], str] = {}
    for d, inp in enumerate(m.inputs):
        cid = ids[("name", inp.name)]
        drug = inp.name.removeprefix("C_")
        cfix = float(plan.cfix[patient, d])
        if d not in dosed:
            w.parameter(cid, cfix, name=inp.name, notes={
                "imidsim input": inp.name, "unit": inp.unit,
                "meaning": "drug not dosed by this scenario: fixed (in-vitro) concentration"})
            continue
        for k, cmt in enumerate(PK_COMPARTMENTS):
            sid = ids.new("pk", f"{drug}.{cmt}", f"pk_{drug}_{cmt}")
            pk_ids[(d, k)] = sid
            w.species(sid, 0.0, name=f"{drug} {cmt} amount", notes={
                "PK compartment": f"{drug} {cmt}", "unit": "mg"})
        scale_id = ids.new("pk", f"{drug}.scale", f"pk_{drug}_scale")
        cfix_id = ids.new("pk", f"{drug}.cfix", f"pk_{drug}_cfix")
        layout.pk_scale[d] = scale_id
        layout.pk_cfix[d] = cfix_id
        w.parameter(scale_id, float(plan.scale[patient, d]), notes={
            "meaning": f"{drug}: central amount (mg) to plasma concentration (uM)",
            "unit": "uM/mg"})
        w.parameter(cfix_id, cfix, notes={"meaning": f"{drug}: fixed added concentration",
                                          "unit": "uM"})
        w.parameter(cid, 0.0, name=inp.name, constant=False, notes={
            "imidsim input": inp.name, "unit": inp.unit,
            "meaning": "plasma concentration: max(central amount * scale, 0) + cfix"})
        w.rule(cid, f"max({pk_ids[(d, 1)]} * {scale_id}, 0) + {cfix_id}")
        A = _pk_matrix(plan, patient, d)
        tiny = 1e-12 * float(np.max(np.abs(A)))
        for j, src in enumerate(PK_COMPARTMENTS):
            kept_out = 0.0
            targets: list[int] = []
            for i, dst in enumerate(PK_COMPARTMENTS):
                if i == j or abs(A[i, j]) <= tiny:
                    continue
                kept_out += A[i, j]
                targets.append(i)
                kid = ids.new("pk", f"{drug}.k_{src}_{dst}", f"pk_{drug}_k_{src}_{dst}")
                layout.pk_transfer.append((kid, d, i, j))
                w.parameter(kid, float(A[i, j]), notes={
                    "meaning": f"{drug}: first-order transfer {src} -> {dst}", "unit": "1/h"})
                rid = ids.new("pkr", f"{drug}.{src}_to_{dst}", f"pk_{drug}_{src}_to_{dst}")
                w.reaction(rid, f"{kid} * {pk_ids[(d, j)]}",
                           {pk_ids[(d, j)]: -1.0, pk_ids[(d, i)]: 1.0})
            elim = -(A[j, j] + kept_out)
            if abs(elim) <= tiny:
                continue
            kid = ids.new("pk", f"{drug}.ke_{src}", f"pk_{drug}_ke_{src}")
            layout.pk_elimination.append((kid, d, j, tuple(targets)))
            w.parameter(kid, float(elim), notes={
                "meaning": f"{drug}: first-order elimination from {src}", "unit": "1/h"})
            rid = ids.new("pkr", f"{drug}.elim_{src}", f"pk_{drug}_elimination_{src}")
            w.reaction(rid, f"{kid} * {pk_ids[(d, j)]}", {pk_ids[(d, j)]: -1.0})

    species_names = set(m.species_names)
    for r in m.reactions:
        rate = m.exprs[f"rate:{r.name}"]
        w.reaction(ids[("reaction", r.name)], to_code(rate, name_map, dialect="sbml"),
                   {ids[("name", sp)]: c for sp, c in r.changes.items()}, name=r.name,
                   modifiers=tuple(ids[("name", n)] for n in sorted(rate.names & species_names)),
                   notes={"imidsim reaction": r.name, "rate": r.rate,
                          "description": r.description})

    layout.pk_species = dict(pk_ids)
    if not doses:
        return lib.writeSBMLToString(doc), layout

    # Doses: one event per dosing time, adding every amount due then to its target.
    by_time: dict[float, dict[str, float]] = {}
    for te, d, amt, cmt in events:
        target = pk_ids[(d, cmt)] if d >= 0 else ids[("name", m.species[-d - 2].name)]
        due = by_time.setdefault(te, {})
        due[target] = due.get(target, 0.0) + amt
    for k, te in enumerate(sorted(by_time)):
        ev = model.createEvent()
        ev.setId(ids.new("event", f"dose{k}", f"dose_{k + 1}"))
        ev.setName(f"doses at {te!r} h")
        ev.setUseValuesFromTriggerTime(True)
        trig = ev.createTrigger()
        trig.setInitialValue(False)
        trig.setPersistent(True)
        _check(trig.setMath(w.math(f"time >= {te!r}", f"event at {te} h")), "set a trigger")
        for target, amt in by_time[te].items():
            ea = ev.createEventAssignment()
            ea.setVariable(target)
            _check(ea.setMath(w.math(f"{target} + {amt!r}", f"dose at {te} h")),
                   "set a dose assignment")

    return lib.writeSBMLToString(doc), layout


def write_sbml(sim: Simulation, path: str | Path, patient: int = 0, **kw: Any) -> Path:
    """Write :func:`export_sbml` to ``path`` and return it."""
    out = Path(path)
    out.write_text(export_sbml(sim, patient, **kw), encoding="utf-8")
    return out


def check_consistency(sbml: str) -> tuple[list[str], list[str]]:
    """libSBML's consistency checks (units included): (errors, warnings) as messages."""
    lib = require_libsbml()
    doc = lib.readSBMLFromString(sbml)
    doc.checkConsistency()
    errors: list[str] = []
    warnings: list[str] = []
    for i in range(doc.getNumErrors()):
        e = doc.getError(i)
        msg = f"[{e.getErrorId()}] line {e.getLine()}: {e.getShortMessage()}: " \
              f"{' '.join(e.getMessage().split())}"
        (errors if e.getSeverity() >= lib.LIBSBML_SEV_ERROR else warnings).append(msg)
    return errors, warnings
