"""Package exceptions.

Every error raised for bad input names the field, the value and what was expected, and
subclasses the matching builtin so callers can catch it generically
(``UnitError(ValueError)``, ``ParameterError(KeyError)``).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import TypeVar

T = TypeVar("T")


class ImidsimError(Exception):
    """Base class of all imidsim errors. ``str(err)`` is one self-contained line."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class InputError(ImidsimError, ValueError):
    """Bad user input (scenario file, command-line option, regimen)."""


class UnitError(ImidsimError, ValueError):
    """A unit that cannot be parsed, or a rate law whose units do not match its species."""


class ParameterError(ImidsimError, KeyError):
    """An unknown, duplicated or incomplete parameter record."""


class EvidenceError(ImidsimError, KeyError):
    """A source key that the evidence registry does not know."""


class ModelError(ImidsimError, ValueError):
    """A model that cannot be assembled (unknown species, duplicate names, bad expression)."""


class SolverError(ImidsimError, RuntimeError):
    """The integrator failed; the message says what to change."""


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """Return ``" Did you mean 'x'?"`` for the closest of ``choices``, or ``""``."""
    close = difflib.get_close_matches(str(value), list(choices), n=1, cutoff=0.6)
    return f" Did you mean '{close[0]}'?" if close else ""


def one_of(choices: Iterable[str]) -> str:
    """Format a list of accepted values for an error message."""
    items = sorted(set(choices))
    return ", ".join(items)


def lookup(table: Mapping[str, T], key: str, *, what: str, field: str,
           shown: object = None) -> T:
    """``table[key]``, or an InputError naming the field, the value and every accepted name."""
    if key not in table:
        value = key if shown is None else shown
        raise InputError(f"{field}: unknown {what} '{value}'; expected one of {one_of(table)}."
                         f"{did_you_mean(key, table)}")
    return table[key]
