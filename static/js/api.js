// JSON calls to the /api/v1 endpoints with this page's CSRF token.
// A failed call throws ApiError carrying the server's message and per-field errors, the
// reason to show where no field is there to show them beside, and whether trying again may help.

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || document.body.dataset.msgError || 'Error');
    this.status = status;
    this.errors = (body && body.errors) || {};
  }

  // What to tell the person: the server's sentences on the fields when it gave any (a 422's
  // message only points at them), else its message. Already in the page's language.
  get reason() {
    const sentences = (value) => (typeof value === 'string' ? [value]
      : Object.values(value || {}).flatMap(sentences));
    const named = sentences(this.errors);
    return named.length ? named.join(' ') : this.message;
  }

  // True when the same request may succeed later: no answer (offline), too many requests
  // (429), or the server's own failure (5xx). A refusal of the input itself (400, 403, 409,
  // 413, 415, 422...) would only be refused again.
  get retryable() {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : '';
}

export async function api(method, path, body) {
  const headers = { Accept: 'application/json', 'X-CSRFToken': csrfToken() };
  const init = { method, headers, credentials: 'same-origin' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, { message: document.body.dataset.msgOffline });
  }
  if (response.status === 204) return null;
  let data = null;
  try { data = await response.json(); } catch (err) { data = null; }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}
