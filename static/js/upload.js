// Attachment uploads with progress and cancel: one multipart POST per file, through
// XMLHttpRequest (fetch has no upload progress), with this page's CSRF token.
import { ApiError } from './api.js';

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : '';
}

// Send `file` to conversation `conversationId` as an image or file message.
// Returns { done, cancel }: `done` resolves with the stored message, or rejects with an
// ApiError (status 0 when the network failed, -1 when cancelled); `onProgress(fraction)`
// is called as the bytes go out.
export function uploadAttachment(conversationId, file, { clientId, caption = '', onProgress } = {}) {
  const xhr = new XMLHttpRequest();
  const done = new Promise((resolve, reject) => {
    xhr.open('POST', `/api/v1/conversations/${conversationId}/attachments`);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('X-CSRFToken', csrfToken());
    xhr.responseType = 'json';
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable && onProgress) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener('load', () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve(xhr.response);
      else reject(new ApiError(xhr.status, xhr.response));
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, { message: document.body.dataset.msgOffline })));
    xhr.addEventListener('abort', () => reject(new ApiError(-1, { message: 'cancelled' })));
    const form = new FormData();
    form.append('file', file, file.name || 'pasted-image.png');
    if (caption) form.append('caption', caption);
    if (clientId) form.append('client_id', clientId);
    xhr.send(form);
  });
  return { done, cancel: () => xhr.abort() };
}
