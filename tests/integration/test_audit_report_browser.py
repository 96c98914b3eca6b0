"""The audit's HTML page in a real browser: headless Chromium (Debian's chromium and
chromium-driver, installed by scripts/ensure-system-packages) loads the page playbooks/audit.yml
wrote for the simulated audit fleet, and the test checks what a person sees: the counts,
the hosts x workloads matrix, a critical finding with its fix, and the filters. It saves a
screenshot to tests/output/audit-report.png.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FLEETS, REPO, WcsimFleet

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
OUTPUT = REPO / "tests" / "output"
if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
    pytest.skip(
        "Debian's chromium and chromium-driver are not installed (scripts/ensure-system-packages"
        " installs them as root; make integration runs it)",
        allow_module_level=True,
    )

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium (requirements-test.txt)")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402


@pytest.fixture
def report(tmp_path: Path, run_playbook) -> dict:
    fleet = WcsimFleet(FLEETS / "audit.yml", tmp_path / "state")
    fleet.start(reset=True)
    try:
        deployed = run_playbook(
            REPO / "playbooks" / "deploy.yml",
            "-i",
            str(FLEETS / "audit_vars.yml"),
            "--limit",
            "clean",
            inventory=fleet.inventory,
        )
        assert deployed.rc == 0, deployed.output
        audited = run_playbook(
            REPO / "playbooks" / "audit.yml",
            "-i",
            str(FLEETS / "audit_vars.yml"),
            inventory=fleet.inventory,
        )
        assert audited.rc == 0, audited.output
    finally:
        fleet.stop()
    reports = tmp_path / "reports"
    return {
        "page": reports / "latest.html",
        "fleet": json.loads((reports / "latest.json").read_text(encoding="utf-8")),
    }


@pytest.fixture
def browser(tmp_path: Path) -> Iterator:
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager fetch anything
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--window-size=1500,1200",
    ):
        options.add_argument(flag)
    service = webdriver.ChromeService(executable_path=str(CHROMEDRIVER))
    driver = webdriver.Chrome(options=options, service=service)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(tmp_path / "chromium-profile", ignore_errors=True)


def visible_findings(driver) -> list:
    return [r for r in driver.find_elements(By.CSS_SELECTOR, "tr.finding") if r.is_displayed()]


def test_a_person_sees_counts_matrix_critical_fix_and_working_filters(report, browser):
    fleet = report["fleet"]
    browser.get(report["page"].as_uri())
    assert browser.find_element(By.TAG_NAME, "h1").text == "Windows container audit"
    assert fleet["generated_at"] in browser.find_element(By.ID, "run").text

    for severity, count in fleet["summary"]["by_severity"].items():
        card = browser.find_element(By.ID, f"count-{severity}")
        assert card.text.split() == [str(count), severity.upper()]

    matrix = browser.find_element(By.ID, "matrix")
    host_rows = matrix.find_elements(By.CSS_SELECTOR, "tbody tr")
    assert [r.get_attribute("data-host") for r in host_rows] == [h["name"] for h in fleet["hosts"]]
    spy = matrix.find_element(By.CSS_SELECTOR, 'td[data-host="exposed"][data-container="spy"]')
    assert "CRITICAL" in spy.text and "isolation: process" in spy.text
    assert "trust: unknown / unknown" in spy.text
    web = matrix.find_element(By.CSS_SELECTOR, 'td[data-host="clean"][data-container="web"]')
    assert "OK" in web.text and "user: ContainerUser" in web.text
    assert "trust: contoso / trusted" in web.text

    pipe = next(f for f in fleet["findings"] if f["id"] == "WC-HOLE-ENGINE-PIPE")
    row = browser.find_element(By.CSS_SELECTOR, 'tr.finding[data-id="WC-HOLE-ENGINE-PIPE"]')
    assert row.is_displayed()
    assert "CRITICAL" in row.text and pipe["detail"] in row.text
    assert row.find_element(By.CSS_SELECTOR, "td.fix").text.startswith(pipe["fix"])
    everything = len(fleet["findings"])
    assert len(visible_findings(browser)) == everything

    browser.save_screenshot(str(_screenshot_path("audit-report.png")))
    _full_page_screenshot(browser, "audit-report-full.png")

    Select(browser.find_element(By.ID, "f-sev")).select_by_value("critical")
    critical = visible_findings(browser)
    assert len(critical) == fleet["summary"]["by_severity"]["critical"] > 0
    assert {r.get_attribute("data-severity") for r in critical} == {"critical"}
    shown = browser.find_element(By.ID, "shown").text
    assert shown == f"{len(critical)} of {everything} finding(s) shown"

    Select(browser.find_element(By.ID, "f-sev")).select_by_value("")
    Select(browser.find_element(By.ID, "f-host")).select_by_value("tampered")
    tampered = visible_findings(browser)
    expected = [f for f in fleet["findings"] if f["host"] == "tampered"]
    assert len(tampered) == len(expected) > 0
    assert {r.get_attribute("data-host") for r in tampered} == {"tampered"}
    rows = [r for r in matrix.find_elements(By.CSS_SELECTOR, "tbody tr") if r.is_displayed()]
    assert [r.get_attribute("data-host") for r in rows] == ["tampered"]
    Select(browser.find_element(By.ID, "f-host")).select_by_value("clean")
    assert visible_findings(browser) == []
    assert browser.find_element(By.ID, "nomatch").is_displayed()
    assert browser.find_element(By.ID, "nomatch").text == "No finding matches the filters."
    _full_page_screenshot(browser, "audit-report-filtered.png")


def _screenshot_path(name: str) -> Path:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return OUTPUT / name


def _full_page_screenshot(driver, name: str) -> None:
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1500, min(int(height) + 40, 6000))
    driver.save_screenshot(str(_screenshot_path(name)))
    driver.set_window_size(1500, 1200)
