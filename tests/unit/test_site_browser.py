"""The site in a real browser: headless Chromium (the distribution's package, driven by
Selenium through the distribution's chromedriver) loads the page from tools/dev/local_api.py,
which serves site/ and the visitor counter handler against the emulator's table.

The page counts the visit and shows the total; a reload counts one more; the table holds
the number the page shows. A screenshot of the page is kept in build/test-artifacts/.
Select it alone with ``pytest -m browser``; ``make browser-deps`` installs Chromium.
"""
from __future__ import annotations

import shutil
import struct
import threading
import zlib
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

import local_api

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "build" / "test-artifacts"
SCREENSHOT = ARTIFACTS / "local-page.png"
WINDOW = (960, 720)
SEED = 1233  # an existing count, as after many visits: the page must show it formatted, plus one
WAIT_S = 20


def _browser_paths() -> tuple[str, str]:
    browser = next(filter(None, map(shutil.which, ("chromium", "chromium-browser"))), None)
    driver = shutil.which("chromedriver")
    if not (browser and driver):
        pytest.fail(f"headless Chromium and chromedriver are needed on PATH (found chromium: {browser}, "
                    f"chromedriver: {driver}); install them with `make browser-deps` "
                    "(Debian packages chromium and chromium-driver)")
    return browser, driver


@pytest.fixture
def site_url(visits_table):
    table = visits_table(count=SEED, origin="*")
    server = local_api.make_server("127.0.0.1", 0, local_api.load_handler(local_api.DEFAULT_SOURCE), REPO / "site")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield table, f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def browser():
    binary, driver_path = _browser_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
        "--disable-dev-shm-usage",  # containers often have a tiny /dev/shm
        "--disable-gpu",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        "--force-device-scale-factor=1",
        "--force-color-profile=srgb",
        "--lang=en-US",
    ):
        options.add_argument(arg)
    # Light theme whatever the host prefers, so the screenshot looks the same everywhere.
    options.add_argument("--blink-settings=preferredColorScheme=1")
    # The path to the distribution's chromedriver keeps Selenium Manager (which downloads
    # drivers) out of the way.
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    try:
        yield driver
    finally:
        driver.quit()


def _shown_count(driver) -> str:
    """Wait until the page has its answer from the API and return the count it shows."""
    count = WebDriverWait(driver, WAIT_S).until(
        ec.presence_of_element_located((By.ID, "visitor-count")))
    WebDriverWait(driver, WAIT_S).until(
        lambda _: count.get_attribute("aria-busy") == "false",
        message="the page never got an answer from the visitor counter API")
    status = driver.find_element(By.ID, "visitor-status").text
    assert status == "", f"the page reports a failure: {status!r}"
    return count.text


def _png_facts(data: bytes) -> tuple[int, int, int]:
    """Width, height and distinct pixel-row count of a PNG, checking its structure (signature,
    every chunk's CRC, IHDR first, IEND last, image data that inflates to the size IHDR gives)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG signature"
    offset, chunks, idat = 8, [], b""
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        body = data[offset + 8:offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length:offset + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"bad CRC in chunk {kind!r}"
        chunks.append(kind)
        if kind == b"IDAT":
            idat += body
        offset += 12 + length
    assert chunks[0] == b"IHDR" and chunks[-1] == b"IEND", chunks
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    stride = 1 + width * channels * depth // 8
    pixels = zlib.decompress(idat)
    assert len(pixels) == height * stride, "image data does not match the IHDR size"
    rows = {pixels[i * stride + 1:(i + 1) * stride] for i in range(height)}
    return width, height, len(rows)


def test_page_shows_the_count_and_a_reload_adds_one(site_url, browser, aws_session):
    table, url = site_url
    browser.get(url)
    assert browser.title == "strata"
    first = _shown_count(browser)
    assert first == f"{SEED + 1:,}", f"first visit: the page shows {first!r}, expected {SEED + 1:,}"

    old = browser.find_element(By.ID, "visitor-count")
    browser.refresh()
    WebDriverWait(browser, WAIT_S).until(ec.staleness_of(old), message="the page did not reload")
    second = _shown_count(browser)
    assert int(second.replace(",", "")) == int(first.replace(",", "")) + 1, (first, second)

    item = aws_session.client("dynamodb").get_item(
        TableName=table, Key={"stat": {"S": "Quantity"}}, ConsistentRead=True)["Item"]
    assert int(item["viewCount"]["N"]) == int(second.replace(",", "")), (item, second)

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(SCREENSHOT)), "Chromium took no screenshot"
    data = SCREENSHOT.read_bytes()
    width, height, distinct_rows = _png_facts(data)
    viewport = browser.execute_script("return [window.innerWidth, window.innerHeight]")
    assert (width, height) == tuple(viewport), ((width, height), viewport)
    assert len(data) > 10_000, f"{SCREENSHOT} is only {len(data)} bytes"
    assert distinct_rows > 50, f"{SCREENSHOT} is nearly blank ({distinct_rows} distinct rows)"
