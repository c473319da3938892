"""Tests of dropviz.layers.dense."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from dropviz import layers, masks


def test_dropout_inverted_train_eval():
    layer = layers.Dropout(0.4, generator=masks.make_generator(0))
    x = torch.rand(32, 50) + 0.5
    y = layer(x)
    assert torch.allclose(y, x * layer.last_mask)
    kept = layer.last_mask[layer.last_mask > 0]
    assert torch.allclose(kept, torch.full_like(kept, 1 / 0.6))
    layer.eval()
    assert torch.equal(layer(x), x)


def test_dropout_classic_scales_at_test():
    layer = layers.Dropout(0.25, inverted=False).eval()
    x = torch.rand(4, 5)
    assert torch.allclose(layer(x), 0.75 * x)


def test_dropout_matches_torch_statistics():
    """Same keep rate and same E[y] as F.dropout (torch as the oracle)."""
    x = torch.ones(200_000)
    ours = layers.Dropout(0.3, generator=masks.make_generator(1))(x)
    torch.manual_seed(1)
    theirs = F.dropout(x, 0.3, training=True)
    assert float((ours > 0).float().mean()) == pytest.approx(float((theirs > 0).float().mean()), abs=0.01)
    assert float(ours.max()) == pytest.approx(float(theirs.max()))  # both 1/(1-p)


def test_dropout_gradient_uses_the_same_mask():
    layer = layers.Dropout(0.5, generator=masks.make_generator(2))
    x = torch.rand(8, 10, requires_grad=True)
    layer(x).sum().backward()
    assert torch.equal(x.grad, layer.last_mask)


def test_gaussian_dropout_train_eval():
    layer = layers.GaussianDropout(0.5, generator=masks.make_generator(3))
    x = torch.rand(10, 10)
    assert torch.allclose(layer(x), x * layer.last_mask)
    layer.eval()
    assert torch.equal(layer(x), x)


@pytest.mark.parametrize("cls", [layers.Dropout, layers.GaussianDropout])
def test_layers_reject_bad_p(cls):
    with pytest.raises(ValueError, match="drop probability"):
        cls(1.5)


def test_dropconnect_forward_equals_per_example_masked_matmul():
    g = masks.make_generator(4)
    v = torch.randn(5, 6, generator=g)
    w = torch.randn(3, 6, generator=g)
    b = torch.randn(3, generator=g)
    m = masks.dropconnect_mask(5, 3, 6, 0.5, generator=g)
    u = layers.dropconnect_forward(v, w, b, m)
    for i in range(5):
        assert torch.allclose(u[i], (m.weight[i] * w) @ v[i] + m.bias[i] * b, atol=1e-6)


def test_dropconnect_moments_match_sampling():
    g = masks.make_generator(5)
    v = torch.rand(12, generator=g) + 0.2
    w = torch.randn(4, 12, generator=g)
    b = torch.randn(4, generator=g)
    mu, var = layers.dropconnect_moments(v, w, b, 0.3)
    n = 100_000
    m = masks.dropconnect_mask(n, 4, 12, 0.3, generator=g)
    u = layers.dropconnect_forward(v.expand(n, -1), w, b, m).double()
    assert torch.allclose(u.mean(0), mu.double(), atol=5 * float(var.max().sqrt()) / n**0.5)
    assert torch.allclose(u.var(0), var.double(), rtol=0.03)


def test_dropconnect_layer_gaussian_inference_beats_mean_inference():
    torch.manual_seed(0)
    layer = layers.DropConnectLinear(64, 16, 0.5, generator=masks.make_generator(6))
    v = torch.rand(1, 64)
    with torch.no_grad():
        mc = torch.stack([layer(v.expand(500, -1)).mean(0) for _ in range(40)]).mean(0)  # training mode
        layer.eval()
        gauss = layer(v)[0]
        layer.inference = "mean"
        mean_rule = layer(v)[0]
    # far closer, not just closer: a quarter of weight scaling's error at most
    assert (gauss - mc).abs().mean() < 0.25 * (mean_rule - mc).abs().mean()
    w = layer.last_mask.weight
    assert w.shape == (500, 16, 64)
    # one mask per example: no two examples of the batch share their weight mask
    flat = (w > 0).flatten(1).float()
    same = (flat @ flat.t() + (1 - flat) @ (1 - flat).t()) == flat.shape[1]
    assert int(same.sum()) == 500  # only the diagonal
    assert abs(float((w == 0).float().mean()) - 0.5) < 0.01


def test_dropconnect_layer_validates_inference():
    with pytest.raises(ValueError, match="inference"):
        layers.DropConnectLinear(3, 2, 0.5, inference="median")


def test_standout_layer_train_and_eval():
    torch.manual_seed(0)
    layer = layers.StandoutLinear(6, 5, alpha=1.0, beta=0.0, generator=masks.make_generator(7))
    x = torch.randn(3, 6)
    y = layer(x)
    z = layer.linear(x)
    assert torch.allclose(y, layer.last_mask * F.relu(z))
    layer.eval()
    assert torch.allclose(layer(x), torch.sigmoid(z) * F.relu(z))
    # alpha=1, beta=0: the test-time output is SiLU on the positive side
    assert torch.allclose(layer(x), torch.where(z > 0, F.silu(z), torch.zeros_like(z)), atol=1e-6)


def test_standout_paper_form_ties_the_offset_to_the_input_sum():
    """Ba & Frey: π = α·W + β, so P(keep) = σ(α·z + β·Σ_i x_i); the scalar offset σ(α·z + β) is a simplification."""
    torch.manual_seed(0)
    paper = layers.StandoutLinear(6, 5, alpha=0.5, beta=-0.7, generator=masks.make_generator(8)).eval()
    offset = layers.StandoutLinear(6, 5, alpha=0.5, beta=-0.7, form="offset").eval()
    offset.load_state_dict(paper.state_dict())
    x = torch.rand(4, 6)
    z = paper.linear(x)
    s = x.sum(-1, keepdim=True)
    assert torch.allclose(paper(x), torch.sigmoid(0.5 * z - 0.7 * s) * F.relu(z))
    assert torch.allclose(offset(x), torch.sigmoid(0.5 * z - 0.7) * F.relu(z))
    assert not torch.allclose(paper(x), offset(x))
    # training: the keep rate over many draws follows the paper's probability (5σ per unit)
    paper.train()
    n = 20_000
    with torch.no_grad():
        paper(x[:1].expand(n, -1))
    rate = paper.last_mask.double().mean(0)
    prob = torch.sigmoid(0.5 * z[0] - 0.7 * s[0]).double()
    assert ((rate - prob).abs() <= 5 * (prob * (1 - prob) / n).sqrt()).all()
    with pytest.raises(ValueError, match="form"):
        layers.StandoutLinear(2, 2, form="cheap")


def test_standout_rejects_non_finite():
    with pytest.raises(ValueError, match="finite"):
        layers.StandoutLinear(2, 2, alpha=float("nan"))
