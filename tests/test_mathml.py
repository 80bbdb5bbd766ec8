"""MathML formulas (graphnet.views.mathml): the same formula as the text, typeset for browsers and notebooks."""

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphnet import Network
from graphnet.views.mathml import formula_mathml

MATHML = "{http://www.w3.org/1998/Math/MathML}"


def parse(html):
    """The HTML of an event as XML (MathML in its namespace), so its structure can be inspected."""
    return ET.fromstring(html.replace("<math", f'<math xmlns="{MATHML[1:-1]}"', -1))


def characters(element):
    return "".join(element.itertext()).replace("\xa0", "").replace(" ", "")


def bare(text):
    """What MathML writes as characters: no spaces, no ``_`` (a subscript), no ``^``, ``√`` (drawn, not written)."""
    return text.replace(" ", "").replace("_", "").replace("^", "").replace("²", "2").replace("ᵗ", "t").replace("√", "")


def events(optimizer=None, **kwargs):
    net = Network([2, 3, 2], seed=3, **kwargs)
    target = [0.0, 1.0] if kwargs.get("loss") == "categorical_cross_entropy" else [0.01, 0.99]
    return net.stepper([0.05, 0.1], target, rate=0.5, optimizer=optimizer).run()


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"activation": "tanh", "optimizer": "adam"},
        {"output_activation": "softmax", "loss": "categorical_cross_entropy"},
        {"activation": "relu", "loss": "mean_squared_error", "dropout": 0.5},
    ],
)
def test_an_events_notebook_view_is_its_line_and_its_two_formulas_in_mathml(kwargs):
    for event in events(**kwargs):
        root = parse(event._repr_html_())
        maths = root.findall(f".//{MATHML}math")
        assert len(maths) == 2
        assert [characters(m) for m in maths] == [bare(event.formula), bare(event.numbers)]
        assert f"[{event.index}]" in "".join(root.find("div").itertext())


def test_structure_squares_groups_subscripts_and_labels():
    math = parse(formula_mathml("δ(1-0) = (1−(−0.0169)²)·Σ_k w_kj·δ_k"))
    power = math.find(f"{MATHML}mrow/{MATHML}msup")
    assert power is not None and characters(power) == "(−0.0169)2"  # the whole group is squared
    assert [characters(s) for s in math.iter(f"{MATHML}msub")] == ["Σk", "wkj", "δk"]
    assert math.find(f"{MATHML}mrow/{MATHML}mi").text == "1-0"  # a label, not 1 minus 0
    textbook = parse(formula_mathml("∂E/∂w5 = 0.1385·0.5933 = 0.0822"))
    assert [characters(s) for s in textbook.iter(f"{MATHML}msub")] == ["w5"]
    root = parse(formula_mathml("w ← w − η·m̂/(√v̂ + ε)"))
    assert root.find(f".//{MATHML}msqrt") is not None


@settings(max_examples=200)
@given(st.text(alphabet="0123456789.()+−·/=← abwδηΣk²√", max_size=40))
def test_any_text_gives_well_formed_mathml_with_the_same_characters(text):
    math = parse(formula_mathml(text))
    assert characters(math) == bare(text)
