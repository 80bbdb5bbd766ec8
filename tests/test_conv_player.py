"""The player on a conv net: the recording follows the ConvStepper, a shared weight's connections move together."""

import os
from pathlib import Path

import pytest

from graphnet import Conv, ConvNetwork, MaxPool
from graphnet.graph.conv import KernelConnection
from graphnet.math.errors import IncompatibleError
from graphnet.views.convsvg import conv_network_svg
from graphnet.views.player import player_html, record, write_player

X = [0.1 * i for i in range(9)]
T = [0.5, 0.2]


def make():
    return ConvNetwork([(1, 3, 3), Conv(1, 2), MaxPool(2), 2], activation="tanh", seed=0)


def test_the_recording_has_every_step_and_a_shared_update_moves_every_connection():
    net = make()
    stepper = net.stepper(X, T, rate=0.5)
    recording = record(stepper)
    assert len(recording.steps) == stepper.total and stepper.position == 0
    entry = net.kernel(1)[0, 0, 1, 1]
    numbers = [recording.connection_labels.index(c.label) for c in entry.connections]
    (update,) = [s for s in recording.steps if s.event.phase == "update" and s.event.label == entry.label]
    assert sorted(c.index for c in update.changes) == sorted(numbers)
    assert len({(c.before, c.after) for c in update.changes}) == 1  # one weight, the same change everywhere
    (total,) = [s for s in recording.steps if s.event.phase == "gradient" and s.event.label == entry.label]
    assert total.changes == ()
    assert set(total.uses) == {f"conn-{c.upstream.label}-{c.downstream.label}" for c in entry.connections}
    final = recording.state(recording.total)
    stepper.run()
    assert [final["weight"][n] for n in numbers] == [entry.weight] * len(numbers)
    assert final["output"] == [n.output for layer in net.layers for n in layer.nodes]


def test_the_page_is_self_contained_and_draws_every_connection():
    html = player_html(make().stepper(X, T))
    assert html.startswith("<!DOCTYPE html>") and "http" not in html.replace("http://www.w3.org/2000/svg", "")
    svg = conv_network_svg(make(), highlight="K1[0,0,0,1]")
    assert svg.count('data-shared="K1[0,0,0,1]"') == 4
    assert svg.count('class="conn kernel shared"') == 4
    assert svg.count('class="conn pool"') == 4
    with pytest.raises(IncompatibleError, match="shared weight"):
        conv_network_svg(make(), highlight="K9[0]")
    big = ConvNetwork([(1, 8, 8), Conv(1, 3), 2], seed=0)
    with pytest.raises(IncompatibleError, match="at most 40 nodes per layer"):
        conv_network_svg(big)


CHROMIUM = Path("/usr/bin/chromium")


def test_the_player_in_a_browser_highlights_a_shared_weight_and_shows_its_sum(tmp_path):
    if not CHROMIUM.exists() and not os.environ.get("CI"):
        pytest.skip(f"{CHROMIUM} is missing")
    sync_api = pytest.importorskip("playwright.sync_api")
    net = make()
    stepper = net.stepper(X, T, rate=0.5)
    events = stepper.run()
    entry = net.kernel(1)[0, 0, 0, 0]
    sum_event = next(e for e in events if e.phase == "gradient" and e.label == entry.label)
    path = write_player(make().stepper(X, T, rate=0.5), tmp_path / "player.html")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"])
        page = browser.new_page(viewport={"width": 1200, "height": 820})
        problems = []
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto(path.as_uri())
        for _ in range(sum_event.index + 1):
            page.keyboard.press("ArrowRight")
        # typeset with MathML; the text itself is the element's title
        assert page.get_attribute("#formula", "title") == sum_event.formula
        assert page.get_attribute("#numbers", "title") == sum_event.numbers
        assert page.eval_on_selector_all("#numbers > *", "es => es.map(e => e.localName)") == ["math"]
        marked = set(page.eval_on_selector_all(".used, .current", "elements => elements.map(e => e.id)"))
        shared = {
            f"conn-{c.upstream.label}-{c.downstream.label}"
            for c in entry.connections
            if isinstance(c, KernelConnection)
        }
        assert shared <= marked
        page.keyboard.press("End")
        strokes = page.eval_on_selector_all(
            "line.kernel", "lines => lines.map(l => [l.dataset.shared, l.getAttribute('stroke')])"
        )
        by_weight = {}
        for label, colour in strokes:
            by_weight.setdefault(label, set()).add(colour)
        assert all(len(colours) == 1 for colours in by_weight.values())  # one weight, one colour
        browser.close()
        assert not problems, problems


def test_the_dump_lists_each_shared_weight_with_its_gradient_then_every_node():
    net = make()
    net.forward(X)
    net.backward(T)
    text = net.dump()
    entry = net.kernel(1)[0, 0, 1, 0]
    assert text.startswith(repr(net)) and "layer 1 (Conv(1, 2) → 1x2x2):" in text
    assert f"K1[0,0,1,0] = {entry.weight:f}  ∂E/∂K: {entry.gradient:.6g}  (4 connections)" in text
    assert "b1[0] = " in text and "3-1: output:" in text
    with pytest.raises(IncompatibleError, match="graph names only"):
        net.dump(names="textbook")
    assert net.to_svg(highlight="K1[0,0,1,0]") == conv_network_svg(net, highlight="K1[0,0,1,0]")
    assert net._repr_svg_().startswith("<svg")
