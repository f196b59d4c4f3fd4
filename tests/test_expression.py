"""graphviz_ad.expression: math text -> a traceable function, and nothing else."""

import math
import os
import time

import numpy as np
import pytest

import graphviz_ad
from graphviz_ad.expression import FUNCTIONS, MAX_LENGTH, ExpressionError, expression, free_names


# ---------------------------------------------------------------------------------------------------
# What an expression computes.

def test_parameters_are_the_free_names_in_order_of_appearance():
    f = expression("y * x + sin(z) - x * y")
    assert f.inputs == ("y", "x", "z")
    assert list(f.__code__.co_varnames[:f.__code__.co_argcount]) == ["y", "x", "z"]
    assert free_names("b + a") == ("b", "a")


@pytest.mark.parametrize("text, inputs, expected", [
    ("sin(x**2)", {"x": 1.3}, math.sin(1.3**2)),
    ("x/y - y//x + x % y", {"x": 7.0, "y": 2.0}, 7 / 2 - 2 // 7 + 7 % 2),
    ("-x + +y", {"x": 1.0, "y": 4.0}, 3.0),
    ("sigmoid(w*x + b)", {"w": 0.5, "x": 2.0, "b": -1.0}, 0.5),
    ("relu(x) + relu(-x)", {"x": -3.0}, 3.0),
    ("exp(log(x)) + sqrt(x) + abs(-x) + tanh(0*x)", {"x": 4.0}, 4 + 2 + 4),
    ("2*pi + e", {}, 2 * math.pi + math.e),
    ("(x > 0) * x", {"x": -2.0}, 0.0),
    ("maximum(x, y) + minimum(x, y)", {"x": 1.0, "y": 5.0}, 6.0),
    ("2**-1 * x", {"x": 4.0}, 2.0),
], ids=lambda v: v if isinstance(v, str) else "")
def test_values(text, inputs, expected):
    assert float(expression(text)(**inputs)) == pytest.approx(expected)


def test_arrays_subscripts_reductions_and_matmul():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert float(expression("x[0, 1] * x[-1][0]")(x)) == 6.0
    assert np.allclose(expression("sum(x, axis=0)")(x), [4.0, 6.0])
    assert np.allclose(expression("x[:, 1:]")(x), [[2.0], [4.0]])
    assert np.allclose(expression("x @ v")(x, np.array([1.0, 1.0])), [3.0, 7.0])
    assert float(expression("mean(softmax(x, axis=-1))")(x)) == pytest.approx(0.5)


def test_traced_nodes_read_like_the_expression():
    G = graphviz_ad.trace(expression("sin(x**2)"), x=1.0)
    assert G.graph["function"] == "expr"
    assert G.nodes[G.output]["name"] == "sin(x^2)"
    assert G.grad_of("x") == pytest.approx(2 * math.cos(1.0))
    assert {G.nodes[n]["code"] for n in G} == {"sin(x**2)"}
    assert G.nodes[G.output]["source"].endswith(":1")
    assert G.nodes[G.output]["scope"] == ("expr",)


def test_same_text_same_graph():
    a = graphviz_ad.trace(expression("tanh(w*x) + w"), w=0.3, x=2.0)
    b = graphviz_ad.trace(expression("tanh(w*x) + w"), w=0.3, x=2.0)
    assert [a.nodes[n]["name"] for n in a] == [b.nodes[n]["name"] for n in b]
    assert [a.nodes[n]["source"] for n in a] == [b.nodes[n]["source"] for n in b]


def test_two_expressions_keep_their_own_source_lines():
    f, g = expression("x + 1"), expression("cos(y)")
    Gf, Gg = graphviz_ad.trace(f, x=1.0), graphviz_ad.trace(g, y=1.0)
    assert Gf.nodes[Gf.output]["code"] == "x + 1"
    assert Gg.nodes[Gg.output]["code"] == "cos(y)"


def test_custom_name():
    assert graphviz_ad.trace(expression("x*x", name="square"), x=2.0).graph["function"] == "square"
    with pytest.raises(ExpressionError, match="not a plain identifier"):
        expression("x", name="__class__")


def test_compiled_function_has_no_builtins():
    f = expression("x + 1")
    assert f.__globals__["__builtins__"] == {}
    assert set(f.__globals__) - {"__builtins__"} <= set(FUNCTIONS) | {"pi", "e", "inf", "nan"}


# ---------------------------------------------------------------------------------------------------
# What an expression must not do.

ESCAPES = [
    ("__import__('os').system('true')", "__import__"),
    ("().__class__", "().__class__"),
    ("().__class__.__bases__[0].__subclasses__()", "__subclasses__"),
    ("x.__class__", "x.__class__"),
    ("x.real", "x.real"),
    ("(1).__class__", "(1).__class__"),
    ("lambda: 1", "lambda"),
    ("(lambda x: x)(1)", "lambda"),
    ("[i for i in x]", "comprehension"),
    ("{i for i in x}", "comprehension"),
    ("sum(i for i in x)", "generator"),
    ("open('secret')", "open"),
    ("eval('1')", "eval"),
    ("exec('1')", "exec"),
    ("getattr(x, 'real')", "getattr"),
    ("globals()", "globals"),
    ("__builtins__", "__builtins__"),
    ("__name__", "__name__"),
    ("_private", "_private"),
    ("x if y else z", "where"),
    ("x and y", "and"),
    ("(y := 1)", "assignment"),
    ("'text'", "str"),
    ("b'bytes'", "bytes"),
    ("f'{x}'", "f-string"),
    ("True", "bool"),
    ("None", "NoneType"),
    ("1j", "complex"),
    ("[1, 2]", "list"),
    ("(x, y)", "tuple"),
    ("{'a': 1}", "dict"),
    ("x[y]", "index"),
    ("x['a']", "index"),
    ("sin[0]", "subscript"),
    ("pi[0]", "subscript"),
    ("sin(*x)", "star"),
    ("sin(**x)", "**"),
    ("sum(x, keepdims=True)", "keepdims"),
    ("sum(x, axis=10**9)", "axis"),
    ("sin(x, y)", "sin takes 1"),
    ("sin", "without calling"),
    ("pi()", "pi"),
    ("x(1)", "x"),
    ("a < b < c", "chained"),
    ("x is y", "Is"),
    ("x in y", "In"),
    ("x << 2", "LShift"),
    ("~x", "Invert"),
    ("not x", "Not"),
    ("1/0", "division by zero"),
    ("x + 1 % 0", "division by zero"),
    ("(-8)**(1/3)", "not a real number"),
    ("0**-1", "division by zero"),
    ("1 @ 2", "@ between numbers"),
]


@pytest.mark.parametrize("text, piece", ESCAPES, ids=[t for t, _ in ESCAPES])
def test_rejected_with_the_offending_piece_named(text, piece):
    with pytest.raises(ExpressionError) as info:
        expression(text)
    assert piece in str(info.value)
    assert "\n" not in str(info.value)


HUGE = ["10**10**10", "9**9**9**9", "2**100000", "10**400", "1e308*10", "x**10**10**10",
        "(10**200)*(10**200)", "x + 2**2**2**2**2**2", "-(10**10**10)", "1e301"]


@pytest.mark.parametrize("text", HUGE)
def test_huge_constants_are_rejected_quickly(text):
    start = time.monotonic()
    with pytest.raises(ExpressionError, match="large"):
        expression(text)
    assert time.monotonic() - start < 0.5


def test_large_but_bounded_exponent_on_an_input_runs_fast():
    start = time.monotonic()
    G = graphviz_ad.trace(expression("x**10**10"), x=2.0)
    assert G.nodes[G.output]["value"] == math.inf
    assert expression("x**10**10")(np.float64(0.5)) == 0.0
    assert time.monotonic() - start < 0.5


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("   ", "empty"),
    ("sin(", "syntax error"),
    ("x +* y", "syntax error"),
    ("x = 1", "syntax error"),
    ("import os", "syntax error"),
    ("x\nimport os", "syntax error"),
    ("x" + " + x" * MAX_LENGTH, "limit"),
    ("(" * 300 + "x" + ")" * 300, "nested|cannot be parsed|parts|syntax error"),
    ("-" * 900 + "x", "nested|parts|cannot be parsed"),
])
def test_malformed_text(text, message):
    with pytest.raises(ExpressionError, match=message):
        expression(text)


def test_not_text():
    with pytest.raises(ExpressionError, match="text"):
        expression(b"x")


def test_rejection_runs_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for text in ["__import__('os').system('touch pwned')", "open('pwned', 'w')",
                 "().__class__.__base__.__subclasses__()"]:
        with pytest.raises(ExpressionError):
            expression(text)
    assert not os.listdir(tmp_path)


def test_expression_error_is_a_graphviz_ad_error():
    assert issubclass(ExpressionError, graphviz_ad.GraphvizAdError)
    assert graphviz_ad.expression is expression
