// Attachment uploads with progress and cancel: one multipart POST per file, through
// XMLHttpRequest (fetch has no upload progress), with this page's CSRF token.
//
//   attachUploads({ conversationId, limits, text, list, box, input, button, area, hint, onSent, takeReply,
//                   takeMentions });
//   const { done, cancel } = uploadAttachment(conversationId, file, { caption, replyTo, mentioned, onProgress });
import { ApiError, csrfToken } from '../api.js';
import { fill } from '../ui.js';

// Send `file` to conversation `conversationId` as an image or file message.
// Returns { done, cancel }: `done` resolves with the stored message, or rejects with an
// ApiError (status 0 when the network failed, -1 when cancelled); `onProgress(fraction)`
// is called as the bytes go out; `replyTo` is the id of a message it replies to; `mentioned`
// whom its caption mentions ({mentions: [ids], mention_all}); `kind` 'voice' sends a
// recording to the voice endpoint instead.
export function uploadAttachment(conversationId, file, {
  clientId, caption = '', replyTo = null, mentioned = null, onProgress, kind = 'attachments',
} = {}) {
  const xhr = new XMLHttpRequest();
  const done = new Promise((resolve, reject) => {
    xhr.open('POST', `/api/v1/conversations/${conversationId}/${kind === 'voice' ? 'voice' : 'attachments'}`);
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
    if (replyTo) form.append('reply_to', String(replyTo));
    if (mentioned && mentioned.mentions.length) form.append('mentions', mentioned.mentions.join(','));
    if (mentioned && mentioned.mention_all) form.append('mention_all', 'true');
    xhr.send(form);
  });
  return { done, cancel: () => xhr.abort() };
}

// Each file is its own message, with a progress bar and a Cancel button. The uploads go one
// after another, as the composer's texts do: each upload stores its message as it ends, so
// files sent together are stored in the order chosen (in parallel, a small file would overtake
// a large one). The composer's text, if any, becomes the caption of the first file, and the first file is the
// reply when the composer was replying. A failed upload keeps its
// row with the reason and a Retry that reuses its client id, so a retry never doubles it.
const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];

// Wire the composer's file input and button, paste into `box` and drops on `area` (showing
// `hint` while files hover) to upload into `conversationId`, listing uploads in `list`.
// `limits` are {image, file} in bytes, `text` the page's strings, `onSent(message)` shows a
// stored message, `takeReply()` gives the id of the message the composer replies to (or null),
// `takeMentions(caption)` whom the caption mentions ({mentions, mention_all}).
export function attachUploads({
  conversationId, limits, text, list, box, input, button, area, hint, onSent, takeReply, takeMentions,
}) {
  function tooLarge(file) {
    const limit = IMAGE_TYPES.includes(file.type) ? limits.image : limits.file;
    return file.size > limit;
  }

  let queue = Promise.resolve(); // the upload of the file chosen last

  function sendFiles(files) {
    let caption = box.value.trim();
    if (caption) box.value = '';
    let replyTo = takeReply();
    let mentioned = takeMentions(caption);
    for (const file of files) {
      sendFile(file, caption, crypto.randomUUID(), replyTo, mentioned);
      caption = '';
      replyTo = null;
      mentioned = null;
    }
  }

  function sendFile(file, caption, clientId, replyTo, mentioned, row = document.createElement('li')) {
    row.className = 'upload';
    row.replaceChildren();
    const label = document.createElement('span');
    label.className = 'upload-name';
    const progress = document.createElement('progress');
    progress.max = 1;
    progress.value = 0;
    const cancel = document.createElement('button');
    cancel.type = 'button';
    cancel.className = 'btn btn-small btn-link';
    cancel.textContent = text.cancel;
    if (!row.isConnected) list.append(row);
    if (tooLarge(file)) {
      const mb = (n) => Math.round(n / 1048576);
      failUpload(row, fill(text.tooLarge, { name: file.name, image: mb(limits.image), file: mb(limits.file) }));
      return;
    }
    label.textContent = fill(text.uploading, { name: file.name || 'image.png' });
    row.append(label, progress, cancel);
    let upload = null; // once its turn came
    cancel.addEventListener('click', () => { if (upload) upload.cancel(); else row.remove(); });
    queue = queue.then(() => {
      if (!row.isConnected) return null; // cancelled while waiting
      upload = uploadAttachment(conversationId, file, {
        clientId, caption, replyTo, mentioned, onProgress(fraction) { progress.value = fraction; },
      });
      return upload.done.then((message) => {
        row.remove();
        onSent(message);
      }, (error) => {
        if (error.status === -1) { row.remove(); return; }
        failUpload(row, fill(text.uploadFailed, { name: file.name, reason: error.reason }),
          error.retryable ? () => sendFile(file, caption, clientId, replyTo, mentioned, row) : null);
      });
    });
  }

  function failUpload(row, reason, retry = null) {
    row.replaceChildren();
    row.classList.add('failed');
    const words = document.createElement('span');
    words.className = 'upload-name';
    words.textContent = reason;
    row.append(words);
    if (retry) {
      const again = document.createElement('button');
      again.type = 'button';
      again.className = 'btn btn-small btn-link';
      again.textContent = text.retry;
      again.addEventListener('click', retry);
      row.append(again);
    }
    const dismiss = document.createElement('button');
    dismiss.type = 'button';
    dismiss.className = 'btn btn-small btn-link';
    dismiss.textContent = '✕';
    dismiss.setAttribute('aria-label', text.cancel);
    dismiss.addEventListener('click', () => row.remove());
    row.append(dismiss);
  }

  input.addEventListener('change', () => { sendFiles([...input.files]); input.value = ''; });
  button.addEventListener('click', () => input.click());
  box.addEventListener('paste', (event) => {
    const files = [...(event.clipboardData ? event.clipboardData.files : [])];
    if (files.length) { event.preventDefault(); sendFiles(files); }
  });
  let dragDepth = 0;
  const carriesFiles = (event) => event.dataTransfer && [...event.dataTransfer.types].includes('Files');
  area.addEventListener('dragenter', (event) => { if (carriesFiles(event)) { dragDepth += 1; hint.hidden = false; } });
  area.addEventListener('dragleave', () => { dragDepth = Math.max(0, dragDepth - 1); if (!dragDepth) hint.hidden = true; });
  area.addEventListener('dragover', (event) => { if (carriesFiles(event)) event.preventDefault(); });
  area.addEventListener('drop', (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    dragDepth = 0;
    hint.hidden = true;
    sendFiles([...event.dataTransfer.files]);
  });
}
