"""The accuracy metrics on a hand-worked example."""

from __future__ import annotations

import numpy as np
import pytest

from classifier.metrics import compute_metrics


def test_metrics_on_a_hand_worked_example() -> None:
    gold = [["a"], ["a", "b"], [], ["b"]]
    predicted = [["a"], ["a"], ["b"], []]
    scores = np.array([[0.9, 0.1], [0.8, 0.4], [0.3, 0.6], [0.6, 0.4]])
    m = compute_metrics(gold, predicted, scores, ["a", "b"])
    # tp=2 (a,a), fp=1 (b on the empty one), fn=2 (b twice): micro F1 = 4 / (4 + 1 + 2)
    assert m["micro_f1"] == pytest.approx(4 / 7)
    assert m["per_topic"]["a"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 2, "predicted": 2}
    assert m["subset_accuracy"] == pytest.approx(0.25)
    assert m["top1_accuracy"] == pytest.approx(2 / 3)  # articles 1, 2 right; article 4's best is "a"
    assert m["empty_precision"] == 0.0  # the one article left untagged had gold ["b"]
