"""Part I (notebooks 01-03): our NumPy implementations against PyTorch on the same float64 inputs.

    python -m tools.bench --only basics

Ratios (ours / torch) in one process; both sides run on one thread (OMP_NUM_THREADS=1).
"""
from __future__ import annotations

SECTION = "part I: ours vs torch (float64, one thread)"


def run(report) -> None:
    import numpy as np
    import torch
    import torch.nn.functional as F

    from helpers.basics import gradient_descent, losses, mlp, neuron

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)

    z, y = rng.standard_normal((256, 10)), rng.integers(0, 10, 256)
    z_t, y_t = torch.tensor(z, requires_grad=True), torch.tensor(y)

    def ce_ours():
        losses.cross_entropy(z, y)
        losses.cross_entropy_grad(z, y)

    def ce_torch():
        z_t.grad = None
        F.cross_entropy(z_t, y_t).backward()

    report.ratio(SECTION, "softmax cross-entropy, value + gradient, logits (256, 10)", ce_ours, ce_torch)

    big = rng.standard_normal((1024, 100))
    big_t = torch.tensor(big)
    report.ratio(SECTION, "softmax, (1024, 100)", lambda: losses.softmax(big), lambda: torch.softmax(big_t, dim=1))

    X, w, g = rng.standard_normal((256, 20)), rng.standard_normal(20), rng.standard_normal(256)
    X_t, w_t, b_t = (torch.tensor(a, requires_grad=True) for a in (X, w, np.zeros(1)))
    g_t = torch.tensor(g)

    def neuron_ours():
        _, cache = neuron.neuron_forward(X, w, 0.0)
        neuron.neuron_backward(g, cache)

    def neuron_torch():
        for t in (X_t, w_t, b_t):
            t.grad = None
        torch.sigmoid(X_t @ w_t + b_t).backward(g_t)

    report.ratio(SECTION, "sigmoid neuron, forward + backward, X (256, 20)", neuron_ours, neuron_torch)

    sizes = [64, 128, 128, 10]
    layers = mlp.init_mlp(sizes, rng)
    net = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 128),
                              torch.nn.ReLU(), torch.nn.Linear(128, 10)).double()
    Xm = rng.standard_normal((256, 64))
    Xm_t = torch.tensor(Xm)

    def mlp_torch():
        with torch.no_grad():
            net(Xm_t)

    report.ratio(SECTION, "MLP forward [64, 128, 128, 10], batch 256", lambda: mlp.mlp_forward(Xm, layers), mlp_torch)

    quad = gradient_descent.get_surface("bowl")
    theta = torch.tensor([-4.0, 2.0], dtype=torch.float64, requires_grad=True)

    def gd_torch():
        with torch.no_grad():
            theta.copy_(torch.tensor([-4.0, 2.0]))
        opt = torch.optim.SGD([theta], lr=0.15)
        for _ in range(100):
            opt.zero_grad()
            quad.f(theta).backward()
            opt.step()

    report.ratio(SECTION, "100 gradient-descent steps on the 2-D bowl",
                 lambda: gradient_descent.gradient_descent(quad.grad, np.array([-4.0, 2.0]), 0.15, 100, quad.f),
                 gd_torch, repeat=10)
