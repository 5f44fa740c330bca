"""The works the text domain cites (tokens, keyness, topics, sentiment, alarms, redaction).

Each is a :class:`~cxmodels.references.Reference`: ``methods_text()`` cites it by ``.cite``
and the result lists it in ``references``, so a report lists every work it cites.
"""

from ..references import ref

JIEBA = ref("Sun, J. (2012). jieba: Chinese text segmentation (Version 0.42) [Computer software]. "
            "https://github.com/fxsjy/jieba")
SKLEARN = ref("Pedregosa, F., Varoquaux, G., Gramfort, A., Michel, V., Thirion, B., Grisel, O., et al. (2011). "
              "Scikit-learn: Machine learning in Python. Journal of Machine Learning Research, 12, 2825-2830.")
MONROE_2008 = ref("Monroe, B. L., Colaresi, M. P., & Quinn, K. M. (2008). Fightin' words: Lexical feature "
                  "selection and evaluation for identifying the content of political conflict. Political "
                  "Analysis, 16(4), 372-403.")
LEE_SEUNG_1999 = ref("Lee, D. D., & Seung, H. S. (1999). Learning the parts of objects by non-negative matrix "
                     "factorization. Nature, 401, 788-791.")
BLEI_2003 = ref("Blei, D. M., Ng, A. Y., & Jordan, M. I. (2003). Latent Dirichlet allocation. Journal of "
                "Machine Learning Research, 3, 993-1022.")
LAU_2014 = ref("Lau, J. H., Newman, D., & Baldwin, T. (2014). Machine reading tea leaves: Automatically "
               "evaluating topic coherence and topic model quality. Proceedings of EACL 2014, 530-539.")
GREENE_2014 = ref("Greene, D., O'Callaghan, D., & Cunningham, P. (2014). How many topics? Stability analysis "
                  "for topic models. Machine Learning and Knowledge Discovery in Databases (ECML PKDD), "
                  "498-513.")
EFRON_1993 = ref("Efron, B., & Tibshirani, R. J. (1993). An introduction to the bootstrap. Chapman & Hall.")
WILSON_1927 = ref("Wilson, E. B. (1927). Probable inference, the law of succession, and statistical "
                  "inference. Journal of the American Statistical Association, 22(158), 209-212.")
REICHHELD_2003 = ref("Reichheld, F. F. (2003). The one number you need to grow. Harvard Business Review, "
                     "81(12), 46-54.")
HUTTO_2014 = ref("Hutto, C. J., & Gilbert, E. (2014). VADER: A parsimonious rule-based model for sentiment "
                 "analysis of social media text. Proceedings of ICWSM 2014, 216-225.")
SNOWNLP = ref("Wang, R. (2013). SnowNLP: Simplified Chinese text processing (Version 0.12) [Computer "
              "software]. https://github.com/isnowfy/snownlp")
LUHN_1960 = ref("Luhn, H. P. (1960). Computer for verifying numbers (U.S. Patent No. 2,950,048). U.S. Patent "
                "Office.")
GB11643_1999 = ref("Standardization Administration of China. (1999). GB 11643-1999: Citizen identification "
                   "number. Standards Press of China.")
MONTGOMERY_2009 = ref("Montgomery, D. C. (2009). Introduction to statistical quality control (6th ed.). Wiley.")
STUDENT_1908 = ref("Student (1908). The probable error of a mean. Biometrika, 6(1), 1-25.")
