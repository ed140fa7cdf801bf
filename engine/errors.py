"""Errors raised by the measure engine.

Hierarchy::

    EngineError                      base of everything the engine raises on purpose
    ├── SpecError(ValueError)        a measures/*.yaml file is unreadable or invalid; names the file
    │                                and the field, and lists the valid options where there are some
    ├── UnknownMeasureError(KeyError)a measure id or alias asked for is not in the loaded specs
    ├── UnknownCriterionError        a spec names a criteria function (``rule:``) nobody registered
    ├── RegistryError                two criteria functions registered under the same name
    └── EvidenceError(ValueError)    an evidence value cannot be read by a value rule (e.g. a
                                     blood pressure that is not ``sys/dia``)

Errors are for the programmer or the measure author: a problem in one patient's data that
the engine can work around is reported as a review flag on the outcome instead.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "EngineError",
    "EvidenceError",
    "RegistryError",
    "SpecError",
    "UnknownCriterionError",
    "UnknownMeasureError",
]


class EngineError(Exception):
    """Base class for errors raised by the engine."""


class SpecError(EngineError, ValueError):
    """A measure spec file is invalid. The message names the file and the field."""

    def __init__(self, message: str, *, file: str | None = None, field: str | None = None) -> None:
        self.file = file
        self.field = field
        where = " ".join(
            part for part in (f"{file}:" if file else "", f"field '{field}':" if field else "") if part
        )
        super().__init__(f"{where} {message}".strip())


class UnknownMeasureError(EngineError, KeyError):
    """A measure id or alias that no loaded spec carries."""

    def __init__(self, requested: str, valid: Iterable[str]) -> None:
        self.requested = requested
        self.valid = sorted(valid)
        super().__init__(requested)

    def __str__(self) -> str:
        return (
            f"Unknown measure '{self.requested}'. Use a measure id or alias (case-insensitive); "
            f"valid ids: {', '.join(self.valid)}. Run `qae measures` to list them with their aliases."
        )


class UnknownCriterionError(EngineError, KeyError):
    """A spec references a criteria function that is not registered."""

    def __init__(self, name: str, valid: Iterable[str]) -> None:
        self.name = name
        self.valid = sorted(valid)
        super().__init__(name)

    def __str__(self) -> str:
        return f"Unknown criteria rule '{self.name}'; registered rules: {', '.join(self.valid)}."


class RegistryError(EngineError):
    """A criteria function name was registered twice."""


class EvidenceError(EngineError, ValueError):
    """An evidence value could not be read by a value rule."""
