// The page calls the public API only: GET /v1/model once, POST /v1/analyze per image. No build step, no libraries.
"use strict";
const SVG = "http://www.w3.org/2000/svg";
const $ = id => document.getElementById(id);

function headers() {
  const key = $("api-key").value.trim();
  return key ? { "X-Api-Key": key } : {};
}

async function describeModel() {
  const r = await fetch("v1/model", { headers: headers() });
  if (!r.ok) { $("model-line").textContent = `Model: ${(await r.json()).detail}`; return; }
  const m = await r.json();
  const accuracy = m.metrics.accuracy ? `, validation accuracy ${(100 * m.metrics.accuracy).toFixed(1)} %` : "";
  $("model-line").textContent = `Model ${m.id} (${m.sha256.slice(0, 12)}): ${m.labels.join(", ")}; ${m.steps} glimpses; detectors ${m.preprocessing.detectors}${accuracy}`;
}

function svg(name, attributes, text) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

// An eye-aligned crop's boxes are turned about their centres (angle in degrees, clockwise with y down, as SVG's rotate).
function turned(b) {
  return b && b.angle ? { transform: `rotate(${b.angle} ${b.x + b.width / 2} ${b.y + b.height / 2})` } : {};
}

function drawFace(overlay, face, fontSize) {
  const g = svg("g", { class: "face-overlay", "data-face": face.face_index });
  const box = face.box ?? face.crop;
  g.append(svg("rect", { class: "face-box", x: box.x, y: box.y, width: box.width, height: box.height, ...turned(face.box ? null : box) }));
  g.append(svg("text", { class: "face-label", x: box.x, y: Math.max(fontSize, box.y - 4), "font-size": fontSize }, face.label));
  const centres = face.glimpses.map(s => [s.image_box.x + s.image_box.width / 2, s.image_box.y + s.image_box.height / 2]);
  g.append(svg("polyline", { class: "scanpath", points: centres.map(c => c.join(",")).join(" ") }));
  for (const step of face.glimpses) {
    const b = step.image_box;
    g.append(svg("rect", { class: "glimpse", "data-step": step.step, x: b.x, y: b.y, width: b.width, height: b.height, ...turned(b) }));
    g.append(svg("text", { class: "glimpse-number", x: b.x + b.width / 2, y: b.y + b.height / 2, "font-size": fontSize * 0.8 }, String(step.step)));
  }
  overlay.append(g);
}

function faceCard(face) {
  const card = document.createElement("article");
  card.className = "face";
  const where = face.box ? `at (${face.box.x}, ${face.box.y}), ${face.detector}` : "no face found: the fallback crop was scored";
  card.innerHTML = `<h2>Face ${face.face_index + 1}: <span class="label"></span></h2><p class="where"></p><div class="bars"></div>
    <table><thead><tr><th>glimpse</th><th>prediction</th><th>p</th></tr></thead><tbody></tbody></table>`;
  card.querySelector(".label").textContent = face.label;
  card.querySelector(".where").textContent = where;
  const top = face.label;
  for (const [label, p] of Object.entries(face.probabilities)) {
    const bar = document.createElement("div");
    bar.className = label === top ? "bar top" : "bar";
    bar.dataset.label = label;
    bar.innerHTML = `<span></span><div class="track"><div class="fill"></div></div><span></span>`;
    bar.children[0].textContent = label;
    bar.querySelector(".fill").style.width = `${(100 * p).toFixed(1)}%`;
    bar.children[2].textContent = `${(100 * p).toFixed(1)} %`;
    card.querySelector(".bars").append(bar);
  }
  for (const step of face.glimpses) {
    const row = document.createElement("tr");
    for (const text of [step.step, step.label, step.probability.toFixed(3)]) row.append(Object.assign(document.createElement("td"), { textContent: text }));
    card.querySelector("tbody").append(row);
  }
  return card;
}

function show(result, url, width, height) {
  const overlay = $("overlay");
  overlay.replaceChildren(svg("image", { href: url, x: 0, y: 0, width, height }));
  overlay.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const fontSize = Math.max(12, Math.round(Math.max(width, height) / 40));
  result.faces.forEach(face => drawFace(overlay, face, fontSize));
  $("faces").replaceChildren(...result.faces.map(faceCard));
  $("result").hidden = false;
  $("status").className = "";
  $("status").textContent = result.status === "no_face"
    ? "No face found in this image."
    : `${result.faces.length} face${result.faces.length === 1 ? "" : "s"} scored by ${result.model.id}.`;
}

async function analyse(file) {
  $("status").className = "";
  $("status").textContent = `Analysing ${file.name}…`;
  const form = new FormData();
  form.append("image", file, file.name);
  const response = await fetch("v1/analyze", { method: "POST", body: form, headers: headers() });
  const body = await response.json();
  if (!response.ok) {
    $("result").hidden = true;
    $("status").className = "error";
    $("status").textContent = `${body.title} (${response.status}): ${body.detail}`;
    return;
  }
  const url = URL.createObjectURL(file);
  const image = new Image();
  image.onload = () => show(body, url, image.naturalWidth, image.naturalHeight);
  image.src = url;
}

$("file").addEventListener("change", e => { if (e.target.files.length) analyse(e.target.files[0]); });
const drop = $("drop");
drop.addEventListener("dragover", e => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", e => {
  e.preventDefault();
  drop.classList.remove("over");
  if (e.dataTransfer.files.length) analyse(e.dataTransfer.files[0]);
});
$("api-key").addEventListener("change", describeModel);
describeModel();
