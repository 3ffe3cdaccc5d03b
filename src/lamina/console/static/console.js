// Lamina's console. Every value from the server goes into the page as text (textContent, never
// innerHTML): a log line or an item holding markup shows as that markup, and runs nothing.
"use strict";

const BASE = "/_lamina/console/";
const TAIL_LINES = 500;
let refreshTimer = null;

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function fill(node, ...children) {
  node.replaceChildren(...children.map((c) => (c instanceof Node ? c : document.createTextNode(String(c)))));
}

async function getJson(path) {
  const response = await fetch(BASE + path, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

function row(...cells) {
  return el("tr", null, ...cells.map((c) => el("td", null, c)));
}

function note(text) {
  return el("p", { class: "note" }, text);
}

// -- functions and invocations ------------------------------------------------------------

function invocationButton(inv) {
  const label = inv.duration_ms === null ? "running" : `${inv.duration_ms.toFixed(1)} ms ${inv.status}`;
  return el("button", {
    class: `invocation ${inv.status}`,
    type: "button",
    "data-request": inv.request_id,
    title: inv.error_type ? `${inv.request_id} ${inv.error_type}` : inv.request_id,
    onclick: () => showInvocation(inv.function, inv.request_id),
  }, label);
}

function renderFunctions(functions) {
  const body = document.querySelector("#function-list tbody");
  if (!functions.length) {
    fill(body, el("tr", null, el("td", { colspan: "6" }, note("No functions."))));
    return;
  }
  fill(body, ...functions.map((fn) => {
    const name = fn.logicalId && fn.logicalId !== fn.name
      ? el("span", null, fn.logicalId, el("br"), el("small", null, fn.name))
      : fn.name;
    const tr = row(name, fn.runtime, fn.handler, `${fn.memory} MB`, `${fn.timeout} s`,
      el("span", { class: "invocations" }, ...fn.invocations.slice(0, 10).map(invocationButton)));
    tr.dataset.function = fn.name;
    return tr;
  }));
}

async function showInvocation(fn, requestId) {
  const data = await getJson(`api/invocation?function=${encodeURIComponent(fn)}&request=${encodeURIComponent(requestId)}`);
  document.getElementById("invocation").hidden = false;
  fill(document.getElementById("invocation-title"), `${fn} ${requestId} (${data.invocation.status})`);
  fill(document.getElementById("invocation-log"), data.lines.map((l) => l.message).join("\n"));
}

// -- APIs and the request form ------------------------------------------------------------

function renderApis(apis) {
  const list = document.getElementById("api-list");
  if (!apis.length) {
    fill(list, note("No APIs."));
    return;
  }
  fill(list, ...apis.map((api) => el("div", null,
    el("h3", null, `${api.logicalId} (${api.kind}) ${api.base}`),
    el("table", null, el("tbody", null, ...api.routes.map((r) => {
      const pick = el("button", { type: "button", onclick: () => pickRoute(api.base, r) }, "use");
      return row(r.method, r.path, r.target, pick);
    }))))));
}

function pickRoute(base, route) {
  const form = document.getElementById("send");
  form.method.value = route.method === "ANY" ? "GET" : route.method;
  // Path parameters ({id}, {proxy+}) get a placeholder to edit.
  const path = route.path === "$default" ? "/" : route.path.replace(/\{[^}]+\}/g, "x");
  form.path.value = base + path;
  form.path.focus();
}

async function send(event) {
  event.preventDefault();
  const form = event.target;
  const headers = {};
  for (const line of form.headers.value.split("\n")) {
    const at = line.indexOf(":");
    if (at > 0) headers[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  const response = await fetch(BASE + "api/send", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ method: form.method.value, path: form.path.value, headers, body: form.body.value }),
  });
  const data = await response.json();
  document.getElementById("response").hidden = false;
  if (!response.ok) {
    fill(document.getElementById("response-status"), `not sent: ${data.message}`);
    return;
  }
  fill(document.getElementById("response-status"), `${data.status}`);
  fill(document.getElementById("response-headers"), data.headers.map(([k, v]) => `${k}: ${v}`).join("\n"));
  fill(document.getElementById("response-body"), data.body);
}

// -- tables, queues, buses, schedules, state machines, panels -----------------------------

function renderTables(tables) {
  const list = document.getElementById("table-list");
  if (!tables.length) {
    fill(list, el("li", null, note("No tables.")));
    return;
  }
  fill(list, ...tables.map((t) => el("li", null,
    el("button", { type: "button", onclick: () => showTable(t.name) }, t.name))));
}

async function showTable(name) {
  const data = await getJson(`api/table?name=${encodeURIComponent(name)}`);
  const items = data.items.map((item) => row(JSON.stringify(item)));
  fill(document.getElementById("items"),
    el("h3", null, `${name}: first ${data.items.length} items${data.more ? " (more not shown)" : ""}`),
    items.length ? el("table", { class: "items" }, el("tbody", null, ...items)) : note("No items."));
}

function renderQueues(queues) {
  const body = document.querySelector("#queue-list tbody");
  if (!queues.length) {
    fill(body, el("tr", null, el("td", { colspan: "5" }, note("No queues."))));
    return;
  }
  fill(body, ...queues.map((q) => row(q.name, q.visible, q.inFlight, q.delayed,
    el("button", { type: "button", onclick: () => showQueue(q.name) }, "peek"))));
}

async function showQueue(name) {
  const data = await getJson(`api/queue?name=${encodeURIComponent(name)}`);
  const rows = data.messages.map((m) => row(m.messageId, m.body, m.receiveCount, m.visible ? "visible" : "hidden"));
  fill(document.getElementById("messages"),
    el("h3", null, `${name}: oldest ${data.messages.length} messages (a peek: nothing is received)`),
    rows.length ? el("table", null, el("tbody", null, ...rows)) : note("No messages."));
}

function renderBuses(buses) {
  const list = document.getElementById("bus-list");
  if (!buses.length) {
    fill(list, note("No event buses."));
    return;
  }
  fill(list, ...buses.map((bus) => el("div", null,
    el("h3", null, bus.name),
    bus.rules.length
      ? el("table", null, el("tbody", null, ...bus.rules.map((r) =>
        row(r.name, r.state, r.schedule || r.pattern || "", r.targets.join(", ")))))
      : note("No rules."))));
}

function renderSchedules(schedules) {
  const body = document.querySelector("#schedule-list tbody");
  if (!schedules.length) {
    fill(body, el("tr", null, el("td", { colspan: "5" }, note("No schedules."))));
    return;
  }
  fill(body, ...schedules.map((s) => row(s.name, s.kind, s.expression, s.enabled ? "yes" : "no", s.targets.join(", "))));
}

function renderMachines(machines) {
  const list = document.getElementById("machine-list");
  if (!machines.served) {
    fill(list, note("Step Functions is not served by this Lamina yet."));
  } else if (machines.error) {
    fill(list, note(`Step Functions could not list its state machines: ${machines.error}`));
  } else if (!machines.machines.length) {
    fill(list, note("No state machines."));
  } else {
    fill(list, el("table", null, el("tbody", null, ...machines.machines.map((m) => {
      const open = m.type === "EXPRESS" ? "" : el("button", { type: "button", onclick: () => showExecutions(m.arn) }, "executions");
      return row(m.name, m.type || "", m.arn, open);
    }))));
  }
}

// -- diagrams: an execution's state graph, a trace's waterfall -----------------------------

// The server draws them as SVG with every value escaped; the page parses the SVG as XML (never
// as HTML) and keeps it only if it is one <svg> element.
async function showSvg(path, target) {
  const holder = document.getElementById(target);
  const response = await fetch(BASE + path, { credentials: "same-origin" });
  if (!response.ok) {
    const data = await response.json().catch(() => ({ message: `${response.status}` }));
    fill(holder, note(data.message));
    return;
  }
  const parsed = new DOMParser().parseFromString(await response.text(), "image/svg+xml");
  const svg = parsed.documentElement;
  if (svg.localName !== "svg" || parsed.getElementsByTagName("parsererror").length) {
    fill(holder, note("The diagram could not be read."));
    return;
  }
  fill(holder, document.importNode(svg, true));
}

async function showExecutions(machine) {
  const list = document.getElementById("executions");
  const data = await getJson(`api/executions?machine=${encodeURIComponent(machine)}`);
  if (!data.length) {
    fill(list, note("No executions yet."));
    return;
  }
  fill(list, el("h3", null, "Executions"), ...data.map((e) => el("button", {
    class: `execution ${String(e.status).toLowerCase()}`,
    type: "button",
    "data-execution": e.arn,
    onclick: () => showSvg(`api/execution-graph?arn=${encodeURIComponent(e.arn)}`, "execution-graph"),
  }, `${e.name} ${e.status}`)));
}

function showTrace(id) {
  return showSvg(`api/trace-waterfall?id=${encodeURIComponent(id)}`, "trace-waterfall");
}

function renderPanels(panels) {
  fill(document.getElementById("panel-list"), ...panels.map((panel) => {
    if (!panel.ready) return el("div", null, el("h3", null, panel.title), note("Nothing collects these yet."));
    const columns = panel.rows.length ? Object.keys(panel.rows[0]) : [];
    return el("div", { "data-panel": panel.key },
      el("h3", null, panel.title),
      el("table", null,
        el("thead", null, el("tr", null, ...columns.map((c) => el("th", null, c)))),
        el("tbody", null, ...panel.rows.map((r) => row(...columns.map((c) => {
          const value = r[c] ?? "";
          // A trace opens its waterfall.
          if (panel.key === "traces" && c === "trace") {
            return el("button", { class: "trace", type: "button", "data-trace": value, onclick: () => showTrace(value) }, value);
          }
          return value;
        }))))));
  }));
}

async function refresh() {
  refreshTimer = null;
  const state = await getJson("api/state");
  fill(document.getElementById("stack"), state.stack || "");
  renderFunctions(state.functions);
  renderApis(state.apis);
  renderTables(state.tables);
  renderQueues(state.queues);
  renderBuses(state.buses);
  renderSchedules(state.schedules);
  renderMachines(state.stateMachines);
  renderPanels(state.panels);
}

function refreshSoon() {
  if (refreshTimer === null) refreshTimer = setTimeout(refresh, 200);
}

// -- live ---------------------------------------------------------------------------------

function tail(data) {
  const log = document.getElementById("tail-log");
  const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
  for (const line of data.lines) {
    log.append(document.createTextNode(`${data.function} | ${line.message}\n`));
  }
  while (log.childNodes.length > TAIL_LINES) log.firstChild.remove();
  if (atBottom) log.scrollTop = log.scrollHeight;
}

function live() {
  const badge = document.getElementById("live");
  const source = new EventSource(BASE + "events");
  // On every (re)connection the state is read again: what happened meanwhile shows.
  source.onopen = () => { fill(badge, "live"); badge.classList.remove("off"); refreshSoon(); };
  source.onerror = () => { fill(badge, "reconnecting…"); badge.classList.add("off"); };
  source.addEventListener("log", (event) => tail(JSON.parse(event.data)));
  source.addEventListener("invocation", refreshSoon);
  source.addEventListener("gap", refreshSoon);
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("send").addEventListener("submit", send);
  refresh();
  live();
});
