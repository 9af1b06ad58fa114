// The management API, called with the token kept in this tab's session storage.
const KEY = 'hookgate.token';

export const SCOPES = { view: 'WEBHOOKS:VIEW', edit: 'WEBHOOKS:EDIT' };
export const SYSTEM_LISTENER = '__system__';

export function token() { return sessionStorage.getItem(KEY) || ''; }
export function setToken(value) { sessionStorage.setItem(KEY, value); }
export function forget() { sessionStorage.removeItem(KEY); }

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
  }
}

// One call; the answer's JSON, or an ApiError with the API's message.
export async function api(path, method = 'GET') {
  const res = await fetch(`/api/v1/${path}`, {
    method,
    headers: { Authorization: `Bearer ${token()}`, Accept: 'application/json' },
    credentials: 'omit',
    cache: 'no-store',
  });
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

// A query string from the set values of an object.
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}
