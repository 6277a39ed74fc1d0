"""Each notebook's widgets (:class:`helpers.ui.widgets.App` subclasses and training sessions), one
module per notebook, named after it (``ch07_optimizers`` serves ``07_optimizers.ipynb``).

``all_apps()`` finds every App defined here, so the tests (every control at both ends) and the
benchmarks (median latency per slider move) cover a new app without being told about it.
"""
from __future__ import annotations

import importlib
import inspect
import pkgutil

from helpers.ui.widgets import App

__all__ = ["all_apps"]


def all_apps() -> dict[str, type[App]]:
    """``{"module.ClassName": AppSubclass}`` for every App subclass in ``helpers.apps``."""
    found: dict[str, type[App]] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for name, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, App) and obj is not App and obj.__module__ == module.__name__ \
                    and not inspect.isabstract(obj) and not name.startswith("_"):
                found[f"{info.name}.{name}"] = obj
    return dict(sorted(found.items()))
