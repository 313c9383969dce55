// Modal dialogs: confirmations that say what will happen, Add, Import, AI agents.

import { clear, h } from "../dom";
import { addServer, model, reload, render } from "../model";
import { api, asCommandError } from "../ipc";
import { errorCard } from "./errors";

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

export function openAdd(): void {
  const input = h("input", { type: "url", id: "add-url", placeholder: "https://example.com/mcp", required: true, autocomplete: "off", spellcheck: "false" });
  const errorSlot = h("div");
  const submit = async (e?: Event) => {
    e?.preventDefault();
    clear(errorSlot);
    try {
      await addServer(input.value.trim());
      d.close();
    } catch (err) {
      errorSlot.append(errorCard(asCommandError(err)));
    }
  };
  const form = h("form", { onsubmit: submit as EventListener },
    h("label", { for: "add-url" }, "Server address (URL)"),
    input,
    h("p", { class: "muted small" }, "Paste the MCP server's URL. The app checks at once how it wants you to sign in."),
    errorSlot,
  );
  const d: HTMLDialogElement = modal("Add a server", [form], [
    h("button", { type: "button", onclick: () => d.close() }, "Cancel"),
    h("button", { type: "button", class: "primary", onclick: () => void submit() }, "Add and check"),
  ]);
  input.focus();
}

export async function openImport(): Promise<void> {
  const list = h("div", { class: "import-list" }, h("p", { class: "muted" }, h("span", { class: "spinner small" }), " Looking in Claude, Cursor, VS Code and Windsurf…"));
  const d: HTMLDialogElement = modal("Import from your apps", [list], [
    h("button", { type: "button", onclick: () => d.close() }, "Cancel"),
    h("button", { type: "button", class: "primary", id: "import-add", onclick: () => void add() }, "Add selected"),
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
  const boxes: { box: HTMLInputElement; move: HTMLInputElement | null; i: number }[] = [];
  found.forEach((f, i) => {
    const present = f.alreadyPresentAs !== null;
    const box = h("input", { type: "checkbox", id: `imp-${i}`, checked: !present, disabled: present });
    const move = f.hasStaticBearer && !present ? h("input", { type: "checkbox", id: `imp-move-${i}` }) : null;
    boxes.push({ box, move, i });
    list.append(
      h("label", { class: "import-row", for: `imp-${i}` },
        box,
        h("span", { class: "import-text" },
          h("strong", {}, f.name), " ", h("span", { class: "muted" }, `from ${f.clientName}`),
          h("span", { class: "row-host" }, f.url),
          present ? h("span", { class: "muted small" }, `Already in your list as ${f.alreadyPresentAs}`) : null,
          f.credentialHeaders.length
            ? h("span", { class: "warn small" }, `${f.clientName} keeps a static credential (${f.credentialHeaders.join(", ")}) for it in a plain file. It is not copied unless you ask; signing in here is better. Then remove it from that file.`)
            : null,
          move ? h("label", { class: "check small", for: `imp-move-${i}` }, move, "Move its access token into my keychain") : null,
        ),
      ),
    );
  });
  async function add(): Promise<void> {
    const choices = boxes
      .filter((b) => b.box.checked && !b.box.disabled)
      .map((b) => ({ url: found[b.i].url, name: found[b.i].name, client: found[b.i].client, moveCredential: b.move?.checked ?? false }));
    try {
      await api.importAdd(choices);
      d.close();
      model.notices.set("", `${choices.length} server(s) added.`);
      await reload();
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
    if (note) list.append(h("div", { class: "notice", role: "status" }, note));
  };
  try {
    show(await api.agentUses());
  } catch (e) {
    clear(list);
    list.append(errorCard(asCommandError(e)));
  }
}
