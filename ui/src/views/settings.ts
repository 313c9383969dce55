// The configure form: suggested client id, redirect URI and scope, each
// editable with a reset-to-suggested action, and a client secret field whose
// value is sent once to the keychain and never shown again.

import { h } from "../dom";
import { copyText, discover, model, reload, render, say } from "../model";
import { api, asCommandError, type ServerView } from "../ipc";
import { confirm } from "./dialogs";
import { scopeRisk, scopeWords } from "../format";
import type { OauthDiscoveryView } from "../bindings/OauthDiscoveryView";

function field(id: string, label: string, value: string, suggested: string | null, help: string): HTMLElement {
  const input = h("input", { id, value, autocomplete: "off", spellcheck: "false" });
  const isSuggested = suggested !== null && value === suggested;
  return h("div", { class: "field" },
    h("label", { for: id }, label, isSuggested ? h("span", { class: "tag" }, "suggested") : null),
    h("div", { class: "field-row" },
      input,
      suggested !== null
        ? h("button", { type: "button", class: "small", title: "Reset to the suggested value", onclick: () => { input.value = suggested; } }, "Reset")
        : null,
    ),
    h("p", { class: "muted small" }, help),
  );
}

export function settingsForm(s: ServerView, d: OauthDiscoveryView | null): HTMLElement {
  const suggestedRedirect = d?.suggestedRedirectUri ?? s.suggestedRedirectUri;
  const suggestedScope = d?.suggestedScope ?? s.suggestedScope;
  const offered = d?.scopes.length ? d.scopes : s.offeredScopes;
  const scopeField = field("set-scope", "Permissions (scope)", s.scopeSetting ?? suggestedScope ?? "", suggestedScope, offered.length ? `The server offers: ${offered.join(", ")}` : "Leave empty to let the server decide.");
  const scopeInput = scopeField.querySelector("input")!;
  // The identifiers are for whoever sets the server up: folded away unless
  // they are needed now (no automatic registration, a secret to enter) or
  // someone already changed them.
  const customised = !!s.clientId && s.clientSource === "entered" || !!s.redirectUri && s.redirectUri !== suggestedRedirect || s.redirectMode === "deep_link";
  const advancedOpen = !!d || customised || model.advancedOpen.has(s.name);
  const form = h("form", { class: "settings", "data-keep-edits": "true", onsubmit: ((e: Event) => { e.preventDefault(); void save(); }) as EventListener },
    d ? itSetup(s, d, suggestedRedirect, suggestedScope) : null,
    offered.length ? scopeChoices(offered, scopeInput) : null,
    localNetworkChoice(s),
    consentChoice(s),
    h("details", { class: "advanced", open: advancedOpen, ontoggle: (e: Event) => { if ((e.target as HTMLDetailsElement).open) model.advancedOpen.add(s.name); else model.advancedOpen.delete(s.name); } },
      h("summary", { id: "advanced-summary", "data-key": "advanced" }, "Advanced (for IT)"),
      h("div", { class: "advanced-body" },
        field("set-client-id", "Client ID", s.clientId ?? d?.suggestedClientId ?? "", d?.suggestedClientId ?? null, d ? "The ID your IT team (or the provider) gave this app." : "Leave empty: the app registers itself with the server's sign-in service when it allows that."),
        redirectChoice(s, suggestedRedirect),
        scopeField,
        secretField(s, d?.needsClientSecret ?? false),
      ),
    ),
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "primary" }, "Save"), h("button", { type: "button", id: "settings-close", onclick: () => closeSettings(s.name, form) }, "Close")),
  );
  async function save(): Promise<void> {
    const value = (id: string) => (document.getElementById(id) as HTMLInputElement).value;
    try {
      const link = (document.getElementById("mode-link") as HTMLInputElement).checked;
      await api.saveSettings(s.name, {
        clientId: value("set-client-id"),
        redirectUri: link ? null : value("set-redirect"),
        scope: value("set-scope"),
        redirectMode: link ? "deep_link" : "loopback",
        allowLocalNetwork: (document.getElementById("set-local-network") as HTMLInputElement).checked,
        consentPrompt: (document.getElementById("set-consent") as HTMLInputElement).checked,
      });
      const secret = document.getElementById("set-secret") as HTMLInputElement | null;
      if (secret && secret.value) {
        await api.setClientSecret(s.name, secret.value);
        secret.value = "";
      }
      model.settingsOpen.delete(s.name);
      say(s.name, "Settings saved.");
      await discover(s.name);
    } catch (e) {
      model.errors.set(s.name, asCommandError(e));
      render();
    }
  }
  return form;
}

/** Close asks before it drops what the person changed and did not save. */
function closeSettings(name: string, form: HTMLFormElement): void {
  const changed = Array.from(form.querySelectorAll<HTMLInputElement>("input")).some((e) =>
    e.type === "radio" || e.type === "checkbox" ? e.checked !== e.defaultChecked : e.value !== e.defaultValue);
  const close = () => { model.settingsOpen.delete(name); render(); };
  if (!changed) return close();
  confirm("Close without saving?", "Your changes to these settings are not saved yet.", "Close without saving", true, close);
}

const APP_LINK = "dev.mcpauth.manager:/callback";

/** Where the browser comes back: this computer's loopback (default) or the app's link. */
function redirectChoice(s: ServerView, suggested: string): HTMLElement {
  const link = s.redirectMode === "deep_link";
  const uri = h("input", { id: "set-redirect", value: link ? APP_LINK : (s.redirectUri ?? suggested), spellcheck: "false", readonly: link });
  const tag = h("span", { class: "tag", id: "redirect-suggested", hidden: link || uri.value !== suggested }, "suggested");
  const pick = (mode: "loopback" | "link") => () => {
    uri.value = mode === "link" ? APP_LINK : (s.redirectUri ?? suggested);
    uri.readOnly = mode === "link";
    // The tag follows the choice: the app's link is no suggestion.
    tag.hidden = mode === "link" || uri.value !== suggested;
  };
  return h("fieldset", { class: "field choice" },
    h("legend", {}, "How your browser comes back to the app"),
    h("label", { class: "check", for: "mode-loopback" },
      h("input", { type: "radio", name: "redirect-mode", id: "mode-loopback", checked: !link, onchange: pick("loopback") }),
      "Through this computer (loopback) ", h("span", { class: "tag" }, "recommended")),
    h("label", { class: "check", for: "mode-link" },
      h("input", { type: "radio", name: "redirect-mode", id: "mode-link", checked: link, onchange: pick("link") }),
      "Through the app's link (for providers that refuse loopback addresses)"),
    h("label", { for: "set-redirect" }, "Redirect URI to register", tag),
    h("div", { class: "field-row" },
      uri,
      h("button", { type: "button", class: "small", title: "Copy the redirect URI", onclick: () => void copyText(s.name, uri.value, "Redirect URI copied.") }, "Copy"),
    ),
  );
}

/**
 * A server on the internet may not send the app to this computer or the local
 * network (a router's page, a service on localhost); the user can allow it for
 * a server they trust, such as one of their own.
 */
function localNetworkChoice(s: ServerView): HTMLElement {
  return h("div", { class: "field" },
    h("label", { class: "check", for: "set-local-network" },
      h("input", { type: "checkbox", id: "set-local-network", checked: s.allowLocalNetwork }),
      "Let this server reach this computer and your local network"),
    h("p", { class: "muted small" }, "Leave this off unless the server is your own: a server on the internet could otherwise use the app to reach devices at home or at work."),
  );
}

/**
 * OpenID providers give a refresh token only after their consent screen; in
 * organizations whose users may not consent themselves, that screen blocks
 * the sign-in, so it can be turned off (the sign-in then lasts until access
 * expires).
 */
function consentChoice(s: ServerView): HTMLElement {
  return h("div", { class: "field" },
    h("label", { class: "check", for: "set-consent" },
      h("input", { type: "checkbox", id: "set-consent", checked: s.consentPrompt }),
      "Ask for the consent screen when it keeps you signed in"),
    h("p", { class: "muted small" }, "Turn this off if your organization does not let you approve apps yourself. You may then have to sign in again when access expires."),
  );
}

function secretField(s: ServerView, needed: boolean): HTMLElement {
  if (s.hasClientSecret) {
    return h("div", { class: "field" },
      h("label", {}, "Client secret"),
      h("div", { class: "field-row" },
        h("span", { class: "stored" }, "Stored in your keychain"),
        h("button", { type: "button", class: "small", onclick: () => { s.hasClientSecret = false; render(); } }, "Replace"),
        h("button", { type: "button", class: "small danger", id: "remove-secret", onclick: () => confirm(
          "Remove the client secret?",
          "Deletes the client secret from your keychain. Signing in to this server then needs it entered again.",
          "Remove", true, async () => {
            try {
              await api.removeClientSecret(s.name);
              say(s.name, "Client secret removed from your keychain.");
            } catch (e) {
              model.errors.set(s.name, asCommandError(e));
            }
            await reload();
          }) }, "Remove"),
      ),
    );
  }
  const input = h("input", { id: "set-secret", type: "password", autocomplete: "off", spellcheck: "false", placeholder: needed ? "Required by this server" : "Only if the provider gave you one" });
  return h("div", { class: "field" },
    h("label", { for: "set-secret" }, "Client secret", needed ? h("span", { class: "tag" }, "needed") : null),
    h("div", { class: "field-row" },
      input,
      h("button", { type: "button", class: "small", id: "secret-show", "aria-pressed": "false", "aria-controls": "set-secret", title: "Show or hide the secret",
        onclick: (e: Event) => {
          const b = e.currentTarget as HTMLButtonElement;
          const show = input.type === "password";
          input.type = show ? "text" : "password";
          b.textContent = show ? "Hide" : "Show";
          b.setAttribute("aria-pressed", String(show));
        } }, "Show"),
    ),
    h("p", { class: "muted small" }, "Saved only in your system keychain; it is never shown again."),
  );
}

/** No automatic registration: the person cannot fix this alone, and says so to IT in one click. */
function itSetup(s: ServerView, d: OauthDiscoveryView, redirect: string, scope: string | null): HTMLElement {
  const details = [
    "Please set up MCP Auth Manager (an OAuth public client using PKCE) for this MCP server:",
    `MCP server: ${s.url}`,
    `Sign-in service: ${d.issuer}`,
    `Redirect address to register: ${s.redirectMode === "deep_link" ? APP_LINK : (s.redirectUri ?? redirect)}`,
    `Permissions it asks for: ${scope || "(the server's default)"}`,
    "Then send back the client ID (and a client secret, if your policy requires one).",
  ].join("\n");
  return h("div", { class: "it-setup", id: "it-setup" },
    h("p", { class: "it-setup-title" }, "Your IT team must set this server up for MCP Auth Manager first"),
    h("p", { class: "muted small" }, "This server's sign-in service can't register the app by itself. Send your IT team the setup details; they give you a client ID to enter under Advanced."),
    h("div", {}, h("button", { type: "button", id: "copy-it-setup", "data-key": "copy-it-setup", onclick: () =>
      void copyText(s.name, details, "Setup details copied. Send them to your IT team.") }, "Copy setup details for IT")),
  );
}

/** The permissions the server offers, in plain words, as checkboxes that edit the scope field. */
function scopeChoices(offered: string[], scopeInput: HTMLInputElement): HTMLElement {
  const current = () => scopeInput.value.split(/\s+/).filter(Boolean);
  const boxes = offered.map((scope, i) => {
    const box = h("input", { type: "checkbox", id: `scope-${i}`, checked: current().includes(scope), onchange: () => {
      const now = current().filter((x) => x !== scope);
      if (box.checked) now.push(scope);
      scopeInput.value = now.join(" ");
    } });
    const risk = scopeRisk(scope);
    return h("label", { class: "check", for: `scope-${i}` }, box,
      h("span", {}, scopeWords(scope) ?? (risk === "markup" ? "Suspicious permission" : "Unrecognised permission"), " ", h("code", {}, scope)),
      risk === "wide" ? h("span", { class: "tag warn-tag" }, "Wide access") : null,
      risk === "markup" ? h("span", { class: "tag warn-tag scope-suspicious" }, "Suspicious") : null);
  });
  // Typing in the scope field (under Advanced) moves the ticks with it.
  scopeInput.addEventListener("input", () => { const now = current(); boxes.forEach((b, i) => { (b.querySelector("input") as HTMLInputElement).checked = now.includes(offered[i]); }); });
  return h("fieldset", { class: "field choice scope-choices" },
    h("legend", {}, "What the app may do on this server"),
    ...boxes,
    h("p", { class: "muted small" }, "Ask only for what your AI tools need. The server may still grant less."),
  );
}
