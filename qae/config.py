"""Job configuration: one YAML file (``configs/*.yaml``), validated with pydantic.

Relative paths inside a config file are resolved against the folder of that file, so a
job runs the same from any working directory. Command-line overrides are applied after
loading (relative to the working directory, as a shell user expects).

Example (``configs/demo.yaml``)::

    name: demo
    inputs:
      notes: ../data/demo/notes.jsonl
      patients: ../data/demo/patients.csv
      events: ../data/demo/events.csv        # optional structured data
      encounters: ../data/demo/encounters.csv
    measures: all                             # or a list of ids/aliases: [COL-E, CMS125]
    measurement_period: 2026                  # or {start: 2026-01-01, end: 2026-12-31}
    output: ../out/demo
    ray: {address: null, num_cpus: 2, actors: 2, batch_size: 32, max_restarts: 3, max_task_retries: 3}
    sharding: {chunk_kib: 2048, patients_per_partition: 5000, partitions: null}
    pipeline: {date_order: mdy}               # options passed to pipelines.build.build_nlp
                                              #   (date_order: mdy | dmy, how notes write 03/04/25)
    engine: {hedis_denominators: with_notes_flagged}   # or structured_only (engine/options.py)
    limits: {max_note_chars: 200000, note_seconds: 60}
    reports: all                              # or a list of formats: [csv, html] (engine/reports.py), or
                                              #   {formats: all, audit_page_patients: 200}
    validation:                               # qae evaluate: intervals and pass/fail thresholds
      thresholds: [{level: measure, metric: ppv, min: 0.95}]   # (evaluation/thresholds.py)
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from engine.errors import ConfigError, PipelineOptionError
from engine.options import EngineOptions
from evaluation.thresholds import ValidationConfig
from qae.inputs import DEFAULT_MAX_NOTE_CHARS

__all__ = ["ConfigError", "Inputs", "JobConfig", "Limits", "RayOptions", "ReportOptions", "Sharding", "load_config"]

DATE_ORDERS = ("mdy", "dmy")  # pipeline.date_order (pipelines.dates.DATE_ORDERS)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Inputs(_Strict):
    notes: Path | None = Field(None, description="a notes file, or a folder of .jsonl/.csv/.parquet shards")
    patients: Path | None = None
    events: Path | None = None
    encounters: Path | None = None


class RayOptions(_Strict):
    address: str | None = Field(None, description="Ray cluster address; null starts a local Ray")
    num_cpus: int = Field(2, ge=1, description="CPUs of the local Ray (ignored with an address)")
    actors: int = Field(2, ge=1, description="pipeline actors (each loads the NLP pipeline once)")
    batch_size: int = Field(32, ge=1, description="notes per batch sent to an actor")
    max_restarts: int = Field(3, ge=-1, description="times Ray restarts a pipeline actor whose process died "
                                                     "(-1: no limit)")
    max_task_retries: int = Field(3, ge=-1, description="times Ray retries the batch of an actor that died "
                                                         "(-1: no limit)")


class Sharding(_Strict):
    """How the work is cut: input chunks (the unit of checkpoints and resume) and patient partitions
    (the unit of measure calculation and of the run folder's Parquet files). The reports do not depend
    on these settings (the per-partition Parquet files follow the partitions); a run resumes only with the
    same ones."""

    chunk_kib: int = Field(2048, ge=1, description="size of an input chunk in KiB (Parquet: whole row groups); a "
                           "small notes input is cut into at least 8 chunks of 16 KiB or more")
    patients_per_partition: int = Field(5000, ge=1, description="patients per partition (when partitions is null; "
                                        "raised to up to 8 partitions while each keeps 500 patients)")
    partitions: int | None = Field(None, ge=1, description="a fixed number of patient partitions")


class Limits(_Strict):
    max_note_chars: int = Field(DEFAULT_MAX_NOTE_CHARS, ge=1)
    note_seconds: float = Field(60.0, ge=0, description="per-note extraction time limit in seconds; a note "
                                                        "that runs past it is quarantined (0: no limit)")


class ReportOptions(_Strict):
    """What ``qae run`` renders and how: the report formats (engine/reports.py registry; the rest can be
    rendered later with ``qae report --run OUT --format ...``) and the HTML audit's page size. Recorded in
    the run's manifest (``config.reports``): ``qae report --run`` renders with the same page size. Not
    part of the fingerprint: no effect on results."""

    formats: Literal["all"] | list[str] = Field("all", description="report formats qae run renders")
    audit_page_patients: int | None = Field(
        None, ge=1, strict=True, description="patients per page of a clinic's HTML audit (default: the "
        "QAE_AUDIT_PAGE_PATIENTS environment variable, else 500); this key wins over the variable")

    @field_validator("formats")
    @classmethod
    def _known_formats(cls, value: Any) -> Any:
        if value == "all":
            return value
        from engine.reports import parse_formats

        try:
            return parse_formats(list(value))
        except Exception as exc:  # ReportFormatError: one line naming the registered formats
            raise ValueError(str(exc)) from None

    def chosen(self) -> list[str] | None:
        """The formats as ``engine.reports.parse_formats`` takes them (None: every registered one)."""
        return None if self.formats == "all" else list(self.formats)


class Period(_Strict):
    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end < self.start:
            raise ValueError("measurement_period.end is before measurement_period.start")
        return self


class JobConfig(_Strict):
    name: str = "job"
    inputs: Inputs = Inputs()
    measures: Literal["all"] | list[str] = "all"
    measurement_period: Period = Field(default_factory=lambda: Period(start=date(2026, 1, 1),
                                                                       end=date(2026, 12, 31)))
    output: Path = Path("out/job")
    ray: RayOptions = RayOptions()
    sharding: Sharding = Sharding()
    pipeline: dict[str, Any] = Field(default_factory=dict)
    engine: EngineOptions = EngineOptions()
    limits: Limits = Limits()
    # `reports: all`, `reports: [csv, html]` (the formats) or a mapping of ReportOptions' keys
    reports: ReportOptions = ReportOptions()
    validation: ValidationConfig = ValidationConfig()  # qae evaluate's settings; no effect on the run

    @field_validator("reports", mode="before")
    @classmethod
    def _formats_alone(cls, value: Any) -> Any:
        """``reports: all`` or ``reports: [csv, html]``: the formats, the other options at their defaults."""
        if isinstance(value, str | list | tuple):
            return {"formats": value}
        return value

    @field_validator("measurement_period", mode="before")
    @classmethod
    def _year(cls, value: Any) -> Any:
        if isinstance(value, int | str) and str(value).isdigit():
            year = int(value)
            return {"start": date(year, 1, 1), "end": date(year, 12, 31)}
        return value

    @field_validator("pipeline")
    @classmethod
    def _pipeline(cls, value: dict[str, Any]) -> dict[str, Any]:
        """Check the options against the pipeline itself, so a typo fails here with one line."""
        if value:
            from pipelines.build import check_options

            # PipelineOptionError is a ValueError: reported with the field; a status model folder
            # is looked up once its path is resolved against the config's folder (``resolved``)
            check_options({k: v for k, v in value.items() if k != "status_model"})
            if not isinstance(value.get("status_model") or "", str):
                check_options({"status_model": value["status_model"]})
        return value

    @field_validator("measures", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str) and value != "all":
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    def resolved(self, base: Path) -> JobConfig:
        """Make relative paths absolute against ``base`` (the config file's folder)."""

        def fix(p: Path | None) -> Path | None:
            return None if p is None else (p if p.is_absolute() else (base / p).resolve())

        inputs = Inputs(**{k: fix(v) for k, v in self.inputs.model_dump().items()})
        pipeline = dict(self.pipeline)
        model = pipeline.get("status_model")
        if isinstance(model, str) and (base / model / "model.json").is_file():
            pipeline["status_model"] = str((base / model).resolve())  # a model folder next to the config
        if model is not None:
            from pipelines.build import check_options

            check_options({"status_model": pipeline["status_model"]})  # a shipped name or an existing folder
        return self.model_copy(update={"inputs": inputs, "output": fix(self.output), "pipeline": pipeline})

    def fingerprint(self) -> str:
        """sha256 of the settings that change results (not the output folder, Ray sizing, sharding,
        validation or the report formats)."""
        data = self.model_dump(mode="json", exclude={"output", "ray", "name", "sharding", "validation", "reports"})
        data["inputs"] = {k: (Path(v).name if v else None) for k, v in data["inputs"].items()}
        if data["pipeline"].get("status_model"):
            data["pipeline"]["status_model"] = Path(data["pipeline"]["status_model"]).name
        blob = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def load_config(path: Path | None) -> JobConfig:
    """Load and validate a job config; ``None`` gives the defaults (paths then come from the CLI)."""
    if path is None:
        return JobConfig()
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})".replace("\n", " ")) from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a job config must be a mapping of settings, got {type(data).__name__}")
    try:
        config = JobConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        allowed = ", ".join(JobConfig.model_fields) if err["type"] == "extra_forbidden" else None
        hint = f" (allowed top-level keys: {allowed})" if allowed and "." not in where else ""
        msg = str(err["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{path}: field '{where}': {msg}{hint}") from exc
    try:
        return config.resolved(path.parent.resolve())
    except PipelineOptionError as exc:
        raise ConfigError(f"{path}: field 'pipeline.status_model': {exc}") from exc
