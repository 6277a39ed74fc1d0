"""helpers.core.checks: check_type and check_tensor say what was expected and what arrived."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from helpers.core.checks import check_tensor, check_type


def test_check_type_names_the_expected_and_received_types():
    assert check_type(3, "n", int) == 3
    with pytest.raises(TypeError, match=r"config must be a DDPConfig, got str"):
        check_type("x", "config", int, "a DDPConfig")
    with pytest.raises(TypeError, match=r"model must be an instance of int or float, got NoneType"):
        check_type(None, "model", (int, float))


def test_check_tensor_returns_the_same_tensor_and_keeps_its_graph():
    x = torch.ones(2, 3, requires_grad=True)
    y = x * 2
    assert check_tensor(y, "y", shape=(2, None)) is y
    assert check_tensor(torch.tensor([1, 2]), "labels", dtype="int").dtype == torch.int64
    assert check_tensor(torch.zeros(0, 3), "empty", allow_empty=True).shape == (0, 3)
    assert check_tensor(torch.tensor([float("nan")]), "v", finite=False).isnan().all()


@pytest.mark.parametrize("bad, kwargs, needle", [
    (None, {}, "must be a torch.Tensor, got NoneType"),
    (np.ones(3), {}, "must be a torch.Tensor, got ndarray"),
    (torch.tensor([1, 2]), {}, "floating-point tensor, got dtype torch.int64"),
    (torch.ones(2), {"dtype": "int"}, "must hold integers"),
    (torch.tensor([True]), {"dtype": "int"}, "must hold integers"),
    (torch.ones(2, 3), {"ndim": 1}, r"must have 1 dimension\(s\), got shape \(2, 3\)"),
    (torch.ones(2, 3), {"shape": (2, 4)}, r"must have shape \(2, 4\), got \(2, 3\)"),
    (torch.ones(0), {}, "must not be empty"),
    (torch.tensor([1.0, float("inf")]), {}, "must be finite, got 1 NaN/inf"),
    (torch.tensor(float("nan")), {}, "must be finite"),                        # a 0-d tensor
])
def test_check_tensor_rejects_with_a_message(bad, kwargs, needle):
    with pytest.raises(ValueError, match=needle):
        check_tensor(bad, "x", **kwargs)
