"""The works the A/B results cite, as structured references.

``methods_text()`` cites them by :attr:`~cxmodels.references.Reference.cite` and each result
lists the same objects in ``references``, so a report cannot cite a work it does not list.
"""

from ..references import ref

MILLER = ref("Miller, E. (2015). Formulas for Bayesian A/B testing. "
             "https://www.evanmiller.org/bayesian-ab-testing.html")
STUCCHIO = ref("Stucchio, C. (2015). Bayesian A/B testing at VWO. VWO technical whitepaper.")
GELMAN = ref("Gelman, A., Carlin, J. B., Stern, H. S., Dunson, D. B., Vehtari, A., & Rubin, D. B. (2013). "
             "Bayesian data analysis (3rd ed.). CRC Press.")
KRUSCHKE = ref("Kruschke, J. K. (2018). Rejecting or accepting parameter values in Bayesian estimation. "
               "Advances in Methods and Practices in Psychological Science, 1(2), 270-280.")
REICHHELD = ref("Reichheld, F. F. (2003). The one number you need to grow. Harvard Business Review, 81(12), "
                "46-54.")
TALTS = ref("Talts, S., Betancourt, M., Simpson, D., Vehtari, A., & Gelman, A. (2018). Validating Bayesian "
            "inference algorithms with simulation-based calibration. arXiv:1804.06788.")
LIDDELL = ref("Liddell, T. M., & Kruschke, J. K. (2018). Analyzing ordinal data with metric models: What could "
              "possibly go wrong? Journal of Experimental Social Psychology, 79, 328-348.")
PYMC = ref("Abril-Pla, O., Andreani, V., Carroll, C., Dong, L., Fonnesbeck, C. J., Kochurov, M., Kumar, R., "
           "Lao, J., Luhmann, C. C., Martin, O. A., Osthege, M., Vieira, R., Wiecki, T., & Zinkov, R. (2023). "
           "PyMC: A modern, and comprehensive probabilistic programming framework in Python. PeerJ Computer "
           "Science, 9, e1516.")
VEHTARI = ref("Vehtari, A., Gelman, A., Simpson, D., Carpenter, B., & Buerkner, P.-C. (2021). Rank-normalization, "
              "folding, and localization: An improved R-hat for assessing convergence of MCMC. Bayesian "
              "Analysis, 16(2), 667-718.")
FABIJAN = ref("Fabijan, A., Gupchup, J., Gupta, S., Omhover, J., Qin, W., Vermeer, L., & Dmitriev, P. (2019). "
              "Diagnosing sample ratio mismatch in online controlled experiments. In Proceedings of KDD '19 "
              "(pp. 2156-2164).")
WELCH = ref("Welch, B. L. (1947). The generalization of 'Student's' problem when several different population "
            "variances are involved. Biometrika, 34(1-2), 28-35.")
COHEN = ref("Cohen, J. (1988). Statistical power analysis for the behavioral sciences (2nd ed.). Erlbaum.")
IBRAHIM = ref("Ibrahim, J. G., Chen, M.-H., & Sinha, D. (2001). Bayesian survival analysis. Springer.")
ANGRIST = ref("Angrist, J. D., & Pischke, J.-S. (2009). Mostly harmless econometrics. Princeton University "
              "Press.")
PIESSENS = ref("Piessens, R., de Doncker-Kapenga, E., Ueberhuber, C. W., & Kahaner, D. K. (1983). QUADPACK: "
               "A subroutine package for automatic integration. Springer.")

# --- experimentation-platform methods (issue 15) -------------------------------------------------
DENG2013 = ref("Deng, A., Xu, Y., Kohavi, R., & Walker, T. (2013). Improving the sensitivity of online controlled "
               "experiments by utilizing pre-experiment data. In Proceedings of WSDM '13 (pp. 123-132).")
DENG2018 = ref("Deng, A., Knoblich, U., & Lu, J. (2018). Applying the delta method in metric analytics: A practical "
               "guide with novel ideas. In Proceedings of KDD '18 (pp. 233-242).")
MIRATRIX = ref("Miratrix, L. W., Sekhon, J. S., & Yu, B. (2013). Adjusting treatment effect estimates by "
               "post-stratification in randomized experiments. Journal of the Royal Statistical Society: Series B, "
               "75(2), 369-396.")
JOHARI = ref("Johari, R., Koomen, P., Pekelis, L., & Walsh, D. (2017). Peeking at A/B tests: Why it matters, and "
             "what to do about it. In Proceedings of KDD '17 (pp. 1517-1525).")
HOWARD = ref("Howard, S. R., Ramdas, A., McAuliffe, J., & Sekhon, J. (2021). Time-uniform, nonparametric, "
             "nonasymptotic confidence sequences. The Annals of Statistics, 49(2), 1055-1080.")
WAUDBY = ref("Waudby-Smith, I., Arbour, D., Sinha, R., Kennedy, E. H., & Ramdas, A. (2023). Time-uniform central "
             "limit theory and asymptotic confidence sequences. arXiv:2103.06476.")
HOLM = ref("Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scandinavian Journal of "
           "Statistics, 6(2), 65-70.")
BH = ref("Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery rate: A practical and powerful "
         "approach to multiple testing. Journal of the Royal Statistical Society: Series B, 57(1), 289-300.")
SEABOLD = ref("Seabold, S., & Perktold, J. (2010). Statsmodels: Econometric and statistical modeling with Python. "
              "In Proceedings of the 9th Python in Science Conference (pp. 92-96).")
MORRIS = ref("Morris, C. N. (1983). Parametric empirical Bayes inference: Theory and applications. Journal of the "
             "American Statistical Association, 78(381), 47-55.")
DONNER = ref("Donner, A., & Klar, N. (2000). Design and analysis of cluster randomization trials in health "
             "research. Arnold.")
ATHEY = ref("Athey, S., Chetty, R., Imbens, G. W., & Kang, H. (2019). The surrogate index: Combining short-term "
            "proxies to estimate long-term treatment effects more rapidly and precisely. NBER Working Paper 26463.")
KOHAVI = ref("Kohavi, R., Tang, D., & Xu, Y. (2020). Trustworthy online controlled experiments: A practical guide "
             "to A/B testing. Cambridge University Press.")
