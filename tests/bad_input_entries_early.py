"""Per-entry plausible calls for ``tests/test_bad_input.py``: ``helpers.core`` and the packages of notebooks 01-11 (basics ... transformer).

``ENTRY_ARGS`` maps an entry's full name (``module.qualname``) to a factory that returns the keyword
arguments of one plausible call. Factories build fresh objects each time (a call may mutate them).
"""
from __future__ import annotations

from typing import Any, Callable

ENTRY_ARGS: dict[str, Callable[[], dict[str, Any]]] = {}
