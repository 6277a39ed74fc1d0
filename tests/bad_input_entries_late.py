"""Per-entry plausible calls for ``tests/test_bad_input.py``: the packages of notebooks 12-20 (gan ... interpret).

``ENTRY_ARGS`` maps an entry's full name (``module.qualname``) to a factory that returns the keyword
arguments of one plausible call. Factories build fresh objects each time (a call may mutate them).
"""
from __future__ import annotations

from typing import Any, Callable

ENTRY_ARGS: dict[str, Callable[[], dict[str, Any]]] = {}
