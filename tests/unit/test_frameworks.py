"""The framework table (every row names a registered method) and the recovery of nn.LSTM's between-layer masks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dropviz import frameworks, methods
from dropviz.demos import training as demo


@pytest.mark.parametrize("call", frameworks.CALLS, ids=[c.call for c in frameworks.CALLS])
def test_every_row_names_a_registered_method(call):
    assert methods.get(call.method).id == call.method
    assert call.p_means in ("drop", "keep")


def test_table_covers_the_calls_people_copy_and_tf1_keeps():
    calls = " ".join(c.call for c in frameworks.CALLS)
    for name in ("nn.Dropout(", "nn.Dropout2d", "nn.LSTM", "F.dropout", "Keras", "SpatialDropout2D", "LSTM(dropout",
                 "broadcast_dims", "keep_prob", "dropout_ratio"):
        assert name in calls or any(name in c.framework for c in frameworks.CALLS), name
    tf1 = [c for c in frameworks.CALLS if "keep_prob" in c.call]
    assert [c.p_means for c in tf1] == ["keep"]
    assert {c.live for c in frameworks.CALLS if c.live} == {"dropout", "functional", "dropout2d", "lstm"}


def test_split_layers_is_the_two_layer_lstm_without_dropout():
    lstm, x = demo.lstm_setup(0.3, 0, 6, 3)
    first, second = frameworks.split_layers(lstm)
    with torch.no_grad():
        want, _ = lstm.eval()(x)
        got, _ = second(first(x)[0])
    torch.testing.assert_close(got, want, rtol=0, atol=1e-12)


def test_recovery_finds_a_known_mask_exactly():
    """Compose layer 2 (m ⊙ layer 1 / q) with a mask chosen here; the recovery must return that mask."""
    p, steps, batch = 0.4, 7, 3
    lstm, x = demo.lstm_setup(p, 1, steps, batch)
    first, second = frameworks.split_layers(lstm)
    keep = (torch.rand(steps, batch, demo.LSTM_UNITS, generator=torch.Generator().manual_seed(5)) > p).double()
    with torch.no_grad():
        out, _ = second(keep * first(x)[0] / (1 - p))
    got, residual = frameworks.recover_lstm_masks(lstm, x, out)
    assert torch.equal(got, keep)
    assert residual.max() < 1e-12


def test_torch_lstm_masks_are_fresh_every_step_and_variational_are_not():
    m = demo.lstm_masks(0.3, 0, steps=20, batch=4)
    assert m.residual < 1e-12
    assert 0.25 < m.change_rate(m.torch_mask) < 0.6  # 2p(1-p) = 0.42
    assert m.change_rate(m.variational) == 0.0 and m.variational.min() == 0.0


def test_torch_calls_measure_torch_and_leave_the_global_rng_alone():
    state = torch.random.get_rng_state()
    calls = {c.key: c for c in demo.torch_calls(0.3, 0)}
    assert torch.equal(torch.random.get_rng_state(), state)
    assert abs(calls["dropout"].keep_rate - 0.7) < 0.03 and abs(calls["dropout"].kept_scale - 1 / 0.7) < 1e-9
    assert calls["dropout2d"].whole_channels == 1.0 and calls["dropout"].whole_channels < 0.1
    assert calls["dropout"].eval_identity and not calls["functional"].eval_identity
    assert calls["dropout"].eval_keep_rate == 1.0 and abs(calls["functional"].eval_keep_rate - 0.7) < 0.03
    assert calls["dropout"].draws == 32 * 16 * 8 * 8 and calls["dropout2d"].draws == 32 * 16
    assert abs(calls["dropout2d"].keep_se(0.3) - (0.3 * 0.7 / 512) ** 0.5) < 1e-15
    row = calls["dropout2d"].row(0.3)
    assert row["train(): kept fraction"] == (
        f"{calls['dropout2d'].keep_rate:.4f} (1−p = 0.7 ± 0.02)")
    assert [c.row(0.3)["eval(): identity"] for c in calls.values()] == ["yes", "no", "yes"]


def test_frameworks_notes_say_which_number_is_kept():
    notes = {c.call: c.note for c in frameworks.CALLS}
    assert "tf.nn.dropout(x, 0.8) KEEPS 80 %" in notes["tf.nn.dropout(x, keep_prob)"]
    assert "RETAINING" in notes["dropout_param { dropout_ratio: r }"]


def test_recovery_refuses_wide_layers():
    lstm = torch.nn.LSTM(4, frameworks.MAX_RECOVER_UNITS + 1, num_layers=2, dropout=0.3)
    with pytest.raises(ValueError, match="at most"):
        frameworks.recover_lstm_masks(lstm, torch.zeros(2, 1, 4), torch.zeros(2, 1, frameworks.MAX_RECOVER_UNITS + 1))


def test_page_run_is_the_claims_quick_run():
    """The frameworks page shows one run: its metrics and the claim it reveals (quick sizes) are the same number."""
    from dropviz import claims

    for p, seed in ((0.3, 0), (0.6, 2)):
        m = demo.lstm_masks(p, seed)
        assert (m.steps, m.batch) == (demo.LSTM_STEPS, demo.LSTM_BATCH)
        r = claims.run("frameworks.torch_lstm_dropout_not_variational", quick=True, p=p, seed=seed)
        assert r.status == "PASS" and r.value == m.change_rate(m.torch_mask)


def test_lstm_masks_at_p_0_are_all_ones_and_exact():
    m = demo.lstm_masks(0.0, 0)
    assert m.exact and m.residual == 0.0 and m.torch_mask.min() == 1.0
    assert m.change_rate(m.torch_mask) == 0.0


def test_backprop_cell_text_has_one_decimal_and_zero_only_when_exact():
    from dropviz.figures import training as figs

    got = figs._cell_text(np.array([[0.0, -0.04, 0.04, -0.645, 1.4286, -1.78]]))
    assert got.tolist() == [["0", "0.0", "0.0", "-0.6", "1.4", "-1.8"]]
