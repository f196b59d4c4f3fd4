"""A pytest plugin for benchmarks/hips_autograd_tests.py: one JSON line per test, in the file named by
$OUTCOMES_FILE, saying passed / failed (with the error's first line) / out of scope (only complex or
forward-mode checks, none of them run)."""

import json
import os

import pytest

from autograd import test_util


def pytest_runtest_setup(item):
    test_util.CHECKS.clear()
    test_util.OUT_OF_SCOPE.clear()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    report = (yield).get_result()
    if report.when != "call" and not (report.when == "setup" and report.failed):
        return
    if report.passed and not test_util.CHECKS and test_util.OUT_OF_SCOPE:
        outcome, reason = "out of scope", ", ".join(sorted(set(test_util.OUT_OF_SCOPE)))
    elif report.passed:
        outcome, reason = "passed", ""
    elif report.skipped:
        outcome, reason = "skipped", str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else ""
    else:
        outcome = "failed"
        crash = getattr(report.longrepr, "reprcrash", None)
        reason = crash.message.splitlines()[0] if crash is not None else str(report.longrepr).splitlines()[-1]
    with open(os.environ["OUTCOMES_FILE"], "a") as f:
        f.write(json.dumps({"test": item.nodeid, "outcome": outcome, "reason": reason}) + "\n")
