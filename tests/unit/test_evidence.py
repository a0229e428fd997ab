"""Unit tests of the evidence layer (reference registry, Tables 1 and 2 of Guo et al. 2022).

The FDA approvals and effect counts below are read from the review text
(shared/seed/review_imids_in_b_cell_neoplasms.txt, Tables 1 and 2, section 3.2.5).
"""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import pytest
from rich.table import Table

from imidsim.errors import EvidenceError, InputError
from imidsim.evidence import (
    KINDS,
    Reference,
    references,
    render,
    resolve,
    review_ref,
    table1,
    table2,
    table_rows,
    validate_key,
)


def _shared_file(*parts: str) -> Path | None:
    """The shared data file, if this checkout can see it (``IMIDSIM_SHARED`` overrides)."""
    here = Path(__file__).resolve()
    roots = [Path(os.environ["IMIDSIM_SHARED"])] if "IMIDSIM_SHARED" in os.environ else []
    roots += [here.parents[2] / "shared", here.parents[3] / "shared"]
    for root in roots:
        path = root.joinpath(*parts)
        if path.is_file():
            return path
    return None


# ---------------------------------------------------------------- registry


def test_registry_records_are_complete() -> None:
    refs = references()
    assert all(isinstance(r, Reference) for r in refs.values())
    assert all(r.citation.strip() for r in refs.values())
    assert {r.kind for r in refs.values()} <= set(KINDS)
    assert all(key == r.key for key, r in refs.items())
    for r in refs.values():
        if r.doi is not None:
            assert r.doi.startswith("10."), r.key


def test_every_review_reference_number_is_registered() -> None:
    for n in range(1, 314):
        assert resolve(f"review:{n}").kind == "review-ref"
    assert resolve("review").doi == "10.3389/fimmu.2022.1017990"
    # citations present in the review text carry their DOI
    assert resolve("review:295").doi == "10.1016/S2352-3026(19)30110-3"
    assert resolve("review:306").doi == "10.1200/JCO.20.01375"
    # numbers without a citation in the text say so and keep doi null
    assert resolve("review:1").doi is None
    assert "cited for:" in resolve("review:1").citation


def test_table_reference_numbers_resolve() -> None:
    numbers = {n for e in table1() for n in e.refs} | {n for e in table2() for n in e.refs}
    assert numbers, "tables are empty"
    for n in sorted(numbers):
        assert resolve(review_ref(n)).key == f"review:{n}"


def test_pkpd_source_keys_resolve() -> None:
    path = _shared_file("data", "pkpd_reference.md")
    if path is None:
        pytest.skip("shared/data/pkpd_reference.md is not visible from this checkout")
    keys = set(re.findall(r"\[(S\d+[a-z]?)\]", path.read_text(encoding="utf-8")))
    assert len(keys) >= 70
    for key in sorted(keys):
        assert resolve(key).kind in ("pkpd", "label"), key


def test_pkpd_keys_registered_without_shared_data() -> None:
    s_keys = {k for k in references() if re.fullmatch(r"S\d+[a-z]?", k)}
    assert "S59b" in s_keys
    assert "S52" not in s_keys  # pkpd_reference.md has no S52
    assert s_keys == {f"S{n}" for n in range(1, 76) if n != 52} | {"S59b"}


def test_trials_are_registered() -> None:
    expected = {
        "MM-009", "MM-010", "POLLUX", "AUGMENT", "FIRST", "MM-003", "MM-002", "STRATUS",
        "SWOG-S0777", "ASPIRE", "KEYNOTE-183", "CALGB-100104", "CC-220-MM-001",
        "CC-92480-MM-001", "GALEN", "L-MIND", "RE-MIND", "E1412", "MCL-001", "OFA-LEN-CLL",
        "LEN-CLL-1L", "LEN-CLL-RR", "MM-009-010-pooled", "NCT00065351",
    }  # fmt: skip
    # trials outside the calibration table, registered from a literature search (schedules)
    literature = {"ICARIA-MM", "ELOQUENT-2", "ELOQUENT-3", "TOURMALINE-MM1", "OPTIMISMM",
                  "APOLLO", "EQUULEUS", "KEYNOTE-185", "ZUMA-14"}
    trials = {k.removeprefix("trial:") for k, r in references().items() if k.startswith("trial:")}
    assert trials == expected | literature
    assert all("literature search" in resolve(f"trial:{t}").citation for t in literature)
    assert all(resolve(f"trial:{t}").kind == "trial" for t in expected)
    path = _shared_file("data", "trials_calibration.csv")
    if path is not None:
        with path.open(encoding="utf-8") as fh:
            sources = {row["source"] for row in csv.DictReader(fh)}
        # every trial citation quotes text from the CSV's source column
        for t in expected:
            cit = resolve(f"trial:{t}").citation
            assert any(s in cit for s in sources if s.lower() != "as above"), t


def test_data_and_developer_keys() -> None:
    for key in ("data:pkpd_reference", "data:trials_calibration"):
        validate_key(key)
    assert resolve("imidsim:modelling-choice").kind == "imidsim"
    assert resolve("imidsim:calibration").citation.startswith("Fitted by the imidsim developers")


def test_unknown_key_raises_with_suggestion() -> None:
    with pytest.raises(EvidenceError) as info:
        resolve("S5x")
    message = str(info.value)
    assert "'S5x'" in message and "Did you mean 'S5'?" in message
    assert isinstance(info.value, KeyError)
    with pytest.raises(EvidenceError, match="Did you mean 'trial:MM-009'"):
        validate_key("trial:MM-09")
    with pytest.raises(EvidenceError, match="review:314"):
        review_ref(314)


def _parse_bibtex(text: str) -> list[tuple[str, str, dict[str, str]]]:
    """A minimal BibTeX reader for ``@type{key,`` + one ``name = {value}`` line per field."""
    entries = []
    for chunk in re.split(r"(?m)^(?=@)", text.strip()):
        if not chunk.strip():
            continue
        m = re.fullmatch(r"@(\w+)\{([^,\s{}]+),\n(.*)\n\}", chunk.strip(), flags=re.S)
        assert m, chunk[:80]
        unescaped = re.sub(r"\\[{}]", "", m.group(3))
        depth = 0
        for ch in unescaped:
            depth += {"{": 1, "}": -1}.get(ch, 0)
            assert depth >= 0, chunk[:80]
        assert depth == 0, chunk[:80]
        fields = {}
        for line in m.group(3).split(",\n"):
            name, value = re.fullmatch(r"\s*(\w+) = \{(.*)\}", line, flags=re.S).groups()
            fields[name] = value
        entries.append((m.group(1), m.group(2), fields))
    return entries


def test_bibtex_is_one_entry() -> None:
    for ref in references().values():
        entries = _parse_bibtex(ref.bibtex())
        assert len(entries) == 1, ref.key
        kind, key, fields = entries[0]
        assert kind in ("misc", "article")
        assert re.fullmatch(r"[A-Za-z0-9:._-]+", key)
        assert fields["note"]
        if ref.doi:
            assert fields["doi"] == ref.doi
    entry = resolve("review:295").bibtex()
    assert entry.startswith("@misc{review:295,") and "KEYNOTE-183" in entry
    assert resolve("S2").text().startswith("[S2] Chen N")


# ---------------------------------------------------------------- tables


def test_table1_fda_approvals_match_asterisks() -> None:
    approved = {(e.drug, e.name) for e in table1() if e.category == "clinical" and e.fda_approved}
    assert approved == {
        ("thalidomide", "MM"),
        ("lenalidomide", "MM"),
        ("lenalidomide", "MDS"),
        ("lenalidomide", "MCL"),
        ("lenalidomide", "FL"),
        ("lenalidomide", "MZL"),
        ("pomalidomide", "MM"),
    }
    for e in table1():
        assert (e.fda_approved is None) == (e.category != "clinical")


def test_table1_transcription_spot_checks() -> None:
    by = {(e.drug, e.category, e.name): e.refs for e in table1()}
    assert by["lenalidomide", "clinical", "FL"] == (25, 26, 27, 128, 133, 134, 135)
    assert by["thalidomide", "preclinical", "AML"] == (49, 50, 51, 52, 53)
    assert by["pomalidomide", "clinical", "AML"] == (40, 167, 168)
    assert by["lenalidomide", "toxicity", "Secondary ALL"] == (172,)
    counts = {d: sum(e.drug == d for e in table1()) for d in ("thalidomide", "pomalidomide")}
    assert counts == {"thalidomide": 5 + 12 + 14, "pomalidomide": 3 + 7 + 7}


def test_table2_effect_counts() -> None:
    effects = [e for e in table2() if e.category == "effect"]
    counts = {c: sum(e.cell == c for e in effects) for c in {e.cell for e in effects}}
    assert counts == {"tcell": 6, "nk": 5, "macrophage": 3, "dendritic": 4, "stroma": 4}
    immune = [e.id for e in effects if e.cell != "stroma"]
    assert len(immune) == 18
    expected_ids = [f"T{i}" for i in range(1, 7)] + [f"N{i}" for i in range(1, 6)]
    expected_ids += [f"A{i}" for i in range(1, 4)] + [f"D{i}" for i in range(1, 5)]
    assert immune == expected_ids
    stroma = {e.id: e.refs for e in effects if e.cell == "stroma"}
    assert stroma == {"S1": (269, 270), "S2": (269,), "S3": (271,), "S4": (275, 276, 277, 64)}
    assert all(e.model_terms == () for e in effects)
    combos = [e for e in table2() if e.category == "combination"]
    assert len(combos) == 3 + 2 + 2 + 2
    assert len({(e.cell, e.id) for e in table2()}) == len(table2())


def test_table_rows_filters_and_errors() -> None:
    rows = table_rows("1", drug="Lenalidomide")
    assert rows and {r["drug"] for r in rows} == {"lenalidomide"}
    assert any(r["name"] == "FL" and r["refs"] == "25–27, 128, 133–135" for r in rows)
    assert {r["cell"] for r in table_rows("table2", cell="nk")} == {"nk"}
    assert len(table_rows("2")) == len(table2())
    with pytest.raises(InputError, match=r"--drug 'lenalidomid'.*Did you mean 'lenalidomide'"):
        table_rows("1", drug="lenalidomid")
    with pytest.raises(InputError, match=r"--cell 'tam'.*Accepted values: dendritic, macrophage"):
        table_rows("2", cell="tam")
    with pytest.raises(InputError, match="--cell applies to table 2"):
        table_rows("1", cell="nk")
    with pytest.raises(InputError, match="--table"):
        table_rows("3")


def test_render_returns_rich_table() -> None:
    rows = table_rows("2", cell="dendritic")
    out = render(rows, "Table 2: DCs")
    assert isinstance(out, Table)
    assert out.row_count == len(rows) == 6
    assert [c.header for c in out.columns] == list(rows[0])
    assert render([], "empty").row_count == 0
