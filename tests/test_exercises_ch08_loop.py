"""The training-loop exercises of notebook 08: a correct loop passes, the classic mistakes are named."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from helpers.exercises import ch08
from tests.exercise_grading import assert_grades


def _epoch(model, loader, optimizer, zero_grad=True, train_mode=True):
    if train_mode:
        model.train()
    total, count = 0.0, 0
    for x, y in loader:
        if zero_grad:
            optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        total, count = total + loss.item() * len(y), count + len(y)
    return total / count


def _evaluate(model, loader, eval_mode=True, no_grad=True):
    if eval_mode:
        model.eval()
    total, correct, count = 0.0, 0, 0
    with torch.set_grad_enabled(not no_grad):
        for x, y in loader:
            logits = model(x)
            total += F.cross_entropy(logits, y, reduction="sum").item()
            correct += (logits.argmax(1) == y).sum().item()
            count += len(y)
    return total / count, correct / count


def test_a_correct_training_epoch_passes_and_forgetting_zero_grad_is_named(capsys):
    bad = assert_grades(ch08.check_train_epoch, ch08.solution_train_epoch,
                        lambda m, l, o: _epoch(m, l, o, zero_grad=False), capsys)
    assert "zero_grad ran 0 times for 18 steps" in bad.message
    assert ch08.check_train_epoch(_epoch).ok  # the learner's own correct version, not the reference object


def test_a_training_epoch_left_in_eval_mode_is_named():
    bad = ch08.check_train_epoch(lambda m, l, o: _epoch(m, l, o, train_mode=False))
    assert not bad.ok and "model.train()" in bad.message


def test_a_batch_mean_of_equal_batches_is_accepted_and_a_wrong_loss_is_not():
    def batch_mean(model, loader, optimizer):
        model.train()
        values = []
        for x, y in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            values.append(loss.item())
        return sum(values) / len(values)
    assert ch08.check_train_epoch(batch_mean).ok
    wrong = ch08.check_train_epoch(lambda m, l, o: 2 * _epoch(m, l, o))
    assert not wrong.ok and "mean training loss" in wrong.message


def test_evaluation_without_eval_or_no_grad_is_named(capsys):
    bad = assert_grades(ch08.check_evaluate, ch08.solution_evaluate,
                        lambda m, l: _evaluate(m, l, eval_mode=False), capsys)
    assert "model.eval()" in bad.message
    grad = ch08.check_evaluate(lambda m, l: _evaluate(m, l, no_grad=False))
    assert not grad.ok and "torch.no_grad()" in grad.message
    assert ch08.check_evaluate(_evaluate).ok
