"""Trial outputs: side-by-side table, Kaplan-Meier PNG and a static HTML report."""

from __future__ import annotations

import html
import json
from pathlib import Path

from lifelines import KaplanMeierFitter

from imidsim.trials.population import ENTRY_CRITERIA, entry_window, population
from imidsim.trials.runner import TrialResult


def side_by_side(result: TrialResult) -> list[dict[str, object]]:
    """Rows: arm, quantity, simulated, published (where the spec gives one)."""
    rows = []
    for arm, spec_arm in zip(result.arms, result.spec.arms, strict=True):
        s = arm.summary()
        pub = spec_arm.published.model_dump()
        for key in ("orr_pct", "cr_pct", "median_pfs_months", "grade34_neutropenia_pct",
                    "grade34_thrombocytopenia_pct"):
            rows.append({"arm": arm.name, "quantity": key, "simulated": s.get(key),
                         "published": pub.get(key)})
    for c, spec_c in zip(result.comparisons, result.spec.comparisons, strict=True):
        rows.append({"arm": f"{c['experimental']} vs {c['control']}", "quantity": "pfs_hr",
                     "simulated": c["hr"], "published": spec_c.hr,
                     "simulated_ci": c["hr_ci"], "published_ci": spec_c.hr_ci})
    return rows


def enrolment(result: TrialResult) -> str:
    """Who was enrolled and how they were followed, in one sentence (the entry window is the
    population's, narrowed by the spec's criteria, by the names a protocol uses)."""
    spec = result.spec
    pop = population(spec.population)
    names = {col: name for name, col in ENTRY_CRITERIA.items()}
    window = []
    for col, (lo, hi) in entry_window(pop, spec.eligibility).items():
        name = names.get(col, col)
        window.append(f"{name} >= {lo:g}" if hi is None else f"{name} <= {hi:g}"
                      if lo is None else f"{lo:g} <= {name} <= {hi:g}")
    n = ", ".join(f"{a.name} {a.n}" for a in result.arms)
    return (f"Population {pop.name} ({pop.label}); entry: {'; '.join(window) or 'none'}. "
            f"Patients per arm: {n}. Follow-up {spec.follow_up_months:g} months, dropout "
            f"{spec.dropout_per_year:g}/year, assessments every "
            f"{spec.assessment_interval_days:g} days.")


def arm_outcomes(result: TrialResult) -> list[str]:
    """One line per arm: best responses by category and the spread of progression times (the
    10th/50th/90th percentile among patients who progressed), to see *how* an arm reaches its
    ORR and median (e.g. progressions clustered in a narrow window)."""
    lines = []
    for arm in result.arms:
        best = ", ".join(f"{c} {k}" for c, k in arm.best_counts().items())
        pct = arm.progression_percentiles()
        prog = ("no progression" if pct is None else
                f"{int(arm.event.sum())} progressions at months {pct['p10']:.1f} / "
                f"{pct['p50']:.1f} / {pct['p90']:.1f} (10th / 50th / 90th percentile)")
        day = result.spec.response_at_day
        what = "best response" if day is None else f"response at day {day:g}"
        lines.append(f"{arm.name} (n={arm.n}): {what} {best}; {prog}")
    return lines


def km_plot(result: TrialResult, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for arm in result.arms:
        KaplanMeierFitter(label=f"{arm.name} (n={arm.n})").fit(
            arm.pfs_months, arm.event).plot_survival_function(ax=ax, ci_show=True)
    ax.set_xlabel("months")
    ax.set_ylabel("progression-free")
    ax.set_title(f"{result.spec.name}: simulated progression-free survival")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(result: TrialResult, out_dir: str | Path) -> dict[str, str]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    km = out / "kaplan_meier.png"
    km_plot(result, km)
    (out / "trial.json").write_text(json.dumps(result.as_dict(), indent=2) + "\n")
    rows = side_by_side(result)
    cells = "".join(
        f"<tr><td>{html.escape(str(r['arm']))}</td><td>{r['quantity']}</td>"
        f"<td>{r['simulated']}</td>"
        f"<td>{'' if r['published'] is None else r['published']}</td></tr>"
        for r in rows)
    title = html.escape(result.spec.name)
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>{title}"
            f"</title></head><body><h1>{html.escape(result.spec.name)}</h1>"
            f"<p>seed {result.seed}; sources: {html.escape(', '.join(result.spec.source))}</p>"
            f"<p>{html.escape(enrolment(result))}</p>"
            f"<ul>{''.join(f'<li>{html.escape(x)}</li>' for x in arm_outcomes(result))}</ul>"
            f"<table border='1'><tr><th>arm</th><th>quantity</th><th>simulated</th>"
            f"<th>published</th></tr>{cells}</table><img src='kaplan_meier.png'></body></html>")
    (out / "report.html").write_text(page)
    return {"report": str(out / "report.html"), "kaplan_meier": str(km),
            "json": str(out / "trial.json")}
