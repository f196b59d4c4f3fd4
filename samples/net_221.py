import graphviz_ad as ga


def net_221(w1, w2, w3, w4, w5, w6, x1, x2, target):
    """A 2-2-1 sigmoid network with six weights and squared loss, from forward pass to gradients."""
    h1 = ga.sigmoid(w1 * x1 + w2 * x2)
    h2 = ga.sigmoid(w3 * x1 + w4 * x2)
    out = ga.sigmoid(w5 * h1 + w6 * h2)
    loss = 0.5 * (out - target) ** 2
    return loss


INPUTS = {"w1": 0.15, "w2": 0.20, "w3": 0.25, "w4": 0.30, "w5": 0.40, "w6": 0.45,
          "x1": 0.05, "x2": 0.10, "target": 0.01}
WRT = ("w1", "w2", "w3", "w4", "w5", "w6")


def _backprop_by_hand():
    w1, w2, w3, w4, w5, w6 = (INPUTS[k] for k in WRT)
    x1, x2, target = INPUTS["x1"], INPUTS["x2"], INPUTS["target"]
    h1 = float(ga.sigmoid(w1 * x1 + w2 * x2))
    h2 = float(ga.sigmoid(w3 * x1 + w4 * x2))
    out = float(ga.sigmoid(w5 * h1 + w6 * h2))
    d_out = (out - target) * out * (1 - out)
    d_h1 = d_out * w5 * h1 * (1 - h1)
    d_h2 = d_out * w6 * h2 * (1 - h2)
    return {"w1": d_h1 * x1, "w2": d_h1 * x2, "w3": d_h2 * x1, "w4": d_h2 * x2,
            "w5": d_out * h1, "w6": d_out * h2}


EXPECTED_GRAD = _backprop_by_hand()
