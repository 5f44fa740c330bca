"""Bad input for the text domain: only cxmodels errors, nothing modified, clear messages for the
issue's named cases (empty texts, non-string cells, too small a corpus, the wrong language)."""

from __future__ import annotations

import pandas as pd
import pytest
from badinput import assert_clean, variants

from cxmodels import text as tx
from cxmodels.datasets.verbatims import make_verbatims
from cxmodels.errors import InputError


@pytest.fixture(scope="module")
def good():
    d = make_verbatims(300, seed=3, language="en")
    M = tx.mentions(d, "text", d.attrs["truth"]["phrases"])
    return d.join(M)


def _calls(frame):
    themes = ["price", "delivery", "service", "app", "quality"]
    return [
        (tx.tokenize, (frame, "text"), {"language": "en"}),
        (tx.keyness, (frame, "text", "nps_group"), {"focus": "detractor", "language": "en"}),
        (tx.fit_topics, (frame, "text"), {"n_topics": 3, "language": "en", "seed": 1, "n_seeds": 1}),
        (tx.fit_sentiment, (frame, "text", "rating"), {"language": "en", "seed": 1}),
        (tx.nps_impact, (frame, "rating", themes), {"n_boot": 100, "seed": 1}),
        (tx.theme_alarms, (frame, "date", themes), {"baseline": 6, "n_sim": 50, "seed": 1}),
        (tx.redact, (frame, "text"), {}),
        (tx.mentions, (frame, "text", {"price": ["expensive"]}), {}),
    ]


def test_sweep_corpus(good):
    for name, bad in variants(good, ["text", "rating", "price", "date"]):
        for fn, args, kw in _calls(bad):
            assert_clean(fn, *args, **kw)


def test_good_frame_runs_clean(good):
    for fn, args, kw in _calls(good):
        out = assert_clean(fn, *args, **kw)
        assert not isinstance(out, Exception), (fn.__name__, out)


@pytest.mark.parametrize("fn,kw", [(tx.tokenize, {"language": "en"}), (tx.fit_topics, {"language": "en"}),
                                   (tx.redact, {})])
def test_empty_texts_named(good, fn, kw):
    bad = good.copy()
    bad.loc[[4, 9], "text"] = ["", "   "]
    err = assert_clean(fn, bad, "text", **kw)
    assert isinstance(err, InputError) and "2 empty texts" in str(err) and "rows 4, 9" in str(err)
    bad = good.copy()
    bad.loc[7, "text"] = None
    err = assert_clean(fn, bad, "text", **kw)
    assert isinstance(err, InputError) and "missing texts" in str(err) and "rows 7" in str(err)


def test_non_string_cells_named(good):
    bad = good.copy()
    bad["text"] = bad["text"].astype(object)
    bad.loc[3, "text"] = 42
    bad.loc[5, "text"] = 3.5
    err = assert_clean(tx.tokenize, bad, "text", language="en")
    assert isinstance(err, InputError)
    assert "must hold strings" in str(err) and "int" in str(err) and "float" in str(err) and "rows 3, 5" in str(err)


def test_corpus_smaller_than_topics(good):
    err = assert_clean(tx.fit_topics, good.iloc[:8], "text", n_topics=5, language="en", min_df=1)
    assert isinstance(err, InputError) and "cannot support 5 topics" in str(err)
    err = assert_clean(tx.fit_topics, good, "text", n_topics=1, language="en")
    assert isinstance(err, InputError) and "n_topics" in str(err)


def test_wrong_language_refused(good):
    err = assert_clean(tx.tokenize, good, "text", language="zh")
    assert isinstance(err, InputError) and "declared Chinese" in str(err) and "written in English" in str(err)
    zh = make_verbatims(100, seed=1, language="zh")
    err = assert_clean(tx.keyness, zh, "text", "nps_group", focus="detractor", language="en")
    assert isinstance(err, InputError) and "declared English" in str(err)
    err = assert_clean(tx.tokenize, good, "text", language="fr")
    assert isinstance(err, InputError) and "'zh'" in str(err)
    # a few English answers in a Chinese survey are accepted
    mixed = zh.copy()
    mixed.loc[:4, "text"] = "great product"
    assert not isinstance(assert_clean(tx.tokenize, mixed, "text", language="zh"), Exception)
    assert tx.tokenize(mixed, "text", language="auto").language == "zh"


def test_other_named_cases(good):
    err = assert_clean(tx.keyness, good, "text", "segment", focus="nobody", language="en")
    assert isinstance(err, InputError) and "focus" in str(err)
    err = assert_clean(tx.fit_topics, good, "text", method="lsa", language="en")
    assert isinstance(err, InputError) and "'nmf' or 'lda'" in str(err)
    err = assert_clean(tx.fit_topics, good, "text", criterion="heldout", language="en")
    assert isinstance(err, InputError) and "lda" in str(err)
    bad = good.copy()
    bad.loc[2, "rating"] = 11
    err = assert_clean(tx.fit_sentiment, bad, "text", "rating", language="en")
    assert isinstance(err, InputError) and "0..10" in str(err)
    err = assert_clean(tx.nps_impact, good, "rating", ["price", "price"], n_boot=100)
    assert isinstance(err, InputError) and "collinear" in str(err)
    bad = good.copy()
    bad["date"] = bad["date"].astype(str)
    err = assert_clean(tx.theme_alarms, bad, "date", ["price"])
    assert isinstance(err, InputError) and "datetimes" in str(err)
    err = assert_clean(tx.theme_alarms, good, "date", ["rating"])
    assert isinstance(err, InputError) and "0/1" in str(err)
    stop = pd.DataFrame({"text": ["the and of", "to the a"] * 3})
    err = assert_clean(tx.tokenize, stop, "text", language="en")
    assert isinstance(err, InputError) and "no terms left" in str(err)
    err = assert_clean(tx.mentions, good, "text", {"price": []})
    assert isinstance(err, InputError)
