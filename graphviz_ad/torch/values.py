"""How a torch tensor is kept in the graph: as the numpy value the contract describes."""

import numpy as np
import torch

# numpy has no bfloat16: such values are kept as float32 (exactly: every bfloat16 is a float32) and the
# node's `dtype` still says "bfloat16".
_NUMPY_HOLDS = {torch.bfloat16: torch.float32}


def store(t):
    """A tensor as a node or edge value: a Python float for 0-d tensors, else a numpy array of its own."""
    t = t.detach()
    if t.dim() == 0:
        return float(t)
    as_type = _NUMPY_HOLDS.get(t.dtype)
    if as_type is not None:
        t = t.to(as_type)
    return t.cpu().numpy().copy()


def dtype_name(t):
    """The tensor's dtype as the contract writes it: "float32", "float16", "bfloat16"."""
    return str(t.dtype).removeprefix("torch.")
