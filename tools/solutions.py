"""The folded solution of an exercise, as the Markdown a notebook stores under it.

The reference solution lives once, in ``helpers.exercises.chNN`` (where the check tests it); the
notebook shows the same source in a ``<details>`` block that is closed until the learner opens it.
``tests/test_notebook_hygiene.py`` checks that every block still equals its solution's source.

Usage::

    python tools/solutions.py helpers.exercises.ch01 solution_weighted_sum my_weighted_sum

prints the block for ``solution_weighted_sum``, its ``def`` renamed to the learner's
``my_weighted_sum`` (leave the last argument out to keep the name).
"""
from __future__ import annotations

import importlib
import inspect
import re
import sys
import textwrap
from typing import Any

SUMMARY = "Solution (open it after you have tried)"


def solution_code(obj: Any, learner_name: str | None = None) -> str:
    """The source of ``obj`` with its ``def``/``class`` name replaced by ``learner_name``."""
    code = textwrap.dedent(inspect.getsource(obj)).strip()
    if learner_name:
        code = re.sub(rf"^(def|class) {re.escape(obj.__name__)}\b", rf"\1 {learner_name}", code, count=1,
                      flags=re.M)
    return code


def folded_solution(obj: Any, learner_name: str | None = None, note: str = "") -> str:
    """The Markdown of a ``<details>`` block holding the solution (and an optional note after it)."""
    text = f"<details><summary>{SUMMARY}</summary>\n\n```python\n{solution_code(obj, learner_name)}\n```\n"
    if note:
        text += f"\n{note.strip()}\n"
    return text + "\n</details>"


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print(__doc__)
        return 2
    module = importlib.import_module(argv[0])
    print(folded_solution(getattr(module, argv[1]), argv[2] if len(argv) == 3 else None))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
