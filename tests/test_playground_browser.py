"""The playground page (graphnet train --html) in headless Chromium, driven by Playwright.

The page is written by the command line for toy:spiral and for a 2-D CSV file, opened from a
file:// URL, and driven with its slider, play/pause button and keys.  What its script
computes (every map is its own forward pass) is compared with graphnet's ``predict`` under the
very parameters the page holds for that epoch.  Screenshots of the first, middle and last
epoch go to ``$GRAPHNET_SCREENSHOTS`` when that is set (else to the test's temporary folder).

Needs playwright and /usr/bin/chromium, like tests/test_player_browser.py (skipped without them).
"""

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest
from test_player_browser import ARGS, CHROMIUM, _need

from graphnet import Network
from graphnet.cli.commands import main


@pytest.fixture(scope="module")
def chromium():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need(False, 'playwright is not installed (pip install "graphnet[browser]")')
    _need(CHROMIUM.exists(), f"{CHROMIUM} is missing (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def spiral_page(tmp_path_factory):
    path = tmp_path_factory.mktemp("playground") / "spiral.html"
    assert main(["train", "--data", "toy:spiral", "--html", str(path)]) == 0
    return path


def page_data(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    found = re.search(r'<script type="application/json" id="run-data">(.*?)</script>', text, re.S)
    assert found is not None
    return json.loads(found.group(1))


def network_of(data: dict, frame: dict) -> Network:
    """A graphnet network with the sizes, activations and parameters the page holds for one frame."""
    net = Network(data["sizes"], activation=data["activations"][0], output_activation=data["activations"][-1])
    net.set_params(
        [(np.array(W), None if b is None else np.array(b)) for W, b in zip(frame["W"], frame["b"], strict=True)]
    )
    return net


def open_page(chromium, path: Path, problems: list):
    context = chromium.new_context(viewport={"width": 1500, "height": 900})
    page = context.new_page()
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("request", lambda request: None if request.url.startswith("file:") else problems.append(request.url))
    page.goto(path.as_uri())
    return context, page


def check_forward(page, data: dict, index: int) -> None:
    """The page's forward pass at a few points, every layer, equals graphnet's under the frame's parameters."""
    net = network_of(data, data["frames"][index])
    points = [[0.0, 0.0], [0.5, -0.25], [-0.8, 0.6], data["points"][0]]
    for point in points:
        layers = page.evaluate(f"playground.forward({index}, {json.dumps(point)})")
        net.forward(point)
        for outputs, layer in zip(layers[1:], net.layers[1:], strict=True):
            assert np.allclose(outputs, layer.outputs, rtol=1e-12, atol=1e-12)
        assert np.allclose(layers[-1], net.predict(np.array([point]))[0], rtol=1e-12, atol=1e-12)


def test_spiral_playground_replays_training(chromium, spiral_page, tmp_path):
    shots = Path(os.environ.get("GRAPHNET_SCREENSHOTS", tmp_path))
    data = page_data(spiral_page)
    frames = data["frames"]
    assert data["sizes"] == [2, 16, 16, 1] and frames[0]["epoch"] == 0 and frames[-1]["epoch"] == len(data["losses"])
    problems: list = []
    context, page = open_page(chromium, spiral_page, problems)
    assert page.locator("#network canvas").count() == sum(data["sizes"])  # one map per unit, inputs too
    assert page.locator("#network line").count() == 2 * 16 + 16 * 16 + 16
    middle = len(frames) // 2
    for name, index in [("first", 0), ("middle", middle), ("last", len(frames) - 1)]:
        page.locator("#slider").fill(str(index))
        epoch = frames[index]["epoch"]
        assert page.locator("body").get_attribute("data-epoch") == str(epoch)
        status = page.inner_text("#status")
        assert status.startswith(f"epoch {epoch} of {len(data['losses'])}")
        if epoch:
            shown = re.search(r"training ([0-9.]+)%", status)
            assert shown is not None and abs(float(shown.group(1)) - 100 * data["accuracies"][epoch - 1]) <= 0.051
        check_forward(page, data, index)
        weights = page.eval_on_selector_all("#network line", "lines => lines.map(l => Number(l.dataset.weight))")
        assert weights[:2] == frames[index]["W"][0][0][:2]  # drawn lines carry this epoch's weights
        page.screenshot(path=str(shots / f"playground_{name}.png"), full_page=True)
    # the page's own regions classify the training points as the final network does
    final = network_of(data, frames[-1])
    assert final.accuracy(np.array(data["points"]), np.array(data["labels"])) == pytest.approx(
        data["accuracies"][-1], abs=0.01
    )
    page.keyboard.press("Home")
    page.locator("#slider").fill("0")
    page.click("#play")
    page.wait_for_function("Number(document.body.dataset.frame) >= 3", timeout=10_000)
    page.click("#play")  # pause
    stopped = page.locator("body").get_attribute("data-frame")
    assert page.inner_text("#play").endswith("play")
    page.wait_for_timeout(300)
    assert page.locator("body").get_attribute("data-frame") == stopped
    page.keyboard.press("ArrowRight")
    assert page.locator("body").get_attribute("data-frame") == str(int(stopped) + 1)
    context.close()
    assert not problems, problems  # no script errors, no request leaving the file


def test_playground_of_a_2d_csv_file_with_three_classes(chromium, tmp_path):
    rng = np.random.default_rng(3)
    points = rng.uniform(-2, 2, (60, 2))
    radius = points[:, 0] ** 2 + points[:, 1] ** 2
    labels = (radius > 1.0).astype(int) + (radius > 2.5).astype(int)  # three classes: a softmax output
    csv = tmp_path / "disc.csv"
    csv.write_text(
        "a,b,label\n" + "".join(f"{x},{y},{t}\n" for (x, y), t in zip(points, labels, strict=True)), encoding="utf-8"
    )
    path = tmp_path / "disc.html"
    assert main(["train", "--csv", str(csv), "--epochs", "30", "--html", str(path)]) == 0
    data = page_data(path)
    assert data["sizes"][-1] == 3 and data["activations"][-1] == "softmax"
    problems: list = []
    context, page = open_page(chromium, path, problems)
    page.locator("#slider").fill(str(len(data["frames"]) - 1))
    check_forward(page, data, len(data["frames"]) - 1)
    assert page.locator("#network canvas").count() == sum(data["sizes"])
    context.close()
    assert not problems, problems
