"""What every test file shares: a fixed random state, the user model both the library's target tests
and the command line's tests load, the `needs_dot` marker, and one headless Chromium (`browser`) for
every browser test of the run (tests/browser.py drives its pages).

`needs_dot` marks a test that runs Graphviz's `dot` executable itself. Without `dot` on PATH such a test
is skipped, saying why, except under CI (CI=true), where a missing `dot` is a broken machine and fails.
"""

import os
import random
import shutil

import numpy as np
import pytest

from browser import launch

# A module of user code, as someone would write it: file targets, tracebacks, print() and warnings are
# tested against it. Line numbers matter (tests quote them): add new functions at the end. {scale} is
# loss's default scale: the library's tests read an int default, the command line's a float one (a float
# default makes an argument differentiated).
MODEL = """\
import time

import numpy as np


def loss(W, x, scale={scale}):
    \"\"\"Squared tanh activations, scaled.\"\"\"
    h = np.tanh(W @ x)
    return scale * np.sum(h**2)


def fails(x):
    y = x * 2
    return helper(y)


def helper(y):
    return {}["missing"] * y


def detaches(x):
    return float(x) * 2


def slow(x):
    time.sleep(1.1)
    return x * 2


def ignores_x(x, y):
    return y * 2


def chatty(x):
    print("hello from chatty")
    return x * 2


def _private(x):
    return x


class Net:
    @staticmethod
    def forward(x):
        return x * 3.0


THRESHOLD = 0.5
"""


@pytest.fixture(autouse=True)
def _seeded():
    """numpy's and Python's global random state fixed per test, so no test depends on the order tests run in."""
    np.random.seed(0)
    random.seed(0)


def write_model(folder, scale="2"):
    """folder/model.py holding MODEL with loss's default `scale`; its path."""
    path = folder / "model.py"
    path.write_text(MODEL.replace("{scale}", scale))
    return path


@pytest.fixture
def model(tmp_path):
    """model.py (the MODEL text, loss's scale defaulting to the int 2) in a fresh folder; its path."""
    return write_model(tmp_path)


@pytest.fixture
def float_model(tmp_path):
    """The same model.py with loss's scale defaulting to the float 2.0, so scale is differentiated too."""
    return write_model(tmp_path, scale="2.0")


def pytest_runtest_setup(item):
    if item.get_closest_marker("needs_dot") and shutil.which("dot") is None:
        reason = "needs Graphviz's `dot` on PATH (apt install graphviz, brew install graphviz)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}, and CI must have it")
        pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    yield from launch()
