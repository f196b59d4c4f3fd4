"""graphviz_ad.frontend: the checks the command line and the docs extensions share, each worded in the
words of the front end that shows it (--at on the command line, :at: on a docs page, at in Python)."""

import pickle

import markdown
import pytest
from click.testing import CliRunner

import graphviz_ad as ga
from graphviz_ad import frontend, samples
from graphviz_ad.embed import draw, failure_text
from graphviz_ad.errors import InputError, RenderError, TargetError, worded_error
from graphviz_ad_cli import common
from graphviz_ad_cli.main import main


def cli_error(*args):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 2, result.stdout + result.stderr
    (line,) = result.stderr.splitlines()
    return line.removeprefix("Error: ")


def docs_error(target, fields):
    with pytest.raises(ga.GraphvizAdError) as info:
        draw(target, fields)
    return failure_text(info.value)


def test_one_check_three_wordings_for_an_input_given_twice():
    with pytest.raises(InputError) as info:
        ga.trace_target("sigmoid", ["x=1", "x=2"])
    assert str(info.value) == "at x is given twice"
    assert common.message(info.value) == "--at x is given twice"
    assert cli_error("render", "sigmoid", "--at", "x=1", "--at", "x=2") == "--at x is given twice"
    assert docs_error("sigmoid", {"at": "x=1; x=2"}) == ":at: x is given twice"
    page = markdown.markdown("```autodiff-graph\nsigmoid\n:at: x=1\n  x=2\n```\n",
                             extensions=["graphviz_ad.markdown_ext"])
    assert "autodiff-graph: :at: x is given twice" in page and "--at" not in page


def test_missing_inputs_and_bad_wrt_name_the_front_ends_words():
    assert "give --at x=VALUE --at y=VALUE" in cli_error("render", "-e", "x * y")
    assert "give :at: x=VALUE :at: y=VALUE" in docs_error("", {"expr": "x * y"})
    assert cli_error("render", "sigmoid", "--wrt", "z").startswith("--wrt z: sigmoid has no argument 'z'")
    assert docs_error("sigmoid", {"wrt": "z"}).startswith(":wrt: z: sigmoid has no argument 'z'")
    assert cli_error("check", "sigmoid", "--wrt", "z").startswith("--wrt z: sigmoid has no argument 'z'")


def test_target_or_expression_exactly_one():
    for target, expr in [("sigmoid", "x**2"), ("", ""), (None, None)]:
        with pytest.raises(TargetError) as info:
            frontend.load(target, expr)
        assert ("not both" if target else "none was given") in str(info.value)
        assert "expr" in str(info.value) and "--expr" not in str(info.value)
    assert cli_error("render", "sigmoid", "-e", "x") == "give either TARGET ('sigmoid') or --expr, not both"
    assert docs_error("sigmoid", {"expr": "x"}) == "give either TARGET ('sigmoid') or :expr:, not both"
    assert frontend.load(None, "sin(x)").kind == "expression" and frontend.load("sigmoid").kind == "sample"


def test_drawing_options_by_name_and_as_key_value_text():
    assert frontend.drawing_options({"rankdir": "TB", "precision": "5"}, ["vanishing=1e-4", " legend = off"]) == \
        {"rankdir": "TB", "precision": 5, "vanishing": 1e-4, "legend": False}
    assert frontend.drawing_options({"budget": None, "values": False}) == {"budget": None, "values": False}
    with pytest.raises(RenderError, match=r"^option 'novalue': expected KEY=VALUE") as info:
        frontend.drawing_options({}, ["novalue"])
    assert common.message(info.value).startswith("-O 'novalue': expected KEY=VALUE")
    with pytest.raises(RenderError, match=r"^option colour: unknown drawing option; the options are budget, "):
        frontend.drawing_options({}, ["colour=red"])
    with pytest.raises(RenderError, match=r"option precision=40 is invalid \(must be an int from 1 to 17\)"):
        frontend.drawing_options({"precision": "40"})
    assert docs_error("sigmoid", {"option": "colour=red"}).startswith(":option: colour: unknown drawing option")


def test_highlight_by_name_adds_to_a_report():
    G = ga.trace(samples.load("sigmoid").fun, **samples.load("sigmoid").inputs)
    assert frontend.highlight_named(G, []) is None
    report = ga.diagnose(G)
    assert frontend.highlight_named(G, [], report) is report
    marks = frontend.highlight_named(G, ["x"], report)
    assert marks["nodes"][G.node_named("x")] == "highlight" and marks["edges"] == report.edges
    with pytest.raises(InputError) as info:
        frontend.highlight_named(G, ["nothing"])
    assert str(info.value).startswith("highlight nothing: no node is called 'nothing'; names: ")
    assert info.value.name == "nothing"
    assert cli_error("render", "sigmoid", "--highlight", "zz").startswith("--highlight zz: no node is called")


def test_user_text_with_braces_is_never_read_as_a_template_and_errors_pickle():
    error = worded_error(InputError, "{at} {input}: cannot read {text!r}", {"input": "x", "text": "{at}{0}"},
                         name="x")
    assert str(error) == "at x: cannot read '{at}{0}'"
    assert error.worded({"at": "--at"}) == "--at x: cannot read '{at}{0}'"
    again = pickle.loads(pickle.dumps(error))
    assert str(again) == str(error) and again.worded({"at": ":at:"}) == ":at: x: cannot read '{at}{0}'"
    assert again.name == "x"
    assert ga.GraphvizAdError("plain").worded({"at": "--at"}) == "plain"


def test_each_drawing_flag_of_render_is_a_drawing_option_under_its_own_name():
    from graphviz_ad.dot import OPTIONS
    from graphviz_ad_cli.render_cmd import DRAWING_FLAGS, render

    params = {p.name for p in render.params}
    assert set(DRAWING_FLAGS) <= params and set(DRAWING_FLAGS) <= set(OPTIONS)
    assert {p.name for p in render.params if p.name in OPTIONS} == set(DRAWING_FLAGS)
