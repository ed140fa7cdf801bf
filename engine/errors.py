"""The project's exception tree, in one dependency-free module (no NLP, Ray or CLI imports).

Every error qae raises on purpose derives from :class:`QaeError`. Two kinds sit below it:
errors a user can fix (a file, a config, a spec, an id) and errors that mean a bug::

    QaeError
    ├── UserError                       the user can fix it; the CLI prints one line, exit code 2
    │   ├── ConfigError                 the job config is missing, unreadable or invalid (qae.config)
    │   ├── PipelineOptionError(ValueError)
    │   │                               a ``pipeline:`` option the NLP pipeline does not know
    │   ├── InputError                  a whole input file is unusable: missing, unknown format,
    │   │                               missing columns (bad *records* go to the quarantine instead)
    │   ├── SpecError(ValueError)       a measures/*.yaml file is invalid; names file and field
    │   ├── VocabularyError(ValueError) measures/elements.yaml (the element vocabulary) is invalid
    │   ├── UnknownMeasureError(KeyError)
    │   │                               a measure id or alias asked for is not in the loaded specs
    │   ├── UnknownCriterionError(KeyError)
    │   │                               a spec names a criteria function (``rule:``) nobody registered
    │   ├── RuleFileError(ValueError)   a pipelines/resources rule file is malformed
    │   ├── ConformanceError            a CMS test-deck folder cannot be used
    │   ├── ReportFormatError           a report format (qae report --format) with no writer
    │   └── RayConnectionError(ConnectionError)
    │                                   the Ray cluster given by --ray-address cannot be joined
    └── InternalError                   a bug in qae: please report it with the traceback
        ├── RegistryError               two criteria functions registered under one name
        └── EvidenceError(ValueError)   an evidence value a criteria function cannot read

Messages say what was wrong, where, and what to do, listing the valid options where there
are some (spaCy's E002 style). A problem in one patient's data that the engine can work
around is a review flag on the outcome, not an error; a bad input record goes to the
quarantine with its reason.

Warnings (``QaeWarning``, a ``UserWarning``) report what works but should change, e.g. a
deprecated measure id (``DeprecatedMeasureWarning``); the CLI prints them as one line each.

``EngineError`` is kept as another name of ``QaeError`` for code written against the
engine's first error module.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "ConfigError",
    "DeprecatedMeasureWarning",
    "ConformanceError",
    "EngineError",
    "EvidenceError",
    "InputError",
    "InternalError",
    "PipelineOptionError",
    "QaeError",
    "QaeWarning",
    "RayConnectionError",
    "RegistryError",
    "ReportFormatError",
    "RuleFileError",
    "SpecError",
    "UnknownCriterionError",
    "UnknownMeasureError",
    "UserError",
    "VocabularyError",
]


class QaeError(Exception):
    """Root of every error qae raises on purpose."""


EngineError = QaeError


class UserError(QaeError):
    """Something the user can fix: the CLI prints the first line of the message and exits 2."""


class InternalError(QaeError):
    """A bug in qae (a broken invariant), not a problem with the user's files."""


# --------------------------------------------------------------------------- user errors


class ConfigError(UserError):
    """The job configuration is missing, unreadable or invalid."""


class PipelineOptionError(UserError, ValueError):
    """A ``pipeline:`` option (config or ``build_nlp``) the pipeline does not know or accept."""


class InputError(UserError):
    """A whole input file cannot be used (missing, unknown format, missing columns).

    Record-level problems never raise: they go to the quarantine.
    """


class SpecError(UserError, ValueError):
    """A measure spec file is invalid. The message names the file and the field."""

    def __init__(self, message: str, *, file: str | None = None, field: str | None = None) -> None:
        self.file = file
        self.field = field
        where = " ".join(
            part for part in (f"{file}:" if file else "", f"field '{field}':" if field else "") if part
        )
        super().__init__(f"{where} {message}".strip())


class VocabularyError(UserError, ValueError):
    """The element vocabulary (measures/elements.yaml) is unreadable or invalid."""


class UnknownMeasureError(UserError, KeyError):
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


class UnknownCriterionError(UserError, KeyError):
    """A spec references a criteria function that is not registered."""

    def __init__(self, name: str, valid: Iterable[str]) -> None:
        self.name = name
        self.valid = sorted(valid)
        super().__init__(name)

    def __str__(self) -> str:
        return f"Unknown criteria rule '{self.name}'; registered rules: {', '.join(self.valid)}."


class RuleFileError(UserError, ValueError):
    """A pipeline rule file is malformed: the message names the file, the entry and the fix."""


class ConformanceError(UserError):
    """The deck directory cannot be used (a table missing, a column missing, a bad value)."""


class ReportFormatError(UserError):
    """A report format that no writer is registered for (engine/reports.py)."""


class RayConnectionError(UserError, ConnectionError):
    """The Ray cluster given by ``--ray-address`` cannot be joined."""


# --------------------------------------------------------------------------- internal errors


class RegistryError(InternalError):
    """A criteria function name was registered twice, or is not a versioned name."""


class EvidenceError(InternalError, ValueError):
    """An evidence value could not be read by a criteria function."""


# --------------------------------------------------------------------------- warnings


class QaeWarning(UserWarning):
    """Something works but should change; the CLI prints ``warning: <message>``."""


class DeprecatedMeasureWarning(QaeWarning):
    """A measure id that is kept as an alias of its replacement (PNEU, FLU -> AIS-E)."""
