r"""The PyTorch twins of notebook 19's hand-written gradients: the same network, the same batch,
``torch.autograd`` instead of our backward pass, ``torch.optim.Adam`` instead of ours.

* :func:`torch_policy_gradient`: the REINFORCE surrogate loss
  :math:`-\frac1N\sum_n A_n \log\pi_\theta(a_n \mid s_n)` and its gradient by autograd;
* :func:`torch_dqn_update`: the DQN loss (Huber between :math:`Q_\theta(s,a)` and the target
  computed by a frozen target network under ``no_grad``), its gradient, and one Adam step.

Everything runs in float64 so the comparison with NumPy is exact to rounding.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from helpers.core.checks import check_array, check_range
from helpers.rl.networks import _check_params

__all__ = ["torch_mlp", "torch_policy_gradient", "torch_dqn_update"]


def torch_mlp(params: list[np.ndarray]) -> nn.Sequential:
    """``nn.Sequential(Linear, Tanh, Linear)`` in float64 holding a copy of ``params`` = [W1, b1, W2, b2]
    (our weights are (in, out); ``nn.Linear`` stores (out, in), hence the transposes)."""
    W1, b1, W2, b2 = _check_params(params)
    model = nn.Sequential(nn.Linear(*W1.shape), nn.Tanh(), nn.Linear(*W2.shape)).double()
    with torch.no_grad():
        for layer, W, b in ((model[0], W1, b1), (model[2], W2, b2)):
            layer.weight.copy_(torch.from_numpy(W.T.copy()))
            layer.bias.copy_(torch.from_numpy(b.copy()))
    return model


def _grads_as_ours(model: nn.Sequential) -> list[np.ndarray]:
    return [model[0].weight.grad.numpy().T.copy(), model[0].bias.grad.numpy().copy(),
            model[2].weight.grad.numpy().T.copy(), model[2].bias.grad.numpy().copy()]


def torch_policy_gradient(params: list[np.ndarray], x: np.ndarray, actions: np.ndarray,
                          advantages: np.ndarray) -> tuple[float, list[np.ndarray]]:
    """The REINFORCE loss and its gradient ``[dW1, db1, dW2, db2]`` by autograd.

    Shape: x (N, D), actions (N,), advantages (N,) (held fixed: no gradient flows through them).
    """
    x = check_array(x, "x", ndim=2)
    actions = check_array(actions, "actions", shape=(len(x),), dtype="int")
    advantages = check_array(advantages, "advantages", shape=(len(x),))
    model = torch_mlp(params)
    logp = F.log_softmax(model(torch.from_numpy(x.astype(np.float64))), dim=1)          # (N, K)
    chosen = logp.gather(1, torch.from_numpy(actions)[:, None])[:, 0]                   # (N, 1) -> (N,)
    loss = -(torch.from_numpy(advantages.astype(np.float64)) * chosen).mean()
    loss.backward()
    return float(loss.detach()), _grads_as_ours(model)


def torch_dqn_update(q_params: list[np.ndarray], target_params: list[np.ndarray], batch: tuple,
                     gamma: float, lr: float) -> tuple[float, list[np.ndarray], list[np.ndarray]]:
    """One DQN step in PyTorch on a fixed replay batch ``(s, a, r, s2, terminated)``.

    Returns:
        ``(loss, grads, new_params)``: the Huber TD loss, its gradient ``[dW1, db1, dW2, db2]`` and the
        parameters after one ``torch.optim.Adam(lr=lr)`` step, in our (in, out) layout.
    """
    check_range(gamma, "gamma", 0.0, 1.0)
    check_range(lr, "lr", 0.0, None, low_inclusive=False)
    s, a, r, s2, term = batch
    q_net, target_net = torch_mlp(q_params), torch_mlp(target_params)
    with torch.no_grad():                                   # the target is a fixed number, as in ours
        best_next = target_net(torch.from_numpy(np.asarray(s2, dtype=np.float64))).max(dim=1).values
        y = torch.from_numpy(np.asarray(r, dtype=np.float64)) + gamma * (
            1.0 - torch.from_numpy(np.asarray(term, dtype=np.float64))) * best_next
    q = q_net(torch.from_numpy(np.asarray(s, dtype=np.float64)))                        # (B, A)
    q_taken = q.gather(1, torch.from_numpy(np.asarray(a, dtype=np.int64))[:, None])[:, 0]
    loss = F.smooth_l1_loss(q_taken, y)
    opt = torch.optim.Adam(q_net.parameters(), lr=lr)
    loss.backward()
    grads = _grads_as_ours(q_net)
    opt.step()
    new = [q_net[0].weight.detach().numpy().T.copy(), q_net[0].bias.detach().numpy().copy(),
           q_net[2].weight.detach().numpy().T.copy(), q_net[2].bias.detach().numpy().copy()]
    return float(loss.detach()), grads, new
