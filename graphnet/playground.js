// The playground page of graphnet.views.playground: replays a training run epoch by epoch.
// Everything it shows is computed here from the run's JSON (no network access): each map is
// the forward pass o = f(W·x + b), layer by layer, at every point of a grid over the plane.
(function () {
  "use strict";
  const run = JSON.parse(document.getElementById("run-data").textContent);
  const sizes = run.sizes;
  const frames = run.frames;
  const RES = 64; // grid points per side of every map
  const BLUE = [8, 119, 189];
  const ORANGE = [245, 147, 34];
  const PALETTE = [ORANGE, BLUE, [44, 160, 44], [214, 39, 40], [148, 103, 189], [140, 86, 75],
    [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207]];

  // --- the plane: the data's range plus 10 %, the same scale on both axes ---------------------
  const xs = run.points.map((p) => p[0]);
  const ys = run.points.map((p) => p[1]);
  const centre = [(Math.min(...xs) + Math.max(...xs)) / 2, (Math.min(...ys) + Math.max(...ys)) / 2];
  const half = 1.1 * Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys), 1e-9) / 2;
  const low = [centre[0] - half, centre[1] - half];
  const span = 2 * half;
  function gridPoint(i, j) { // column i (left to right), row j (top to bottom)
    return [low[0] + span * (i + 0.5) / RES, low[1] + span * (1 - (j + 0.5) / RES)];
  }

  // --- the forward pass ------------------------------------------------------------------------
  function activate(name, alpha, z) {
    switch (name) {
      case "sigmoid": return z.map((v) => 1 / (1 + Math.exp(-v)));
      case "tanh": return z.map(Math.tanh);
      case "relu": return z.map((v) => (v > 0 ? v : 0));
      case "leaky_relu": return z.map((v) => (v > 0 ? v : alpha * v));
      case "identity": return z.slice();
      case "step": return z.map((v) => (v >= 0 ? 1 : 0));
      case "softmax": {
        const top = Math.max(...z);
        const e = z.map((v) => Math.exp(v - top));
        const sum = e.reduce((a, b) => a + b, 0);
        return e.map((v) => v / sum);
      }
      default: throw new Error("unknown activation " + name);
    }
  }
  function forward(frame, x) { // the outputs of every layer, the inputs first
    const outputs = [x];
    let o = x;
    for (let l = 0; l < frame.W.length; l++) {
      const W = frame.W[l];
      const b = frame.b[l];
      const z = W.map((row, k) => row.reduce((sum, w, i) => sum + w * o[i], b ? b[k] : 0));
      o = activate(run.activations[l], run.alpha[l], z);
      outputs.push(o);
    }
    return outputs;
  }

  // --- colours ---------------------------------------------------------------------------------
  function blend(colour, weight) { // white → colour
    return colour.map((c) => Math.round(255 + (c - 255) * weight));
  }
  function diverging(v) { // v in [−1, 1]: orange below 0, blue above
    const t = Math.max(-1, Math.min(1, v));
    return t < 0 ? blend(ORANGE, -t * 0.85) : blend(BLUE, t * 0.85);
  }
  function unitScale(name, values) { // a unit's outputs over the grid → [−1, 1]
    if (name === "tanh") return values;
    if (name === "sigmoid" || name === "step" || name === "softmax") return values.map((v) => 2 * v - 1);
    const top = Math.max(...values.map(Math.abs), 1e-12);
    if (name === "relu") return values.map((v) => 2 * v / top - 1); // 0 (off) orange, its largest blue
    return values.map((v) => v / top);
  }
  function paint(canvas, colours) {
    const ctx = canvas.getContext("2d");
    const image = ctx.createImageData(RES, RES);
    colours.forEach((c, n) => {
      image.data.set([c[0], c[1], c[2], 255], 4 * n);
    });
    ctx.putImageData(image, 0, 0);
  }

  // --- the network drawing ---------------------------------------------------------------------
  const network = document.getElementById("network");
  const widest = Math.max(...sizes);
  const node = Math.max(18, Math.min(48, Math.floor(560 / widest) - 8));
  const gap = node + 8;
  const columnGap = Math.max(120, node * 3);
  const height = widest * gap + 30;
  const width = (sizes.length - 1) * columnGap + node + 40;
  network.style.width = width + "px";
  network.style.height = height + "px";
  const svgNS = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(svgNS, "svg");
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  network.appendChild(svg);
  const position = sizes.map((n, l) => Array.from({ length: n }, (_, k) => [
    20 + l * columnGap, 20 + (height - 20 - n * gap) / 2 + k * gap,
  ]));
  const lines = [];
  for (let l = 1; l < sizes.length; l++) {
    for (let k = 0; k < sizes[l]; k++) {
      for (let i = 0; i < sizes[l - 1]; i++) {
        const line = document.createElementNS(svgNS, "line");
        const [x1, y1] = position[l - 1][i];
        const [x2, y2] = position[l][k];
        line.setAttribute("x1", x1 + node);
        line.setAttribute("y1", y1 + node / 2);
        line.setAttribute("x2", x2);
        line.setAttribute("y2", y2 + node / 2);
        svg.appendChild(line);
        lines.push({ line, l: l - 1, k, i });
      }
    }
  }
  const canvases = sizes.map((n, l) => position[l].map(([x, y], k) => {
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = RES;
    canvas.style.left = x + "px";
    canvas.style.top = y + "px";
    canvas.style.width = canvas.style.height = node + "px";
    canvas.dataset.layer = l;
    canvas.dataset.unit = k;
    network.appendChild(canvas);
    return canvas;
  }));
  ["x1", "x2"].forEach((name, k) => {
    const label = document.createElement("span");
    label.className = "label";
    label.textContent = name;
    label.style.left = "2px";
    label.style.top = position[0][k][1] + node / 2 - 8 + "px";
    network.appendChild(label);
  });

  // --- the curves ------------------------------------------------------------------------------
  function drawCurves(canvas, series, { log, lowest, highest, percent }, epoch) {
    const ctx = canvas.getContext("2d");
    const W = canvas.width;
    const H = canvas.height;
    const left = 58;
    const bottom = H - 24;
    ctx.clearRect(0, 0, W, H);
    const n = Math.max(1, ...series.map((s) => s.values.length));
    const f = (v) => (log ? Math.log10(v) : v);
    const yLow = f(lowest);
    const yHigh = f(highest) > yLow ? f(highest) : yLow + 1;
    const X = (e) => left + (W - left - 10) * (e / n);
    const Y = (v) => bottom - (bottom - 8) * (f(v) - yLow) / (yHigh - yLow);
    ctx.strokeStyle = "#9ca3af";
    ctx.lineWidth = 1;
    ctx.strokeRect(left, 8, W - left - 10, bottom - 8);
    ctx.fillStyle = "#374151";
    ctx.font = "13px Helvetica, Arial, sans-serif";
    const label = (v) => (percent ? (100 * v).toFixed(0) + "%" : v.toPrecision(2));
    ctx.fillText(label(highest), 2, 18);
    ctx.fillText(label(lowest), 2, bottom);
    ctx.fillText("epoch " + n, W - 70, H - 6);
    ctx.fillText(log ? "log scale" : "", left + 4, H - 6);
    series.forEach((s) => {
      ctx.strokeStyle = s.colour;
      ctx.lineWidth = 2.5;
      ctx.beginPath();
      s.values.forEach((v, e) => {
        const point = [X(e + 1), Y(Math.max(v, lowest))];
        if (e === 0) ctx.moveTo(...point); else ctx.lineTo(...point);
      });
      ctx.stroke();
    });
    ctx.strokeStyle = "#111827";
    ctx.setLineDash([4, 3]);
    ctx.beginPath();
    ctx.moveTo(X(epoch), 8);
    ctx.lineTo(X(epoch), bottom);
    ctx.stroke();
    ctx.setLineDash([]);
  }
  const losses = run.losses;
  const positive = losses.filter((v) => v > 0 && isFinite(v));
  const logLoss = positive.length === losses.length && losses.length > 0 &&
    Math.max(...positive) > 10 * Math.min(...positive);
  const accuracyValues = run.accuracies.concat(run.test_accuracies);
  const accuracyLow = accuracyValues.length ? Math.max(0, Math.floor(20 * Math.min(...accuracyValues) - 1) / 20) : 0;

  // --- one frame -------------------------------------------------------------------------------
  const boundary = document.getElementById("boundary");
  const offscreen = document.createElement("canvas");
  offscreen.width = offscreen.height = RES;
  const slider = document.getElementById("slider");
  const status = document.getElementById("status");
  slider.max = frames.length - 1;
  let current = 0;

  function show(index) {
    current = Math.max(0, Math.min(frames.length - 1, index));
    const frame = frames[current];
    const grid = [];
    for (let j = 0; j < RES; j++) for (let i = 0; i < RES; i++) grid.push(forward(frame, gridPoint(i, j)));
    for (let l = 0; l < sizes.length; l++) {
      for (let k = 0; k < sizes[l]; k++) {
        const values = grid.map((outputs) => outputs[l][k]);
        const scaled = l === 0 ? values.map((v, n) => (v - centre[k]) / half) : unitScale(run.activations[l - 1], values);
        paint(canvases[l][k], scaled.map(diverging));
        if (l > 0) canvases[l][k].title = "b = " + (frame.b[l - 1] ? frame.b[l - 1][k].toFixed(3) : "none");
      }
    }
    const last = sizes.length - 1;
    const colours = grid.map((outputs) => {
      const o = outputs[last];
      if (o.length === 1) return diverging(2 * o[0] - 1);
      const best = o.indexOf(Math.max(...o));
      const sum = o.reduce((a, b) => a + Math.max(b, 0), 0) || 1;
      return blend(PALETTE[best % PALETTE.length], 0.2 + 0.6 * Math.max(o[best], 0) / sum);
    });
    paint(offscreen, colours);
    const ctx = boundary.getContext("2d");
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(offscreen, 0, 0, boundary.width, boundary.height);
    run.points.forEach(([x, y], n) => {
      const px = (x - low[0]) / span * boundary.width;
      const py = (1 - (y - low[1]) / span) * boundary.height;
      const c = PALETTE[run.labels[n] % PALETTE.length];
      ctx.beginPath();
      ctx.arc(px, py, 4, 0, 2 * Math.PI);
      ctx.fillStyle = "rgb(" + c.join(",") + ")";
      ctx.fill();
      ctx.strokeStyle = "#1f2937";
      ctx.lineWidth = 1;
      ctx.stroke();
    });
    lines.forEach(({ line, l, k, i }) => {
      const w = frame.W[l][k][i];
      line.setAttribute("stroke", w >= 0 ? "rgb(8,119,189)" : "rgb(245,147,34)");
      line.setAttribute("stroke-width", Math.min(8, 0.4 + 1.6 * Math.abs(w)).toFixed(2));
      line.setAttribute("stroke-opacity", Math.min(1, 0.25 + 0.5 * Math.abs(w)).toFixed(2));
      line.dataset.weight = w;
    });
    const epoch = frame.epoch;
    drawCurves(document.getElementById("loss"), [{ values: losses, colour: "#2563eb" }],
      { log: logLoss, lowest: logLoss ? Math.min(...positive) : Math.min(0, ...losses),
        highest: Math.max(...losses, 1e-12), percent: false }, epoch);
    drawCurves(document.getElementById("accuracy"),
      [{ values: run.accuracies, colour: "#16a34a" }, { values: run.test_accuracies, colour: "#ea580c" }],
      { log: false, lowest: accuracyLow, highest: 1, percent: true }, epoch);
    const parts = ["epoch " + epoch + " of " + losses.length];
    if (epoch > 0) {
      parts.push("loss " + losses[epoch - 1].toPrecision(4));
      parts.push("training " + (100 * run.accuracies[epoch - 1]).toFixed(1) + "%");
      if (run.test_accuracies.length) parts.push("test " + (100 * run.test_accuracies[epoch - 1]).toFixed(1) + "%");
    } else {
      parts.push("before training");
    }
    status.textContent = parts.join(" · ");
    slider.value = current;
    document.body.dataset.frame = current;
    document.body.dataset.epoch = epoch;
  }

  // --- play, pause, slider, keys ---------------------------------------------------------------
  const play = document.getElementById("play");
  let timer = null;
  function pause() {
    if (timer !== null) clearInterval(timer);
    timer = null;
    play.textContent = "▶ play";
  }
  function start() {
    if (current >= frames.length - 1) show(0);
    play.textContent = "⏸ pause";
    timer = setInterval(() => {
      if (current >= frames.length - 1) pause(); else show(current + 1);
    }, 60);
  }
  play.addEventListener("click", () => (timer === null ? start() : pause()));
  slider.addEventListener("input", () => { pause(); show(Number(slider.value)); });
  document.addEventListener("keydown", (event) => {
    if (event.key === " ") { event.preventDefault(); play.click(); }
    if (event.key === "ArrowRight") { pause(); show(current + 1); }
    if (event.key === "ArrowLeft") { pause(); show(current - 1); }
  });
  window.playground = {
    frames: frames.length,
    epochs: frames.map((f) => f.epoch),
    show,
    forward: (index, x) => forward(frames[index], x),
    playing: () => timer !== null,
  };
  show(0);
})();
