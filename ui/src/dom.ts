// A tiny DOM builder. Text is always set with textContent, never innerHTML, so
// server-supplied strings (names, scopes, tool descriptions, error messages)
// are shown as text and can never become markup.

type Attrs = Record<string, string | boolean | number | undefined | null | EventListener>;
export type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2).toLowerCase(), value as EventListener);
    } else if (key === "class") {
      el.className = String(value);
    } else if (value === true) {
      el.setAttribute(key, "");
    } else {
      el.setAttribute(key, String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return el;
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/** An icon-only button always has a tooltip and an accessible name. */
export function iconButton(label: string, glyph: string, onClick: () => void, extra = ""): HTMLButtonElement {
  return h("button", { class: `icon ${extra}`, title: label, "aria-label": label, type: "button", onclick: onClick }, glyph);
}
