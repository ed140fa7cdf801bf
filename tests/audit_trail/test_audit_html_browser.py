"""The demo's HTML audit report in headless Chromium, checked as a person sees it: the highlighted
words that closed a known gap, the reason of a known open gap, filters that hide rows, no console
errors; and a note that tries to run script shows as text and runs nothing.

Needs Debian's ``chromium`` and ``chromium-driver`` (``make test`` installs them when missing).
Set ``QAE_SCREENSHOTS=DIR`` to keep the screenshots.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from engine.audit_html import write_audit_html
from engine.calculator import MeasureOutcome
from engine.gaps import GapReason
from engine.periods import MeasurementPeriod
from engine.populations import PopulationFlags
from engine.records import Evidence, Patient
from engine.run_data import RunData

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1400,1500")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.fail("headless Chromium is missing: run `make browser` (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not look anything up
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _keep(path: Path) -> None:
    target = os.environ.get("QAE_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(target) / path.name)


def _severe(driver: object) -> list[dict]:
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]  # type: ignore[attr-defined]


def test_demo_audit_in_chromium(browser: object, demo_run: RunData, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver = browser
    (page,) = write_audit_html(demo_run, tmp_path / "report")
    driver.get(page.as_uri())  # type: ignore[attr-defined]
    find = driver.find_element  # type: ignore[attr-defined]
    rows = driver.find_elements(By.CSS_SELECTOR, "#outcomes .o")  # type: ignore[attr-defined]
    assert len(rows) > 1000

    # a known closed gap: demo-001's 03/2019 colonoscopy closes COL-E; the word is highlighted in its line
    closed = find(By.CSS_SELECTOR, '#outcomes .o[data-patient="demo-001"][data-measure="COL-E"]')
    assert closed.find_element(By.CSS_SELECTOR, ".st").text == "Closed"
    mark = closed.find_element(By.CSS_SELECTOR, ".ev.decided mark")
    assert mark.text == "Colonoscopy"
    quote = closed.find_element(By.CSS_SELECTOR, ".ev.decided .quote").text
    assert quote.startswith("Colonoscopy 03/2019") and "tubular adenomas" in quote
    assert "Mar 2019 (month only)" in closed.text and "note demo-001-01" in closed.text
    assert mark.value_of_css_property("background-color") == "rgba(255, 224, 102, 1)"

    # a known open gap: the flu shot of 10/2024 is too old for the 2025-26 season; the reason shows
    # with the evidence that came close
    flu = find(By.CSS_SELECTOR,
               '#outcomes .o[data-patient="demo-001"][data-measure="AIS-E"][data-reason="evidence_too_old"]')
    assert "before the measure's lookback window" in flu.find_element(By.CSS_SELECTOR, ".reason").text
    assert flu.find_element(By.CSS_SELECTOR, ".ev.close mark").text == "Flu vaccine"

    # filters hide rows: one measure, then open gaps declined by the patient
    visible = ("return Array.from(document.querySelectorAll('#outcomes .o')).filter(r => r.offsetParent !== null)"
               ".map(r => [r.dataset.measure, r.dataset.status, r.dataset.reason])")
    count = find(By.ID, "f-count")
    n_col = driver.execute_script(  # type: ignore[attr-defined]
        "return document.querySelectorAll('#outcomes .o[data-measure=\"COL-E\"]').length")
    Select(find(By.ID, "f-measure")).select_by_value("COL-E")
    assert flu.is_displayed() is False and closed.is_displayed()
    shown = driver.execute_script(visible)  # type: ignore[attr-defined]
    assert len(shown) == n_col and {m for m, _, _ in shown} == {"COL-E"}
    assert count.text == f"{n_col} of {len(rows)} rows shown"
    Select(find(By.ID, "f-status")).select_by_value("open")
    Select(find(By.ID, "f-reason")).select_by_value("declined")
    shown = driver.execute_script(visible)  # type: ignore[attr-defined]
    assert shown and all(s == ["COL-E", "open", "declined"] for s in shown)
    assert not closed.is_displayed()

    # what a person sees for one patient: a closed gap's highlighted evidence, an open gap's reason
    for key in ("f-measure", "f-status", "f-reason"):
        Select(find(By.ID, key)).select_by_value("")
    find(By.ID, "f-patient").send_keys("demo-001")
    assert closed.is_displayed() and flu.is_displayed()
    driver.execute_script("document.getElementById('rows').scrollIntoView()")  # type: ignore[attr-defined]
    shot = tmp_path / "audit_demo_demo-001.png"
    assert driver.save_screenshot(str(shot))  # type: ignore[attr-defined]
    _keep(shot)
    assert _severe(driver) == []


def test_note_text_that_tries_to_run_script_renders_as_text(browser: object, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    text = 'Pt said <script>window.__pwned = 1</script> and <img src=x onerror="window.__pwned = 2"> FIT done 2026.'
    start = text.index("FIT")
    ev = Evidence(evidence_id=f"n1:{start}-{start + 3}:fobt", note_id="n1", patient_id='p"><b>x', element="fobt",
                  status="affirmed", start=start, end=start + 3, span="FIT", context=text, context_start=0,
                  event_date=date(2026, 3, 2), date_precision="year", note_date=date(2026, 3, 2),
                  source="rule:fobt.term")
    patient = Patient(patient_id='p"><b>x', birth_date=date(1960, 1, 1), sex="F", clinic_id="<i>clinic</i>")
    outcome = MeasureOutcome(patient_id=patient.patient_id, measure_id="COL-E", group="1",
                             populations=PopulationFlags(ipp=True, denom=True, numer=True),
                             measure_version="t", closed_by="note", numer_evidence_ids=(ev.evidence_id,),
                             measure_title="Colorectal Cancer Screening", gap_reason=None)
    run = RunData(job="xss", period=MeasurementPeriod.calendar_year(2026), specs={},
                  patients={patient.patient_id: patient}, outcomes=[outcome], evidence={ev.evidence_id: ev})
    (page,) = write_audit_html(run, tmp_path)
    browser.get(page.as_uri())  # type: ignore[attr-defined]
    assert browser.execute_script("return window.__pwned === undefined")  # type: ignore[attr-defined]
    quote = browser.find_element(By.CSS_SELECTOR, ".quote").text  # type: ignore[attr-defined]
    assert "<script>window.__pwned = 1</script>" in quote and 'onerror="window.__pwned = 2"' in quote
    assert browser.find_elements(By.CSS_SELECTOR, "#outcomes img, #outcomes script") == []  # type: ignore[attr-defined]
    assert browser.find_element(By.CSS_SELECTOR, ".pid").text == 'p"><b>x'  # type: ignore[attr-defined]
    assert "2026 (year only)" in browser.find_element(By.CSS_SELECTOR, ".evm").text  # type: ignore[attr-defined]
    assert GapReason.DECLINED.value not in browser.page_source  # type: ignore[attr-defined]
    assert _severe(browser) == []


def test_a_paged_clinic_is_followed_page_by_page_in_chromium(browser: object, demo_run: RunData,
                                                             tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver = browser
    find = driver.find_element  # type: ignore[attr-defined]
    files = write_audit_html(demo_run, tmp_path / "report", page_size=7)
    driver.get(files[0].as_uri())  # type: ignore[attr-defined]
    # audit.html lists the clinics; a paged clinic says in how many pages
    paged = [li for li in driver.find_elements(By.CSS_SELECTOR, "h2#clinics ~ ul li")  # type: ignore[attr-defined]
             if "pages" in li.text]
    assert paged, "a clinic with more than 7 patients"
    li = paged[0]
    clinic = li.find_element(By.TAG_NAME, "a").text
    n_pages = int(li.text.rsplit("in ", 1)[1].split()[0])
    assert n_pages >= 2
    li.find_element(By.TAG_NAME, "a").click()

    # the clinic's page: its summary and the index of its pages, no rows
    assert driver.find_elements(By.CSS_SELECTOR, "#outcomes .o") == []  # type: ignore[attr-defined]
    index = driver.find_elements(By.CSS_SELECTOR, "#page-index li")  # type: ignore[attr-defined]
    assert len(index) == n_pages
    expected_patients = sum(int(i.text.split("(")[1].split()[0]) for i in index)
    index[0].find_element(By.TAG_NAME, "a").click()

    # page 1 to the last by "next", every patient once, in order, none on two pages
    seen: list[str] = []
    for k in range(1, n_pages + 1):
        assert driver.current_url.endswith(f"/page-{k:04d}.html")  # type: ignore[attr-defined]
        assert find(By.CSS_SELECTOR, "h1").text.endswith(f"clinic {clinic}, page {k} of {n_pages}")
        assert find(By.CSS_SELECTOR, "#pager-top b[aria-current=page]").text == str(k)
        patients = driver.execute_script(  # type: ignore[attr-defined]
            "return [...new Set(Array.from(document.querySelectorAll('#outcomes .o')).map(r => r.dataset.patient))]")
        assert 0 < len(patients) <= 7 and not set(patients) & set(seen)
        seen += patients
        nexts = driver.find_elements(By.CSS_SELECTOR, "#pager-top a.next")  # type: ignore[attr-defined]
        if k < n_pages:
            nexts[0].click()
        else:
            assert nexts == []
    assert seen == sorted(seen) and len(seen) == expected_patients

    # the filters work on a page; previous, a page number, the clinic and all clinics take you back
    rows = driver.find_elements(By.CSS_SELECTOR, "#outcomes .o")  # type: ignore[attr-defined]
    Select(find(By.ID, "f-status")).select_by_value("closed")
    shown = [r for r in rows if r.is_displayed()]
    assert find(By.ID, "f-count").text == f"{len(shown)} of {len(rows)} rows shown"
    assert all(r.get_attribute("data-status") == "closed" for r in shown)
    find(By.CSS_SELECTOR, "#pager-bottom a.prev").click()
    assert driver.current_url.endswith(f"/page-{n_pages - 1:04d}.html")  # type: ignore[attr-defined]
    find(By.CSS_SELECTOR, "#pager-top .pages a[href='page-0001.html']").click()
    assert driver.current_url.endswith("/page-0001.html")  # type: ignore[attr-defined]
    assert driver.find_elements(By.CSS_SELECTOR, "#pager-top a.prev") == []  # type: ignore[attr-defined]
    find(By.ID, "nav-clinic").click()
    assert find(By.CSS_SELECTOR, "#page-index")
    find(By.LINK_TEXT, "← all clinics").click()
    assert driver.current_url == files[0].as_uri()  # type: ignore[attr-defined]
    assert _severe(driver) == []
