// JSON calls to the /api/v1 endpoints with this page's CSRF token.
// A failed call throws ApiError carrying the server's message and per-field errors.

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || document.body.dataset.msgError || 'Error');
    this.status = status;
    this.errors = (body && body.errors) || {};
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
