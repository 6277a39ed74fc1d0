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
    """Print the browser test's slider-latency table (written by tests/test_browser.py)."""
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
    terminalreporter.section("slider move -> repainted figure, JupyterLab in headless Chromium")
    terminalreporter.write_line(f"{'notebook':40s} {'median ms':>10s} {'max ms':>8s} {'moves':>6s}  player")
    for name, row in sorted(table.items()):
        player = row.get("player")
        played = f"  play ~2 s: +{player['played_steps']} steps, step: +1" if player else ""
        played += "  (cells stayed queued: kernel reconnected once)" if row.get("kernel_reconnected") else ""
        terminalreporter.write_line(f"{name:40s} {row['median_ms']:>10} {row['max_ms']:>8} {row['moves']:>6}{played}")
    terminalreporter.write_line(f"screenshots: {path.parent}")


def pytest_configure(config):
    import time

    config._course_start = time.time()
