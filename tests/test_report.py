"""HTML reports built from results (``Report.from_results``, ``write_report``): they read only
the result contract, list every cited work once, format each column for what it holds and
never print "nan"/"None".
"""

from __future__ import annotations

import base64
import html as _html
import re
import warnings

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from cxmodels import ab, churn, datasets
from cxmodels._results import Result
from cxmodels.errors import ConvergenceWarning
from cxmodels.provenance import make_provenance
from cxmodels.references import ref
from cxmodels.report import Report, write_report
from cxmodels.report import html as report_html
from cxmodels.sem import fit_sem, templates

matplotlib.use("Agg")

# a marker no estimate, label or number in a report could contain by chance
SECRET = "ZQXJ"
PNG = b"\x89PNG\r\n\x1a\n"

DOE = ref("Doe, J. (2020). A model of everything. Journal of Tests, 1, 1-10.")
ROE = ref("Roe, R., & Poe, P. (2019). Another model. Journal of Tests, 2, 3-4.")
ZED = ref("Zed, A., Bee, B., & Cee, C. (2018). Three authors. Journal of Tests, 3, 5-6.")

# "Surname (Year)", "Surname et al. (Year)", "Surname & Surname (Year)", "(Surname, Year)"
CITATION = re.compile(r"([A-Z][\w\-]+)(?:'s)?(?: et al\.| (?:&|and) [A-Z][\w\-]+)?(?:'s)?,? \(?(\d{4}[a-z]?)[);]")


def _images(text: str) -> list[bytes]:
    return [base64.b64decode(i) for i in re.findall(r'<img[^>]*src="data:image/png;base64,([^"]+)"', text)]


def _references(text: str) -> list[str]:
    block = text.split("<h2>References</h2>")[1].split("<h2>Provenance</h2>")[0]
    assert block.startswith("<ol class='references'>"), block[:80]
    return [_html.unescape(li) for li in re.findall(r"<li>(.*?)</li>", block)]


def _unlisted_citations(text: str) -> list[str]:
    """Citations in the methods paragraphs whose first author and year no reference has."""
    listed = _references(text) if "<h2>References</h2>" in text else []
    methods = " ".join(_html.unescape(m) for m in re.findall(r'<p class="methods">(.*?)</p>', text, flags=re.S))
    missing = []
    for name, year in CITATION.findall(methods):
        if not any(li.startswith(name) and f"({year})" in li for li in listed):
            missing.append(f"{name} ({year})")
    return missing


class _Toy(Result):
    """A result that follows the contract, with whatever a test needs."""

    def __init__(self, table, *, refs=(DOE,), methods="Estimated as in Doe (2020).", plot=True,
                 options=None, flag=None):
        self._table = table
        self._provenance = make_provenance("toy.fit", pd.DataFrame({"x": [1.0, 2.0]}), options or {}, seed=7)
        self._warnings = []
        self._references = tuple(refs)
        self._methods = methods
        self._can_plot = plot
        if flag:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._flag(flag, ConvergenceWarning)

    def methods_text(self):
        return self._methods

    def plot(self, ax=None):
        if self._can_plot == "raise":
            fig, ax = plt.subplots()
            ax.plot([0, 1], [0, 1])
            raise RuntimeError("axis limits exploded (sentinel 7731)")
        if not self._can_plot:
            return super().plot(ax)
        fig, ax = plt.subplots()
        ax.plot([0, 1, 2], [0, 1, 0])
        return ax


def _toy_table(n=3):
    return pd.DataFrame({"est": np.linspace(0.1, 0.5, n), "se": 0.1, "pvalue": 0.0}, index=[f"t{i}" for i in range(n)])


@pytest.fixture(scope="module")
def fitted():
    """Results of several domains, fitted on frames whose customer ids carry ``SECRET``."""
    survey = datasets.load_acsi_survey().copy()
    survey.insert(0, "respondent_id", [f"{SECRET}-R{i:05d}" for i in range(len(survey))])
    subs = datasets.make_subscriptions(800, seed=3)
    subs["customer_id"] = [f"{SECRET}-C{i:05d}" for i in range(len(subs))]
    return {
        "sem": fit_sem(templates.ACSI, survey.drop(columns="respondent_id")),
        "cox": churn.cox(subs, "duration", "event", ["satisfaction"]),
        "ab": ab.compare_proportions({"control": 120, "new": 150}, {"control": 1000, "new": 1000}, seed=1),
    }


@pytest.fixture(scope="module")
def report(fitted):
    n_open = len(plt.get_fignums())
    rep = Report.from_results("Three domains", list(fitted.values()), intro="One section per fitted result.")
    assert len(plt.get_fignums()) == n_open  # the figures it drew are closed again
    return rep, rep.to_html()


def test_one_section_per_result_with_its_summary_table(fitted, report):
    rep, text = report
    for res in fitted.values():
        name = type(res).__name__
        assert re.search(rf"<h2>{name}: [^<]*</h2>", text), name
        assert f"<caption>{name}.summary()</caption>" in text
    assert text.count("<table") == len(fitted)
    assert "One section per fitted result." in text
    heads = re.findall(r"<h2>([^<:]*)", text)
    assert heads == [type(r).__name__ for r in fitted.values()] + ["References", "Provenance"]
    assert rep.notes == []


def test_one_embedded_png_per_result(fitted, report):
    rep, text = report
    images = _images(text)
    assert len(images) == rep.n_figures == len(fitted)  # SEM path diagram, Cox forest plot, A/B posteriors
    assert all(img[:8] == PNG and len(img) > 2000 for img in images)


def test_methods_references_and_provenance_of_real_results(fitted, report):
    _, text = report
    for res in fitted.values():
        assert _html.escape(res.methods_text()) in text
        assert res.provenance.data["sha256"] in text
    listed = _references(text)
    assert len(listed) == len(set(listed)) >= 1
    assert listed == sorted(listed, key=str.lower)
    for res in fitted.values():
        for r in res.references:
            assert r.text in listed


def test_every_cited_work_is_listed_once_and_paragraphs_are_not_repeated():
    a = _Toy(_toy_table(), refs=(DOE, ROE), methods="Fitted as in Doe (2020), checked by Roe & Poe (2019).")
    b = _Toy(_toy_table(), refs=(DOE, ZED), methods="Bootstrapped (Zed et al., 2018) after Doe (2020).")
    again = _Toy(_toy_table(), refs=(DOE, ROE), methods="Fitted as in Doe (2020), checked by Roe & Poe (2019).")
    text = Report.from_results("Refs", [a, b, again]).to_html()
    listed = _references(text)
    assert listed == [DOE.text, ROE.text, ZED.text]  # one <li> per work, alphabetical, no repeats
    assert text.count("Fitted as in Doe (2020)") == 1  # the identical paragraph is shown once
    assert _unlisted_citations(text) == []
    # the check itself can fail: a paragraph citing a work no result lists
    bad = Report.from_results("Bad", [_Toy(_toy_table(), refs=(), methods="As in Nobody (1999).")]).to_html()
    assert _unlisted_citations(bad) == ["Nobody (1999)"]


def test_real_results_cite_only_listed_works(report):
    _, text = report
    assert _unlisted_citations(text) == []


def test_number_formats_per_column():
    rep = Report("Formats")
    tab = pd.DataFrame({"est": [0.51234, -1.5, np.nan], "pvalue": [0.0, 0.0123, 1.0], "df": [69.0, 2.0, 3.0],
                        "n_obs": [2357.0, 12.0, 40.0], "label": ["a", None, "c"]},
                       index=pd.Index([90.0, 180.0, 365.0], name="day"))
    rep.table(tab, caption="Formats")
    wide = pd.DataFrame([[0.9, 0.8]], columns=[90.0, 180.0], index=["all"])
    rep.table(wide, caption="Retention")
    fit = pd.Series({"chisq": 123.456, "df": 69.0, "pvalue": 0.0004, "cfi": 0.98})
    rep.table(fit, caption="Fit indices")
    text = rep.to_html()
    cells = re.findall(r"<t[dh][^>]*>([^<]*)</t[dh]>", text)
    assert "<0.001" in _html.unescape(text) and "0.012" in cells and "1.000" in cells and "0.000" not in cells
    assert "69" in cells and "69.000" not in cells and "2357" in cells and "2357.000" not in cells
    assert "90" in cells and "180" in cells and "90.0" not in cells and "180.0" not in cells
    assert "0.512" in cells and "-1.500" in cells and "123.456" in cells
    for bad in ("nan", "NaN", "None"):
        assert bad not in cells
    assert cells.count(report_html.DASH) == 2  # the NaN estimate and the None label
    assert report_html.BLANK_NOTE in _html.unescape(text)  # a dash is explained under its table
    rep2 = Report("Note")
    rep2.table(pd.DataFrame({"nps": [12.0, np.nan]}, index=["a", "b"]), note="b: fewer than 30 answers, not shown")
    assert "b: fewer than 30 answers, not shown" in rep2.to_html()


def test_provenance_is_compact_and_records_later_steps():
    grid = np.linspace(10, 87, 78)
    res = _Toy(_toy_table(), options={"grid": grid, "model": "y ~ x" * 40})
    res._provenance = res.provenance.with_step("bootstrap", seed=2026, n_boot=500)
    text = Report.from_results("Prov", [res]).to_html()
    prov = _html.unescape(text.split("<h2>Provenance</h2>")[1])
    assert "(78 values from 10 to 87, step 1)" in prov
    assert "\n  10\n" not in prov  # not one number per line
    assert "step: bootstrap" in prov and "seed: 2026" in prov and "n_boot: 500" in prov
    assert "None" not in prov and "nan" not in prov


def test_flags_and_warnings_from_the_contract():
    res = _Toy(_toy_table(), flag="the optimiser stopped at maxiter")
    text = Report.from_results("Flags", {"A hand-named section": res}).to_html()
    assert "<h2>A hand-named section</h2>" in text
    assert "converged is False" in text and "the optimiser stopped at maxiter" in text


def test_no_customer_level_values(fitted, report, tmp_path):
    _, text = report
    assert SECRET not in text
    path = write_report(list(fitted.values()), tmp_path / "r" / "report.html", title="Written")
    written = path.read_text(encoding="utf-8")
    assert SECRET not in written and "<h1>Written</h1>" in written
    assert written.count("<tr>") < 400  # summary tables are estimates, not data


def test_data_frames_are_refused(fitted):
    frame = pd.DataFrame({"customer_id": [f"{SECRET}-1"], "x": [1.0]})
    with pytest.raises(TypeError, match="never embed data rows"):
        Report.from_results("Data", frame)
    with pytest.raises(TypeError, match="never embed data rows"):
        Report.from_results("Data", [fitted["cox"], frame])


def test_a_failing_plot_gives_a_note_not_an_error():
    n_open = len(plt.get_fignums())
    rep = Report.from_results("Broken", [_Toy(_toy_table(), plot="raise"), _Toy(_toy_table(), plot=False),
                                         _Toy(_toy_table())])
    text = rep.to_html()
    assert len(plt.get_fignums()) == n_open  # the half-drawn figure was closed
    assert "could not be drawn" in text and "RuntimeError: axis limits exploded (sentinel 7731)" in text
    assert len(rep.notes) == 1  # a result without a single-axes plot has no figure and no note
    assert text.count("<table") == 3 and len(_images(text)) == rep.n_figures == 1


def test_long_summaries_are_cut_with_a_note():
    rep = Report.from_results("Long", [_Toy(_toy_table(500), plot=False)])
    text = rep.to_html()
    n = report_html.MAX_SUMMARY_ROWS
    assert text.count("<tr") == n + 1  # header row plus the first n rows
    assert f"showing the first {n} of 500 rows" in text
    assert ">t59<" in text and ">t60<" not in text


def test_a_single_result_is_accepted(fitted):
    text = Report.from_results("One", fitted["cox"]).to_html()
    assert re.search(r"<h2>CoxResult: [^<]+</h2>", text)
