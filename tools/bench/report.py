"""Timing utilities for ``make bench``: medians and ratios measured in one process.

Ratios against a reference run in the same process (ours vs PyTorch) are what we report; absolute
times on a shared 2-core machine are noisy.
"""
from __future__ import annotations

import statistics
import time
from typing import Callable


def median_ms(fn: Callable[[], object], repeat: int = 20, warmup: int = 2) -> float:
    """Median wall time of ``fn()`` in milliseconds."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


class Report:
    """Collects rows and prints them as aligned tables, one per section."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str]] = []

    def add(self, section: str, name: str, value: str) -> None:
        self.rows.append((section, name, value))
        print(f"  [{section}] {name}: {value}", flush=True)

    def time(self, section: str, name: str, fn: Callable[[], object], repeat: int = 20) -> float:
        ms = median_ms(fn, repeat)
        self.add(section, name, f"{ms:.2f} ms (median of {repeat})")
        return ms

    def ratio(self, section: str, name: str, ours: Callable[[], object], ref: Callable[[], object],
              repeat: int = 20, ref_name: str = "torch") -> float:
        """Time both (interleaved warm-up) and report ours / ref."""
        ours_ms = median_ms(ours, repeat)
        ref_ms = median_ms(ref, repeat)
        ratio = ours_ms / ref_ms
        self.add(section, name, f"ours {ours_ms:.2f} ms, {ref_name} {ref_ms:.2f} ms, ratio {ratio:.2f}x")
        return ratio

    def print_tables(self) -> None:
        sections: dict[str, list[tuple[str, str]]] = {}
        for section, name, value in self.rows:
            sections.setdefault(section, []).append((name, value))
        for section, rows in sections.items():
            width = max(len(n) for n, _ in rows)
            print(f"\n## {section}\n")
            print(f"| {'what'.ljust(width)} | result |")
            print(f"|{'-' * (width + 2)}|--------|")
            for name, value in rows:
                print(f"| {name.ljust(width)} | {value} |")
