"""When a gap must be closed, and how long a closed gap stays closed: derived from the spec's windows.

* **Due date** (open gaps): the last day in the measurement period by which the service still
  closes the gap. It is read off the numerator's criteria, not written per measure: a criterion
  with a ``window`` is due by the window's last day (COL-E: the end of the MP; DSF-E screening:
  December 1; AIS-E influenza: June 30; TRC: the discharge date + 30 days, the window being
  relative to the episode); a follow-up criterion (``followup_days``, DSF-E rate 2) is due
  ``followup_days`` after the screen it follows; ``any`` of several criteria is due by the latest
  of them, ``all`` by the earliest of those not met yet; a criterion without a window (the eye
  exam) is due by the end of the MP. The date is never after the MP's end.

* **Valid through** (gaps the numerator closed): the last day of the last measurement period in
  which the patient's evidence still closes the gap. The numerator is evaluated again, with the
  same evidence, for the measurement periods that follow (the same dates one, two, ... years
  later): a colonoscopy in 2018 closes COL-E through 2027-12-31 (the window of MP 2027 starts on
  2018-01-01); a FIT in April 2026 through 2026-12-31; a mammogram in November 2025 through
  2027-12-31 (MP 2027 looks back to October 1, 2025). For inverse measures "closed" means the
  numerator (poor control) is not met. ``None``: the gap is open or excluded, the measure counts
  episodes (a new discharge is a new row), or the evidence still counts :data:`HORIZON_YEARS`
  years on (a completed zoster series).

* **Prospective gap** (DEQM ``prospective-gap``): a closed gap that, with the evidence known
  today, is open when the whole group is evaluated for the next measurement period (the patient is
  still in its denominator, e.g. not aged out, and the evidence no longer counts). Visits that have
  not happened cannot be known, so the patient is assumed to keep this period's visits one year on
  (engine/calculator.py): an eCQM patient seen this year stays in its initial population, while a
  group that needs an event of the period itself (DSF-E follow-up of a positive screen, a current
  tobacco user's cessation help) has no prospective gap.

Assumption, stated: a numerator that stops being met as the period moves forward does not become
met again later with the same evidence (windows only move forward); the search gallops and then
bisects on that assumption.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from engine.criteria import Criterion, CriterionResult, PatientContext, evaluate
from engine.criteria.dating import day_of
from engine.periods import MeasurementPeriod, Window
from engine.populations import PopulationFlags, apply_precedence, gap_open

__all__ = ["HORIZON_YEARS", "criterion_due", "due_date", "next_period", "one_year_on", "shift_period",
           "valid_through"]

HORIZON_YEARS = 16


def shift_period(period: MeasurementPeriod, years: int) -> MeasurementPeriod:
    """The measurement period ``years`` later (same dates)."""
    if years == 0:
        return period
    return MeasurementPeriod(period.start + relativedelta(years=years), period.end + relativedelta(years=years))


def one_year_on(day: date) -> date:
    return day + relativedelta(years=1)


def next_period(period: MeasurementPeriod) -> MeasurementPeriod:
    return shift_period(period, 1)


def _rule_due(node: Criterion, ctx: PatientContext) -> date | None:
    params = node.params
    followup = getattr(params, "followup_days", None)
    if followup is not None and getattr(params, "require", None) == "followed_up":
        anchor = evaluate(node, ctx).evidence_ids  # the positive screen the follow-up answers
        items = ctx.items(getattr(params, "screen_elements", ()))
        screen = next((ev for ev in items if anchor and ev.evidence_id == anchor[0]), None)
        day = day_of(screen, getattr(params, "date_fallback", "element")) if screen is not None else None
        if day is not None:
            return day + timedelta(days=followup)
    window = getattr(params, "window", None)
    if isinstance(window, Window):
        return ctx.window(window).end
    return None


def criterion_due(node: Criterion, ctx: PatientContext) -> date | None:
    """The last day a service closes ``node`` for this patient (None: no window says; the MP end)."""
    if node.op == "rule":
        return _rule_due(node, ctx)
    if node.op == "not":
        return None
    if node.op == "any":
        found = [criterion_due(child, ctx) for child in node.children]
        return None if any(d is None for d in found) else max(d for d in found if d is not None)
    pending = [child for child in node.children if not evaluate(child, ctx).met] or list(node.children)
    found = [d for d in (criterion_due(child, ctx) for child in pending) if d is not None]
    return min(found) if found else None


def due_date(numer: Criterion, ctx: PatientContext) -> date:
    """The due date of an open gap (see the module docstring); never after the MP's end."""
    found = criterion_due(numer, ctx)
    return ctx.period.end if found is None else min(found, ctx.period.end)


def _closed(numer: Criterion, numex: Criterion | None, ctx: PatientContext, inverse: bool) -> bool:
    n: CriterionResult = evaluate(numer, ctx)
    x = evaluate(numex, ctx).met if numex is not None and n.met else False
    flags = apply_precedence(PopulationFlags(ipp=True, denom=True, numer=n.met, numex=x))
    return not gap_open(flags, inverse=inverse)


def valid_through(numer: Criterion, numex: Criterion | None, ctx: PatientContext, inverse: bool) -> date | None:
    """The last day the evidence keeps the numerator's gap closed (``ctx``: the patient now, gap
    closed); None when it still holds :data:`HORIZON_YEARS` periods on."""
    period = ctx.period

    def closed_in(years: int) -> bool:
        return _closed(numer, numex, replace(ctx, period=shift_period(period, years)), inverse)

    last_closed, step, first_open = 0, 1, 0
    while step <= HORIZON_YEARS:  # gallop: 1, 2, 4, 8, 16 periods on
        if not closed_in(step):
            first_open = step
            break
        last_closed, step = step, step * 2
    if not first_open:
        return None
    while first_open - last_closed > 1:  # bisect between a closed and an open period
        mid = (first_open + last_closed) // 2
        if closed_in(mid):
            last_closed = mid
        else:
            first_open = mid
    return shift_period(period, last_closed).end
