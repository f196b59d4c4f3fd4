"""One binding of a call's arguments (trace, check and TARGET inputs share it), the tape's named entries,
and the reverse pass handing its elementwise derivatives to the edges' local_factor."""

import inspect

import numpy as np
import pytest

import graphviz_ad as ga
from graphviz_ad.arguments import bind, call_arguments
from graphviz_ad.errors import GraphvizAdError
from graphviz_ad.tracer import Entry, Tape


def kinds(a, /, b, *rest, c=1.0, **options):
    return a, b, rest, c, options


def test_bind_names_every_kind_of_parameter_and_calls_back_the_same():
    binding = bind(kinds, (1.0, 2.0, 3.0, 4.0), {"c": 5.0, "d": 6.0})
    assert binding.arguments == {"a": 1.0, "b": 2.0, "rest": (3.0, 4.0), "c": 5.0, "options": {"d": 6.0}}
    args, kwargs = binding.call()
    assert args == [1.0, 2.0, 3.0, 4.0] and kwargs == {"c": 5.0, "d": 6.0}
    assert kinds(*args, **kwargs) == kinds(1.0, 2.0, 3.0, 4.0, c=5.0, d=6.0)
    args, kwargs = binding.call({**binding.arguments, "b": 20.0})
    assert kinds(*args, **kwargs) == (1.0, 20.0, (3.0, 4.0), 5.0, {"d": 6.0})


def test_bind_fills_defaults_and_names_a_misfit_call():
    assert bind(kinds, (1.0, 2.0), {}).arguments["c"] == 1.0
    with pytest.raises(GraphvizAdError, match=r"^kinds: missing a required argument: 'b'"):
        bind(kinds, (1.0,), {})


def test_a_callable_without_a_python_signature_is_bound_by_position():
    binding = bind(np.add, (1.0, 2.0), {"dtype": float})
    assert list(binding.arguments) == ["arg0", "arg1", "dtype"]
    assert binding.call() == ([1.0, 2.0], {"dtype": float})


def test_call_arguments_by_keyword_keeps_names_except_positional_only():
    params = [p for p in inspect.signature(kinds).parameters.values()
              if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    args, kwargs = call_arguments(params, {"a": 1.0, "b": 2.0, "c": 3.0, "extra": 4.0}, by_keyword=True)
    assert args == [1.0] and kwargs == {"b": 2.0, "c": 3.0, "extra": 4.0}


def test_a_parameter_left_out_ends_the_positions():
    def f(x, y=2.0, z=3.0):
        return x, y, z
    params = list(inspect.signature(f).parameters.values())
    args, kwargs = call_arguments(params, {"x": 1.0, "z": 30.0})
    assert args == [1.0] and kwargs == {"z": 30.0}
    assert f(*args, **kwargs) == (1.0, 2.0, 30.0)


def test_check_reruns_a_function_with_every_kind_of_parameter():
    def f(a, /, b, *rest, scale=2.0, **options):
        return np.sum(a * b * scale) + sum(rest) + options["shift"] * a
    report = ga.check(f, 1.5, np.array([1.0, 2.0]), 0.5, 0.25, scale=3.0, shift=0.75)
    assert report.ok
    assert [c.name for c in report.inputs] == ["a", "b", "rest[0]", "rest[1]", "scale", "options['shift']"]


def test_the_tape_records_named_entries():
    tape = Tape()
    x = tape.leaf(0.5, "x", True)
    y = np.sin(x) * 2.0
    first, sine, product = tape.entries
    assert all(type(e) is Entry for e in tape.entries)
    assert (first.prim, first.value, first.requires_grad) == (None, 0.5, True)
    assert sine.prim is ga.PRIMITIVES["sin"] and sine.parents == (0,) and sine.args == (0.5,)
    assert product.prim is ga.PRIMITIVES["multiply"] and product.parents == [1, None]
    assert product.value == y.value == 2 * np.sin(0.5)


def test_the_edge_reuses_the_derivative_of_the_reverse_pass():
    calls = []

    def deriv(ans, x, y):
        calls.append(1)
        return np.cos(x) * y

    @ga.primitive("test_counted_sin_times", deriv=(deriv, lambda ans, x, y: np.sin(x)),
                  formula=("cos({x})*{y}", "sin({x})"))
    def sin_times(x, y):
        return np.sin(x) * y

    x = np.array([0.1, 0.7, 1.3])
    G = ga.trace(lambda x, y: np.sum(sin_times(x, y)), x, 2.0)
    assert len(calls) == 1   # the reverse pass computed it; the edge's local_factor did not again
    (edge,) = [(u, v) for u, v, d in G.edges(data=True) if G.nodes[v]["op"] == "test_counted_sin_times"
               and d["argnum"] == 0]
    np.testing.assert_allclose(G.edges[edge]["local_factor"], 2.0 * np.cos(x))
    h = 1e-6
    fd = (np.sin(x + h) - np.sin(x - h)) / (2 * h) * 2.0
    np.testing.assert_allclose(G.edges[edge]["local_factor"], fd, rtol=1e-6)
