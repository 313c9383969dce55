// A scripted stand-in for a person with a browser, for oidc-provider's
// devInteractions: reads an authorization URL from standard input (never argv:
// it carries state and the PKCE challenge), GETs it, follows redirects with a
// cookie jar, fills the login form (any username and password) and the consent
// form, follows the resume redirects until the Location points at the
// authorization request's redirect_uri, then GETs that URL, which hands the code
// to the waiting client's loopback listener.
//
// Environment:
//   BROWSER_ISS     keep (default) | tamper | strip: what to do to the `iss`
//                   parameter of the authorization response before delivering it
//   BROWSER_LOGIN   the username to type (default: alice)
//   BROWSER_HOPS    the most requests to make (default: 20)
//   BROWSER_TIMEOUT_MS per request (default: 10000)
//   BROWSER_DEVICE  1: the URL is a device sign-in's page (RFC 8628, the code
//                   filled in); done at the provider's success page, which has
//                   no form and nothing to deliver
//
// Prints one JSON object on stdout: the hops taken (method, origin+path, status;
// never query strings), the names of the authorization response's parameters,
// its `iss` value and `error` (neither is a secret), and the listener's status.
// Never prints the code. Exit status 0 once the response reached the listener.
import { readFileSync } from 'node:fs';

const mode = process.env.BROWSER_ISS || 'keep';
const login = process.env.BROWSER_LOGIN || 'alice';
const maxHops = Number(process.env.BROWSER_HOPS || 20);
const timeoutMs = Number(process.env.BROWSER_TIMEOUT_MS || 10000);

const device = process.env.BROWSER_DEVICE === '1';
const authUrl = new URL(readFileSync(0, 'utf8').trim().split('\n')[0]);
const redirectUri = authUrl.searchParams.get('redirect_uri');
if (!redirectUri && !device) { console.log(JSON.stringify({ ok: false, why: 'no redirect_uri in the authorization URL' })); process.exit(1); }
const target = redirectUri ? new URL(redirectUri) : undefined;
const isRedirectTarget = (u) => target !== undefined && u.origin === target.origin && u.pathname === target.pathname;

const report = { ok: false, hops: [] };
const finish = (code) => { console.log(JSON.stringify(report)); process.exit(code); };

// cookie jar: host -> name -> value (path and flags ignored: one site, one test)
const jar = new Map();
const cookieHeader = (u) => [...(jar.get(u.host) || new Map())].map(([k, v]) => `${k}=${v}`).join('; ');
function storeCookies(u, res) {
  const site = jar.get(u.host) || new Map();
  for (const line of res.headers.getSetCookie()) {
    const [pair, ...attrs] = line.split(';');
    const i = pair.indexOf('=');
    const name = pair.slice(0, i).trim();
    const value = pair.slice(i + 1).trim();
    const expired = attrs.some((a) => {
      const [k, v] = a.split('=').map((s) => s?.trim());
      if (/^max-age$/i.test(k)) return Number(v) <= 0;
      if (/^expires$/i.test(k)) return Date.parse(v) < Date.now();
      return false;
    });
    if (expired) site.delete(name); else site.set(name, value);
  }
  jar.set(u.host, site);
}

async function request(method, u, body) {
  if (report.hops.length >= maxHops) { report.why = `more than ${maxHops} hops`; finish(1); }
  const headers = { accept: 'text/html,application/json;q=0.9,*/*;q=0.8' };
  const cookies = cookieHeader(u);
  if (cookies) headers.cookie = cookies;
  if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
  const res = await fetch(u, {
    method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs),
  });
  storeCookies(u, res);
  report.hops.push(`${method} ${u.origin}${u.pathname} -> ${res.status}`);
  return res;
}

// The first <form> of an HTML page: its action, and its fields filled in the
// way a person would: hidden fields as they are, any text field gets the login,
// any password field a password.
function fillForm(html, base) {
  const form = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) return undefined;
  const attr = (tag, name) => {
    const m = new RegExp(`\\b${name}\\s*=\\s*"([^"]*)"`, 'i').exec(tag);
    return m ? m[1].replace(/&amp;/g, '&').replace(/&#x2F;/gi, '/').replace(/&#47;/g, '/').replace(/&quot;/g, '"') : undefined;
  };
  const method = (attr(form[1], 'method') || 'get').toUpperCase();
  const action = new URL(attr(form[1], 'action') || base.href, base);
  const fields = new URLSearchParams();
  for (const [tag] of form[2].matchAll(/<input\b[^>]*>/gi)) {
    const name = attr(tag, 'name');
    if (!name) continue;
    const type = (attr(tag, 'type') || 'text').toLowerCase();
    if (type === 'hidden') fields.append(name, attr(tag, 'value') ?? '');
    else if (type === 'password') fields.append(name, 'any-password');
    else if (type === 'text' || type === 'email') fields.append(name, attr(tag, 'value') || login);
  }
  return { method, action, fields, prompt: fields.get('prompt') };
}

try {
  let method = 'GET';
  let url = authUrl;
  let body;
  const forms = [];
  for (;;) {
    if (isRedirectTarget(url)) {
      // The authorization response: what came back, then deliver it.
      const names = [...url.searchParams.keys()];
      report.response_params = names;
      report.iss = url.searchParams.get('iss');
      report.error = url.searchParams.get('error');
      report.code_present = url.searchParams.has('code');
      if (mode === 'tamper' && report.iss) url.searchParams.set('iss', 'http://127.0.0.1:9/not-the-issuer');
      if (mode === 'strip') url.searchParams.delete('iss');
      report.iss_mode = mode;
      report.forms = forms;
      let res;
      try {
        res = await request('GET', url);
        report.listener_status = res.status;
        await res.arrayBuffer();
      } catch (e) {
        // The client may close its listener as soon as it has the response.
        report.listener_error = String(e?.cause?.code || e?.name || e);
      }
      report.ok = true;
      finish(0);
    }
    const res = await request(method, url, body);
    body = undefined;
    if (res.status >= 300 && res.status < 400 && res.headers.get('location')) {
      await res.arrayBuffer();
      url = new URL(res.headers.get('location'), url);
      method = 'GET';
      continue;
    }
    const text = await res.text();
    const form = res.ok && /html/i.test(res.headers.get('content-type') || '') ? fillForm(text, url) : undefined;
    if (!form && device && res.ok) {
      report.page = (/<title>([^<]{0,80})<\/title>/i.exec(text) || [])[1];
      report.forms = forms;
      report.ok = report.page === 'Sign-in Success';
      finish(report.ok ? 0 : 1);
    }
    if (!form) {
      report.why = `stopped at ${url.origin}${url.pathname}: HTTP ${res.status}, no redirect and no form`;
      const err = /"error"\s*:\s*"([^"]+)"/.exec(text) || /<pre>([^<]{0,200})/.exec(text);
      if (err) report.page_error = err[1];
      finish(1);
    }
    forms.push(form.prompt || 'form');
    method = form.method;
    if (method === 'POST') {
      url = form.action;
      body = form.fields.toString();
    } else {
      url = new URL(form.action);
      for (const [k, v] of form.fields) url.searchParams.append(k, v);
    }
  }
} catch (e) {
  report.why = `error: ${e?.message || e}`;
  finish(1);
}
