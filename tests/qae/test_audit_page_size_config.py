"""The HTML audit's page size as a config key (``reports: {audit_page_patients: N}``): validated with a
one-line error, recorded in the run (the manifest's config) so that ``qae report --run`` pages the same
way, overridden by ``--audit-page-patients``; the environment variable ``QAE_AUDIT_PAGE_PATIENTS`` still
sets it when neither the run's config nor the command line does (the config key wins over it)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qae.cli import app
from qae.config import ConfigError, JobConfig, load_config

CLINIC = "clinic-harbor"
# Seven patients of one clinic, all of colorectal screening age; a short note each.
PATIENTS = "patient_id,birth_date,sex,clinic_id,provider_id\n" + "".join(
    f"h-{i},{1956 + i}-0{i}-1{i},{'F' if i % 2 else 'M'},{CLINIC},dr-okafor\n" for i in range(1, 8))
NOTES = [
    {"note_id": f"h{i}-n", "patient_id": f"h-{i}", "note_date": f"2026-04-0{i}",
     "text": text}
    for i, text in enumerate([
        "Annual visit. Colonoscopy in 2019 at St. Luke's, 2 small polyps removed; repeat due in 2024 & overdue.",
        "Wellness check. FIT kit handed out today, pt to return it by mail <within 2 weeks>.",
        "Seen for knee pain. Declines colon cancer screening for now, \"maybe after the holidays\".",
        "Follow-up. Cologuard 03/2025 negative per outside records.",
        "New patient. No prior colorectal screening on file; discussed options, prefers FIT.",
        "Diabetes visit; A1c 7.1 %. Screening colonoscopy scheduled for next month.",
        "Telehealth visit. Señora Núñez reports a normal colonoscopy in 2021 (report requested).",
    ], start=1)
]


def _write_inputs(folder: Path, page_size: int | None) -> Path:
    (folder / "patients.csv").write_text(PATIENTS, encoding="utf-8")
    (folder / "notes.jsonl").write_text("".join(json.dumps(n, ensure_ascii=False) + "\n" for n in NOTES),
                                        encoding="utf-8")
    reports = {"formats": ["html"]} | ({} if page_size is None else {"audit_page_patients": page_size})
    config = {"name": "harbor", "inputs": {"notes": "notes.jsonl", "patients": "patients.csv"},
              "measures": ["COL-E"], "measurement_period": 2026, "output": "run", "reports": reports}
    path = folder / "job.yaml"
    path.write_text(json.dumps(config), encoding="utf-8")  # JSON is YAML
    return path


def _pages(out: Path) -> dict[str, list[str]]:
    """Page file -> the patients whose rows it holds (every audit file with rows)."""
    found = {}
    for path in sorted(out.rglob("*.html")):
        ids = re.findall(r'data-patient="([^"]*)"', path.read_text(encoding="utf-8"))
        if ids:
            found[path.relative_to(out).as_posix()] = list(dict.fromkeys(ids))
    return found


def _audit_bytes(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*.html"))}


@pytest.mark.parametrize(("reports", "where", "message"), [
    ({"audit_page_patients": 0}, "reports.audit_page_patients", "greater than or equal to 1"),
    ({"audit_page_patients": "20"}, "reports.audit_page_patients", "valid integer"),
    ({"audit_page_patients": True}, "reports.audit_page_patients", "valid integer"),
    ({"audit_page_size": 20}, "reports.audit_page_size", "Extra inputs are not permitted"),
    ({"formats": ["pdf"]}, "reports.formats", "report format 'pdf' has no writer"),
])
def test_a_bad_page_size_is_one_clear_line(tmp_path: Path, reports: dict, where: str, message: str) -> None:
    path = tmp_path / "job.yaml"
    path.write_text(json.dumps({"reports": reports}), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    text = str(err.value)
    assert "\n" not in text and f"field '{where}'" in text and message in text


def test_the_formats_alone_still_read_and_the_fingerprint_ignores_the_page_size(tmp_path: Path) -> None:
    def config(reports: object) -> JobConfig:
        path = tmp_path / "job.yaml"
        path.write_text(json.dumps({"reports": reports}), encoding="utf-8")
        return load_config(path)

    assert config("all").reports.chosen() is None and config("all").reports.audit_page_patients is None
    assert config(["html", "csv"]).reports.chosen() == ["html", "csv"]
    paged = config({"formats": ["csv"], "audit_page_patients": 40})
    assert paged.reports.chosen() == ["csv"] and paged.reports.audit_page_patients == 40
    assert config({"audit_page_patients": 7}).reports.chosen() is None
    # no effect on results: a run resumes, and its files name the same config fingerprint
    assert paged.fingerprint() == config(["csv"]).fingerprint() == config("all").fingerprint()


@pytest.fixture(scope="module")
def paged_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("page-size")
    result = CliRunner().invoke(app, ["run", "--config", str(_write_inputs(folder, 2)), "--no-ray"])
    assert result.exit_code == 0, result.output
    return folder / "run"


def test_the_config_page_size_is_used_and_recorded(paged_run: Path) -> None:
    manifest = json.loads((paged_run / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["config"]["reports"] == {"formats": ["html"], "audit_page_patients": 2}
    pages = _pages(paged_run)
    assert list(pages) == [f"audit/{CLINIC}/page-000{k}.html" for k in (1, 2, 3, 4)]
    assert [len(ids) for ids in pages.values()] == [2, 2, 2, 1]
    assert sorted(pid for ids in pages.values() for pid in ids) == [f"h-{i}" for i in range(1, 8)]


def test_report_reuses_the_recorded_size_and_the_option_overrides_it(paged_run: Path, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    monkeypatch.setenv("QAE_AUDIT_PAGE_PATIENTS", "5")  # the run's config wins over the variable
    again = runner.invoke(app, ["report", "--run", str(paged_run), "--format", "html", "--out", str(tmp_path / "a")])
    assert again.exit_code == 0, again.output
    assert _audit_bytes(tmp_path / "a") == _audit_bytes(paged_run)
    monkeypatch.delenv("QAE_AUDIT_PAGE_PATIENTS")
    bigger = runner.invoke(app, ["report", "--run", str(paged_run), "--format", "html", "--out", str(tmp_path / "b"),
                                 "--audit-page-patients", "3"])
    assert bigger.exit_code == 0, bigger.output
    pages = _pages(tmp_path / "b")
    assert [len(ids) for ids in pages.values()] == [3, 3, 1]
    assert [pid for ids in pages.values() for pid in ids] == [pid for ids in _pages(paged_run).values() for pid in ids]
    bad = runner.invoke(app, ["report", "--run", str(paged_run), "--out", str(tmp_path / "c"),
                              "--audit-page-patients", "0"])
    assert bad.exit_code != 0


def test_the_environment_variable_sets_the_size_when_the_run_set_none(paged_run: Path, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    unset = tmp_path / "run"
    shutil.copytree(paged_run, unset)
    manifest = json.loads((unset / "manifest.json").read_text(encoding="utf-8"))
    manifest["config"]["reports"]["audit_page_patients"] = None
    (unset / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    runner = CliRunner()
    plain = runner.invoke(app, ["report", "--run", str(unset), "--format", "html", "--out", str(tmp_path / "d")])
    assert plain.exit_code == 0, plain.output
    assert list(_pages(tmp_path / "d")) == ["audit.html"]  # 500 a page: one page, no split
    monkeypatch.setenv("QAE_AUDIT_PAGE_PATIENTS", "5")
    env = runner.invoke(app, ["report", "--run", str(unset), "--format", "html", "--out", str(tmp_path / "e")])
    assert env.exit_code == 0, env.output
    assert [len(ids) for ids in _pages(tmp_path / "e").values()] == [5, 2]
