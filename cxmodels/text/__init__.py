"""Voice of the customer: open-ended answers, reviews and complaints as data (Chinese and English).

Tokens (:func:`tokenize`: jieba for Chinese, scikit-learn for English), keyness
(:func:`keyness`, weighted log-odds with an informative Dirichlet prior), topics
(:func:`fit_topics`, NMF and LDA with coherence, stability and prevalence), sentiment learned
from the ratings (:func:`fit_sentiment`) or from a lexicon shipped in a package
(:func:`lexicon_sentiment`), NPS points per theme (:func:`nps_impact`), theme alarms
(:func:`theme_alarms`) and redaction of personal identifiers (:func:`redact`,
:func:`redact_text`).  Linking text features to churn or the value chain is done by
combiners (the studies and notebooks), as the architecture page requires.
"""

from .keyness import KeynessResult, keyness
from .outcomes import AlarmResult, NPSImpactResult, mentions, nps_impact, theme_alarms
from .redact import china_id_valid, luhn_valid, redact, redact_text
from .sentiment import LexiconResult, SentimentResult, fit_sentiment, lexicon_sentiment, nps_groups
from .tokens import DocumentTerms, analyzer, tokenize
from .topics import PrevalenceResult, TopicResult, coherence, fit_topics

__all__ = ["tokenize", "analyzer", "DocumentTerms", "keyness", "KeynessResult", "fit_topics", "TopicResult",
           "PrevalenceResult", "coherence", "fit_sentiment", "SentimentResult", "lexicon_sentiment", "LexiconResult",
           "nps_groups", "nps_impact", "NPSImpactResult", "theme_alarms", "AlarmResult", "mentions", "redact",
           "redact_text", "luhn_valid", "china_id_valid"]
