"""`check_grads` and `combo_check` as autograd's tests call them, checking graphviz_ad's reverse mode.

A check compares <v, J u> from graphviz_ad.grad with a central difference of <v, f> along u, for random
u (input side) and v (output side), within autograd's own tolerances (absolute or relative 1e-6, step
1e-6). Checks of complex values and forward-mode-only checks are counted in `OUT_OF_SCOPE`, not run:
graphviz_ad differentiates real-valued functions in reverse mode. `CHECKS` counts the checks run.
"""

import itertools

import numpy as np

import graphviz_ad

STEP = 1e-6
ABS_TOL = REL_TOL = 1e-6
CHECKS = []         # one entry per check run
OUT_OF_SCOPE = []   # one reason per check not run


def _leaves(x):
    if isinstance(x, (list, tuple)):
        return [leaf for item in x for leaf in _leaves(item)]
    if isinstance(x, dict):
        return [leaf for key in sorted(x) for leaf in _leaves(x[key])]
    return [x]


def _zip_map(fun, x, *others):
    """`fun` leaf by leaf over `x` and structures shaped like it."""
    if isinstance(x, (list, tuple)):
        return type(x)(_zip_map(fun, *items) for items in zip(x, *others))
    if isinstance(x, dict):
        return {key: _zip_map(fun, x[key], *(o[key] for o in others)) for key in x}
    return fun(x, *others)


def _random_like(x, rng):
    return _zip_map(lambda a: rng.standard_normal(np.shape(a)) if isinstance(a, np.ndarray)
                    else float(rng.standard_normal()), x)


def _inner(a, b):
    return sum(np.sum(p * q) for p, q in zip(_leaves(a), _leaves(b)))


def _moved(x, u, scale):
    return _zip_map(lambda a, d: (np.asarray(a, float) if isinstance(a, np.ndarray) else float(a)) + scale * d, x, u)


def _is_complex(x):
    return any(np.iscomplexobj(leaf) for leaf in _leaves(x))


def _check_one(fun, args, kwargs, argnum):
    x = args[argnum]
    at = lambda value: fun(*args[:argnum], value, *args[argnum + 1:], **kwargs)
    y = at(x)
    if _is_complex(x) or _is_complex(args) or _is_complex(y):
        OUT_OF_SCOPE.append("complex values")
        return
    rng = np.random.default_rng(len(CHECKS))
    u, v = _random_like(x, rng), _random_like(y, rng)
    gradient = graphviz_ad.grad(lambda *a: _inner(fun(*a, **kwargs), v), argnum)(*args)
    analytic = float(_inner(gradient, u))
    numeric = float((_inner(v, at(_moved(x, u, STEP / 2))) - _inner(v, at(_moved(x, u, -STEP / 2)))) / STEP)
    CHECKS.append(getattr(fun, "__name__", "?"))
    gap = abs(analytic - numeric)
    assert gap < ABS_TOL or gap / abs(analytic + numeric) < REL_TOL, \
        f"<v, J u>: graphviz_ad {analytic!r}, central difference {numeric!r}"


def check_grads(fun, argnum=0, modes=None, order=2):
    """A checker of `fun`'s first-order reverse-mode gradient in argument(s) `argnum`, called on the
    point. `order` > 1 (autograd's default) is not checked: graphviz_ad is first order."""
    def check(*args, **kwargs):
        if modes is not None and "rev" not in modes:
            OUT_OF_SCOPE.append("forward mode")
            return
        for n in (argnum if isinstance(argnum, (tuple, list)) else (argnum,)):
            _check_one(fun, list(args), kwargs, n)
    return check


def combo_check(fun, *check_args, **check_kwargs):
    """A checker over every combination of the given argument values and keyword values."""
    def check_all(*arg_values, **kwarg_values):
        keyword_choices = [[(key, value) for value in values] for key, values in kwarg_values.items()]
        for args in itertools.product(*arg_values):
            for keywords in itertools.product(*keyword_choices):
                check_grads(fun, *check_args, **check_kwargs)(*args, **dict(keywords))
    return check_all
