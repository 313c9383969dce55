// The server list: one row per server with its badge, host and issuer.

import { h } from "../dom";
import { BADGE_WORDS } from "../format";
import { model, render, select, shown, startDemo } from "../model";
import type { ServerView } from "../ipc";

export function badge(b: string): HTMLElement {
  return h("span", { class: `badge badge-${b}` }, BADGE_WORDS[b] ?? b);
}

const SERVER_FAULTS = new Set(["network", "invalid_response", "unsafe_url", "untrusted", "server"]);

/** A server whose last check failed on its side (unreachable, unusable or
 *  unsafe answers) shows Error, whatever is stored, until a check succeeds:
 *  the engine keeps the failure in the list, so dismissing the message or
 *  restarting the app does not hide it. A cancelled sign-in or a rejected
 *  secret is the user's to retry and keeps its badge. */
export function failing(s: ServerView): boolean {
  return s.failedCheck !== null || model.connect.get(s.name)?.status === "error";
}

/** The refusal is the app's own, for safety: the server's sign-in setup is unsafe. */
export function refused(s: ServerView): boolean {
  const kind = model.errors.get(s.name)?.kind ?? s.failedCheck?.kind ?? "";
  return failing(s) && (kind === "unsafe_url" || kind === "untrusted");
}

export { SERVER_FAULTS };

/** The badge a server shows, in the list and in its pane alike: the state
 *  in words, for a screen reader too. */
export function serverBadge(s: ServerView): HTMLElement {
  return badge(failing(s) ? "error" : s.badge);
}

function row(s: ServerView): HTMLElement {
  const current = s.name === model.selected;
  const signingIn = model.flows.has(s.name) || model.deviceFlows.has(s.name);
  const busy = model.busy.has(s.name) && !signingIn;
  return h(
    "button",
    {
      class: `server-row${current ? " current" : ""}`,
      type: "button",
      "data-key": `row:${s.name}`,
      "data-server": s.name,
      "aria-current": current ? "true" : undefined,
      onclick: () => void select(s.name),
    },
    h("span", { class: "row-top" },
      h("span", { class: "row-name", title: s.title }, s.title),
      signingIn ? h("span", { class: "row-state" }, "Signing in…") : busy ? h("span", { class: "spinner small", "aria-label": "Working" }) : serverBadge(s)),
    s.title !== s.place ? h("span", { class: "row-host" }, s.place) : null,
    model.asks.has(s.name)
      ? h("span", { class: "row-issuer row-asked" }, "An AI app is waiting for you")
      : s.signsInAt ? h("span", { class: "row-issuer" }, `Signs in at ${s.signsInAt}`) : null,
  );
}

/** Once the list is longer than five, a search field filters it by name and address. */
function search(): HTMLElement | null {
  if (shown().length <= 5) return null;
  return h("div", { class: "list-search" },
    h("label", { for: "server-search", class: "visually-hidden" }, "Search servers"),
    h("input", { type: "search", id: "server-search", "data-key": "server-search", placeholder: "Search servers", value: model.search, autocomplete: "off",
      oninput: (e: Event) => { model.search = (e.target as HTMLInputElement).value; render(); } }),
  );
}

function matches(s: ServerView): boolean {
  const q = model.search.trim().toLowerCase();
  return !q || [s.title, s.place, s.name, s.signsInAt ?? ""].some((t) => t.toLowerCase().includes(q));
}

export function serverList(openAdd: () => void, openImport: () => void): HTMLElement {
  if (model.loaded && shown().length === 0) {
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
  const rows = shown().filter(matches);
  return h(
    "nav",
    { class: "server-list", "aria-label": "Servers", onkeydown: arrowKeys as EventListener },
    search(),
    rows.map(row),
    rows.length === 0 ? h("p", { class: "muted small list-none" }, "No server matches.") : null,
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
