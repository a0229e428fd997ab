"""The one unit registry of imidsim (pint), with helpers to parse and compare units.

Model time is in hours. Relative molecular levels (neosubstrates, transcription factors,
cell-type CRBN) are dimensionless fractions of their untreated baseline.
"""

from __future__ import annotations

from functools import lru_cache

import pint

from imidsim.errors import UnitError

ureg = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
ureg.define("cell = [cell_count]")
ureg.define("fraction = [] = frac")
ureg.define("gcell = 1e9 * cell")  # blood counts: gcell/L = 10^9 cells per litre
Quantity = ureg.Quantity


@lru_cache(maxsize=4096)
def parse_unit(text: str, *, field: str = "unit") -> pint.Unit:
    """Parse a unit string such as ``"1/h"``, ``"uM"``, ``"ng/mL"``, ``"1"``."""
    spec = "dimensionless" if text.strip() in {"1", "", "dimensionless"} else text
    try:
        return ureg.Unit(spec)
    except Exception as exc:  # pint raises several error types
        raise UnitError(
            f"{field}: cannot parse unit '{text}'; expected a unit such as '1/h', 'uM', "
            f"'ng/mL', 'mg', 'g/dL' or '1' for dimensionless"
        ) from exc


def conversion_factor(from_unit: str, to_unit: str) -> float:
    """Multiplier taking ``from_unit`` to ``to_unit`` (UnitError if incompatible)."""
    src, dst = parse_unit(from_unit), parse_unit(to_unit)
    try:
        return float(Quantity(1.0, src).to(dst).magnitude)
    except pint.DimensionalityError as exc:
        raise UnitError(f"cannot convert '{from_unit}' to '{to_unit}'") from exc


def same_dimension(a: pint.Unit, b: pint.Unit) -> bool:
    """True when ``a`` and ``b`` measure the same kind of quantity."""
    return Quantity(1.0, a).dimensionality == Quantity(1.0, b).dimensionality
