"""Score trial specs on the scorecard's own virtual patients, with calibration overrides (issue 5).

``scripts/calibrate_trials.py`` draws its own patients; this script runs specs exactly as
``imidsim validate`` does (same arm seeds, dropout times and arm sizes, via
``imidsim.trials.runner.run_trial``: ``--n`` as ``validate --n-per-arm``, ``--published-n`` as
``validate --published-n``; ``--n`` larger than the smallest arm is not the published N when
arms differ in size), so a calibration figure is the figure the scorecard will show.
Overrides are for exploring only — write a chosen value into the library afterwards::

    python scripts/score_trials.py aspire,pollux_update --n 100 --seed 0 \
        --set tumour.pi_sensitivity=0.2 \
        --pop myeloma_rr:patient.resistant_fraction.median=0.1 \
        --pop '*:patient.kill_sensitivity.cv=1.0'

``--set NAME=VALUE`` overrides a model parameter in every arm whose model has it (through
``run_trial(parameters=...)``: a name no arm has, or one the population draws per patient, is
an error; change such a parameter with ``--pop``);
``--pop POPULATION:PARAMETER.FIELD=VALUE`` changes one field of a population distribution
(``*`` = every population; a parameter a population lacks is added as a lognormal with
median 1). Prints every arm and every check with its pass mark, and the efficacy count.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from imidsim.errors import InputError
from imidsim.trials.population import populations
from imidsim.trials.runner import arm_parameter_names, run_trial
from imidsim.trials.spec import TrialSpec, load_trial
from imidsim.trials.validate import arm_checks, arm_size

ROOT = Path(__file__).resolve().parents[1]


def _override_populations(items: list[str]) -> None:
    pops = populations()
    for item in items:
        key, value = item.split("=")
        pop_name, rest = key.split(":")
        param, field = rest.rsplit(".", 1)
        for name in (pops if pop_name == "*" else [pop_name]):
            dists = pops[name].parameters
            base = dists.get(param, {"dist": "lognormal", "median": 1.0, "cv": 0.0})
            dists[param] = {**base, field: float(value)}


def _overrides_by_spec(specs: list[TrialSpec], overrides: dict[str, float]
                       ) -> list[dict[str, float]]:
    """For each spec, the overrides some arm of it has (an agent's parameter only where an arm
    gives that agent; run_trial applies each to the arms that have it)."""
    out = []
    for spec in specs:
        names = set().union(*arm_parameter_names(spec))
        out.append({k: v for k, v in overrides.items() if k in names})
    for k in overrides:
        if not any(k in o for o in out):
            raise InputError(f"--set {k}: no arm of {', '.join(s.name for s in specs)} has this "
                             f"parameter; expected a name listed by 'imidsim params'")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("specs", help="comma-separated spec stems of examples/trials")
    ap.add_argument("--n", type=int, default=100,
                    help="patients per arm (every arm at the smallest arm's n if that is less)")
    ap.add_argument("--published-n", action="store_true",
                    help="every arm at its published N, as 'imidsim validate --published-n' "
                         "(overrides --n)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--set", action="append", default=[], help="parameter=value")
    ap.add_argument("--pop", action="append", default=[],
                    help="population:parameter.field=value ('*' = every population)")
    a = ap.parse_args()
    _override_populations(a.pop)
    specs = [load_trial(ROOT / "examples" / "trials" / f"{stem}.yaml")
             for stem in a.specs.split(",")]
    overrides = _overrides_by_spec(specs, {k: float(v) for k, v in
                                           (s.split("=") for s in a.set)})
    total = passed = 0
    for spec, params in zip(specs, overrides, strict=True):
        t0 = time.perf_counter()
        n = None if a.published_n else arm_size(spec, a.n)
        res = run_trial(spec, n_per_arm=n, seed=a.seed, parameters=params)
        for arm in res.arms:
            s = arm.summary()
            pfs = s["median_pfs_months"]
            print(f"   {spec.name[:24]:24s} {arm.name[:22]:22s} ORR {s['orr_pct']:5.1f} "
                  f"CR {s['cr_pct']:5.1f} PFS {pfs if pfs is None else round(pfs, 1)} "
                  f"G3-4 ANC {s['grade34_neutropenia_pct']:.0f}%")
        for c in arm_checks(spec, res):
            if c.quantity == "cr":
                continue
            if c.scored and c.quantity != "neutropenia":
                total += 1
                passed += c.passed
            mark = ("OK" if c.passed else "--") if c.scored else "  "
            sim = c.simulated if c.simulated is None else round(c.simulated, 2)
            print(f"{mark} {spec.name[:24]:24s} {c.arm[:22]:22s} {c.quantity:11s} {sim} vs "
                  f"{c.published} ({c.target})")
        print(f"   [{time.perf_counter() - t0:.0f} s]", file=sys.stderr, flush=True)
    print(f"efficacy checks passed: {passed}/{total}")


if __name__ == "__main__":
    main()
