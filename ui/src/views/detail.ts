// The right-hand pane: what the app knows about one server, and what the user
// can do with it (sign in, review, refresh, revoke, clear, remove).

import { h } from "../dom";
import { ACTIVITY_WORDS, ago, andList, clientSourceWords, countdown, scopeRisk, scopeWords, until, when } from "../format";
import {
  answerProgram, answerStepUp, cancelDeviceSignIn, forgetProgram, setProgramApproval, cancelSignIn, clearLocal, diagnose, dismissAsk, signInOnDevice, copyText, copyToken, discover, model, refresh, removeServer, rename, render, reveal, revoke, selected, setAppUse, connectAppAll, signIn,
} from "../model";
import { api, asCommandError, type AppUse, type ProgramView, type ServerView } from "../ipc";
import { confirm, prompt } from "./dialogs";
import { errorCard } from "./errors";
import { failing, refused, serverBadge } from "./list";
import { settingsForm } from "./settings";

const STEPS: [string, string][] = [
  ["contacting", "Contacting the server"],
  ["metadata", "Reading how it wants you to sign in"],
  ["registering", "Registering this app with its sign-in service"],
];

function progress(steps: string[]): HTMLElement {
  return h("ol", { class: "steps", "aria-label": "Progress" },
    STEPS.map(([key, label], i) => {
      const done = steps.includes(key) && (steps.includes(STEPS[i + 1]?.[0] ?? "done") || i === STEPS.length - 1 && steps.includes("done"));
      const active = steps.includes(key) && !done;
      return h("li", { class: done ? "done" : active ? "active" : "todo" }, h("span", { class: "step-mark", "aria-hidden": "true" }, done ? "✓" : active ? "" : "·"), label);
    }),
  );
}

function row(label: string, value: Node | string): HTMLElement {
  return h("div", { class: "kv" }, h("dt", {}, label), h("dd", {}, value));
}

/** Each permission in words where the app knows it; one it does not know is
 *  said as such, one that gives wide powers is marked, and one that looks
 *  like markup is flagged rather than listed as if normal. */
function scopesList(scopes: string[]): HTMLElement {
  if (!scopes.length) return h("span", { class: "muted" }, "None requested");
  return h("ul", { class: "scopes" }, scopes.map((s) => {
    const risk = scopeRisk(s);
    const words = scopeWords(s);
    if (risk === "markup") {
      return h("li", { class: "scope scope-suspicious" }, h("span", { class: "tag bad-tag" }, "Suspicious"), h("span", {}, "A permission name that looks like web page code: "), h("code", {}, s));
    }
    return h("li", { class: `scope${risk === "wide" ? " scope-wide" : ""}` },
      risk === "wide" ? h("span", { class: "tag warn-tag" }, "Wide access") : null,
      words ? h("span", {}, words) : h("span", {}, "Unrecognised permission: "),
      h("code", {}, s),
      words ? null : h("span", { class: "muted small" }, " — this app can't tell you what it allows"));
  }));
}

/** A server asks for more access mid-sign-in: say what, in plain words, what
 *  asked, and what each answer keeps; both answers weigh the same. */
function stepUpCard(s: ServerView): HTMLElement | null {
  const ask = model.stepUps.get(s.name);
  if (!ask) return null;
  const wide = ask.added.some((a) => scopeRisk(a) !== "plain");
  return h("div", { class: "card step-up", role: "alertdialog", "aria-labelledby": "step-up-title", "aria-describedby": "step-up-why", tabindex: "-1", id: "step-up" },
    h("h3", { id: "step-up-title" }, `${s.title} asks for more access`),
    h("p", { id: "step-up-why" }, "While the app checked your sign-in, the server said it needs more permissions than you gave it. It asks you to allow:"),
    scopesList(ask.added),
    wide ? h("p", { class: "warn small" }, "Some of these give wide powers, or the app can't tell what they allow. Allow them only if you expected this server to need them.") : null,
    h("p", { class: "muted small" }, "Allow: your browser opens again so you confirm with the server's sign-in service. Don't allow: nothing new is granted; you stay as you were, and what needed the extra access will not work."),
    h("div", { class: "actions even" },
      h("button", { type: "button", id: "step-up-approve", "data-key": "step-up-approve", onclick: () => void answerStepUp(s.name, true) }, "Allow and continue"),
      h("button", { type: "button", id: "step-up-decline", "data-key": "step-up-decline", onclick: () => void answerStepUp(s.name, false) }, "Don't allow"),
    ),
  );
}

/** A program that uses this server through the app (a bridge) waits for a sign-in. */
function askCard(s: ServerView): HTMLElement {
  return h("div", { class: "card ask", role: "alertdialog", "aria-labelledby": "ask-title", "aria-describedby": "ask-text" },
    h("h3", { id: "ask-title" }, `An AI app is waiting for you to sign in to ${s.name}`),
    h("p", { id: "ask-text" }, "A program on this computer uses this server through MCP Auth Manager, and it needs you to sign in before it can go on. It waits while you do."),
    h("p", { class: "muted" }, "Your browser opens the server's sign-in page. Nothing you type there passes through this app."),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "primary", id: "ask-sign-in", "data-key": "ask-sign-in", disabled: model.busy.has(s.name), onclick: () => void signIn(s.name) }, "Sign in"),
      h("button", { type: "button", id: "ask-dismiss", "data-key": "ask-dismiss", onclick: () => void dismissAsk(s.name) }, "Not now"),
    ),
  );
}

/** Programs not seen before that ask to use this sign-in (the server asks first). */
function programAskCards(s: ServerView): HTMLElement[] {
  return (model.programAsks.get(s.name) ?? []).map((p, i) =>
    h("div", { class: "card ask program-ask", role: "alertdialog", "aria-labelledby": `program-ask-title-${i}`, "aria-describedby": `program-ask-text-${i}`, tabindex: "-1", id: i === 0 ? "program-ask" : undefined },
      h("h3", { id: `program-ask-title-${i}` }, `${p.name} wants to use your sign-in to ${s.title}`),
      h("p", { id: `program-ask-text-${i}` }, "A program on this computer asks for this sign-in for the first time. Allow it if you set it up to use this server; if you don't know it, don't."),
      p.path ? h("p", { class: "muted small program-path" }, "Program: ", h("code", {}, "\u200e" + p.path)) : null,
      h("div", { class: "actions even" },
        h("button", { type: "button", id: `program-allow-${i}`, "data-key": `program-allow-${p.key}`, onclick: () => void answerProgram(s.name, p, true) }, "Allow"),
        h("button", { type: "button", id: `program-refuse-${i}`, "data-key": `program-refuse-${p.key}`, onclick: () => void answerProgram(s.name, p, false) }, "Don't allow"),
      ),
    ));
}

/** "Ask before a new program uses this sign-in", and the programs allowed. */
function programs(s: ServerView): HTMLElement {
  const busy = model.busy.has(s.name);
  const allowed = (p: ProgramView): HTMLElement =>
    h("li", { class: "allowed-program" },
      h("strong", {}, p.name), " ",
      h("span", { class: "muted small" }, p.allowedAt ? `allowed ${ago(p.allowedAt)}` : ""),
      p.path ? h("span", { class: "muted small config-path", title: p.path }, "\u200e" + p.path) : null,
      h("button", { type: "button", class: "link small", "data-key": `forget-${p.key}`, disabled: busy, title: `${p.name} will ask again`, onclick: () => void forgetProgram(s.name, p) }, "Forget"));
  return h("div", { class: "card programs" },
    h("h3", {}, "Programs on this computer"),
    h("label", { class: "check" },
      h("input", { type: "checkbox", id: "ask-new-program", "data-key": "ask-new-program", checked: s.askBeforeNewProgram, disabled: busy,
        onchange: (e: Event) => void setProgramApproval(s.name, (e.target as HTMLInputElement).checked) }),
      " Ask before a new program uses this sign-in"),
    h("p", { class: "muted small" }, s.askBeforeNewProgram
      ? "A program that has not used this sign-in before waits until you allow it here. This guards against surprises; it cannot stop a harmful program that already runs on your computer."
      : "Any program you set up can use this sign-in without asking."),
    s.askBeforeNewProgram
      ? s.allowedPrograms.length
        ? h("ul", { class: "apps allowed-programs" }, s.allowedPrograms.map(allowed))
        : h("p", { class: "muted small" }, "No program is allowed yet: each one asks the first time.")
      : null,
  );
}

/** A sign-in on another device: the page and the code, large, until it ends. */
function deviceCard(s: ServerView): HTMLElement | null {
  const f = model.deviceFlows.get(s.name);
  if (!f) return null;
  const c = f.code;
  const page = c?.verificationUriComplete ?? c?.verificationUri ?? "";
  return h("div", { class: "card waiting device", "aria-live": "polite" },
    h("div", { class: "waiting-title" }, h("span", { class: "spinner" }), c ? "Waiting for you to approve on your other device…" : "Asking the sign-in service for a code…"),
    c
      ? h("div", {},
          h("p", {}, "On your phone or another computer, open"),
          h("p", {}, h("code", { id: "device-page", class: "device-page" }, c.verificationUri)),
          h("p", {}, "and enter this code:"),
          h("p", { class: "device-code", id: "device-code", "aria-label": `Code ${c.userCode.split("").join(" ")}` }, c.userCode),
          h("p", { class: "muted small" }, `The code works for ${Math.ceil(c.expiresIn / 60)} minutes. Check that the page is the one you know for this service.`),
        )
      : null,
    h("div", { class: "actions" },
      h("button", { type: "button", "data-key": "cancel-device", onclick: () => void cancelDeviceSignIn(s.name) }, "Cancel"),
      page
        ? h("button", { type: "button", class: "link", "data-key": "copy-device-link", id: "copy-device-link", "data-href": page, onclick: () => void copyText(s.name, page, "Link copied. Open it on your other device.") }, "Copy the link")
        : null,
    ),
  );
}

/** How long the app waits for the browser (the engine's sign-in timeout). */
const SIGN_IN_WAIT_MS = 5 * 60_000;

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

function signInCard(s: ServerView): HTMLElement {
  const flow = model.flows.get(s.name);
  const device = deviceCard(s);
  if (device) return device;
  if (flow?.noBrowser) {
    const copy = () => void copyText(s.name, flow.authUrl, "Sign-in link copied. Paste it into a browser.");
    return h("div", { class: "card waiting no-browser" },
      h("div", { class: "waiting-title" }, h("span", { class: "spinner" }), "No browser could be opened on this computer"),
      h("p", {}, "Copy the sign-in link and open it in a browser, here or on another device that can reach this one. The app keeps waiting."),
      h("p", { class: "muted small" }, flow.noBrowser),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "primary", "data-key": "copy-link", id: "copy-link", "data-href": flow.authUrl, onclick: copy }, "Copy the link"),
        h("button", { type: "button", "data-key": "cancel-sign-in", onclick: () => void cancelSignIn(s.name) }, "Cancel"),
      ),
    );
  }
  if (flow) {
    const site = hostOf(flow.authUrl);
    return h("div", { class: "card waiting" },
      h("div", { class: "waiting-title" }, h("span", { class: "spinner" }), "Signing in… finish in your browser"),
      h("p", {}, "Your browser opened ", h("strong", { class: "sign-in-site" }, site), ". Sign in only if that is the address you know for this service."),
      h("p", { class: "muted small" }, `Stops waiting ${until(flow.startedAt + SIGN_IN_WAIT_MS)}.`),
      h("div", { class: "actions" },
        h("button", { type: "button", "data-key": "cancel-sign-in", onclick: () => void cancelSignIn(s.name) }, "Cancel"),
        h("button", { type: "button", "data-key": "open-again", id: "open-again", onclick: () => void api.openSignInAgain(flow.flowId).catch((e) => { model.errors.set(s.name, asCommandError(e)); render(); }) }, "Open again"),
        h("button", { type: "button", "data-key": "copy-link", onclick: () => void copyText(s.name, flow.authUrl, "Sign-in link copied. Paste it into your browser.") }, "Copy the link"),
      ),
    );
  }
  return h("div", { class: "card" },
    h("h3", {}, "Sign in to use this server"),
    h("p", { class: "muted" }, "Your browser opens the server's sign-in page. Nothing you type there passes through this app."),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "primary", id: "sign-in", "data-key": "sign-in", disabled: model.busy.has(s.name), onclick: () => void signIn(s.name) }, "Sign in"),
      s.deviceSignIn
        ? h("button", { type: "button", id: "sign-in-device", "data-key": "sign-in-device", disabled: model.busy.has(s.name), onclick: () => void signInOnDevice(s.name) }, "Sign in on another device")
        : null,
    ),
  );
}

function review(s: ServerView): HTMLElement {
  const d = model.detail?.server.name === s.name ? model.detail : null;
  return h("div", { class: "card review" },
    h("h3", {}, "What this sign-in allows"),
    scopesList(s.scopes),
    h("dl", { class: "facts" },
      s.account ? row("Account", h("span", { class: "account" }, s.account)) : null,
      row("How it signs in", s.grantKind),
      row("Access", h("span", { id: "countdown", "data-expires": String(s.expiresAt ?? ""), "data-renews": String(s.renewsItself || s.hasRefreshToken) }, accessWords(s))),
      s.boundToThisComputer
        ? row("Bound to this computer", "Yes: the access works only with a key kept in your keychain, so a copied token is useless elsewhere")
        : null,
    ),
    h("details", { class: "technical" },
      h("summary", {}, "Technical details"),
      h("dl", { class: "facts" },
        row("Signed in with", s.issuer ?? "—"),
        row("App identity", h("span", {}, h("code", {}, s.clientId ?? "—"), " ", h("span", { class: "muted small" }, clientSourceWords(s.clientSource)))),
        row("Access ends", countdown(s.expiresAt)),
        row("Last renewal", s.lastRefreshAt ? `${when(s.lastRefreshAt)}${s.lastRefreshOk === false ? ` (failed: ${s.lastRefreshMessage ?? ""})` : ""}` : "Never"),
      ),
    ),
    developers(s, d),
  );
}

/** "Renews automatically", or when access ends and what happens then; no ticking seconds. */
function accessWords(s: ServerView): string {
  if (s.renewsItself || s.hasRefreshToken) return "Renews automatically";
  if (s.expiresAt === null) return "No end given by the server";
  return `${until(s.expiresAt * 1000, "Ends")} — you'll sign in again`;
}

/** Reveal and Copy: for developers, folded away, with what a copy lets anyone do. */
function developers(s: ServerView, d: typeof model.detail): HTMLElement {
  const revealed = model.revealed?.server === s.name ? model.revealed : null;
  const open = !!revealed || model.devOpen.has(s.name);
  const end = s.expiresAt ? until(s.expiresAt * 1000, "until") : "until it is cancelled";
  return h("details", { class: "developers", open, ontoggle: (e: Event) => { const o = (e.target as HTMLDetailsElement).open; if (o) model.devOpen.add(s.name); else model.devOpen.delete(s.name); } },
    h("summary", { "data-key": "developers" }, "For developers"),
    s.boundToThisComputer ? null : h("p", { class: "warn small" }, `Anyone with this token can act as you on ${s.host} ${end}. Share it with nothing you don't trust.`),
    d?.claims
      ? h("details", { class: "claims" },
          h("summary", {}, "What the access token says ", h("span", { class: "tag warn-tag" }, "decoded, not verified")),
          h("dl", { class: "facts" }, d.claims.map((c) => row(c.name, c.value))),
        )
      : null,
    s.boundToThisComputer
      ? h("p", { class: "muted small" }, "This token is bound to a key kept in your keychain: it works only through MCP Auth Manager, so there is nothing to copy or reveal.")
      : h("div", { class: "token-row" },
          revealed
            ? h("code", { class: "token", "data-key": "token-value" }, revealed.token)
            : h("span", { class: "muted" }, "The access token stays in your keychain."),
          h("button", { type: "button", class: "small", "data-key": "reveal", "aria-pressed": revealed ? "true" : "false", onclick: () => { if (revealed) { model.revealed = null; render(); } else void reveal(s.name); } }, revealed ? "Hide" : "Reveal"),
          h("button", { type: "button", class: "small", "data-key": "copy-token", onclick: () => void copyToken(s.name) }, "Copy"),
        ),
    revealed ? h("p", { class: "muted small", id: "reveal-left", "data-until": String(revealed.until) }, hidesIn(revealed.until)) : null,
  );
}

function hidesIn(at: number): string {
  return `Hides in ${Math.max(0, Math.ceil((at - Date.now()) / 1000))} s`;
}

function tools(name: string): HTMLElement | null {
  const list = model.tools.get(name);
  if (!list) return null;
  return h("div", { class: "card" },
    h("h3", {}, `Tools this server offers (${list.length})`),
    h("ul", { class: "tools" }, list.map((t) => h("li", {}, h("code", {}, t.name), t.description ? h("span", { class: "muted" }, t.description) : null))),
  );
}

/** Switch an app on or off; an entry with a saved key is moved only if the user says so. */
async function useApp(name: string, u: AppUse, on: boolean): Promise<void> {
  const err = await setAppUse(name, u, on);
  if (err?.kind !== "static_credential") return;
  confirm(
    `${u.name} keeps a saved key for this server`,
    `Its settings file holds a key for this server in plain text. To connect, MCP Auth Manager moves that key into your system keychain and removes it from the file; ${u.name} then uses your sign-in here instead.`,
    "Move the key and connect",
    false,
    () => void setAppUse(name, u, true, true),
  );
}

/** "Used by": a switch per MCP app on this computer; on, the app starts `mcp-auth bridge` for this server. */
/** Which apps use this sign-in, said only where it is true; "Set up in
 *  <app>" where it is not yet, and "Restart <app> to finish" after a change. */
function usedBy(s: ServerView): HTMLElement | null {
  const uses = model.appUses?.server === s.name ? model.appUses.apps : null;
  if (!uses) return null;
  const present = uses.filter((u) => u.detected || u.connected);
  const using = present.filter((u) => u.connected).map((u) => u.name);
  const busy = model.busy.has(s.name);
  if (!present.length) {
    return h("p", { class: "muted small used-by none" }, "No other MCP app was found on this computer (Claude Desktop, Claude Code, Cursor, VS Code, Windsurf).");
  }
  return h("div", { class: "card used-by" },
    h("h3", {}, using.length ? `Used by ${andList(using)}` : "Use this sign-in in your apps"),
    h("p", { class: "muted" }, "Apps set up here use this sign-in instead of asking you themselves. They keep no copy of the keys."),
    h("ul", { class: "apps" }, present.map((u) =>
      h("li", { class: "app-use" },
        u.connected
          ? h("span", { class: "app-state" }, h("span", { class: "ok-mark", "aria-hidden": "true" }, "✓"), " ", h("strong", {}, u.name), " uses this sign-in")
          : h("button", { type: "button", class: "small", id: `use-${u.app}`, "data-key": `use-${u.app}`, disabled: busy, onclick: () => void useApp(s.name, u, true) }, `Set up in ${u.name}`),
        // The mark keeps the path's leading "/" in place when the start is cut off.
        h("span", { class: "muted small config-path", title: u.config }, "\u200e" + u.config),
        model.restart.has(u.app) ? h("span", { class: "warn small restart" }, `Restart ${u.name} to finish`) : null,
        u.others > 0
          ? h("button", { type: "button", class: "link small all-servers", "data-key": `all-${u.app}`, id: `all-${u.app}`, disabled: busy,
              title: `Every server of your list that ${u.name} has in its settings`,
              onclick: () => void connectAppAll(s.name, u) },
            u.connected ? `Also its other ${u.others === 1 ? "server" : `${u.others} servers`}` : `All its servers (${u.shareable})`)
          : null,
        u.connected
          ? h("button", { type: "button", class: "link small", id: `use-${u.app}`, "data-key": `use-${u.app}`, disabled: busy, title: `${u.name} goes back to its own settings for this server`, onclick: () => void useApp(s.name, u, false) }, "Stop")
          : null,
      ))),
  );
}

/** "Claude Desktop used this sign-in 3 minutes ago": the last few uses. */
function activity(s: ServerView): HTMLElement | null {
  const events = model.activity?.server === s.name ? model.activity.events.slice(0, 5) : [];
  if (!events.length) return null;
  return h("div", { class: "card activity" },
    h("h3", {}, "Recent activity"),
    h("ul", { class: "activity-list" }, events.map((e) =>
      h("li", {},
        h("strong", {}, e.by), " ", ACTIVITY_WORDS[e.what] ?? e.what, " ",
        h("span", { class: "muted", title: when(e.at) }, ago(e.at))))),
  );
}

const VERDICT_MARK: Record<string, string> = { ok: "✓", warning: "!", problem: "✗", skipped: "–" };
const VERDICT_WORDS: Record<string, string> = { ok: "Fine", warning: "Warning", problem: "Problem", skipped: "Not checked" };

/** The diagnosis: each step with its verdict in words and what to do. */
function diagnosisCard(s: ServerView): HTMLElement | null {
  const d = model.diagnoses.get(s.name);
  if (!d) return null;
  if (d === "running") {
    return h("div", { class: "card diagnosis", "aria-busy": "true" }, h("h3", {}, "Diagnosing…"), h("p", { class: "muted" }, "Checking each step of the sign-in. Nothing is changed."));
  }
  const summary = d.verdict === "problem"
    ? "Something stops this server. Start with the first problem."
    : d.verdict === "warning" ? "It works, with warnings." : "Everything checked is fine.";
  return h("div", { class: `card diagnosis verdict-${d.verdict}`, id: "diagnosis" },
    h("h3", {}, "Diagnosis"),
    h("p", {}, summary),
    h("ol", { class: "diagnosis-steps" }, d.steps.map((step) =>
      h("li", { class: `verdict-${step.verdict}`, "data-step": step.id },
        h("span", { class: "step-mark", "aria-hidden": "true" }, VERDICT_MARK[step.verdict] ?? "·"),
        h("div", {},
          h("div", {}, h("strong", {}, step.title), " ", h("span", { class: "tag" }, VERDICT_WORDS[step.verdict] ?? step.verdict)),
          h("div", { class: "muted small" }, step.found),
          step.fix ? h("div", { class: "fix" }, "What to do: ", step.fix) : null,
        )))),
    h("div", { class: "actions" },
      h("button", { type: "button", "data-key": "diagnose-again", onclick: () => void diagnose(s.name) }, "Diagnose again"),
      h("button", { type: "button", class: "link", "data-key": "diagnosis-close", onclick: () => { model.diagnoses.delete(s.name); render(); } }, "Close"),
    ),
  );
}

/** Sign out, in the header beside the badge. */
function signOutButton(s: ServerView): HTMLElement | null {
  if (s.badge === "needs_sign_in") return null;
  return h("button", { type: "button", id: "sign-out", "data-key": "sign-out", onclick: () => confirm(
    `Sign out of ${s.title}?`,
    `The app asks ${s.signsInAt ?? s.host} to cancel this sign-in, then removes it from this computer. Apps that use it through MCP Auth Manager stop working with this server until you sign in again.`,
    "Sign out", true, () => void revoke(s.name)) }, "Sign out…");
}

/** An unconfirmed sign-out: a warning, never a success, with "Try again". */
function pendingSignOut(s: ServerView): HTMLElement | null {
  const p = s.signOutPending;
  if (!p) return null;
  return h("div", { class: "card warning", id: "sign-out-pending" },
    h("h3", {}, "Signed out on this computer only"),
    h("p", {}, `${p.host} did not confirm the sign-out, so access may still be active there. The app keeps what it needs to ask again, and uses it for nothing else.`),
    h("details", { class: "error-details" }, h("summary", {}, "What the server said"), h("code", { class: "detail-text" }, p.reason)),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "primary", id: "sign-out-retry", "data-key": "sign-out-retry", disabled: model.busy.has(s.name), onclick: () => void revoke(s.name) }, "Try again"),
      h("button", { type: "button", "data-key": "sign-out-forget", onclick: () => forgetDialog(s) }, "Forget on this computer only…"),
    ),
  );
}

function forgetDialog(s: ServerView): void {
  confirm(
    "Forget on this computer only?",
    `Deletes this server's keys, app registration and settings from this computer. Access is not cancelled at ${s.signsInAt ?? s.host}: to cancel it, use Sign out instead. ${s.title} stays in your list.`,
    "Forget", true, () => void clearLocal(s.name));
}

function renameDialog(s: ServerView): void {
  prompt("Rename server", "Name", s.title, "Leave empty to show its address.", (title) => void rename(s.name, title));
}

/** Rarely used and destructive actions, behind "⋯". */
function moreMenu(s: ServerView): HTMLElement {
  const signedIn = s.badge !== "needs_sign_in";
  const close = (e: Event) => (e.target as HTMLElement).closest("details")?.removeAttribute("open");
  return h("details", { class: "more-menu" },
    h("summary", { "data-key": "more", "aria-label": "More actions", title: "More actions" }, "⋯"),
    h("div", { class: "menu", role: "menu" },
      h("button", { type: "button", role: "menuitem", "data-key": "rename", onclick: (e: Event) => { close(e); renameDialog(s); } }, "Rename…"),
      h("button", { type: "button", role: "menuitem", "data-key": "clear", onclick: (e: Event) => { close(e); forgetDialog(s); } }, "Forget on this computer only…"),
      h("button", { type: "button", role: "menuitem", class: "danger-text", "data-key": "remove", onclick: (e: Event) => { close(e); confirm(
        `Remove ${s.title}?`,
        (model.appUses?.server === s.name && model.appUses.apps.some((u) => u.connected))
          ? "Removes the server from your list and deletes everything the app keeps for it, keys included. The apps that use it through this app get their own settings back."
          : "Removes the server from your list and deletes everything the app keeps for it, keys included.",
        "Remove", true, (revokeFirst) => removeServer(s.name, revokeFirst), signedIn ? "Also sign out at the server first" : undefined); } }, "Remove server…"),
    ),
  );
}

function actions(s: ServerView): HTMLElement {
  const signedIn = s.badge !== "needs_sign_in";
  const renews = signedIn && (s.hasRefreshToken || s.renewsItself);
  return h("div", { class: "actions bottom" },
    renews ? h("button", { type: "button", "data-key": "refresh", onclick: () => void refresh(s.name) }, "Renew now") : null,
    h("button", { type: "button", "data-key": "check", onclick: () => void discover(s.name) }, "Test connection"),
    h("button", { type: "button", id: "diagnose", "data-key": "diagnose", disabled: model.diagnoses.get(s.name) === "running", onclick: () => void diagnose(s.name) }, "Diagnose"),
    h("button", { type: "button", id: "open-settings", "data-key": "settings", onclick: () => { model.settingsOpen.add(s.name); render(); } }, "Settings"),
    moreMenu(s),
  );
}

/** The server's fault, with its fix as the card's own button. A refusal for
 *  safety says not to sign in, and offers the details for IT. */
function failureCard(s: ServerView): HTMLElement | null {
  const error = model.errors.get(s.name);
  const kept = s.failedCheck;
  if (refused(s)) {
    const detail = error?.detail ?? error?.message ?? kept?.message ?? "";
    return h("div", { class: "card error refused", role: "alert" },
      h("div", { class: "error-title" }, h("span", { class: "error-mark", "aria-hidden": "true" }, "!"), "This server's sign-in setup looks unsafe, so the app stopped before opening your browser. Don't sign in."),
      h("details", { class: "error-details" }, h("summary", {}, "Details"), h("code", { class: "detail-text" }, detail)),
      h("div", { class: "actions" },
        h("button", { type: "button", "data-key": "copy-for-it", id: "copy-for-it", onclick: () =>
          void copyText(s.name, `MCP server: ${s.url}\nWhat MCP Auth Manager refused: ${detail}`, "Details copied. Send them to your IT team or the server's owner.") }, "Copy details for IT"),
        h("button", { type: "button", "data-key": "check-again", onclick: () => void discover(s.name) }, "Try again"),
      ));
  }
  if (error) {
    return errorCard(error, () => { model.errors.delete(s.name); render(); }, fixFor(s, error.kind));
  }
  if (failing(s)) {
    const connect = model.connect.get(s.name);
    const message = kept?.message ?? (connect?.status === "error" ? connect.error : "");
    return errorCard({ kind: kept?.kind ?? "network", message: kept?.kind === "network" ? "The server could not be reached." : "The server could not be checked.", detail: message }, undefined, fixFor(s, kept?.kind ?? "network"));
  }
  return null;
}

function fixFor(s: ServerView, kind: string): HTMLElement[] {
  const tryAgain = h("button", { type: "button", class: "primary", "data-key": "check-again", onclick: () => void discover(s.name) }, "Try again");
  const settings = h("button", { type: "button", "data-key": "settings-from-error", onclick: () => { model.settingsOpen.add(s.name); render(); } }, "Open settings");
  switch (kind) {
    case "network": case "invalid_response": case "server": case "timed_out": return [tryAgain];
    case "client_rejected": case "needs_client_config": case "invalid_input": case "scope": return [settings];
    default: return [];
  }
}

export function detailPane(): HTMLElement {
  const s = selected();
  if (!s) return h("section", { class: "detail placeholder" }, h("p", { class: "muted" }, model.servers.length ? "Choose a server." : ""));
  const steps = model.progress.get(s.name);
  const notice = model.notices.get(s.name);
  const connect = model.connect.get(s.name);
  const oauth = connect?.status === "requires_oauth_config" ? connect.oauthDiscovery : null;
  const signedIn = s.badge !== "needs_sign_in";
  const asked = model.asks.has(s.name);
  const down = failing(s) && !steps;
  // A rejected client ID or secret: signing in again would fail the same way;
  // the error card's "Open settings" is the way on.
  const kind = model.errors.get(s.name)?.kind ?? "";
  const settingsFirst = kind === "client_rejected" || kind === "needs_client_config";
  return h("section", { class: "detail", "aria-label": `Server ${s.title}` },
    h("header", { class: "detail-head" },
      h("div", {}, h("h2", {}, s.title), h("div", { class: "muted url" }, s.url)),
      h("div", { class: "head-actions" }, serverBadge(s), signOutButton(s)),
    ),
    notice ? h("div", { class: `notice${notice.tone === "warn" ? " warn" : ""}` }, notice.text, h("button", { class: "link", type: "button", onclick: () => { model.notices.delete(s.name); render(); } }, "OK")) : null,
    ...programAskCards(s),
    usedBy(s),
    steps ? null : failureCard(s),
    pendingSignOut(s),
    steps ? h("div", { class: "card" }, h("h3", {}, "Checking the server…"), progress(steps)) : null,
    model.settingsOpen.has(s.name) || oauth ? h("div", { class: "card" }, h("h3", {}, "Sign-in settings"), settingsForm(s, oauth)) : null,
    stepUpCard(s)
      ?? (asked && !model.flows.has(s.name) ? askCard(s) : !down && !settingsFirst && (asked || (!steps && !signedIn && !oauth)) ? signInCard(s) : null),
    signedIn ? review(s) : null,
    tools(s.name),
    diagnosisCard(s),
    activity(s),
    programs(s),
    actions(s),
  );
}

/** Keep the revealed token's "Hides in" live without re-rendering the page. */
export function tickCountdown(): void {
  const el = document.getElementById("reveal-left");
  const at = el?.dataset.until;
  if (el && at) el.textContent = hidesIn(Number(at));
}
