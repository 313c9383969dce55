// The server list: one row per server with its badge, host and issuer.

import { h } from "../dom";
import { BADGE_WORDS } from "../format";
import { model, select, startDemo } from "../model";
import type { ServerView } from "../ipc";

export function badge(b: string): HTMLElement {
  return h("span", { class: `badge badge-${b}` }, BADGE_WORDS[b] ?? b);
}

const SERVER_FAULTS = new Set(["network", "invalid_response", "unsafe_url", "untrusted", "server"]);

/** A server whose last check failed on its side (unreachable, unusable or
 *  unsafe answers) shows Error, whatever is stored; a cancelled sign-in or a
 *  rejected secret is the user's to retry and keeps its badge. */
export function failing(s: ServerView): boolean {
  return SERVER_FAULTS.has(model.errors.get(s.name)?.kind ?? "") || model.connect.get(s.name)?.status === "error";
}

/** The badge a server shows, in the list and in its pane alike. */
export function serverBadge(s: ServerView): HTMLElement {
  return badge(failing(s) ? "error" : s.badge);
}

function row(s: ServerView): HTMLElement {
  const current = s.name === model.selected;
  const busy = model.busy.has(s.name) || model.flows.has(s.name);
  return h(
    "button",
    {
      class: `server-row${current ? " current" : ""}`,
      type: "button",
      "data-key": `row:${s.name}`,
      "aria-current": current ? "true" : undefined,
      onclick: () => void select(s.name),
    },
    h("span", { class: "row-top" }, h("span", { class: "row-name" }, s.name), busy ? h("span", { class: "spinner small", "aria-label": "Working" }) : serverBadge(s)),
    h("span", { class: "row-host" }, s.host),
    model.asks.has(s.name)
      ? h("span", { class: "row-issuer row-asked" }, "An AI app is waiting for you")
      : h("span", { class: "row-issuer" }, s.issuer ? `via ${hostOf(s.issuer)}` : failing(s) ? "The last check failed" : "Not checked yet"),
  );
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

export function serverList(openAdd: () => void, openImport: () => void): HTMLElement {
  if (model.loaded && model.servers.length === 0) {
    return h(
      "section",
      { class: "empty" },
      h("h2", {}, "No MCP servers yet"),
      h("p", { class: "muted" }, "Add the servers your AI tools use, sign in once, and MCP Auth Manager keeps the keys safe in your system keychain."),
      h("div", { class: "empty-actions" },
        h("button", { class: "primary", type: "button", "data-key": "empty-add", onclick: openAdd }, "Add a server"),
        h("button", { type: "button", "data-key": "empty-import", onclick: openImport }, "Import from your apps"),
        h("button", { class: "link", type: "button", "data-key": "empty-demo", onclick: () => void startDemo() }, "Try it with a demo server"),
      ),
    );
  }
  return h(
    "nav",
    { class: "server-list", "aria-label": "Servers", onkeydown: arrowKeys as EventListener },
    model.servers.map(row),
  );
}

/** Up and down arrows move between rows. */
function arrowKeys(e: KeyboardEvent): void {
  if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
  const rows = Array.from(document.querySelectorAll<HTMLButtonElement>(".server-row"));
  const i = rows.indexOf(document.activeElement as HTMLButtonElement);
  const next = rows[Math.max(0, Math.min(rows.length - 1, i + (e.key === "ArrowDown" ? 1 : -1)))];
  if (next) {
    e.preventDefault();
    next.focus();
    next.click();
  }
}
