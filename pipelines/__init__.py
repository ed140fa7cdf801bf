"""Rule-based clinical NLP: notes -> Evidence with exact spans (spaCy + medspaCy).

Public API: ``build_nlp`` (pipelines.build), ``extract_note`` / ``extract_notes``
(pipelines.extract) and ``PIPELINE_VERSION``, which changes whenever a rule file does.

``extract_note(nlp, note, include_supplemental=False)`` / ``extract_notes(..., include_supplemental=False)``
return the 27 guideline elements (``pipelines.extract.GUIDELINE_ELEMENTS``); with
``include_supplemental=True`` also the elements the measures need beyond them
(``SUPPLEMENTAL_ELEMENTS``: tobacco cessation counseling / medication, depression follow-up,
Td/Tdap and zoster vaccines).
"""

from __future__ import annotations

from .rules import rules_digest

__all__ = ["PIPELINE_VERSION"]

PIPELINE_VERSION: str = f"0.1.0+rules.{rules_digest()}"
