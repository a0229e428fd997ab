"""Calibrate the bone-marrow drug effects to the grade 3-4 cytopenia rates of seven arms.

Targets (first 4 cycles, days 0-112, worst CTCAE v5.0 grade of the 2-hourly model output),
every published grade 3-4 neutropenia rate of a CRBN modulator in ``shared/data`` with a
regimen the marrow calibration can run (anti-CD20 combinations are fitted per population,
see ``patient.marrow_sensitivity`` in populations.yaml):

==================  =====================================  ========  ===========
data                regimen                                observed  pretreated
==================  =====================================  ========  ===========
S10 (MM-010 int.)   lenalidomide 25 mg d1-21/28 + dex 40   16.5 %    0
MM-009              the same (trials_calibration.csv, low  41.2 %    0.3
                    confidence; the myeloma_rr population)
S11                 lenalidomide 30 mg d1-21/28            60 %      0.67
MM-002              pomalidomide 4 mg d1-21/28             48 %      0.8
MM-002              the same + dex 40 mg weekly            41 %      0.8
STRATUS             the same + dex 40 mg weekly            49.7 %    0.8
S29                 avadomide 3 mg daily                   52 %      0
==================  =====================================  ========  ===========

"pretreated" is the share of ``patient.heavily_pretreated = 1`` in the fitted population (the
trial populations' values; S10 is taken as not heavily pretreated, as before). The targets and
their regimens are data, ``src/imidsim/library/marrow_calibration.yaml``, which
tests/mechanisms/test_marrow.py reads too.

Fitted jointly by least squares (equal weights, rates in points):

* ``marrow.mat_max_N``, the IKZF1 maturation arrest (S72/T25);
* ``marrow.pretreated_sensitivity``, the heavily pretreated marrow covariate;
* ``marrow.ck1a_kill``, p53-driven precursor death on CK1alpha loss (review ref 171:
  lenalidomide but not pomalidomide expands Trp53-mutant HSPCs through CK1alpha degradation,
  i.e. CK1alpha loss imposes a p53-dependent cost on normal HSPCs), searched as a ratio to
  ``mat_max_N`` on a grid;

then ``marrow.mat_max_P`` to the S11 thrombocytopenia (39 %), with STRATUS's 24.1 % out of
sample.

Why three effects: the seven rates rank lenalidomide 30 mg above pomalidomide 4 mg and
avadomide 3 mg close to both, while progenitor Ikaros loss ranks them avadomide > pomalidomide
> lenalidomide (lenalidomide's CRBN occupancy saturates above 25 mg). The IKZF1 arrest alone
with a covariate fitted to S10 and S11 (the fit before issue 5's fifth pass, printed by
``--alternatives``) over-predicts every pomalidomide arm by 40 points. Only CK1alpha separates
lenalidomide from pomalidomide and the CELMoDs (lenalidomide degrades it, pomalidomide at a
tenth of the efficiency, avadomide not at all), so the data identify its strength.

Method: ANC = anc0 * f(k, t) and PLT = plt0 * g(k, t), where k = mat_max * S is the only
patient-specific quantity that moves the relative counts (S = the patient's effective marrow
sensitivity; for a fixed ratio ck1a_kill / mat_max both effects scale with S). One batch
simulation over a grid of k per regimen and ratio gives the relative nadirs f_min(k), g_min(k);
a patient has grade >= 3 when anc0 * f_min(mat_max * S) < 1.0 (or plt0 * g_min < 50). The
rates use the population draws of ``imidsim.modules.marrow.marrow_population`` (n=400, seed
20261); a direct simulation of the fitted populations then checks them. The CV of the marrow
sensitivity is not identifiable: it is assumed (0.5).

Run: ``python scripts/calibrate_marrow.py`` (add ``--write`` to store the fitted values in
``src/imidsim/library/parameters/marrow.yaml``; about 5 minutes). ``--alternatives`` prints
the earlier two-target fit and the joint fit without the CK1alpha term, for comparison.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np
from scipy.optimize import brentq

from imidsim.library.loader import marrow_calibration_targets, parameters_for
from imidsim.modules.marrow import marrow_population
from imidsim.scenario import parse_scenario
from imidsim.simulation import Simulation
from imidsim.toxicity import grade34_rate

YAML = Path(__file__).resolve().parents[1] / "src/imidsim/library/parameters/marrow.yaml"
N_PATIENTS, SEED = 400, 20261
WINDOW_DAYS, CYCLES = 112.0, 4  # the targets' regimens run 4 cycles
# The targets and their regimens are data: src/imidsim/library/marrow_calibration.yaml.
TREATMENTS, NEUTROPENIA, PLATELET_TARGETS = marrow_calibration_targets()
THROMBOCYTOPENIA = next(t for t in PLATELET_TARGETS if t.fitted)
THROMBOCYTOPENIA_OUT = next(t for t in PLATELET_TARGETS if not t.fitted)
RATIOS = (0.0, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.1)  # ck1a_kill / mat_max_N
K_GRID = np.concatenate([[0.0], np.geomspace(1e-3, 20.0, 140)])
MAT_GRID = np.geomspace(0.02, 0.6, 120)
FACTOR_GRID = np.geomspace(1.0, 4.0, 60)


def simulate(treatments: list[dict], patients: dict, parameters: dict | None = None):
    spec = {"name": "marrow-calibration", "disease": "myeloma", "treatments": treatments,
            "duration_days": WINDOW_DAYS, "output": {"interval_h": 2.0},
            "parameters": parameters or {}}
    return Simulation(parse_scenario(spec)).solve(patients)


def nadir_curves(treatments: list[dict], ck1a_ratio: float = 0.0
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Minimum relative ANC (with dex demargination) and platelets over the window vs k.

    ``ck1a_ratio`` = ``marrow.ck1a_kill / mat_max`` (1/h): both effects scale with the patient's
    sensitivity S, so for a fixed ratio the nadir is still a function of k = mat_max * S."""
    n = len(K_GRID)
    res = simulate(treatments, {"patient.marrow_sensitivity": K_GRID,
                                "patient.anc0": np.ones(n), "patient.plt0": np.ones(n),
                                "patient.heavily_pretreated": np.zeros(n)},
                   {"marrow.mat_max_N": 1.0, "marrow.mat_max_P": 1.0,
                    "marrow.ck1a_kill": ck1a_ratio})
    anc = np.array([res.series("ANC", i).min() for i in range(n)])
    plt = np.array([res.series("PLT", i).min() for i in range(n)])
    return anc, plt


def populations(cv: float) -> dict[float, dict[str, np.ndarray]]:
    """The calibration's virtual patients at every pretreated share the targets use (same
    draws; they differ only in the covariate)."""
    ps = parameters_for("myeloma").with_values({"marrow.pop_cv_sensitivity": cv})
    shares = {t.pretreated for t in (*NEUTROPENIA, THROMBOCYTOPENIA, THROMBOCYTOPENIA_OUT)}
    return {fr: marrow_population(N_PATIENTS, seed=SEED, pretreated_fraction=fr, params=ps)
            for fr in sorted(shares)}


def sensitivity(pop: dict[str, np.ndarray], factor: float) -> np.ndarray:
    return pop["patient.marrow_sensitivity"] * (
        1 + (factor - 1) * pop["patient.heavily_pretreated"])


def anc_rate(curve: np.ndarray, pop: dict[str, np.ndarray], mat_n: float, factor: float) -> float:
    """Grade 3-4 neutropenia rate of ``pop`` from a nadir curve (ANC < 1.0 x10^9/L)."""
    k = mat_n * sensitivity(pop, factor)
    return float(np.mean(pop["patient.anc0"] * np.interp(k, K_GRID, curve) < 1.0))


def joint_fit(curves: dict[float, dict], pops: dict, ratios=RATIOS) -> dict:
    """Least squares of the seven neutropenia rates over (ratio, mat_max_N, covariate)."""
    best: dict = {"sse": np.inf}
    for ratio in ratios:
        for m in MAT_GRID:
            for f in FACTOR_GRID:
                rates = [anc_rate(curves[ratio][t.regimen][0], pops[t.pretreated], m, f)
                         for t in NEUTROPENIA]
                sse = sum((r - t.observed) ** 2 for r, t in zip(rates, NEUTROPENIA, strict=True))
                if sse < best["sse"]:
                    best = {"sse": sse, "ratio": ratio, "mat_max_N": float(m),
                            "pretreated_sensitivity": float(f), "rates": rates}
    best["ck1a_kill"] = best["ratio"] * best["mat_max_N"]
    best["rms_points"] = 100 * float(np.sqrt(best["sse"] / len(NEUTROPENIA)))
    return best


def two_target_fit(curves: dict, pops: dict) -> dict[str, float]:
    """The fit before issue 5's fifth pass: IKZF1 arrest only, mat_max_N to S10 exactly, the
    covariate to S11 exactly."""
    s10, _, s11 = NEUTROPENIA[:3]
    mat_n = solve_rate(lambda m: anc_rate(curves[s10.regimen][0], pops[s10.pretreated], m, 1.0),
                       s10.observed, 1e-3, 5.0)
    factor = solve_rate(lambda f: anc_rate(curves[s11.regimen][0], pops[s11.pretreated], mat_n,
                                           f), s11.observed, 1.0, 20.0)
    return {"mat_max_N": mat_n, "pretreated_sensitivity": factor,
            "rates": [anc_rate(curves[t.regimen][0], pops[t.pretreated], mat_n, factor)
                      for t in NEUTROPENIA]}


def solve_rate(fun, target: float, lo: float, hi: float) -> float:
    """Root of a step-like monotone rate: the midpoint of the interval hitting the target."""
    def gap(x: float) -> float:
        return fun(x) - target
    if gap(lo) * gap(hi) > 0:
        return lo if abs(gap(lo)) < abs(gap(hi)) else hi
    return brentq(gap, lo, hi, xtol=1e-4)


def model_parameters(best: dict) -> dict[str, float]:
    return {"marrow.mat_max_N": best["mat_max_N"], "marrow.mat_max_P": best["mat_max_P"],
            "marrow.pretreated_sensitivity": best["pretreated_sensitivity"],
            "marrow.ck1a_kill": best["ck1a_kill"]}


def platelet_fit(best: dict, pops: dict) -> float:
    """``mat_max_P`` to the S11 thrombocytopenia, by direct simulation (the platelet chain's
    CK1alpha death scales with mat_max_N, so its nadir is not a function of one k)."""
    t = THROMBOCYTOPENIA

    def rate_at(mat_p: float) -> float:
        res = simulate(TREATMENTS[t.regimen], pops[t.pretreated],
                       model_parameters({**best, "mat_max_P": mat_p}))
        return grade34_rate(res, "platelets")

    return solve_rate(rate_at, t.observed, 1e-3, 2.0)


def check(best: dict, pops: dict) -> list[tuple[str, float, float]]:
    """Direct simulation of the fitted populations (no interpolation): (label, model, observed)."""
    params = model_parameters(best)
    out = []
    for t in (*NEUTROPENIA, THROMBOCYTOPENIA, THROMBOCYTOPENIA_OUT):
        lineage = "anc" if t in NEUTROPENIA else "platelets"
        res = simulate(TREATMENTS[t.regimen], pops[t.pretreated], params)
        out.append((f"{t.label} [{lineage}; {t.source}]", grade34_rate(res, lineage), t.observed))
    return out


def print_rates(title: str, rates: list[float]) -> None:
    print(title)
    for t, r in zip(NEUTROPENIA, rates, strict=True):
        print(f"  {t.label:36s} {100 * r:5.1f} %  [{100 * t.observed:.1f}]")


def write_yaml(best: dict[str, float]) -> None:
    text = YAML.read_text()
    for name, key, fmt in (("marrow.mat_max_N", "mat_max_N", "{:.4f}"),
                           ("marrow.mat_max_P", "mat_max_P", "{:.4f}"),
                           ("marrow.pretreated_sensitivity", "pretreated_sensitivity", "{:.3f}"),
                           ("marrow.ck1a_kill", "ck1a_kill", "{:.3g}")):
        pat = re.compile(rf"(^{re.escape(name)}:\n  value: )[^\n]+", re.M)
        value = fmt.format(best[key])
        text, n = pat.subn(lambda m, v=value: m.group(1) + v, text)
        if n != 1:
            raise SystemExit(f"could not find the record {name} in {YAML}")
    YAML.write_text(text)
    print(f"wrote mat_max_N, mat_max_P, pretreated_sensitivity, ck1a_kill to {YAML}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="store the fitted values in the YAML")
    ap.add_argument("--alternatives", action="store_true",
                    help="also print the earlier two-target fit and the fit without CK1alpha")
    args = ap.parse_args()
    cv = parameters_for("myeloma").value("marrow.pop_cv_sensitivity")
    pops = populations(cv)
    curves = {ratio: {name: nadir_curves(tx, ratio) for name, tx in TREATMENTS.items()}
              for ratio in RATIOS}
    print(f"targets: first {CYCLES} cycles, n={N_PATIENTS}, seed={SEED}, sensitivity CV {cv}")
    by_ratio = {ratio: joint_fit(curves, pops, ratios=(ratio,)) for ratio in RATIOS}
    if args.alternatives:
        old = two_target_fit(curves[0.0], pops)
        print_rates(f"two-target fit, IKZF1 arrest only (S10 and S11 exact): mat_max_N "
                    f"{old['mat_max_N']:.4f}, pretreated_sensitivity "
                    f"{old['pretreated_sensitivity']:.3f}", old["rates"])
        alone = by_ratio[0.0]
        print_rates(f"joint fit without CK1alpha: mat_max_N {alone['mat_max_N']:.4f}, "
                    f"pretreated_sensitivity {alone['pretreated_sensitivity']:.3f}, rms "
                    f"{alone['rms_points']:.1f} points", alone["rates"])
    for ratio, r in by_ratio.items():
        print(f"  ck1a_kill/mat_max_N {ratio:6.4f} /h: mat_max_N {r['mat_max_N']:.4f}, "
              f"pretreated_sensitivity {r['pretreated_sensitivity']:.3f}, rms "
              f"{r['rms_points']:.1f} points")
    best = dict(min(by_ratio.values(), key=lambda r: r["sse"]))  # the first minimum, as joint_fit
    print_rates(f"chosen: ck1a_kill/mat_max_N {best['ratio']} /h -> ck1a_kill "
                f"{best['ck1a_kill']:.3g} /h, mat_max_N {best['mat_max_N']:.4f}, "
                f"pretreated_sensitivity {best['pretreated_sensitivity']:.3f} (rms "
                f"{best['rms_points']:.1f} points)", best["rates"])
    best["mat_max_P"] = platelet_fit(best, pops)
    print(f"mat_max_P {best['mat_max_P']:.4f} (S11 thrombocytopenia 39 %)")
    print("direct simulation of the fitted populations (grade 3-4 rate):")
    for label, model, observed in check(best, pops):
        print(f"  {label:68s} {100 * model:5.1f} %  [{100 * observed:.1f}]")
    if args.write:
        write_yaml(best)


if __name__ == "__main__":
    main()
