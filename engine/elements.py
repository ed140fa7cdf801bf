"""The element vocabulary as data: ``measures/elements.yaml`` -> validated :class:`Vocabulary`.

Every evidence element qae knows has one entry (its kind, whether an undated mention holds on
the visit's date, whether a plan or order is itself the evidence, where it may come from, and
a one-line description). Measure specs, structured input, the note pipeline and evaluation
check element names against it; :func:`unknown_element_message` says what was wrong and lists
the valid ids, with the closest one first.

Usage::

    vocab = load_vocabulary()          # cached; the shipped file
    vocab["colonoscopy"].kind          # "procedure"
    vocab.check("colonscopy")          # ValueError: unknown element 'colonscopy' (did you mean ...
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from engine.errors import VocabularyError

__all__ = [
    "Element",
    "ElementKind",
    "Vocabulary",
    "default_vocabulary_path",
    "element_ids",
    "load_vocabulary",
    "unknown_element_message",
]

ElementKind = Literal["procedure", "result", "condition", "status", "vaccine", "process", "medication"]


class Element(BaseModel):
    """One evidence element (see the header of measures/elements.yaml for the fields)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kind: ElementKind
    dated_by_visit: bool
    plan_or_order_counts: tuple[Literal["ordered", "planned"], ...] = ()
    visit_dated_in_notes: bool = False
    scored_at_visit: bool = False
    never_family: bool = False
    planned_in_plan_section: bool = False
    never_dated_in_notes: bool = False
    household_in_child_notes: bool = False
    note_title: str = ""
    value_parser: str = Field(default="", pattern=r"^([a-z][a-z0-9_]*)?$")
    adolescent_element: str = ""
    shares_sample_with: str = ""
    sources: Literal["notes", "structured", "both"]
    guideline: bool = False
    value: str = ""
    description: str = Field(min_length=1)

    @field_validator("note_title")
    @classmethod
    def _title_compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression ({exc})") from None
        return value

    @property
    def title_pattern(self) -> re.Pattern[str] | None:
        """``note_title`` compiled (case-insensitive), or None."""
        return re.compile(self.note_title, re.IGNORECASE) if self.note_title else None

    @property
    def from_notes(self) -> bool:
        return self.sources in ("notes", "both")

    @property
    def from_structured(self) -> bool:
        return self.sources in ("structured", "both")


class Vocabulary:
    """The elements by id, in file order."""

    def __init__(self, elements: list[Element], path: Path | None = None) -> None:
        self.path = path
        self.elements: dict[str, Element] = {e.id: e for e in elements}
        self.ids: tuple[str, ...] = tuple(self.elements)
        self._dated_by_visit = frozenset(e.id for e in elements if e.dated_by_visit)

    def __contains__(self, element: object) -> bool:
        return element in self.elements

    def __getitem__(self, element: str) -> Element:
        try:
            return self.elements[element]
        except KeyError:
            raise KeyError(unknown_element_message(element, self.ids)) from None

    def __iter__(self) -> Iterator[Element]:
        return iter(self.elements.values())

    def __len__(self) -> int:
        return len(self.elements)

    def check(self, element: str) -> str:
        """``element`` if known; ValueError with the valid ids otherwise (usable in pydantic)."""
        if element not in self.elements:
            raise ValueError(unknown_element_message(element, self.ids))
        return element

    def dated_by_visit(self, element: str) -> bool:
        return element in self._dated_by_visit

    @classmethod
    def from_file(cls, path: Path) -> Vocabulary:
        """Read and validate a vocabulary file; VocabularyError names the file, entry and field."""
        name = path.name
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise VocabularyError(f"{name}: cannot read the element vocabulary ({exc.strerror}).") from None
        except yaml.YAMLError as exc:
            raise VocabularyError(f"{name}: not valid YAML ({exc})".replace("\n", " ")) from None
        if not isinstance(raw, dict) or not isinstance(raw.get("elements"), list):
            raise VocabularyError(f"{name}: must be a mapping with an 'elements' list (one entry per element).")
        elements: list[Element] = []
        seen: set[str] = set()
        for n, entry in enumerate(raw["elements"], start=1):
            label = f"entry '{entry.get('id')}'" if isinstance(entry, dict) and entry.get("id") else f"entry #{n}"
            try:
                element = Element.model_validate(entry)
            except ValidationError as exc:
                err = exc.errors()[0]
                where = ".".join(str(p) for p in err["loc"]) or "(entry)"
                allowed = (f"; fields: {', '.join(Element.model_fields)}"
                           if err["type"] == "extra_forbidden" else "")
                raise VocabularyError(f"{name}: {label}, field '{where}': {err['msg']}{allowed}") from None
            if element.id in seen:
                raise VocabularyError(f"{name}: element '{element.id}' is listed twice; ids must be unique.")
            seen.add(element.id)
            elements.append(element)
        for element in elements:  # references to other entries
            for field in ("adolescent_element", "shares_sample_with"):
                other = getattr(element, field)
                if other and other not in seen:
                    raise VocabularyError(f"{name}: entry '{element.id}', field '{field}': "
                                          f"{unknown_element_message(other, sorted(seen))}")
        return cls(elements, path)


def default_vocabulary_path() -> Path:
    import measures

    return Path(measures.__file__).parent / "elements.yaml"


@lru_cache(maxsize=8)
def _load(path: Path) -> Vocabulary:
    return Vocabulary.from_file(path)


_SHIPPED: list[Vocabulary] = []


def load_vocabulary(path: Path | None = None) -> Vocabulary:
    """The vocabulary of ``path`` (default: the shipped measures/elements.yaml), cached."""
    if path is None:
        if not _SHIPPED:  # the engine asks for it per evidence item: keep the lookup cheap
            _SHIPPED.append(_load(default_vocabulary_path()))
        return _SHIPPED[0]
    return _load(Path(path))


def element_ids() -> frozenset[str]:
    return frozenset(load_vocabulary().ids)


def unknown_element_message(element: str, valid: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(str(element), list(valid), n=1, cutoff=0.75)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return (f"unknown element '{element}'{hint}; valid elements: {', '.join(sorted(valid))} "
            "(measures/elements.yaml)")
