"""The ``cxmodels`` command: ``cxmodels list`` and ``cxmodels study NAME --out DIR``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv=None) -> int:
    from .report.studies import STUDIES

    parser = argparse.ArgumentParser(prog="cxmodels", description="Reproduce the bundled cxmodels studies.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the bundled studies")
    st = sub.add_parser("study", help="run a study and write its HTML report")
    st.add_argument("name", choices=sorted(STUDIES) + ["all"])
    st.add_argument("--out", default="report", help="output folder (default: ./report)")
    st.add_argument("--bootstrap", type=int, default=1000, help="bootstrap replicates (default 1000)")
    st.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    if args.command == "list":
        for name, (_, desc) in STUDIES.items():
            print(f"{name:10s} {desc}")
        return 0
    names = sorted(STUDIES) if args.name == "all" else [args.name]
    for name in names:
        path = STUDIES[name][0](Path(args.out), bootstrap=args.bootstrap, seed=args.seed)
        print(f"{name}: report written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
