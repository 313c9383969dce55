// The app's state in the page, and the actions that change it. Views read the
// model and call actions; actions call the IPC layer and re-render.

import { api, asCommandError, events, type ActivityView, type AppUse, type CommandError, type ConnectView, type DetailView, type DeviceCodeShown, type Diagnosis, type ProgramView, type ServerView, type StepUpAsked } from "./ipc";
import type { ToolView } from "./bindings/ToolView";

export interface Flow {
  flowId: string;
  authUrl: string;
  /** No browser could be opened (why): the link is to be copied. */
  noBrowser?: string;
  /** When the app started waiting (ms since the epoch). */
  startedAt: number;
}

/** A message in the pane: "ok" in the success style, "warn" where something
 *  may not have worked (an unconfirmed sign-out), never shown as a success. */
export interface Notice {
  text: string;
  tone: "ok" | "warn";
}

export const model = {
  servers: [] as ServerView[],
  loaded: false,
  selected: null as string | null,
  /** Discovery progress per server: the steps seen so far. */
  progress: new Map<string, string[]>(),
  /** The latest connect result per server. */
  connect: new Map<string, ConnectView>(),
  tools: new Map<string, ToolView[]>(),
  flows: new Map<string, Flow>(),
  /** Sign-ins on another device: the flow, then the code to show once it arrives. */
  deviceFlows: new Map<string, { flowId: string; code: DeviceCodeShown | null }>(),
  /** A server's request for more access during a sign-in, waiting for the user. */
  stepUps: new Map<string, StepUpAsked>(),
  /** Servers a program on this computer (a bridge) waits for a sign-in to. */
  asks: new Set<string>(),
  /** Programs not seen before that ask to use a server's sign-in, by server. */
  programAsks: new Map<string, ProgramView[]>(),
  /** URLs an agent (through `mcp-auth serve`) asks to add to the list. */
  addAsks: [] as string[],
  detail: null as DetailView | null,
  /** The other MCP apps on this computer, for the selected server's "Used by". */
  appUses: null as { server: string; apps: AppUse[] } | null,
  /** What used the selected server's sign-in lately. */
  activity: null as { server: string; events: ActivityView[] } | null,
  /** The latest diagnosis per server ("running" while it runs). */
  diagnoses: new Map<string, Diagnosis | "running">(),
  /** An error to show in the detail pane, per server (or "" for global). */
  errors: new Map<string, CommandError>(),
  notices: new Map<string, Notice>(),
  busy: new Set<string>(),
  settingsOpen: new Set<string>(),
  /** Apps whose settings this app changed since it started: they pick the change up when restarted. */
  restart: new Set<string>(),
  /** Servers whose "Advanced (for IT)" settings the person opened. */
  advancedOpen: new Set<string>(),
  revealed: null as { server: string; token: string; until: number } | null,
  /** Servers removed a moment ago, still undoable: hidden from the list
   *  until their time is up, then removed for good. */
  removing: new Map<string, { timer: number; revokeFirst: boolean }>(),
  /** The list's search text (shown once there are more than five servers). */
  search: "",
  /** Servers whose "For developers" section the person opened. */
  devOpen: new Set<string>(),
  /** The server whose removal "Undo" would take back. */
  undo: null as string | null,
};

/** Show a message for `key` (a server, or "" for the whole window). */
export function say(key: string, text: string, tone: Notice["tone"] = "ok"): void {
  model.notices.set(key, { text, tone });
}

/** The servers the list shows: not those being removed. */
export function shown(): ServerView[] {
  return model.servers.filter((s) => !model.removing.has(s.name));
}

let renderFn: () => void = () => {};
export function onRender(f: () => void): void {
  renderFn = f;
}
export function render(): void {
  renderFn();
}

export function selected(): ServerView | undefined {
  return model.servers.find((s) => s.name === model.selected);
}

async function guard<T>(key: string, work: () => Promise<T>): Promise<T | undefined> {
  model.busy.add(key);
  model.errors.delete(key);
  render();
  try {
    return await work();
  } catch (e) {
    model.errors.set(key, asCommandError(e));
    model.notices.delete(key); // an earlier "Saved." must not sit above the error
    return undefined;
  } finally {
    model.busy.delete(key);
    render();
  }
}

export async function reload(): Promise<void> {
  await guard("", async () => {
    model.servers = await api.listServers();
    model.loaded = true;
    if (model.selected && !shown().some((s) => s.name === model.selected)) model.selected = null;
    if (!model.selected && shown().length) model.selected = shown()[0].name;
  });
  await loadDetail();
}

/** Diagnose: every step of a sign-in and its use; it changes nothing. */
export async function diagnose(name: string): Promise<void> {
  model.diagnoses.set(name, "running");
  render();
  try {
    model.diagnoses.set(name, await api.diagnoseServer(name));
  } catch (e) {
    model.diagnoses.delete(name);
    model.errors.set(name, asCommandError(e));
  }
  render();
}

export async function loadDetail(): Promise<void> {
  const name = model.selected;
  model.detail = null;
  if (!name) return render();
  try {
    model.detail = await api.serverDetail(name);
    model.appUses = { server: name, apps: await api.appUses(name) };
    model.activity = { server: name, events: await api.serverActivity(name) };
  } catch (e) {
    model.errors.set(name, asCommandError(e));
  }
  render();
}

/**
 * Connect an app to this server through the bridge, or put its entry back.
 * An app whose entry keeps a saved key answers `static_credential`: that
 * error is handed back for the page to ask the user, not shown.
 */
/** Connect an app for every server of the list it has an entry for. */
export async function connectAppAll(name: string, app: AppUse): Promise<void> {
  model.busy.add(name);
  model.errors.delete(name);
  render();
  try {
    const done = await api.connectAppAll(name, app.app);
    model.appUses = { server: name, apps: done.apps };
    const n = done.connected.length;
    if (n) model.restart.add(app.app);
    let text = n ? `${app.name} now uses ${n === 1 ? "1 sign-in" : `${n} sign-ins`} of this app (${done.connected.join(", ")}). Restart ${app.name} to use them.` : `No server was connected to ${app.name}.`;
    if (done.skipped.length) text += ` Left as they were: ${done.skipped.join("; ")}.`;
    if (done.notInList.length) text += ` ${app.name} also has ${done.notInList.join(", ")}, which this app does not know yet: import them first.`;
    say(name, text);
  } catch (e) {
    model.errors.set(name, asCommandError(e));
  } finally {
    model.busy.delete(name);
    render();
  }
}

export async function setAppUse(name: string, app: AppUse, connected: boolean, moveCredential = false): Promise<CommandError | undefined> {
  model.busy.add(name);
  model.errors.delete(name);
  render();
  try {
    model.appUses = { server: name, apps: await api.setAppUse(name, app.app, connected, moveCredential) };
    model.restart.add(app.app);
    say(name, connected
      ? `${app.name} now uses this sign-in. Restart ${app.name} to use it.`
      : `${app.name} is back to its own settings for this server. Restart ${app.name}.`);
    return undefined;
  } catch (e) {
    const err = asCommandError(e);
    if (err.kind !== "static_credential") model.errors.set(name, err);
    return err;
  } finally {
    model.busy.delete(name);
    render();
  }
}

export async function select(name: string): Promise<void> {
  model.selected = name;
  model.revealed = null;
  render();
  await loadDetail();
}

function upsert(s: ServerView): void {
  const i = model.servers.findIndex((x) => x.name === s.name);
  if (i >= 0) model.servers[i] = s;
  else model.servers.push(s);
}

export async function addServer(url: string): Promise<ServerView | undefined> {
  const s = await api.addServer(url);
  upsert(s);
  model.selected = s.name;
  render();
  void discover(s.name);
  return s;
}

export async function discover(name: string): Promise<void> {
  model.progress.set(name, []);
  model.connect.delete(name);
  const result = await guard(name, () => api.discoverServer(name));
  model.progress.delete(name);
  if (result) {
    model.connect.set(name, result);
    if (result.status === "success") model.tools.set(name, result.tools);
    if (result.status === "requires_oauth_config") model.settingsOpen.add(name);
  }
  await reload();
}

/** What the app said of a sign-in before the command that started it had
 *  answered: the browser may fail (or a device code arrive) in the time the
 *  reply takes to reach the page, and the event would otherwise find no flow
 *  to belong to. A sign-in can even end first (a browser that follows the
 *  link at once): then the reply must not set up a flow that nothing would
 *  ever clear ("Signing in…" until its time-out, over the signed-in server).
 *  Taken when the flow is known; a few at most. */
type Early = { noBrowser?: string; code?: DeviceCodeShown; finished?: true };
const early = new Map<string, Early>();

function keepEarly(flowId: string, said: Early): void {
  early.set(flowId, { ...early.get(flowId), ...said });
  while (early.size > 16) early.delete(early.keys().next().value as string);
}

function takeEarly(flowId: string): Early {
  const said = early.get(flowId) ?? {};
  early.delete(flowId);
  return said;
}

export async function signIn(name: string): Promise<void> {
  const started = await guard(name, () => api.signIn(name));
  if (started) {
    const said = takeEarly(started.flowId);
    if (!said.finished) {
      model.flows.set(name, { flowId: started.flowId, authUrl: started.authUrl, startedAt: Date.now(), noBrowser: said.noBrowser });
    }
  }
  render();
}

/** Sign in on another device: the code and the page are shown when they arrive. */
export async function signInOnDevice(name: string): Promise<void> {
  const started = await guard(name, () => api.signInOnDevice(name));
  if (started) {
    const said = takeEarly(started.flowId);
    if (!said.finished) model.deviceFlows.set(name, { flowId: started.flowId, code: said.code ?? null });
  }
  render();
}

export async function cancelDeviceSignIn(name: string): Promise<void> {
  const f = model.deviceFlows.get(name);
  if (f) await api.cancelSignIn(f.flowId);
}

/** The user's answer to a step-up prompt: sign in again with more access, or stop. */
export async function answerStepUp(name: string, approve: boolean): Promise<void> {
  const ask = model.stepUps.get(name);
  if (!ask) return;
  model.stepUps.delete(name);
  render();
  await guard(name, () => api.answerStepUp(ask.flowId, approve));
}

/** "Not now" to a program waiting for a sign-in: it is told none was made. */
export async function dismissAsk(name: string): Promise<void> {
  model.asks.delete(name);
  render();
  await guard(name, () => api.answerPrompt("sign_in", name, false));
}

/** "Allow" or "Don't allow" a program to use a server's sign-in. */
export async function answerProgram(server: string, p: ProgramView, yes: boolean): Promise<void> {
  const left = (model.programAsks.get(server) ?? []).filter((x) => x.key !== p.key);
  if (left.length) model.programAsks.set(server, left);
  else model.programAsks.delete(server);
  render();
  const done = await guard(server, async () => {
    await api.answerProgram(server, p.key, yes);
    return true;
  });
  if (!done) {
    // The question is still up (or gone): show what the app holds.
    for (const w of await api.promptsWaiting().catch(() => [])) if (w.kind === "new_program") await asked(w);
  }
  if (done) {
    say(server, yes ? `${p.name} may now use this sign-in.` : `${p.name} was not allowed. If it tries again, you will be asked again.`, yes ? "ok" : "warn");
  }
  await reload();
}

/** Ask (or stop asking) before a program not seen before uses this sign-in. */
export async function setProgramApproval(name: string, on: boolean): Promise<void> {
  const s = await guard(name, () => api.setProgramApproval(name, on));
  if (s) upsert(s);
  render();
}

/** Forget a program allowed before: it asks again next time. */
export async function forgetProgram(name: string, p: ProgramView): Promise<void> {
  const s = await guard(name, () => api.forgetProgram(name, p.key));
  if (s) {
    upsert(s);
    say(name, `${p.name} will ask again before it uses this sign-in.`);
  }
  render();
}

/** "Add" or "Don't add" to an agent's request to add a server. */
export async function answerAddAsk(url: string, add: boolean): Promise<void> {
  model.addAsks = model.addAsks.filter((u) => u !== url);
  render();
  if (!add) {
    await guard("", () => api.answerPrompt("add_server", url, false));
    return;
  }
  const added = await guard("", () => api.addServer(url));
  await guard("", () => api.answerPrompt("add_server", url, added !== undefined));
  if (added) {
    upsert(added);
    model.selected = added.name;
    say(added.name, "Added. The agent that asked can now connect you to it.");
  }
  await reload();
}

async function asked(p: { kind: string; subject: string; program: ProgramView | null }): Promise<void> {
  if (p.kind === "new_program" && p.program) {
    const asking = model.programAsks.get(p.subject) ?? [];
    if (!asking.some((x) => x.key === p.program?.key)) asking.push(p.program);
    model.programAsks.set(p.subject, asking);
    model.selected = p.subject;
  } else if (p.kind === "sign_in") {
    model.asks.add(p.subject);
    model.selected = p.subject;
  } else if (p.kind === "add_server") {
    if (!model.addAsks.includes(p.subject)) model.addAsks.push(p.subject);
  } else if (p.kind === "client_secret") {
    model.selected = p.subject;
    model.settingsOpen.add(p.subject);
    say(p.subject, "An AI agent is connecting you to this server, and its sign-in service needs a client secret. Enter it under Client secret below: it goes to your keychain, and the agent never sees it.");
  }
  // A bridge started for a URL adds it to the list first.
  await reload();
}

export async function cancelSignIn(name: string): Promise<void> {
  const f = model.flows.get(name);
  if (f) await api.cancelSignIn(f.flowId);
}

export async function refresh(name: string): Promise<void> {
  const s = await guard(name, () => api.refreshServer(name));
  if (s) {
    upsert(s);
    say(name, "Access renewed.");
  }
  await loadDetail();
}

/** Sign out: at the server, then on this computer. An unconfirmed sign-out
 *  is not a success: the pane shows it as a warning, with "Try again", from
 *  the list (the engine keeps the tokens aside for the retry). */
export async function revoke(name: string): Promise<void> {
  const r = await guard(name, () => api.revokeServer(name));
  if (r) {
    say(name, r.message, r.serverConfirmed ? "ok" : "warn");
    model.tools.delete(name);
  }
  await reload();
}

export async function rename(name: string, title: string): Promise<void> {
  const s = await guard(name, () => api.renameServer(name, title));
  if (s) upsert(s);
  render();
}

export async function clearLocal(name: string): Promise<void> {
  const s = await guard(name, () => api.clearServer(name));
  if (s) {
    say(name, "Local sign-in data cleared.");
    model.tools.delete(name);
    model.connect.delete(name);
  }
  await reload();
}

/** How long "Removed. Undo" stays before the removal happens. */
const UNDO_MS = 10_000;

/** Remove a server, after a moment in which "Undo" brings it back: nothing
 *  is deleted until then. */
export function removeServer(name: string, revokeFirst: boolean): void {
  const timer = window.setTimeout(() => void removeNow(name), UNDO_MS);
  model.removing.set(name, { timer, revokeFirst });
  if (model.selected === name) model.selected = shown()[0]?.name ?? null;
  say("", `Removed ${model.servers.find((s) => s.name === name)?.title ?? name}.`);
  model.undo = name;
  render();
  void loadDetail();
}

export function undoRemove(): void {
  const name = model.undo;
  const r = name ? model.removing.get(name) : undefined;
  if (!name || !r) return;
  clearTimeout(r.timer);
  model.removing.delete(name);
  model.undo = null;
  model.notices.delete("");
  model.selected = name;
  render();
  void loadDetail();
}

async function removeNow(name: string): Promise<void> {
  const r = model.removing.get(name);
  if (!r) return;
  await guard(name, () => api.removeServer(name, r.revokeFirst));
  model.removing.delete(name);
  if (model.undo === name) {
    model.undo = null;
    model.notices.delete("");
  }
  await reload();
}

/** How long a revealed token stays on screen. */
export const REVEAL_MS = 20_000;

export async function reveal(name: string): Promise<void> {
  const token = await guard(`${name}:token`, () => api.revealToken(name));
  if (token === undefined) return;
  model.revealed = { server: name, token, until: Date.now() + REVEAL_MS };
  render();
  setTimeout(() => {
    if (model.revealed?.token === token) {
      model.revealed = null;
      render();
    }
  }, REVEAL_MS);
}

export async function copyToken(name: string): Promise<void> {
  const seconds = await guard(`${name}:token`, () => api.copyToken(name));
  if (seconds !== undefined) {
    say(name, `Access token copied. Clipboard managers are asked not to keep it, and it is cleared from the clipboard in ${seconds} s.`);
  }
  render();
}

/** Copy text that is no secret, through the app (the webview's clipboard API
 *  may refuse without a gesture it recognises); `said` once it is there. */
export async function copyText(name: string, text: string, said: string): Promise<void> {
  try {
    await api.copyText(text);
    say(name, said);
  } catch {
    say(name, "That could not be copied: the clipboard is not available.", "warn");
  }
  render();
}

export async function startDemo(): Promise<void> {
  const demo = await guard("", () => api.startDemo());
  if (!demo) return;
  upsert(demo.server);
  model.selected = demo.server.name;
  await discover(demo.server.name);
}

export function wireEvents(): void {
  void events.onProgress((e) => {
    const steps = model.progress.get(e.server);
    if (steps && !steps.includes(e.step)) {
      steps.push(e.step);
      render();
    }
  });
  void events.onStepUp((e) => {
    model.stepUps.set(e.server, e);
    if (model.selected !== e.server) model.selected = e.server;
    render();
  });
  void events.onPromptAsked((e) => void asked(e));
  void events.onBrowserNotOpened((e) => {
    const f = model.flows.get(e.server);
    if (f && f.flowId === e.flowId) {
      f.noBrowser = e.reason;
      render();
    } else {
      keepEarly(e.flowId, { noBrowser: e.reason });
    }
  });
  void events.onDeviceCode((e) => {
    const f = model.deviceFlows.get(e.server);
    if (f && f.flowId === e.flowId) {
      f.code = e;
      render();
    } else {
      keepEarly(e.flowId, { code: e });
    }
  });
  // Another program (a bridge, `mcp-auth serve`, the CLI) changed the list.
  // Not while the person is editing settings or a dialog is open: the page
  // is rebuilt from the list, and their edits would be lost.
  void events.onListChanged(() => {
    if (model.settingsOpen.size === 0 && !document.querySelector("dialog[open]")) void reload();
  });
  void events.onSelectServer((name) => void select(name));
  void api.promptsWaiting().then(async (prompts) => {
    for (const p of prompts) await asked(p);
  });
  void events.onSignInFinished(async (e) => {
    const known = model.flows.get(e.server)?.flowId === e.flowId || model.deviceFlows.get(e.server)?.flowId === e.flowId;
    if (!known) keepEarly(e.flowId, { finished: true });
    model.flows.delete(e.server);
    model.deviceFlows.delete(e.server);
    model.asks.delete(e.server);
    model.stepUps.delete(e.server);
    if (e.error) {
      model.errors.set(e.server, e.error);
      model.notices.delete(e.server);
    }
    if (e.tools) {
      model.tools.set(e.server, e.tools);
      say(e.server, "Signed in and verified.");
      model.connect.delete(e.server);
    }
    await reload();
  });
}
