r"""Tokens and sparse document-term matrices for Chinese and English verbatims.

Chinese is segmented by jieba (Sun 2012; its shipped dictionary and HMM for unknown words),
English by scikit-learn's token pattern ``\b\w\w+\b`` on lower-cased text (Pedregosa et al.
2011).  Both drop the stop words shipped in :mod:`cxmodels.text.stopwords` (negations and
intensifiers are kept), punctuation and pure numbers, then build n-grams of the remaining
tokens (joined by a space) and count them into a ``scipy.sparse`` CSR matrix (documents x
terms).  User dictionaries keep product and brand terms whole: jieba gets them as words (a
private tokenizer per dictionary: jieba's global one is never changed); in English a
multi-word term (``"face id"``) is joined into one token (``"face_id"``).
"""

from __future__ import annotations

import functools
import logging
import re
import warnings as _warnings

import numpy as np
import pandas as pd

from .. import plotting
from .._results import Result
from ..errors import CXModelsWarning, InputError
from ..provenance import make_provenance
from . import references as refs
from ._plot import quiet, term_labels
from .checks import require_texts, resolve_language
from .redact import redact_text
from .stopwords import CHINESE, english

__all__ = ["DocumentTerms", "tokenize", "analyzer"]

_WORD = re.compile(r"\w", re.U)
_DIGITS = re.compile(r"^[\d.,%]+$")
_EN_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_PLACEHOLDER = re.compile(r"\[(?:EMAIL|URL|ID|CARD|PHONE|NUMBER|NAME)\]")


@functools.lru_cache(maxsize=8)
def _jieba(user_words: tuple):
    import jieba

    jieba.setLogLevel(logging.WARNING)  # jieba logs its dictionary loading at INFO on every tokenizer
    tok = jieba.Tokenizer()
    tok.initialize()
    for w in user_words:
        tok.add_word(w, freq=max(tok.suggest_freq(w, False), 1000))
    return tok


def _stop_set(language: str, stop_words) -> frozenset:
    if stop_words is None:
        return frozenset()
    if isinstance(stop_words, str):
        if stop_words != "default":
            raise InputError(f"stop_words must be 'default', None or a list of words, got {stop_words!r}")
        return CHINESE if language == "zh" else english()
    try:
        extra = frozenset(str(w).lower() for w in stop_words)
    except TypeError:
        raise InputError(f"stop_words must be 'default', None or a list of words, got {stop_words!r}") from None
    return (CHINESE if language == "zh" else english()) | extra


def _check_words(user_words) -> tuple:
    if user_words is None:
        return ()
    if isinstance(user_words, str):
        user_words = [user_words]
    try:
        words = tuple(sorted({w.strip() for w in user_words}))
    except (TypeError, AttributeError):
        raise InputError(f"user_words must be a list of strings, got {user_words!r}") from None
    if any(not w for w in words):
        raise InputError("user_words contains an empty word")
    return words


def _check_ngrams(ngram_range) -> tuple[int, int]:
    try:
        lo, hi = (int(x) for x in ngram_range)
    except (TypeError, ValueError):
        raise InputError(f"ngram_range must be (min_n, max_n), got {ngram_range!r}") from None
    if not 1 <= lo <= hi <= 5:
        raise InputError(f"ngram_range must satisfy 1 <= min_n <= max_n <= 5, got {ngram_range!r}")
    return lo, hi


class _Analyzer:
    """Text -> list of terms (a picklable callable for scikit-learn's CountVectorizer)."""

    def __init__(self, language: str, user_words: tuple, stop: frozenset, ngram_range: tuple[int, int],
                 redact: bool = True):
        self.language, self.user_words, self.stop, self.ngram_range = language, user_words, stop, ngram_range
        self.redact = redact
        self._phrases = [(re.compile(r"\b" + re.escape(w.lower()) + r"\b"), w.lower().replace(" ", "_"))
                         for w in user_words if " " in w] if language == "en" else []

    def unigrams(self, doc: str) -> list[str]:
        if self.redact:
            doc = _PLACEHOLDER.sub(" ", redact_text(doc))
        if self.language == "zh":
            raw = _jieba(self.user_words).lcut(doc)
            toks = [t.strip().lower() for t in raw]
        else:
            doc = doc.lower()
            for pat, joined in self._phrases:
                doc = pat.sub(joined, doc)
            toks = _EN_TOKEN.findall(doc)
        return [t for t in toks if t and _WORD.search(t) and not _DIGITS.match(t) and t not in self.stop]

    def __call__(self, doc: str) -> list[str]:
        toks = self.unigrams(doc)
        lo, hi = self.ngram_range
        if (lo, hi) == (1, 1):
            return toks
        out = []
        for n in range(lo, hi + 1):
            out += [" ".join(toks[i:i + n]) for i in range(len(toks) - n + 1)]
        return out


def analyzer(language: str = "zh", *, user_words=(), stop_words="default", ngram_range=(1, 1), redact: bool = True):
    """The callable that turns one text into its terms, as :func:`tokenize` uses it.

    Returns
    -------
    callable
        ``str -> list of str``.
    """
    if language not in ("zh", "en"):
        raise InputError(f"language must be 'zh' or 'en', got {language!r}")
    return _Analyzer(language, _check_words(user_words), _stop_set(language, stop_words), _check_ngrams(ngram_range),
                     bool(redact))


class DocumentTerms(Result):
    """A sparse document-term count matrix; see :func:`tokenize`.

    ``summary()`` has one row per term: ``est`` (total count), ``doc_freq`` (documents using it)
    and ``share`` (of all counted tokens); ``params`` is the total count by term.

    Attributes
    ----------
    matrix : scipy.sparse.csr_matrix
        Documents x terms counts (int32), rows in the order of ``index``.
    terms : numpy.ndarray
        The vocabulary, column order of ``matrix``.
    index : pandas.Index
        The index of the rows of ``data``.
    language : str
    analyzer : callable
        ``str -> list of terms`` (re-used by :meth:`transform`).
    """

    def __init__(self, *, matrix, terms, index, language, analyzer_, options, provenance):
        self.matrix, self.terms, self.index, self.language = matrix, terms, index, language
        self.analyzer, self.options = analyzer_, options
        self._provenance, self._warnings = provenance, []
        self._references = (refs.JIEBA, refs.SKLEARN) if language == "zh" else (refs.SKLEARN,)
        counts = np.asarray(matrix.sum(axis=0)).ravel()
        dfreq = np.asarray((matrix > 0).sum(axis=0)).ravel()
        tab = pd.DataFrame({"term": terms, "est": counts, "doc_freq": dfreq,
                            "share": counts / max(counts.sum(), 1)}).set_index("term")
        self._table = tab.sort_values(["est", "doc_freq"], ascending=False, kind="stable")

    @property
    def n_docs(self) -> int:
        return int(self.matrix.shape[0])

    def transform(self, data: pd.DataFrame, text: str):
        """Counts of this vocabulary in new texts (same analyzer): a CSR matrix."""
        from sklearn.feature_extraction.text import CountVectorizer

        s = require_texts(data, text)
        cv = CountVectorizer(analyzer=self.analyzer, vocabulary=list(self.terms), dtype=np.int32)
        return cv.transform(s.tolist())

    def methods_text(self) -> str:
        o = self.options
        seg = (f"Chinese texts were segmented into words by jieba ({refs.JIEBA.cite}) with its shipped "
               f"dictionary and HMM for unknown words" + (f" and a user dictionary of {len(o['user_words'])} "
                                                          "product and brand terms" if o["user_words"] else "")
               if self.language == "zh" else
               "English texts were lower-cased and split into words of two or more letters"
               + (f", with {len(o['user_words'])} multi-word product and brand terms kept whole"
                  if o["user_words"] else ""))
        lo, hi = o["ngram_range"]
        grams = "single words" if (lo, hi) == (1, 1) else f"{lo}- to {hi}-grams"
        red = "personal identifiers were removed (e-mails, URLs, ID, card and phone numbers, marked names); " \
            if o.get("redact") else ""
        return (f"{seg}; {red}stop words, punctuation and numbers were dropped and {grams} were counted into a "
                f"sparse document-term matrix with scikit-learn ({refs.SKLEARN.cite}): {self.n_docs} documents, "
                f"{len(self.terms)} terms (min_df={o['min_df']}, max_df={o['max_df']}).")

    def plot(self, ax=None, n: int = 20):
        """The ``n`` most frequent terms (document frequency), as horizontal bars.  Returns the Axes."""
        top = self._table.sort_values("doc_freq", ascending=False).head(n)
        labels, props = term_labels(top.index)
        ax = plotting.axes(ax, figsize=(6, 0.28 * len(top) + 1.2))
        pos = np.arange(len(top))[::-1]
        with quiet():
            ax.barh(pos, top["doc_freq"], color=plotting.color(0))
            ax.set_yticks(pos)
            ax.set_yticklabels(labels, **props)
        ax.set_xlabel("documents using the term")
        ax.set_title(f"Most frequent terms ({self.n_docs} documents)")
        return ax


def tokenize(data: pd.DataFrame, text: str, *, language: str = "zh", user_words=(), stop_words="default",
             ngram_range=(1, 1), min_df: int | float = 1, max_df: float = 1.0,
             max_features: int | None = None, redact: bool = True) -> DocumentTerms:
    r"""Count the words (or n-grams) of the texts in column ``text`` into a sparse matrix.

    Parameters
    ----------
    data : DataFrame
        One row per verbatim; not modified.  Missing, blank and non-string texts are refused.
    text : str
        Column holding the texts.
    language : {"zh", "en", "auto"}
        Declared language; refused when more than 10% of the texts are in the other script
        (``"auto"``: the majority script).
    user_words : list of str
        Product and brand terms kept whole (see module docstring).
    stop_words : "default", None or list of str
        ``"default"``: the shipped list; a list is added to it; None keeps every word.
    ngram_range : (int, int)
        Smallest and largest n of the n-grams counted.
    min_df, max_df : int or float
        As scikit-learn's ``CountVectorizer``: drop terms in fewer than ``min_df`` documents
        (a share when a float) or in more than a ``max_df`` share of them.
    max_features : int, optional
        Keep only the most frequent terms.
    redact : bool
        Remove personal identifiers (:func:`~cxmodels.text.redact_text`) before counting, so
        that no phone number, e-mail part or name becomes a term that reaches a report.

    Returns
    -------
    DocumentTerms

    References
    ----------
    Sun, J. (2012). jieba: Chinese text segmentation.  Pedregosa, F., et al. (2011).
    Scikit-learn: Machine learning in Python. JMLR 12, 2825-2830.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    s = require_texts(data, text)
    lang = resolve_language(s, language, text)
    an = analyzer(lang, user_words=user_words, stop_words=stop_words, ngram_range=ngram_range, redact=redact)
    if isinstance(min_df, bool) or not isinstance(min_df, (int, float)) or min_df < 0:
        raise InputError(f"min_df must be a count or a share, got {min_df!r}")
    if isinstance(max_df, bool) or not isinstance(max_df, (int, float)) or not 0 < max_df <= 1 and \
            not (isinstance(max_df, int) and max_df >= 1):
        raise InputError(f"max_df must be a share in (0, 1] or a count, got {max_df!r}")
    cv = CountVectorizer(analyzer=an, min_df=min_df, max_df=max_df, max_features=max_features, dtype=np.int32)
    try:
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore", UserWarning)
            X = cv.fit_transform(s.tolist())
    except ValueError as exc:  # "empty vocabulary", "max_df corresponds to < documents than min_df"
        raise InputError(f"no terms left to count in column {text!r} ({exc}); the texts may be all stop words "
                         "or min_df/max_df too strict") from None
    terms = cv.get_feature_names_out()
    options = {"text": text, "language": lang, "user_words": list(an.user_words), "stop_words":
               stop_words if isinstance(stop_words, str) or stop_words is None else list(stop_words),
               "ngram_range": list(an.ngram_range), "min_df": min_df, "max_df": max_df,
               "max_features": max_features, "redact": bool(redact)}
    res = DocumentTerms(matrix=X.tocsr(), terms=terms, index=data.index, language=lang, analyzer_=an,
                        options=options, provenance=make_provenance("cxmodels.text.tokenize", data[[text]],
                                                                    options))
    empty = data.index[np.asarray(X.sum(axis=1)).ravel() == 0]
    if len(empty):
        from .._validation import rows_text
        res._flag(f"{len(empty)} texts have no counted term after stop words and min_df/max_df "
                  f"({rows_text(empty)}); they contribute nothing to keyness or topics", CXModelsWarning,
                  admissible=True)
    return res
