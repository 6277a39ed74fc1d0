"""The figure helpers of ``helpers.training.digits_lab`` (notebooks 07 and 08)."""
from __future__ import annotations

import matplotlib.ticker as mticker
import pytest
from matplotlib.figure import Figure

from helpers.training import digits_lab
from helpers.training.digits_lab import RunResult


def _run(val, train=None):
    return RunResult(train_loss=list(train or [v / 2 for v in val]), val_loss=list(val),
                     train_acc=[0.5] * len(val), val_acc=[0.4] * len(val))


def test_plot_curves_one_panel_per_metric_with_whole_epoch_ticks():
    results = {"a": [_run([2.0, 1.0, 0.5]), _run([2.0, 1.2, 0.7])], "b": [_run([2.0, 0.8])]}
    fig = digits_lab.plot_curves(results, metrics=("train_loss", "val_loss"))
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    for ax in fig.axes:
        assert isinstance(ax.xaxis.get_major_locator(), mticker.MaxNLocator)
        lines = ax.get_lines()
        assert len(lines) == 2 and lines[0].get_linestyle() != lines[1].get_linestyle()  # dash as well as colour
    assert list(fig.axes[1].get_lines()[0].get_ydata()) == pytest.approx([2.0, 1.1, 0.6])  # mean over seeds


def test_plot_overfitting_marks_the_lowest_validation_loss():
    fig = digits_lab.plot_overfitting(_run([1.0, 0.4, 0.3, 0.35, 0.5]))
    ax = fig.axes[0]
    assert ax.get_yscale() == "linear"
    assert any("epoch 3" in t.get_text() for t in ax.texts)


def test_the_plot_helpers_reject_empty_input():
    with pytest.raises(ValueError):
        digits_lab.plot_curves({})
    with pytest.raises(ValueError):
        digits_lab.plot_overfitting(RunResult())
