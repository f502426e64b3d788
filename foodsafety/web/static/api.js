// The JSON API as the pages use it: session cookie + the CSRF header on writes, one error shape.

const KEY = 'fs.session';

export function session() {
  try {
    return JSON.parse(localStorage.getItem(KEY));
  } catch {
    return null;
  }
}

export function saveSession(login) {
  localStorage.setItem(KEY, JSON.stringify({csrf: login.csrf_token, user: login.user}));
}

export function updateUser(user) {
  const current = session();
  if (current) localStorage.setItem(KEY, JSON.stringify({...current, user}));
}

export function clearSession() {
  localStorage.removeItem(KEY);
}

export class NetworkError extends Error {}

// Resolves to {status, ok, data}; rejects with NetworkError only when no answer came back.
// `etag`: a GET answered before with that ETag comes back as 304 (no body) if nothing changed.
export async function request(path, {method = 'GET', json, form, etag} = {}) {
  const headers = {Accept: 'application/json'};
  if (etag) headers['If-None-Match'] = etag;
  let body;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (form) {
    body = form;
  }
  if (method !== 'GET') {
    const csrf = session()?.csrf;
    if (csrf) headers['X-CSRF-Token'] = csrf;
  }
  let response;
  try {
    response = await fetch(path, {method, headers, body, credentials: 'same-origin', cache: 'no-store'});
  } catch {
    throw new NetworkError('网络不可用。');
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  return {status: response.status, ok: response.ok, data, etag: response.headers.get('ETag')};
}

// True when the answer means "log in again" (expired session, or a cookie without its CSRF token).
export function needsLogin(answer) {
  return answer.status === 401 || (answer.status === 403 && answer.data?.reason === 'csrf');
}

export function messageOf(answer) {
  return answer.data?.message || `服务器返回错误（${answer.status}）。`;
}

// {"a": {"0": {"b": ["x"]}}} → {"a.0.b": ["x"]}; schema-level errors stay on their parent path.
export function flattenErrors(errors, prefix = '', out = {}) {
  if (typeof errors === 'string') errors = [errors];
  if (Array.isArray(errors) && errors.every((e) => typeof e === 'string')) {
    (out[prefix] ||= []).push(...errors);
    return out;
  }
  for (const [key, value] of Object.entries(errors || {})) {
    const path = key === '_schema' ? prefix : (prefix ? `${prefix}.${key}` : key);
    flattenErrors(value, path, out);
  }
  return out;
}

// `next`: where to go afterwards (the inspector app stays in its own, offline-capable, page).
export async function logout(next = '/') {
  try {
    await request('/api/v1/auth/logout', {method: 'POST'});
  } catch {
    // offline: the server session ends by itself; forget it here
  }
  clearSession();
  location.assign(typeof next === 'string' ? next : '/');
}
