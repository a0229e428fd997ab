"""The declarative model: species, assignments, reactions and inputs, composed from modules.

A :class:`Module` is a named bundle of biology (the CRBN glue in T cells, the myeloma cell,
...). :func:`assemble` joins modules with a :class:`ParameterSet` into a :class:`Model`,
checking that every name is defined once, every expression reads only known names, the
assignments have no cycles, and every rate law has the unit of its species per hour.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pint

from imidsim.errors import ModelError, did_you_mean
from imidsim.model.expr import Expr, check_unit, parse
from imidsim.model.parameter import ParameterSet
from imidsim.units import parse_unit, ureg

TIME_UNIT = "h"


@dataclass(frozen=True)
class Species:
    """A state variable. ``initial`` is a number or an expression of parameters."""

    name: str
    unit: str
    initial: str | float
    description: str = ""
    refs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Assignment:
    """A named algebraic quantity (observable or intermediate), recomputed at every time."""

    name: str
    expr: str
    unit: str
    description: str = ""
    refs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reaction:
    """A flux ``rate`` (per hour) changing species by ``changes`` (stoichiometric coefficients)."""

    name: str
    rate: str
    changes: Mapping[str, float]
    description: str = ""
    refs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Input:
    """A time-varying quantity supplied by the engine (e.g. a drug's plasma concentration)."""

    name: str
    unit: str
    description: str = ""


@dataclass(frozen=True)
class Module:
    """A reusable piece of biology. Parameters are looked up by name in the parameter set."""

    name: str
    description: str = ""
    species: tuple[Species, ...] = ()
    assignments: tuple[Assignment, ...] = ()
    reactions: tuple[Reaction, ...] = ()
    inputs: tuple[Input, ...] = ()
    refs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Model:
    """An assembled, checked model ready for compilation."""

    modules: tuple[Module, ...]
    species: tuple[Species, ...]
    assignments: tuple[Assignment, ...]  # topologically ordered
    reactions: tuple[Reaction, ...]
    inputs: tuple[Input, ...]
    parameters: ParameterSet
    parameter_names: tuple[str, ...]  # the parameters the model reads, in engine order
    exprs: Mapping[str, Expr] = field(repr=False)

    @property
    def species_names(self) -> list[str]:
        return [s.name for s in self.species]

    @property
    def assignment_names(self) -> list[str]:
        return [a.name for a in self.assignments]

    @property
    def input_names(self) -> list[str]:
        return [i.name for i in self.inputs]

    def species_index(self, name: str) -> int:
        try:
            return self.species_names.index(name)
        except ValueError:
            raise ModelError(
                f"unknown species '{name}'.{did_you_mean(name, self.species_names)}"
            ) from None

    def parameter_vector(self, params: ParameterSet | None = None) -> list[float]:
        ps = params or self.parameters
        return [ps.value(n) for n in self.parameter_names]

    def unit_of(self, name: str) -> str:
        for group in (self.species, self.assignments, self.inputs):
            for item in group:
                if item.name == name:
                    return item.unit
        if name in self.parameters:
            return self.parameters[name].unit
        raise ModelError(f"unknown name '{name}'")

    def structure_digest(self) -> str:
        """Hash of the model's structure (not its parameter values): the compile-cache key."""
        h = hashlib.sha256()
        for s in self.species:
            h.update(f"S|{s.name}|{s.unit}|{s.initial}\n".encode())
        for a in self.assignments:
            h.update(f"A|{a.name}|{a.expr}\n".encode())
        for r in self.reactions:
            h.update(f"R|{r.name}|{r.rate}|{sorted(r.changes.items())}\n".encode())
        for i in self.inputs:
            h.update(f"I|{i.name}\n".encode())
        h.update("|".join(self.parameter_names).encode())
        return h.hexdigest()[:20]

    def references(self) -> list[str]:
        """Evidence keys cited by the model's structure and by the parameters it reads."""
        keys: set[str] = set()
        for group in (self.modules, self.species, self.assignments, self.reactions):
            for item in group:
                keys.update(item.refs)
        keys.update(self.parameters.sources(self.parameter_names))
        return sorted(keys)


def _toposort(assignments: Sequence[Assignment], exprs: Mapping[str, Expr]) -> list[Assignment]:
    by_name = {a.name: a for a in assignments}
    order: list[Assignment] = []
    state: dict[str, int] = {}

    def visit(name: str, chain: tuple[str, ...]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            raise ModelError(f"assignments form a cycle: {' -> '.join((*chain, name))}")
        state[name] = 1
        for dep in sorted(exprs[f"assign:{name}"].names):
            if dep in by_name:
                visit(dep, (*chain, name))
        state[name] = 2
        order.append(by_name[name])

    for a in assignments:
        visit(a.name, ())
    return order


def assemble(modules: Iterable[Module], parameters: ParameterSet) -> Model:
    """Join ``modules`` into one checked :class:`Model` that reads ``parameters``."""
    mods = tuple(modules)
    species: list[Species] = []
    assigns: list[Assignment] = []
    reactions: list[Reaction] = []
    inputs: dict[str, Input] = {}
    owner: dict[str, str] = {}

    def claim(name: str, module: str, kind: str) -> None:
        if name in owner:
            raise ModelError(f"{kind} '{name}' of module '{module}' is already defined by "
                             f"module '{owner[name]}'")
        if name in parameters:
            raise ModelError(f"{kind} '{name}' of module '{module}' clashes with a parameter")
        owner[name] = module

    for m in mods:
        for s in m.species:
            claim(s.name, m.name, "species")
            species.append(s)
        for a in m.assignments:
            claim(a.name, m.name, "assignment")
            assigns.append(a)
        for r in m.reactions:
            claim(f"reaction:{r.name}", m.name, "reaction")
            reactions.append(r)
        for i in m.inputs:  # inputs may be shared by several modules
            if i.name in inputs and inputs[i.name].unit != i.unit:
                raise ModelError(f"input '{i.name}' declared with units '{inputs[i.name].unit}' "
                                 f"and '{i.unit}'")
            inputs[i.name] = i

    units: dict[str, pint.Unit] = {"t": ureg(TIME_UNIT).units}
    for s in species:
        units[s.name] = parse_unit(s.unit, field=f"species '{s.name}' unit")
    for a in assigns:
        units[a.name] = parse_unit(a.unit, field=f"assignment '{a.name}' unit")
    for i in inputs.values():
        units[i.name] = parse_unit(i.unit, field=f"input '{i.name}' unit")
    for s in species:
        if s.name in inputs:
            raise ModelError(f"species '{s.name}' clashes with an input")

    exprs: dict[str, Expr] = {}
    used_params: set[str] = set()
    known = set(units)

    def read(key: str, text: str | float, where: str, allow_state: bool = True) -> Expr:
        e = parse(str(text), where=where)
        for n in e.names:
            if n in parameters:
                used_params.add(n)
                units.setdefault(n, parse_unit(parameters[n].unit, field=f"parameter '{n}'"))
            elif n not in known:
                raise ModelError(
                    f"{where}: unknown name '{n}' in '{text}'."
                    f"{did_you_mean(n, [*known, *parameters])}"
                )
            elif not allow_state and n not in parameters:
                raise ModelError(f"{where}: initial values may read parameters only, not '{n}'")
        exprs[key] = e
        return e

    for s in species:
        e = read(f"init:{s.name}", s.initial, f"species '{s.name}' initial", allow_state=False)
        if isinstance(s.initial, int | float) and s.initial == 0:
            continue  # zero carries any unit
        check_unit(e, units, units[s.name], where=f"species '{s.name}' initial value")
    for a in assigns:
        read(f"assign:{a.name}", a.expr, f"assignment '{a.name}'")
    ordered = _toposort(assigns, exprs)
    for a in ordered:
        check_unit(exprs[f"assign:{a.name}"], units, units[a.name], where=f"assignment '{a.name}'")
    per_hour = ureg(TIME_UNIT).units
    species_names = {s.name for s in species}
    for r in reactions:
        e = read(f"rate:{r.name}", r.rate, f"reaction '{r.name}'")
        if not r.changes:
            raise ModelError(f"reaction '{r.name}' changes no species")
        for sp in r.changes:
            if sp not in species_names:
                raise ModelError(
                    f"reaction '{r.name}' changes unknown species '{sp}'."
                    f"{did_you_mean(sp, species_names)}"
                )
            check_unit(e, units, units[sp] / per_hour, where=f"reaction '{r.name}' (for '{sp}')")

    return Model(
        modules=mods,
        species=tuple(species),
        assignments=tuple(ordered),
        reactions=tuple(reactions),
        inputs=tuple(inputs.values()),
        parameters=parameters,
        parameter_names=tuple(sorted(used_params)),
        exprs=exprs,
    )
