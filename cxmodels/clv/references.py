"""The works the CLV domain cites, one :class:`~cxmodels.references.Reference` each."""

from __future__ import annotations

from ..references import ref

FHL_2005 = ref("Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). \"Counting your customers\" the easy way: "
               "An alternative to the Pareto/NBD model. Marketing Science, 24(2), 275-284.")
FHL_2005B = ref("Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005b). RFM and CLV: Using iso-value curves for "
                "customer base analysis. Journal of Marketing Research, 42(4), 415-430.")
SMC_1987 = ref("Schmittlein, D. C., Morrison, D. G., & Colombo, R. (1987). Counting your customers: Who are "
               "they and what will they do next? Management Science, 33(1), 1-24.")
FH_2005_NOTE = ref("Fader, P. S., & Hardie, B. G. S. (2005). A note on deriving the Pareto/NBD model and "
                   "related expressions. http://brucehardie.com/notes/009/")
BATISLAM_2007 = ref("Batislam, E. P., Denizel, M., & Filiztekin, A. (2007). Empirical validation and comparison "
                    "of models for customer base analysis. International Journal of Research in Marketing, "
                    "24(3), 201-209.")
GUPTA_2004 = ref("Gupta, S., Lehmann, D. R., & Stuart, J. A. (2004). Valuing customers. Journal of Marketing "
                 "Research, 41(1), 7-18.")
SALVATIER_2016 = ref("Salvatier, J., Wiecki, T. V., & Fonnesbeck, C. (2016). Probabilistic programming in Python "
                     "using PyMC3. PeerJ Computer Science, 2, e55.")
HOFFMAN_2014 = ref("Hoffman, M. D., & Gelman, A. (2014). The No-U-Turn sampler: Adaptively setting path lengths "
                   "in Hamiltonian Monte Carlo. Journal of Machine Learning Research, 15, 1593-1623.")
VEHTARI_2021 = ref("Vehtari, A., Gelman, A., Simpson, D., Carpenter, B., & Burkner, P.-C. (2021). "
                   "Rank-normalization, folding, and localization: An improved R-hat for assessing convergence "
                   "of MCMC. Bayesian Analysis, 16(2), 667-718.")
FH_2007_COVARIATES = ref("Fader, P. S., & Hardie, B. G. S. (2007). Incorporating time-invariant covariates into "
                         "the Pareto/NBD and BG/NBD models. http://brucehardie.com/notes/019/")
