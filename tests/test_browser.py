"""In a real browser: the exported report renders offline, and the Voila dashboard reacts to a control.

Drives Debian's /usr/bin/chromium with Playwright (no browser download). Screenshots go to
tests/artifacts/ (gitignored) for a human look.
"""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium "
                                                     "(apt-get install chromium; scripts/test.sh does this)"),
]


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def report(pipeline_study, tmp_path_factory) -> Path:
    from buyerlab.reporting import report_study

    out = tmp_path_factory.mktemp("report")
    report_study(pipeline_study, notebooks=["02", "03"], output_dir=out, progress=False)
    return out


def _watch_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def test_exported_report_renders_charts_offline(browser, report):
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
    requested: list[str] = []
    # Belt and braces: anything that is not the file itself would be a network fetch.
    context.route("**/*", lambda r: (requested.append(r.request.url), r.abort())
                  if not r.request.url.startswith("file://") else r.continue_())
    for name, min_charts in (("02_codes_explorer", 2), ("03_decision_process", 5)):
        page = context.new_page()
        errors = _watch_errors(page)
        page.goto((report / f"{name}.html").as_uri())
        page.wait_for_selector(".main-svg", timeout=30_000)
        page.wait_for_timeout(500)
        n_plots = page.locator(".js-plotly-plot").count()
        assert n_plots >= min_charts, f"{name}: {n_plots} charts rendered"
        assert page.locator(".main-svg").count() >= n_plots
        # Charts drew their data, not just empty axes: heatmap cells / sankey nodes exist.
        assert page.locator(".heatmaplayer image, .hm image, .sankey .node-rect, .sankey-node").count() > 0
        assert errors == [], f"{name}: console errors {errors}"
        page.screenshot(path=str(ARTIFACTS / f"report_{name}.png"), full_page=True)
        page.close()
    assert requested == [], f"the report tried to load {requested}"
    index = context.new_page()
    index.goto((report / "index.html").as_uri())
    assert index.locator("a[href='02_codes_explorer.html']").count() == 1
    index.screenshot(path=str(ARTIFACTS / "report_index.png"), full_page=True)
    context.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def voila_server(pipeline_study):
    from buyerlab.commands.dashboard import voila_command, voila_env
    from buyerlab.study import Study

    port = _free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / "voila.log", "w")
    proc = subprocess.Popen(voila_command("02", port=port, open_browser=False), env=voila_env(Study(pipeline_study)),
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.time() + 90
        while True:
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    pytest.fail(f"voila did not start; see {ARTIFACTS / 'voila.log'}")
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _title(page) -> str:
    return page.locator(".js-plotly-plot .gtitle").first.text_content() or ""


def _dashboard_attempt(browser, voila_server):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    blocked: list[str] = []
    context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(voila_server)
                  else (blocked.append(r.request.url), r.abort()))
    page = context.new_page()
    errors = _watch_errors(page)
    page.goto(voila_server, timeout=180_000)
    # Voila renders cell by cell: wait for both explorers of the notebook before touching a control.
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot .main-svg').length >= 4",
                           timeout=180_000)
    page.wait_for_timeout(1000)
    before = _title(page)
    ticks_before = page.locator(".js-plotly-plot").first.locator(".ytick text").all_text_contents()
    assert before.startswith("Buying motive"), before
    page.screenshot(path=str(ARTIFACTS / "dashboard_before.png"))

    family = page.locator(".widget-dropdown", has_text="Family").first.locator("select")
    family.select_option(label="Barrier")
    page.wait_for_function(
        "() => (document.querySelector('.js-plotly-plot .gtitle') || {}).textContent?.startsWith('Barrier')",
        timeout=60_000)
    ticks_after = page.locator(".js-plotly-plot").first.locator(".ytick text").all_text_contents()
    assert ticks_after != ticks_before and any("Price" in t for t in ticks_after)
    page.screenshot(path=str(ARTIFACTS / "dashboard_after.png"))
    # Voila itself asks a CDN for icon fonts; those requests were aborted here on purpose.
    # "widget model not found" is logged by the widget manager in about 1 run in 4 (a race in
    # Voila between comm messages and view creation); the chart has changed by then, as asserted
    # above. Tolerated here on purpose and reported as open; any other console error fails.
    real_errors = [e for e in errors if "Failed to load resource" not in e
                   and not e.startswith("Error: widget model not found")]
    assert all(u.startswith("https://cdn.jsdelivr.net/npm/@fortawesome/") for u in blocked), blocked
    assert real_errors == [], real_errors
    context.close()


def test_dashboard_control_changes_the_chart(browser, voila_server):
    # Each page load starts a fresh Voila kernel. About 1 load in 4 here stalls (page "load"
    # never fires in 180 s) or logs a widget-manager race; one fresh retry, reported as open.
    timeout_error = pytest.importorskip("playwright.sync_api").TimeoutError
    try:
        _dashboard_attempt(browser, voila_server)
    except (AssertionError, timeout_error):
        _dashboard_attempt(browser, voila_server)
