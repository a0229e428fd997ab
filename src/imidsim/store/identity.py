"""The identity of a run: what must match before a store may be resumed."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import imidsim
from imidsim import __version__

if TYPE_CHECKING:
    from imidsim.trials.spec import TrialSpec


def package_digest() -> str:
    """SHA-256 of the installed imidsim's code and library files (``*.py``, ``*.yaml``).

    Any change to the model, a parameter, a regimen or a population changes it, so shards
    computed before and after such a change are never mixed in one run."""
    root = Path(imidsim.__file__).parent
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.suffix in (".py", ".yaml") and "__pycache__" not in path.parts:
            h.update(path.relative_to(root).as_posix().encode() + b"\0")
            h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


def spec_hash(spec: TrialSpec) -> str:
    """SHA-256 of the spec's content plus the resolved regimens and population it uses."""
    from imidsim.regimens import load_regimen
    from imidsim.trials.population import population

    content = {"spec": spec.model_dump(mode="json"),
               "regimens": [load_regimen(a.regimen).model_dump(mode="json") for a in spec.arms],
               "population": dataclasses.asdict(population(spec.population))}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def parameters_text(parameters: Mapping[str, float] | None) -> str:
    """Canonical JSON of parameter overrides (sorted names, float values); "" for none, so the
    identity of a run without overrides is what it was before overrides existed."""
    if not parameters:
        return ""
    return json.dumps({str(k): float(v) for k, v in sorted(parameters.items())},
                      separators=(",", ":"))


@dataclass(frozen=True)
class RunIdentity:
    trial: str
    spec_sha256: str
    seed: int
    n_per_arm: tuple[int, ...]
    shard_size: int
    version: str = __version__
    package_sha256: str = ""
    parameters: str = ""  # model parameter overrides (calibration only) as JSON; "" if none

    @classmethod
    def of(cls, spec: TrialSpec, seed: int, n_per_arm: tuple[int, ...],
           shard_size: int, parameters: Mapping[str, float] | None = None) -> RunIdentity:
        return cls(spec.name, spec_hash(spec), int(seed), tuple(int(n) for n in n_per_arm),
                   int(shard_size), __version__, package_digest(), parameters_text(parameters))

    def as_row(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "n_per_arm": json.dumps(list(self.n_per_arm))}

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> RunIdentity:
        return cls(str(row["trial"]), str(row["spec_sha256"]), int(row["seed"]),
                   tuple(json.loads(row["n_per_arm"])), int(row["shard_size"]),
                   str(row["version"]), str(row["package_sha256"]),
                   str(row.get("parameters") or ""))

    def differences(self, other: RunIdentity) -> list[str]:
        """``"seed: store 1, this run 2"`` for each field that differs."""
        out = []
        for f in dataclasses.fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if mine != theirs:
                if f.name.endswith("sha256"):
                    mine, theirs = f"{mine[:12]}...", f"{theirs[:12]}..."
                elif f.name == "parameters":
                    mine, theirs = mine or "none", theirs or "none"
                out.append(f"{f.name}: store {mine}, this run {theirs}")
        return out
