"""Collection rules for the whole repository (tests/ and the library's doctests)."""

import importlib.util
import os

# The PyTorch front end is an optional extra: without torch its modules are not collected for doctests
# (tests/test_torch*.py skip themselves, saying why). CI installs torch, so there nothing is skipped.
collect_ignore_glob = []
if importlib.util.find_spec("torch") is None and os.environ.get("CI") != "true":
    collect_ignore_glob.append("graphviz_ad/torch/*")
