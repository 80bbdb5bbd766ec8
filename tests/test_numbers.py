"""The one number writer (graphnet.math.numbers): decimal places as a worked example prints them, and ASCII."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graphnet.math.errors import GraphnetError
from graphnet.math.numbers import MIN_SIGNIFICANT, check_digits, format_number, to_ascii


def test_the_worked_examples_numbers():
    # Mazur's walk-through: ∂E/∂w5 = 0.082167041, δ(o1) = 0.138498562, E = 0.298371109
    assert format_number(0.0821670405, 4) == "0.0822"
    assert format_number(0.0821670405, 8) == "0.08216704"
    assert format_number(0.1384985616, 4) == "0.1385"
    assert format_number(0.2983711087600027, 10) == "0.2983711088"
    assert format_number(1.10590597, 4) == "1.1059"
    assert format_number(0.4, 4) == "0.4" and format_number(1.0) == "1" and format_number(-0.0) == "0"
    assert format_number(0.0087713547, 4) == "0.00877"  # never fewer than 3 significant digits
    assert format_number(-0.0000123456, 4) == "−1.235e−05"
    assert format_number(123456789.123, 4) == "123456789.123"
    assert format_number(math.inf) == "inf" and format_number(math.nan) == "nan"


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12), st.integers(1, 16))
def test_a_written_number_is_the_value_to_its_places(value, digits):
    text = format_number(value, digits)
    written = float(text.replace("−", "-"))
    size = abs(value)
    if size < 1e-4:
        assert written == pytest.approx(value, rel=10.0 ** (1 - digits), abs=1e-300)
    elif size >= 1e6:
        assert written == pytest.approx(value, rel=1e-14)
    else:
        # within half a unit of the last place shown, and at least MIN_SIGNIFICANT digits
        places = len(text.split(".")[1]) if "." in text else 0
        assert abs(written - value) <= 0.5 * 10.0**-places * (1 + 1e-9) + 1e-15 * size
        assert abs(written - value) <= 0.5 * 10 ** (1 - MIN_SIGNIFICANT) * size * (1 + 1e-9)
        assert places <= max(digits, MIN_SIGNIFICANT - (math.floor(math.log10(size)) + 1))
    assert "-" not in text and (text.startswith("−") == (written < 0))


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_seventeen_places_give_back_every_float64(value):
    assert float(format_number(value, 17).replace("−", "-")) == value


def test_digits_are_checked():
    assert check_digits(1) == 1 and check_digits(17) == 17
    for bad in (0, 18, 2.5, True, "4"):
        with pytest.raises(GraphnetError, match="digits"):
            check_digits(bad)


def test_ascii_is_python_arithmetic():
    line = "δ(h1) = 0.5933·0.4067·(0.4·0.1385 + 0.5·(−0.0381)) = 0.00877"
    text = to_ascii(line)
    assert text == "delta(h1) = 0.5933*0.4067*(0.4*0.1385 + 0.5*(-0.0381)) = 0.00877"
    assert text.isascii() and eval(text.split(" = ")[1]) == pytest.approx(0.00877, rel=1e-3)
    assert to_ascii("(1−(−0.0169)²)") == "(1-(-0.0169)**2)"
    assert to_ascii("e^(−0.3)/(e^0.2 + e^(−0.3))") == "exp(-0.3)/(exp(0.2) + exp(-0.3))"
    cut = to_ascii("net = (0.1·0.2 + (779 more terms: −0.5) + 0.3·1) = −0.18")
    assert cut == "net = (0.1*0.2 + (-0.5) + 0.3*1) = -0.18  # -0.5: 779 more terms"
    assert eval(cut.split(" = ")[1]) == pytest.approx(-0.18)
    assert to_ascii("w5 ← w − η·∂E/∂w") == "w5 <- w - eta*dE/dw"
