"""helpers.autograd.tensor and helpers.autograd.modules against torch.autograd: values and every gradient, float64."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from helpers.autograd import modules as nn
from helpers.autograd.tensor import Tensor, topological_order, unbroadcast
from torch_twin import assert_close, torch_value_and_grads

F = torch.nn.functional


def _positive(rng, shape):
    return rng.uniform(0.5, 2.0, size=shape)


def _normal(rng, shape):
    return rng.standard_normal(shape)


def _distinct(rng, shape):  # no ties, so max has one winner per row
    return rng.permutation(np.prod(shape, dtype=int)).reshape(shape) / 7.0 + rng.uniform(0, 1e-3, shape)


# (name, ours, torch's, [input shapes for each case], input generator per argument)
OPS = [
    ("add", lambda a, b: a + b, lambda a, b: a + b, [[(3,), (3,)], [(4, 3), (3,)], [(4, 1), (1, 5)], [(2, 3, 4), (3, 1)]], None),
    ("sub", lambda a, b: a - b, lambda a, b: a - b, [[(4, 3), (4, 3)], [(4, 3), (4, 1)], [(), (2, 2)]], None),
    ("mul", lambda a, b: a * b, lambda a, b: a * b, [[(4, 3), (4, 3)], [(4, 3), (3,)], [(2, 1, 4), (3, 1)]], None),
    ("div", lambda a, b: a / b, lambda a, b: a / b, [[(4, 3), (4, 3)], [(4, 3), (1, 3)], [(5,), ()]], (_normal, _positive)),
    ("pow_scalar", lambda a: a ** 3, lambda a: a ** 3, [[(4, 3)], [(5,)]], None),
    ("pow_frac", lambda a: a ** 0.5, lambda a: a ** 0.5, [[(4, 3)]], (_positive,)),
    ("pow_tensor", lambda a, b: a ** b, lambda a, b: a ** b, [[(4, 3), (4, 3)], [(4, 3), (3,)]], (_positive, _normal)),
    ("neg", lambda a: -a, lambda a: -a, [[(4, 3)]], None),
    ("rsub_rdiv", lambda a: 2.0 - 3.0 / a, lambda a: 2.0 - 3.0 / a, [[(4, 3)]], (_positive,)),
    ("matmul", lambda a, b: a @ b, lambda a, b: a @ b, [[(4, 3), (3, 5)], [(1, 2), (2, 1)], [(3,), (3, 4)],
                                                       [(4, 3), (3,)], [(3,), (3,)], [(2, 4, 3), (3, 5)]], None),
    ("sum_all", lambda a: a.sum(), lambda a: a.sum(), [[(4, 3)], [(2, 3, 4)]], None),
    ("sum_axis", lambda a: a.sum(axis=0), lambda a: a.sum(dim=0), [[(4, 3)], [(2, 3, 4)]], None),
    ("sum_keepdims", lambda a: a.sum(axis=(0, 2), keepdims=True), lambda a: a.sum(dim=(0, 2), keepdim=True),
     [[(2, 3, 4)]], None),
    ("mean", lambda a: a.mean(axis=-1), lambda a: a.mean(dim=-1), [[(4, 3)], [(2, 3, 4)]], None),
    ("mean_all", lambda a: a.mean(), lambda a: a.mean(), [[(4, 3)]], None),
    ("max_axis", lambda a: a.max(axis=1), lambda a: a.amax(dim=1), [[(4, 3)], [(2, 3, 4)]], (_distinct,)),
    ("max_keepdims", lambda a: a.max(axis=0, keepdims=True), lambda a: a.amax(dim=0, keepdim=True), [[(4, 3)]], (_distinct,)),
    ("exp", lambda a: a.exp(), torch.exp, [[(4, 3)], [(7,)]], None),
    ("log", lambda a: a.log(), torch.log, [[(4, 3)]], (_positive,)),
    ("tanh", lambda a: a.tanh(), torch.tanh, [[(4, 3)], [(2, 3, 4)]], None),
    ("sigmoid", lambda a: a.sigmoid(), torch.sigmoid, [[(4, 3)]], None),
    ("relu", lambda a: a.relu(), torch.relu, [[(4, 3)], [(50,)]], None),
    ("log_softmax", lambda a: a.log_softmax(axis=1), lambda a: F.log_softmax(a, dim=1), [[(4, 3)], [(2, 5)]], None),
    ("log_softmax_axis0", lambda a: a.log_softmax(axis=0), lambda a: F.log_softmax(a, dim=0), [[(4, 3)]], None),
    ("reshape", lambda a: a.reshape(3, -1), lambda a: a.reshape(3, -1), [[(4, 3)], [(2, 3, 2)]], None),
    ("transpose", lambda a: a.T, lambda a: a.permute(*reversed(range(a.ndim))), [[(4, 3)], [(2, 3, 4)]], None),
    ("transpose_axes", lambda a: a.transpose(1, 0, 2), lambda a: a.permute(1, 0, 2), [[(2, 3, 4)]], None),
    ("index_slice", lambda a: a[1:, ::2], lambda a: a[1:, ::2], [[(4, 3)]], None),
    ("index_int", lambda a: a[2], lambda a: a[2], [[(4, 3)]], None),
    ("index_repeated", lambda a: a[np.array([0, 2, 0, 0])], lambda a: a[torch.tensor([0, 2, 0, 0])], [[(4, 3)]], None),
    ("index_pairs", lambda a: a[np.arange(4), np.array([2, 0, 2, 1])],
     lambda a: a[torch.arange(4), torch.tensor([2, 0, 2, 1])], [[(4, 3)]], None),
    ("composite", lambda a, b, c: ((a @ b + c).tanh() * 2.0).log_softmax(axis=1).sum(axis=0),
     lambda a, b, c: F.log_softmax(torch.tanh(a @ b + c) * 2.0, dim=1).sum(dim=0), [[(5, 3), (3, 4), (4,)]], None),
]
CASES = [pytest.param(name, ours, theirs, shapes, gens, id=f"{name}-{'x'.join(map(str, shapes))}")
         for name, ours, theirs, cases, gens in OPS for shapes in cases]


@pytest.mark.parametrize("name, ours, theirs, shapes, gens", CASES)
def test_op_matches_torch(name, ours, theirs, shapes, gens, rng):
    gens = gens or (_normal,) * len(shapes)
    arrays_ = [gen(rng, shape).astype(np.float64) for gen, shape in zip(gens, shapes)]
    _assert_matches_torch(name, ours, theirs, arrays_, rng)


def _assert_matches_torch(name, ours, theirs, arrays_, rng):
    """Value and every input's gradient of ``ours`` (on Tensors) equal ``theirs`` (on torch)."""
    tensors = [Tensor(a) for a in arrays_]
    out = ours(*tensors)
    upstream = rng.standard_normal(out.shape)
    value, grads = torch_value_and_grads(theirs, *arrays_, upstream=upstream)
    assert_close(out.data, value, what=f"{name} value")
    out.backward(upstream)
    for i, (t, g) in enumerate(zip(tensors, grads)):
        assert t.grad is not None and t.grad.shape == t.shape, f"{name}: input {i} has no gradient of its shape"
        assert_close(t.grad, g, what=f"{name} grad of input {i}")


@pytest.mark.parametrize("shape", [(3,), (4, 2), (2, 3, 2)])
def test_fan_out_accumulates(shape, rng):
    """c = c + c * x uses c twice, and x feeds two branches: gradients must add up."""
    def build(c, x):
        d = c + c * x
        d = d * d + x
        return (d * c).sum()
    c0, x0 = rng.standard_normal(shape), rng.standard_normal(shape)
    c, x = Tensor(c0), Tensor(x0)
    out = build(c, x)
    value, (gc, gx) = torch_value_and_grads(build, c0, x0)
    assert_close(out.data, value)
    out.backward()
    assert_close(c.grad, gc, what="grad of c")
    assert_close(x.grad, gx, what="grad of x")


def test_same_tensor_both_operands():
    x = Tensor([3.0])
    (x * x).sum().backward()
    assert x.grad.tolist() == [6.0]


def test_gradients_accumulate_across_backward_calls_and_zero_grad_resets(rng):
    a, b = Tensor(rng.standard_normal((3, 2))), Tensor(rng.standard_normal((2,)))
    out = ((a * b).tanh()).sum()
    out.backward()
    first = a.grad.copy(), b.grad.copy()
    out.backward()  # same graph again: leaves get exactly one more gradient
    np.testing.assert_allclose(a.grad, 2 * first[0], rtol=1e-12)
    np.testing.assert_allclose(b.grad, 2 * first[1], rtol=1e-12)
    a.zero_grad()
    assert np.all(a.grad == 0) and a.grad.shape == a.shape


def test_constants_get_no_gradient_and_float32_is_kept():
    x = Tensor(np.ones((2, 2), dtype=np.float32))
    c = Tensor(np.full((2, 2), 3.0, dtype=np.float32), requires_grad=False)
    y = (x * c + 1.0).sum()
    assert y.dtype == np.float32
    y.backward()
    assert c.grad is None and x.grad.dtype == np.float32 and np.all(x.grad == 3.0)
    assert not (c * 2.0).requires_grad


def test_numpy_array_on_the_left_uses_the_engine():
    x = Tensor([1.0, 2.0])
    y = np.array([3.0, 4.0]) * x + np.array([1.0, 1.0])
    assert isinstance(y, Tensor)
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 4.0]


def test_relu_kink_has_zero_derivative_as_torch():
    x = Tensor([-1.0, 0.0, 2.0])
    x.relu().sum().backward()
    _, (g,) = torch_value_and_grads(torch.relu, np.array([-1.0, 0.0, 2.0]))
    assert x.grad.tolist() == g.tolist() == [0.0, 0.0, 1.0]


def test_max_ties_share_the_gradient_as_amax():
    data = np.array([[1.0, 3.0, 3.0], [2.0, 0.0, -1.0]])
    x = Tensor(data)
    x.max(axis=1).sum().backward()
    _, (g,) = torch_value_and_grads(lambda t: t.amax(dim=1).sum(), data)
    assert_close(x.grad, g)
    assert x.grad.tolist()[0] == [0.0, 0.5, 0.5]


@pytest.mark.parametrize("exponent", [0.0, 1.0, 2.0, 3.0, 0.5])
def test_power_at_zero_matches_torch(exponent):
    """x ** p where x = 0: the derivatives torch defines (0 for p = 0, p * 0^(p-1) otherwise), and
    d/dp of a^p is 0 at a = 0 for p >= 0 (not 0 * log 0 = nan); 0-d and array bases alike."""
    for base in (np.array(0.0), np.array([0.0, 1.5, 0.0])):
        a, b = Tensor(base.copy()), Tensor(np.full(base.shape, exponent))
        (a ** b).sum().backward()
        ta = torch.tensor(base, requires_grad=True)
        tb = torch.full(base.shape, exponent, dtype=torch.float64, requires_grad=True)
        (ta ** tb).sum().backward()
        assert np.array_equal(a.grad, ta.grad.numpy()) and np.array_equal(b.grad, tb.grad.numpy())
        c = Tensor(base.copy())
        (c ** exponent).sum().backward()
        assert np.array_equal(c.grad, ta.grad.numpy())


def test_topological_order_puts_inputs_first():
    a = Tensor(1.0)
    b = a * 2.0
    c = b + a
    order = topological_order(c)
    assert order.index(a) < order.index(b) < order.index(c)


# ----------------------------------------------------------------------------- edge cases against torch
# 0-D tensors through every op that takes one: (name, ours, torch's, input values)
ZERO_D = [
    ("add", lambda a, b: a + b, lambda a, b: a + b, (1.5, -2.0)),
    ("sub", lambda a, b: a - b, lambda a, b: a - b, (1.5, -2.0)),
    ("mul", lambda a, b: a * b, lambda a, b: a * b, (1.5, -2.0)),
    ("div", lambda a, b: a / b, lambda a, b: a / b, (1.5, -2.0)),
    ("pow_scalar", lambda a: a ** 3, lambda a: a ** 3, (-1.5,)),
    ("pow_tensor", lambda a, b: a ** b, lambda a, b: a ** b, (1.5, -0.5)),
    ("neg", lambda a: -a, lambda a: -a, (1.5,)),
    ("rsub_rdiv", lambda a: 2.0 - 3.0 / a, lambda a: 2.0 - 3.0 / a, (1.5,)),
    ("sum", lambda a: a.sum(), lambda a: a.sum(), (1.5,)),
    ("sum_axis0", lambda a: a.sum(axis=0), lambda a: a.sum(dim=0), (1.5,)),
    ("mean_axis-1", lambda a: a.mean(axis=-1), lambda a: a.mean(dim=-1), (1.5,)),
    ("max", lambda a: a.max(), lambda a: a.amax(), (1.5,)),
    ("max_axis0_keepdims", lambda a: a.max(axis=0, keepdims=True), lambda a: a.amax(dim=0, keepdim=True), (1.5,)),
    ("exp", lambda a: a.exp(), torch.exp, (1.5,)),
    ("log", lambda a: a.log(), torch.log, (1.5,)),
    ("tanh", lambda a: a.tanh(), torch.tanh, (1.5,)),
    ("sigmoid", lambda a: a.sigmoid(), torch.sigmoid, (-1.5,)),
    ("relu", lambda a: a.relu(), torch.relu, (1.5,)),
    ("log_softmax", lambda a: a.log_softmax(), lambda a: F.log_softmax(a, dim=-1), (1.5,)),
    ("reshape", lambda a: a.reshape(1, 1), lambda a: a.reshape(1, 1), (1.5,)),
    ("reshape_to_0d", lambda a: a.reshape(()), lambda a: a.reshape(()), ([1.5],)),
    ("dot_to_0d", lambda a, b: a @ b, lambda a, b: a @ b, ([1.0, 2.0], [3.0, -1.0])),
    ("0d_plus_matrix", lambda a, b: a + b, lambda a, b: a + b, (1.5, [[1.0, 2.0], [3.0, 4.0]])),
    ("vector_div_0d", lambda a, b: a / b, lambda a, b: a / b, ([1.0, 4.0], -2.0)),
    ("matrix_pow_0d", lambda a, b: a ** b, lambda a, b: a ** b, ([[1.0, 4.0]], 0.5)),
]


@pytest.mark.parametrize("name, ours, theirs, values", ZERO_D, ids=[c[0] for c in ZERO_D])
def test_zero_d_tensors_match_torch(name, ours, theirs, values, rng):
    arrays_ = [np.array(v, dtype=np.float64) for v in values]
    _assert_matches_torch(name, ours, theirs, arrays_, rng)


@pytest.mark.parametrize("data, ours, theirs", [
    ([[2.0, 2.0], [2.0, 1.0]], lambda a: a.max(), lambda a: a.amax()),                      # 3-way tie, no axis
    ([-0.0, 0.0, -1.0], lambda a: a.max(), lambda a: a.amax()),                             # -0 == +0 is a tie
    ([[[1.0, 2.0]], [[1.0, 2.0]], [[1.0, 0.0]]], lambda a: a.max(axis=0), lambda a: a.amax(dim=0)),
    ([[1.0, 1.0], [1.0, 1.0]], lambda a: a.max(axis=(0, 1), keepdims=True), lambda a: a.amax(dim=(0, 1), keepdim=True)),
    ([[3.0, 3.0, 3.0]], lambda a: a.log_softmax(axis=1), lambda a: F.log_softmax(a, dim=1)),  # all logits equal
], ids=["all_three", "signed_zeros", "axis0_3d", "keepdims_all_equal", "log_softmax_all_equal"])
def test_exact_ties_match_torch(data, ours, theirs, rng):
    x = Tensor(np.array(data))
    out = ours(x)
    upstream = rng.standard_normal(out.shape)
    value, (g,) = torch_value_and_grads(theirs, np.array(data), upstream=upstream)
    assert_close(out.data, value)
    out.backward(upstream)
    assert_close(x.grad, g, what="grad")


@pytest.mark.parametrize("values, ours, theirs", [
    ((1.5, 0.0), lambda a, b: a / b, lambda a, b: a / b),           # x / +0 = inf, d/db = -inf
    ((1.5, -0.0), lambda a, b: a / b, lambda a, b: a / b),          # the sign of zero decides
    ((0.0, 0.0), lambda a, b: a / b, lambda a, b: a / b),           # 0 / 0 = nan, as IEEE and torch
    ((0.0, 2.0), lambda a, b: a / b, lambda a, b: a / b),           # a zero numerator is harmless
    ((0.0,), lambda a: 3.0 / a, lambda a: 3.0 / a),
    ((0.0,), lambda a: a ** -1.0, lambda a: a ** -1.0),
    ((0.0,), lambda a: a ** -0.5, lambda a: a ** -0.5),             # 1/sqrt at 0
    ((0.0, -1.0), lambda a, b: a ** b, lambda a, b: a ** b),        # d/dp = a^p ln a = inf * -inf
    (([0.0, -0.0, 1.0],), lambda a: a.relu(), torch.relu),          # both zeros sit on the kink
], ids=["div_by_pos_zero", "div_by_neg_zero", "zero_by_zero", "zero_numerator", "rdiv_at_zero",
        "reciprocal_at_zero", "rsqrt_at_zero", "tensor_power_at_zero", "relu_signed_zeros"])
def test_singular_derivatives_at_zero_match_torch(values, ours, theirs):
    arrays_ = [np.array(v, dtype=np.float64) for v in values]
    tensors = [Tensor(a) for a in arrays_]
    with np.errstate(divide="ignore", invalid="ignore"):
        out = ours(*tensors)
        out.backward(np.ones(out.shape))
    value, grads = torch_value_and_grads(theirs, *arrays_)
    np.testing.assert_allclose(out.data, value, equal_nan=True)
    for t, g in zip(tensors, grads):
        np.testing.assert_allclose(t.grad, g, equal_nan=True)


def test_log_at_zero_is_refused_where_torch_gives_minus_infinity():
    assert torch.log(torch.tensor(0.0)).item() == -np.inf
    with pytest.raises(ValueError, match="positive inputs.*log_softmax"):
        Tensor(np.array(0.0)).log()


# ----------------------------------------------------------------------------- properties
finite_logits = arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 6)),
                       elements=st.floats(-1e4, 1e4, allow_nan=False))


@given(finite_logits)
def test_log_softmax_rows_logsumexp_to_zero_and_stay_finite(z):
    t = Tensor(z)
    out = t.log_softmax(axis=1)
    assert np.all(np.isfinite(out.data)) and np.all(out.data <= 1e-12)
    m = out.data.max(axis=1, keepdims=True)
    np.testing.assert_allclose(m[:, 0] + np.log(np.exp(out.data - m).sum(axis=1)), 0.0, atol=1e-9)
    out.backward(np.ones_like(z))
    assert np.all(np.isfinite(t.grad))


@given(arrays(np.float64, st.integers(1, 20), elements=st.floats(-1e4, 1e4, allow_nan=False)))
def test_sigmoid_and_tanh_finite_everywhere_with_bounded_slopes(x):
    for op, top in (("sigmoid", 0.25), ("tanh", 1.0)):
        t = Tensor(x)
        out = getattr(t, op)()
        out.backward(np.ones_like(x))
        assert np.all(np.isfinite(out.data)) and np.all(np.abs(out.data) <= 1)
        assert np.all(t.grad >= 0) and np.all(t.grad <= top + 1e-12)


@given(st.lists(st.integers(1, 4), min_size=1, max_size=3), st.data())
def test_unbroadcast_preserves_the_total(shape, data):
    small = tuple(data.draw(st.sampled_from([1, s])) for s in shape)
    lead = data.draw(st.lists(st.integers(1, 3), max_size=2))
    grad = np.arange(np.prod(lead + shape), dtype=np.float64).reshape(lead + shape)
    out = unbroadcast(grad, small)
    assert out.shape == small
    assert np.isclose(out.sum(), grad.sum())


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("data, words", [
    ([1.0, np.nan], "finite"), (np.zeros((0, 3)), "empty"), ("abc", "array of numbers"),
    ([[1.0], [2.0, 3.0]], "regular"), (np.array([1 + 2j]), "real")])
def test_bad_tensor_data(data, words):
    with pytest.raises(ValueError, match=words):
        Tensor(data)


def test_matmul_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(4, 3\) and \(2, 5\)"):
        Tensor(np.ones((4, 3))) @ Tensor(np.ones((2, 5)))
    with pytest.raises(ValueError, match=r"\(3,\) and \(4,\)"):
        Tensor(np.ones(3)) @ np.ones(4)


@pytest.mark.parametrize("call, words", [
    (lambda t: t + Tensor(np.ones((2, 5))), r"\(4, 3\) and \(2, 5\) do not broadcast"),
    (lambda t: t.reshape(5, 2), r"12 entries of shape \(4, 3\) as shape \(5, 2\)"),
    (lambda t: t.sum(axis=2), r"axis must be an int in \[-2, 1\].*got 2"),
    (lambda t: t.sum().sum(axis=1), r"axis must be an int in \[-1, 0\] for a 0-D tensor, got 1"),
    (lambda t: t.transpose(0, 0), r"permutation of \(0, 1\), got \(0, 0\)"),
    (lambda t: t.backward(), r"one-element tensor, got shape \(4, 3\)"),
    (lambda t: t.backward(np.ones(3)), r"grad must have shape \(4, 3\), got \(3,\)"),
    (lambda t: (t - 5.0).log(), "positive inputs"),
    (lambda t: t[Tensor([0.0])], "got a Tensor"),
    (lambda t: t.item(), r"one element, got shape \(4, 3\)"),
    (lambda t: Tensor(1.0, requires_grad=False).backward(), "does not require grad"),
])
def test_bad_calls_raise_clear_value_errors(call, words):
    with pytest.raises(ValueError, match=words):
        call(Tensor(np.arange(12.0).reshape(4, 3) + 1))


# ----------------------------------------------------------------------------- nn on top
@pytest.mark.parametrize("sizes, activation", [([2, 8, 3], "tanh"), ([3, 5, 4, 2], "relu"), ([2, 4, 2], "sigmoid")])
def test_mlp_and_cross_entropy_match_torch(sizes, activation, rng):
    X = rng.standard_normal((16, sizes[0]))
    y = rng.integers(0, sizes[-1], 16)
    model = nn.MLP(sizes, activation, seed=3)
    twin = nn.to_torch(model)
    loss = nn.cross_entropy(model(X), y)
    t_loss = F.cross_entropy(twin(torch.tensor(X)), torch.tensor(y))
    assert_close(loss.data, t_loss.detach().numpy(), what="loss")
    loss.backward()
    t_loss.backward()
    t_params = [p for m in twin if isinstance(m, torch.nn.Linear) for p in (m.weight, m.bias)]
    for ours, theirs in zip(model.parameters(), t_params):
        theirs = theirs.grad.numpy()
        assert_close(ours.grad, theirs.T if theirs.ndim == 2 else theirs, what=f"grad of {ours.name}")


def test_sgd_training_follows_torch_step_for_step(rng):
    X, y = rng.standard_normal((32, 2)), rng.integers(0, 2, 32)
    model = nn.MLP([2, 6, 2], seed=1)
    twin = nn.to_torch(model)
    opt, t_opt = nn.SGD(model.parameters(), lr=0.5), torch.optim.SGD(twin.parameters(), lr=0.5)
    for _ in range(25):
        loss = nn.cross_entropy(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        t_loss = F.cross_entropy(twin(torch.tensor(X)), torch.tensor(y))
        t_opt.zero_grad()
        t_loss.backward()
        t_opt.step()
        assert abs(loss.item() - t_loss.item()) < 1e-12
    np.testing.assert_allclose(model.layers[0].W.data, twin[0].weight.detach().numpy().T, atol=1e-12)


def test_mlp_is_seeded_and_predict_proba_sums_to_one(rng):
    a, b = nn.MLP([2, 4, 3], seed=7), nn.MLP([2, 4, 3], seed=7)
    assert all(np.array_equal(p.data, q.data) for p, q in zip(a.parameters(), b.parameters()))
    p = a.predict_proba(rng.standard_normal((5, 2)))
    assert p.shape == (5, 3) and np.allclose(p.sum(axis=1), 1.0)


@pytest.mark.parametrize("call, words", [
    (lambda m: m(np.ones((3, 5))), r"shape \(\*, 2\), got \(3, 5\)"),
    (lambda m: nn.cross_entropy(m(np.ones((3, 2))), [0, 1, 2]), r"\[0, 2\), got range \[0, 2\]"),
    (lambda m: nn.cross_entropy(m(np.ones((3, 2))), [0, 1]), r"shape \(3\), got \(2,\)"),
    (lambda m: nn.cross_entropy(np.ones((3, 2)), [0, 1, 1]), "2-D Tensor"),
    (lambda m: nn.MLP([2], seed=0), "at least an input and an output"),
    (lambda m: nn.MLP([2, 2], activation="swish"), "activation must be one of"),
    (lambda m: nn.SGD(m.parameters(), lr=-1.0), "lr must be in"),
    (lambda m: nn.SGD([], lr=0.1), "non-empty list"),
])
def test_nn_bad_input(call, words):
    with pytest.raises(ValueError, match=words):
        call(nn.MLP([2, 3, 2], seed=0))
