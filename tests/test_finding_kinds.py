"""One table of finding kinds (graphviz_ad.finding_kinds.KINDS): everything derived from it agrees with
it, two marks on one node never crash, and the docs and the command line's help list every kind."""

import importlib
import itertools
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import graphviz_ad as ga
from graphviz_ad import finding_kinds, style
from graphviz_ad.finding_kinds import KINDS
from graphviz_ad_cli.main import main

diagnose_module = importlib.import_module("graphviz_ad.diagnose")  # the package's `diagnose` is the function
DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_every_list_of_kinds_is_read_off_the_table():
    names = [k.name for k in KINDS]
    assert len(set(names)) == len(names) and len({k.mark for k in KINDS}) == len(KINDS)
    assert diagnose_module.LEVELS == {k.name: k.level for k in KINDS}
    assert diagnose_module.MARKS == {k.name: k.mark for k in KINDS}
    assert set(finding_kinds.MARK_ORDER) == {k.mark for k in KINDS}
    assert all(k.level in finding_kinds.SEVERITIES and k.found_by in ("diagnose", "check") for k in KINDS)
    assert style.MARK_COLORS == {k.mark: k.color for k in KINDS if k.color}
    from graphviz_ad_cli.debug import FAIL_ON
    assert FAIL_ON[:-1] == tuple(k.name for k in KINDS if k.found_by == "diagnose" and k.level != "info")
    assert FAIL_ON[-1] == "any"


@pytest.mark.parametrize("first, second", list(itertools.permutations([k.name for k in KINDS], 2)))
def test_two_marks_on_one_node_keep_the_one_listed_first(first, second):
    G = ga.trace(lambda x: x * 2.0, 1.0)
    findings = [ga.Finding(first, "one", nodes=(0,), edges=((0, 2),)),
                ga.Finding(second, "two", nodes=(0,), edges=((0, 2),))]
    if first == "weakest_path" or second == "weakest_path":   # only the weakest path is drawn: give it one
        findings = [ga.Finding(f.kind, f.message, f.nodes, f.edges, figures={"log10_product": 0.0})
                    for f in findings]
    report = ga.Report(G, findings)
    winner = min((first, second), key=[k.name for k in KINDS].index)
    assert report.nodes == {0: diagnose_module.MARKS[winner]}
    assert report.edges == {(0, 2): diagnose_module.MARKS[winner]}


def test_a_mark_that_is_no_kinds_never_crashes_and_comes_last():
    assert finding_kinds.stronger_mark(None, "highlight") == "highlight"
    assert finding_kinds.stronger_mark("highlight", "dead") == "dead"
    assert finding_kinds.stronger_mark("dead", "highlight") == "dead"
    assert finding_kinds.stronger_mark("mine", "highlight") == "mine"


def _row(text, field):
    """The text of the `field` row of the Finding table in docs/debugging.md."""
    match = re.search(rf"^\| `{field}` \| (.*) \|$", text, re.M)
    assert match, f"docs/debugging.md has no `{field}` row"
    return match[1]


def test_docs_list_every_kind_its_level_and_its_mark_in_order():
    text = (DOCS / "debugging.md").read_text(encoding="utf-8")
    assert set(re.findall(r"`(\w+)`", _row(text, "kind"))) - {"check"} == {k.name for k in KINDS}
    levels = dict(re.findall(r"`(\w+)` \(([^)]*)\)", _row(text, "level")))
    for kind in KINDS:
        assert kind.name in re.split(r",\s*", levels[kind.level]), (kind.name, kind.level)
    for kind in KINDS:
        if kind.mark != kind.name:
            assert f"`{kind.name}` -> `{kind.mark}`" in _row(text, "mark"), kind.name
    marks = re.search(r"The mark names are\s+(.*?)\.\s", text, re.S)[1]
    assert re.findall(r"`(\w+)`", marks) == list(finding_kinds.MARK_ORDER)
    fail_on = re.search(r"a `--fail-on` kind is found \(([^)]*)\)", text)[1]
    assert re.findall(r"`(\w+)`", fail_on) == [*finding_kinds.FAIL_ON, "any"]
    for kind in KINDS:   # each kind is explained where it is found: a detector section or `check`
        assert re.search(rf"\(`{kind.name}`[,)]|`{kind.name}`, {kind.level}|`{kind.mark}` on the drawing",
                         text), kind.name


def test_the_fail_on_help_lists_every_kind_it_accepts():
    help_text = " ".join(CliRunner().invoke(main, ["diagnose", "--help"]).stdout.split())
    listed = re.search(r"--fail-on KIND Exit with status 1 .*?: (.*?) \(any error or warning\)", help_text)[1]
    assert listed.split(", ") == [*finding_kinds.FAIL_ON, "any"]
    bad = CliRunner().invoke(main, ["diagnose", "sigmoid", "--fail-on", "weakest_path"])
    assert bad.exit_code == 2 and "weakest_path" in bad.stderr
