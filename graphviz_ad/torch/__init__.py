"""The PyTorch front end: `graphviz_ad.torch.trace(model_or_closure, *args)` gives the same graph contract
as `graphviz_ad.trace` does for numpy, so rendering, the debugger, the interactive page, the CLI and docs
embedding work on torch models unchanged.

PyTorch is an optional dependency: `pip install graphviz-ad[torch]`.
"""

try:
    import torch  # noqa: F401
except ImportError as e:   # pragma: no cover - exercised in a subprocess without torch
    raise ImportError("graphviz_ad.torch needs PyTorch, which is not installed: "
                      "pip install graphviz-ad[torch]") from e

from .trace import trace  # noqa: E402

__all__ = ["trace"]
