"""The implementations behind the course notebooks: one topic package per part of the course.

    core/            validation, seeding, figures, plotting, data, the loop shape, metrics
                     (imports nothing else from helpers)
    basics/          01-03  the neuron, activations, networks, losses, gradient descent
    autograd/        04     the tensor autograd engine, layers on it, gradcheck, graph drawing
    training/        05-08  deep stacks, init, optimizers, schedules, regularization, batch norm
    cnn/ rnn/ transformer/ gan/                             09-12
    compression/ distributed/ representation/               13-15
    generative/ graphs/ selfsupervised/ rl/ interpret/      16-20  (Part V: the frontier)
    ui/              widgets, the training player, sampling (the only place, with apps/, that
    apps/            each notebook's widgets, chNN_name      imports ipywidgets)
    exercises/       each notebook's self-checks and solutions, chNN

A topic package imports ``core`` and earlier chapters only (``tests/test_layout.py`` enforces
it). One convention for hand-written gradients: ``y, cache = f_forward(x, ...)`` and
``dx, *dparams = f_backward(dy, cache)``, ``dy`` the gradient of the output, the cache a frozen
dataclass. One optimizer contract: ``step(grads)``, or ``step()`` reading each parameter's
``.grad``. One loop shape: :mod:`helpers.core.loop`. Only the notebook plumbing is re-exported
here: ``setup_notebook``, ``seed_everything``, ``show``.
"""
from helpers.core.notebook import seed_everything, setup_notebook, show

__all__ = ["seed_everything", "setup_notebook", "show"]
__version__ = "0.1.0"
