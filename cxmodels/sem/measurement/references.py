"""The works the measurement-quality tools cite (reliability, validity, EFA), one
:class:`~cxmodels.references.Reference` each.

Methods texts cite them by ``.cite`` and results list them in ``references``, so a report
prints every work it cites (``docs/architecture.md``, "The result contract").
"""

from __future__ import annotations

from ...references import ref

CRONBACH = ref("Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests. "
               "Psychometrika, 16(3), 297-334.")
WERTS = ref("Werts, C. E., Linn, R. L., & Joreskog, K. G. (1974). Intraclass reliability estimates: "
            "Testing structural assumptions. Educational and Psychological Measurement, 34(1), 25-33.")
FORNELL_LARCKER = ref("Fornell, C., & Larcker, D. F. (1981). Evaluating structural equation models with "
                      "unobservable variables and measurement error. Journal of Marketing Research, 18(1), "
                      "39-50.")
# Two works of 2015 by the same authors: APA letters them by title (a: CSDA, b: MISQ).
DIJKSTRA_HENSELER_MISQ = ref("Dijkstra, T. K., & Henseler, J. (2015b). Consistent partial least squares path "
                             "modeling. MIS Quarterly, 39(2), 297-316.")
HENSELER_HTMT = ref("Henseler, J., Ringle, C. M., & Sarstedt, M. (2015). A new criterion for assessing "
                    "discriminant validity in variance-based structural equation modeling. Journal of the "
                    "Academy of Marketing Science, 43(1), 115-135.")
HORN = ref("Horn, J. L. (1965). A rationale and test for the number of factors in factor analysis. "
           "Psychometrika, 30(2), 179-185.")
KAISER = ref("Kaiser, H. F. (1958). The varimax criterion for analytic rotation in factor analysis. "
             "Psychometrika, 23(3), 187-200.")
FABRIGAR = ref("Fabrigar, L. R., Wegener, D. T., MacCallum, R. C., & Strahan, E. J. (1999). Evaluating the "
               "use of exploratory factor analysis in psychological research. Psychological Methods, 4(3), "
               "272-299.")

#: The works behind :func:`~cxmodels.sem.measurement.reliability.reliability_table` and HTMT.
RELIABILITY = (CRONBACH, WERTS, FORNELL_LARCKER, DIJKSTRA_HENSELER_MISQ, HENSELER_HTMT)

BERNAARDS_JENNRICH = ref("Bernaards, C. A., & Jennrich, R. I. (2005). Gradient projection algorithms and software "
                         "for arbitrary rotation criteria in factor analysis. Educational and Psychological "
                         "Measurement, 65(5), 676-696.")
BROWNE = ref("Browne, M. W. (2001). An overview of analytic rotation in exploratory factor analysis. Multivariate "
             "Behavioral Research, 36(1), 111-150.")
HENDRICKSON_WHITE = ref("Hendrickson, A. E., & White, P. O. (1964). Promax: A quick method for rotation to oblique "
                        "simple structure. British Journal of Statistical Psychology, 17(1), 65-70.")
JENNRICH_1973 = ref("Jennrich, R. I. (1973). Standard errors for obliquely rotated factor loadings. "
                    "Psychometrika, 38(4), 593-604.")
JENNRICH_2002 = ref("Jennrich, R. I. (2002). A simple general method for oblique rotation. Psychometrika, 67(1), "
                    "7-19.")
