"""Every chapter's widget, driven as a plain function: defaults, every control at both ends."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from helpers.apps import all_apps
from helpers.ui.widgets import control_extremes
from helpers.core.figures import render_png

APPS = all_apps()


def _png_ok(fig) -> bool:
    png = render_png(fig)
    return png.startswith(b"\x89PNG") and len(png) > 1000


@pytest.mark.parametrize("name", sorted(APPS))
def test_app_defaults_and_extremes(name):
    app = APPS[name]()
    controls = app.controls()
    assert controls, f"{name} has no controls"
    for control in controls.values():
        assert getattr(control, "description", ""), f"{name}: a control has no label"
    defaults = app.defaults()
    status, ok = app.safe_update(**defaults)
    assert ok, f"{name} at defaults: {status}"
    assert _png_ok(app.fig)
    for cname, control in controls.items():
        for value in control_extremes(control):
            status, ok = app.safe_update(**dict(defaults, **{cname: value}))
            assert ok, f"{name} with {cname}={value!r}: {status}"
            assert isinstance(status, str) and status, f"{name}: empty status for {cname}={value!r}"
            assert "nan" not in status.lower().split(), f"{name}: NaN shown for {cname}={value!r}: {status}"
            assert _png_ok(app.fig)
    # every slider at its low end together, then at its high end together
    sliders = {k: c for k, c in controls.items() if hasattr(c, "min") and hasattr(c, "max")}
    for end in (0, -1):
        values = dict(defaults, **{k: control_extremes(c)[end] for k, c in sliders.items()})
        status, ok = app.safe_update(**values)
        assert ok, f"{name} with all sliders at {'min' if end == 0 else 'max'}: {status}"


@pytest.mark.parametrize("name", sorted(APPS))
def test_app_panel_builds_and_reacts(name):
    panel = APPS[name]().panel()
    before = bytes(panel.image.value)
    assert before.startswith(b"\x89PNG")
    # move the first slider-like control to its other end: the picture must change
    for control in panel.controls.values():
        ends = control_extremes(control)
        target = ends[-1] if control.value != ends[-1] else ends[0]
        control.value = target
        if bytes(panel.image.value) != before:
            break
    assert bytes(panel.image.value) != before, f"{name}: moving the controls did not change the figure"
