"""Engine options a job may set (``engine:`` in a job config), one frozen object with its defaults.

``hedis_denominators``:

* ``with_notes_flagged`` (default): a HEDIS denominator event found only in notes (e.g.
  hypertension for CBP, diabetes for GSD/EED) still puts the patient in the denominator, with
  the review flag ``denominator_from_notes``: HEDIS takes denominators from administrative data,
  so the quality team decides whether to report such a patient.
* ``structured_only``: HEDIS denominators come from structured data alone; note evidence may
  still close gaps and support exclusions (NCQA: supplemental data supports numerators and
  exclusions, not denominator events).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

__all__ = ["DEFAULT_OPTIONS", "EngineOptions"]


class EngineOptions(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    hedis_denominators: Literal["with_notes_flagged", "structured_only"] = "with_notes_flagged"


DEFAULT_OPTIONS = EngineOptions()
