// app.js: the page's entry: the session, the routes of the hash, the screens.
// Everything on screen is made with DOM calls and textContent, never from HTML strings, so nothing an
// API reply holds can run as markup.
import { api, hasToken, setToken, clearToken } from "/ui/client.js";
import { el, show, say } from "/ui/dom.js";
import { stackScreen } from "/ui/stack.js";
import { newScreen } from "/ui/new.js";
import { imagesScreen } from "/ui/images.js";
import { stackState } from "/ui/state.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
let refresh = null;
let session = null; // {name, role} of the token

function signIn(message) {
  nav.hidden = true;
  const token = el("input", { id: "token", type: "password", autocomplete: "off", required: true });
  const err = el("p", { class: "error", id: "signin-error", role: "alert" }, message || "");
  const form = el("form", { id: "signin" },
    el("h1", {}, "Sign in"),
    el("label", { for: "token" }, "API token"),
    token,
    el("p", { class: "hint" }, "The token is kept in this tab only, and forgotten when you sign out."),
    el("button", { type: "submit" }, "Sign in"),
    err);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    setToken(token.value.trim());
    try {
      await api("GET", "/stacks");
      location.hash = "#/";
      route();
    } catch (e) {
      clearToken();
      err.textContent = e.status === 401 ? "That token is not valid." : e.message;
    }
  });
  show(main, form);
  token.focus();
}

// A cell with its column's name, which a phone's screen shows beside it (the table is a list there).
function cell(text, label) {
  return el("td", { "data-label": label }, text == null ? "" : String(text));
}

async function stacksScreen() {
  const filter = el("input", { id: "filter", type: "search", placeholder: "name", "aria-label": "Filter stacks by name" });
  const body = el("tbody");
  const table = el("div", { class: "table-wrap" },
    el("table", { id: "stacks" },
      el("caption", { class: "hint" }, "Every stack of the branch, with what runs"),
      el("thead", {}, el("tr", {}, ...["Stack", "Definition", "Deployed", "Running", "Health", "Drift", "State"].map((h) => el("th", { scope: "col" }, h)))),
      body));
  show(main, el("h1", {}, "Stacks"), el("label", { for: "filter" }, "Filter"), filter, table);
  let stacks = [];
  const draw = () => {
    const q = filter.value.trim().toLowerCase();
    body.replaceChildren(...stacks.filter((s) => s.name.includes(q)).map((s) => {
      const live = s.live || {};
      return el("tr", { "data-stack": s.name },
        el("td", { "data-label": "Stack" }, el("a", { href: `#/stacks/${encodeURIComponent(s.name)}` }, s.name)),
        cell(s.definition || "-", "Definition"),
        cell(live.commit ? live.commit.slice(0, 12) : "-", "Deployed"),
        cell(live.deployed ? `${live.running}/${live.desired}` : "-", "Running"),
        cell(live.health || (s.live_unavailable ? "unknown" : "-"), "Health"),
        cell(live.drift ? live.drift_detail || "drifted" : live.deployed ? "none" : "-", "Drift"),
        el("td", { class: s.problem ? "state bad" : "state", "data-label": "State" }, stackState(s).join("; ") || "ok"));
    }));
  };
  filter.addEventListener("input", draw);
  const load = async () => {
    const reply = await api("GET", "/stacks");
    stacks = Array.isArray(reply) ? reply : reply.stacks || [];
    draw();
    say(`updated ${new Date().toLocaleTimeString()}`);
  };
  await load();
  refresh = setInterval(() => load().catch((e) => say(e.message)), 5000);
}

async function route() {
  clearInterval(refresh);
  if (!hasToken()) return signIn();
  try {
    session = session || (await api("GET", "/session"));
    nav.hidden = false;
    // A read token is offered nothing that writes.
    document.getElementById("nav-new").hidden = session.role !== "write";
    const m = location.hash.match(/^#\/stacks\/([^/]+)$/);
    const edit = location.hash.match(/^#\/stacks\/([^/]+)\/edit$/);
    const canWrite = session.role === "write";
    if ((location.hash === "#/new" || edit) && !canWrite)
      show(main, el("h1", {}, "New stack"), el("p", { id: "read-only" }, "Signed in with a read token: stacks cannot be made or changed here."));
    else if (location.hash === "#/new") await newScreen(main, null);
    else if (location.hash === "#/images") await imagesScreen(main);
    else if (edit) await newScreen(main, await api("GET", `/stacks/${edit[1]}`));
    else if (m) await stackScreen(main, decodeURIComponent(m[1]), canWrite, () => { location.hash = "#/"; });
    else await stacksScreen();
  } catch (e) {
    if (e.status === 401) {
      clearToken();
      session = null;
      return signIn("The token was refused: sign in again.");
    }
    show(main, el("p", { class: "error", role: "alert" }, e.message));
  }
}

document.getElementById("signout").addEventListener("click", () => {
  clearToken();
  session = null;
  nav.hidden = true;
  location.hash = "#/";
  route();
});
window.addEventListener("hashchange", route);
route();
