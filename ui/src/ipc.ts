// The only file that calls `invoke`: one typed function per command, with the
// types generated from Rust (src/bindings, written by `cargo test`).

import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { ActivityView } from "./bindings/ActivityView";
import type { AgentUse } from "./bindings/AgentUse";
import type { AllConnected } from "./bindings/AllConnected";
import type { AppUse } from "./bindings/AppUse";
import type { PreferencesView } from "./bindings/PreferencesView";
import type { BrowserNotOpened } from "./bindings/BrowserNotOpened";
import type { CommandError } from "./bindings/CommandError";
import type { ConnectView } from "./bindings/ConnectView";
import type { DemoView } from "./bindings/DemoView";
import type { DetailView } from "./bindings/DetailView";
import type { Diagnosis } from "./bindings/Diagnosis";
import type { DeviceCodeShown } from "./bindings/DeviceCodeShown";
import type { DeviceSignInStarted } from "./bindings/DeviceSignInStarted";
import type { ImportCandidate } from "./bindings/ImportCandidate";
import type { ImportChoice } from "./bindings/ImportChoice";
import type { ProgressEvent } from "./bindings/ProgressEvent";
import type { RevokeView } from "./bindings/RevokeView";
import type { ServerView } from "./bindings/ServerView";
import type { SettingsInput } from "./bindings/SettingsInput";
import type { PromptAsked } from "./bindings/PromptAsked";
import type { ProgramView } from "./bindings/ProgramView";
import type { SignInFinished } from "./bindings/SignInFinished";
import type { SignInStarted } from "./bindings/SignInStarted";
import type { StepUpAsked } from "./bindings/StepUpAsked";

export type { ActivityView, AllConnected, AppUse, CommandError, ConnectView, DemoView, DetailView, DeviceCodeShown, Diagnosis, ImportCandidate, ProgramView, ProgressEvent, RevokeView, ServerView, SignInFinished, StepUpAsked };

/** Errors from commands are CommandError; anything else is wrapped into one. */
export function asCommandError(e: unknown): CommandError {
  if (e && typeof e === "object" && "kind" in e && "message" in e) return e as CommandError;
  return { kind: "local", message: "Something went wrong inside the app.", detail: String(e) };
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw asCommandError(e);
  }
}

export const api = {
  listServers: () => call<ServerView[]>("list_servers"),
  addServer: (url: string) => call<ServerView>("add_server", { url }),
  discoverServer: (name: string) => call<ConnectView>("discover_server", { name }),
  saveSettings: (name: string, settings: SettingsInput) => call<ServerView>("save_settings", { name, settings }),
  setClientSecret: (name: string, secret: string) => call<ServerView>("set_client_secret", { name, secret }),
  removeClientSecret: (name: string) => call<ServerView>("remove_client_secret", { name }),
  signIn: (name: string) => call<SignInStarted>("sign_in", { name }),
  cancelSignIn: (flowId: string) => call<void>("cancel_sign_in", { flowId }),
  signInOnDevice: (name: string) => call<DeviceSignInStarted>("sign_in_on_device", { name }),
  answerStepUp: (flowId: string, approve: boolean) => call<void>("answer_step_up", { flowId, approve }),
  serverDetail: (name: string) => call<DetailView>("server_detail", { name }),
  serverActivity: (name: string) => call<ActivityView[]>("server_activity", { name }),
  diagnoseServer: (name: string) => call<Diagnosis>("diagnose_server", { name }),
  refreshServer: (name: string) => call<ServerView>("refresh_server", { name }),
  revokeServer: (name: string) => call<RevokeView>("revoke_server", { name }),
  openSignInAgain: (flowId: string) => call<void>("open_sign_in_again", { flowId }),
  renameServer: (name: string, title: string) => call<ServerView>("rename_server", { name, title }),
  clearServer: (name: string) => call<ServerView>("clear_server", { name }),
  removeServer: (name: string, revoke: boolean) => call<void>("remove_server", { name, revoke }),
  revealToken: (name: string) => call<string>("reveal_token", { name }),
  copyToken: (name: string) => call<number>("copy_token", { name }),
  copyText: (text: string) => call<null>("copy_text", { text }),
  importScan: () => call<ImportCandidate[]>("import_scan"),
  showConfigFile: (client: string, path: string) => call<null>("show_config_file", { client, path }),
  preferences: () => call<PreferencesView>("preferences"),
  setKeepInTray: (on: boolean) => call<PreferencesView>("set_keep_in_tray", { on }),
  setStartAtLogin: (on: boolean) => call<PreferencesView>("set_start_at_login", { on }),
  importAdd: (choices: ImportChoice[]) => call<ServerView[]>("import_add", { choices }),
  startDemo: () => call<DemoView>("start_demo"),
  appUses: (name: string) => call<AppUse[]>("app_uses", { name }),
  setAppUse: (name: string, app: string, connected: boolean, moveCredential = false) =>
    call<AppUse[]>("set_app_use", { name, app, connected, moveCredential }),
  connectAppAll: (name: string, app: string) => call<AllConnected>("connect_app_all", { name, app }),
  agentUses: () => call<AgentUse[]>("agent_uses"),
  setAgentUse: (app: string, connected: boolean) => call<AgentUse[]>("set_agent_use", { app, connected }),
  promptsWaiting: () => call<PromptAsked[]>("prompts_waiting"),
  answerPrompt: (kind: string, subject: string, yes: boolean) => call<void>("answer_prompt", { kind, subject, yes }),
  answerProgram: (server: string, key: string, yes: boolean) => call<void>("answer_program", { server, key, yes }),
  setProgramApproval: (server: string, on: boolean) => call<ServerView>("set_program_approval", { server, on }),
  forgetProgram: (server: string, key: string) => call<ServerView>("forget_program", { server, key }),
};

export const events = {
  onProgress: (f: (e: ProgressEvent) => void): Promise<UnlistenFn> => listen<ProgressEvent>("progress", (e) => f(e.payload)),
  onSignInFinished: (f: (e: SignInFinished) => void): Promise<UnlistenFn> =>
    listen<SignInFinished>("sign-in-finished", (e) => f(e.payload)),
  onStepUp: (f: (e: StepUpAsked) => void): Promise<UnlistenFn> => listen<StepUpAsked>("step-up", (e) => f(e.payload)),
  onBrowserNotOpened: (f: (e: BrowserNotOpened) => void): Promise<UnlistenFn> => listen<BrowserNotOpened>("browser-not-opened", (e) => f(e.payload)),
  onDeviceCode: (f: (e: DeviceCodeShown) => void): Promise<UnlistenFn> => listen<DeviceCodeShown>("device-code", (e) => f(e.payload)),
  onListChanged: (f: () => void): Promise<UnlistenFn> => listen<null>("list-changed", () => f()),
  onPromptAsked: (f: (e: PromptAsked) => void): Promise<UnlistenFn> => listen<PromptAsked>("prompt-asked", (e) => f(e.payload)),
  /** A server's line in the tray menu was chosen. */
  onSelectServer: (f: (name: string) => void): Promise<UnlistenFn> => listen<string>("select-server", (e) => f(e.payload)),
};
