// An error in plain words, with the technical detail one click away and the
// fix, where there is one, as the card's own button.

import { h } from "../dom";
import type { CommandError } from "../ipc";

export function errorCard(e: CommandError, onDismiss?: () => void, fixes: HTMLElement[] = []): HTMLElement {
  const details = e.detail
    ? h("details", { class: "error-details" }, h("summary", {}, "Details"), h("code", { class: "detail-text" }, e.detail))
    : null;
  return h(
    "div",
    { class: "card error", role: "alert" },
    h("div", { class: "error-title" }, h("span", { class: "error-mark", "aria-hidden": "true" }, "!"), e.message),
    details,
    fixes.length || onDismiss
      ? h("div", { class: "actions" }, ...fixes, onDismiss ? h("button", { class: "link", type: "button", "data-key": "dismiss", onclick: onDismiss }, "Dismiss") : null)
      : null,
  );
}
