"""``cxmodels study programme``: the report runs, has its sections, finds the planted alarm, shows no rows."""

import re

import pandas as pd
import pytest

from cxmodels.datasets.programme import make_programme
from cxmodels.report.study_programme import study_programme


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    steps = []
    path = study_programme(tmp_path_factory.mktemp("programme"), bootstrap=50, seed=2026, log=steps.append)
    return path, path.read_text(encoding="utf-8"), steps


def test_report_written_with_its_sections(report):
    path, html, steps = report
    assert path.name == "programme_study.html" and path.is_file()
    for heading in ["Question", "Data", "Touchpoint scorecards", "Key drivers of overall satisfaction",
                    "The live stream and its alarm", "Weekly season and tracking line", "Kano study"]:
        assert f">{heading}</h2>" in html
    assert len(steps) == 5
    assert html.count("<img") >= 5


def test_planted_alarm_found_with_stated_arl(report):
    _, html, _ = report
    truth = make_programme(365, seed=2026).truth
    assert truth["shift_date"] == pd.Timestamp("2025-11-01")
    assert "Planted shift: -0.06 in the top-box probability from 2025-11-01" in html
    m = re.search(r"first alarm after the shift on (\d{4}-\d\d-\d\d), (\d+) days after it", html)
    assert m is not None
    assert 0 <= int(m.group(2)) <= 21  # a 1-SE shift has ARL about 10 days; this one is larger
    assert "stated in-control ARL 370.0 days" in html
    sim = re.search(r"simulated ARL ([\d.]+) \(SE ([\d.]+)\) against the stated 370.0", html)
    assert sim is not None
    assert abs(float(sim.group(1)) - 370.0) < 3 * float(sim.group(2)) + 1


def test_no_customer_rows(report):
    _, html, _ = report
    tables = re.findall(r"<table.*?</table>", html, flags=re.S)
    assert tables
    rows = [t.count("<tr") for t in tables]
    assert max(rows) < 60  # aggregates only: no table of 365 days, 800 raters or 3000 respondents
    # no daily dates listed: at most a few dates (shift, alarms, last weeks of the tracking line)
    assert len(set(re.findall(r"2025-\d\d-\d\d", html))) < 20


def test_generator_seeded_and_truthful():
    a, b = make_programme(60, seed=1), make_programme(60, seed=1)
    pd.testing.assert_frame_equal(a.stream, b.stream)
    pd.testing.assert_frame_equal(a.kano, b.kano)
    assert a.stream["date"].nunique() == 60
    assert a.survey.attrs["truth"] is a.truth and a.truth["shift_day"] == 30


def test_generator_bad_input():
    from cxmodels.errors import InputError
    with pytest.raises(InputError, match="n_days"):
        make_programme(10, seed=1)
    with pytest.raises(InputError, match="shift_day"):
        make_programme(60, seed=1, shift_day=60)


def test_no_bootstrap_runs(tmp_path):
    path = study_programme(tmp_path, bootstrap=0, seed=3)
    html = path.read_text(encoding="utf-8")
    assert "no bootstrap (--bootstrap 0)" in html and ">Kano study</h2>" in html
