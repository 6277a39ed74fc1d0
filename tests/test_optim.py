"""Optimizers, schedules and 2-D trajectories (notebook 07) against torch.optim, plus properties."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from helpers.training import optim, schedules, trajectories
from helpers.exercises import ch07
from torch_twin import assert_close
from exercise_grading import assert_grades

# 0-d parameters included: NumPy turns 0-d arithmetic into scalars, which have no in-place ops
SHAPE_SETS = [[(3,)], [(4, 5), (5,)], [(2, 3, 4), (1,), (6, 2)], [()], [(), (2,)]]

# (our name, torch class, hyperparameters): every option, with and without weight decay
CASES = [
    ("sgd", torch.optim.SGD, {"lr": 0.1}),
    ("sgd", torch.optim.SGD, {"lr": 0.05, "weight_decay": 0.1}),
    ("momentum", torch.optim.SGD, {"lr": 0.05, "momentum": 0.9}),
    ("momentum", torch.optim.SGD, {"lr": 0.05, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.05}),
    ("nesterov", torch.optim.SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("rmsprop", torch.optim.RMSprop, {"lr": 0.01}),
    ("rmsprop", torch.optim.RMSprop, {"lr": 0.01, "alpha": 0.9, "momentum": 0.5, "weight_decay": 0.1}),
    ("rmsprop", torch.optim.RMSprop, {"lr": 0.01, "centered": True, "eps": 1e-6}),
    ("adam", torch.optim.Adam, {"lr": 0.01}),
    ("adam", torch.optim.Adam, {"lr": 0.02, "betas": (0.5, 0.9), "weight_decay": 0.1}),
    ("adam", torch.optim.Adam, {"lr": 0.01, "amsgrad": True, "eps": 1e-4}),
    ("adamw", torch.optim.AdamW, {"lr": 0.01}),
    ("adamw", torch.optim.AdamW, {"lr": 0.02, "weight_decay": 0.5, "betas": (0.8, 0.95)}),
]


def _grad_fn(params: list[np.ndarray], t: int) -> list[np.ndarray]:
    """A gradient that depends on the current parameters (so any drift would compound) and on t."""
    return [np.sin(1.3 * p + t) + 0.1 * p ** 3 for p in params]


@pytest.mark.parametrize("shapes", SHAPE_SETS, ids=lambda s: str(s))
@pytest.mark.parametrize("name,torch_cls,hyper", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_matches_torch_for_50_steps(name, torch_cls, hyper, shapes, rng):
    ours = [rng.normal(size=s) for s in shapes]
    theirs = [torch.tensor(p.copy(), requires_grad=True) for p in ours]
    opt, ref = optim.make_optimizer(name, ours, **hyper), torch_cls(theirs, **hyper)
    for t in range(50):
        opt.step(_grad_fn(ours, t))
        for tensor, g in zip(theirs, _grad_fn([x.detach().numpy() for x in theirs], t)):
            tensor.grad = torch.tensor(g)
        ref.step()
    for p, tensor in zip(ours, theirs):
        assert_close(p, tensor.detach().numpy(), atol=1e-10, rtol=0, what=f"{name} {hyper} after 50 steps")


def test_updates_in_place_and_keeps_float32():
    w = np.ones(3, dtype=np.float32)
    opt = optim.SGD([w], lr=0.5)
    opt.step([np.ones(3)])
    assert w.dtype == np.float32 and np.allclose(w, 0.5)
    assert opt.t == 1


def test_lr_can_change_between_steps():
    w = np.zeros(1)
    opt = optim.SGD([w], lr=1.0)
    opt.step([np.ones(1)])
    opt.lr = 0.1
    opt.step([np.ones(1)])
    assert np.isclose(w[0], -1.1)


def test_weight_decay_is_the_l2_gradient():
    from helpers.training.regularization import l2_penalty_grad

    rng = np.random.default_rng(0)
    w1, g = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    w2 = w1.copy()
    optim.SGD([w1], lr=0.1, weight_decay=0.3).step([g])
    optim.SGD([w2], lr=0.1).step([g + l2_penalty_grad([w2], 0.3)[0]])
    assert np.allclose(w1, w2, atol=1e-15)


@given(st.floats(1e-4, 1.0), st.floats(1e-3, 1e3), st.integers(1, 6))
def test_adam_first_step_has_size_lr_whatever_the_gradient_scale(lr, scale, d):
    g = scale * np.linspace(-1, 1, d + 1)[np.linspace(-1, 1, d + 1) != 0]
    w = np.zeros_like(g)
    optim.Adam([w], lr=lr, eps=0.0).step([g])
    assert np.allclose(np.abs(w), lr, rtol=1e-12)  # bias correction: m_hat / sqrt(v_hat) = sign(g)


@given(st.floats(1e-3, 1e3))
def test_adam_and_rmsprop_are_invariant_to_gradient_scale(scale):
    rng = np.random.default_rng(1)
    grads = rng.normal(size=(10, 4))
    for name in ("adam", "rmsprop"):
        a, b = np.zeros(4), np.zeros(4)
        oa, ob = optim.make_optimizer(name, [a], lr=0.01, eps=0.0), optim.make_optimizer(name, [b], lr=0.01, eps=0.0)
        for g in grads:
            oa.step([g])
            ob.step([scale * g])
        assert np.allclose(a, b, rtol=1e-9, atol=1e-12), name


@given(st.sampled_from(list(optim.OPTIMIZERS)))
def test_zero_learning_rate_changes_nothing(name):
    w = np.arange(4.0)
    opt = optim.make_optimizer(name, [w], lr=0.0)
    for _ in range(3):
        opt.step([np.ones(4)])
    assert np.array_equal(w, np.arange(4.0))


@pytest.mark.parametrize("call,fragment", [
    (lambda: optim.SGD(np.zeros(3), lr=0.1), "list of NumPy arrays"),
    (lambda: optim.SGD([], lr=0.1), "non-empty"),
    (lambda: optim.SGD([np.zeros(3, dtype=int)], lr=0.1), "float NumPy array"),
    (lambda: optim.SGD([[0.0, 1.0]], lr=0.1), "float NumPy array"),
    (lambda: optim.SGD([np.array([0.0, np.nan])], lr=0.1), "finite"),
    (lambda: optim.SGD([np.zeros(3)], lr=-1.0), "lr must be in"),
    (lambda: optim.SGD([np.zeros(3)], lr=0.1, nesterov=True), "nesterov needs momentum > 0"),
    (lambda: optim.Adam([np.zeros(3)], betas=(0.9, 1.0)), "betas must each be in [0, 1)"),
    (lambda: optim.Adam([np.zeros(3)], betas=0.9), "pair"),
    (lambda: optim.make_optimizer("adagrad", [np.zeros(3)]), "optimizer must be one of"),
])
def test_bad_construction_raises_a_clear_error(call, fragment):
    with pytest.raises(ValueError) as info:
        call()
    assert fragment in str(info.value), str(info.value)


@pytest.mark.parametrize("grads,fragment", [
    ([np.zeros(4)], "must have shape (3), got (4,)"),
    ([np.zeros(3), np.zeros(3)], "list of 1 arrays"),
    (np.zeros(3), "list of 1 arrays"),
    ([np.array([1.0, np.inf, 0.0])], "finite"),
    ([np.array(["a", "b", "c"])], "real numbers"),
])
def test_bad_gradients_raise_a_clear_error(grads, fragment):
    opt = optim.Adam([np.zeros(3)])
    with pytest.raises(ValueError) as info:
        opt.step(grads)
    assert fragment in str(info.value), str(info.value)


# ----------------------------------------------------------------------------- schedules
def _torch_lrs(make_scheduler, total: int, lr0: float) -> np.ndarray:
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr0)
    sched = make_scheduler(opt)
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SequentialLR's deprecation chatter
        for _ in range(total):
            out.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
    return np.array(out)


@pytest.mark.parametrize("lr0,total", [(0.1, 30), (1.0, 97), (3e-4, 10)])
def test_schedules_match_torch(lr0, total):
    S = torch.optim.lr_scheduler
    twins = {
        "step": (lambda o: S.StepLR(o, step_size=7, gamma=0.5), {"step_size": 7, "gamma": 0.5}),
        "cosine": (lambda o: S.CosineAnnealingLR(o, T_max=total, eta_min=lr0 / 20),
                   {"total": total, "lr_min": lr0 / 20}),
        "warmup": (lambda o: S.LinearLR(o, start_factor=0.2, total_iters=4), {"warmup": 4, "start_factor": 0.2}),
        "warmup_cosine": (lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=5),
                                                       S.CosineAnnealingLR(o, T_max=total - 5)], milestones=[5]),
                          {"warmup": 5, "total": total}),
    }
    for name, (make, options) in twins.items():
        ours = schedules.schedule_values(name, lr0, total, **options)
        assert_close(ours, _torch_lrs(make, total, lr0), atol=1e-12, rtol=1e-12, what=name)


@given(st.sampled_from(list(schedules.SCHEDULES)), st.floats(1e-5, 10.0), st.integers(2, 300))
def test_schedules_stay_between_zero_and_lr0(name, lr0, total):
    lrs = schedules.schedule_values(name, lr0, total)
    assert lrs.shape == (total,)
    assert np.all(lrs >= 0) and np.all(lrs <= lr0 * (1 + 1e-12))


@given(st.integers(2, 500))
def test_cosine_decreases_and_ends_near_zero(total):
    lrs = schedules.schedule_values("cosine", 1.0, total)
    assert lrs[0] == 1.0 and np.all(np.diff(lrs) <= 1e-15)
    assert schedules.cosine_lr(total, 1.0, total) == 0.0 and schedules.cosine_lr(10 * total, 1.0, total) == 0.0


@pytest.mark.parametrize("call,fragment", [
    (lambda: schedules.schedule_values("linear", 0.1, 10), "schedule must be one of"),
    (lambda: schedules.step_lr(-1, 0.1, 5), "step must be in"),
    (lambda: schedules.step_lr(1.5, 0.1, 5), "step must be an integer"),
    (lambda: schedules.cosine_lr(0, 0.1, 0), "total must be in"),
    (lambda: schedules.warmup_cosine_lr(0, 0.1, warmup=10, total=10), "total must be in"),
    (lambda: schedules.warmup_lr(0, float("nan"), 5), "lr0 must be finite"),
])
def test_bad_schedule_arguments_raise(call, fragment):
    with pytest.raises(ValueError) as info:
        call()
    assert fragment in str(info.value), str(info.value)


# ----------------------------------------------------------------------------- trajectories
@pytest.mark.parametrize("make", list(trajectories.SURFACES.values()))
def test_surface_gradients_match_autograd(make, rng):
    surface = make()
    for _ in range(5):
        p = rng.uniform(-2, 2, size=2)
        t = torch.tensor(p, requires_grad=True)
        surface.f(t).backward()
        assert_close(surface.grad(p), t.grad.numpy(), atol=1e-10, what=surface.name)
    assert float(surface.f(np.array(surface.minimum))) == 0.0


def test_bowl_gradient_descent_converges_below_and_diverges_above_two_over_kappa():
    bowl = trajectories.ill_conditioned_bowl(25.0)
    good = trajectories.run_trajectory(bowl, "sgd", lr=0.9 * 2 / 25, steps=400)
    bad = trajectories.run_trajectory(bowl, "sgd", lr=1.1 * 2 / 25, steps=400)
    assert not good.diverged and good.gap[-1] < 1e-8 and good.path.shape == (401, 2)
    assert bad.diverged and np.all(np.isfinite(bad.path)) and "diverged" in bad.describe()


def test_momentum_beats_sgd_on_the_bowl_and_rosenbrock():
    bowl, rosen = trajectories.ill_conditioned_bowl(), trajectories.rosenbrock()
    sgd = trajectories.run_trajectory(bowl, "sgd", lr=0.07, steps=300).steps_to(1e-6)
    mom = trajectories.run_trajectory(bowl, "momentum", lr=0.07, momentum=0.5, steps=300).steps_to(1e-6)
    assert mom is not None and sgd is not None and mom < sgd / 2
    sgd_r = trajectories.run_trajectory(rosen, "sgd", lr=1e-3, steps=1000)
    mom_r = trajectories.run_trajectory(rosen, "momentum", lr=1e-3, momentum=0.9, steps=1000)
    assert mom_r.gap[-1] < sgd_r.gap[-1] / 100


def test_huge_learning_rate_never_produces_nan_points():
    for name in optim.OPTIMIZERS:
        run = trajectories.run_trajectory(trajectories.rosenbrock(), name, lr=1e3, steps=50)
        assert np.all(np.isfinite(run.path)) and np.all(np.isfinite(run.gap))
        assert "nan" not in run.describe().lower()


def test_plot_trajectories_returns_a_figure():
    from matplotlib.figure import Figure

    bowl = trajectories.ill_conditioned_bowl()
    runs = {"SGD": trajectories.run_trajectory(bowl, "sgd", lr=0.05, steps=20)}
    assert isinstance(trajectories.plot_trajectories(bowl, runs), Figure)
    with pytest.raises(ValueError, match="at least one run"):
        trajectories.plot_trajectories(bowl, {})


def test_run_trajectory_rejects_bad_start():
    with pytest.raises(ValueError, match=r"start must have shape \(2\), got \(3,\)"):
        trajectories.run_trajectory(trajectories.rosenbrock(), start=[1.0, 2.0, 3.0])


# ----------------------------------------------------------------------------- exercises
@pytest.mark.parametrize("check,solution,wrong", [
    (ch07.check_momentum_step, ch07.solution_momentum_step,
     lambda theta, buf, g, lr, mu: (theta - lr * g, buf)),
    (ch07.check_adam_step, ch07.solution_adam_step,
     lambda theta, m, v, g, t, lr, b1, b2, eps: (theta - lr * g, m, v)),
    (ch07.check_warmup_cosine, ch07.solution_warmup_cosine, lambda t, lr0, w, total: lr0),
])
def test_exercise_checks(check, solution, wrong, capsys):
    assert_grades(check, solution, wrong, capsys)


def test_exercise_checks_spot_common_mistakes(capsys):
    def dampened(theta, buf, g, lr, mu):
        buf = mu * buf + (1 - mu) * g
        return theta - lr * buf, buf

    def no_bias_correction(theta, m, v, g, t, lr, b1, b2, eps):
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        return theta - lr * m / (np.sqrt(v) + eps), m, v

    assert "(1 - mu)" in ch07.check_momentum_step(dampened).message
    assert "bias correction" in ch07.check_adam_step(no_bias_correction).message
