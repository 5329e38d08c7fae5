// Voice messages: 🎤 in the composer records from the microphone (MediaRecorder) while a bar
// shows the time (m:ss) with Cancel and Send; recording stops by itself at the page's limit
// (VOICE_MAX_SECONDS) and is then sent. The recording goes up as one multipart POST to
// /api/v1/conversations/<id>/voice (./upload.js), listed with the uploads: sending, or why
// it failed with a Retry that reuses its client id, so a retry never doubles it.
//
//   new VoiceRecorder({ conversationId, text, button, bar, list, onSent, takeReply }).wire();

import { uploadAttachment } from './upload.js';
import { fill } from '../ui.js';

// Opus first (small, and what the server expects most), in Ogg where the browser makes it
// (Firefox), else in WebM (Chromium); the browser's own choice when none is offered.
const TYPES = ['audio/ogg;codecs=opus', 'audio/webm;codecs=opus', 'audio/webm', 'audio/ogg'];
const CHUNK_MS = 250; // MediaRecorder hands over what it has this often
const TICK_MS = 200; // the timer's refresh

function formatTime(ms) {
  const whole = Math.floor(ms / 1000);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
}

export class VoiceRecorder {
  // `button` is the composer's 🎤, `bar` the recording bar (data-voice-max-seconds, with
  // [data-voice-timer], [data-voice-cancel], [data-voice-send]), `list` the uploads list,
  // `text` the page's strings, `onSent(message)` shows a stored message, `takeReply()`
  // gives the id of the message the composer replies to (or null).
  constructor({ conversationId, text, button, bar, list, onSent, takeReply }) {
    Object.assign(this, { conversationId, text, button, bar, list, onSent, takeReply });
    this.maxMs = Number(bar.dataset.voiceMaxSeconds) * 1000;
    this.timer = bar.querySelector('[data-voice-timer]');
    this.recorder = null;
    this.tick = null;
    this.limit = null;
  }

  wire() {
    this.button.addEventListener('click', () => { if (!this.recorder) this.start(); });
    this.bar.querySelector('[data-voice-cancel]').addEventListener('click', () => this.stop(false));
    this.bar.querySelector('[data-voice-send]').addEventListener('click', () => this.stop(true));
    document.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && this.recorder) { event.preventDefault(); this.stop(false); }
    });
  }

  async start() {
    if (!navigator.mediaDevices || !window.MediaRecorder) { this.fail(this.text.voiceUnavailable); return; }
    let media;
    this.button.disabled = true;
    try {
      media = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (error) {
      this.button.disabled = false;
      this.fail(this.text.voiceDenied);
      return;
    }
    const mimeType = TYPES.find((type) => MediaRecorder.isTypeSupported(type));
    const recorder = new MediaRecorder(media, mimeType ? { mimeType } : {});
    const chunks = [];
    recorder.addEventListener('dataavailable', (event) => { if (event.data.size) chunks.push(event.data); });
    recorder.addEventListener('stop', () => {
      media.getTracks().forEach((track) => track.stop());
      if (recorder.keep && chunks.length) this.send(new Blob(chunks, { type: recorder.mimeType || mimeType }));
    });
    this.recorder = recorder;
    const started = Date.now();
    this.timer.textContent = formatTime(0);
    this.tick = setInterval(() => { this.timer.textContent = formatTime(Date.now() - started); }, TICK_MS);
    this.limit = setTimeout(() => this.stop(true), this.maxMs); // stops by itself at the limit, and sends
    recorder.start(CHUNK_MS);
    this.bar.hidden = false;
    this.bar.querySelector('[data-voice-send]').focus();
  }

  // End the recording: send it (`keep`) or drop it.
  stop(keep) {
    const { recorder } = this;
    if (!recorder) return;
    this.recorder = null;
    clearInterval(this.tick);
    clearTimeout(this.limit);
    this.bar.hidden = true;
    this.button.disabled = false;
    recorder.keep = keep;
    recorder.stop(); // its last chunk, then 'stop'
  }

  send(blob, clientId = crypto.randomUUID(), row = document.createElement('li'), replyTo = this.takeReply()) {
    // The name is only a label: the server reads the bytes. Safari records AAC in MP4.
    const extension = ['ogg', 'mp4', 'webm'].find((kind) => blob.type.includes(kind)) || 'webm';
    const file = new File([blob], `voice.${extension}`, { type: blob.type });
    row.className = 'upload';
    row.replaceChildren();
    const label = document.createElement('span');
    label.className = 'upload-name';
    label.textContent = this.text.voiceSending;
    const progress = document.createElement('progress');
    progress.max = 1;
    progress.value = 0;
    row.append(label, progress);
    if (!row.isConnected) this.list.append(row);
    const upload = uploadAttachment(this.conversationId, file, {
      clientId, replyTo, kind: 'voice', onProgress(fraction) { progress.value = fraction; },
    });
    upload.done.then((message) => { row.remove(); this.onSent(message); }, (error) => {
      const again = error.retryable;
      this.fail(fill(this.text.voiceFailed, { reason: error.reason }), row,
        again ? () => this.send(blob, clientId, row, replyTo) : null);
    });
  }

  // Show `reason` in the uploads list (in `row`, a failed send's), with a Retry when given.
  fail(reason, row = document.createElement('li'), retry = null) {
    row.className = 'upload failed';
    row.replaceChildren();
    const words = document.createElement('span');
    words.className = 'upload-name';
    words.textContent = reason;
    row.append(words);
    const buttons = retry ? [[this.text.retry, retry], ['✕', null]] : [['✕', null]];
    for (const [label, action] of buttons) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'btn btn-small btn-link';
      button.textContent = label;
      if (!action) button.setAttribute('aria-label', this.text.cancel);
      button.addEventListener('click', action || (() => row.remove()));
      row.append(button);
    }
    if (!row.isConnected) this.list.append(row);
  }

  // The open conversation is gone: no more recording.
  close() {
    this.stop(false);
    this.button.disabled = true;
  }
}
