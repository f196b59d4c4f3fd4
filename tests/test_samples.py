"""Every bundled sample traces, and meets the gradient it declares (checked by finite differences too)."""

import numpy as np
import pytest

import graphviz_ad as ga
from graphviz_ad import samples
from gradcheck import numerical_grad


@pytest.mark.parametrize("name", samples.names())
def test_sample_traces_and_meets_its_expected_gradient(name):
    sample = samples.load(name)
    assert sample.description and "\n" not in sample.description
    G = ga.trace(sample.fun, wrt=sample.wrt, **sample.inputs)
    assert G.number_of_nodes() > 1
    arg_names = list(sample.inputs)
    for arg, expected in sample.expected_grad.items():
        np.testing.assert_allclose(G.grad_of(arg), expected, rtol=1e-9, atol=1e-12,
                                   err_msg=f"{name}: d/d{arg}")
        values = [sample.inputs[a] for a in arg_names]
        k = arg_names.index(arg)
        numeric = numerical_grad(lambda *v: sample.fun(**dict(zip(arg_names, v))), values, k)
        np.testing.assert_allclose(G.grad_of(arg), numeric, rtol=1e-5, atol=1e-7,
                                   err_msg=f"{name}: d/d{arg} against finite differences")


def test_unknown_sample_lists_the_known_ones():
    with pytest.raises(KeyError, match="sigmoid"):
        samples.load("no_such_sample")
