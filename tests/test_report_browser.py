"""The HTML reports opened in headless Chromium, as a reader would open them: every figure
loads, and the rendered page is not blank where a figure sits.

Needs a Chromium/Chrome binary (Debian: ``apt-get install chromium``). Without one the tests
are skipped, unless ``CXMODELS_REQUIRE_BROWSER=1`` is set (``.ci/run`` sets it when it has
installed Chromium): then a missing browser is a failure.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
WIDTH = 1280
TIMEOUT = 120  # seconds for one browser run

# Appended to a copy of the report: once everything has loaded, write the number of images,
# the broken ones and where each sits on the page into an element that --dump-dom prints.
PROBE = """
<script>
window.addEventListener("load", function () {
  var imgs = Array.prototype.slice.call(document.images);
  var out = {n: imgs.length, broken: 0, images: []};
  imgs.forEach(function (img) {
    var ok = img.complete && img.naturalWidth > 0 && img.naturalHeight > 0;
    if (!ok) { out.broken += 1; }
    var r = img.getBoundingClientRect();
    out.images.push({ok: ok, naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight,
                     left: r.left + window.scrollX, top: r.top + window.scrollY,
                     width: r.width, height: r.height});
  });
  out.pageHeight = document.documentElement.scrollHeight;
  // overflow: the page must not scroll sideways, and no element outside a scroll box (a
  // table's own box, overflow-x auto/scroll) may reach past the right edge of the page
  var root = document.documentElement;
  out.scrollWidth = root.scrollWidth;
  out.clientWidth = root.clientWidth;
  out.tooWide = [];
  Array.prototype.slice.call(document.body.querySelectorAll("*")).forEach(function (el) {
    for (var p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      var ox = getComputedStyle(p).overflowX;
      if (ox === "auto" || ox === "scroll" || ox === "hidden") { return; }
    }
    var r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > root.clientWidth + 1) {
      out.tooWide.push({tag: el.tagName, cls: el.className, right: Math.round(r.right),
                        text: (el.textContent || "").slice(0, 60)});
    }
  });
  // the text a reader sees, by part: methods paragraphs, reference list items, table cells
  out.methods = Array.prototype.slice.call(document.querySelectorAll(".methods")).map(function (e) { return e.innerText; });
  out.references = Array.prototype.slice.call(document.querySelectorAll("ol.references > li")).map(function (e) { return e.innerText; });
  out.cells = Array.prototype.slice.call(document.querySelectorAll("td, th")).map(function (e) { return e.innerText.trim(); });
  out.text = document.body.innerText;
  var pre = document.createElement("pre");
  pre.id = "cx-image-probe";
  pre.textContent = btoa(unescape(encodeURIComponent(JSON.stringify(out))));
  document.body.appendChild(pre);
});
</script>
"""


def _browser() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    reason = (f"no headless browser found (looked for {', '.join(BROWSERS)} on PATH); "
              "install one, e.g. `apt-get install chromium`, to run the report browser check")
    if os.environ.get("CXMODELS_REQUIRE_BROWSER") == "1":
        pytest.fail(reason + " -- CXMODELS_REQUIRE_BROWSER=1 is set, so this is a failure")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    return _browser()


def _run(browser: str, tmp: Path, *args: str) -> subprocess.CompletedProcess:
    """One headless run with a private profile; ``--no-sandbox`` because CI runs as root."""
    profile = tmp / "chromium-profile"
    profile.mkdir(exist_ok=True)
    env = dict(os.environ, HOME=str(tmp), XDG_CONFIG_HOME=str(tmp / "xdg-config"),
               XDG_CACHE_HOME=str(tmp / "xdg-cache"))
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--hide-scrollbars",
           "--force-device-scale-factor=1", f"--user-data-dir={profile}", *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, env=env)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{browser} did not finish within {TIMEOUT} s: {' '.join(cmd)}")
    assert proc.returncode == 0, f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr[-3000:]}"
    return proc


def _probe(browser: str, report: Path, tmp: Path, height: int = 3000, width: int = WIDTH) -> dict:
    """Load a copy of ``report`` with :data:`PROBE` appended and read what it wrote."""
    page = tmp / f"probe_{width}_{report.name}"
    page.write_text(report.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    proc = _run(browser, tmp, "--dump-dom", "--virtual-time-budget=10000", f"--window-size={width},{height}",
                page.as_uri())
    m = re.search(r'<pre id="cx-image-probe">(.*?)</pre>', proc.stdout, flags=re.S)
    assert m, f"the probe did not run (no load event?); stderr:\n{proc.stderr[-2000:]}"
    return json.loads(base64.b64decode(m.group(1).strip()).decode("utf-8"))


def _screenshot(browser: str, report: Path, tmp: Path, height: int) -> np.ndarray:
    """A screenshot of the top ``height`` pixels of the page, as an RGB float array in [0, 1]."""
    shot = tmp / f"shot_{report.stem}.png"
    _run(browser, tmp, f"--screenshot={shot}", f"--window-size={WIDTH},{height}", "--virtual-time-budget=10000",
         report.as_uri())
    assert shot.exists() and shot.stat().st_size > 0, "no screenshot written"
    img = mpimg.imread(shot)
    assert img.shape[1] == WIDTH and img.shape[0] == height, img.shape
    return img[..., :3]


# "Surname (Year)", "Surname et al. (Year)", "Surname & Surname (Year)", and the parenthetical
# "(Surname, Year)" / "(Surname & Surname, Year)" forms
CITATION = re.compile(r"([A-Z][\w\u00c0-\u017f\-]+)(?:'s)?(?: et al\.| (?:&|and) [A-Z][\w\u00c0-\u017f\-]+)?"
                      r"(?:'s)?,? \(?(\d{4}[a-z]?)[);]")
NOT_A_VALUE = re.compile(r"(?<![A-Za-z])(nan|NaN|None|NaT|<NA>)(?![A-Za-z])")


def _check_rendered(probe: dict, name: str) -> None:
    """What a reader sees: nothing wider than the page, every cited work listed, no nan/None."""
    # (c) no sideways scrolling, no element past the right edge outside its own scroll box
    assert probe["scrollWidth"] <= probe["clientWidth"], (name, probe["scrollWidth"], probe["clientWidth"])
    assert probe["tooWide"] == [], (name, probe["tooWide"][:5])
    # (d) every work cited in a methods paragraph is in the reference list (first author, year)
    refs = probe["references"]
    assert len(refs) == len(set(refs)), f"{name}: a work is listed twice"
    missing = sorted({f"{a} ({y})" for text in probe["methods"] for a, y in CITATION.findall(text)
                      if not any(li.startswith(a) and f"({y})" in li for li in refs)})
    assert not missing, f"{name}: cited in Methods but not listed under References: {missing}"
    assert len(probe["methods"]) == len(set(probe["methods"])), f"{name}: a methods paragraph is repeated"
    # (e) no value shown as nan / None: not in a table cell, not in the text
    bad_cells = [c for c in probe["cells"] if NOT_A_VALUE.search(c)]
    assert not bad_cells, f"{name}: cells rendered as {bad_cells[:10]}"
    bad_text = NOT_A_VALUE.findall(probe["text"])
    assert not bad_text, f"{name}: text shows {sorted(set(bad_text))}"


def _check_report(browser: str, report: Path, tmp: Path) -> dict:
    text = report.read_text(encoding="utf-8")
    n_img = text.count("<img")
    assert n_img > 0, "the report has no figures to check"
    probe = _probe(browser, report, tmp)
    # (a) every <img> loaded: the browser decoded each embedded PNG
    assert probe["n"] == n_img
    assert probe["broken"] == 0, [i for i in probe["images"] if not i["ok"]]
    assert all(i["width"] > 100 and i["height"] > 50 for i in probe["images"]), probe["images"]
    _check_rendered(probe, report.name)
    # (b) a screenshot down to the bottom of the last figure (at most 16000 px) is not blank, and
    # where each figure sits it shows that figure: not white, and as dark on average as the PNG
    bottoms = [i["top"] + i["height"] for i in probe["images"]]
    height = int(min(max(bottoms) + 40, 16000))
    shot = _screenshot(browser, report, tmp, height)
    assert shot.std() > 0.05, "the screenshot is (nearly) uniform"
    embedded = re.findall(r'<img[^>]*src="data:image/png;base64,([^"]+)"', text)
    seen = []
    for img, b64 in zip(probe["images"], embedded):
        if img["top"] + img["height"] > height:
            continue
        top, left = int(round(img["top"])), int(round(img["left"]))
        region = shot[top: top + int(img["height"]), left: left + int(img["width"])]
        non_white = float((region < 0.9).any(axis=-1).mean())
        assert region.std() > 0.03 and non_white > 0.005, (img, region.std(), non_white)
        png = mpimg.imread(io.BytesIO(base64.b64decode(b64)))[..., :3]
        assert abs(region.mean() - png.mean()) < 0.05, (img, region.mean(), png.mean())
        seen.append(non_white)
    assert seen, "no figure within the screenshot"
    return {"images": probe["n"], "in_screenshot": len(seen), "non_white": seen}


def test_cli_study_report_renders_in_chromium(browser, tmp_path):
    """``cxmodels study sem`` run as a user would run it, its report opened in the browser."""
    out = tmp_path / "report"
    proc = subprocess.run([sys.executable, "-m", "cxmodels.cli", "study", "sem", "--out", str(out),
                           "--bootstrap", "50"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = out / "sem_study.html"
    assert str(report) in proc.stdout
    _check_report(browser, report, tmp_path)


def test_report_from_results_renders_in_chromium(browser, tmp_path):
    import matplotlib
    matplotlib.use("Agg")

    from cxmodels import ab, churn, datasets
    from cxmodels.report import write_report
    from cxmodels.sem import fit_sem, templates

    subs = datasets.make_subscriptions(600, seed=5)
    results = [fit_sem(templates.ACSI, datasets.load_acsi_survey()),
               churn.kaplan_meier(subs, "duration", "event", group="segment"),
               churn.cox(subs, "duration", "event", ["satisfaction"]),
               ab.compare_proportions({"control": 120, "new": 150}, {"control": 1000, "new": 1000}, seed=1)]
    report = write_report(results, tmp_path / "results.html", title="Four results")
    checked = _check_report(browser, report, tmp_path)
    assert checked["images"] == checked["in_screenshot"] == 4


def test_the_probe_sees_a_broken_image(browser, tmp_path):
    """The image check can fail: a corrupt PNG is counted as broken."""
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><html><body><p>x</p>"
                    '<img src="data:image/png;base64,iVBORw0KGgoAAAAAAAAAAAAA"/></body></html>', encoding="utf-8")
    probe = _probe(browser, page, tmp_path)
    assert probe["n"] == 1 and probe["broken"] == 1


@pytest.fixture(scope="module")
def all_studies(tmp_path_factory):
    """``cxmodels study all`` once, as a user runs it (few bootstrap replicates)."""
    out = tmp_path_factory.mktemp("studies")
    proc = subprocess.run([sys.executable, "-m", "cxmodels.cli", "study", "all", "--out", str(out),
                           "--bootstrap", "50"], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out, proc


@pytest.mark.parametrize("name", ["sem", "churn", "clv", "ab", "chain", "text", "programme"])
def test_every_study_report_reads_well_in_chromium(browser, all_studies, tmp_path, name):
    """Each bundled study, at the default width and at a narrow one: nothing wider than the page,
    every cited work listed once, no value rendered as nan/None."""
    out, proc = all_studies
    report = out / f"{name}_study.html"
    assert f"{name}: report written to {report}" in proc.stdout
    for width in (WIDTH, 760):
        _check_rendered(_probe(browser, report, tmp_path, width=width), f"{report.name} at {width} px")


def test_the_rendered_checks_can_fail(browser, tmp_path):
    """A page with a wide element, an unlisted citation and a nan is caught on each count."""
    page = tmp_path / "bad.html"
    page.write_text("<!DOCTYPE html><html><body style='margin:0'>"
                    "<div style='width:3000px'>wide</div><p class='methods'>As in Nobody (1999) and "
                    "Listed &amp; Other (2001).</p><ol class='references'><li>Listed, A., &amp; Other, B. (2001). "
                    "T.</li></ol><table><tr><td>nan</td></tr></table></body></html>", encoding="utf-8")
    probe = _probe(browser, page, tmp_path)
    assert probe["scrollWidth"] > probe["clientWidth"] and probe["tooWide"]
    with pytest.raises(AssertionError, match="scrollWidth|3000|wide"):
        _check_rendered(probe, "bad")
    probe.update(scrollWidth=probe["clientWidth"], tooWide=[])
    with pytest.raises(AssertionError, match=r"Nobody \(1999\)"):
        _check_rendered(probe, "bad")
    probe["methods"] = ["As in Listed & Other (2001)."]
    with pytest.raises(AssertionError, match="cells rendered as"):
        _check_rendered(probe, "bad")
