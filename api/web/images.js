// images.js: the repo's image descriptors and what the engine has built from them.
import { api } from "/ui/client.js";
import { el, show } from "/ui/dom.js";

export async function imagesScreen(main) {
  const images = await api("GET", "/images");
  const rows = images.map((i) => el("tr", { "data-image": i.name },
    el("td", {}, i.name),
    el("td", {}, i.dockerfile),
    el("td", {}, i.live_unavailable ? `unknown: ${i.live_unavailable}` :
      (i.built || []).length ? el("ul", {}, ...i.built.map((b) => el("li", {},
        `${(b.tags || []).join(", ") || b.id.slice(7, 19)} — commit ${String(b.commit || "").slice(0, 12)}, ${new Date(b.created * 1000).toLocaleString()}`))) : "not built on this engine")));
  show(main, el("h1", {}, "Images"),
    images.length ? el("div", { class: "table-wrap" }, el("table", { id: "images" },
      el("thead", {}, el("tr", {}, ...["Image", "Dockerfile", "Built"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, ...rows))) : el("p", {}, "The config repo has no image descriptors."));
}
