"""Redaction: a corpus of planted identifiers, none of which may survive; nothing raw in results."""

from __future__ import annotations

import re

import numpy as np
import pytest

from cxmodels import text as tx
from cxmodels.datasets.verbatims import _china_id, _luhn_complete, make_verbatims

PLANTED = [
    # (text, identifier that must vanish)
    ("请联系我13812345678谢谢", "13812345678"),
    ("电话 +86 139-1234-5678", "139-1234-5678"),
    ("座机010-62345678", "62345678"),
    ("email me at jane.doe+cx@mail.example.co.uk now", "jane.doe+cx@mail.example.co.uk"),
    ("邮箱zhang_san@qq.com", "zhang_san@qq.com"),
    ("card 4111 1111 1111 1111 was charged twice", "4111 1111 1111 1111"),
    ("卡号4111-1111-1111-1111", "1111-1111-1111"),
    ("身份证号11010519491231002X", "11010519491231002X"),
    ("ID 110105194912310021 wrong check digit", "110105194912310021"),
    ("call +44 20 7946 0958 or +1 (415) 555-2671", "7946 0958"),
    ("call (415) 555-2671", "555-2671"),
    ("order 2026031512345 never came", "2026031512345"),
    ("see https://shop.example.com/order?id=9 for details", "shop.example.com"),
    ("Mr Smith was rude", "Smith"),
    ("Dr. Jane Brown helped", "Jane Brown"),
    ("my name is Alice Walker", "Alice Walker"),
    ("王先生很有耐心", "王先生"),
    ("我叫李小明，电话打不通", "李小明"),
    ("客服小王态度差", "小王"),
    ("the agent Priya was great", "Priya"),  # unmarked: only through names=
]


def test_luhn_and_china_id_checks():
    assert tx.luhn_valid("4111111111111111") and not tx.luhn_valid("4111111111111112")
    assert tx.china_id_valid("11010519491231002X") and not tx.china_id_valid("110105194912310021")
    rng = np.random.default_rng(0)
    for _ in range(50):
        assert tx.china_id_valid(_china_id(rng))
        assert tx.luhn_valid(_luhn_complete(f"5{rng.integers(0, 10**14):014d}"))


@pytest.mark.parametrize("raw,ident", PLANTED)
def test_no_planted_identifier_survives(raw, ident):
    out = tx.redact_text(raw, names=["Priya"])
    assert ident not in out, out
    assert not re.search(r"\d{7,}", out.replace(" ", "").replace("-", "")), out
    assert "[" in out
    assert tx.redact_text(out, names=["Priya"]) == out  # idempotent


def test_ordinary_text_is_kept():
    for s in ("价格太贵了，快递太慢", "The app keeps crashing since version 2.3", "waited 45 minutes on the hotline",
              "买了3件，2026年3月到货"):
        assert tx.redact_text(s) == s


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_generator_identifiers_all_removed(lang):
    d = make_verbatims(3000, seed=11, language=lang, identifiers=0.2)
    planted = d.attrs["truth"]["identifiers"]
    assert len(planted) > 400
    red = tx.redact(d, "text")
    for row, ident in planted:
        assert ident not in red["text"].iloc[row], red["text"].iloc[row]
    assert d["text"].iloc[planted[0][0]] != red["text"].iloc[planted[0][0]]  # the caller's frame untouched


def test_results_hold_no_identifier_and_no_raw_text():
    d = make_verbatims(1500, seed=12, language="en", identifiers=0.3)
    planted = d.attrs["truth"]["identifiers"]
    topics = tx.fit_topics(d, "text", n_topics=5, language="en", seed=1, n_seeds=1)
    blob = " ".join(topics.top_terms(20).astype(str).to_numpy().ravel()) + " ".join(topics.snippets(5)["text_redacted"])
    terms = tx.tokenize(d, "text", language="en", min_df=1)
    blob += " ".join(terms.terms)
    for _, ident in planted:
        for part in re.split(r"[\s@.]+", ident):
            if len(part) >= 4 and any(c.isdigit() for c in part):
                assert part not in blob
    assert not any(t.startswith("user") and t[4:].isdigit() for t in terms.terms)
    assert "text" not in topics.snippets().columns  # only the redacted text is kept
