// new.js: a new stack, or new options for one, from a form made from the definition's options schema.
import { api } from "/ui/client.js";
import { el, show } from "/ui/dom.js";

// What a person reads when a value is not in its form: the option's own description, never the regex.
function formMessage(what) {
  return what ? `Not in the expected form: ${what}.` : "Not in the expected form.";
}

// An option's name as a label: "container_port" reads "Container port".
function labelOf(name, schema) {
  if (schema.title) return schema.title;
  const words = name.replace(/[_-]+/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function patternCheck(input, pattern, what) {
  let re;
  try {
    re = new RegExp(pattern, "u");
  } catch {
    return;
  }
  const check = () => input.setCustomValidity(input.value === "" || re.test(input.value) ? "" : formMessage(what));
  input.addEventListener("input", check);
  check();
}

// One input per option, with its label, description and an error slot the server's pointer can find.
// A write-only option (a password) is never shown, not even its stored value: stored says the stack
// has one, which an empty field keeps.
function field(name, schema, required, value, stored) {
  const id = `opt-${name}`;
  const attrs = { id, name, "aria-describedby": `${id}-help ${id}-error` };
  if (required) attrs.required = true;
  let input;
  if (Array.isArray(schema.enum)) {
    input = el("select", attrs, ...schema.enum.map((v) => el("option", { value: JSON.stringify(v) }, String(v))));
    if (value !== undefined) input.value = JSON.stringify(value);
  } else if (schema.type === "boolean") {
    input = el("input", { ...attrs, type: "checkbox" });
    input.checked = value === true;
  } else if (schema.type === "integer" || schema.type === "number") {
    input = el("input", { ...attrs, type: "number", step: schema.type === "integer" ? 1 : "any", min: schema.minimum, max: schema.maximum });
    if (value !== undefined) input.value = value;
  } else if (schema.writeOnly) {
    if (stored) delete attrs.required;
    input = el("input", { ...attrs, type: "password", autocomplete: "new-password", minlength: schema.minLength, maxlength: schema.maxLength,
      placeholder: stored ? "stored encrypted — leave empty to keep" : "" });
    if (schema.pattern) patternCheck(input, schema.pattern, schema.description);
  } else {
    input = el("input", { ...attrs, type: "text", minlength: schema.minLength, maxlength: schema.maxLength });
    if (value !== undefined) input.value = value;
    // A schema's pattern is an ECMA-262 "u" expression; the pattern attribute compiles with "v",
    // which refuses some of them, so the check is made here.
    if (schema.pattern) patternCheck(input, schema.pattern, schema.description);
  }
  const hint = schema.writeOnly
    ? `${schema.description || ""} Write-only: committed encrypted, never shown again.${stored ? " A new value here needs every write-only value given again." : ""}`.trim()
    : schema.description || "";
  return el("div", { class: "field", "data-option": name },
    el("label", { for: id }, labelOf(name, schema), required && !(schema.writeOnly && stored) ? " (required)" : ""),
    input,
    el("p", { class: "hint", id: `${id}-help` }, hint),
    el("p", { class: "error", id: `${id}-error`, role: "alert" }));
}

// The form's values as the schema types them; the browser's own checks (required, pattern, range)
// run first, so an error is shown at its field before anything is sent.
function values(form, props) {
  const out = {};
  for (const [name, schema] of Object.entries(props)) {
    const input = form.elements[name];
    if (schema.type === "boolean" && !Array.isArray(schema.enum)) out[name] = input.checked;
    else if (Array.isArray(schema.enum)) out[name] = JSON.parse(input.value);
    else if (input.value === "") continue;
    else if (schema.type === "integer" || schema.type === "number") out[name] = Number(input.value);
    else out[name] = input.value;
  }
  return out;
}

function showProblem(form, general, e, props) {
  const pointer = e.problem && e.problem.pointer;
  const m = pointer && pointer.match(/^\/options\/([^/]+)/);
  const slot = m && form.querySelector(`#opt-${CSS.escape(m[1])}-error`);
  if (slot) {
    const detail = e.problem.detail || e.message;
    slot.textContent = /does not match the pattern/.test(detail) ? formMessage((props[m[1]] || {}).description) : detail;
    form.elements[m[1]].focus();
  } else general.textContent = e.message;
}

// After a create, the stack is followed until the engine runs the commit just made (the pipeline
// deploys it, not the page); leaving the screen stops it.
function follow(stack, commit, line) {
  const timer = setInterval(async () => {
    if (!line.isConnected) return clearInterval(timer);
    try {
      const s = await api("GET", `/stacks/${encodeURIComponent(stack)}`);
      const live = s.live || {};
      if (live.commit === commit) {
        line.textContent = `deployed: ${live.running}/${live.desired} running, ${live.health}`;
        line.className = "ok";
        // Followed until it is settled: all running, and past a healthcheck's start.
        if (live.running === live.desired && live.health !== "starting") clearInterval(timer);
      } else line.textContent = s.live_unavailable ? `waiting (no engine: ${s.live_unavailable})` : "waiting for the pipeline to deploy it…";
    } catch (e) {
      line.textContent = e.message;
    }
  }, 3000);
}

// What the engine would do with the rendered stack, as reconcile would plan it; or why that is unknown.
function planView(plan) {
  const head = el("h3", {}, "Plan");
  if (plan.unavailable) return el("section", { id: "plan" }, head, el("p", { class: "hint" }, `no plan: ${plan.unavailable}`));
  if (plan.error) return el("section", { id: "plan" }, head, el("p", { class: "error" }, plan.error));
  const rows = (plan.actions || []).map((a) =>
    el("tr", { "data-service": a.service, "data-action": a.action }, el("td", {}, a.service), el("td", {}, a.action), el("td", {}, a.reason)));
  return el("section", { id: "plan" }, head,
    el("p", {}, plan.changes ? `${plan.changes} change${plan.changes === 1 ? "" : "s"}` : "nothing changes on the engine"),
    ...(plan.warnings || []).map((w) => el("p", { class: "hint" }, `warning: ${w}`)),
    rows.length ? el("div", { class: "table-wrap" }, el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "Service"), el("th", {}, "Action"), el("th", {}, "Why"))), el("tbody", {}, ...rows))) : "");
}

export async function newScreen(main, existing) {
  const defs = await api("GET", "/stackDefinitions");
  if (!defs.length)
    return show(main, el("h1", {}, "New stack"), el("p", { id: "no-definitions" }, "There are no definitions to make a stack from: add one under templates/ in the config repo."));
  const pick = el("select", { id: "definition" }, ...defs.map((d) => el("option", { value: d.name }, `${d.title || d.name} (${d.version})`)));
  const name = el("input", { id: "name", name: "stackname", required: true, maxlength: 63 });
  patternCheck(name, "^[a-z0-9][a-z0-9_-]{0,62}$", "lowercase letters, digits, - and _, starting with a letter or digit");
  const fields = el("div", { id: "fields" });
  const about = el("p", { class: "hint", id: "definition-about" });
  const general = el("p", { class: "error", id: "form-error", role: "alert" });
  const preview = el("div", { id: "preview" });
  const form = el("form", { id: "stack-form", novalidate: false },
    existing ? el("p", {}, `Options of ${existing.name}`) : el("div", {}, el("label", { for: "name" }, "Stack name"), name,
      el("p", { class: "hint" }, "Lowercase letters, digits, - and _; it names the stack's containers.")),
    el("label", { for: "definition" }, "Definition"), pick, about, fields,
    el("div", { class: "actions" },
      el("button", { type: "submit", name: "preview", value: "1" }, "Preview"),
      el("button", { type: "submit", id: "create" }, existing ? "Save" : "Create")),
    general, preview);
  let props = {};
  const draw = () => {
    const def = defs.find((d) => d.name === pick.value) || {};
    about.textContent = def.description || "";
    const schema = def.options || {};
    props = schema.properties || {};
    const req = new Set(schema.required || []);
    const stored = new Set((existing && existing.definition === def.name && existing.write_only_set) || []);
    fields.replaceChildren(...Object.entries(props).map(([k, s]) =>
      field(k, s, req.has(k), existing && existing.options && k in existing.options ? existing.options[k] : s.default, stored.has(k))));
  };
  if (existing && existing.definition) pick.value = existing.definition;
  pick.addEventListener("change", draw);
  draw();
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    general.textContent = "";
    form.querySelectorAll(".field .error").forEach((p) => { p.textContent = ""; });
    const dry = ev.submitter && ev.submitter.name === "preview";
    const body = { definition: pick.value, options: values(form, props) };
    try {
      if (dry) {
        const r = existing
          ? await api("PUT", `/stacks/${encodeURIComponent(existing.name)}?dry_run=true`, body)
          : await api("POST", "/stacks?dry_run=true", { name: name.value, ...body });
        preview.replaceChildren(planView(r.plan || {}),
          ...Object.entries(r.files || {}).map(([p, text]) => el("section", {}, el("h3", {}, p), el("pre", { tabindex: "0" }, text))));
      } else if (existing) {
        const r = await api("PUT", `/stacks/${encodeURIComponent(existing.name)}`, body);
        preview.replaceChildren(el("p", { class: "ok", id: "committed" }, `committed ${r.commit}`));
      } else {
        const r = await api("POST", "/stacks", { name: name.value, ...body });
        const progress = el("p", { id: "deploy-progress", role: "status" }, "waiting for the pipeline to deploy it…");
        preview.replaceChildren(el("p", { class: "ok", id: "committed" }, `committed ${r.commit}`), progress,
          el("a", { href: `#/stacks/${encodeURIComponent(name.value)}` }, "Open the stack"));
        follow(name.value, r.commit, progress);
      }
    } catch (e) {
      showProblem(form, general, e, props);
    }
  });
  show(main, el("h1", {}, existing ? `Change ${existing.name}` : "New stack"), form);
}
