/* The public API as the web app calls it: bearer tokens that refresh themselves, RFC 9457 problems
   as errors, cursor pages, downloads and uploads. The app holds its sign-in in this tab's
   sessionStorage only; closing the tab signs out. */

const STORE = "alliance.session";

export class ApiError extends Error {
  /** ``problem`` is the API's problem+json body: title, detail, status and ``errors`` (field -> messages). */
  constructor(status, problem) {
    const body = problem && typeof problem === "object" ? problem : {};
    super(body.detail || body.title || `HTTP ${status}`);
    this.status = status;
    this.problem = body;
    this.errors = body.errors && typeof body.errors === "object" ? body.errors : {};
  }
}

/** A fresh Idempotency-Key: a form keeps one per submission, so a retried click is not a second record. */
export function newIdempotencyKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function loadSession() {
  try {
    return JSON.parse(sessionStorage.getItem(STORE) || "null");
  } catch {
    return null;
  }
}

let session = loadSession();
let refreshing = null;
const listeners = new Set();

function store(next) {
  session = next;
  if (next) sessionStorage.setItem(STORE, JSON.stringify(next));
  else sessionStorage.removeItem(STORE);
  for (const listener of listeners) listener(next);
}

/** Called with the new session (or null) whenever the sign-in changes. */
export function onSessionChange(listener) {
  listeners.add(listener);
}

export function currentSession() {
  return session;
}

function keep(tokens) {
  store({
    access_token: tokens.access_token,
    refresh_token: tokens.refresh_token,
    // Refresh a little before the token's end, so a request never carries an expired one.
    expires_at: Date.now() + (tokens.expires_in - 30) * 1000,
    account: tokens.account,
  });
}

export function pathWithQuery(path, query) {
  const url = new URL(path, location.origin);
  for (const [name, value] of Object.entries(query || {})) {
    if (value === null || value === undefined || value === "") continue;
    if (Array.isArray(value)) value.forEach((item) => url.searchParams.append(name, String(item)));
    else url.searchParams.set(name, String(value));
  }
  return url.pathname + url.search;
}

async function parse(response) {
  if (response.status === 204) return null;
  const type = response.headers.get("Content-Type") || "";
  if (type.includes("json")) return response.json().catch(() => null);
  return null;
}

async function send(method, path, { query, body, form, file, idempotencyKey, auth = true } = {}) {
  const headers = { Accept: "application/json" };
  let payload;
  if (form) payload = form;
  else if (file) {
    payload = file;
    headers["Content-Type"] = file.type || "application/octet-stream";
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers["Content-Type"] = "application/json";
  }
  if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
  if (auth && session) {
    if (Date.now() >= session.expires_at) await refresh();
    if (session) headers.Authorization = `Bearer ${session.access_token}`;
  }
  return fetch(pathWithQuery(path, query), { method, headers, body: payload });
}

/** Trade the refresh token for the next pair (once, however many calls are waiting). */
export async function refresh() {
  if (!session) return;
  if (!refreshing) {
    refreshing = (async () => {
      const response = await fetch("/api/v1/auth/refresh", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ refresh_token: session.refresh_token }),
      });
      if (response.ok) keep(await response.json());
      else store(null);
    })().finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

/** Call the API; the answer's JSON, or an ApiError carrying the problem. */
export async function request(method, path, options = {}) {
  let response = await send(method, path, options);
  if (response.status === 401 && session && options.auth !== false) {
    await refresh();
    if (session) response = await send(method, path, options);
  }
  const answer = await parse(response);
  if (!response.ok) throw new ApiError(response.status, answer);
  return answer;
}

export const get = (path, query) => request("GET", path, { query });
export const post = (path, body, options = {}) => request("POST", path, { ...options, body });
export const patch = (path, body, options = {}) => request("PATCH", path, { ...options, body });
export const put = (path, body, options = {}) => request("PUT", path, { ...options, body });
export const del = (path, options = {}) => request("DELETE", path, options);

/** Upload ``file`` as the form field ``file`` of a multipart body. */
export function upload(path, file, query, options = {}) {
  const form = new FormData();
  form.append("file", file, file.name);
  return request("POST", path, { ...options, query, form });
}

/** One page of a cursor-paginated list: { items, next_cursor }. */
export function page(path, query, cursor, limit = 50) {
  return get(path, { ...query, limit, cursor });
}

/** Every item of a list (for small lists such as an alliance's memberships). */
export async function all(path, query = {}, limit = 200) {
  const items = [];
  let cursor = null;
  do {
    const answer = await page(path, query, cursor, limit);
    items.push(...answer.items);
    cursor = answer.next_cursor;
  } while (cursor);
  return items;
}

/** Fetch a file the caller may see (a PDF, a spreadsheet, a ZIP) and hand it to the browser to save. */
export async function download(path, query, fallbackName) {
  let response = await send("GET", path, { query });
  if (response.status === 401 && session) {
    await refresh();
    response = await send("GET", path, { query });
  }
  if (!response.ok) throw new ApiError(response.status, await parse(response));
  const disposition = response.headers.get("Content-Disposition") || "";
  const match = /filename\*=UTF-8''([^;]+)|filename="([^"]+)"/.exec(disposition);
  const name = match ? decodeURIComponent(match[1] || match[2]) : fallbackName;
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return name;
}

export async function signIn(login, password) {
  const tokens = await request("POST", "/api/v1/auth/login", { body: { login, password }, auth: false });
  keep(tokens);
  return tokens;
}

/** Keep the tokens a single sign-on handed back (in the address's fragment) as this tab's sign-in. */
export function adoptTokens(tokens) {
  keep({ ...tokens, expires_in: Number(tokens.expires_in) || 60 });
}

export async function signOut() {
  if (session) {
    const refreshToken = session.refresh_token;
    try {
      await request("POST", "/api/v1/auth/logout", { body: { refresh_token: refreshToken } });
    } catch {
      // Signed out here whatever the server says: the refresh token is forgotten with the session.
    }
  }
  store(null);
}
