"""Structured references: one object per cited work, shared by methods texts and reports.

A :class:`Reference` is written once, in APA style, in the ``references`` module of the
domain that cites it.  ``methods_text()`` cites it by :attr:`Reference.cite` (``"Rosseel
(2012)"``), the result lists it in :attr:`~cxmodels._results.Result.references`, and a report
prints the union of its results' references, each once, in alphabetical order.  Because the
citation and the entry come from one object, a report cannot cite a work it does not list
(``tests/test_report_browser.py`` checks the rendered page).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_YEAR = re.compile(r"\((\d{4}[a-z]?|n\.d\.|in press)\)")


@dataclass(frozen=True, order=True)
class Reference:
    """One cited work, in APA style: ``"Surname, I., & Other, J. (Year). Title. Source."``.

    Attributes
    ----------
    text : str
        The full entry as printed in a reference list.
    """

    text: str

    def __post_init__(self):
        if not _YEAR.search(self.text):
            raise ValueError(f"a reference needs '(Year)' after its authors: {self.text!r}")

    @property
    def year(self) -> str:
        return _YEAR.search(self.text).group(1)

    @property
    def surnames(self) -> list[str]:
        """Authors' surnames, in order (``et al.`` in the entry is kept as one name)."""
        authors = self.text[: _YEAR.search(self.text).start()].strip().rstrip(",")
        authors = authors.replace("&", ",").replace(" and ", ",")
        names = []
        for part in (p.strip() for p in authors.split(",")):
            if not part or re.fullmatch(r"(?:[A-Z][a-z]?\.[- ]?)*(?:[A-Z][a-z]?\.|[A-Z])|Jr\.?", part):
                continue  # initials
            if part.startswith("et al"):
                names.append("et al.")
                break
            names.append(part.split(" (")[0])
        return names or [authors]

    @property
    def cite(self) -> str:
        """In-text citation: ``Rosseel (2012)``, ``Fader & Hardie (2005)``, ``Gelman et al. (2013)``."""
        s = [n for n in self.surnames if n != "et al."]
        if len(s) >= 3 or "et al." in self.surnames:
            head = f"{s[0]} et al."
        elif len(s) == 2:
            head = f"{s[0]} & {s[1]}"
        else:
            head = s[0]
        return f"{head} ({self.year})"

    def __str__(self) -> str:
        return self.text


def ref(text: str) -> Reference:
    """Shorthand: ``ROSSEEL = ref("Rosseel, Y. (2012). lavaan ... ")``."""
    return Reference(" ".join(text.split()))


def unique(references) -> list[Reference]:
    """The distinct references of an iterable, sorted as a reference list is."""
    return sorted(set(references), key=lambda r: r.text.lower())
