// dom.js: elements from data, never from HTML strings.
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v == null) continue;
    e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

export function show(root, ...nodes) {
  root.replaceChildren(...nodes);
}

export function say(text) {
  document.getElementById("status").textContent = text;
}
