"""The implementations behind the course notebooks.

Import a chapter's module by name (``from helpers import autograd``); only the plumbing below is
re-exported at the top level.

Plumbing
    ``setup_notebook(seed)``    first line of every notebook: seeding and reproducible figures
    ``seed_everything(seed)``   seed random, NumPy and PyTorch; returns a NumPy Generator
    ``show(obj)``               display a helper's source in a notebook (instead of pasting it)
    ``utils``                   ``check_array`` / ``check_range`` / ``check_choice``: input validation
    ``data``                    moons, circles, XOR, spirals, digits, sample photos, the text corpus
    ``plotting``                ``LivePlot`` (training curves updated in place), decision boundaries
    ``widgets``                 ``App`` / ``Panel`` (figure redrawn in place), ``TrainingPlayer``
    ``apps``                    each chapter's interactive explorer; ``all_apps()`` lists them
    ``exercises``               ``run_check`` / ``Feedback``; one module of checks per chapter

Chapters (one concept per module)
    ``neuron``          01  the neuron, the perceptron learning rule, logic gates
    ``mlp``             02  layers as matrix products, a NumPy MLP, universal approximation
    ``losses``          03  MSE, stable log-softmax cross-entropy and their gradients
    ``gradient_descent`` 03 gradient descent on 1-D and 2-D surfaces, batch vs mini-batch
    ``autograd``        04  a tensor-level reverse-mode autograd engine on NumPy arrays
    ``gradcheck``       04  central-difference gradient checking
    ``activations``     05  activation functions and their derivatives
    ``init``            06  weight initializers
    ``optim``           07  SGD, momentum, Nesterov, RMSProp, Adam, AdamW, schedules
    ``regularization``  08  dropout, weight decay, early stopping, label smoothing, mixup, batch norm
    ``conv``            09  convolution (loops and im2col) and pooling, forward and backward
    ``rnn``             10  RNN, LSTM and GRU cells, backprop through time
    ``attention``       11  scaled dot-product and multi-head attention, positional encodings
    ``transformer``     11  a tiny decoder-only transformer in PyTorch
    ``gan``             12  GAN and WGAN-GP losses, builders and training loops
"""
from .utils import seed_everything, setup_notebook, show

__all__ = ["seed_everything", "setup_notebook", "show"]
__version__ = "0.1.0"
