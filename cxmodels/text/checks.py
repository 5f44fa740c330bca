"""Checks of text columns shared by the text domain (public to the package, not to users).

Every check names the column, the rows and what is expected, and raises
:class:`~cxmodels.errors.InputError`; none modifies the frame.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .._validation import require_columns, require_frame, require_unique_columns, rows_text
from ..errors import InputError

LANGUAGES = ("zh", "en")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


def check_language(language) -> str:
    if language not in LANGUAGES + ("auto",):
        raise InputError(f"language must be 'zh' (Chinese), 'en' (English) or 'auto', got {language!r}")
    return language


def script_of(texts) -> np.ndarray:
    """Per text: 'zh' when CJK characters are at least a quarter of its letters, 'en' when
    it has at least three Latin letters and few CJK characters, '' when too short to tell."""
    out = np.empty(len(texts), dtype=object)
    for i, t in enumerate(texts):
        c, latin = len(_CJK.findall(t)), len(_LATIN.findall(t))
        if c and c >= 0.25 * (c + latin / 4):  # a CJK character carries about a word: 4 letters
            out[i] = "zh"
        elif latin >= 3:
            out[i] = "en"
        else:
            out[i] = ""
    return out


def require_texts(data, text: str, what: str = "data") -> pd.Series:
    """The column ``text`` of ``data`` as a Series of non-empty strings (the caller's frame is not
    touched); refuses a missing column, non-string cells, missing and blank answers."""
    data = require_frame(data, what)
    require_unique_columns(data, what)
    if not isinstance(text, str):
        raise InputError(f"text must be the name of the column holding the texts, got {text!r}")
    require_columns(data, [text], what)
    s = data[text]
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    missing = s.index[s.isna().to_numpy()]
    if len(missing):
        raise InputError(f"column {text!r} of {what} has {len(missing)} missing texts ({rows_text(missing)}); "
                         f"drop them first (data.dropna(subset=[{text!r}]))")
    nonstr = s.index[~s.map(lambda v: isinstance(v, str)).to_numpy(bool)]
    if len(nonstr):
        kinds = sorted({type(v).__name__ for v in s.loc[nonstr]})
        raise InputError(f"column {text!r} of {what} must hold strings; {len(nonstr)} cells are "
                         f"{', '.join(kinds)} ({rows_text(nonstr)}); convert or drop them")
    blank = s.index[(s.str.strip() == "").to_numpy(bool)]
    if len(blank):
        raise InputError(f"column {text!r} of {what} has {len(blank)} empty texts ({rows_text(blank)}); "
                         "drop them first: an empty answer has no words to count")
    return s


def resolve_language(texts: pd.Series, language: str, column: str, tolerance: float = 0.1) -> str:
    """Check the declared language against the script of the texts; ``'auto'`` takes the majority.

    More than ``tolerance`` of the texts written in the other script is refused, naming the rows:
    a Chinese segmenter splits English into letters and an English tokenizer drops Chinese.
    """
    language = check_language(language)
    scripts = script_of(texts.to_numpy())
    known = scripts[scripts != ""]
    if language == "auto":
        if len(known) == 0:
            raise InputError(f"cannot tell the language of column {column!r}: no text has three letters or a "
                             "Chinese character; pass language='zh' or 'en'")
        language = "zh" if np.mean(known == "zh") >= 0.5 else "en"
    other = texts.index[(scripts != "") & (scripts != language)]
    if len(other) > tolerance * len(texts):
        name = {"zh": "Chinese", "en": "English"}
        raise InputError(f"column {column!r} was declared {name[language]} (language={language!r}) but "
                         f"{len(other)} of {len(texts)} texts are written in "
                         f"{name['en' if language == 'zh' else 'zh']} ({rows_text(other)}); pass the right "
                         "language or split the corpus by language")
    return language
