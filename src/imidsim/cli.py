"""The ``imidsim`` command line. It calls the public API only; no biology lives here.

Every error caused by input is printed as one line ``error: ...`` on stderr with exit code 2.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from typer.exceptions import TyperException

from imidsim.errors import ImidsimError, InputError
from imidsim.scheduler_text import SCHEDULER_HELP, check_scheduler

if TYPE_CHECKING:
    from imidsim.trials.spec import TrialSpec
    from imidsim.trials.validate import Scorecard

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  rich_markup_mode=None,
                  help="imidsim: mechanistic simulator of IMiDs and CELMoDs in B-cell neoplasms.")
console = Console(width=160) if not sys.stdout.isatty() else Console()


def _number(text: str, option: str, what: str, *, low: float = 0.0, high: float = float("inf"),
            strict_low: bool = True) -> float:
    """Parse a numeric option, naming the option, the value and what was expected."""
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{option}: '{text}' is not a number; expected {what}") from None
    too_low = value <= low if strict_low else value < low
    if value != value or too_low or value > high:
        raise InputError(f"{option}: {text} is not valid; expected {what}")
    return value


def _scenario_from(arg: Path, days: float | None, disease: str | None):
    """A scenario file, a regimen file, or a library regimen name -> Scenario."""
    import yaml

    from imidsim.regimens import library
    from imidsim.scenario import load_scenario, parse_scenario

    def wrap(regimen: object, name: str, diseases: list[str]) -> object:
        spec = {"name": name, "disease": disease or (diseases[0] if diseases else "myeloma"),
                "regimen": regimen, "duration_days": days or 365.0,
                "output": {"interval_h": 6}}
        return parse_scenario(spec, source=str(arg))

    if not arg.exists() and str(arg) in library():
        reg = library()[str(arg)]
        return wrap(reg.name, reg.name, reg.disease)
    if not arg.exists():
        from imidsim.errors import did_you_mean

        raise InputError(f"SCENARIO: '{arg}' is neither a file nor a library regimen; expected a "
                         f"scenario/regimen YAML path or one of {', '.join(library())}."
                         f"{did_you_mean(str(arg), library())}")
    if arg.is_file():
        try:
            data = yaml.safe_load(arg.read_text())
        except yaml.YAMLError:
            data = None
        if isinstance(data, dict) and ("agents" in data or "phases" in data) \
                and "treatments" not in data and "regimen" not in data:
            return wrap(data, str(data.get("name", arg.stem)), list(data.get("disease", [])))
    sc = load_scenario(arg)
    if days is not None or disease is not None:
        updates = {k: v for k, v in (("duration_days", days), ("disease", disease)) if v}
        sc = parse_scenario({**sc.model_dump(), **updates}, source=str(arg))
    return sc


@app.command()
def simulate(
    scenario: Annotated[Path, typer.Argument(
        help="scenario YAML file, regimen YAML file, or library regimen name (see 'regimens')")],
    out: Annotated[Path, typer.Option("--out", help="output folder")] = Path("results"),
    days: Annotated[float | None, typer.Option("--days", help="horizon (days)")] = None,
    disease: Annotated[str | None, typer.Option("--disease", help="override the disease")]
    = None,
) -> None:
    """Simulate one patient: writes timecourse.parquet/.csv, summary.json and plot.png."""
    from imidsim.report import write_outputs
    from imidsim.simulation import Simulation

    if days is not None and not 0 < days <= 3650:
        raise InputError(f"--days: {days} is not valid; expected 0 < days <= 3650")
    sc = _scenario_from(scenario, days, disease)
    result = Simulation(sc).solve()
    files = write_outputs(result, out)
    from imidsim.report import summary

    s = summary(result)
    resp = s["response"]
    console.print(f"[bold]{sc.name}[/bold]: best response {resp['best_response']} "  # type: ignore[index]
                  f"({resp['readout']} {resp['best_change_pct']:+.1f}%), "  # type: ignore[index]
                  f"{len(s['citations'])} sources cited")  # type: ignore[arg-type]
    for name, path in files.items():
        console.print(f"  wrote {name}: {path}")


@app.command()
def pk(
    drug: Annotated[str, typer.Argument(help="drug name, e.g. lenalidomide")],
    dose_mg: Annotated[str, typer.Option("--dose-mg", help="single oral dose (mg)")],
    crcl: Annotated[str | None, typer.Option("--crcl", help="creatinine clearance (mL/min)")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Single-dose exposure: Cmax, tmax, AUC(0-inf), terminal half-life (and QD steady state)."""
    from imidsim.library.loader import base_parameters
    from imidsim.library.loader import drug as lookup
    from imidsim.pk.drug_pk import exposure_summary

    d = lookup(drug, field="DRUG")
    dose = _number(dose_mg, "--dose-mg", "a positive dose in mg", high=1e5)
    clcr = None if crcl is None else _number(
        crcl, "--crcl", "a creatinine clearance between 0 and 250 mL/min", high=250.0,
        strict_low=False)
    if clcr is not None and not d.renal:
        raise InputError(f"--crcl: {d.name} has no renal-function covariate in the model "
                         f"(only lenalidomide's clearance depends on CrCl)")
    s = exposure_summary(d, base_parameters(), dose, clcr)
    if as_json:
        print(json.dumps(s.as_dict(), indent=2))
        return
    console.print(f"{d.label} {dose:g} mg single dose"
                  + (f", CrCl {clcr:g} mL/min" if clcr is not None else ""))
    console.print(f"  Cmax {s.cmax_ng_ml:.1f} ng/mL ({s.cmax_um:.3f} uM) at tmax {s.tmax_h:.2f} h")
    console.print(f"  AUC(0-inf) {s.auc_ng_h_ml:.0f} ng.h/mL; terminal t1/2 {s.t_half_h:.2f} h")
    console.print(f"  once daily at steady state: Cmax {s.cmax_ss_ng_ml:.1f} ng/mL, "
                  f"AUCtau {s.auc_tau_ss_ng_h_ml:.0f} ng.h/mL")


@app.command()
def params(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    status: Annotated[str | None, typer.Option("--status", help="only this status")] = None,
) -> None:
    """Every parameter with value, unit, source and status (disease values listed per disease)."""
    from imidsim.library.loader import base_parameters, diseases
    from imidsim.model.parameter import Status

    if status is not None and status not in {s.value for s in Status}:
        raise InputError(f"--status: '{status}' is not valid; expected one of "
                         f"{', '.join(s.value for s in Status)}")
    rows = [{**p.as_dict(), "scope": "all"} for p in base_parameters().values()]
    for dis in diseases().values():
        rows += [{**p.as_dict(), "scope": f"disease:{dis.name}"} for p in dis.parameters]
    counts: dict[str, int] = {}
    for r in rows:
        counts[str(r["status"])] = counts.get(str(r["status"]), 0) + 1
    assumed = [f"{r['scope']}:{r['name']}" if r["scope"] != "all" else str(r["name"])
               for r in rows if r["status"] == "assumed"]
    if status is not None:
        rows = [r for r in rows if r["status"] == status]
    if as_json:
        print(json.dumps({"parameters": rows, "counts": counts, "assumed": assumed}, indent=2))
        return
    from rich.table import Table

    table = Table(title=f"imidsim parameters ({len(rows)})")
    for col in ("name", "value", "unit", "status", "source", "scope"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r["name"]), f"{r['value']:.6g}", str(r["unit"]), str(r["status"]),
                      ", ".join(r["source"]), str(r["scope"]))  # type: ignore[arg-type]
    console.print(table)
    console.print("counts by status: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    console.print(f"assumed parameters: {len(assumed)} (list them with --status assumed)")


@app.command()
def evidence(
    drug: Annotated[str | None, typer.Option("--drug", help="filter Table 1 by drug")] = None,
    cell: Annotated[str | None, typer.Option("--cell", help="filter Table 2 by cell type")] = None,
    coverage: Annotated[bool, typer.Option("--coverage", help="effect -> model terms matrix")]
    = False,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Show the review's Table 1 (per drug) and Table 2 (per immune cell)."""
    from imidsim.evidence.tables import render, table_rows

    if coverage:
        _print_coverage(as_json)
        return
    tables = []
    if cell is None:
        tables.append(("Table 1: applications and toxicities", table_rows("1", drug=drug)))
    if drug is None:
        tables.append(("Table 2: effects on immune cells", table_rows("2", cell=cell)))
    if as_json:
        print(json.dumps({title: rows for title, rows in tables}, indent=2))
        return
    for title, rows in tables:
        console.print(render(rows, title))


def _print_coverage(as_json: bool) -> None:
    from rich.table import Table

    from imidsim.evidence.coverage import coverage_rows
    from imidsim.simulation import build

    model, _ = build("myeloma")
    rows = coverage_rows(model)
    missing = [r for r in rows if r["missing_terms"] or not r["terms"] or not r["tests"]]
    if as_json:
        print(json.dumps({"rows": rows, "complete": not missing}, indent=2))
    else:
        table = Table(title="Table 2 and section 3.2.5 effects -> model terms -> references")
        for col in ("effect", "text", "model terms", "references", "tests"):
            table.add_column(col)
        for r in rows:
            table.add_row(str(r["effect"]), str(r["text"]), ", ".join(r["terms"]),  # type: ignore[arg-type]
                          ", ".join(r["refs"]), str(len(r["tests"])))  # type: ignore[arg-type]
        console.print(table)
        console.print(f"{len(rows) - len(missing)}/{len(rows)} effects covered")
    if missing:
        raise InputError(f"coverage incomplete: {', '.join(str(r['effect']) for r in missing)}")


@app.command()
def regimens(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """List the regimen library (name, agents, cycles, sources)."""
    from rich.table import Table

    from imidsim.regimens import library

    lib = library()
    rows = [{"name": r.name, "label": r.label, "disease": r.disease, "agents": r.agent_names(),
             "cycle_days": r.cycle_days, "cycles": r.cycles, "source": r.source}
            for r in lib.values()]
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    table = Table(title=f"imidsim regimen library ({len(rows)})")
    for col in ("name", "label", "disease", "agents", "cycles", "source"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r["name"]), str(r["label"]), ", ".join(r["disease"]),  # type: ignore[arg-type]
                      ", ".join(r["agents"]), f"{r['cycles']} x {r['cycle_days']} d",  # type: ignore[arg-type]
                      ", ".join(r["source"]))  # type: ignore[arg-type]
    console.print(table)


@contextmanager
def _resumable_on_interrupt(store: Path | None, what: str) -> Iterator[None]:
    """On Ctrl-C with a store, say where the finished shards are and how to resume (exit 130);
    without a store, let the interrupt through."""
    try:
        yield
    except KeyboardInterrupt:
        if store is None:
            raise
        print(f"error: interrupted; the finished shards are kept in {store}: run the same "
              f"command with --resume to complete the {what}", file=sys.stderr)
        sys.exit(130)


@app.command()
def trial(
    spec: Annotated[Path, typer.Argument(help="trial spec YAML")],
    n_per_arm: Annotated[int | None, typer.Option("--n-per-arm", help="patients per arm")] = None,
    seed: Annotated[int, typer.Option("--seed", help="random seed")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    report: Annotated[Path | None, typer.Option("--report", help="report folder")] = None,
    store: Annotated[Path | None, typer.Option(
        "--store", help="results store folder: one Parquet file per shard + DuckDB catalogue")]
    = None,
    catalog: Annotated[Path | None, typer.Option(
        "--catalog", help="catalogue file (default STORE/catalog.duckdb)")] = None,
    resume: Annotated[bool, typer.Option(
        "--resume", help="complete an interrupted run in --store (verified shards are reused)")]
    = False,
    scheduler: Annotated[str, typer.Option("--scheduler", help=SCHEDULER_HELP)] = "local",
    shard_size: Annotated[int, typer.Option("--shard-size", help="patients per shard")] = 100,
) -> None:
    """Run a virtual trial and print simulated vs published readouts side by side."""
    from rich.table import Table

    from imidsim.store import ResultStore
    from imidsim.trials.report import arm_outcomes, enrolment, side_by_side, write_report
    from imidsim.trials.runner import run_trial
    from imidsim.trials.spec import load_trial

    if n_per_arm is not None and n_per_arm < 1:
        raise InputError(f"--n-per-arm: {n_per_arm} is not valid; expected a positive number")
    if shard_size < 1:
        raise InputError(f"--shard-size: {shard_size} is not valid; expected a positive number")
    for flag, given in (("--resume", resume), ("--catalog", catalog is not None)):
        if given and store is None:
            raise InputError(f"{flag}: needs --store PATH (the store folder of the run)")
    check_scheduler(scheduler)
    spec_obj = load_trial(spec)
    with _resumable_on_interrupt(store, "run"):
        result = run_trial(spec_obj, n_per_arm, seed, show_progress=not as_json,
                           store=None if store is None else ResultStore(store, catalog),
                           resume=resume, scheduler=scheduler, shard_size=shard_size)
    if report is not None:
        write_report(result, report)
    if store is not None and not as_json:
        run = result.run
        console.print(f"store {store}: {run['computed']} shards computed, {run['reused']} reused"
                      f" of {run['shards']}")
        for line in run["deleted"]:  # type: ignore[attr-defined]
            console.print(f"  deleted and redone {line}")
    if as_json:
        out = result.as_dict()
        if store is not None:
            out["store"] = {k: result.run[k] for k in ("shards", "computed", "reused", "deleted")}
        print(json.dumps(out, indent=2))
        return
    table = Table(title=f"{spec_obj.name} (seed {seed})")
    for col in ("arm", "quantity", "simulated", "published"):
        table.add_column(col)
    for r in side_by_side(result):
        sim = r["simulated"]
        sim_txt = "-" if sim is None else (f"{sim:.3g}" if isinstance(sim, float) else str(sim))
        if r.get("simulated_ci"):
            sim_txt += f" ({r['simulated_ci'][0]:.2f}-{r['simulated_ci'][1]:.2f})"  # type: ignore[index]
        pub = "" if r["published"] is None else str(r["published"])
        if r.get("published_ci"):
            pub += f" ({r['published_ci'][0]}-{r['published_ci'][1]})"  # type: ignore[index]
        table.add_row(str(r["arm"]), str(r["quantity"]), sim_txt, pub)
    console.print(table)
    console.print(enrolment(result), highlight=False)
    for line in arm_outcomes(result):
        console.print(line, highlight=False)


@app.command()
def validate(
    specs: Annotated[Path, typer.Option("--specs", help="folder of trial specs")]
    = Path("examples/trials"),
    n_per_arm: Annotated[int, typer.Option("--n-per-arm", help="cap on patients per arm")] = 200,
    seed: Annotated[int, typer.Option("--seed", help="random seed")] = 0,
    only: Annotated[str | None, typer.Option("--only", help="run specs whose file name "
                                                           "contains this")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="write scorecard.json here")] = None,
    published_n: Annotated[bool, typer.Option(
        "--published-n", help="simulate every arm with its published N (overrides --n-per-arm;"
        " slower, but medians are not quantised by small arms)")] = False,
    seeds: Annotated[str | None, typer.Option(
        "--seeds", help="comma-separated seeds (e.g. 0,1,2; overrides --seed): run the "
        "scorecard once per seed and report each seed's count, their mean and, per check, "
        "how many seeds pass it")] = None,
    store: Annotated[Path | None, typer.Option(
        "--store", help="results store folder: each trial's shards go to STORE/seed-S/TRIAL as "
        "they finish")] = None,
    resume: Annotated[bool, typer.Option(
        "--resume", help="complete an interrupted validation in --store (verified shards are "
        "reused)")] = False,
    scheduler: Annotated[str, typer.Option(
        "--scheduler", help=f"{SCHEDULER_HELP}; the default is none (trials run one after "
        "another, each on the cores numba is given)")] = "none",
) -> None:
    """Run every trial spec and print the scorecard (PFS +/-25 %, ORR +/-10 pts, HR in CI)."""
    from rich.table import Table

    from imidsim.trials.validate import find_specs, load_specs

    if n_per_arm < 1:
        raise InputError(f"--n-per-arm: {n_per_arm} is not valid; expected a positive number")
    if resume and store is None:
        raise InputError("--resume: needs --store PATH (the store folder of the validation)")
    check_scheduler(scheduler)
    trials = load_specs(find_specs(specs, only))
    cap = None if published_n else n_per_arm
    with _resumable_on_interrupt(store, "validation"):
        cards = _scorecards(trials, cap, [seed] if seeds is None else _seed_list(seeds),
                            store=store, resume=resume, scheduler=scheduler)
    if seeds is not None:
        _validate_seeds(cards, cap, as_json, out)
        return
    card = cards[0]
    data = card.as_dict()
    if _write_json(data, out, "scorecard.json", as_json):
        return
    size = "published N per arm" if published_n else f"<= {n_per_arm} patients per arm"
    table = Table(title=f"Validation scorecard (seed {seed}, {size})")
    for col in ("trial", "arm", "check", "simulated", "published", "target", "conf.", "result"):
        table.add_column(col)
    for c in card.checks:
        sim = "-" if c.simulated is None else f"{c.simulated:.3g}"
        verdict = ("pass" if c.passed else f"MISS: {c.reason}") if c.scored else \
            f"(shown) {c.reason}".strip()
        table.add_row(c.trial, c.arm, c.quantity, sim, f"{c.published:g}", c.target,
                      c.confidence, verdict)
    console.print(table)
    _print_diagnoses([(c.trial, c.arm, c.quantity, c.diagnosis) for c in card.checks])
    eff, tox = data["efficacy"], data["neutropenia"]
    console.print(f"efficacy checks: {eff['passed']}/{eff['checks']} pass "  # type: ignore[index]
                  f"({eff['pass_pct']}%; target >= 80%); grade 3-4 neutropenia: "  # type: ignore[index]
                  f"{tox['passed']}/{tox['checks']} within +/-10 pts")  # type: ignore[index]


def _print_diagnoses(rows: list[tuple[str, str, str, str]]) -> None:
    """List the measured causes of the diagnosed misses under a scorecard table."""
    found = [r for r in rows if r[3]]
    if not found:
        return
    console.print("Diagnosed misses (src/imidsim/trials/diagnoses.yaml):")
    first: dict[str, str] = {}
    for trial, arm, quantity, cause in found:
        name = f"{trial} / {arm} / {quantity}"
        text = f"the same cause as {first[cause]}" if cause in first else cause
        first.setdefault(cause, name)
        console.print(f"- {name}: {text}", markup=False)


def _seed_list(text: str) -> list[int]:
    try:
        out = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        out = []
    if not out or any(s < 0 for s in out) or len(set(out)) != len(out):
        raise InputError(f"--seeds: '{text}' is not valid; expected distinct non-negative "
                         "integers separated by commas, e.g. 0,1,2")
    return out


def _scorecards(trials: list[TrialSpec], cap: int | None, seeds: list[int], *,
                store: Path | None = None, resume: bool = False,
                scheduler: str = "none") -> list[Scorecard]:
    """Run the scorecard once per seed under one progress bar (``store``, ``resume`` and
    ``scheduler`` as in :func:`imidsim.trials.validate.validate`)."""
    from imidsim.progress import patient_progress
    from imidsim.trials.validate import planned_patients
    from imidsim.trials.validate import validate as run_validation

    cards = []
    with patient_progress() as progress:
        bar = progress.add_task("validating", total=planned_patients(trials, cap) * len(seeds))
        for seed in seeds:
            label = f"seed {seed}: " if len(seeds) > 1 else ""
            cards.append(run_validation(
                trials, n_per_arm=cap, seed=seed,
                on_trial=lambda name, pre=label: progress.update(bar, description=pre + name),
                on_shard=lambda shard: progress.advance(bar, shard.size), store=store,
                resume=resume, scheduler=scheduler))
    return cards


def _write_json(data: dict[str, object], out: Path | None, filename: str, as_json: bool) -> bool:
    """Write ``data`` to ``out/filename`` (if ``out``) and print it (if ``as_json``); returns
    whether it was printed, i.e. whether the caller is done."""
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / filename).write_text(json.dumps(data, indent=2))
    if as_json:
        print(json.dumps(data, indent=2))
    return as_json


def _validate_seeds(cards: list[Scorecard], cap: int | None, as_json: bool,
                    out: Path | None) -> None:
    """``validate --seeds``: the scorecard at several seeds and how often each check passes."""
    from rich.table import Table

    from imidsim.trials.validate import seed_summary

    data = seed_summary(cards)
    if _write_json(data, out, "scorecard_seeds.json", as_json):
        return
    seeds = data["seeds"]
    size = "published N per arm" if cap is None else f"<= {cap} patients per arm"
    table = Table(title=f"Validation scorecard over seeds {seeds} ({size})")
    for col in ("trial", "arm", "check", "published", "target", "simulated (per seed)",
                "seeds passing"):
        table.add_column(col)
    for r in data["checks"]:  # type: ignore[union-attr]
        sims = ", ".join("-" if v is None else f"{v:.3g}" for v in r["simulated"])
        table.add_row(r["trial"], r["arm"], r["quantity"], f"{r['published']:g}", r["target"],
                      sims, f"{r['passed_seeds']}/{r['seeds']}")
    console.print(table)
    _print_diagnoses([(r["trial"], r["arm"], r["quantity"], r["diagnosis"])
                      for r in data["checks"]])  # type: ignore[union-attr]
    console.print(f"efficacy checks passed per seed: {data['efficacy_passed']} of "
                  f"{data['efficacy_checks']} (mean {data['efficacy_pass_pct_mean']} %; target "
                  f">= 80 %); grade 3-4 neutropenia: {data['neutropenia_passed']} of "
                  f"{data['neutropenia_checks']}")


results_app = typer.Typer(help="Query stored trial results.", no_args_is_help=True)
app.add_typer(results_app, name="results")


@results_app.command("query")
def results_query(
    sql: Annotated[str, typer.Argument(help="SQL over tables patients, shards and run")],
    store: Annotated[Path, typer.Option("--store", help="results store folder")]
    = Path("results/store"),
    catalog: Annotated[Path | None, typer.Option(
        "--catalog", help="catalogue file (default STORE/catalog.duckdb)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON records")] = False,
) -> None:
    """Run SQL (DuckDB) on a results store: patients (one row per patient), shards, run."""
    from rich.table import Table

    from imidsim.store import query

    frame = query(store, sql, catalog)
    bad = frame.attrs.get("unverified", [])
    if bad:
        print(f"warning: {len(bad)} shard file(s) missing or failing their checksum are left "
              f"out of 'patients' ({', '.join(bad[:3])}); redo them with 'imidsim trial SPEC "
              f"--store {store} --resume'", file=sys.stderr)
    if as_json:
        print(frame.to_json(orient="records", indent=2, date_format="iso"))
        return
    table = Table(caption=f"{len(frame)} rows from {store}")
    for col in frame.columns:
        table.add_column(str(col))
    for row in frame.itertuples(index=False):
        table.add_row(*("" if v is None else (f"{v:.6g}" if isinstance(v, float) else str(v))
                        for v in row))
    console.print(table)


@app.command("bench-trial")
def bench_trial(
    spec: Annotated[Path, typer.Argument(help="two-arm trial spec YAML")]
    = Path("examples/trials/augment.yaml"),
    n_per_arm: Annotated[int, typer.Option("--n-per-arm", help="patients per arm")] = 500,
    months: Annotated[float, typer.Option("--months", help="follow-up, months")] = 36.0,
    scheduler: Annotated[str, typer.Option("--scheduler", help=SCHEDULER_HELP)] = "none",
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Time a virtual trial (default: AUGMENT, 2 x 500 patients, 3 years)."""
    from imidsim.trials.benchmark import run_trial_benchmark

    if n_per_arm < 1:
        raise InputError(f"--n-per-arm: {n_per_arm} is not valid; expected a positive number")
    if not 1 <= months <= 120:
        raise InputError(f"--months: {months} is not valid; expected 1 to 120 months")
    check_scheduler(scheduler)  # before the warm-up, not after it
    res = run_trial_benchmark(spec, n_per_arm, months, scheduler=scheduler)
    if as_json:
        print(json.dumps(res, indent=2))
        return
    for k, v in res.items():
        if k != "arms_summary":
            console.print(f"{k}: {v}")


experiment_app = typer.Typer(help="In-silico experiments.", no_args_is_help=True)
app.add_typer(experiment_app, name="experiment")


@experiment_app.command("knockout")
def experiment_knockout(
    scenario: Annotated[Path, typer.Option("--scenario", help="scenario YAML file")],
    what: Annotated[str, typer.Option("--what", help="comma-separated interventions")]
    = "tcells,il2,nk,macrophages,crbn",
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    scheduler: Annotated[str, typer.Option(
        "--scheduler", help=f"{SCHEDULER_HELP}; the default is none because a handful of "
        "one-patient runs finish before a cluster starts")] = "none",
) -> None:
    """Readout with and without each intervention, and the share of the drug effect retained."""
    from rich.table import Table

    from imidsim.analysis.knockout import knockout_table, parse_what
    from imidsim.scenario import load_scenario

    items = parse_what(what)
    check_scheduler(scheduler)
    rows = knockout_table(load_scenario(scenario), items, scheduler=scheduler)
    if as_json:
        print(json.dumps([r.as_dict() for r in rows], indent=2))
        return
    table = Table(title=f"Knockout experiment: {scenario}")
    for col in ("intervention", "best readout change %", "burden end (treated)",
                "burden end (untreated)", "drug effect (log10)", "effect retained %",
                "IL-2 peak", "NK cytotoxicity peak", "CD8 peak"):
        table.add_column(col)
    for r in rows:
        table.add_row(r.intervention, f"{r.readout_best_change_pct:+.1f}", f"{r.burden_end:.3g}",
                      f"{r.burden_end_untreated:.3g}", f"{r.drug_effect_log10:.3f}",
                      f"{r.retained_pct:.0f}", f"{r.il2_peak:.2f}",
                      f"{r.nk_cytotoxicity_peak:.2f}", f"{r.cd8_peak:.2f}")
    console.print(table)


@app.command()
def bench(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    patients: Annotated[int, typer.Option("--patients", help="batch size to time")] = 1000,
    repeats: Annotated[int, typer.Option("--repeats", help="timed single-patient solves")] = 5,
    regimen: Annotated[str, typer.Option("--regimen", help="DRd (myeloma) or R2 (FL)")] = "DRd",
    years: Annotated[float, typer.Option("--years", help="simulated years")] = 2.0,
    rr_sample: Annotated[int, typer.Option(
        "--rr-sample", help="patients also run in libRoadRunner (0: skip)")] = 20,
    seed: Annotated[int, typer.Option("--seed", help="population seed")] = 0,
    scheduler: Annotated[str, typer.Option(
        "--scheduler", help=f"{SCHEDULER_HELP}; with none, numba runs threads on every core")]
    = "local",
    rr_reference: Annotated[int, typer.Option(
        "--rr-reference", help="patients of the libRoadRunner sample also run, untimed, at "
        "100x tighter tolerances to tell whose error a disagreement is (0: skip)")] = 5,
) -> None:
    """Time a regimen's fixed-dose schedule for N virtual patients in imidsim and a sample in
    libRoadRunner on the exported SBML, side by side, and report their agreement."""
    from imidsim.bench import BENCH_REGIMENS, run_bench

    if patients < 1 or repeats < 1 or rr_sample < 0 or rr_reference < 0:
        raise InputError("--patients/--repeats/--rr-sample/--rr-reference: expected positive "
                         "whole numbers (--rr-sample and --rr-reference may be 0)")
    if not 0 < years <= 10:
        raise InputError(f"--years: {years} is not valid; expected more than 0 and at most 10")
    if regimen not in BENCH_REGIMENS:
        raise InputError(f"--regimen: '{regimen}' is not valid; expected one of "
                         f"{', '.join(BENCH_REGIMENS)}")
    check_scheduler(scheduler)
    res = run_bench(n_patients=patients, repeats=repeats, regimen=regimen, years=years,
                    rr_sample=rr_sample, seed=seed, scheduler=scheduler, show_progress=True,
                    rr_reference=rr_reference)
    if as_json:
        print(json.dumps(res, indent=2))
        return
    for k, v in res.items():
        console.print(f"{k}: {v}")


def main() -> None:
    """Entry point: run the app, turning every input error into one line on stderr."""
    try:
        app(standalone_mode=False)
    except (ImidsimError, ValueError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except TyperException as exc:  # usage errors: bad option value, missing argument, ...
        if type(exc).__name__ == "NoArgsIsHelpError":
            sys.exit(0)
        msg = exc.format_message().replace("\n", " ")
        print(f"error: {msg}", file=sys.stderr)
        sys.exit(2)
    except (typer.Abort, KeyboardInterrupt):
        print("error: interrupted; nothing was written", file=sys.stderr)
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
