"""How a torch tensor is kept in the graph: as the numpy value the contract describes."""

import numpy as np
import torch

# numpy has no bfloat16: such values are kept as float32 (exactly: every bfloat16 is a float32) and the
# node's `dtype` still says "bfloat16".
_NUMPY_HOLDS = {torch.bfloat16: torch.float32}


def store(t, copy=True):
    """A tensor as a node or edge value: a Python float for 0-d tensors, else a numpy array.

    `copy=False` for tensors nobody else holds (gradients, an op's result that was never changed in
    place): the array then shares the tensor's memory instead of doubling it.
    """
    t = t.detach()
    if t.dim() == 0:
        return float(t)
    as_type = _NUMPY_HOLDS.get(t.dtype)
    if as_type is not None:
        t = t.to(as_type)
        copy = False
    a = t.cpu().numpy()
    return a.copy() if copy else a


def norm(t):
    """The Euclidean norm as a Python float (half precision summed in float32, so it cannot overflow)."""
    if t is None:
        return 0.0
    t = t.detach()
    if t.dtype in (torch.float16, torch.bfloat16):
        t = t.float()
    return float(torch.linalg.vector_norm(t))


def dtype_name(t):
    """The tensor's dtype as the contract writes it: "float32", "float16", "bfloat16"."""
    return str(t.dtype).removeprefix("torch.")
