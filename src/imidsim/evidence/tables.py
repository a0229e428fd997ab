"""Tables 1 and 2 of the review (Guo et al. 2022) as typed data, plus rows for the CLI.

Table 1: applications and toxicities of thalidomide, lenalidomide and pomalidomide.
Table 2: effects of IMiDs on T cells, NK cells, TAMs and DCs, with the rational
immunotherapy combinations; section 3.2.5 (stromal cells and angiogenesis) is added in the
same shape as cell type ``stroma``. Reference numbers are those of the review (keys
``review:N`` in :mod:`imidsim.evidence.registry`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml
from rich.table import Table

from imidsim.errors import InputError, did_you_mean, one_of

DRUGS: tuple[str, ...] = ("thalidomide", "lenalidomide", "pomalidomide")
CELLS: tuple[str, ...] = ("tcell", "nk", "macrophage", "dendritic", "stroma")
TABLES: tuple[str, ...] = ("1", "2")

Table1Category = Literal["preclinical", "clinical", "toxicity"]
Table2Category = Literal["effect", "combination"]

_T1_SECTIONS: dict[str, Table1Category] = {
    "preclinical": "preclinical",
    "clinical": "clinical",
    "toxicities": "toxicity",
}


@dataclass(frozen=True)
class Table1Entry:
    """One cell line of Table 1: a disease (or toxicity) of a drug with its references.

    ``fda_approved`` is ``True``/``False`` for clinical applications (the table's asterisks)
    and ``None`` for preclinical activities and toxicities.
    """

    drug: str
    category: Table1Category
    name: str
    refs: tuple[int, ...]
    fda_approved: bool | None = None


@dataclass(frozen=True)
class Table2Effect:
    """One numbered effect (``T1``…) or rational combination (``T-C1``…) of Table 2."""

    cell: str
    id: str
    text: str
    refs: tuple[int, ...]
    category: Table2Category
    label: str = ""
    model_terms: tuple[str, ...] = ()


def _load(name: str) -> dict[str, Any]:
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    return yaml.safe_load(text)


def table1() -> list[Table1Entry]:
    """All entries of Table 1, in the review's order (drug, section, row)."""
    return list(_table1())


def table2() -> list[Table2Effect]:
    """All effects and combinations of Table 2, plus the stromal effects of section 3.2.5."""
    return list(_table2())


@cache
def _table1() -> tuple[Table1Entry, ...]:
    entries: list[Table1Entry] = []
    for drug, sections in _load("table1.yaml")["drugs"].items():
        for section, rows in sections.items():
            category = _T1_SECTIONS[section]
            for name, value in rows.items():
                if category == "clinical":
                    refs, approved = value["refs"], bool(value["fda_approved"])
                else:
                    refs, approved = value, None
                entries.append(Table1Entry(drug, category, str(name), tuple(refs), approved))
    return tuple(entries)


@cache
def _table2() -> tuple[Table2Effect, ...]:
    effects: list[Table2Effect] = []
    groups: tuple[tuple[Table2Category, str], ...] = (
        ("effect", "effects"),
        ("combination", "combinations"),
    )
    for cell, data in _load("table2.yaml")["cells"].items():
        for category, group in groups:
            for row in data.get(group) or []:
                effects.append(
                    Table2Effect(
                        cell=cell,
                        id=row["id"],
                        text=row["text"],
                        refs=tuple(row["refs"]),
                        category=category,
                        label=data["label"],
                        model_terms=tuple(row.get("model_terms") or ()),
                    )
                )
    return tuple(effects)


def format_refs(refs: tuple[int, ...] | list[int]) -> str:
    """Reference numbers in the review's notation: ``(25, 26, 27, 128)`` -> ``"25–27, 128"``."""
    nums = sorted(set(refs))
    parts: list[str] = []
    i = 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        if j - i >= 2:
            parts.append(f"{nums[i]}–{nums[j]}")
        else:
            parts.extend(str(n) for n in nums[i : j + 1])
        i = j + 1
    return ", ".join(parts)


def _choose(value: str, choices: tuple[str, ...], option: str) -> str:
    norm = value.strip().lower()
    if norm not in choices:
        raise InputError(
            f"{option} {value!r} is not known.{did_you_mean(norm, choices)} "
            f"Accepted values: {one_of(choices)}."
        )
    return norm


def table_rows(
    table: str, drug: str | None = None, cell: str | None = None
) -> list[dict[str, str]]:
    """Rows of Table 1 or 2 as printable strings, optionally filtered.

    ``table`` is ``"1"`` or ``"2"`` (``"table1"``/``"table2"`` also accepted). ``drug``
    filters Table 1, ``cell`` filters Table 2; an unknown value raises :class:`InputError`
    naming ``--drug`` or ``--cell`` and the accepted values.
    """
    which = _choose(str(table).lower().removeprefix("table"), TABLES, "--table")
    if which == "1":
        if cell is not None:
            raise InputError("--cell applies to table 2 only; use --drug to filter table 1.")
        wanted = _choose(drug, DRUGS, "--drug") if drug is not None else None
        return [
            {
                "drug": e.drug,
                "category": e.category,
                "name": e.name,
                "fda_approved": {True: "yes", False: "no", None: ""}[e.fda_approved],
                "refs": format_refs(e.refs),
            }
            for e in table1()
            if wanted is None or e.drug == wanted
        ]
    if drug is not None:
        raise InputError("--drug applies to table 1 only; use --cell to filter table 2.")
    wanted = _choose(cell, CELLS, "--cell") if cell is not None else None
    return [
        {
            "cell": e.cell,
            "id": e.id,
            "category": e.category,
            "text": e.text,
            "refs": format_refs(e.refs),
        }
        for e in table2()
        if wanted is None or e.cell == wanted
    ]


def render(table_rows: list[dict[str, str]], title: str) -> Table:
    """A :class:`rich.table.Table` of ``table_rows`` (columns from the first row's keys)."""
    out = Table(title=title, show_lines=False)
    columns = list(table_rows[0]) if table_rows else []
    for name in columns:
        out.add_column(name, overflow="fold", no_wrap=name == "id")
    for row in table_rows:
        out.add_row(*(str(row.get(name, "")) for name in columns))
    return out
