"""What the command line and the docs extensions share: turning what a user wrote into library calls.

Both let a user give a TARGET or an expression, arguments to differentiate, drawing options (by name,
or as KEY=VALUE text) and the names of nodes to mark. Each check is made here once. Its errors call
those arguments by the library's names (`graphviz_ad.errors.ARGUMENTS`: at, wrt, expr, option,
highlight, ...); a front end shows them in its own words with `GraphvizAdError.worded` (the command
line says --at, a docs page :at:).
"""

import os

from .dot import OPTIONS, check_options, option_from_text
from .errors import InputError, RenderError, TargetError, worded_error
from .targets import load_target


def load(target=None, expr=None, *, base_dir=None, allow_code=True):
    """The Target of a TARGET text or of an expression: exactly one of them must be given.

    Args:
        target: ``path/to/file.py:function``, ``package.module:function`` or a sample's name.
        expr: a math expression instead (see `graphviz_ad.expression`).
        base_dir: the folder a relative ``file.py`` path is read from; default the current one.
        allow_code: False refuses file and module targets, which run code (see `load_target`).

    Raises:
        TargetError: both or neither given, or the TARGET cannot be loaded (see `load_target`).
    """
    target, expr = (target or "").strip(), (expr or "").strip()
    if target and expr:
        raise worded_error(TargetError, "give either TARGET ({target!r}) or {expr}, not both", {"target": target})
    if not target and not expr:
        raise worded_error(TargetError, "missing TARGET (none was given): give path/to/file.py:function, "
                                        "package.module:function, a sample's name, or {expr} 'EXPRESSION'")
    if expr:
        return load_target(expr, expr=True)
    return load_target(resolve_file(target, base_dir) if base_dir else target, allow_code=allow_code)


def resolve_file(target, base_dir):
    """A ``file.py:function`` TARGET with a relative path made relative to `base_dir`."""
    location, sep, attr = target.rpartition(":")
    if not sep or not (location.endswith(".py") or "/" in location) or os.path.isabs(location):
        return target
    return f"{os.path.normpath(os.path.join(base_dir, location))}:{attr}"


def drawing_options(named=None, extra=()):
    """The drawing options a user gave, checked before any work is done.

    Args:
        named: option name -> its value, or the value's text ("1e-4", "true", "none", "TB").
        extra: more options as ``KEY=VALUE`` texts (the command line's -O, a docs page's :option:).

    Returns:
        dict of the options given (not the defaults), for `render` / `to_html`.

    Raises:
        RenderError: an item that is not KEY=VALUE, an unknown option, or an invalid value.
    """
    options = {k: option_from_text(v) if isinstance(v, str) else v for k, v in (named or {}).items()}
    for item in extra:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise worded_error(RenderError, "{option} {item!r}: expected KEY=VALUE, e.g. vanishing=1e-4",
                               {"item": item})
        if key not in OPTIONS:
            raise worded_error(RenderError, "{option} {key}: unknown drawing option; the options are {known}",
                               {"key": key, "known": ", ".join(sorted(OPTIONS))})
        options[key] = option_from_text(value)
    check_options(options)
    return options


def highlight_named(G, names, report=None):
    """The renderer's highlight: `report`'s marks (from `diagnose`, if given) and the mark "highlight"
    on every node called one of `names`.

    With no names the report itself is returned, so the interactive page can list its findings.

    Raises:
        InputError: no node is called one of `names` (the message lists the names there are).
    """
    if not names:
        return report
    nodes = dict(report.nodes) if report is not None else {}
    edges = dict(report.edges) if report is not None else {}
    for name in names:
        found = [n for n, data in G.nodes(data=True) if data.get("name") == name]
        if not found:
            known = ", ".join(sorted({data["name"] for _, data in G.nodes(data=True)}))
            raise worded_error(InputError, "{highlight} {input}: no node is called {input!r}; names: {known}",
                               {"input": name, "known": known}, name=name)
        nodes.update({n: "highlight" for n in found})
    return {"nodes": nodes, "edges": edges}
