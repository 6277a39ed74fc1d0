"""Run the benchmark modules of :mod:`tools.bench` (see its docstring)."""
from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tools.bench.report import Report  # noqa: E402

# Course order; a module not listed here runs after these, in name order.
ORDER = ["notebooks", "ui", "basics", "autograd", "training", "cnn", "rnn", "transformer", "gan",
         "compression", "distributed", "representation", "generative", "graphs", "selfsupervised",
         "rl", "interpret"]


def modules() -> list[str]:
    found = [m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)])
             if m.name not in ("report", "__main__")]
    return sorted(found, key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", action="append", help="a module name (repeatable); see --list")
    parser.add_argument("--list", action="store_true", help="list the modules and their sections")
    parser.add_argument("--notebooks", nargs="+", metavar="NN",
                        help="with --only browser: the notebooks to open (name prefixes, e.g. 01 07)")
    args = parser.parse_args()
    names = modules()
    if args.notebooks and args.only != ["browser"]:
        parser.error("--notebooks goes with --only browser")
    unknown = set(args.only or []) - set(names)
    if unknown:
        parser.error(f"unknown module(s) {sorted(unknown)}; choose from {names}")
    report = Report()
    for name in names:
        module = importlib.import_module(f"tools.bench.{name}")
        if args.list:
            print(f"{name:16s} {module.SECTION}{' (only on demand)' if getattr(module, 'ON_DEMAND', False) else ''}")
            continue
        # A module marked ON_DEMAND (the browser) runs only when asked for by name.
        if (args.only and name not in args.only) or (not args.only and getattr(module, "ON_DEMAND", False)):
            continue
        print(f"== {name}: {module.SECTION}", flush=True)
        if args.notebooks:
            module.run(report, notebooks=args.notebooks)
        else:
            module.run(report)
    if not args.list:
        report.print_tables()


if __name__ == "__main__":
    main()
