"""Standard customer-satisfaction index models as lavaan-syntax strings.

Two model strings, written for the standard indicator names, and a dictionary of the
indicators with their item wording:

``ACSI``
    The American Customer Satisfaction Index (Fornell et al., 1996). Six constructs:
    customer expectations ``CUEX`` (items ``CUEX1``-``CUEX3``), perceived quality ``PERQ``
    (``PERQ1``-``PERQ3``), perceived value ``PERV`` (``PERV1``-``PERV2``), overall
    satisfaction, the ACSI itself, ``CUSA`` (``CUSA1``-``CUSA3``), customer complaints
    ``CUSCO`` (one observed item) and customer loyalty ``CUSL`` (``CUSL1``-``CUSL2``).
    Inner model::

        PERQ  ~ CUEX
        PERV  ~ CUEX + PERQ
        CUSA  ~ CUEX + PERQ + PERV
        CUSCO ~ CUSA
        CUSL  ~ CUSA + CUSCO

    Complaints are complaint *behaviour* (did the customer complain?): satisfaction
    lowers them and loyalty falls as they rise, so both paths through ``CUSCO`` are
    expected to be negative.

``ECSI``
    The European Customer Satisfaction Index (Eklöf & Westlund, 2002; Cassel & Eklöf,
    2001) with the indicators of the ECSI mobile-phone survey analysed by Tenenhaus et
    al. (2005): corporate image ``IMAG`` (``IMAG1``-``IMAG5``), customer expectations
    ``CUEX`` (``CUEX1``-``CUEX3``), perceived quality ``PERQ`` (``PERQ1``-``PERQ7``),
    perceived value ``PERV`` (``PERV1``-``PERV2``), satisfaction ``CUSA``
    (``CUSA1``-``CUSA3``), complaints ``CUSCO`` (one observed item) and loyalty ``CUSL``
    (``CUSL1``-``CUSL3``). Inner model::

        CUEX  ~ IMAG
        PERQ  ~ CUEX
        PERV  ~ CUEX + PERQ
        CUSA  ~ IMAG + CUEX + PERQ + PERV
        CUSCO ~ CUSA
        CUSL  ~ IMAG + CUSA + CUSCO

    In the mobile-phone survey ``CUSCO`` rates how well a complaint was (or would be)
    *handled*, so its path from satisfaction is positive, unlike ACSI complaints.

In both models the complaint construct is measured by a single item, so ``CUSCO`` enters
the structural part as an observed variable (no ``=~`` line and no measurement error);
with the ``=~`` form the single loading and its residual variance could not both be
identified. ``PERV`` has two indicators and is identified through its structural paths.
The strings are written for covariance-based SEM (``cxmodels.sem.fit_sem``); the ``=~``
blocks read as reflective (mode A) blocks in PLS path modelling.

``INDICATORS`` maps model name -> construct -> ``{"label", "items", "observed"}``, where
``items`` maps each indicator name to its (abridged) question wording and ``observed`` is
True for the single-item ``CUSCO``. :func:`indicator_names` lists the items of a model in
the column order the synthetic surveys of :mod:`cxmodels.datasets.generators` use.

References
----------
Cassel, C., & Eklöf, J. A. (2001). Modelling customer satisfaction and loyalty on
aggregate levels: experience from the ECSI pilot study. *Total Quality Management*,
12(7-8), 834-841.

Eklöf, J. A., & Westlund, A. H. (2002). The pan-European customer satisfaction index
programme: current work and the way ahead. *Total Quality Management*, 13(8), 1099-1106.

Fornell, C., Johnson, M. D., Anderson, E. W., Cha, J., & Bryant, B. E. (1996). The
American Customer Satisfaction Index: nature, purpose, and findings. *Journal of
Marketing*, 60(4), 7-18.

Tenenhaus, M., Esposito Vinzi, V., Chatelin, Y.-M., & Lauro, C. (2005). PLS path
modeling. *Computational Statistics & Data Analysis*, 48(1), 159-205.

Rosseel, Y. (2012). lavaan: an R package for structural equation modeling. *Journal of
Statistical Software*, 48(2), 1-36 (the model syntax).
"""

from __future__ import annotations

from ..errors import InputError

__all__ = ["ACSI", "ECSI", "INDICATORS", "MODELS", "indicator_names"]

ACSI = """
# American Customer Satisfaction Index (Fornell et al. 1996, Journal of Marketing 60:7-18)
# measurement model
CUEX =~ CUEX1 + CUEX2 + CUEX3
PERQ =~ PERQ1 + PERQ2 + PERQ3
PERV =~ PERV1 + PERV2
CUSA =~ CUSA1 + CUSA2 + CUSA3
CUSL =~ CUSL1 + CUSL2
# structural model (CUSCO, complaints, is a single observed item)
PERQ ~ CUEX
PERV ~ CUEX + PERQ
CUSA ~ CUEX + PERQ + PERV
CUSCO ~ CUSA
CUSL ~ CUSA + CUSCO
"""

ECSI = """
# European Customer Satisfaction Index, mobile-phone survey indicators
# (Tenenhaus et al. 2005, Computational Statistics & Data Analysis 48:159-205)
# measurement model
IMAG =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5
CUEX =~ CUEX1 + CUEX2 + CUEX3
PERQ =~ PERQ1 + PERQ2 + PERQ3 + PERQ4 + PERQ5 + PERQ6 + PERQ7
PERV =~ PERV1 + PERV2
CUSA =~ CUSA1 + CUSA2 + CUSA3
CUSL =~ CUSL1 + CUSL2 + CUSL3
# structural model (CUSCO, complaint handling, is a single observed item)
CUEX ~ IMAG
PERQ ~ CUEX
PERV ~ CUEX + PERQ
CUSA ~ IMAG + CUEX + PERQ + PERV
CUSCO ~ CUSA
CUSL ~ IMAG + CUSA + CUSCO
"""

MODELS = {"ACSI": ACSI, "ECSI": ECSI}

INDICATORS: dict[str, dict[str, dict]] = {
    "ACSI": {
        "CUEX": {"label": "Customer expectations", "observed": False, "items": {
            "CUEX1": "Overall expectation of quality (before purchase)",
            "CUEX2": "Expectation regarding customization: how well the product or service would "
                     "fit personal requirements (before purchase)",
            "CUEX3": "Expectation regarding reliability: how often things would go wrong "
                     "(before purchase)",
        }},
        "PERQ": {"label": "Perceived quality", "observed": False, "items": {
            "PERQ1": "Overall evaluation of the quality experienced (after purchase)",
            "PERQ2": "Evaluation of customization: how well the product or service fitted "
                     "personal requirements",
            "PERQ3": "Evaluation of reliability: how often things have gone wrong",
        }},
        "PERV": {"label": "Perceived value", "observed": False, "items": {
            "PERV1": "Rating of quality given the price paid",
            "PERV2": "Rating of price given the quality received",
        }},
        "CUSA": {"label": "Customer satisfaction (ACSI)", "observed": False, "items": {
            "CUSA1": "Overall satisfaction",
            "CUSA2": "Expectancy disconfirmation: performance falls short of or exceeds expectations",
            "CUSA3": "Performance versus the customer's ideal product or service in the category",
        }},
        "CUSCO": {"label": "Customer complaints", "observed": True, "items": {
            "CUSCO": "Complaint behaviour: has the customer complained, formally or informally, "
                     "about the product or service (higher = more complaints)",
        }},
        "CUSL": {"label": "Customer loyalty", "observed": False, "items": {
            "CUSL1": "Repurchase likelihood",
            "CUSL2": "Price tolerance: price increase tolerated before switching, given repurchase",
        }},
    },
    "ECSI": {
        "IMAG": {"label": "Corporate image", "observed": False, "items": {
            "IMAG1": "It can be trusted in what it says and does",
            "IMAG2": "It is stable and firmly established",
            "IMAG3": "It has a social contribution to society",
            "IMAG4": "It is concerned with customers",
            "IMAG5": "It is innovative and forward looking",
        }},
        "CUEX": {"label": "Customer expectations", "observed": False, "items": {
            "CUEX1": "Expectations of the overall quality when you became a customer",
            "CUEX2": "Expectations of how well it would fit your personal needs",
            "CUEX3": "Expectations of how often things could go wrong (reliability)",
        }},
        "PERQ": {"label": "Perceived quality", "observed": False, "items": {
            "PERQ1": "Overall perceived quality",
            "PERQ2": "Technical quality of the network",
            "PERQ3": "Customer service and personal advice offered",
            "PERQ4": "Quality of the services you use",
            "PERQ5": "Range of services and products offered",
            "PERQ6": "Reliability and accuracy of the products and services provided",
            "PERQ7": "Clarity and transparency of the information provided",
        }},
        "PERV": {"label": "Perceived value", "observed": False, "items": {
            "PERV1": "Price level given the quality of the products and services",
            "PERV2": "Quality of the products and services given the price you pay",
        }},
        "CUSA": {"label": "Customer satisfaction", "observed": False, "items": {
            "CUSA1": "Overall satisfaction",
            "CUSA2": "Fulfilment of expectations",
            "CUSA3": "How well the operator compares with your ideal operator",
        }},
        "CUSCO": {"label": "Complaints (complaint handling)", "observed": True, "items": {
            "CUSCO": "How well, or poorly, your last complaint was handled (or would be handled)",
        }},
        "CUSL": {"label": "Customer loyalty", "observed": False, "items": {
            "CUSL1": "Would choose the same operator again if choosing now",
            "CUSL2": "Price tolerance: how much cheaper a competitor must be before you switch",
            "CUSL3": "Would recommend the operator to friends and colleagues",
        }},
    },
}


def indicator_names(model: str = "ACSI") -> list[str]:
    """The indicator (column) names of ``model`` ("ACSI" or "ECSI"), construct by construct
    in the order of :data:`INDICATORS`.

    Raises
    ------
    cxmodels.errors.InputError
        If ``model`` is not one of the templates.
    """
    key = model.upper() if isinstance(model, str) else model
    if key not in INDICATORS:
        raise InputError(f"model must be one of {sorted(INDICATORS)}, got {model!r}")
    return [item for block in INDICATORS[key].values() for item in block["items"]]
