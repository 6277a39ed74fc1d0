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


@pytest.mark.parametrize("name", sorted(APPS))
def test_every_active_control_changes_what_the_learner_sees(name):
    """From the defaults, each control moved to either end (a dropdown to each option) changes the
    figure or the status line, unless the app greys it out (``App.inactive``) with a reason.
    ``tests/test_browser.py`` checks the same in the browser."""
    panel = APPS[name]().panel()
    defaults = {k: c.value for k, c in panel.controls.items()}
    for cname, control in panel.controls.items():
        others = [v for v in control_extremes(control) if v != defaults[cname]]
        if not others:       # a text box: no other value to try here (tests/test_browser.py types none)
            continue
        changed = False
        for value in others:
            for other, v in defaults.items():          # back to the defaults first
                panel.controls[other].value = v
            before, status = bytes(panel.image.value), panel.status_text()
            if control.disabled:
                assert control.tooltip, f"{name}: {cname} is disabled without a reason in its tooltip"
                changed = True
                break
            control.value = value
            if bytes(panel.image.value) != before or panel.status_text() != status:
                changed = True
                break
        assert changed, f"{name}: moving {cname} from {defaults[cname]!r} changed neither the figure nor the status"


def test_inactive_controls_are_greyed_out_with_a_reason():
    panel = APPS["ch07_optimizers.OptimizerExplorer"]().panel()
    c = panel.controls
    c["optimizer"].value = "sgd"
    assert c["beta1"].disabled and c["beta2"].disabled and c["momentum"].disabled
    assert "Adam" in c["beta1"].tooltip
    c["optimizer"].value = "adam"
    assert not c["beta1"].disabled and not c["beta2"].disabled and c["momentum"].disabled
    assert c["beta1"].tooltip is None
    rnn = APPS["ch10_rnn.GradientFlowExplorer"]().panel()
    assert rnn.controls["forget_bias"].disabled and "vanilla RNN" in rnn.controls["forget_bias"].tooltip
    rnn.controls["cell"].value = "lstm"
    assert not rnn.controls["forget_bias"].disabled
