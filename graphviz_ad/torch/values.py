"""How a torch tensor is kept in the graph: as the numpy value the contract describes."""

import torch

from ..summary import Summary

# Tensors with more elements than this are kept as a Summary (shape, norm, range, mean, NaN/Inf/zero
# counts) instead of a numpy array: 1e6 float32 elements are 4 MB, and a node keeps up to four such
# arrays (value, grad, and its edges' factor and flow), so a ResNet-sized model traces in bounded memory.
SUMMARY_ABOVE = 1_000_000

# numpy has no bfloat16: such values are kept as float32 (exactly: every bfloat16 is a float32) and the
# node's `dtype` still says "bfloat16".
_NUMPY_HOLDS = {torch.bfloat16: torch.float32}


def store(t, copy=True):
    """A tensor as a node or edge value: a Python float for 0-d tensors, else a numpy array.

    `copy=False` for tensors nobody else holds (gradients, an op's result that was never changed in
    place): the array then shares the tensor's memory instead of doubling it.
    """
    if t.requires_grad:
        t = t.detach()
    if t.dim() == 0:
        return float(t)
    if t.numel() > SUMMARY_ABOVE:
        return summarize(t)
    as_type = _NUMPY_HOLDS.get(t.dtype)
    if as_type is not None:
        t = t.to(as_type)
        copy = False
    a = t.cpu().numpy()
    if copy:
        return a.copy()
    a.flags.writeable = False   # shares the tensor's memory (and may be shared by a grad and a flow)
    return a


def summarize(t):
    """The Summary of a tensor, computed by torch (in float64: no overflow, no copy to numpy)."""
    t = t.detach()
    finite = torch.isfinite(t)
    nan = int(torch.isnan(t).sum())
    good = t[finite].double() if not bool(finite.all()) else t.double()
    empty = good.numel() == 0
    return Summary(shape=tuple(t.shape), dtype=dtype_name(t),
                   norm=float("nan") if empty else float(torch.linalg.vector_norm(good)),
                   low=float("nan") if empty else float(good.min()),
                   high=float("nan") if empty else float(good.max()),
                   mean=float("nan") if empty else float(good.mean()),
                   nan=nan, inf=int(t.numel() - int(finite.sum())) - nan, zeros=int(t.numel() - int(torch.count_nonzero(t))))


def norm(t):
    """The Euclidean norm as a Python float (half precision summed in float32, so it cannot overflow)."""
    if t is None:
        return 0.0
    if t.requires_grad:
        t = t.detach()
    if t.dtype in (torch.float16, torch.bfloat16):
        t = t.float()
    return float(torch.linalg.vector_norm(t))


def dtype_name(t):
    """The tensor's dtype as the contract writes it: "float32", "float16", "bfloat16"."""
    return str(t.dtype).removeprefix("torch.")
