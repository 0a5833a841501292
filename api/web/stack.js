// stack.js: one stack: services, options, files, history as a timeline, and what can be done to it.
import { api } from "/ui/client.js";
import { el, show, say } from "/ui/dom.js";
import { stackState } from "/ui/state.js";

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text != null) e.textContent = text;
  return e;
}

// The commits that changed the stack, oldest left, the deployed one marked; each has its own line
// below with the revert button, so the SVG carries no controls (keyboard users need none in it).
// At most the 20 newest changes: a timeline of hundreds would be dots without labels on a phone. Room is
// left at both ends so the first and last labels are never cut.
function timeline(history) {
  const shown = history.slice(0, 20);
  const n = shown.length, pad = 40, w = Math.max(320, n * 64 + 2 * pad), h = 72;
  const s = svg("svg", { viewBox: `0 0 ${w} ${h}`, role: "img", "aria-labelledby": "timeline-title", id: "timeline", width: "100%" });
  s.append(svg("title", { id: "timeline-title" }, `${history.length} changes of this stack${n < history.length ? `, the ${n} newest shown` : ""}, oldest first`));
  s.append(svg("line", { x1: pad, y1: 28, x2: w - pad, y2: 28, stroke: "#57606a" }));
  [...shown].reverse().forEach((c, i) => {
    const x = n === 1 ? w / 2 : pad + (i * (w - 2 * pad)) / (n - 1);
    const dot = svg("circle", { cx: x, cy: 28, r: c.deployed ? 9 : 6, fill: c.deployed ? "#1a7f37" : "#0a58ca", "data-commit": c.commit });
    dot.append(svg("title", {}, `${c.commit.slice(0, 12)} ${c.subject}${c.deployed ? " (deployed)" : ""}`));
    s.append(dot, svg("text", { x, y: 58, "text-anchor": "middle", "font-size": 12 }, c.commit.slice(0, 7)));
  });
  return s;
}

export async function stackScreen(main, name, canWrite, onGone) {
  const [stack, history] = await Promise.all([api("GET", `/stacks/${encodeURIComponent(name)}`), api("GET", `/stacks/${encodeURIComponent(name)}/history`)]);
  const live = stack.live || {};
  // The change the engine runs, as the history marks it: the engine's own commit may be a later one
  // that left this stack alone, and one screen shows one id.
  const deployed = history.find((c) => c.deployed);
  const deployedId = deployed ? deployed.commit : live.commit;
  const result = el("p", { id: "action-result", role: "status" });
  const act = (label, fn, attrs = {}) => {
    const b = el("button", { type: "button", ...attrs }, label);
    b.addEventListener("click", async () => {
      b.disabled = true;
      try {
        result.textContent = await fn();
        result.className = "ok";
      } catch (e) {
        result.textContent = e.message;
        result.className = "error";
      } finally {
        b.disabled = false;
      }
    });
    return b;
  };
  const path = `/stacks/${encodeURIComponent(name)}`;
  const actions = canWrite ? el("div", { class: "actions" },
    act(stack.enabled === false ? "Enable" : "Disable", async () => {
      const r = await api("PATCH", path, { enabled: stack.enabled === false });
      return `committed ${String(r.commit || "").slice(0, 12)}`;
    }, { id: "toggle" }),
    el("a", { href: `#/stacks/${encodeURIComponent(name)}/edit`, id: "edit" }, "Change options"),
    act("Restart", async () => {
      const r = await api("POST", `${path}/restart`);
      return `restarted ${r.restarted.map((x) => x.container).join(", ")}`;
    }, { id: "restart" }),
    act("Delete…", async () => {
      const typed = prompt(`Type the stack's name (${name}) to delete it:`);
      if (typed !== name) return "not deleted: the name was not typed";
      await api("DELETE", path);
      onGone();
      return "deleted";
    }, { id: "delete", class: "danger" })) : el("p", { class: "hint" }, "Signed in with a read token: nothing here can be changed.");

  const services = el("tbody", {}, ...(live.services || []).map((s) =>
    el("tr", {}, el("td", {}, s.name), el("td", {}, s.state), el("td", {}, `${s.running}/${s.containers}`))));
  const containers = el("tbody", {}, ...(live.container_list || []).map((c) =>
    el("tr", { "data-container": c.name }, el("td", {}, c.name), el("td", {}, c.service), el("td", {}, c.state), el("td", { class: c.health === "unhealthy" ? "error" : null }, c.health))));
  const options = el("dl", { id: "options" }, ...Object.entries(stack.options || {}).flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, JSON.stringify(v))]));
  const files = el("div", { id: "files" }, ...(stack.files || []).map((f) =>
    el("details", {}, el("summary", {}, f.path), el("pre", { tabindex: "0" }, f.binary ? "(binary)" : f.content || ""))));
  // The newest change is what the branch holds now: nothing to revert to there.
  const hist = el("ol", { id: "history" }, ...history.map((c, i) => el("li", { "data-commit": c.commit },
    `${c.commit.slice(0, 12)} ${c.subject} — ${c.author}, ${new Date(c.time * 1000).toLocaleString()}${c.deployed ? " (deployed)" : ""}${i === 0 ? " (current)" : ""} `,
    canWrite && i > 0 ? act("Revert to this", async () => {
      const r = await api("POST", `${path}/revert`, { to: c.commit });
      return `committed ${String(r.commit || "").slice(0, 12)}`;
    }, { "aria-label": `Revert to ${c.commit.slice(0, 12)}` }) : "")));

  const svcFilter = el("select", { id: "log-service", "aria-label": "Service" }, el("option", { value: "" }, "all services"),
    ...(live.services || []).map((s) => el("option", { value: s.name }, s.name)));
  const logs = el("div", { id: "logs" });
  const loadLogs = async () => {
    const q = svcFilter.value ? `?service=${encodeURIComponent(svcFilter.value)}` : "";
    const r = await api("GET", `${path}/logs${q}`);
    logs.replaceChildren(...r.containers.map((c) => el("section", {}, el("h3", {}, `${c.container} (${c.state})`), el("pre", { tabindex: "0" }, c.error || c.log || ""))));
  };
  svcFilter.addEventListener("change", () => loadLogs().catch((e) => say(e.message)));

  show(main,
    el("h1", {}, stack.name),
    el("p", {}, `definition ${stack.definition || "-"}, deployed `,
      el("span", { id: "deployed", title: live.commit ? `the engine runs commit ${live.commit.slice(0, 12)} of the branch` : "" },
        deployedId ? deployedId.slice(0, 12) : "nowhere"),
      stack.enabled === false ? el("span", { class: "tag" }, "disabled") : "",
      stack.template_changed ? el("span", { class: "tag" }, "template changed") : ""),
    el("p", { id: "stack-state", class: stack.problem ? "state bad" : "state" }, stackState(stack).join("; ") || ""),
    actions, result,
    el("h2", {}, "Services"),
    el("div", { class: "table-wrap" }, el("table", { id: "services" }, el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Service"), el("th", { scope: "col" }, "State"), el("th", { scope: "col" }, "Running"))), services)),
    el("h2", {}, "Containers"),
    el("div", { class: "table-wrap" }, el("table", { id: "containers" }, el("thead", {}, el("tr", {}, ...["Container", "Service", "State", "Health"].map((h) => el("th", { scope: "col" }, h)))), containers)),
    el("h2", {}, "Options"), options,
    el("h2", {}, "History"), timeline(history), hist,
    el("h2", {}, "Files"), files,
    el("h2", {}, "Logs"), el("label", { for: "log-service" }, "Service"), svcFilter, logs);
  if (live.deployed) await loadLogs().catch((e) => say(e.message));
}
