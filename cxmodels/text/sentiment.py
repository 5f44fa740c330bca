r"""Sentiment without downloaded models.

:func:`fit_sentiment` learns it from the respondents' own ratings: an L2-penalised logistic
regression of promoter (rating >= 9) against detractor (rating <= 6) on the tf-idf weighted
terms (passives are left out of the fit and scored by it), with its accuracy and area under the
ROC curve estimated by stratified k-fold cross-validation (each text scored by a model that did
not see it) and a Wilson (1927) interval for the accuracy.  The score of a text is its
predicted probability of being a promoter's (out-of-fold for the texts in the fit).

:func:`lexicon_sentiment` scores texts with a sentiment model that ships inside a package and
compares it with the ratings: snownlp's (Wang 2013) naive Bayes classifier trained on the
product reviews it ships, for Chinese, and the VADER lexicon (Hutto & Gilbert 2014, in the
vaderSentiment package) for English.  Both are optional dependencies.
"""

from __future__ import annotations

import warnings as _warnings

import numpy as np
import pandas as pd
from scipy import stats

from .. import plotting
from .._lazy import optional_import
from .._results import Result
from .._validation import as_generator, check_count, check_level, require_numeric, rows_text
from ..errors import CXModelsWarning, InputError
from ..provenance import make_provenance
from . import references as refs
from ._plot import quiet, term_labels
from .checks import require_texts, resolve_language
from .tokens import DocumentTerms, tokenize

__all__ = ["SentimentResult", "LexiconResult", "fit_sentiment", "lexicon_sentiment", "nps_groups"]


def nps_groups(rating: pd.Series, promoter: float = 9, detractor: float = 6) -> pd.Series:
    """'promoter' (>= promoter), 'detractor' (<= detractor) or 'passive' (Reichheld 2003)."""
    r = rating.to_numpy(float)
    return pd.Series(np.where(r >= promoter, "promoter", np.where(r <= detractor, "detractor", "passive")),
                     index=rating.index, name="nps_group")


def _wilson(k: int, n: int, level: float) -> tuple[float, float]:
    z = stats.norm.ppf(0.5 + level / 2)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return float(centre - half), float(centre + half)


def _check_rating(data, rating):
    if not isinstance(rating, str) or rating not in data.columns:
        raise InputError(f"rating must name a column of data, got {rating!r}")
    require_numeric(data, [rating])
    miss = data.index[data[rating].isna().to_numpy()]
    if len(miss):
        raise InputError(f"column {rating!r} has {len(miss)} missing ratings ({rows_text(miss)}); drop those rows")
    r = data[rating].to_numpy(float)
    bad = data.index[(r < 0) | (r > 10) | (r != np.round(r))]
    if len(bad):
        raise InputError(f"column {rating!r} must hold 0-10 likelihood-to-recommend ratings; {len(bad)} values are "
                         f"not whole numbers in 0..10 ({rows_text(bad)})")


def _seed_record(seed):
    """The seed as provenance records it (a Generator has no printable state)."""
    return "Generator" if isinstance(seed, np.random.Generator) else seed


class SentimentResult(Result):
    """Supervised sentiment learned from the ratings; see :func:`fit_sentiment`.

    ``summary()``: one row per term with ``est`` (its logistic coefficient: positive leans
    promoter), sorted by coefficient.  ``accuracy``, ``accuracy_lower``/``_upper``, ``auc``
    and ``baseline`` (accuracy of always guessing the larger class) are attributes; ``scores``
    is the promoter probability of every text.
    """

    def __init__(self, *, table, provenance, scores, accuracy, ci, auc, baseline, n_fit, n_folds, C, level,
                 language, tokens_methods, seed):
        self._table, self._provenance, self._warnings = table, provenance, []
        self.scores, self.accuracy, self.auc, self.baseline = scores, accuracy, auc, baseline
        self.accuracy_lower, self.accuracy_upper = ci
        self.n_fit, self.n_folds, self.C, self.level, self.language = n_fit, n_folds, C, level, language
        self._tokens_methods, self.seed = tokens_methods, seed
        self._references = ((refs.JIEBA,) if language == "zh" else ()) + (refs.SKLEARN, refs.REICHHELD_2003,
                                                                          refs.WILSON_1927)

    def methods_text(self) -> str:
        pct = round(100 * self.level)
        return (f"{self._tokens_methods} Sentiment was learned from the respondents' own likelihood-to-recommend "
                f"ratings ({refs.REICHHELD_2003.cite}): an L2-penalised logistic regression (C={self.C:g}) of "
                f"promoters against detractors on tf-idf weighted terms ({refs.SKLEARN.cite}), fitted to "
                f"{self.n_fit} texts. Its {self.n_folds}-fold cross-validated accuracy is {self.accuracy:.3f} "
                f"({pct}% Wilson interval {self.accuracy_lower:.3f} to {self.accuracy_upper:.3f}, "
                f"{refs.WILSON_1927.cite}; always guessing the larger group: {self.baseline:.3f}) and its "
                f"cross-validated AUC {self.auc:.3f} (seed {self.seed}).")

    def plot(self, ax=None, n: int = 12):
        """The ``n`` terms leaning most to promoters and to detractors (coefficients).  Returns the Axes."""
        tab = self._table
        sel = pd.concat([tab.head(n), tab.tail(n)])
        labels, props = term_labels(sel.index)
        ax = plotting.axes(ax, figsize=(6, 0.25 * len(sel) + 1.2))
        pos = np.arange(len(sel))[::-1]
        ax.barh(pos, sel["est"], color=[plotting.color(0) if v > 0 else plotting.color(1) for v in sel["est"]])
        with quiet():
            ax.set_yticks(pos)
            ax.set_yticklabels(labels, **props)
        ax.set_xlabel("<- detractor     coefficient     promoter ->")
        ax.set_title(f"Sentiment learned from ratings (CV accuracy {self.accuracy:.2f}, AUC {self.auc:.2f})")
        return ax


def fit_sentiment(data: pd.DataFrame, text: str, rating: str, *, language: str = "zh", user_words=(),
                  stop_words="default", ngram_range=(1, 2), min_df: int | float = 2, C: float = 1.0,
                  n_folds: int = 5, promoter: float = 9, detractor: float = 6, level: float = 0.95,
                  seed=None, terms: DocumentTerms | None = None) -> SentimentResult:
    """Learn promoter-vs-detractor sentiment from the texts and the 0-10 ratings (module docstring).

    Parameters
    ----------
    data : DataFrame
        Not modified.
    text : str
    rating : str
        Column of 0-10 likelihood-to-recommend ratings.
    language, user_words, stop_words, ngram_range, min_df
        As :func:`~cxmodels.text.tokenize`.
    C : float
        Inverse L2 penalty of the logistic regression.
    n_folds : int
        Cross-validation folds (at least 2).
    promoter, detractor : float
        Cut points of the NPS groups.
    level : float
        Level of the accuracy's Wilson interval.
    seed : int, Generator or None
        Fold assignment.
    terms : DocumentTerms, optional

    Returns
    -------
    SentimentResult

    References
    ----------
    Reichheld (2003); Pedregosa et al. (2011); Wilson (1927).
    """
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    require_texts(data, text)
    _check_rating(data, rating)
    level = check_level(level)
    n_folds = check_count(n_folds, "n_folds", 2)
    if isinstance(C, bool) or not isinstance(C, (int, float)) or not C > 0:
        raise InputError(f"C must be a positive number, got {C!r}")
    if terms is None:
        terms = tokenize(data, text, language=language, user_words=user_words, stop_words=stop_words,
                         ngram_range=ngram_range, min_df=min_df)
    elif not isinstance(terms, DocumentTerms) or not terms.index.equals(data.index):
        raise InputError("terms must be the DocumentTerms of tokenize(data, text) for the same rows")
    grp = nps_groups(data[rating], promoter, detractor).to_numpy()
    fit = grp != "passive"
    y = (grp[fit] == "promoter").astype(int)
    n_pro, n_det = int(y.sum()), int((1 - y).sum())
    if min(n_pro, n_det) < n_folds:
        raise InputError(f"{n_pro} promoters and {n_det} detractors: each group needs at least n_folds={n_folds} "
                         "texts to cross-validate a sentiment model")
    X = TfidfTransformer().fit_transform(terms.matrix.astype(float))
    rng = as_generator(seed)
    fold_seed = int(rng.integers(0, 2**31 - 1))
    Xf = X[fit]
    oof = np.empty(len(y))
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore")
        for tr, te in StratifiedKFold(n_folds, shuffle=True, random_state=fold_seed).split(Xf, y):
            m = LogisticRegression(C=C, max_iter=1000).fit(Xf[tr], y[tr])
            oof[te] = m.predict_proba(Xf[te])[:, 1]
        full = LogisticRegression(C=C, max_iter=1000).fit(Xf, y)
    correct = int(((oof >= 0.5).astype(int) == y).sum())
    acc = correct / len(y)
    auc = float(roc_auc_score(y, oof))
    scores = np.empty(len(grp))
    scores[fit] = oof
    scores[~fit] = full.predict_proba(X[~fit])[:, 1] if (~fit).any() else []
    coef = full.coef_[0]
    tab = pd.DataFrame({"term": terms.terms, "est": coef}).set_index("term").sort_values("est", ascending=False)
    options = {"text": text, "rating": rating, "C": C, "n_folds": n_folds, "promoter": promoter,
               "detractor": detractor, "level": level, "fold_seed": fold_seed,
               **{k: v for k, v in terms.options.items() if k != "text"}}
    res = SentimentResult(table=tab, provenance=make_provenance("cxmodels.text.fit_sentiment", data[[text, rating]],
                                                                options, _seed_record(seed)),
                          scores=pd.Series(scores, index=data.index, name="sentiment"), accuracy=acc,
                          ci=_wilson(correct, len(y), level), auc=auc, baseline=max(n_pro, n_det) / len(y),
                          n_fit=len(y), n_folds=n_folds, C=float(C), level=level, language=terms.language,
                          tokens_methods=terms.methods_text(), seed=seed)
    res._warnings.extend(terms.warnings)  # the tokenization's cautions travel with the result
    if res.accuracy_lower <= res.baseline:
        res._flag(f"cross-validated accuracy {acc:.3f} is not reliably above always guessing the larger group "
                  f"({res.baseline:.3f}); the texts carry little sentiment the model can learn", CXModelsWarning,
                  admissible=True)
    return res


class LexiconResult(Result):
    """Sentiment scores from a lexicon or model shipped in a package; see :func:`lexicon_sentiment`.

    ``scores``: per text, in [0, 1] (snownlp: probability positive) or [-1, 1] (VADER compound).
    ``summary()``: ``est`` is the mean score, and with ``rating`` the AUC of the score for
    promoters against detractors and its Spearman correlation with the rating.
    """

    def __init__(self, *, table, provenance, scores, engine, language):
        self._table, self._provenance, self._warnings = table, provenance, []
        self.scores, self.engine, self.language = scores, engine, language
        self._references = (refs.SNOWNLP,) if engine == "snownlp" else (refs.HUTTO_2014,)

    def methods_text(self) -> str:
        src = (f"the naive Bayes sentiment classifier shipped with snownlp ({refs.SNOWNLP.cite}), trained on "
               "Chinese product reviews" if self.engine == "snownlp" else
               f"the VADER lexicon and rules ({refs.HUTTO_2014.cite})")
        t = self._table["est"]
        extra = (f" Against the ratings: AUC {t['auc']:.3f} for promoters against detractors, Spearman "
                 f"correlation {t['spearman']:.3f}." if "auc" in t.index else "")
        return f"Texts were scored by {src}, shipped inside the package (nothing downloaded).{extra}"

    def plot(self, ax=None):
        """Histogram of the scores.  Returns the Axes."""
        ax = plotting.axes(ax)
        ax.hist(self.scores.to_numpy(), bins=30, color=plotting.color(0))
        ax.set_xlabel(f"{self.engine} score")
        ax.set_ylabel("texts")
        return ax


def lexicon_sentiment(data: pd.DataFrame, text: str, *, language: str = "zh", rating: str | None = None,
                      promoter: float = 9, detractor: float = 6) -> LexiconResult:
    """Score texts with the sentiment model shipped in snownlp (Chinese) or vaderSentiment (English).

    Parameters
    ----------
    data : DataFrame
        Not modified.
    text : str
    language : {"zh", "en", "auto"}
    rating : str, optional
        0-10 ratings to compare the scores with (AUC promoter vs detractor, Spearman).

    Returns
    -------
    LexiconResult

    References
    ----------
    Wang (2013) SnowNLP; Hutto & Gilbert (2014) VADER.
    """
    from sklearn.metrics import roc_auc_score

    s = require_texts(data, text)
    lang = resolve_language(s, language, text)
    if rating is not None:
        _check_rating(data, rating)
    if lang == "zh":
        snownlp = optional_import("snownlp", "text", "Chinese lexicon sentiment")
        scores = np.array([snownlp.SnowNLP(t).sentiments for t in s])
        engine = "snownlp"
    else:
        vs = optional_import("vaderSentiment.vaderSentiment", "text", "English lexicon sentiment")
        an = vs.SentimentIntensityAnalyzer()
        scores = np.array([an.polarity_scores(t)["compound"] for t in s])
        engine = "vader"
    rows = {"mean_score": float(scores.mean())}
    if rating is not None:
        grp = nps_groups(data[rating], promoter, detractor).to_numpy()
        fit = grp != "passive"
        y = grp[fit] == "promoter"
        if y.all() or not y.any():
            raise InputError(f"column {rating!r} has no {'detractor' if y.all() else 'promoter'}; cannot compare")
        rows["auc"] = float(roc_auc_score(y, scores[fit]))
        rows["spearman"] = float(stats.spearmanr(scores, data[rating].to_numpy(float)).statistic)
    tab = pd.DataFrame({"est": rows}).rename_axis("statistic")
    prov = make_provenance("cxmodels.text.lexicon_sentiment", data[[text] + ([rating] if rating else [])],
                           {"text": text, "language": lang, "rating": rating, "engine": engine})
    return LexiconResult(table=tab, provenance=prov, scores=pd.Series(scores, index=data.index, name=engine),
                         engine=engine, language=lang)
