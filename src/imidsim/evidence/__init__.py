"""Evidence layer: the reference registry and the review's Tables 1 and 2 as data."""

from imidsim.evidence.registry import (
    KINDS,
    Kind,
    Reference,
    bibtex_key,
    references,
    resolve,
    review_ref,
    validate_key,
)
from imidsim.evidence.tables import (
    CELLS,
    DRUGS,
    Table1Entry,
    Table2Effect,
    format_refs,
    render,
    table1,
    table2,
    table_rows,
)

__all__ = [
    "CELLS",
    "DRUGS",
    "KINDS",
    "Kind",
    "Reference",
    "Table1Entry",
    "Table2Effect",
    "bibtex_key",
    "format_refs",
    "references",
    "render",
    "resolve",
    "review_ref",
    "table1",
    "table2",
    "table_rows",
    "validate_key",
]
