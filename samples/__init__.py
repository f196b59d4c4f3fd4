"""The bundled samples: one function per file, with the inputs it is meant to be traced at.

A sample file `name.py` defines a function called `name`, a dict `INPUTS` of its arguments, and may
define `EXPECTED_GRAD` (argument name -> the gradient a teacher would derive by hand; tests check it)
and `WRT` (the arguments to differentiate). Its docstring's first line is the one-line description.
"""

import importlib
import pkgutil
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Sample:
    """One bundled sample: its function and the point it is traced at."""

    name: str
    fun: object
    inputs: dict
    description: str
    expected_grad: dict = field(default_factory=dict)
    wrt: tuple = None


def names():
    """The bundled samples' names, sorted."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def load(name):
    """The Sample called `name`; KeyError listing the known names if there is none."""
    if name not in names():
        raise KeyError(f"no sample named {name!r}; samples: {', '.join(names())}")
    module = importlib.import_module(f"{__name__}.{name}")
    fun = getattr(module, name)
    doc = (fun.__doc__ or module.__doc__ or "").strip().splitlines()
    wrt = getattr(module, "WRT", None)
    return Sample(name=name, fun=fun, inputs=dict(module.INPUTS), description=doc[0] if doc else "",
                  expected_grad=dict(getattr(module, "EXPECTED_GRAD", {})),
                  wrt=tuple(wrt) if wrt is not None else None)


def all_samples():
    """Every bundled Sample, by name."""
    return [load(n) for n in names()]
