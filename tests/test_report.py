"""HTML reports built from fitted results of every domain (``Report.from_results``, ``write_report``)."""

from __future__ import annotations

import base64
import html as _html
import re

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
import pytest

from cxmodels import ab, churn, clv, datasets
from cxmodels.report import Report, write_report
from cxmodels.report import html as report_html
from cxmodels.sem import fit_pls, fit_sem, templates

matplotlib.use("Agg")

# a marker no estimate, label or number in a report could contain by chance
SECRET = "ZQXJ"
PNG = b"\x89PNG\r\n\x1a\n"


def _images(text: str) -> list[bytes]:
    return [base64.b64decode(i) for i in re.findall(r'<img[^>]*src="data:image/png;base64,([^"]+)"', text)]


@pytest.fixture(scope="module")
def fitted():
    """Results of the four domains, fitted on frames whose customer ids carry ``SECRET``."""
    survey = datasets.load_acsi_survey().copy()
    survey.insert(0, "respondent_id", [f"{SECRET}-R{i:05d}" for i in range(len(survey))])
    subs = datasets.make_subscriptions(800, seed=3)
    subs["customer_id"] = [f"{SECRET}-C{i:05d}" for i in range(len(subs))]
    tx = datasets.make_transactions(300, seed=3)
    tx["customer_id"] = f"{SECRET}-T" + tx["customer_id"].astype(str)
    rfm = clv.rfm_summary(tx, "customer_id", "date", "value")
    assert rfm.index.astype(str).str.startswith(SECRET).all()  # the ids reach the fitting code
    return {
        "sem": fit_sem(templates.ACSI, survey),
        "pls": fit_pls(templates.ACSI, survey),
        "km": churn.kaplan_meier(subs, "duration", "event", by="segment"),
        "logrank": churn.logrank(subs, "duration", "event", "segment"),
        "cox": churn.cox(subs, "duration", "event", ["satisfaction"]),
        "bgnbd": clv.BetaGeoNBD().fit(rfm),
        "gg": clv.GammaGamma().fit(rfm[rfm["frequency"] > 0]),
        "ab": ab.compare_proportions({"control": 120, "new": 150}, {"control": 1000, "new": 1000}, seed=1),
    }


@pytest.fixture(scope="module")
def report(fitted):
    n_open = len(plt.get_fignums())
    rep = Report.from_results("Four domains", list(fitted.values()), intro="One section per fitted result.")
    assert len(plt.get_fignums()) == n_open  # the figures it drew are closed again
    return rep, rep.to_html()


def test_one_section_per_result_with_its_summary_table(fitted, report):
    rep, text = report
    for res in fitted.values():
        name = type(res).__name__
        assert re.search(rf"<h2>{name}(: [^<]*)?</h2>", text), name
        assert f"<caption>{name}.summary()</caption>" in text
    assert text.count("<table") == len(fitted)
    assert "One section per fitted result." in text
    # sections come in the order given, References and Provenance close the report
    heads = re.findall(r"<h2>([^<:]*)", text)
    assert heads == [type(r).__name__ for r in fitted.values()] + ["References", "Provenance"]
    assert rep.notes == []


def test_one_embedded_png_per_result_that_plots(fitted, report):
    rep, text = report
    plotters = [r for r in fitted.values() if callable(getattr(r, "plot", None))]
    assert len(plotters) >= 3  # SEM path diagram, Kaplan-Meier curves, Cox forest plot, A/B posteriors
    images = _images(text)
    assert len(images) == rep.n_figures == len(plotters)
    assert all(img[:8] == PNG and len(img) > 2000 for img in images)


def test_methods_text_references_and_provenance(fitted, report):
    _, text = report
    for res in fitted.values():
        assert _html.escape(res.methods_text()) in text
        prov = res.provenance.to_dict()
        if prov["data"]:
            assert prov["data"]["sha256"] in text
    assert text.count('class="methods"') == len(fitted)
    refs = text.split("<h2>References</h2>")[1].split("<h2>Provenance</h2>")[0]
    assert "Rosseel, Y. (2012)" in refs  # the SEM methods text's reference list


def test_no_customer_level_values(fitted, report, tmp_path):
    _, text = report
    assert SECRET not in text
    # the same through the convenience writer, and the ids' column name is the only trace
    path = write_report(list(fitted.values()), tmp_path / "r" / "report.html", title="Written")
    written = path.read_text(encoding="utf-8")
    assert SECRET not in written and "<h1>Written</h1>" in written
    # summary tables are estimates, not data: no more rows than the parameter tables hold
    assert written.count("<tr>") < 400


def test_data_frames_are_refused(fitted):
    frame = pd.DataFrame({"customer_id": [f"{SECRET}-1"], "x": [1.0]})
    with pytest.raises(TypeError, match="never embed data rows"):
        Report.from_results("Data", frame)
    with pytest.raises(TypeError, match="never embed data rows"):
        Report.from_results("Data", [fitted["cox"], frame])


class _Duck:
    """A result by duck typing only: a summary, and whatever the test adds."""

    def __init__(self, n_rows=3, **attrs):
        self._n = n_rows
        self.__dict__.update(attrs)

    def summary(self):
        return pd.DataFrame({"term": [f"t{i}" for i in range(self._n)], "est": [0.5] * self._n})


class _BrokenPlot(_Duck):
    def plot(self):
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, 1])
        raise RuntimeError("axis limits exploded (sentinel 7731)")

    def methods_text(self):
        return "A model whose figure cannot be drawn (Doe, 2020)."


class _NoFigure(_Duck):
    def plot(self):
        return None


def test_a_failing_plot_gives_a_note_not_an_error(fitted):
    n_open = len(plt.get_fignums())
    rep = Report.from_results("Broken", [_BrokenPlot(), _NoFigure(), fitted["cox"]])
    text = rep.to_html()
    assert len(plt.get_fignums()) == n_open  # the half-drawn figure was closed
    assert "could not be drawn" in text and "RuntimeError: axis limits exploded (sentinel 7731)" in text
    assert "_NoFigure.plot() returned a NoneType, not a matplotlib Axes or Figure" in text
    assert len(rep.notes) == 3  # two failed plots, one missing methods text
    # the rest of the report is whole: both tables, the methods text, the Cox figure
    assert text.count("<table") == 3 and "A model whose figure cannot be drawn" in text
    assert len(_images(text)) == rep.n_figures == 1


def test_long_summaries_are_cut_with_a_note():
    rep = Report.from_results("Long", [_Duck(n_rows=500)])
    text = rep.to_html()
    n = report_html.MAX_SUMMARY_ROWS
    assert text.count("<tr") == n + 1  # header row plus the first n rows
    assert f"showing the first {n} of 500 rows" in text
    assert "t59" in text and "t60" not in text


def test_minimal_duck_result_and_warnings():
    res = _Duck(warnings=["the optimiser stopped at maxiter"], converged_=False,
                provenance={"method": "duck.fit", "data": {"n_rows": 3}})
    text = Report.from_results("Duck", {"A hand-named section": res, "Bare": _Duck()}).to_html()
    assert "<h2>A hand-named section</h2>" in text and "<h2>Bare</h2>" in text
    assert "converged_ is False" in text and "the optimiser stopped at maxiter" in text
    assert "has no methods_text()" in text
    assert "&quot;method&quot;: &quot;duck.fit&quot;" in text and "records no provenance" in text
    assert "References" not in text  # nothing to cite


def test_a_single_result_is_accepted(fitted):
    text = Report.from_results("One", fitted["logrank"]).to_html()
    assert "<h2>LogRankResult: churn.logrank</h2>" in text and "Mantel, 1966" in text
