"""HIPS autograd's own first-order gradient tests on real-valued numpy functions, run on graphviz_ad.

    python benchmarks/hips_autograd_tests.py PATH/TO/autograd-checkout

Copies the reverse-mode numpy test files of an autograd checkout (its tests/ folder: test_systematic.py,
test_numpy.py, test_scalar_ops.py, test_binary_ops.py, test_linalg.py, test_truediv.py and their
helpers) into a scratch folder and runs them with pytest, with `import autograd` answered by our
adapter (benchmarks/autograd_adapter), never by the checkout's own package. Prints the pass count, the
percentage, and every test that did not pass with its reason (a reason of ours where the test is known
not to apply, else pytest's error). Complex-valued checks are out of scope and not run.
"""

import argparse
import collections
import json
import os
import pathlib
import resource
import shutil
import subprocess
import sys
import tempfile

TEST_FILES = ("test_systematic.py", "test_numpy.py", "test_scalar_ops.py", "test_binary_ops.py",
              "test_linalg.py", "test_truediv.py")
HELPER_FILES = ("conftest.py", "numpy_utils.py")
ADAPTER = pathlib.Path(__file__).resolve().parent / "autograd_adapter"

# Tests that fail for a reason outside first-order reverse mode on numpy: the reason, said by us.
NOT_APPLICABLE = {
    "test_linalg.py::test_pinv": "calls np.linalg._dot, a private helper of autograd's own numpy wrapper",
    "test_numpy.py::test_make_diagonal": "np.make_diagonal exists only in autograd's numpy wrapper",
    "test_numpy.py::test_diagonal": "uses np.make_diagonal, which exists only in autograd's numpy wrapper",
    "test_scalar_ops.py::test_power_arg0": "differentiates a gradient (second order); graphviz_ad is first order",
    "test_linalg.py::test_eig_real": "its random 8x8 matrix has complex eigenvalues (the test takes absolute "
                                     "values): complex numbers are out of scope; eig of a matrix whose "
                                     "eigenvalues are all real is differentiated",
}


def _bounded():
    """The pytest child: at most 6 GiB of memory, so a runaway test cannot take the machine down."""
    limit = 6 * 2**30
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def run(checkout, timeout):
    tests = pathlib.Path(checkout) / "tests"
    missing = [name for name in TEST_FILES + HELPER_FILES if not (tests / name).is_file()]
    if missing:
        sys.exit(f"error: {tests} is not the tests folder of an autograd checkout (no {', '.join(missing)})")
    with tempfile.TemporaryDirectory() as scratch:
        for name in TEST_FILES + HELPER_FILES:
            shutil.copy(tests / name, scratch)
        outcomes = pathlib.Path(scratch) / "outcomes.jsonl"
        env = dict(os.environ, OUTCOMES_FILE=str(outcomes), PYTHONPATH=str(ADAPTER), PYTHONDONTWRITEBYTECODE="1")
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
                   "-p", "outcomes_plugin", "-W", "ignore::DeprecationWarning", "--rootdir", scratch,
                   "-c", os.devnull, *TEST_FILES]
        try:
            done = subprocess.run(command, cwd=scratch, env=env, capture_output=True, text=True,
                                  timeout=timeout, preexec_fn=_bounded)
        except subprocess.TimeoutExpired:
            sys.exit(f"error: the tests did not finish within {timeout} s")
        lines = outcomes.read_text().splitlines() if outcomes.exists() else []
        if not lines:
            sys.exit("error: pytest ran no test:\n" + done.stdout[-3000:] + done.stderr[-3000:])
        return [json.loads(line) for line in lines], done


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkout", help="a checkout of github.com/HIPS/autograd")
    parser.add_argument("--timeout", type=float, default=900, help="seconds for the whole run (default 900)")
    args = parser.parse_args()
    results, done = run(args.checkout, args.timeout)
    counts = collections.Counter(r["outcome"] for r in results)
    scored = [r for r in results if r["outcome"] != "out of scope"]
    passed = counts["passed"]
    print(f"HIPS autograd first-order numpy tests on graphviz_ad: {passed}/{len(scored)} passed "
          f"({100 * passed / len(scored):.1f}%); {len(scored) - passed} did not, each named below; "
          f"{counts['out of scope']} more check only complex values (out of scope) and are not counted")
    for r in results:
        if r["outcome"] in ("passed", "out of scope"):
            continue
        test = r["test"]
        if test in NOT_APPLICABLE:
            print(f"  not applicable: {test}: {NOT_APPLICABLE[test]} [pytest: {r['reason'][:100]}]")
        else:
            print(f"  {r['outcome']}: {test}: {r['reason']}")
    for r in results:
        if r["outcome"] == "out of scope":
            print(f"  out of scope: {r['test']}: {r['reason']}")
    unknown = [r for r in results if r["outcome"] == "failed" and r["test"] not in NOT_APPLICABLE]
    return 1 if unknown else 0


if __name__ == "__main__":
    sys.exit(main())
