"""``make bench``: notebook run times, widget latencies and from-scratch vs PyTorch speed ratios.

    python tools/bench.py                 # everything
    python tools/bench.py --only widgets  # one section: notebooks, widgets, or a bench_* module name

Sections:
* notebooks: wall time of each notebook executed top to bottom in a fresh kernel (not saved);
* widgets: for every App in ``helpers.apps``, the median time of one slider move
  (``update`` + PNG render) while sweeping each control across its range;
* every ``tools/bench_*.py`` module's ``run(report)``: ours-vs-torch ratios per chapter.
"""
from __future__ import annotations

import argparse
import importlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

from benchlib import Report  # noqa: E402


def bench_notebooks(report: Report) -> None:
    import nbformat
    from nbclient import NotebookClient

    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        with tempfile.TemporaryDirectory() as tmp:
            client = NotebookClient(nb, timeout=900, kernel_name="python3",
                                    resources={"metadata": {"path": str(path.parent)}})
            start = time.perf_counter()
            try:
                client.execute()
                report.add("notebook run time", path.name, f"{time.perf_counter() - start:.1f} s")
            except Exception as exc:
                report.add("notebook run time", path.name, f"FAILED: {type(exc).__name__}")


def sweep_values(control, n: int = 8) -> list:
    import numpy as np
    import ipywidgets as W

    if isinstance(control, W.FloatLogSlider):
        return list(control.base ** np.linspace(control.min, control.max, n))
    if isinstance(control, W.IntSlider):
        return sorted(set(int(v) for v in np.linspace(control.min, control.max, n)))
    if hasattr(control, "min") and hasattr(control, "max"):
        return list(np.linspace(control.min, control.max, n))
    if hasattr(control, "options"):
        from helpers.widgets import control_extremes

        return control_extremes(control)
    return [control.value]


def bench_widgets(report: Report) -> None:
    from helpers.apps import all_apps
    from helpers.widgets import render_png

    for name, cls in all_apps().items():
        app = cls()
        controls = app.controls()
        defaults = app.defaults()
        for cname, control in controls.items():
            times = []
            for value in sweep_values(control):
                values = dict(defaults, **{cname: value})
                start = time.perf_counter()
                app.safe_update(**values)
                render_png(app.fig)
                times.append((time.perf_counter() - start) * 1e3)
            report.add("widget latency (update + render, median over a sweep)", f"{name}.{cname}",
                       f"{statistics.median(times):.0f} ms (max {max(times):.0f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="notebooks, widgets, or the name of a tools/bench_*.py module")
    args = parser.parse_args()
    report = Report()
    sections = {"notebooks": bench_notebooks, "widgets": bench_widgets}
    for path in sorted((ROOT / "tools").glob("bench_*.py")):
        module = importlib.import_module(path.stem)
        sections[path.stem] = module.run
    for name, fn in sections.items():
        if args.only and args.only != name:
            continue
        print(f"== {name}", flush=True)
        fn(report)
    report.print_tables()


if __name__ == "__main__":
    main()
