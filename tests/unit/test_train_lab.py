"""Tests of dropviz.train.lab on the engine: the loss falls on an easy task, seeded runs repeat exactly, Stop ends a
run within one step, and every cost is bounded."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from dropviz import train
from dropviz.train import engine, lab

SMALL = dict(task="digits", width=16, depth=1, epochs=8, train_size=60)


def test_loss_falls_on_an_easy_task_and_the_boundary_is_drawn():
    r = train.train_run(train.RunConfig(task="moons", slots=(None, ("standard", 0.2)), width=32, depth=1, epochs=40,
                                        train_size=100, lr=1e-2))
    assert r.train_loss[-1] < 0.6 * r.train_loss[0] and r.val_acc[-1] > 0.8
    assert r.boundary is not None and r.boundary.prob.shape == (lab.GRID, lab.GRID)
    assert np.all((r.boundary.prob >= 0) & (r.boundary.prob <= 1))


def test_same_config_same_curves():
    cfg = train.LabConfig(**SMALL, methods=("none", "standard", "gaussian"))
    a, b = train.run_lab(cfg), train.run_lab(cfg)
    for x, y in zip(a.runs, b.runs, strict=True):
        assert np.array_equal(x.val_loss, y.val_loss) and np.array_equal(x.train_acc, y.train_acc)
    assert len(a.runs[0].val_acc) == SMALL["epochs"] and a.run("none").boundary is None
    assert not np.array_equal(a.run("none").val_loss, a.run("standard").val_loss)


def test_stop_ends_the_run_within_one_step():
    steps = []

    class Ctx(engine.Context):
        def report(self, done, total, text=""):
            steps.append(done)
            if done >= 3 * 2:
                self.cancel()

    ctx = Ctx(cancel_event=threading.Event())
    cfg = train.LabConfig(**{**SMALL, "epochs": 200})
    with pytest.raises(engine.Cancelled):
        train.run_lab(cfg, ctx=ctx)
    assert steps[-1] < cfg.runs()[0].steps


@pytest.mark.parametrize("bad", [dict(width=10_000), dict(depth=9), dict(epochs=10_000), dict(train_size=5),
                                 dict(methods=()), dict(methods=("none", "none")), dict(methods=("pixel",)),
                                 dict(task="banana"), dict(p=1.5)])
def test_costs_and_choices_are_bounded(bad):
    with pytest.raises(ValueError):
        train.LabConfig(**bad)


def test_the_cnn_learns_digits_reproducibly_with_dropout_at_every_position():
    cfg = train.RunConfig(arch="cnn", slots=(("spatial", 0.1), ("pixel", 0.2), ("standard", 0.5)), width=8,
                          epochs=10, train_size=100, lr=1e-2)
    a, b = train.train_run(cfg), train.train_run(cfg)
    assert a.train_loss[-1] < 0.7 * a.train_loss[0] and a.best_val_acc > 0.5
    assert np.array_equal(a.val_loss, b.val_loss)


@pytest.mark.parametrize("bad", [dict(arch="rnn"), dict(arch="cnn", task="moons", slots=(None,) * 3),
                                 dict(arch="cnn"), dict(arch="cnn", slots=(("standard", 0.1), None, None)),
                                 dict(arch="cnn", slots=(None,) * 3, batch_norm=True)])
def test_cnn_configs_are_checked(bad):
    with pytest.raises(ValueError):
        train.train_run(train.RunConfig(**{"epochs": 5, **bad}))


def test_cnn_placements_match_their_runs():
    cfg = lab.PlacementConfig(arch="cnn", seeds=1)
    runs = cfg.runs()
    assert [r.slots for r in runs] == list(lab.CNN_PLACEMENTS.values())
    assert {r.arch for r in runs} == {"cnn"} and {r.width for r in runs} == {lab.CNN_CHANNELS}


def test_placement_table_has_the_seeds_spread_and_no_timing():
    cfg = lab.PlacementConfig(seeds=2)
    fake = []
    for i, r in enumerate(cfg.runs()):  # a known best validation loss per run: 0.1 × (placement + seed + 1)
        place, seed = divmod(i, 2)
        vl = np.array([1.0, 0.1 * (place + seed + 1), 0.9])
        fake.append(lab.RunResult(r, vl, vl, np.full(3, 0.5), np.full(3, 0.5), 1.0, "cpu"))
    rows = lab.Placement(cfg, tuple(fake)).table()
    assert [r["placement"] for r in rows] == list(lab.PLACEMENTS)
    for k, row in enumerate(rows):
        assert row["best val. loss (min)"] == round(0.1 * (k + 1), 4)
        assert row["best val. loss (max)"] == round(0.1 * (k + 2), 4)
        assert row["best val. loss"] == round(0.1 * (k + 1.5), 4) and row["seeds"] == 2
        assert "wall time (s)" not in row


def test_sharing_trains_both_masks_from_the_same_weights_and_tabulates_seeds():
    cfg = lab.SharingConfig(width=16, epochs=5, train_size=60, seeds=2)
    runs = cfg.runs()
    assert [r.share_batch for r in runs] == [False, False, True, True]
    assert runs[0].seed == runs[2].seed and runs[0].slots == runs[2].slots
    result = lab.run_sharing(cfg)
    rows = result.table()
    assert [r["mask"] for r in rows] == list(lab.SHARING)
    for row, mode in zip(rows, lab.SHARING, strict=True):
        final = [r.val_acc[-1] for r in result.of(mode)]
        assert row["final val. accuracy (min)"] == round(min(final), 4)
        assert row["final val. accuracy (max)"] == round(max(final), 4)
    assert not np.array_equal(result.of("per sample")[0].val_loss, result.of("per batch")[0].val_loss)


@pytest.mark.parametrize("bad", [dict(p=1.5), dict(seeds=0), dict(seeds=50), dict(batch=1), dict(epochs=10_000)])
def test_sharing_config_is_bounded(bad):
    with pytest.raises(ValueError):
        lab.SharingConfig(**bad)


def test_every_registered_dense_method_can_be_chosen_and_trains():
    from dropviz import methods

    assert set(lab.lab_methods()) == {"none", *methods.ids("dense")}
    cfg = train.LabConfig(**{**SMALL, "epochs": 5}, methods=("dropconnect", "standout"), p=0.3)
    result = train.run_lab(cfg)
    for r in result.runs:
        assert len(r.val_acc) == 5 and np.all(np.isfinite(r.val_loss))


def test_the_lab_cnn_offers_the_conv_methods_and_puts_them_on_the_feature_maps():
    from dropviz import methods

    conv = {m.id for m in methods.METHODS if m.family == "conv"}
    assert "spatial" in lab.lab_methods("cnn") and set(lab.lab_methods("cnn")) - {"none"} <= conv
    cfg = train.LabConfig(task="digits", methods=("none", "dropblock"), p=0.2, width=8, epochs=5, train_size=60,
                          arch="cnn")
    none, block = cfg.runs()
    assert none.slots == (None, None, None) and block.slots == (("dropblock", 0.2), None, None)
    assert none.arch == block.arch == "cnn"
    result = train.run_lab(cfg)
    assert [len(r.val_acc) for r in result.runs] == [5, 5]
    assert not np.allclose(result.runs[0].train_loss, result.runs[1].train_loss)  # the method did something
    assert lab.defaults()[-1].arch == "cnn" and lab.defaults()[-1].methods == lab.CNN_METHODS


def test_input_dropout_has_its_own_p_in_the_models_with_dropout_only():
    cfg = train.LabConfig(methods=("none", "gaussian"), p=0.5, input_p=0.2, depth=2)
    none, gauss = cfg.runs()
    assert none.slots == (None, None, None)
    assert gauss.slots == (("standard", 0.2), ("gaussian", 0.5), ("gaussian", 0.5))


@pytest.mark.parametrize("bad", [dict(arch="cnn", task="digits"),  # the MLP default's "standard" is not conv
                                 dict(arch="cnn", methods=("spatial",), task="moons"),
                                 dict(arch="cnn", methods=("spatial",), task="digits", input_p=0.2),
                                 dict(methods=("spatial",)), dict(input_p=1.5), dict(arch="rnn")])
def test_lab_model_choices_are_checked(bad):
    with pytest.raises(ValueError):
        train.LabConfig(**bad)


def _placement_rows(none, best):
    """Two placement rows: (mean, min, max) of best validation loss for none and one placement."""
    def row(name, t, acc):
        return {"placement": name, "best val. loss": t[0], "best val. loss (min)": t[1],
                "best val. loss (max)": t[2], "best val. accuracy": acc, "val. − train loss": 0.1, "seeds": 2}
    return [row("none", none, 0.9), row("input only (0.2)", best, 0.8)]


def test_placement_summary_is_about_loss_and_says_when_the_seeds_overlap():
    from dropviz.figures import training as figs

    clear = figs.placement_summary(_placement_rows((0.40, 0.39, 0.41), (0.30, 0.29, 0.31)))
    assert "no clear winner" not in clear and "do not overlap" in clear and "0.1000 below no dropout" in clear
    assert ") (" not in clear and "Highest best validation accuracy: 90.0%, no dropout;" in clear
    noisy = figs.placement_summary(_placement_rows((0.40, 0.30, 0.50), (0.38, 0.33, 0.43)))
    assert "no clear winner" in noisy
    none_best = figs.placement_summary(_placement_rows((0.30, 0.29, 0.31), (0.40, 0.39, 0.41)))
    assert none_best.startswith("Validation loss: no placement") and "closest was input only (0.2)" in none_best
    assert "do not overlap" in none_best


def test_sharing_summary_compares_the_means_with_the_seeds_range():
    from dropviz.figures import training as figs

    def rows(a, b):
        return [{"mask": m, "final val. accuracy (mean)": t[0], "final val. accuracy (min)": t[1],
                 "final val. accuracy (max)": t[2], "seeds": 3} for m, t in zip(lab.SHARING, (a, b), strict=True)]

    assert "within the seeds' spread" in figs.sharing_summary(rows((0.90, 0.88, 0.92), (0.89, 0.87, 0.91)))
    clear = figs.sharing_summary(rows((0.80, 0.79, 0.81), (0.90, 0.89, 0.91)))
    assert "larger than the seeds' spread" in clear and "a mask per batch reached" in clear
    assert "same mean" in figs.sharing_summary(rows((0.9, 0.9, 0.9), (0.9, 0.9, 0.9)))


def test_placement_summary_names_placements_clearly_worse_or_better_than_none():
    from dropviz.figures import training as figs

    rows = _placement_rows((0.40, 0.38, 0.42), (0.39, 0.37, 0.41))  # the best overlaps none: no clear winner
    extra = dict(rows[1], **{"val. − train loss": 0.1, "best val. accuracy": 0.7})
    rows += [dict(extra, placement="before the classifier (0.5)", **{"best val. loss": 0.60,
                                                                     "best val. loss (min)": 0.55,
                                                                     "best val. loss (max)": 0.65}),
             dict(extra, placement="hidden only (0.5)", **{"best val. loss": 0.395, "best val. loss (min)": 0.41,
                                                           "best val. loss (max)": 0.43})]  # touches: not worse
    text = figs.placement_summary(rows)
    assert "no clear winner" in text
    assert "Clearly worse than no dropout (every seed's best validation loss above 0.4200): before the " \
           "classifier (0.5)." in text and "hidden only" not in text and "clearly better" not in text
    rows.append(dict(extra, placement="everywhere (0.1)", **{"best val. loss": 0.36, "best val. loss (min)": 0.35,
                                                             "best val. loss (max)": 0.37}))
    text = figs.placement_summary(rows)  # the lowest mean now, clearly better: said once, not twice
    assert "do not overlap" in text and "Also clearly better" not in text
    rows[1].update({"best val. loss": 0.365, "best val. loss (min)": 0.36, "best val. loss (max)": 0.37})
    text = figs.placement_summary(rows)
    assert "Also clearly better than no dropout (every seed's best validation loss below 0.3800): input only " \
           "(0.2)." in text


def test_sharing_summary_difference_is_that_of_the_shown_means():
    from dropviz.figures import training as figs

    rows = [{"mask": m, "final val. accuracy (mean)": a, "final val. accuracy (min)": a - 0.01,
             "final val. accuracy (max)": a + 0.01, "seeds": 3} for m, a in zip(lab.SHARING, (0.9314, 0.9257),
                                                                                  strict=True)]
    text = figs.sharing_summary(rows)  # 0.9314 − 0.9257 = 0.0057 → "0.006", but the reader computes 0.931 − 0.926
    assert "(0.931 vs 0.926 over 3 seeds)" in text and "difference (0.005)" in text


def test_mask_sharing_ratio_is_undefined_at_p_0_on_one_minibatch():
    from dropviz.demos import training as demo
    from dropviz.figures import training as figs

    one = demo.mask_sharing(0.0, 0, batch=8, batches=5, fixed=True)
    assert one.variance["per sample"] < 1e-12 and figs.ratio_text(one.ratio) == "—"
    assert figs.ratio_text(demo.mask_sharing(0.5, 0, batch=8, batches=5, fixed=True).ratio).endswith("×")


def test_variance_shift_matches_its_closed_form():
    from dropviz.demos import training as demo

    v = demo.variance_shift(0.3, 0, batch=32768)
    assert abs(v.ratio - v.predicted_ratio) < 0.02 and v.predicted_ratio < 0.7
