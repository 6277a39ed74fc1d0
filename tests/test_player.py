"""The TrainingPlayer (helpers/ui/player.py): stepping, play / pause, learning-rate changes, divergence,
reset, limits and bad input, on a tiny session whose plain training loop we can replay exactly;
then the notebooks' own players (03, 04, 07, 12) at both ends of their learning-rate sliders."""
from __future__ import annotations

import math

import numpy as np
import pytest

from helpers.apps.ch04_backprop import TrainingSession as MoonsSession
from helpers.apps.ch03_gradient_descent import BatchSizeRace
from helpers.apps.ch12_gan import GANTrainingSession
from helpers.apps.ch07_optimizers import OptimizerRace
from helpers.training.trajectories import rosenbrock, run_trajectory
from helpers.ui.player import TrainingPlayer
from helpers.core.figures import new_figure


class LinearSession:
    """Least squares on fixed data, w <- w - lr * grad: a session whose plain loop is :func:`plain_loop`."""

    def __init__(self, seed: int = 0, fail_at: int | None = None) -> None:
        rng = np.random.default_rng(seed)
        self.X, self.y = rng.normal(size=(32, 3)), rng.normal(size=32)
        self.w0 = rng.normal(size=3)
        self.fail_at = fail_at
        self.fig = new_figure(3, 2)
        (self.line,) = self.fig.subplots().plot([], [])
        self.reset()

    def reset(self) -> None:
        self.w, self.updates = self.w0.copy(), 0

    def step(self, lr: float) -> float:
        self.updates += 1
        if self.fail_at is not None and self.updates == self.fail_at:
            raise RuntimeError("simulated failure")
        with np.errstate(over="ignore", invalid="ignore"):
            self.w = plain_update(self.w, self.X, self.y, lr)
            return float(np.mean((self.X @ self.w - self.y) ** 2))

    def draw(self) -> str:
        self.line.set_data(np.arange(3), self.w)
        return f"w = {np.round(self.w, 3)}"


def plain_update(w: np.ndarray, X: np.ndarray, y: np.ndarray, lr: float) -> np.ndarray:
    return w - lr * 2 * X.T @ (X @ w - y) / len(y)


def plain_loop(session: LinearSession, lrs: list[float]) -> np.ndarray:
    w = session.w0.copy()
    for lr in lrs:
        w = plain_update(w, session.X, session.y, lr)
    return w


def make_player(session=None, **kw) -> TrainingPlayer:
    # no frame budget unless a test asks for one: tick counts must not depend on the machine's speed
    kw = {"lr": 0.05, "lr_range": (1e-3, 100.0), "frame_budget_ms": None, **kw}
    return TrainingPlayer(session if session is not None else LinearSession(), **kw)


# ----------------------------------------------------------------------------- exact stepping
@pytest.mark.parametrize("n", [0, 1, 7, 50])
def test_n_steps_equal_n_iterations_of_the_plain_loop(n):
    player = make_player()
    player.run(n)
    assert player.step_count == n == len(player.losses)
    np.testing.assert_array_equal(player.session.w, plain_loop(player.session, [0.05] * n))


def test_step_button_is_exactly_one_update_whatever_the_speed():
    player = make_player(steps_per_tick=7)
    player.step_button.click()
    player.step_button.click()
    assert player.step_count == 2
    np.testing.assert_array_equal(player.session.w, plain_loop(player.session, [0.05] * 2))


def test_play_pause_play_neither_skips_nor_repeats():
    player = make_player(steps_per_tick=3)
    player.play.playing = True
    for tick in range(1, 6):          # five frames of 3 updates, as the browser's Play sends them
        player.play.value = tick
    player.play.playing = False       # pause: the value stays where it was
    player.play.value = 5             # a repeated value is not a new frame
    assert player.step_count == 15
    player.step()                     # a step while paused
    player.play.playing = True
    for tick in (6, 7):               # play resumes from the paused value
        player.play.value = tick
    assert player.step_count == 22
    player.play.value = 0             # the Play widget's stop button rewinds it: no update
    player.play.value = 1             # ... and playing again continues the same run
    assert player.step_count == 25 and len(player.frame_ms) == 9  # 8 frames + 1 step
    np.testing.assert_array_equal(player.session.w, plain_loop(player.session, [0.05] * 25))


def test_speed_slider_sets_updates_per_frame():
    player = make_player(steps_per_tick=2)
    player.speed.value = player.speed.max
    player.play.value = 1
    assert player.step_count == player.speed.max == 25


def test_learning_rate_change_acts_from_the_next_step_without_restart():
    player = make_player()
    player.run(5)
    player.lr_slider.value = 0.01
    player.run(5)
    np.testing.assert_array_equal(player.session.w, plain_loop(player.session, [0.05] * 5 + [0.01] * 5))


# ----------------------------------------------------------------------------- divergence and limits
def test_extreme_learning_rate_stops_the_player_and_says_so():
    player = make_player(lr=100.0)
    player.play.playing = True
    status = player.run(200)
    assert player.diverged and not player.play.playing
    assert "diverged at step" in status and "lower the learning rate" in status and "nan" not in status.lower()
    k = player.step_count
    assert k < 200 and "diverged" in player.run(10) and player.step_count == k  # stays stopped
    assert all(math.isfinite(x) for x in player.losses)


def test_a_loss_above_the_bound_counts_as_divergence():
    player = make_player(lr=2.0, max_loss=1e3)
    status = player.run(100)
    assert player.diverged and "above the bound 1e+03" in status


def test_a_failing_update_is_reported_in_words():
    player = make_player(LinearSession(fail_at=3))
    status = player.run(10)
    assert player.diverged and player.step_count == 3 and "RuntimeError: simulated failure" in status


def test_max_steps_stops_playing():
    player = make_player(max_steps=12, steps_per_tick=5)
    player.play.playing = True
    for tick in range(1, 5):
        player.play.value = tick
    assert player.step_count == 12 and not player.play.playing
    assert "12-step limit" in player.status.value


def test_reset_restores_the_seeded_initial_state():
    player = make_player()
    first = [player.run(10), list(player.losses)]
    player.play.value = 3
    player.reset()
    assert player.step_count == 0 and player.losses == [] and player.play.value == 0 and not player.diverged
    np.testing.assert_array_equal(player.session.w, player.session.w0)
    assert [player.run(10), list(player.losses)] == first


# ----------------------------------------------------------------------------- input checks and panel
@pytest.mark.parametrize("kwargs, message", [
    ({"lr": 1e-6}, "lr must lie in lr_range"),
    ({"steps_per_tick": 0}, "steps_per_tick"),
    ({"steps_per_tick": 30, "max_speed": 10}, "max_speed"),
    ({"interval_ms": 1}, "interval_ms"),
    ({"max_loss": 0}, "max_loss"),
    ({"lr": None}, "lr=None needs a session with its own learning-rate controls"),
])
def test_bad_arguments_get_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_player(**kwargs)


def test_bad_run_arguments_and_unknown_actions():
    player = make_player()
    with pytest.raises(ValueError, match="n_steps must be an int >= 0"):
        player.run(-1)
    with pytest.raises(ValueError, match="unknown action 'step D'"):
        player.act("step D")


def test_panel_has_the_controls_and_a_static_fallback():
    player = make_player()
    player.run(3)
    box = player.panel()
    assert "course-training-player" in box._dom_classes
    bundle = box._repr_mimebundle_()
    assert bundle["image/png"] and bundle["text/plain"].startswith("LinearSession player: step 3: w = ")
    assert player.frame_ms and all(t > 0 for t in player.frame_ms)


# ----------------------------------------------------------------------------- the notebooks' players
NOTEBOOK_PLAYERS = {
    "03 batch-size race": lambda: TrainingPlayer(BatchSizeRace(batch_size=20), lr=0.05, lr_range=(1e-3, 1.0)),
    "04 two moons": lambda: TrainingPlayer(MoonsSession(), lr=0.3, lr_range=(1e-3, 10.0)),
    "07 optimizer race": lambda: TrainingPlayer(OptimizerRace(), lr=None),
    "12 ring GAN": lambda: TrainingPlayer(GANTrainingSession(batch_size=32), lr=2e-3, lr_range=(1e-5, 1e-1)),
}


@pytest.mark.parametrize("name", NOTEBOOK_PLAYERS)
@pytest.mark.parametrize("end", ["min", "max"])
def test_notebook_players_at_both_ends_of_the_learning_rate(name, end):
    player = NOTEBOOK_PLAYERS[name]()
    sliders = [player.lr_slider] if player.lr_slider is not None else list(player.session.controls.values())
    for slider in sliders:
        slider.value = slider.base ** (slider.min if end == "min" else slider.max)
    status = player.run(30)
    assert "nan" not in status.lower() and "Traceback" not in status
    assert player.diverged == status.startswith("diverged at step")  # a race may lose single runners
    assert all(math.isfinite(x) for x in player.losses)
    player.reset()
    assert player.step_count == 0 and not player.diverged


def test_optimizer_race_is_the_plain_loop_of_each_optimizer():
    race = OptimizerRace()
    player = TrainingPlayer(race, lr=None, steps_per_tick=10, frame_budget_ms=None)
    for tick in range(1, 13):
        player.play.value = tick
    lrs = {"sgd": 1e-3, "momentum": 1e-3, "rmsprop": 1e-2, "adam": 0.1}
    for name, lr in lrs.items():
        hyper = {"momentum": 0.9} if name == "momentum" else {}
        plain = run_trajectory(rosenbrock(), name, lr=lr, steps=120, **hyper)
        np.testing.assert_array_equal(np.array(race.paths[name]), plain.path)


def test_optimizer_race_stops_only_the_runner_that_diverges():
    race = OptimizerRace()
    player = TrainingPlayer(race, lr=None)
    player.run(20)
    race.controls["sgd"].value = 1.0
    status = player.run(20)
    assert set(race.diverged_at) == {"sgd"} and not player.diverged
    assert "SGD diverged at step" in status and len(race.paths["adam"]) == 41
    for name in ("sgd", "momentum", "rmsprop", "adam"):
        race.controls[name].value = 1.0
    status = player.run(200)
    assert all(math.isfinite(g) for gaps in race.gaps.values() for g in gaps)


def test_optimizer_race_rejects_unknown_settings():
    with pytest.raises(ValueError, match="surface must be one of"):
        OptimizerRace(surface="moon")
    with pytest.raises(ValueError, match="lrs must map optimizer names"):
        OptimizerRace(lrs={"lion": 1e-3})


def test_gan_step_d_and_step_g_move_one_player_each():
    torch = pytest.importorskip("torch")
    flat = lambda m: torch.nn.utils.parameters_to_vector(m.parameters()).detach().clone()  # noqa: E731
    player = TrainingPlayer(GANTrainingSession(batch_size=32), lr=2e-3, lr_range=(1e-5, 1e-1))
    assert set(player.action_buttons) == {"step D", "step G"}
    trainer = player.session.trainer
    g0, d0 = flat(trainer.G), flat(trainer.D)
    player.action_buttons["step D"].click()
    assert torch.equal(flat(trainer.G), g0) and not torch.equal(flat(trainer.D), d0)
    d1 = flat(trainer.D)
    player.act("step G")
    assert torch.equal(flat(trainer.D), d1) and not torch.equal(flat(trainer.G), g0)
    assert player.step_count == 2 and player.session.d_updates == 1 and trainer.steps == 1
    assert "after 1 D and 1 G updates" in player.status.value


def test_play_at_the_step_limit_restarts_from_the_seeded_state():
    """After a notebook's run(N) the player sits at its limit; pressing play must not do nothing."""
    player = make_player(max_steps=12, steps_per_tick=5)
    player.run(12)
    assert player.step_count == 12
    first_run = list(player.losses)
    player.play.playing = True                      # the learner presses play
    assert player.step_count == 0 and player.play.playing and "restarted" in player.status.value
    for tick in range(1, 4):                        # the Play widget ticks
        player.play.value = tick
    assert player.step_count == 12 and player.losses == first_run  # the same seeded run again


def test_a_tick_message_that_skipped_ticks_is_still_one_frame():
    """A busy kernel receives one merged tick message for several ticks: it draws one frame of
    ``steps_per_tick`` updates, so frames never grow (and never pile up) behind a slow one."""
    player = make_player(steps_per_tick=3)
    player.play.playing = True
    player.play.value = 1
    player.play.value = 6                 # five ticks merged into one message
    assert player.step_count == 6 and len(player.frame_ms) == 2


def test_moving_a_slider_is_acknowledged_in_the_status_at_once():
    player = make_player()
    player.run(4)
    player.lr_slider.value = 0.01
    assert "step 4: learning rate set to 1.00e-02, applies from the next update" in player.box.status_text()
    player.speed.value = 7
    assert "updates / frame set to 7" in player.box.status_text() and player.step_count == 4
    player.play.playing = True
    player.lr_slider.value = 0.02
    assert "applies from the next update" in player.box.status_text()


def test_step_buttons_are_greyed_out_at_the_limit_and_back_after_reset():
    player = make_player(max_steps=3)
    player.run(3)
    assert player.step_button.disabled and "3-step limit" in player.step_button.tooltip
    player.reset()
    assert not player.step_button.disabled and player.step_button.tooltip == "one update"


class SlowSession(LinearSession):
    """A session whose every update takes at least 15 ms (a stand-in for 8 CartPole episodes)."""

    def step(self, lr: float) -> float:
        import time

        time.sleep(0.015)
        return super().step(lr)


def test_a_frame_stops_its_updates_at_its_time_budget_and_says_so():
    player = make_player(SlowSession(), steps_per_tick=10, frame_budget_ms=40)
    player.play.playing = True
    player.play.value = 1
    done = player.step_count
    assert 1 <= done < 10, done                    # at least one update, never all ten (>= 150 ms)
    assert f"this frame ran {done} of the 10 updates asked" in player.box.status_text()
    player.play.playing = False
    assert "updates asked" not in player.step()    # step, action buttons and run(n) are never cut
    assert player.step_count == done + 1
    player.run(5)
    assert player.step_count == done + 6


def test_without_a_budget_a_frame_runs_every_update_asked():
    player = make_player(SlowSession(), steps_per_tick=4, frame_budget_ms=None)
    player.play.playing = True
    player.play.value = 1
    assert player.step_count == 4 and "updates asked" not in player.box.status_text()


@pytest.mark.parametrize("budget", [0, -5.0])
def test_a_frame_budget_must_be_positive(budget):
    with pytest.raises(ValueError, match="frame_budget_ms must be > 0 ms"):
        make_player(frame_budget_ms=budget)
