"""Trial endpoints from simulated readouts: best response, PFS, toxicity; KM and Cox via lifelines.

Response uses the readout-only criteria of :mod:`imidsim.response` at each scheduled
assessment. Progression is the first assessment meeting the progression rule (IMWG: +25% and
+0.5 g/dL over the nadir; Lugano/iwCLL: +50%); a patient without progression is censored at
the earlier of the end of follow-up and a random dropout time. Death without progression is
not modelled (PFS here is time to progression).

Best response counts only the assessments a trial would have: after baseline, before
progression and not after the patient left the study (a response reached after dropout is
not the trial's). IMWG requires every response category to be confirmed by two consecutive
assessments (Kumar et al., Lancet Oncol 2016): a patient's myeloma response at an assessment is
the worse of that assessment and the next one. Lugano needs no confirmation (a single
assessment); iwCLL's two-month persistence is not applied (the CLL specs assess every 3 months).

A trial whose primary response is read at one time point (GALEN: "overall response at the end
of induction") sets ``response_at_day``: the response is then the category at the first
scheduled assessment on or after that day (confirmed as above), ``PD`` for a patient who
progressed by then and ``NE`` (not evaluable: a non-responder) for one who left the study
before it. The ``best_response`` column and counts then hold that response.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from lifelines import CoxPHFitter, KaplanMeierFitter

from imidsim.response import ORDER, categorise, progression_index
from imidsim.toxicity import worst_grade

DAYS_PER_MONTH = 30.4375


@dataclass
class ArmEndpoints:
    name: str
    best: list[str]
    pfs_months: np.ndarray
    event: np.ndarray
    anc_grade: np.ndarray
    plt_grade: np.ndarray

    @property
    def n(self) -> int:
        return len(self.best)

    def rate(self, cats: tuple[str, ...]) -> float:
        return 100.0 * float(np.mean([b in cats for b in self.best]))

    def median_pfs(self) -> float | None:
        km = KaplanMeierFitter().fit(self.pfs_months, self.event)
        med = km.median_survival_time_
        return None if not np.isfinite(med) else float(med)

    def summary(self) -> dict[str, object]:
        return {"name": self.name, "n": self.n,
                "orr_pct": round(self.rate(("CR", "VGPR", "PR")), 2),
                "cr_pct": round(self.rate(("CR",)), 2),
                "vgpr_or_better_pct": round(self.rate(("CR", "VGPR")), 2),
                "median_pfs_months": self.median_pfs(),
                "grade34_neutropenia_pct": round(100.0 * float(np.mean(self.anc_grade >= 3)), 2),
                "grade34_thrombocytopenia_pct": round(100.0 * float(np.mean(self.plt_grade >= 3)),
                                                      2),
                "progression_events": int(self.event.sum()),
                "best_response_counts": self.best_counts(),
                "progression_month_percentiles": self.progression_percentiles()}

    def best_counts(self) -> dict[str, int]:
        """Patients per best-response category, best first (categories nobody reached left
        out)."""
        counts = {c: sum(b == c for b in self.best) for c in CATEGORIES}
        return {c: k for c, k in counts.items() if k}

    def progression_percentiles(self) -> dict[str, float] | None:
        """10th, 50th and 90th percentile of the progression times (months) of the patients who
        progressed: how spread out the events are, which a median alone does not show (not a
        Kaplan-Meier estimate: censored patients are not in it). None without events."""
        times = self.pfs_months[self.event]
        if times.size == 0:
            return None
        p10, p50, p90 = np.percentile(times, [10, 50, 90])
        return {"p10": round(float(p10), 2), "p50": round(float(p50), 2),
                "p90": round(float(p90), 2)}


CONFIRMATIONS = {"mprotein": 2}  # consecutive assessments a response must hold (IMWG 2016)
CATEGORIES = (*ORDER, "NE")  # NE: left the study before a fixed-time response assessment


def best_confirmed(kind: str, cats: list[str]) -> str:
    """Best response over assessment categories ``cats`` (in time order), each response held
    for the criteria's number of consecutive assessments (a shorter run counts as SD)."""
    k = CONFIRMATIONS.get(kind, 1)
    held = [max(cats[j:j + k], key=ORDER.index) for j in range(len(cats) - k + 1)]
    return min(held, key=ORDER.index) if held else "SD"


def response_at(kind: str, times: np.ndarray, cats: list[str], i_prog: int | None,
                censor_day: float, day: float) -> str:
    """Response at the first assessment on or after ``day`` (``times``/``cats`` from baseline
    on): PD if progression came at or before it, NE if the patient left the study first or no
    assessment is that late."""
    j = int(np.searchsorted(times, day - 1e-9))
    if i_prog is not None and i_prog <= j and times[i_prog] <= censor_day:
        return "PD"
    if j >= len(times) or times[j] > censor_day:
        return "NE"
    stop = len(cats) if i_prog is None else i_prog
    return best_confirmed(kind, cats[j:min(j + CONFIRMATIONS.get(kind, 1), stop)] or ["SD"])


def patient_endpoints(kind: str, t_days: np.ndarray, readout: np.ndarray,
                      assess_every_days: float, censor_day: float,
                      response_day: float | None = None) -> tuple[str, float, bool]:
    """(best response, PFS months, progressed?) for one patient's readout trajectory; with
    ``response_day`` the response at that time point (:func:`response_at`) instead of the
    best."""
    idx = np.unique(np.searchsorted(t_days, np.arange(0.0, t_days[-1] + 1e-9,
                                                      assess_every_days)))
    idx = idx[idx < len(t_days)]
    values, times = readout[idx], t_days[idx]
    base = float(values[0])
    i_prog = progression_index(kind, values)
    stop = int(np.searchsorted(times, censor_day, side="right"))
    if i_prog is not None:
        stop = min(stop, i_prog)
    cats = [categorise(kind, base, float(v)) for v in values]
    best = best_confirmed(kind, cats[1:stop]) if response_day is None else \
        response_at(kind, times, cats, i_prog, censor_day, response_day)
    if i_prog is not None and times[i_prog] <= censor_day:
        if response_day is None and best == "SD" and np.argmin(values[:i_prog]) == 0:
            best = "PD"  # progressed without ever falling below baseline
        return best, float(times[i_prog]) / DAYS_PER_MONTH, True
    return best, float(censor_day) / DAYS_PER_MONTH, False


def hazard_ratio(exp: ArmEndpoints,
                 ctrl: ArmEndpoints) -> tuple[float | None, tuple[float, float] | None]:
    """Cox hazard ratio (experimental vs control) with its 95% confidence interval.

    ``(None, None)`` when it cannot be estimated: an arm without a progression event (complete
    separation) or a fit that does not converge.
    """
    import warnings

    import pandas as pd
    from lifelines.exceptions import ConvergenceError

    if not exp.event.any() or not ctrl.event.any():
        return None, None
    df = pd.DataFrame({
        "T": np.concatenate([exp.pfs_months, ctrl.pfs_months]),
        "E": np.concatenate([exp.event, ctrl.event]).astype(int),
        "arm": np.concatenate([np.ones(exp.n), np.zeros(ctrl.n)])})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            cph = CoxPHFitter().fit(df, "T", "E")
        except ConvergenceError:
            return None, None
    hr = float(np.exp(cph.params_["arm"]))
    lo, hi = (float(np.exp(x)) for x in cph.confidence_intervals_.loc["arm"].to_numpy())
    if not all(np.isfinite([hr, lo, hi])):
        return None, None
    return hr, (lo, hi)


def grades(anc: np.ndarray, plt: np.ndarray) -> tuple[int, int]:
    return int(worst_grade(anc, "anc")), int(worst_grade(plt, "platelets"))
