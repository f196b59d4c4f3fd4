"""graphviz_ad.targets: TARGET text -> function and default inputs; NAME=VALUE text -> values."""

import math
import os
import re
import sys
import textwrap
import zlib

import numpy as np
import pytest

import graphviz_ad
from graphviz_ad import samples
from graphviz_ad.expression import ExpressionError
from graphviz_ad.targets import (InputError, SourceSyntaxError, Target, TargetError, UserCodeError,
                                 call_arguments, load_target, parse_assignment, parse_value,
                                 resolve_inputs, trace_inputs, trace_target)
from graphviz_ad_cli import common



def on_the_command_line(error):
    """A library error as the command line words it (--at for `at`, ...)."""
    return common.message(error)


def write(path, text):
    path.write_text(textwrap.dedent(text))
    return path


# ---------------------------------------------------------------------------------------------------
# TARGET forms.

def test_file_target(model):
    t = load_target(f"{model}:loss")
    assert (t.name, t.kind, t.description) == ("loss", "file", "Squared tanh activations, scaled.")
    assert t.inputs == {"scale": 2}
    assert t.parameters == ["W", "x", "scale"]
    assert t.required == ["W", "x"]
    assert t.fun(np.eye(2), np.array([0.0, 0.0])) == 0.0


def test_relative_file_target(model, monkeypatch):
    monkeypatch.chdir(model.parent)
    assert load_target("model.py:loss").fun.__name__ == "loss"
    assert load_target("./model.py:Net.forward").name == "forward"


def test_file_can_import_its_neighbours(tmp_path):
    write(tmp_path / "helpers_for_target.py", "def double(x):\n    return 2 * x\n")
    write(tmp_path / "main_target.py", """\
        from helpers_for_target import double

        def f(x):
            return double(x) + 1
        """)
    G = trace_target(f"{tmp_path / 'main_target.py'}:f", ["x=1"])
    assert G.nodes[G.output]["value"] == 3.0
    assert str(tmp_path) not in sys.path


def test_module_target(tmp_path, monkeypatch):
    pkg = tmp_path / "mypkg_targets"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    write(pkg / "nets.py", """\
        import numpy as np

        def mlp(x, w=0.5):
            return np.tanh(w * x)
        """)
    monkeypatch.chdir(tmp_path)
    t = load_target("mypkg_targets.nets:mlp")
    assert (t.name, t.kind, t.inputs) == ("mlp", "module", {"w": 0.5})
    assert str(tmp_path) not in sys.path
    G = trace_target(t, ["x=2"])
    assert G.nodes[G.output]["value"] == pytest.approx(math.tanh(1.0))


def test_installed_module_target():
    t = load_target("graphviz_ad.ops.nn:sigmoid")
    assert t.kind == "module" and t.required == ["x"]


@pytest.mark.parametrize("name", samples.names())
def test_sample_target(name):
    sample = samples.load(name)
    t = load_target(name)
    assert (t.name, t.kind, t.fun, t.inputs, t.wrt) == (name, "sample", sample.fun, sample.inputs, sample.wrt)
    assert t.required == []


def test_sample_traces_at_its_inputs():
    G = trace_target("square_of_affine")
    assert G.grad_of("x") == pytest.approx(18 * 2.0 + 6)


def test_expression_target():
    t = load_target("sin(x**2) * y", expr=True)
    assert (t.kind, t.name, t.parameters, t.required) == ("expression", "expr", ["x", "y"], ["x", "y"])
    G = trace_target("sin(x**2) * y", ["x=1", "y=2"], expr=True)
    assert G.grad_of("y") == pytest.approx(math.sin(1.0))
    with pytest.raises(ExpressionError, match="__import__"):
        load_target("__import__('os')", expr=True)


def test_expression_text_is_never_a_sample_or_a_file():
    with pytest.raises(TargetError, match="no sample named"):
        load_target("sin")


# ---------------------------------------------------------------------------------------------------
# TARGET errors.

def test_file_not_found(tmp_path):
    with pytest.raises(TargetError, match="file not found: .*nope.py"):
        load_target(f"{tmp_path}/nope.py:f")


def test_folder_is_not_a_file(tmp_path):
    with pytest.raises(TargetError, match="is a folder"):
        load_target(f"{tmp_path}/:f")


def test_no_such_function_lists_the_ones_that_exist(model):
    with pytest.raises(TargetError) as info:
        load_target(f"{model}:los")
    message = str(info.value)
    assert "no function 'los'" in message
    assert "loss, fails, helper, detaches" in message
    assert "_private" not in message and "np" not in message.split("functions in")[1]


def test_file_without_function(model):
    with pytest.raises(TargetError, match="names a file but no function.*functions in"):
        load_target(str(model))


def test_attribute_that_is_not_a_function(model):
    with pytest.raises(TargetError, match="THRESHOLD is a float, not a function"):
        load_target(f"{model}:THRESHOLD")


def test_empty_file_defines_no_functions(tmp_path):
    (tmp_path / "empty.py").write_text("")
    with pytest.raises(TargetError, match="defines no functions"):
        load_target(f"{tmp_path / 'empty.py'}:f")


def test_syntax_error_names_file_and_line(tmp_path):
    path = write(tmp_path / "broken.py", """\
        def f(x):
            y = x +
            return y
        """)
    with pytest.raises(SourceSyntaxError) as info:
        load_target(f"{path}:f")
    assert f"{path}:2: syntax error" in str(info.value)
    assert "y = x +" in str(info.value)
    assert isinstance(info.value, TargetError)


def test_import_error_in_users_file_shows_their_frames(tmp_path):
    path = write(tmp_path / "raises_on_import.py", """\
        import math

        VALUE = math.sqrt(-1)
        """)
    with pytest.raises(UserCodeError) as info:
        load_target(f"{path}:f")
    assert "raises_on_import.py raised ValueError: math domain error" in str(info.value)
    frames = "".join(info.value.frames)
    assert "line 3" in frames and "VALUE = math.sqrt(-1)" in frames
    assert "graphviz_ad" not in frames and "importlib" not in frames


def test_sys_exit_in_users_code_is_reported_not_obeyed(tmp_path):
    path = write(tmp_path / "script_like.py", """\
        import sys

        def f(x):
            sys.exit(3)

        if len(sys.argv) > 99:
            pass
        else:
            sys.exit("usage: script_like.py N")
        """)
    with pytest.raises(UserCodeError, match="importing .*script_like.py raised SystemExit: usage"):
        load_target(f"{path}:f")
    assert "graphviz_ad_target_script_like" not in sys.modules
    path.write_text("import sys\n\ndef f(x):\n    sys.exit(3)\n")
    with pytest.raises(UserCodeError, match="f raised SystemExit: 3"):
        trace_target(f"{path}:f", ["x=1"])


def test_module_not_found():
    with pytest.raises(TargetError, match="no module named 'no_such_module_xyz'"):
        load_target("no_such_module_xyz.sub:f")


def test_module_with_a_missing_dependency_is_the_users_error(tmp_path, monkeypatch):
    write(tmp_path / "needs_missing_dep.py", "import no_such_dependency_xyz\n\ndef f(x):\n    return x\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserCodeError, match="ModuleNotFoundError.*no_such_dependency_xyz"):
        load_target("needs_missing_dep:f")


def test_not_a_module_name():
    with pytest.raises(TargetError, match="neither a file.py nor a package.module"):
        load_target("not-a-module:f")


def test_unknown_sample_lists_samples():
    with pytest.raises(TargetError) as info:
        load_target("sigmoidd")
    assert "no sample named 'sigmoidd'" in str(info.value)
    assert all(n in str(info.value) for n in samples.names())


def test_empty_target():
    with pytest.raises(TargetError, match="empty TARGET"):
        load_target("  ")


# ---------------------------------------------------------------------------------------------------
# Values.

@pytest.mark.parametrize("text, expected", [
    ("2", 2.0), ("-1.5e-3", -1.5e-3), ("+3", 3.0), ("1/4", 0.25), ("2**3", 8.0), ("-2**2", -4.0),
    ("pi", math.pi), ("2*pi", 2 * math.pi), ("True", True), ("'tanh'", "tanh"),
])
def test_scalars(text, expected):
    value = parse_value(text)
    assert value == expected and type(value) is type(expected)


def test_nan_and_inf():
    assert math.isnan(parse_value("nan"))
    assert parse_value("-inf") == -math.inf


def test_whole_numbers_stay_ints_only_where_the_default_is_an_int():
    assert type(parse_value("3", like=2)) is int
    assert type(parse_value("3", like=2.0)) is float
    assert type(parse_value("3")) is float
    assert type(parse_value("3", like=True)) is float


@pytest.mark.parametrize("text, expected", [
    ("[1, 2, 3]", [1.0, 2.0, 3.0]),
    ("[[1, 2], [3, 4]]", [[1.0, 2.0], [3.0, 4.0]]),
    ("[[[1], [2]]]", [[[1.0], [2.0]]]),
    ("(1, 2)", [1.0, 2.0]),
    ("[-1, 2*pi]", [-1.0, 2 * math.pi]),
    ("zeros(3)", [0.0, 0.0, 0.0]),
    ("ones(2, 2)", [[1.0, 1.0], [1.0, 1.0]]),
    ("eye(2)", [[1.0, 0.0], [0.0, 1.0]]),
    ("arange(5)", [0.0, 1.0, 2.0, 3.0, 4.0]),
    ("arange(0, 1, 0.25)", [0.0, 0.25, 0.5, 0.75]),
    ("linspace(0, 1, 3)", [0.0, 0.5, 1.0]),
    ("2 * ones(2) + 1", [3.0, 3.0]),
    ("[1, 2] * 3", [3.0, 6.0]),
])
def test_float_arrays(text, expected):
    value = parse_value(text)
    assert isinstance(value, np.ndarray) and value.dtype == np.float64
    assert value.tolist() == expected


def test_int_arrays():
    value = parse_value("int([0, 2, 1])")
    assert value.dtype.kind == "i" and value.tolist() == [0, 2, 1]
    assert parse_value("int(3)") == 3
    with pytest.raises(InputError, match="not whole"):
        parse_value("int([0.5])")


def test_random_values_are_reproducible_per_name_and_seed():
    a = parse_value("randn(3, 4)", seed=0, name="W")
    assert a.shape == (3, 4)
    assert np.array_equal(a, parse_value("randn(3, 4)", seed=0, name="W"))
    assert np.array_equal(a, np.random.default_rng([0, zlib.crc32(b"W")]).standard_normal((3, 4)))
    assert not np.array_equal(a, parse_value("randn(3, 4)", seed=1, name="W"))
    assert not np.array_equal(a, parse_value("randn(3, 4)", seed=0, name="V"))
    r = parse_value("rand(100)", seed=3, name="u")
    assert r.min() >= 0 and r.max() < 1
    assert isinstance(parse_value("randn()", name="s"), float)


def test_random_values_do_not_depend_on_other_inputs():
    t = load_target("x + y", expr=True)
    one = resolve_inputs(t, ["x=randn(2)", "y=1"], random_seed=5)
    two = resolve_inputs(t, ["y=randn(2)", "x=randn(2)"], random_seed=5)
    assert np.array_equal(one["x"], two["x"])


def test_npy_and_text_files(tmp_path):
    np.save(tmp_path / "w.npy", np.arange(6.0).reshape(2, 3))
    assert parse_value(f"@{tmp_path / 'w.npy'}").tolist() == [[0, 1, 2], [3, 4, 5]]
    np.save(tmp_path / "labels.npy", np.array([1, 0]))
    assert parse_value(f"@{tmp_path / 'labels.npy'}").dtype.kind == "i"
    (tmp_path / "v.csv").write_text("1,2\n3,4\n")
    assert parse_value(f"@{tmp_path / 'v.csv'}").tolist() == [[1, 2], [3, 4]]


@pytest.mark.parametrize("text, message", [
    ("@", "needs a file name"),
    ("@missing.npy", "file not found: missing.npy"),
    ("[1, 2", "cannot read"),
    ("[[1, 2], [3]]", "ragged"),
    ("[1, 'a']", "string inside a list"),
    ("foo", "unknown name 'foo'"),
    ("foo(3)", "unknown function 'foo'"),
    ("__import__('os')", "unknown function '__import__'"),
    ("x.y", "not a value"),
    ("randn(-1)", "whole number"),
    ("randn(2.5)", "whole number"),
    ("zeros(100000, 100000)", "more than the limit"),
    ("arange(1e12)", "more than the limit"),
    ("arange(0, 1, 0)", "non-zero step"),
    ("linspace(0, 1)", "takes 3"),
    ("eye(2, 3)", "one size"),
    ("10**10**10", "overflows"),
    ("ones(2) + ones(3)", "shapes do not match"),
    ("None", "not a value"),
    ("{1: 2}", "not a value"),
    ("randn(n=3)", "not a value"),
])
def test_bad_values_name_the_input(text, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match=message) as info:
        parse_value(text, name="W")
    assert str(info.value).startswith("at W:")   # the library names its own argument, `at`
    assert on_the_command_line(info.value).startswith("--at W:")
    assert info.value.name == "W"


def test_unreadable_npy(tmp_path):
    (tmp_path / "bad.npy").write_bytes(b"not an array")
    with pytest.raises(InputError, match="cannot load"):
        parse_value(f"@{tmp_path / 'bad.npy'}", name="x")
    (tmp_path / "w.json").write_text("[1]")
    with pytest.raises(InputError, match="use .npy"):
        parse_value(f"@{tmp_path / 'w.json'}", name="x")


@pytest.mark.parametrize("text, expected", [
    ("x=1", ("x", "1")), (" W = randn(2) ", ("W", "randn(2)")), ("eq=a==b", ("eq", "a==b")),
])
def test_parse_assignment(text, expected):
    assert parse_assignment(text) == expected


@pytest.mark.parametrize("text, message", [("x", "expected NAME=VALUE"), ("=1", "not an argument name"),
                                           ("1x=2", "not an argument name"), ("x=", "empty")])
def test_bad_assignment(text, message):
    with pytest.raises(InputError, match=message):
        parse_assignment(text)


# ---------------------------------------------------------------------------------------------------
# Resolving and tracing.

def test_defaults_are_overridden_by_at(model):
    t = load_target(f"{model}:loss")
    inputs = resolve_inputs(t, ["x=[1, 2]", "W=eye(2)"])
    assert list(inputs) == ["W", "x", "scale"]
    assert inputs["scale"] == 2
    inputs = resolve_inputs(t, {"x": "[1, 2]", "W": np.eye(2), "scale": "3"})
    assert inputs["scale"] == 3 and type(inputs["scale"]) is int
    assert inputs["W"].tolist() == [[1, 0], [0, 1]]


def test_missing_inputs_are_all_listed(model):
    with pytest.raises(InputError) as info:
        resolve_inputs(load_target(f"{model}:loss"))
    assert "loss needs a value for W, x" in str(info.value)
    assert "give at W=VALUE at x=VALUE" in str(info.value)
    assert "--at W=VALUE --at x=VALUE" in on_the_command_line(info.value)


def test_missing_expression_inputs():
    with pytest.raises(InputError, match=r"the expression 'x \* y' needs a value for y"):
        resolve_inputs(load_target("x * y", expr=True), ["x=1"])


def test_unknown_and_repeated_names(model):
    t = load_target(f"{model}:loss")
    with pytest.raises(InputError, match="loss has no argument 'w'; its arguments: W, x, scale"):
        resolve_inputs(t, ["w=1"])
    with pytest.raises(InputError, match="^at x is given twice") as info:
        resolve_inputs(t, ["x=1", "x=2"])
    assert re.match("--at x is given twice", on_the_command_line(info.value))


def test_keyword_arguments_and_positional_only(tmp_path):
    path = write(tmp_path / "kinds.py", """\
        def f(a, /, b, *args, c=1.0, **rest):
            return a * b * c + sum(rest.values())
        """)
    t = load_target(f"{path}:f")
    assert t.required == ["a", "b"]
    inputs = resolve_inputs(t, ["a=2", "b=3", "extra=10"])
    args, kwargs = call_arguments(t.fun, inputs)
    assert args == [2.0] and kwargs == {"b": 3.0, "c": 1.0, "extra": 10.0}
    G = trace_inputs(t, inputs)
    assert G.nodes[G.output]["value"] == 16.0


def test_wrt_and_seed_reach_trace(model):
    G = trace_target(f"{model}:loss", ["W=eye(2)", "x=[0.5, 1]"], wrt=["x"])
    assert G.graph["wrt"] == ["x"]
    with pytest.raises(InputError, match="^wrt w: loss has no argument 'w'") as info:
        trace_target(f"{model}:loss", ["W=eye(2)", "x=[0.5, 1]"], wrt="w")
    assert re.match("--wrt w: loss has no argument 'w'", on_the_command_line(info.value))
    G = trace_target("x * 2", ["x=[1, 2]"], expr=True, seed=[1.0, 0.0])
    assert G.graph["seed_rule"] == "given"
    assert G.grad_of("x").tolist() == [2.0, 0.0]


def test_user_exception_keeps_only_user_frames(model):
    with pytest.raises(UserCodeError) as info:
        trace_target(f"{model}:fails", ["x=1"])
    e = info.value
    assert str(e) == "fails raised KeyError: 'missing'"
    assert isinstance(e.exception, KeyError) and e.__cause__ is e.exception
    frames = "".join(e.frames)
    assert "in fails" in frames and "in helper" in frames and "return helper(y)" in frames
    assert os.sep + "graphviz_ad" + os.sep not in frames and "numpy" not in frames


def test_untraceable_operation_is_a_trace_error(model):
    with pytest.raises(graphviz_ad.TraceError, match=r"model.py:\d+"):
        trace_target(f"{model}:detaches", ["x=1"])


def test_random_seed_changes_random_inputs_only():
    a = trace_target("sum(W)", ["W=randn(3)"], expr=True, random_seed=1)
    b = trace_target("sum(W)", ["W=randn(3)"], expr=True, random_seed=1)
    c = trace_target("sum(W)", ["W=randn(3)"], expr=True, random_seed=2)
    assert a.nodes[a.output]["value"] == b.nodes[b.output]["value"] != c.nodes[c.output]["value"]


def test_target_is_exported():
    assert graphviz_ad.trace_target is trace_target and graphviz_ad.Target is Target
