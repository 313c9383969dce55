// The configure form: suggested client id, redirect URI and scope, each
// editable with a reset-to-suggested action, and a client secret field whose
// value is sent once to the keychain and never shown again.

import { h } from "../dom";
import { discover, model, reload, render, say } from "../model";
import { api, asCommandError, type ServerView } from "../ipc";
import { confirm } from "./dialogs";
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
  const form = h("form", { class: "settings", "data-keep-edits": "true", onsubmit: ((e: Event) => { e.preventDefault(); void save(); }) as EventListener },
    d ? h("p", {}, "This server's sign-in service has no automatic registration. Register an app with the provider using the redirect URI below, then enter the client ID it gives you.") : null,
    field("set-client-id", "Client ID", s.clientId ?? d?.suggestedClientId ?? "", d?.suggestedClientId ?? null, d ? "The ID the provider gave your app." : "Leave empty: the app registers itself with the server's sign-in service when it allows that."),
    redirectChoice(s, suggestedRedirect),
    field("set-scope", "Permissions (scope)", s.scopeSetting ?? suggestedScope ?? "", suggestedScope, d?.scopes.length ? `The server offers: ${d.scopes.join(", ")}` : "Leave empty to let the server decide."),
    secretField(s, d?.needsClientSecret ?? false),
    localNetworkChoice(s),
    consentChoice(s),
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
      h("button", { type: "button", class: "small", title: "Copy the redirect URI", onclick: () => void navigator.clipboard.writeText(uri.value) }, "Copy"),
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
