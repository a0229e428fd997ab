"""The declarative model core: parameters, species, rate laws and modules."""

from imidsim.model.core import Assignment, Input, Model, Module, Reaction, Species, assemble
from imidsim.model.parameter import Parameter, ParameterSet, Status

__all__ = [
    "Assignment",
    "Input",
    "Model",
    "Module",
    "Parameter",
    "ParameterSet",
    "Reaction",
    "Species",
    "Status",
    "assemble",
]
