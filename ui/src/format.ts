// Plain words for OAuth facts.

const SCOPE_WORDS: Record<string, string> = {
  openid: "Know who you are",
  profile: "See your basic profile",
  email: "See your email address",
  offline_access: "Stay signed in (renew access without asking)",
  "mcp:tools": "Use the server's tools",
  "demo:read": "Read demo data",
  "demo:write": "Change demo data",
};

export function scopeWords(scope: string): string | null {
  if (SCOPE_WORDS[scope]) return SCOPE_WORDS[scope];
  const m = /^(.*?)[:.](read|write)$/.exec(scope);
  if (m) return `${m[2] === "read" ? "Read" : "Change"} ${m[1].replace(/[_:.-]+/g, " ")}`;
  return null;
}

/** How a permission reads: "markup" when its name looks like web page code
 *  (a hostile server's), "wide" when it names admin, write or delete powers,
 *  "plain" otherwise. */
export function scopeRisk(scope: string): "markup" | "wide" | "plain" {
  if (/[<>"'`\\{}]|[\u0000-\u001f\u007f]/.test(scope)) return "markup";
  if (/(^|[:._\-/])(admin|administrator|write|delete|manage|owner|root|sudo|full|all|\*)($|[:._\-/])/i.test(scope)) return "wide";
  return "plain";
}

export function clientSourceWords(source: string | null): string {
  switch (source) {
    case "registered":
      return "Registered automatically";
    case "metadata_document":
      return "Client metadata document";
    case "entered":
      return "Entered by you";
    default:
      return "Not yet chosen";
  }
}

export function countdown(expiresAt: number | null, now = Date.now() / 1000): string {
  if (expiresAt === null) return "No expiry given by the server";
  let s = Math.round(expiresAt - now);
  if (s <= 0) return "Expired";
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const hh = Math.floor(s / 3600);
  s -= hh * 3600;
  const mm = Math.floor(s / 60);
  const ss = s - mm * 60;
  if (d > 0) return `Expires in ${d} d ${hh} h`;
  if (hh > 0) return `Expires in ${hh} h ${mm} min`;
  if (mm > 0) return `Expires in ${mm} min ${ss} s`;
  return `Expires in ${ss} s`;
}

/** "Ends today at 14:32", "Stops waiting at 14:37", "until tomorrow at 09:00":
 *  a moment in words, at minute precision (no ticking seconds). */
export function until(atMs: number, lead = "at", now = Date.now()): string {
  const at = new Date(atMs);
  const time = at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  const today = new Date(now);
  const days = Math.round((new Date(at.getFullYear(), at.getMonth(), at.getDate()).getTime() - new Date(today.getFullYear(), today.getMonth(), today.getDate()).getTime()) / 86_400_000);
  const day = days === 0 ? "today" : days === 1 ? "tomorrow" : at.toLocaleDateString([], { weekday: "long", day: "numeric", month: "long" });
  return lead === "at" ? `at ${time}` : `${lead} ${day} at ${time}`;
}

export function when(unix: number | null): string {
  if (unix === null) return "Never";
  return new Date(unix * 1000).toLocaleString();
}

/** "3 minutes ago", "yesterday": how long ago, in words. */
export function ago(unix: number, now = Date.now() / 1000): string {
  const s = Math.max(0, Math.round(now - unix));
  if (s < 60) return "just now";
  const m = Math.round(s / 60);
  if (m < 60) return m === 1 ? "a minute ago" : `${m} minutes ago`;
  const h = Math.round(m / 60);
  if (h < 24) return h === 1 ? "an hour ago" : `${h} hours ago`;
  const d = Math.round(h / 24);
  return d === 1 ? "yesterday" : `${d} days ago`;
}

/** What a program did with a sign-in, in words (the activity log's `what`). */
export const ACTIVITY_WORDS: Record<string, string> = {
  token: "used this sign-in",
  headers: "used this sign-in",
  bridge_started: "started using this sign-in",
  agent_added_server: "added this server",
  agent_started_sign_in: "started a sign-in",
  agent_signed_in: "finished a sign-in",
  agent_cleared: "signed you out",
  renewed_in_background: "renewed the access ahead of its expiry",
  program_allowed: "was allowed to use this sign-in",
  program_refused: "was not given this sign-in",
};

export const BADGE_WORDS: Record<string, string> = {
  connected: "Signed in",
  needs_sign_in: "Needs sign-in",
  expires_soon: "Expires soon",
  error: "Error",
};

/** "Claude Code", "Claude Code and VS Code", "A, B and C". */
export function andList(names: string[]): string {
  return names.length <= 1 ? (names[0] ?? "") : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}
