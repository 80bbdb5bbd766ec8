import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from graphnet.math.activations import BUILTIN_ACTIVATIONS, Activation, Softmax, get_activation
from graphnet.math.errors import GraphnetError, IncompatibleError, NotDifferentiableError, UnknownNameError

ELEMENTWISE = ["sigmoid", "tanh", "relu", "leaky_relu", "identity", "step"]
GRID = np.array([-1000.0, -30.0, -2.5, -1.0, -1e-3, 0.0, 1e-3, 0.7, 1.0, 3.0, 30.0, 1000.0])


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_scalar_and_array_forms_agree_on_a_grid_including_zero_and_1000(name):
    activation = get_activation(name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        array_values = activation.value_array(GRID)
        scalar_values = np.array([activation.value(float(z)) for z in GRID])
        np.testing.assert_allclose(array_values, scalar_values, rtol=1e-15, atol=0)
        assert np.isfinite(array_values).all()
        if activation.differentiable:
            np.testing.assert_allclose(
                activation.derivative_array(GRID),
                [activation.derivative(float(z)) for z in GRID],
                rtol=1e-15,
                atol=0,
            )


def test_reference_values_against_the_math_module():
    z = 0.37
    assert get_activation("sigmoid").value(z) == pytest.approx(1 / (1 + math.exp(-z)), rel=1e-15)
    assert get_activation("sigmoid").value(-z) == pytest.approx(1 / (1 + math.exp(z)), rel=1e-15)
    assert get_activation("tanh").value(z) == math.tanh(z)
    assert get_activation("relu").value(-z) == 0.0 and get_activation("relu").value(z) == z
    assert get_activation("leaky_relu").value(-z) == pytest.approx(-0.01 * z)
    assert get_activation("step").value(0.0) == 1.0 and get_activation("step").value(-1e-9) == 0.0
    assert get_activation("sigmoid").value(1000.0) == 1.0 and get_activation("sigmoid").value(-1000.0) == 0.0


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "leaky_relu", "identity"])
@given(z=st.floats(-20, 20).filter(lambda v: abs(v) > 1e-3))
def test_derivative_matches_central_difference(name, z):
    activation = get_activation(name)
    h = 1e-6
    numeric = (activation.value(z + h) - activation.value(z - h)) / (2 * h)
    assert activation.derivative(z) == pytest.approx(numeric, rel=1e-6, abs=1e-9)


def test_step_refuses_to_differentiate():
    with pytest.raises(NotDifferentiableError, match="no derivative"):
        get_activation("step").derivative(0.5)
    with pytest.raises(NotDifferentiableError):
        get_activation("step").derivative_array(np.zeros(3))


def test_softmax_rows_sum_to_one_and_match_scalar_layer_form():
    z = np.array([[1000.0, 999.0, -1000.0], [0.1, 0.2, 0.3]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = Softmax().value_array(z)
    np.testing.assert_allclose(values.sum(axis=1), 1.0, rtol=1e-15)
    for row, expected in zip(z, values, strict=True):
        np.testing.assert_allclose(Softmax.layer_values(row.tolist()), expected, rtol=1e-14)
    plain = np.exp(z[1]) / np.exp(z[1]).sum()
    np.testing.assert_allclose(values[1], plain, rtol=1e-14)
    with pytest.raises(IncompatibleError):
        Softmax().value(1.0)


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(UnknownNameError, match="sigmod.*known: .*sigmoid") as info:
        get_activation("sigmod")
    assert isinstance(info.value, GraphnetError) and isinstance(info.value, ValueError)
    assert str(info.value).startswith("unknown activation")


def test_a_user_defined_activation_gets_array_forms_from_the_scalar_ones():
    class Softplus(Activation):
        name = "softplus"

        def value(self, z):
            return math.log1p(math.exp(z))

        def derivative(self, z):
            return 1 / (1 + math.exp(-z))

    softplus = get_activation(Softplus())
    z = np.array([-1.0, 0.0, 2.0])
    np.testing.assert_allclose(softplus.value_array(z), np.log1p(np.exp(z)), rtol=1e-15)
    np.testing.assert_allclose(softplus.derivative_array(z), 1 / (1 + np.exp(-z)), rtol=1e-15)


def test_builtin_registry_is_complete():
    assert set(BUILTIN_ACTIVATIONS) == {*ELEMENTWISE, "softmax"}


def test_leaky_relu_rejects_bad_alpha():
    from graphnet.math.activations import LeakyReLU

    with pytest.raises(IncompatibleError, match="alpha"):
        LeakyReLU(alpha=float("nan"))
