r"""Redaction of personal identifiers in verbatims, before any text reaches a result or a report.

:func:`redact_text` replaces, in this order (earlier patterns win where they overlap):

``[EMAIL]``
    ``local@domain.tld``.
``[URL]``
    ``http(s)://...`` and ``www....``.
``[ID]``
    Chinese resident identity numbers: 17 digits and a check character (digit or ``X``) whose
    ISO 7064 MOD 11-2 check holds (GB 11643-1999); the old 15-digit form is caught as a number.
``[CARD]``
    Payment-card numbers: 13 to 19 digits, optionally grouped by spaces or hyphens, passing the
    Luhn check (Luhn 1960).
``[PHONE]``
    Chinese mobiles (``1[3-9]`` and 9 digits, optional ``+86``/``0086``), landlines (``0`` +
    area code + 7-8 digits) and international numbers (``+`` country code and 6 or more
    digits, with spaces, hyphens, dots or a bracketed area code).
``[NUMBER]``
    Any other run of 7 or more digits (possibly grouped): an unchecked card or ID, an account
    or an order number.  Over-redaction is the safe side: a report never needs them.
``[NAME]``
    Names that come with a marker: an English title (``Mr``, ``Mrs``, ``Ms``, ``Miss``, ``Dr``,
    ``Prof``) and one or two capitalised words; "my name is X" / "I am X" with a capitalised
    X; a Chinese surname followed by 先生/女士/小姐/老师/经理/师傅; 我叫/我是/本人 followed by
    two or three characters of a name; and every name the caller passes in ``names`` (a
    customer list, agent names).  Names without any marker cannot be told from words by a rule:
    pass them in ``names``.

The replacement tokens contain no digit, so a redacted text passes through the patterns again
unchanged.
"""

from __future__ import annotations

import re

import pandas as pd

from .checks import require_texts

__all__ = ["redact_text", "redact", "luhn_valid", "china_id_valid"]

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
_URL = re.compile(r"(?:https?://|www\.)[^\s，。！？、；]+", re.I)
_ID18 = re.compile(r"(?<!\d)\d{17}[\dXx](?![\dA-Za-z])")
_CARD = re.compile(r"(?<!\d)\d(?:[ \-]?\d){12,18}(?!\d)")
_PHONE = re.compile(
    r"(?:(?:\+|00)86[ \-]?)?(?<!\d)1[3-9]\d(?:[ \-]?\d{4}){2}(?!\d)"                 # Chinese mobile
    r"|(?<!\d)0\d{2,3}[ \-]?\d{7,8}(?!\d)"                                          # Chinese landline
    r"|\+\d{1,3}[ \-.]?(?:\(\d{1,4}\)[ \-.]?)?\d(?:[ \-.]?\d){5,13}(?!\d)"           # international
    r"|(?<!\d)\(\d{3}\)[ \-.]?\d{3}[ \-.]?\d{4}(?!\d)")                              # (555) 123-4567
_NUMBER = re.compile(r"(?<!\d)\d(?:[ \-./]?\d){6,}(?!\d)")
_TITLE = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.?\s+[A-Z][a-z'\-]+(?:\s+[A-Z][a-z'\-]+)?")
_INTRO = re.compile(r"\b([Mm]y name is|[Tt]his is|I am|I'm)\s+[A-Z][a-z'\-]+(?:\s+[A-Z][a-z'\-]+)?")
_SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾"
             "夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
_ZH_TITLE = re.compile(rf"[{_SURNAMES}][\u4e00-\u9fff]?(?:先生|女士|小姐|老师|经理|师傅|同学)")
_ZH_INTRO = re.compile(rf"(我叫|我是|本人|联系人[:：]?)[{_SURNAMES}][\u4e00-\u9fff]{{1,2}}")
_ZH_NICK = re.compile(rf"(客服|店员|专员)(?:小|老)[{_SURNAMES}]")


def luhn_valid(digits: str) -> bool:
    """Luhn (1960) check of a string of digits (payment cards)."""
    d = [int(c) for c in digits if c.isdigit()]
    if len(d) < 2:
        return False
    total = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
            x *= 2
            x -= 9 if x > 9 else 0
        total += x
    return total % 10 == 0


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def china_id_valid(number: str) -> bool:
    """GB 11643-1999 check of an 18-character resident identity number (ISO 7064 MOD 11-2)."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    s = sum(int(c) * w for c, w in zip(number[:17], _ID_WEIGHTS))
    return "10X98765432"[s % 11] == number[17].upper()


def _sub_checked(pattern, token, check):
    def repl(m):
        return token if check(m.group(0)) else m.group(0)
    return lambda s: pattern.sub(repl, s)


_STEPS = (
    lambda s: _EMAIL.sub("[EMAIL]", s),
    lambda s: _URL.sub("[URL]", s),
    _sub_checked(_ID18, "[ID]", china_id_valid),
    _sub_checked(_CARD, "[CARD]", luhn_valid),
    lambda s: _PHONE.sub("[PHONE]", s),
    lambda s: _NUMBER.sub("[NUMBER]", s),
    lambda s: _TITLE.sub("[NAME]", s),
    lambda s: _INTRO.sub(lambda m: m.group(1) + " [NAME]", s),
    lambda s: _ZH_TITLE.sub("[NAME]", s),
    lambda s: _ZH_INTRO.sub(lambda m: m.group(1) + "[NAME]", s),
    lambda s: _ZH_NICK.sub(lambda m: m.group(1) + "[NAME]", s),
)


def redact_text(text: str, names=()) -> str:
    """``text`` with e-mails, URLs, ID, card, phone and long numbers and marked names replaced
    by ``[EMAIL]``, ``[URL]``, ``[ID]``, ``[CARD]``, ``[PHONE]``, ``[NUMBER]``, ``[NAME]``.

    Parameters
    ----------
    text : str
    names : iterable of str
        Names to remove wherever they occur (case-insensitive for Latin names), e.g. the
        customer and agent names of a CRM extract.

    Returns
    -------
    str

    References
    ----------
    Luhn, H. P. (1960). Computer for verifying numbers. U.S. Patent 2,950,048.
    GB 11643-1999, Citizen identification number.
    """
    if not isinstance(text, str):
        return text
    for step in _STEPS:
        text = step(text)
    for name in sorted({n for n in names if isinstance(n, str) and n.strip()}, key=len, reverse=True):
        text = re.sub(re.escape(name.strip()), "[NAME]", text, flags=re.I)
    return text


def redact(data: pd.DataFrame, text: str, *, names=()) -> pd.DataFrame:
    """A copy of ``data`` whose column ``text`` is redacted by :func:`redact_text`.

    Parameters
    ----------
    data : DataFrame
        Not modified.
    text : str
        Column holding the verbatims (strings; missing, blank and non-string cells are refused).
    names : iterable of str
        Extra names to remove (see :func:`redact_text`).

    Returns
    -------
    DataFrame
    """
    s = require_texts(data, text)
    out = data.copy()
    names = tuple(names)
    out[text] = s.map(lambda t: redact_text(t, names))
    return out
