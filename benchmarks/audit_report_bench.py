"""Report writers on a finished run: load time, HTML audit and FHIR render times, file sizes, and how
the HTML behaves in headless Chromium (load, one filter, the JS heap). Prints figures, asserts nothing.

Run (MTSamples, 2,326 notes):
    .venv/bin/qae run --notes ../shared/data/mtsamples/notes.jsonl \
        --patients ../shared/data/mtsamples/patients.csv --out /tmp/mts --no-ray
    .venv/bin/python benchmarks/audit_report_bench.py /tmp/mts [--no-browser] [--page-patients N]

The audit pages of a clinic hold at most N patients each (default: engine.audit_html.PAGE_PATIENTS);
the browser opens the first page of rows (the one page, for a small run).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from engine.audit_html import write_audit_html
from engine.fhir_report import write_fhir
from qae.run_folder import load_run

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1400,1000")


def _browser(page: Path) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in FLAGS:
        options.add_argument(flag)
    with tempfile.TemporaryDirectory() as profile:
        options.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)
        try:
            t = time.perf_counter()
            driver.get(page.as_uri())
            loaded = time.perf_counter() - t
            nav = driver.execute_script(
                "const n = performance.getEntriesByType('navigation')[0];"
                "return [n.domContentLoadedEventEnd, n.loadEventEnd];")
            rows = driver.execute_script("return document.querySelectorAll('#outcomes .o').length")
            select = Select(driver.find_element(By.ID, "f-status"))
            t = time.perf_counter()
            select.select_by_value("open")
            shown = driver.find_element(By.ID, "f-count").text
            filtered = time.perf_counter() - t
            heap = driver.execute_script("return performance.memory ? performance.memory.usedJSHeapSize : null")
            print(f"  chromium: get() {loaded:.2f} s (DOMContentLoaded {nav[0] / 1000:.2f} s, "
                  f"load {nav[1] / 1000:.2f} s),"
                  f" {rows} rows; status filter 'open' {filtered * 1000:.0f} ms -> {shown};"
                  f" JS heap {heap / 2**20 if heap else float('nan'):.0f} MiB")
        finally:
            driver.quit()


def main(run_dir: Path, browser: bool = True, page_patients: int | None = None) -> None:
    t = time.perf_counter()
    run = load_run(run_dir)
    print(f"load_run: {time.perf_counter() - t:.2f} s ({len(run.outcomes)} outcomes, {len(run.evidence)} evidence, "
          f"{len(run.patients)} patients)")
    with tempfile.TemporaryDirectory() as out:
        t = time.perf_counter()
        pages = write_audit_html(run, Path(out), page_patients)
        print(f"write_audit_html: {time.perf_counter() - t:.2f} s, {len(pages)} files, largest "
              f"{max(p.stat().st_size for p in pages) / 2**20:.1f} MiB")
        for p in pages[:12]:
            print(f"  {p.relative_to(out)}: {p.stat().st_size / 2**20:.1f} MiB")
        t = time.perf_counter()
        files = write_fhir(run, Path(out))
        print(f"write_fhir: {time.perf_counter() - t:.2f} s")
        for f in files:
            lines = sum(1 for _ in f.open(encoding="utf-8"))
            print(f"  {f.relative_to(out)}: {lines} resources, {f.stat().st_size / 2**20:.1f} MiB")
        if browser:
            rows = [p for p in pages if "/page-" in p.as_posix()][:1] or pages[1:] or pages[:1]
            for p in rows[:3]:
                print(p.relative_to(out))
                _browser(p)


if __name__ == "__main__":
    argv = sys.argv[1:]
    size = int(argv[argv.index("--page-patients") + 1]) if "--page-patients" in argv else None
    args = [a for i, a in enumerate(argv) if not a.startswith("--") and (i == 0 or argv[i - 1] != "--page-patients")]
    main(Path(args[0] if args else "out/demo"), browser="--no-browser" not in argv, page_patients=size)
