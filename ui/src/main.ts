// MCP Auth Manager's window: a server list on the left, the selected server on
// the right. Rendering is a full rebuild of plain DOM (the page is small);
// focus is kept across rebuilds by `data-key`.

import { clear, h } from "./dom";
import { answerAddAsk, model, onRender, reload, render, shown, undoRemove, wireEvents } from "./model";
import { openAdd, openAgents, openImport, openPreferences } from "./views/dialogs";
import { detailPane, tickCountdown } from "./views/detail";
import { errorCard } from "./views/errors";
import { serverList } from "./views/list";

const root = document.getElementById("app")!;

function view(): HTMLElement {
  const globalError = model.errors.get("");
  const globalNotice = model.notices.get("");
  const empty = model.loaded && shown().length === 0;
  return h("div", { class: "shell" },
    h("header", { class: "topbar" },
      h("div", { class: "brand" }, h("img", { src: "/icon.svg", alt: "", width: 26, height: 26 }), h("h1", {}, "MCP Auth Manager")),
      h("div", { class: "top-actions" },
        h("button", { type: "button", "data-key": "agents", id: "open-agents", onclick: () => void openAgents() }, "AI agents"),
        h("button", { type: "button", "data-key": "preferences", id: "open-preferences", onclick: () => void openPreferences() }, "Preferences"),
        // The empty list offers these itself, larger: not twice.
        empty ? null : h("button", { type: "button", "data-key": "import", onclick: () => void openImport() }, "Import"),
        empty ? null : h("button", { type: "button", class: "primary", "data-key": "add", onclick: openAdd }, "Add server"),
      ),
    ),
    globalError ? errorCard(globalError, () => { model.errors.delete(""); render(); }) : null,
    ...model.addAsks.map((url) => addAskCard(url)),
    globalNotice
      ? h("div", { class: `notice${globalNotice.tone === "warn" ? " warn" : ""}` }, globalNotice.text,
          model.undo ? h("button", { class: "link", type: "button", id: "undo-remove", "data-key": "undo-remove", onclick: undoRemove }, "Undo") : null,
          h("button", { class: "link", type: "button", onclick: () => { model.notices.delete(""); model.undo = null; render(); } }, "OK"))
      : null,
    // Until the list arrives (a few ms): nothing, not a spinner. An animation
    // in the first frame costs a compositing layer, which is slow to set up
    // on machines that render in software.
    !model.loaded
      ? h("main", { class: "loading", "aria-busy": "true" })
      : empty
        ? h("main", { class: "single" }, serverList(openAdd, () => void openImport()))
        : h("main", { class: "split" }, serverList(openAdd, () => void openImport()), detailPane()),
  );
}

/** An agent (through `mcp-auth serve`) asks to add a server: the person decides, seeing the address. */
function addAskCard(url: string): HTMLElement {
  return h("div", { class: "card ask shell-card", role: "alertdialog", "aria-labelledby": "add-ask-title" },
    h("h3", { id: "add-ask-title" }, "An AI agent asks to add a server"),
    h("p", {}, "It wants to connect you to ", h("code", { class: "add-ask-url" }, url), ". Add it only if you know this address and meant to use it."),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "primary", id: "add-ask-yes", "data-key": "add-ask-yes", onclick: () => void answerAddAsk(url, true) }, "Add"),
      h("button", { type: "button", id: "add-ask-no", "data-key": "add-ask-no", onclick: () => void answerAddAsk(url, false) }, "Don't add"),
    ),
  );
}

/** What the person changed in a form that keeps its edits (the settings
 * form), by control id: a rebuild (a list change, a detail arriving) starts
 * from the model, which has not seen them yet. */
function unsavedEdits(): { id: string; value: string; checked: boolean; choice: boolean }[] {
  const controls = root.querySelectorAll<HTMLInputElement>("form[data-keep-edits] input[id], form[data-keep-edits] textarea[id]");
  return Array.from(controls)
    .filter((e) => (e.type === "radio" || e.type === "checkbox" ? e.checked !== e.defaultChecked : e.value !== e.defaultValue))
    .map((e) => ({ id: e.id, value: e.value, checked: e.checked, choice: e.type === "radio" || e.type === "checkbox" }));
}

function restore(edits: ReturnType<typeof unsavedEdits>): void {
  // Choices first: their handlers may fill other fields, which the person's
  // own text then overrides.
  for (const e of [...edits.filter((e) => e.choice), ...edits.filter((e) => !e.choice)]) {
    const el = root.querySelector<HTMLInputElement>(`form[data-keep-edits] #${CSS.escape(e.id)}`);
    if (!el) continue;
    if (e.choice) {
      el.checked = e.checked;
      el.dispatchEvent(new Event("change"));
    } else {
      el.value = e.value;
    }
  }
}

/** The disclosures ("Technical details", an error's "Details"…) the person
 *  opened, by class and place: a rebuild (a renewal, a list change) must not
 *  fold them again under the reader's eyes. */
function detailsKeys(): [HTMLDetailsElement, string][] {
  const seen = new Map<string, number>();
  return Array.from(root.querySelectorAll<HTMLDetailsElement>("details")).map((d) => {
    const n = seen.get(d.className) ?? 0;
    seen.set(d.className, n + 1);
    return [d, `${d.className}#${n}`];
  });
}

function openDetails(): Set<string> {
  return new Set(detailsKeys().filter(([d]) => d.open).map(([, key]) => key));
}

function reopen(keys: Set<string>): void {
  for (const [d, key] of detailsKeys()) if (keys.has(key) && !d.open) d.open = true;
}

/** One live region outside the rebuilt page: each message is announced once,
 *  when it first appears, not again at every rebuild. */
const announcer = document.getElementById("announcer")!;
let announced = new Set<string>();
function announce(): void {
  const now = new Set(Array.from(model.notices.values()).map((n) => n.text));
  const fresh = Array.from(now).filter((t) => !announced.has(t));
  if (fresh.length) announcer.textContent = fresh.join(" ");
  announced = now;
}

let stepUpShown = false;
let programAskShown = false;

onRender(() => {
  const active = document.activeElement as HTMLElement | null;
  const focused = active?.dataset?.key ?? (active?.id ? `#${active.id}` : undefined);
  const edits = unsavedEdits();
  const opened = openDetails();
  const scroll = root.querySelector(".detail")?.scrollTop ?? 0;
  clear(root);
  root.append(view());
  restore(edits);
  reopen(opened);
  const pane = root.querySelector(".detail");
  if (pane) pane.scrollTop = scroll;
  announce();
  // A step-up prompt, or a program asking to use a sign-in, takes the focus
  // when it appears: it is what waits.
  const stepUp = root.querySelector<HTMLElement>("#step-up");
  const programAsk = root.querySelector<HTMLElement>("#program-ask");
  if (stepUp && !stepUpShown) {
    stepUp.focus();
  } else if (programAsk && !programAskShown) {
    programAsk.focus();
  } else if (focused) {
    const el = focused.startsWith("#") ? root.querySelector<HTMLElement>(`#${CSS.escape(focused.slice(1))}`) : root.querySelector<HTMLElement>(`[data-key="${CSS.escape(focused)}"]`);
    el?.focus();
  }
  stepUpShown = !!stepUp;
  programAskShown = !!programAsk;
});

wireEvents();
render();
void reload();
setInterval(tickCountdown, 1000);
