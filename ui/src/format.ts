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

export function when(unix: number | null): string {
  if (unix === null) return "Never";
  return new Date(unix * 1000).toLocaleString();
}

export const BADGE_WORDS: Record<string, string> = {
  connected: "Connected",
  needs_sign_in: "Needs sign-in",
  expires_soon: "Expires soon",
  error: "Error",
};
