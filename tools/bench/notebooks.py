"""Notebook run times: each notebook executed top to bottom in a fresh kernel (not saved).

    python -m tools.bench --only notebooks
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECTION = "notebook run time"


def run(report) -> None:
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
                report.add(SECTION, path.name, f"{time.perf_counter() - start:.1f} s")
            except Exception as exc:
                report.add(SECTION, path.name, f"FAILED: {type(exc).__name__}")


