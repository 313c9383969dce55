// Modal dialogs: confirmations that say what will happen, Add, Import, AI agents.

import { clear, h } from "../dom";
import { addServer, rename, reload, render, say, select } from "../model";
import { api, asCommandError } from "../ipc";
import { errorCard } from "./errors";
import { andList } from "../format";

function modal(title: string, body: HTMLElement[], actions: HTMLElement[]): HTMLDialogElement {
  const d = h("dialog", { class: "modal", "aria-label": title },
    h("h2", {}, title),
    ...body,
    h("div", { class: "modal-actions" }, ...actions),
  );
  d.addEventListener("close", () => d.remove());
  document.body.append(d);
  d.showModal();
  return d;
}

export function confirm(title: string, text: string, action: string, danger: boolean, onYes: (checked: boolean) => void, checkbox?: string): void {
  const box = checkbox ? h("input", { type: "checkbox", id: "confirm-check", checked: true }) : null;
  const d: HTMLDialogElement = modal(
    title,
    [h("p", {}, text), box ? h("label", { class: "check", for: "confirm-check" }, box, checkbox ?? "") : h("span")],
    [
      h("button", { type: "button", onclick: () => d.close() }, "Cancel"),
      h("button", { type: "button", class: danger ? "danger" : "primary", onclick: () => { d.close(); onYes(box?.checked ?? false); } }, action),
    ],
  );
}

/** Ask for one line of text (a name); empty is an answer too. */
export function prompt(title: string, label: string, value: string, help: string, onOk: (text: string) => void): void {
  const input = h("input", { id: "prompt-text", value, autocomplete: "off", spellcheck: "false", maxlength: 80 });
  const ok = () => { d.close(); onOk(input.value.trim()); };
  const d: HTMLDialogElement = modal(title, [
    h("form", { onsubmit: ((e: Event) => { e.preventDefault(); ok(); }) as EventListener },
      h("label", { for: "prompt-text" }, label), input, h("p", { class: "muted small" }, help)),
  ], [
    h("button", { type: "button", onclick: () => d.close() }, "Cancel"),
    h("button", { type: "button", class: "primary", id: "prompt-ok", onclick: ok }, "Save"),
  ]);
  input.focus();
  input.select();
}

export function openAdd(): void {
  const input = h("input", { type: "url", id: "add-url", placeholder: "https://example.com/mcp", required: true, autocomplete: "off", spellcheck: "false" });
  const name = h("input", { id: "add-name", placeholder: "For example: Company CRM", autocomplete: "off", maxlength: 80 });
  const errorSlot = h("div");
  const submit = async (e?: Event) => {
    e?.preventDefault();
    clear(errorSlot);
    try {
      const added = await addServer(input.value.trim());
      if (added && name.value.trim()) await rename(added.name, name.value.trim());
      d.close();
    } catch (err) {
      errorSlot.append(errorCard(asCommandError(err)));
    }
  };
  const form = h("form", { id: "add-form", onsubmit: submit as EventListener },
    h("label", { for: "add-url" }, "Server address (URL)"),
    input,
    h("p", { class: "muted small" }, "Paste the MCP server's URL. The app checks at once how it wants you to sign in."),
    h("label", { for: "add-name" }, "Name ", h("span", { class: "muted small" }, "(optional)")),
    name,
    errorSlot,
  );
  const d: HTMLDialogElement = modal("Add a server", [form], [
    h("button", { type: "button", onclick: () => d.close() }, "Cancel"),
    // The form's own submit button, though it sits outside it: Enter in
    // either field adds (a form with two fields and no submit button ignores Enter).
    h("button", { type: "submit", form: "add-form", class: "primary" }, "Add and check"),
  ]);
  input.focus();
}

export async function openImport(): Promise<void> {
  const list = h("div", { class: "import-list" }, h("p", { class: "muted" }, h("span", { class: "spinner small" }), " Looking in Claude, Cursor, VS Code and Windsurf…"));
  const addButton = h("button", { type: "button", class: "primary", id: "import-add", disabled: true, onclick: () => void add() }, "Add selected");
  const d: HTMLDialogElement = modal("Import from your apps", [list], [
    h("button", { type: "button", onclick: () => d.close() }, "Cancel"),
    addButton,
  ]);
  let found: Awaited<ReturnType<typeof api.importScan>> = [];
  try {
    found = await api.importScan();
  } catch (e) {
    clear(list);
    list.append(errorCard(asCommandError(e)));
    return;
  }
  clear(list);
  if (found.length === 0) {
    list.append(h("p", { class: "muted" }, "No remote MCP servers were found in your apps' settings."));
  }
  // One row per address: two apps often know the same server (GitHub's in
  // Claude Code and VS Code), and it is one server to sign in to.
  const groups: (typeof found)[] = [];
  for (const f of found) {
    const same = groups.find((g) => g[0].url === f.url);
    if (same) same.push(f); else groups.push([f]);
  }
  // The entry whose key can be copied, if one of them has one.
  const boxes: { box: HTMLInputElement; move: HTMLInputElement | null; group: typeof found; keyed: (typeof found)[number] | undefined }[] = [];
  // Nothing is ticked: the person chooses what to add.
  const update = () => {
    const n = boxes.filter((b) => b.box.checked && !b.box.disabled).length;
    addButton.disabled = n === 0;
    addButton.textContent = n ? `Add ${n === 1 ? "1 server" : `${n} servers`}` : "Add selected";
  };
  const selectable = groups.filter((g) => g[0].alreadyPresentAs === null).length;
  if (selectable > 1) {
    list.append(h("button", { type: "button", class: "link small", id: "import-all", onclick: () => { boxes.forEach((b) => { if (!b.box.disabled) b.box.checked = true; }); update(); } }, "Select all"));
  }
  groups.forEach((group, i) => {
    const f = group[0];
    const present = f.alreadyPresentAs !== null;
    const keyed = group.find((e) => e.hasStaticBearer);
    const box = h("input", { type: "checkbox", id: `imp-${i}`, disabled: present, onchange: update });
    const move = keyed && !present ? h("input", { type: "checkbox", id: `imp-move-${i}` }) : null;
    boxes.push({ box, move, group, keyed });
    const apps = group.map((e) => e.clientName).filter((n, j, all) => all.indexOf(n) === j);
    list.append(
      h("div", { class: "import-row" },
        box,
        h("div", { class: "import-text" },
          h("label", { for: `imp-${i}` }, h("strong", {}, f.name), " ", h("span", { class: "muted" }, `from ${andList(apps)}`)),
          h("span", { class: "row-host" }, f.url),
          present ? h("span", { class: "muted small" }, `Already in your list as ${f.alreadyPresentAs}`) : null,
          ...group.filter((e) => e.credentialHeaders.length).map((e) =>
            h("span", { class: "warn small" }, `${e.clientName} keeps a key for it (${e.credentialHeaders.join(", ")}) in a plain file, `, h("code", { class: "import-path" }, e.path), ". It is not copied unless you ask; signing in here is better. ",
              h("button", { type: "button", class: "link small show-file", "data-client": e.client, onclick: () => void api.showConfigFile(e.client, e.path).catch((err) => list.prepend(errorCard(asCommandError(err)))) }, "Show in file"))),
          move && keyed ? h("div", { class: "check small" }, move, h("label", { for: `imp-move-${i}` }, `Copy its key into my keychain (${keyed.clientName}'s file is left as it is)`)) : null,
        ),
      ),
    );
  });
  async function add(): Promise<void> {
    const choices = boxes
      .filter((b) => b.box.checked && !b.box.disabled)
      .map((b) => {
        const moving = b.move?.checked ?? false;
        const e = moving && b.keyed ? b.keyed : b.group[0];
        return { url: e.url, name: e.name, client: e.client, moveCredential: moving };
      });
    if (!choices.length) return;
    try {
      const added = await api.importAdd(choices);
      d.close();
      const n = added.length;
      say("", n === 1 ? "1 server added. It needs you to sign in once." : `${n} servers added. Each needs you to sign in once.`);
      await reload();
      if (added[0]) await select(added[0].name);
    } catch (e) {
      list.prepend(errorCard(asCommandError(e)));
      render();
    }
  }
}

/** "AI agents": a switch per app; on, the app's agent can connect you to servers through `mcp-auth serve`. */
export async function openAgents(): Promise<void> {
  const list = h("div", { class: "agent-list" }, h("p", { class: "muted" }, h("span", { class: "spinner small" }), " Looking for your apps…"));
  const d: HTMLDialogElement = modal("Let AI agents connect you", [
    h("p", { class: "muted" }, "An app switched on here gets MCP Auth Manager as one of its tools: its AI agent can then connect you to MCP servers. You still sign in yourself, in your browser, and the agent never sees your keys. It can only add a server when you agree here."),
    list,
  ], [h("button", { type: "button", class: "primary", onclick: () => d.close() }, "Done")]);
  const show = (uses: Awaited<ReturnType<typeof api.agentUses>>, note?: string) => {
    clear(list);
    const present = uses.filter((u) => u.detected || u.connected);
    if (!present.length) list.append(h("p", { class: "muted" }, "No MCP app was found on this computer (Claude Desktop, Claude Code, Cursor, VS Code, Windsurf)."));
    list.append(h("ul", { class: "apps" }, present.map((u) =>
      h("li", { class: "app-use" },
        h("label", { class: "check switch", for: `agent-${u.app}` },
          h("input", { type: "checkbox", role: "switch", id: `agent-${u.app}`, checked: u.connected,
            onchange: async (e: Event) => {
              const on = (e.target as HTMLInputElement).checked;
              try {
                show(await api.setAgentUse(u.app, on), on ? `${u.name} can now connect you to servers. Restart ${u.name} to use it.` : `${u.name} is back to its own settings. Restart ${u.name}.`);
              } catch (err) {
                list.prepend(errorCard(asCommandError(err)));
              }
            } }),
          h("span", {}, u.name)),
        h("span", { class: "muted small config-path", title: u.config }, "\u200e" + u.config),
      ))));
    if (note) list.append(h("div", { class: "notice" }, note));
  };
  try {
    show(await api.agentUses());
  } catch (e) {
    clear(list);
    list.append(errorCard(asCommandError(e)));
  }
}

/** The app's own preferences: the tray and starting at login. */
export async function openPreferences(): Promise<void> {
  const body = h("div", { class: "preferences" }, h("p", { class: "muted" }, h("span", { class: "spinner small" }), " Reading your preferences…"));
  const d: HTMLDialogElement = modal("Preferences", [body], [h("button", { type: "button", class: "primary", onclick: () => d.close() }, "Done")]);
  const show = (p: Awaited<ReturnType<typeof api.preferences>>) => {
    clear(body);
    const change = (set: (on: boolean) => ReturnType<typeof api.preferences>) => async (e: Event) => {
      try {
        show(await set((e.target as HTMLInputElement).checked));
      } catch (err) {
        body.prepend(errorCard(asCommandError(err)));
      }
    };
    body.append(
      h("div", { class: "field" },
        h("label", { class: "check switch", for: "pref-tray" },
          h("input", { type: "checkbox", role: "switch", id: "pref-tray", checked: p.trayShown && p.keepInTray, disabled: !p.trayShown, onchange: change(api.setKeepInTray) }),
          h("span", {}, "Keep running in the tray when the window is closed")),
        h("p", { class: "muted small", id: "pref-tray-note" }, p.trayShown
          ? "Sign-ins keep renewing and your AI apps can still ask you to sign in. Quit from the tray icon's menu."
          : "This desktop has no tray to show the app's icon in, so closing the window quits the app."),
      ),
      h("div", { class: "field" },
        h("label", { class: "check switch", for: "pref-login" },
          h("input", { type: "checkbox", role: "switch", id: "pref-login", checked: p.startAtLogin, onchange: change(api.setStartAtLogin) }),
          h("span", {}, "Start MCP Auth Manager when you log in")),
      ),
    );
  };
  try {
    show(await api.preferences());
  } catch (e) {
    clear(body);
    body.append(errorCard(asCommandError(e)));
  }
}
