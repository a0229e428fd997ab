"""The reference registry: every source key a parameter, table or result may cite.

Keys and their records live in ``references.yaml`` (shipped as package data):

* ``review`` and ``review:N`` — the review of Guo et al. 2022 and its reference N;
* ``review-doi:<doi>`` — bare DOIs of the review whose reference number is uncertain;
* ``S1`` … ``S75`` (and ``S59b``) — the sources of ``shared/data/pkpd_reference.md``;
* ``T1`` … ``T40`` — sources of the imidsim literature search (docs/literature);
* ``trial:<id>`` — the trials of ``shared/data/trials_calibration.csv``;
* ``data:<name>`` and ``imidsim:<name>`` — the data files themselves and developer choices.

Example::

    >>> resolve("S17").doi is None
    True
    >>> review_ref(173)
    'review:173'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Literal, get_args

import yaml

from imidsim.errors import EvidenceError, did_you_mean

Kind = Literal["review", "review-ref", "pkpd", "trial", "label", "imidsim", "literature"]
KINDS: tuple[str, ...] = get_args(Kind)

_KEY_FORMS = (
    "review, review:<1-313>, review-doi:<doi>, S<n>, T<n>, trial:<id>, data:<name>, imidsim:<name>"
)
_BIBTEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


@dataclass(frozen=True)
class Reference:
    """One source: its registry key, free-text citation, DOI, URL and kind."""

    key: str
    citation: str
    doi: str | None
    url: str | None
    kind: Kind

    def text(self) -> str:
        """One line: ``[key] citation doi:… <url>`` (DOI and URL only where known)."""
        parts = [f"[{self.key}] {self.citation}"]
        if self.doi and self.doi not in self.citation:
            parts.append(f"doi:{self.doi}")
        if self.url and self.url not in self.citation:
            parts.append(f"<{self.url}>")
        return " ".join(parts)

    def bibtex(self) -> str:
        """A BibTeX ``@misc`` entry; the citation is free text, so it goes into ``note``."""
        fields = [("note", _bibtex_escape(self.citation)), ("keywords", self.kind)]
        if self.doi:
            fields.append(("doi", _bibtex_balanced(self.doi)))
        if self.url:
            fields.append(("url", _bibtex_balanced(self.url)))
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
        return f"@misc{{{bibtex_key(self.key)},\n{body}\n}}\n"


def bibtex_key(key: str) -> str:
    """A BibTeX-safe citation key: characters other than ``A-Za-z0-9:._-`` become ``_``."""
    return re.sub(r"[^A-Za-z0-9:._-]", "_", key)


def _bibtex_escape(value: str) -> str:
    return "".join(_BIBTEX_SPECIALS.get(ch, ch) for ch in value)


def _bibtex_balanced(value: str) -> str:
    # DOIs and URLs stay verbatim; only braces would break the entry
    return value.replace("{", "%7B").replace("}", "%7D")


def _record(key: str, raw: object) -> Reference:
    if not isinstance(raw, dict):
        raise ValueError(f"references.yaml: record '{key}' must be a mapping, got {raw!r}")
    citation, doi, url, kind = (raw.get(f) for f in ("citation", "doi", "url", "kind"))
    if not isinstance(citation, str) or not citation.strip():
        raise ValueError(f"references.yaml: record '{key}' has an empty citation")
    if kind not in KINDS:
        raise ValueError(
            f"references.yaml: record '{key}' has kind {kind!r}; expected one of {', '.join(KINDS)}"
        )
    for name, value in (("doi", doi), ("url", url)):
        if value is not None and not isinstance(value, str):
            raise ValueError(f"references.yaml: record '{key}' field {name} must be text or null")
    return Reference(key=str(key), citation=citation.strip(), doi=doi, url=url, kind=kind)


@cache
def references() -> Mapping[str, Reference]:
    """All registered references by key (read once from the packaged YAML; read-only)."""
    text = resources.files(__package__).joinpath("references.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    return MappingProxyType({str(k): _record(str(k), v) for k, v in raw.items()})


def resolve(key: str) -> Reference:
    """Return the reference registered under ``key``; :class:`EvidenceError` if there is none."""
    refs = references()
    try:
        return refs[key]
    except (KeyError, TypeError):
        raise EvidenceError(
            f"Unknown evidence key {key!r}: it is not in the reference registry."
            f"{did_you_mean(str(key), refs)} Keys have the forms {_KEY_FORMS}."
        ) from None


def validate_key(key: str) -> None:
    """Raise :class:`EvidenceError` (with a suggestion) unless ``key`` is registered."""
    resolve(key)


def review_ref(n: int) -> str:
    """The registry key ``"review:n"`` for reference ``n`` of the review, checked to exist."""
    key = f"review:{n}"
    validate_key(key)
    return key
