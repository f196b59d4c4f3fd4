"""Helpers for networks: sigmoid, relu, softplus, softmax, log_softmax, logsumexp, cross_entropy,
mse (also usable on plain numpy values).
"""

import numpy as np

from ..tracer import untraced
from .core import expand_reduced, primitive
from .elementwise import square
from .reductions import mean, sum_

# ---------------------------------------------------------------------------------------------------
# Helpers for networks (also usable on plain numpy values).

def _sigmoid(x):
    return 0.5 * (np.tanh(0.5 * np.asarray(x, dtype=np.result_type(x, float))) + 1)


@primitive("sigmoid", deriv=lambda ans, x: ans * (1 - ans), formula="{ans}*(1 - {ans})")
def sigmoid(x):
    """The logistic function 1 / (1 + e^-x), computed without overflow."""
    s = _sigmoid(x)
    return float(s) if np.ndim(s) == 0 and isinstance(x, float) else s


@primitive("relu", deriv=lambda ans, x: (np.asarray(x) > 0).astype(float), formula="[{x} > 0]")
def relu(x):
    """max(x, 0); its derivative at 0 is taken as 0."""
    return np.maximum(x, 0)


@primitive("softplus", deriv=lambda ans, x: _sigmoid(x), formula="sigmoid({x})")
def softplus(x):
    """log(1 + e^x), computed without overflow."""
    return np.logaddexp(0, x)


def _softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


@primitive("softmax", vjp=lambda g, ans, x, axis=-1: ans * (g - np.sum(g * ans, axis=axis, keepdims=True)),
           formula="diag(s) - s s^T")
def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along `axis`."""
    return _softmax(np.asarray(x, dtype=np.result_type(x, float)), axis)


@primitive("log_softmax", vjp=lambda g, ans, x, axis=-1:
           g - np.exp(ans) * np.sum(g, axis=axis, keepdims=True), formula="I - softmax")
def log_softmax(x, axis=-1):
    """x - logsumexp(x) along `axis`."""
    x = np.asarray(x, dtype=np.result_type(x, float))
    return x - _logsumexp(x, axis, True)


def _logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    r = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return r if keepdims else (np.squeeze(r, axis=axis) if axis is not None else r.reshape(()))


@primitive("logsumexp", vjp=lambda g, ans, x, axis=None, keepdims=False:
           expand_reduced(g, x, axis, keepdims) * np.exp(x - expand_reduced(ans, x, axis, keepdims)),
           formula="softmax({x})")
def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) along `axis`, computed without overflow."""
    return _logsumexp(np.asarray(x, dtype=np.result_type(x, float)), axis, keepdims)


def cross_entropy(logits, labels, axis=-1):
    """Mean cross-entropy of `logits` against integer class `labels` or target probabilities.

    Integer labels have one entry per row of logits; float labels have the logits' shape.
    """
    logp = log_softmax(logits, axis=axis)
    labels_plain = untraced(labels)
    if np.asarray(labels_plain).dtype.kind in "iu":
        labels_plain = np.asarray(labels_plain)
        if np.ndim(logits) == 1:
            return -logp[int(labels_plain)]
        rows = np.arange(np.shape(logits)[0])
        return -mean(logp[rows, labels_plain])
    picked = sum_(labels * logp, axis)
    return -mean(picked) if np.ndim(picked) else -picked


def mse(prediction, target):
    """Mean squared error: mean((prediction - target)^2)."""
    return mean(square(prediction - target))


