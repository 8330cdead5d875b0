// The editors' page: paste or drop an article, press 标注, see topics, scores, keywords and the words behind each topic.
// Talks only to this server (no CDN, nothing from the internet).
"use strict";

const COLOURS = ["#2e7d32", "#ef6c00", "#5d4037", "#1565c0", "#c62828", "#6a1b9a", "#00838f", "#ad1457", "#455a64", "#827717"];
const $ = (id) => document.getElementById(id);
let topicInfo = {};   // id -> {name_zh, description}
let topicOrder = [];  // the model's topics, for colours
let lastText = "";
let lastRecord = null;
let shown = null;     // the topic whose words are highlighted, or null for all

function headers(json) {
  const h = json ? { "Content-Type": "application/json" } : {};
  const token = $("token").value.trim();
  if (token) h["Authorization"] = "Bearer " + token;
  return h;
}

async function call(path, body) {
  const response = await fetch(path, body === undefined
    ? { headers: headers(false) }
    : { method: "POST", headers: headers(true), body: JSON.stringify(body) });
  const data = await response.json().catch(() => ({ error: "回应不是 JSON（HTTP " + response.status + "）" }));
  if (!response.ok) throw new Error(data.error || "HTTP " + response.status);
  return data;
}

function colour(topic) {
  const i = topicOrder.indexOf(topic);
  return COLOURS[(i < 0 ? 0 : i) % COLOURS.length];
}

function label(topic) {
  const info = topicInfo[topic];
  return info && info.name_zh ? info.name_zh : topic;
}

async function loadModel() {
  try {
    const [models, topics] = await Promise.all([call("/v1/models"), call("/v1/topics")]);
    topicInfo = Object.fromEntries(topics.topics.map((t) => [t.id, t]));
    topicOrder = topics.topics.map((t) => t.id);
    $("model").textContent = "模型 " + models.serving;
    $("model").classList.remove("error");
  } catch (error) {
    $("model").textContent = "无法读取模型信息：" + error.message;
    $("model").classList.add("error");
  }
}

// The server's rule: a short first line (at most 60 characters) followed by more text is the title.
function splitArticle(raw) {
  const lines = raw.replace(/\r\n?/g, "\n").split("\n").map((l) => l.trim()).filter((l) => l);
  if (lines.length > 1 && lines[0].length <= 60) return { title: lines[0].replace(/^#+\s*/, ""), text: lines.slice(1).join("\n") };
  return { title: "", text: lines.join("\n") };
}

async function tag() {
  const raw = $("article").value;
  if (!raw.trim()) { status("请先粘贴或拖入一篇文章。", true); return; }
  const article = splitArticle(raw);
  $("tag").disabled = true;
  status("标注中…");
  try {
    const started = performance.now();
    const data = await call("/v1/tag", { articles: [article], explain: $("explain").checked });
    if (!topicOrder.length) topicOrder = data.model.topics;
    lastRecord = data.results[0];
    lastText = (article.title ? article.title + "\n" : "") + article.text;
    shown = null;
    render();
    status("完成，用时 " + Math.round(performance.now() - started) + " 毫秒（模型 " + data.model.version + "）");
  } catch (error) {
    status("出错：" + error.message, true);
  } finally {
    $("tag").disabled = false;
  }
}

function status(text, isError) {
  $("status").textContent = text;
  $("status").classList.toggle("error", !!isError);
}

function render() {
  const r = lastRecord;
  $("result").hidden = false;
  const chips = $("chips");
  chips.replaceChildren();
  if (!r.topics.length) {
    const none = document.createElement("span");
    none.className = "chip none";
    none.textContent = "无（不属于任何主题）";
    chips.append(none);
  }
  for (const topic of r.topics) {
    const chip = document.createElement("button");
    chip.type = "button";
    chip.className = "chip" + (shown && shown !== topic ? " off" : "");
    chip.dataset.topic = topic;
    chip.style.background = colour(topic);
    chip.textContent = label(topic) + " " + r.scores[topic].toFixed(2);
    chip.title = topic + (topicInfo[topic] ? "：" + topicInfo[topic].description : "");
    chip.addEventListener("click", () => { shown = shown === topic ? null : topic; render(); });
    chips.append(chip);
  }
  const bars = $("bars");
  bars.replaceChildren();
  const ordered = Object.entries(r.scores).sort((a, b) => b[1] - a[1]);
  for (const [topic, score] of ordered) {
    const name = document.createElement("span");
    name.textContent = label(topic);
    name.title = topic;
    if (r.topics.includes(topic)) name.className = "assigned";
    const bar = document.createElement("div");
    bar.className = "bar";
    const fill = document.createElement("span");
    fill.style.width = (score * 100).toFixed(1) + "%";
    fill.style.background = colour(topic);
    bar.append(fill);
    const value = document.createElement("span");
    value.className = "score";
    value.textContent = score.toFixed(2);
    bars.append(name, bar, value);
  }
  const keywords = $("keywords");
  keywords.replaceChildren(...r.keywords.map((k) => { const s = document.createElement("span"); s.textContent = k; return s; }));
  if (!keywords.children.length) keywords.textContent = "（无）";
  renderExplain(r);
}

// Words and character n-grams behind each topic ("words:能源", "chars:储能"), marked in the text in the topic's colour.
function renderExplain(r) {
  const box = $("explainBox");
  if (!r.explain || !Object.keys(r.explain).length) { box.hidden = true; return; }
  box.hidden = false;
  const owner = new Map();
  for (const [topic, reasons] of Object.entries(r.explain)) {
    if (shown && shown !== topic) continue;
    for (const [feature] of reasons) {
      const [kind, term] = feature.split(/:(.*)/s);
      const word = (term || "").replace(/\s/g, "");
      if ((kind === "words" || kind === "chars") && word && !owner.has(word)) owner.set(word, topic);
    }
  }
  const target = $("highlighted");
  target.replaceChildren();
  if (!owner.size) { target.textContent = lastText; return; }
  const words = [...owner.keys()].sort((a, b) => b.length - a.length);
  const pattern = new RegExp(words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "gi");
  let last = 0;
  for (const match of lastText.matchAll(pattern)) {
    target.append(document.createTextNode(lastText.slice(last, match.index)));
    const mark = document.createElement("mark");
    const topic = owner.get(match[0]) || owner.get(match[0].toLowerCase());
    mark.textContent = match[0];
    mark.dataset.topic = topic;
    mark.style.background = colour(topic) + "40";
    mark.style.borderBottom = "2px solid " + colour(topic);
    mark.title = label(topic);
    target.append(mark);
    last = match.index + match[0].length;
  }
  target.append(document.createTextNode(lastText.slice(last)));
}

// A dropped or chosen .txt file: UTF-8 when it decodes as UTF-8, else GBK (GB18030).
async function readFile(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let text;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    text = new TextDecoder("gb18030").decode(bytes);
  }
  $("article").value = text.replace(/^\uFEFF/, "");
  status("已读入 " + file.name);
}

function setup() {
  $("token").value = localStorage.getItem("classifier-token") || "";
  $("token").addEventListener("change", () => { localStorage.setItem("classifier-token", $("token").value.trim()); loadModel(); });
  $("tag").addEventListener("click", tag);
  $("article").addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) tag(); });
  $("file").addEventListener("change", (e) => { if (e.target.files[0]) readFile(e.target.files[0]); });
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    if (e.dataTransfer.files[0]) readFile(e.dataTransfer.files[0]);
  });
  loadModel();
}

setup();
