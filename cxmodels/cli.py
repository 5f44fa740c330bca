"""The ``cxmodels`` command: ``cxmodels list``, ``cxmodels study NAME --out DIR`` and
``cxmodels --version``.

Studies say what they are doing as they go: one line per step with the elapsed time, on
standard error (standard output carries only the paths of the reports written).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path


class StepLog:
    """Print ``[  12.3 s] study: step`` lines to ``stream`` (stderr), timed from creation."""

    def __init__(self, stream=None, prefix: str = "", enabled: bool = True):
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.prefix = prefix
        self.t0 = time.perf_counter()

    def __call__(self, message: str) -> None:
        if self.enabled:
            print(f"[{time.perf_counter() - self.t0:7.1f} s] {self.prefix}{message}", file=self.stream, flush=True)

    def child(self, prefix: str) -> "StepLog":
        """The same clock, lines prefixed with ``prefix`` (the study's name)."""
        log = StepLog(self.stream, prefix, self.enabled)
        log.t0 = self.t0
        return log


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of replicates, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"the number of bootstrap replicates cannot be negative, got {value}")
    return value


def main(argv=None) -> int:
    from . import __version__
    from .errors import CXModelsError
    from .report.studies import STUDIES

    parser = argparse.ArgumentParser(prog="cxmodels", description="Reproduce the bundled cxmodels studies.")
    parser.add_argument("--version", action="version", version=f"cxmodels {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the bundled studies")
    st = sub.add_parser("study", help="run a study and write its HTML report")
    st.add_argument("name", choices=sorted(STUDIES) + ["all"])
    st.add_argument("--out", default="report", help="output folder (default: ./report)")
    st.add_argument("--bootstrap", type=_non_negative, default=1000,
                    help="bootstrap replicates (default 1000; 0: no bootstrap, analytic intervals where "
                         "a study has them)")
    st.add_argument("--seed", type=int, default=2026)
    st.add_argument("--quiet", action="store_true", help="no progress lines on standard error")
    args = parser.parse_args(argv)
    if args.command == "list":
        for name, (_, desc) in STUDIES.items():
            print(f"{name:10s} {desc}")
        return 0
    names = sorted(STUDIES) if args.name == "all" else [args.name]
    log = StepLog(enabled=not args.quiet)
    with warnings.catch_warnings():  # restores the warning display when the studies are done
        # a warning raised by a study (a fit without a bootstrap, a flagged solution) is one
        # line of the step log, not a source-code excerpt; the report lists it as well
        warnings.showwarning = lambda message, category, *_a, **_k: log(f"{category.__name__}: {message}")
        for name in names:
            study_log = log.child(f"{name}: ")
            study_log("started")
            try:
                path = STUDIES[name][0](Path(args.out), bootstrap=args.bootstrap, seed=args.seed, log=study_log)
            except CXModelsError as exc:
                print(f"cxmodels study {name}: {type(exc).__name__}: {exc}", file=sys.stderr)
                return 1
            study_log(f"report written to {path}")
            print(f"{name}: report written to {path}")
    if len(names) > 1:
        log(f"all {len(names)} studies done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
