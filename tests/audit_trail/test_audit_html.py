"""The HTML audit report's contents: decisions, evidence in its sentence, escaping, the summary,
determinism and the per-clinic split (the browser test checks what a person sees)."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import replace
from pathlib import Path

import pytest

from engine import audit_html
from engine.audit_html import display_date, write_audit_html
from engine.records import Evidence
from engine.run_data import RunData


def _rows(html: str) -> dict[tuple[str, str], str]:
    """Row blocks keyed by (patient, measure)."""
    out = {}
    for chunk in html.split('<div class="o" role="row" ')[1:]:
        chunk = chunk.split("<script>")[0]
        m = re.match(r'[^>]*data-measure="([^"]*)"[^>]*data-patient="([^"]*)">', chunk)
        out[(m.group(2), m.group(1))] = chunk[m.end():]
    return out


def test_rows_show_decision_and_evidence_in_its_sentence(small_run: RunData, tmp_path: Path) -> None:
    (page,) = write_audit_html(small_run, tmp_path)
    html = page.read_text(encoding="utf-8")
    rows = _rows(html)
    assert set(rows) == {("pa", "COL-E"), ("pb", "COL-E"), ("pc", "COL-E"), ("pc", "BCS-E"), ("pb", "GSD-POOR")}
    # closed by a colonoscopy dated by year only: the year, never January 1
    pa = rows[("pa", "COL-E")]
    assert 'class="st st-closed">Closed<' in pa
    assert "- <mark>Colonoscopy</mark> 2018, normal, repeat 10 yrs" in pa
    assert "2018 (year only)" in pa and "2018-01-01" not in pa
    assert "note n-a of 2026-04-20" in pa and "rule:colonoscopy.term" in pa and "stays closed through 2027-12-31" in pa
    # open: the reason, the action, the due date and the refusal that came close, escaped
    pc = rows[("pc", "COL-E")]
    assert "The patient declined or refused the service" in pc and "Action: Revisit shared decision-making" in pc
    assert "due by 2026-12-31" in pc and "came close" in pc
    assert ("Pt &lt;b&gt;declines&lt;/b&gt; <mark>colonoscopy</mark> &amp; FIT again; says "
            "&#34;maybe next year&#34;.") in pc
    # excluded by a structured procedure: its code and source
    bcs = rows[("pc", "BCS-E")]
    assert "Excluded" in bcs and "ICD10PCS 0HTV0ZZ" in bcs and "source fhir:Procedure" in bcs
    assert "bilateral_mastectomy" in bcs and "2019-05-02" in bcs
    # an inverse measure: in the numerator means an open gap, marked inverse
    poor = rows[("pb", "GSD-POOR")]
    assert "Open gap" in poor and "inverse" in poor and "<mark>A1c 9.6</mark> % today → uncontrolled." in poor
    assert "value 9.6" in poor
    # outside the IPP: counted in the summary, no row
    assert ("pa", "GSD-POOR") not in rows and "1 outcomes outside the initial population" in html


def test_summary_rates_per_clinic_and_inverse_marked(small_run: RunData, tmp_path: Path) -> None:
    html = write_audit_html(small_run, tmp_path)[0].read_text(encoding="utf-8")
    summary = html[html.index('id="summary"'):html.index('id="chart"')]
    col = re.search(r"<tr><td class=\"l\">COL-E</td>.*?</tr>", summary, re.S).group(0)
    # COL-E: 3 in the denominator, 2 met -> 67%; clinic-north 2/2, east <side> 0/1
    assert re.findall(r"<td>(\d+)</td>", col) == ["3", "3", "0", "0", "2", "0", "1"]
    assert ">67%<" in col and ">100%<" in col and ">0%<" in col
    poor = re.search(r"<tr><td class=\"l\">GSD-POOR</td>.*?</tr>", summary, re.S).group(0)
    assert "inverse, lower is better" in poor
    chart = html[html.index("<svg"):html.index("</svg>")]
    assert "&darr; GSD-POOR" in chart and 'stroke-dasharray="3 2"' in chart
    assert chart.count("<rect") == 3 * 3  # 3 measures x (all clinics + 2 clinics)
    assert "east &lt;side&gt;" in html and "east <side>" not in html


def test_note_text_and_ids_are_escaped_and_only_our_script_can_run(small_run: RunData, tmp_path: Path) -> None:
    text = 'Said <script>alert("x")</script> then <img src=x onerror=alert(1)> FIT 2026 done.'
    start = text.index("FIT")
    ev = next(e for e in small_run.evidence.values() if e.element == "fobt")
    evil = ev.model_copy(update={"context": text, "context_start": 0, "start": start, "end": start + 3,
                                 "span": "FIT", "note_id": 'n"><script>alert(2)</script>'})
    run = replace(small_run, evidence={**small_run.evidence, ev.evidence_id: evil})
    html = write_audit_html(run, tmp_path)[0].read_text(encoding="utf-8")
    assert html.count("<script>") == 1 and "alert(" not in html.split("<script>")[1].split("</script>")[0]
    assert "<img" not in html and "onerror=alert(1)&gt;" in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert 'note n&#34;&gt;&lt;script&gt;alert(2)&lt;/script&gt;' in html
    # the Content-Security-Policy pins the page's one script by its hash: nothing else runs
    script = html.split("<script>")[1].split("</script>")[0]
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in html and "default-src 'none'" in html
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "") and "https://" not in html


def test_same_run_renders_byte_identical(small_run: RunData, tmp_path: Path) -> None:
    a = write_audit_html(small_run, tmp_path / "a")[0].read_bytes()
    shuffled = replace(small_run, outcomes=list(reversed(small_run.outcomes)))
    b = write_audit_html(shuffled, tmp_path / "b")[0].read_bytes()
    assert a == b


def test_large_run_gets_one_file_per_clinic(small_run: RunData, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit_html, "SPLIT_ROWS", 2)
    files = write_audit_html(small_run, tmp_path)
    assert [f.relative_to(tmp_path).as_posix() for f in files] == [
        "audit.html", "audit/clinic-north.html", "audit/east_side.html"]
    index = files[0].read_text(encoding="utf-8")
    assert '<a href="audit/clinic-north.html">clinic-north</a>: 3 rows, 1 open gaps' in index
    assert 'class="o"' not in index and 'id="summary"' in index
    north = _rows(files[1].read_text(encoding="utf-8"))
    east = _rows(files[2].read_text(encoding="utf-8"))
    assert set(north) == {("pa", "COL-E"), ("pb", "COL-E"), ("pb", "GSD-POOR")}
    assert set(east) == {("pc", "COL-E"), ("pc", "BCS-E")}
    assert '<a href="../audit.html">' in files[2].read_text(encoding="utf-8")


def test_evidence_from_an_older_run_without_context_shows_the_span(small_run: RunData, tmp_path: Path) -> None:
    plain: dict[str, Evidence] = {k: v.model_copy(update={"context": None, "context_start": None})
                                  for k, v in small_run.evidence.items()}
    html = write_audit_html(replace(small_run, evidence=plain), tmp_path)[0].read_text(encoding="utf-8")
    assert '<div class="quote"><mark>Colonoscopy</mark></div>' in html


@pytest.mark.parametrize(("precision", "expected"), [("year", "2019"), ("month", "Mar 2019"), ("day", "2019-03-14"),
                                                     (None, "2019-03-14")])
def test_display_date_keeps_the_precision(precision: str | None, expected: str) -> None:
    from datetime import date

    assert display_date(date(2019, 3, 14), precision) == expected
    assert display_date(None, precision) == "no date stated"


def test_a_clinic_with_more_patients_than_a_page_is_paged(demo_run: RunData, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    whole = write_audit_html(demo_run, tmp_path / "whole")
    assert len(whole) == 1  # the demo fits one page

    def cells(rows: dict[tuple[str, str], str]) -> dict[tuple[str, str], str]:
        # a row's block without the closing tags and pager that follow the last row of a page
        return {k: re.sub(r"(</div>\n)+$", "", v.split('<nav class="pager"')[0]) for k, v in rows.items()}

    everything = cells(_rows(whole[0].read_text(encoding="utf-8")))
    files = write_audit_html(demo_run, tmp_path / "paged", page_size=6)
    names = [f.relative_to(tmp_path / "paged").as_posix() for f in files]
    pages = [n for n in names if "/page-" in n]
    assert names[0] == "audit.html" and pages and all(re.fullmatch(r"audit/[\w.-]+/page-\d{4}\.html", n) for n in pages)
    got: dict[tuple[str, str], str] = {}
    for name in pages:
        html = (tmp_path / "paged" / name).read_text(encoding="utf-8")
        rows = cells(_rows(html))
        assert 0 < len({pid for pid, _ in rows}) <= 6, name
        assert not set(rows) & set(got)  # a patient's rows are on one page only
        got.update(rows)
        assert 'id="pager-top"' in html and 'id="pager-bottom"' in html and 'href="../../audit.html"' in html
    assert got == everything  # the same rows, byte for byte, cut into pages
    clinic = (tmp_path / "paged" / names[1]).read_text(encoding="utf-8")
    assert 'id="page-index"' in clinic and 'class="o"' not in clinic
    # the page size from the environment; same bytes on a second rendering
    monkeypatch.setenv("QAE_AUDIT_PAGE_PATIENTS", "6")
    again = write_audit_html(demo_run, tmp_path / "again")
    assert [f.relative_to(tmp_path / "again").as_posix() for f in again] == names
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(files, again, strict=True))
