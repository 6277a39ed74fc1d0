"""Shared test configuration: one BLAS thread, deterministic hypothesis, seeded NumPy."""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile("course", deadline=None, max_examples=60, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("course")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture(scope="session", autouse=True)
def _torch_threads():
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:  # pragma: no cover
        pass


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Print the browser test's table of control latencies and player frame rates (tests/test_browser.py)."""
    import json
    import time
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "test-artifacts" / "browser" / "latency.json"
    start = getattr(config, "_course_start", None)
    if not path.exists() or (start is not None and path.stat().st_mtime < start):
        return
    table = json.loads(path.read_text())
    if not table:
        return
    import sys

    sys.path.insert(0, str(path.parent.parent.parent))
    from tools.bench.browser import summary_rows, targets_tally

    terminalreporter.section("key→repaint per control, frames per second per player (JupyterLab + Chromium)")
    for name, row in sorted(table.items()):
        terminalreporter.write_line(f"{name}: 1-min load per CPU {row['load']:.2f}, latency targets "
                                    f"{'asserted' if row['strict'] else 'reported, not asserted'}"
                                    f"{'; cells stayed queued: kernel reconnected once' if row.get('kernel_reconnected') else ''}")
        for line in summary_rows(name, row):
            terminalreporter.write_line(line)
    loads = [row["load"] for row in table.values()]
    for line in targets_tally(table):
        terminalreporter.write_line(line + (f" (load per CPU {min(loads):.2f}-{max(loads):.2f})"
                                            if not line.startswith(" ") else ""))
    terminalreporter.write_line(f"screenshots: {path.parent}")


def pytest_configure(config):
    import time

    config._course_start = time.time()
