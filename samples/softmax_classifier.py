import numpy as np

import graphviz_ad as ga


def softmax_classifier(W, b, x, labels):
    """A linear softmax classifier on a batch of 4 with cross-entropy loss: dL/dW = x^T (p - onehot)/N."""
    logits = x @ W + b
    loss = ga.cross_entropy(logits, labels)
    return loss


_rng = np.random.default_rng(0)
INPUTS = {"W": _rng.standard_normal((3, 3)) * 0.5, "b": np.zeros(3),
          "x": _rng.standard_normal((4, 3)), "labels": np.array([0, 2, 1, 2])}
WRT = ("W", "b")


def _by_hand():
    logits = INPUTS["x"] @ INPUTS["W"] + INPUTS["b"]
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    d = (p - np.eye(3)[INPUTS["labels"]]) / len(p)
    return {"W": INPUTS["x"].T @ d, "b": d.sum(0)}


EXPECTED_GRAD = _by_hand()
