"use strict";
// The script of graphnet's player page (graphnet.views.player inlines it into player.html).
(function () {
  const data = JSON.parse(document.getElementById("graphnet-data").textContent);
  const steps = data.steps, total = steps.length, digits = data.digits || 4;
  const state = {};
  for (const name of Object.keys(data.initial)) state[name] = data.initial[name].slice();
  let position = 0, timer = null;
  const $ = (id) => document.getElementById(id);
  const svg = document.querySelector("#picture svg");
  const byId = (id) => svg.querySelector("#" + CSS.escape(id));
  const PHASE_NAMES = { input: "input", forward: "forward", output_delta: "output δ", hidden_delta: "hidden δ",
                        gradient: "gradient", update: "update" };

  // Numbers as graphnet prints them (graphnet.math.numbers.format_number): `places` decimal
  // places (never fewer than 3 significant digits), trailing zeros dropped; below 0.0001 `places`
  // significant digits, from a million on 15; 17 places: the 17 significant digits of the float64.
  function significant(size, count) {
    const [mantissa, exponentText] = size.toExponential(count - 1).split("e");
    const exponent = parseInt(exponentText, 10);
    if (exponent < -4 || exponent >= count) {
      const m = mantissa.includes(".") ? mantissa.replace(/\.?0+$/, "") : mantissa;
      return m + "e" + (exponent < 0 ? "-" : "+") + String(Math.abs(exponent)).padStart(2, "0");
    }
    const text = size.toFixed(Math.max(0, count - 1 - exponent));
    return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
  }
  function fmt(v, places = digits) {
    if (v === null || v === undefined || !isFinite(v)) return "—";
    if (v === 0) return "0";
    const size = Math.abs(v);
    let text;
    if (places >= 17) {
      text = significant(size, 17);
    } else if (size < 1e-4) {
      text = significant(size, places);
    } else if (size >= 1e6) {
      text = significant(size, 15);
    } else {
      const leading = Math.floor(Math.log10(size)) + 1;  // digits before the point (≤ 0 below 1)
      const fixed = size.toFixed(Math.max(0, Math.min(Math.max(places, 3 - leading), 17 - leading)));
      text = fixed.includes(".") ? fixed.replace(/\.?0+$/, "") : fixed;
      if (text === "0") text = significant(size, places);
    }
    return (v < 0 ? "−" : "") + text;
  }
  const lossText = (v) => fmt(v, Math.max(digits, 10));

  // The same colour scales as graphnet.views.svg: grey by output, blue/red by the sign of w.
  function fill(output) {
    const low = data.range.low, high = data.range.high;
    let share = (output === null || !isFinite(output) || high <= low) ? 0 : (output - low) / (high - low);
    share = Math.min(Math.max(share, 0), 1);
    const level = Math.round(255 - 215 * share);
    return [`rgb(${level},${level},${level})`, share > 0.55 ? "#ffffff" : "#111827"];
  }
  function stroke(weight) {
    const colour = weight > 0 ? "#2563eb" : weight < 0 ? "#dc2626" : "#9ca3af";
    const share = isFinite(weight) ? Math.min(Math.abs(weight) / data.range.scale, 1) : 1;
    return [colour, Math.round((0.6 + 3.4 * share) * 100) / 100];
  }

  // The step number (1-based) at which each value is first computed in this training step.
  const firstComputed = { net: {}, delta: {}, gradient: {} };
  steps.forEach((step, k) => {
    for (const [field, index] of step.changes) {
      if (field in firstComputed && !(index in firstComputed[field])) firstComputed[field][index] = k + 1;
    }
  });
  const computed = (field, index) => index in firstComputed[field] && position >= firstComputed[field][index];
  const names = data.names || { nodes: data.nodes.labels, connections: data.connections.labels };
  const of = (name) => (name.includes("→") ? `(${name})` : name);
  const shortName = (i) => {
    const name = names.connections[i] || "";
    return name.startsWith("w(") ? "w" : name;  // a bias weight keeps its target: b1→h1, b1→h2
  };

  // The name of a value a step changed, as the "changed" line prints it: o(h1), δ(o1), w5, ∂E/∂w5, b1→h1 (bias).
  const biases = new Set(data.connections.biases || []);
  function quantity(field, index) {
    if (field === "weight" || field === "gradient") {
      const name = names.connections[index] + (biases.has(index) ? " (bias)" : "");
      return field === "weight" ? name : `∂E/∂${of(names.connections[index])}` + (biases.has(index) ? " (bias)" : "");
    }
    const node = names.nodes[index];
    return { net: `net(${node})`, output: `o(${node})`, delta: `δ(${node})` }[field] || `${field}(${node})`;
  }
  // Why E after is not the classic walk-through's: graphnet's update moves the biases too.
  const biasNames = [...biases].map((i) => names.connections[i]);
  const biasNote = biases.size && data.loss && data.loss.weights_only !== null && data.loss.weights_only !== undefined
    ? `graphnet updates the biases too (${biasNames.slice(0, 6).join(", ")}`
      + (biasNames.length > 6 ? `, … ${biasNames.length - 6} more` : "")
      + `), so E after the step is ${lossText(data.loss.after)}, where updating the weights only, as the classic`
      + ` walk-through does, would give ${lossText(data.loss.weights_only)} (the textbook prints 0.291027924`
      + " for its 2-2-2 example, from rounded intermediate values)."
    : "";

  const nodeViews = data.nodes.drawn.map((i) => {
    const group = byId(data.nodes.elements[i]);
    const label = data.nodes.labels[i];
    return { i, group, circle: group.querySelector("circle"), texts: group.querySelectorAll(":scope > text"),
             title: group.querySelector("title"), input: label.startsWith("0-"),
             net: byId("val-net-" + label), delta: byId("val-delta-" + label) };
  });
  const lineViews = data.connections.drawn.map((i) => {
    const element = data.connections.elements[i];
    const line = byId(element);
    return { i, line, title: line.querySelector("title"), w: byId("w-" + element), grad: byId("grad-" + element) };
  });

  function draw() {
    for (const view of nodeViews) {
      const [background, ink] = fill(state.output[view.i]);
      view.circle.setAttribute("fill", background);
      for (const text of view.texts) text.setAttribute("fill", ink);
      if (view.texts[1]) view.texts[1].textContent = fmt(state.output[view.i]);
      if (view.net) view.net.textContent = computed("net", view.i) ? "net = " + fmt(state.net[view.i]) : "";
      if (view.delta) view.delta.textContent = computed("delta", view.i) ? "δ = " + fmt(state.delta[view.i]) : "";
      const lines = ["node " + data.nodes.labels[view.i]];
      if (!view.input) lines.push("net = " + fmt(state.net[view.i]));
      lines.push("output o = " + fmt(state.output[view.i]), "delta δ = " + fmt(state.delta[view.i]));
      view.title.textContent = lines.join("\n");
    }
    for (const view of lineViews) {
      const [colour, width] = stroke(state.weight[view.i]);
      view.line.setAttribute("stroke", colour);
      view.line.setAttribute("stroke-width", width);
      view.title.textContent = data.connections.labels[view.i] + "\nw = " + fmt(state.weight[view.i]) +
        "\n∂E/∂w = " + fmt(state.gradient[view.i]);
      const short = shortName(view.i);
      if (view.w) view.w.textContent = `${short} = ${fmt(state.weight[view.i])}`;
      if (view.grad) {
        view.grad.textContent = computed("gradient", view.i) ? `∂E/∂${of(short)} = ${fmt(state.gradient[view.i])}` : "";
      }
    }
    const lossKnown = data.loss && data.loss.known !== null && position >= data.loss.known;
    const afterKnown = data.loss && data.loss.after_known !== null && position >= data.loss.after_known;
    const before = byId("loss"), after = byId("loss-after");
    if (before) before.textContent = lossKnown ? "E = " + lossText(data.loss.before) : "";
    if (after) after.textContent = afterKnown ? "E after = " + lossText(data.loss.after) : "";
    $("loss-line").textContent = (lossKnown ? `E before the step = ${lossText(data.loss.before)}` : "E: after the forward pass")
      + (afterKnown ? `   ·   E after the step = ${lossText(data.loss.after)} (every weight and bias updated)` : "");
  }

  // A label for the current connection when the picture has none (big nets label no edge).
  const SVGNS = "http://www.w3.org/2000/svg";
  const focus = document.createElementNS(SVGNS, "g");
  focus.setAttribute("id", "focus-label");
  focus.setAttribute("class", "edge-label focus");
  focus.innerHTML = '<rect rx="3"></rect><text text-anchor="middle" font-size="11"></text>';
  svg.appendChild(focus);
  function focusLabel(step) {
    focus.style.display = "none";
    if (!step || step.kind !== "connection" || byId("label-" + step.element)) return;
    const line = byId(step.element);
    if (!line) return;
    const x = (Number(line.getAttribute("x1")) + Number(line.getAttribute("x2"))) / 2;
    const y = (Number(line.getAttribute("y1")) + Number(line.getAttribute("y2"))) / 2;
    const short = shortName(step.target);
    const text = focus.querySelector("text");
    text.textContent = `${short} = ${fmt(state.weight[step.target])}` +
      (computed("gradient", step.target) ? `  ∂E/∂${of(short)} = ${fmt(state.gradient[step.target])}` : "");
    text.setAttribute("x", x); text.setAttribute("y", y + 4);
    focus.style.display = "";
    const box = text.getBBox(), rect = focus.querySelector("rect");
    rect.setAttribute("x", box.x - 3); rect.setAttribute("y", box.y - 2);
    rect.setAttribute("width", box.width + 6); rect.setAttribute("height", box.height + 4);
  }

  let marked = [];
  function mark(element, name) {
    if (element) { element.classList.add(name); marked.push(element); }
  }
  function highlight(step) {
    for (const element of marked) element.classList.remove("current", "endpoint", "used", "focus");
    marked = [];
    svg.classList.toggle("focusing", Boolean(step && step.uses && step.uses.length));
    if (!step) return;
    const main = byId(step.element);
    mark(main, "current");
    mark(byId("label-" + step.element), "focus");
    for (const id of step.endpoints) {
      const end = byId(id);
      if (end && end !== main) mark(end, "endpoint");
    }
    for (const id of step.uses || []) {
      mark(byId(id), "used");
      mark(byId("label-" + id), "used");
    }
  }

  const blocks = [];
  function show() {
    const step = position > 0 ? steps[position - 1] : null;
    draw();
    highlight(step);
    focusLabel(step);
    // One numbering with the stepper: events count from [0]; "step k/N" means k steps taken.
    $("position").textContent = step ? `[${step.index}] · step ${position}/${total} taken` : `step 0/${total} taken`;
    document.body.dataset.position = String(position);
    $("slider").value = String(position);
    const phase = $("phase");
    phase.className = step ? "ph-" + step.main_phase : "ph-none";
    phase.textContent = step ? step.phase.replace("_", " ") : "start";
    $("label").textContent = step ? step.label : "";
    const name = step ? (step.kind === "node" ? names.nodes[step.target] : names.connections[step.target]) : "";
    $("name").textContent = name && step && name !== step.label ? name : "";
    // The formula typeset (MathML, built by graphnet.views.mathml from the same text); the text
    // itself stays the element's title, to copy.
    $("formula").innerHTML = step ? step.mathml[0] : "Nothing computed yet.";
    $("numbers").innerHTML = step ? step.mathml[1] : "Press next (→) to take the first step.";
    $("formula").title = step ? step.formula : "";
    $("numbers").title = step ? step.numbers : "";
    $("change").textContent = step
      ? step.changes.map(([field, index, before, after]) => `${quantity(field, index)}: ${fmt(before)} → ${fmt(after)}`)
        .join(" · ")
      : "Nothing yet.";
    $("bias-note").textContent = biasNote;
    $("bias-note").hidden = !(biasNote && data.loss.after_known !== null && position >= data.loss.after_known);
    const upcoming = position < total ? steps[position] : null;
    $("upcoming").textContent = upcoming ? `next: ${upcoming.phase.replace("_", " ")} ${upcoming.label}` : "done: "
      + "the network is now as after one training step.";
    $("back").disabled = $("start").disabled = position === 0;
    $("next").disabled = $("next-phase").disabled = position === total;
    for (const block of blocks) block.element.classList.toggle("now", position >= block.first + 1 && position <= block.last);
  }

  function goTo(target) {
    target = Math.max(0, Math.min(total, target | 0));
    while (position < target) {
      for (const [field, index, , after] of steps[position].changes) state[field][index] = after;
      position += 1;
    }
    while (position > target) {
      position -= 1;
      for (const [field, index, before] of steps[position].changes) state[field][index] = before;
    }
    show();
  }
  function nextPhase() {
    if (position >= total) return;
    const phase = steps[position].main_phase;
    let target = position;
    while (target < total && steps[target].main_phase === phase) target += 1;
    goTo(target);
  }
  function setPlaying(on) {
    if (timer !== null) { clearInterval(timer); timer = null; }
    if (on) {
      if (position >= total) goTo(0);
      timer = setInterval(() => { if (position >= total) setPlaying(false); else goTo(position + 1); }, 450);
    }
    $("play").textContent = timer !== null ? "⏸ pause" : "▶ play";
    document.body.dataset.playing = String(timer !== null);
  }

  const list = (values) => "[" + values.slice(0, 8).map((v) => fmt(v)).join(", ")
    + (values.length > 8 ? `, … ${values.length - 8} more` : "") + "]";
  $("sample").textContent = `x = ${list(data.x)}   t = ${list(data.target)}   `
    + `η = ${fmt(data.rate)}   ${total} steps`
    + (data.dropped && data.dropped.length ? `   dropped: ${data.dropped.join(", ")}` : "");
  const timeline = $("timeline");
  let runStart = 0;
  for (let i = 1; i <= total; i++) {
    if (i === total || steps[i].main_phase !== steps[runStart].main_phase) {
      const block = document.createElement("div");
      const first = runStart, main = steps[first].main_phase;
      block.className = "ph-" + main;
      block.style.flexGrow = String(i - first);
      block.textContent = PHASE_NAMES[main] || main;
      block.dataset.phase = main;
      block.title = `${main.replace("_", " ")}: steps ${first + 1}–${i}`;
      block.addEventListener("click", () => { setPlaying(false); goTo(first + 1); });
      timeline.appendChild(block);
      blocks.push({ element: block, first, last: i });
      runStart = i;
    }
  }

  $("slider").max = String(total);
  $("slider").addEventListener("input", (event) => { setPlaying(false); goTo(parseInt(event.target.value, 10)); });
  $("start").addEventListener("click", () => { setPlaying(false); goTo(0); });
  $("back").addEventListener("click", () => { setPlaying(false); goTo(position - 1); });
  $("next").addEventListener("click", () => { setPlaying(false); goTo(position + 1); });
  $("next-phase").addEventListener("click", () => { setPlaying(false); nextPhase(); });
  $("play").addEventListener("click", () => setPlaying(timer === null));
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const onSlider = event.target === $("slider");
    const onButton = event.target instanceof HTMLButtonElement;
    const key = event.key;
    if ((key === "ArrowRight" || key === "ArrowLeft") && onSlider) return;  // the slider moves itself
    if ((key === "Enter" || key === " ") && onButton) return;  // the focused button clicks itself
    const actions = {
      ArrowRight: () => goTo(position + 1), n: () => goTo(position + 1), Enter: () => goTo(position + 1),
      ArrowLeft: () => goTo(position - 1), b: () => goTo(position - 1),
      p: nextPhase, Home: () => goTo(0), End: () => goTo(total),
    };
    if (key === " ") { event.preventDefault(); setPlaying(timer === null); return; }
    if (actions[key]) { event.preventDefault(); setPlaying(false); actions[key](); }
  });
  goTo(data.start);
  setPlaying(false);
})();
