// An error in plain words, with the technical detail one click away.

import { h } from "../dom";
import type { CommandError } from "../ipc";

export function errorCard(e: CommandError, onDismiss?: () => void): HTMLElement {
  const details = e.detail
    ? h("details", { class: "error-details" }, h("summary", {}, "Details"), h("code", { class: "detail-text" }, e.detail), h("div", { class: "muted small" }, `Kind: ${e.kind}`))
    : null;
  return h(
    "div",
    { class: "card error", role: "alert" },
    h("div", { class: "error-title" }, h("span", { class: "error-mark", "aria-hidden": "true" }, "!"), e.message),
    details,
    onDismiss ? h("button", { class: "link", type: "button", onclick: onDismiss }, "Dismiss") : null,
  );
}
