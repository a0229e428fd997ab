"""Trial endpoints of one patient: which assessments count for best response (issue 5)."""

from __future__ import annotations

import numpy as np
import pytest

from imidsim.trials.endpoints import best_confirmed, patient_endpoints

DAYS = np.arange(0.0, 281.0, 28.0)  # baseline and 10 monthly assessments


def test_imwg_response_needs_two_consecutive_assessments() -> None:
    """IMWG 2016: a PR seen at one assessment only is not a response; two in a row is."""
    single = np.array([1.0, 0.9, 0.45, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9])
    twice = np.array([1.0, 0.9, 0.45, 0.45, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9])
    assert patient_endpoints("mprotein", DAYS, single, 28.0, 280.0)[0] == "SD"
    assert patient_endpoints("mprotein", DAYS, twice, 28.0, 280.0)[0] == "PR"


def test_confirmed_category_is_the_worse_of_consecutive_assessments() -> None:
    assert best_confirmed("mprotein", ["PR", "VGPR", "CR", "VGPR"]) == "VGPR"
    assert best_confirmed("mprotein", ["CR"]) == "SD"
    assert best_confirmed("spd", ["SD", "CR", "PR"]) == "CR"  # Lugano: one assessment
    assert best_confirmed("spd", []) == "SD"


def test_response_after_dropout_or_progression_does_not_count() -> None:
    """Only assessments before the patient leaves the study (or progresses) count."""
    late = np.array([1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.3, 0.3, 0.3, 0.3, 0.3])
    best, pfs, event = patient_endpoints("mprotein", DAYS, late, 28.0, 100.0)
    assert best == "SD" and not event and pfs == pytest.approx(100.0 / 30.4375)
    assert patient_endpoints("mprotein", DAYS, late, 28.0, 280.0)[0] == "PR"
    # progression at day 84 (+0.9 g/dL over a 1.0 nadir), a later 'response' is not counted
    relapse = np.array([1.0, 1.0, 1.0, 1.9, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4])
    best, pfs, event = patient_endpoints("mprotein", DAYS, relapse, 28.0, 280.0)
    assert event and pfs == pytest.approx(84.0 / 30.4375)
    assert best == "PD"


def test_lymphoma_response_counts_at_a_single_assessment() -> None:
    spd = np.array([50.0, 20.0, 60.0, 60.0, 60.0, 60.0, 60.0, 60.0, 60.0, 60.0, 60.0])
    best, _, event = patient_endpoints("spd", DAYS, spd, 28.0, 280.0)
    assert best == "PR" and event


def test_response_at_a_time_point_reads_one_assessment() -> None:
    """GALEN-style 'response at the end of induction' (day 168 here): the category at the first
    assessment on or after the day, not the best one; progression before it is PD and leaving
    the study before it is NE (a non-responder)."""
    # Lugano, assessments every 28 days: a PR at day 56 that has faded to SD by day 168
    faded = np.array([50.0, 30.0, 20.0, 26.0, 28.0, 28.0, 28.0, 28.0, 28.0, 28.0, 28.0])
    assert patient_endpoints("spd", DAYS, faded, 28.0, 280.0)[0] == "PR"
    assert patient_endpoints("spd", DAYS, faded, 28.0, 280.0, 168.0)[0] == "SD"
    # a slow responder: SD until day 140, PR at day 168 and CR later
    slow = np.array([50.0, 45.0, 40.0, 35.0, 30.0, 28.0, 20.0, 10.0, 1.0, 1.0, 1.0])
    assert patient_endpoints("spd", DAYS, slow, 28.0, 280.0, 168.0)[0] == "PR"
    assert patient_endpoints("spd", DAYS, slow, 28.0, 280.0, 160.0)[0] == "PR"  # next one
    assert patient_endpoints("spd", DAYS, slow, 28.0, 280.0)[0] == "CR"
    # left the study at day 150: not evaluable at day 168, whatever came before
    best, _, event = patient_endpoints("spd", DAYS, faded, 28.0, 150.0, 168.0)
    assert best == "NE" and not event
    # progressed at day 84 (+50 % over the nadir): PD at day 168, PFS unchanged
    relapse = np.array([50.0, 20.0, 40.0, 40.0, 40.0, 40.0, 40.0, 40.0, 40.0, 40.0, 40.0])
    best, pfs, event = patient_endpoints("spd", DAYS, relapse, 28.0, 280.0, 168.0)
    assert (best, event) == ("PD", True) and pfs == pytest.approx(56.0 / 30.4375)
    # IMWG: the response at the time point still needs the next assessment to confirm it
    mprot = np.array([1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.4, 0.4, 0.9, 0.9, 0.9])
    assert patient_endpoints("mprotein", DAYS, mprot, 28.0, 280.0, 168.0)[0] == "PR"
    assert patient_endpoints("mprotein", DAYS, mprot, 28.0, 280.0, 196.0)[0] == "SD"
