"""A large array kept as its statistics: what a graph stores instead of a tensor too big to keep whole.

Front ends store a `Summary` in place of a `value`, `grad`, `grad_flow` or `local_factor` array above
their size limit (the torch front end: `graphviz_ad.torch.SUMMARY_ABOVE` elements), so a big model
traces in bounded memory. Labels, tooltips, the debugger's sizes and NaN checks and JSON read the
statistics; what needs every element (a path's product of factors, the saturation and dead-unit checks)
skips a summarised edge and says so where it reports.
"""

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Summary:
    """Shape, dtype, Euclidean norm, finite range, mean and NaN/Inf/zero counts of an array.

    `norm`, `low`, `high` and `mean` are over the finite elements (NaN when there are none).
    """

    shape: tuple
    dtype: str
    norm: float
    low: float
    high: float
    mean: float
    nan: int = 0
    inf: int = 0
    zeros: int = 0

    @property
    def size(self):
        return math.prod(self.shape)

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def finite(self):
        return self.nan == 0 and self.inf == 0

    @property
    def rms(self):
        return self.norm / math.sqrt(self.size) if self.size else 0.0

    @property
    def max_abs(self):
        return max(abs(self.low), abs(self.high)) if self.size > self.nan + self.inf else 0.0

    @classmethod
    def of(cls, a, dtype=None):
        """The summary of a numpy array (computed in float64, so the norm of a big float16 cannot overflow)."""
        a = np.asarray(a)
        finite = np.isfinite(a)
        good = a[finite].astype(float, copy=False) if not finite.all() else a.astype(float, copy=False)
        nan = int(np.isnan(a).sum())
        return cls(shape=tuple(a.shape), dtype=dtype or str(a.dtype),
                   norm=float(np.linalg.norm(good.ravel())) if good.size else math.nan,
                   low=float(good.min()) if good.size else math.nan,
                   high=float(good.max()) if good.size else math.nan,
                   mean=float(good.mean()) if good.size else math.nan,
                   nan=nan, inf=int(a.size - finite.sum()) - nan, zeros=int(a.size - np.count_nonzero(a)))

    def __add__(self, other):
        """Adding gradient terms (the interactive page's running sums) keeps only the shape: the sum of
        two summaries is not known element by element."""
        if isinstance(other, (int, float)) and other == 0:
            return self
        shape = tuple(np.broadcast_shapes(self.shape, np.shape(other)))
        return Summary(shape, self.dtype, math.nan, math.nan, math.nan, math.nan)

    __radd__ = __add__

    def to_dict(self):
        return {"summary": {"shape": list(self.shape), "dtype": self.dtype, "norm": self.norm, "low": self.low,
                            "high": self.high, "mean": self.mean, "nan": self.nan, "inf": self.inf,
                            "zeros": self.zeros}}

    @classmethod
    def from_dict(cls, d):
        s = d["summary"]
        return cls(tuple(s["shape"]), s["dtype"], s["norm"], s["low"], s["high"], s["mean"], s["nan"], s["inf"],
                   s["zeros"])
