"""The few names of HIPS autograd's API that its numpy gradient tests import, answered by graphviz_ad.

Only for benchmarks/hips_autograd_tests.py, which puts this directory first on the path of a pytest run
over autograd's own test files. First-order reverse mode only: `grad` and `value_and_grad` are
graphviz_ad's; `autograd.numpy` is numpy, read at call time (see `_LateNumpy`).
"""

import builtins
import functools
import sys
import types

import numpy as real_numpy

import graphviz_ad

grad = graphviz_ad.grad
value_and_grad = graphviz_ad.value_and_grad
tuple = builtins.tuple   # autograd's differentiable tuple: a plain tuple is what graphviz_ad reads


class _LateNumpy(types.ModuleType):
    """numpy (or one of its submodules), each name read when it is used, not when it was imported.

    While graphviz_ad traces a function it swaps some numpy functions for ones that read lists of
    traced values (np.append, np.array...). A test that takes `np.append` before the trace and calls it
    inside must meet the swapped one, as autograd's own numpy module is always its traced one.
    """

    def __init__(self, name, real):
        super().__init__(name)
        self._real = real
        self._late = {}

    def __getattr__(self, name):
        value = getattr(self._real, name)
        if isinstance(value, types.ModuleType) or not callable(value) or isinstance(value, (type, real_numpy.ufunc)):
            return value
        if name not in self._late:
            real = self._real
            self._late[name] = functools.wraps(value)(lambda *a, **k: getattr(real, name)(*a, **k))
        return self._late[name]


# `import autograd.numpy as np` reads the attribute `numpy` of this package: the late module, not numpy.
numpy = _LateNumpy("autograd.numpy", real_numpy)
numpy.random = real_numpy.random
numpy.linalg = _LateNumpy("autograd.numpy.linalg", real_numpy.linalg)
numpy.fft = real_numpy.fft
sys.modules.update({"autograd.numpy": numpy, "autograd.numpy.random": real_numpy.random,
                    "autograd.numpy.linalg": numpy.linalg, "autograd.numpy.fft": real_numpy.fft})
