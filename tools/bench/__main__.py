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
    args = parser.parse_args()
    names = modules()
    unknown = set(args.only or []) - set(names)
    if unknown:
        parser.error(f"unknown module(s) {sorted(unknown)}; choose from {names}")
    report = Report()
    for name in names:
        if args.only and name not in args.only:
            continue
        module = importlib.import_module(f"tools.bench.{name}")
        if args.list:
            print(f"{name:16s} {module.SECTION}")
            continue
        print(f"== {name}: {module.SECTION}", flush=True)
        module.run(report)
    if not args.list:
        report.print_tables()


if __name__ == "__main__":
    main()
