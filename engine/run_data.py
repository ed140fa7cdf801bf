"""What every report writer reads: one run's outcomes, evidence, patients and specs.

Report writers (clinic worklists, the HTML audit, FHIR, validation samples) take a
:class:`RunData` and never re-run NLP or measure logic. ``qae run`` builds one in memory;
``qae report --run DIR`` and ``qae sample --run DIR`` load it from a run folder
(``qae.run_folder.load_run``).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.calculator import MeasureOutcome
from engine.periods import MeasurementPeriod
from engine.records import Encounter, Evidence, Patient
from engine.spec import MeasureSpec
from engine.tally import Tally, tally

__all__ = ["RunData"]


@dataclass(frozen=True)
class RunData:
    """One run, as the report writers see it (all orderings deterministic)."""

    job: str
    period: MeasurementPeriod
    specs: Mapping[str, MeasureSpec]  # measure id -> spec (the measures the run calculated)
    patients: Mapping[str, Patient]  # patient id -> patient
    outcomes: Sequence[MeasureOutcome]  # sorted by (measure id, patient id, group, episode)
    evidence: Mapping[str, Evidence]  # evidence id -> item (note and structured evidence)
    encounters: Sequence[Encounter] = ()
    versions: Mapping[str, Any] = field(default_factory=dict)  # manifest "versions"
    warnings: Sequence[str] = ()  # what a reader must know before trusting the run (an empty input ...)
    # patients per page of a clinic's HTML audit (the config's reports.audit_page_patients, recorded in the
    # run's manifest); None: QAE_AUDIT_PAGE_PATIENTS, else 500 (engine.audit_html.page_patients)
    audit_page_patients: int | None = None

    @functools.cached_property
    def tally(self) -> Tally:
        """The outcomes' counts per clinic, provider, measure and group (engine/tally.py: one pass that the
        report summaries share), taken the first time a report asks."""
        return tally(self.outcomes, self.patients)

    def evidence_for(self, ids: Sequence[str]) -> list[Evidence]:
        """The evidence items behind a list of ids (encounter ids and unknown ids are skipped)."""
        return [self.evidence[i] for i in ids if i in self.evidence]
