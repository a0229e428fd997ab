"""The validation scorecard: every trial spec simulated and held to its published readouts.

Scored checks (rows of high or medium confidence only; low-confidence rows are shown, never
scored), as issue 5 defines them:

* ``orr``: simulated ORR within +/-10 percentage points of the published ORR;
* ``median_pfs``: simulated median PFS within +/-25 % of the published median;
* ``hr``: simulated Cox hazard ratio inside the published 95 % CI (a comparison without a
  published CI is shown, not scored);
* ``neutropenia``: grade 3-4 neutropenia within +/-10 points (a separate toxicity criterion).

Complete-response rates are shown for information. Each miss carries a reason in words and,
where the miss has been investigated, its measured cause (``diagnosis``, from
``diagnoses.yaml``; see :mod:`imidsim.trials.diagnoses`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from imidsim.errors import InputError
from imidsim.store import ResultStore, Shard
from imidsim.trials.diagnoses import Diagnosis, Key, Side, diagnosis_for
from imidsim.trials.runner import TrialResult, run_trial
from imidsim.trials.spec import TrialSpec, load_trial

SCORED = ("high", "medium")
ORR_TOL_PTS = 10.0
PFS_TOL_REL = 0.25
NEUTROPENIA_TOL_PTS = 10.0


@dataclass
class Check:
    trial: str
    arm: str
    quantity: str  # orr, median_pfs, hr, neutropenia, cr (cr: information only)
    simulated: float | None
    published: float
    target: str
    confidence: str
    scored: bool
    passed: bool
    reason: str
    diagnosis: str = ""  # the measured cause of a diagnosed miss (diagnoses.yaml), else ""


def confidence_level(text: str) -> str:
    """The leading confidence word of a table entry ('high; n=medium' -> 'high')."""
    word = (text or "").strip().split(";")[0].split(",")[0].strip().lower()
    return word or "unstated"


def _direction(sim: float, pub: float, higher_is_stronger: bool = True) -> str:
    stronger = sim > pub if higher_is_stronger else sim < pub
    return "model effect too strong" if stronger else "model effect too weak"


def _side(c: Check) -> Side | None:
    """Which side of the published value a simulated miss lies on (an HR outside its CI lies on
    the same side of the point estimate); None for an HR that could not be estimated."""
    if c.simulated is None:  # a median not reached is longer than the published one
        return None if c.quantity == "hr" else "high"
    return "high" if c.simulated > c.published else "low"


def arm_checks(spec: TrialSpec, result: TrialResult,
               diagnoses: dict[Key, Diagnosis] | None = None) -> list[Check]:
    """Checks for every published readout of every arm and comparison of one trial; each scored
    miss carries its diagnosis when one is on file for that side (``diagnoses``: the shipped
    ``diagnoses.yaml`` by default)."""
    out = _raw_checks(spec, result)
    for c in out:
        side = _side(c)
        if c.scored and not c.passed and side is not None:
            c.diagnosis = diagnosis_for(c.trial, c.arm, c.quantity, side, diagnoses)
    return out


def _raw_checks(spec: TrialSpec, result: TrialResult) -> list[Check]:
    out: list[Check] = []
    sims = {a.name: a.summary() for a in result.arms}
    for arm in spec.arms:
        pub, sim = arm.published, sims[arm.name]
        conf = confidence_level(pub.confidence)
        scored = conf in SCORED
        if pub.orr_pct is not None:
            s = float(sim["orr_pct"])
            ok = abs(s - pub.orr_pct) <= ORR_TOL_PTS
            out.append(Check(spec.name, arm.name, "orr", s, pub.orr_pct, "+/-10 pts", conf,
                             scored, ok, "" if ok else
                             f"ORR {s:.1f}% vs {pub.orr_pct:.1f}%: {_direction(s, pub.orr_pct)}"))
        if pub.median_pfs_months is not None:
            m = sim["median_pfs_months"]
            if m is None:
                ok, reason = False, (f"median PFS not reached within {spec.follow_up_months:g} "
                                     f"months of follow-up (published {pub.median_pfs_months:g}): "
                                     "model effect too strong")
            else:
                ok = abs(m - pub.median_pfs_months) <= PFS_TOL_REL * pub.median_pfs_months
                reason = "" if ok else (f"median PFS {m:.1f} vs {pub.median_pfs_months:g} months: "
                                        f"{_direction(m, pub.median_pfs_months)}")
            out.append(Check(spec.name, arm.name, "median_pfs", m, pub.median_pfs_months,
                             "+/-25 %", conf, scored, ok, reason))
        if pub.grade34_neutropenia_pct is not None:
            s = float(sim["grade34_neutropenia_pct"])
            p = pub.grade34_neutropenia_pct
            ok = abs(s - p) <= NEUTROPENIA_TOL_PTS
            side = "too high" if s > p else "too low"
            out.append(Check(spec.name, arm.name, "neutropenia", s, p, "+/-10 pts", conf,
                             scored, ok, "" if ok else f"grade 3-4 neutropenia {s:.1f}% vs "
                             f"{p:g}%: marrow toxicity {side}"))
        if pub.cr_pct is not None:
            s = float(sim["cr_pct"])
            out.append(Check(spec.name, arm.name, "cr", s, pub.cr_pct, "shown only", conf,
                             False, abs(s - pub.cr_pct) <= ORR_TOL_PTS,
                             "CR uses a readout-only stand-in for immunofixation/PET"))
    comps = {(c["experimental"], c["control"]): c for c in result.comparisons}
    for c in spec.comparisons:
        if c.hr is None:
            continue
        sim_c = comps[(c.experimental, c.control)]
        conf = confidence_level(c.confidence)
        label = f"{c.experimental} vs {c.control}"
        if sim_c["hr"] is None:
            out.append(Check(spec.name, label, "hr", None, c.hr, "HR estimable", conf,
                             conf in SCORED and c.hr_ci is not None, False,
                             "HR not estimable: an arm has no progression event within "
                             f"{spec.follow_up_months:g} months"))
            continue
        hr = float(sim_c["hr"])  # type: ignore[arg-type]
        if c.hr_ci is None:
            out.append(Check(spec.name, label, "hr", hr, c.hr, "no published CI", conf, False,
                             abs(hr - c.hr) <= 0.25 * c.hr,
                             "no published 95% CI: shown, not scored"))
            continue
        lo, hi = c.hr_ci
        ok = lo <= hr <= hi
        reason = "" if ok else (f"HR {hr:.2f} outside {lo:g}-{hi:g}: "
                                f"{'benefit too large' if hr < lo else 'benefit too small'}")
        out.append(Check(spec.name, label, "hr", hr, c.hr, f"in [{lo:g}, {hi:g}]", conf,
                         conf in SCORED, ok, reason))
    return out


@dataclass
class Scorecard:
    checks: list[Check]
    results: list[dict[str, object]]
    seed: int
    n_per_arm: int | None

    def scored(self, quantities: tuple[str, ...] = ("orr", "median_pfs", "hr")) -> list[Check]:
        return [c for c in self.checks if c.scored and c.quantity in quantities]

    def efficacy_pass_rate(self) -> float:
        s = self.scored()
        return 100.0 * sum(c.passed for c in s) / len(s) if s else float("nan")

    def as_dict(self) -> dict[str, object]:
        eff, tox = self.scored(), self.scored(("neutropenia",))
        return {"seed": self.seed, "n_per_arm": self.n_per_arm,
                "efficacy": {"checks": len(eff), "passed": sum(c.passed for c in eff),
                             "pass_pct": round(self.efficacy_pass_rate(), 1), "target_pct": 80},
                "neutropenia": {"checks": len(tox), "passed": sum(c.passed for c in tox)},
                "checks": [asdict(c) for c in self.checks], "trials": self.results}


def find_specs(folder: Path, only: str | None = None) -> list[Path]:
    if not folder.is_dir():
        raise InputError(f"--specs: '{folder}' is not a folder; expected the folder of trial "
                         f"spec YAML files (e.g. examples/trials)")
    paths = sorted(folder.glob("*.yaml"))
    if only:
        paths = [p for p in paths if only.lower() in p.stem.lower()]
    if not paths:
        raise InputError(f"--specs: no trial spec (*.yaml) in '{folder}'"
                         + (f" matching '{only}'" if only else ""))
    return paths


def arm_size(spec: TrialSpec, n_per_arm: int | None) -> int | None:
    """Patients per arm when validating (the smallest arm's N, capped at ``n_per_arm``)."""
    return None if n_per_arm is None else min(n_per_arm, min(a.n for a in spec.arms))


def load_specs(paths: list[Path]) -> list[TrialSpec]:
    """Every spec of ``paths``, all parsed before any runs (fail fast on a malformed one)."""
    return [load_trial(p) for p in paths]


def planned_patients(specs: list[TrialSpec], n_per_arm: int | None = None) -> int:
    """Virtual patients :func:`validate` will simulate (for a progress bar)."""
    total = 0
    for spec in specs:
        n = arm_size(spec, n_per_arm)
        total += sum(a.n if n is None else n for a in spec.arms)
    return total


def run_folder(root: Path, spec: TrialSpec, seed: int) -> Path:
    """The store folder of one trial's run at one seed under a validation store ``root``:
    ``root/seed-S/<trial name, with characters other than letters, digits, '.', '-' and '_'
    as '_'>``."""
    return root / f"seed-{seed}" / (re.sub(r"[^A-Za-z0-9._-]+", "_", spec.name).strip("_")
                                    or "trial")


def validate(specs: list[TrialSpec], *, n_per_arm: int | None = None, seed: int = 0,
             on_trial: Callable[[str], None] | None = None,
             on_shard: Callable[[Shard], None] | None = None, store: Path | None = None,
             resume: bool = False, scheduler: str = "none") -> Scorecard:
    """Simulate every spec (see :func:`load_specs`; arm sizes capped at ``n_per_arm``) and score
    it; ``on_trial`` is called with each trial's name before it runs, ``on_shard`` after each
    block of patients (computed or, on resume, reused).

    With ``store``, each trial's shards are written to its own results store under it
    (:func:`run_folder`) as they finish; ``resume`` completes an interrupted validation,
    reusing every verified shard, so the scorecard equals an uninterrupted one. ``scheduler``
    runs each trial's shards on Dask workers (``local`` or ``tcp://HOST:PORT``)."""
    if store is not None:
        folders = [run_folder(store, s, seed) for s in specs]
        twice = sorted({f.name for f in folders if folders.count(f) > 1})
        if twice:
            raise InputError(f"--store: trials {twice} would share a store folder; expected "
                             "trial names that differ in letters or digits")
    checks: list[Check] = []
    results = []
    for spec in specs:
        if on_trial:
            on_trial(spec.name)
        res = run_trial(spec, n_per_arm=arm_size(spec, n_per_arm), seed=seed,
                        on_shard=on_shard, scheduler=scheduler, resume=resume,
                        store=None if store is None else ResultStore(run_folder(store, spec,
                                                                                seed)))
        results.append(res.as_dict())
        checks += arm_checks(spec, res)
    return Scorecard(checks, results, seed, n_per_arm)


def seed_summary(cards: list[Scorecard]) -> dict[str, object]:
    """Several seeds' scorecards of the same specs: per-seed counts, their mean, and for every
    scored check how many seeds passed it (a check passed by some seeds only is one whose
    agreement is within sampling noise; one no seed passes is a model miss)."""
    if not cards:
        raise InputError("--seeds: no seed given; expected e.g. 0,1,2")
    per_seed = [c.as_dict() for c in cards]
    eff = [d["efficacy"] for d in per_seed]
    tox = [d["neutropenia"] for d in per_seed]
    rows = []
    for i, check in enumerate(cards[0].checks):
        if not check.scored:
            continue
        same = [c.checks[i] for c in cards]
        causes = [c.diagnosis for c in same if c.diagnosis]
        rows.append({"trial": check.trial, "arm": check.arm, "quantity": check.quantity,
                     "published": check.published, "target": check.target,
                     "simulated": [c.simulated for c in same],
                     "passed_seeds": sum(c.passed for c in same), "seeds": len(cards),
                     "diagnosis": causes[0] if causes else ""})
    pct = [float(e["pass_pct"]) for e in eff]  # type: ignore[index]
    return {"seeds": [c.seed for c in cards], "n_per_arm": cards[0].n_per_arm,
            "efficacy_passed": [e["passed"] for e in eff],  # type: ignore[index]
            "efficacy_checks": eff[0]["checks"],  # type: ignore[index]
            "efficacy_pass_pct": pct,
            "efficacy_pass_pct_mean": round(sum(pct) / len(pct), 1),
            "neutropenia_passed": [t["passed"] for t in tox],  # type: ignore[index]
            "neutropenia_checks": tox[0]["checks"],  # type: ignore[index]
            "checks": rows, "scorecards": per_seed}
