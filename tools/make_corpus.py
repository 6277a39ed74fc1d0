"""Freeze the character-level text corpus into data/corpus.txt (and its SHA-256).

The corpus is a fixed, documented selection of the CPython standard library's own source: text
every Python installation has on disk, so nothing is downloaded. It is frozen into the repository
because the standard library differs slightly between Python versions, and notebooks 10 and 11
must train on the same characters everywhere.

    python tools/make_corpus.py            # regenerate from this interpreter's standard library

The committed file was produced with CPython 3.11.7 (see data/README.md).
"""
from __future__ import annotations

import hashlib
import sysconfig
import sys
from pathlib import Path

# Pure-Python, well-commented modules; order matters (held-out text is the last 10 %).
MODULES = ["textwrap", "string", "heapq", "bisect", "fractions", "statistics", "random",
           "difflib", "shlex", "calendar", "pprint", "dataclasses", "functools", "contextlib",
           "fnmatch", "glob", "colorsys", "graphlib", "queue", "sched", "this"]

OUT = Path(__file__).resolve().parent.parent / "data" / "corpus.txt"


def main() -> None:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    parts = []
    for name in MODULES:
        src = (stdlib / f"{name}.py").read_text(encoding="utf-8")
        parts.append(f"# ==== {name}.py ====\n{src.expandtabs(4)}\n")
    text = "".join(parts)
    text = "".join(c for c in text if c == "\n" or (" " <= c <= "~"))  # printable ASCII only
    OUT.write_text(text, encoding="utf-8")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    OUT.with_suffix(".sha256").write_text(f"{digest}  corpus.txt\n")
    print(f"wrote {OUT} ({len(text):,} characters, {len(set(text))} distinct) from Python "
          f"{sys.version.split()[0]}; sha256 {digest}")


if __name__ == "__main__":
    main()
