"""benchmarks/hips_autograd_tests.py on a stand-in checkout: passes are counted, a failure is named with
its reason, a complex-only test is counted apart, and a numpy function taken before the trace still
reads lists of traced values (the adapter's late-bound numpy)."""

import pathlib
import subprocess
import sys

RUNNER = pathlib.Path(__file__).resolve().parent.parent / "benchmarks" / "hips_autograd_tests.py"

TESTS = '''
import autograd.numpy as np
from autograd import grad
from autograd.test_util import check_grads, combo_check


def test_tanh():
    check_grads(np.tanh)(np.array([0.3, -1.2]))


def test_append_lists():
    check_grads(np.append, argnum=(0, 1))([[1.0, 2.0]], [[3.0, 4.0]], axis=0)


def test_sum_combos():
    combo_check(np.sum, (0,))([np.array([[1.0, 2.0], [3.0, 5.0]])], axis=[None, 0], keepdims=[True, False])


def test_grad_value():
    assert grad(lambda x: x * x)(3.0) == 6.0


def test_floor_at_its_step():
    check_grads(np.floor)(1.0)


def test_complex_only():
    check_grads(np.exp)(1.0 + 2.0j)
'''


def test_runner_counts_and_names(tmp_path):
    tests = tmp_path / "tests"
    tests.mkdir()
    for name in ("conftest.py", "numpy_utils.py", "test_systematic.py", "test_scalar_ops.py",
                 "test_binary_ops.py", "test_linalg.py", "test_truediv.py"):
        (tests / name).write_text("")
    (tests / "test_numpy.py").write_text(TESTS)
    done = subprocess.run([sys.executable, str(RUNNER), str(tmp_path), "--timeout", "300"],
                          capture_output=True, text=True, timeout=360)
    lines = done.stdout.splitlines()
    assert lines[0].startswith("HIPS autograd first-order numpy tests on graphviz_ad: 4/5 passed (80.0%)"), done.stdout + done.stderr
    assert "1 more check only complex values" in lines[0]
    assert any(line.startswith("  failed: test_numpy.py::test_floor_at_its_step: AssertionError: <v, J u>")
               for line in lines), done.stdout
    assert "  out of scope: test_numpy.py::test_complex_only: complex values" in lines
    assert done.returncode == 1   # a failure that is not known to be inapplicable


def test_runner_refuses_a_folder_that_is_no_checkout(tmp_path):
    done = subprocess.run([sys.executable, str(RUNNER), str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert done.stderr.strip().startswith("error:") and "not the tests folder of an autograd checkout" in done.stderr
