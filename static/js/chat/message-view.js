// How one message looks on the chat page: the quote it replies to, its text (safe HTML from the
// server; a long one folded: ./message-density.js), an image or file card, the recalled note, the
// actions (React and Pin with `reactions`, `pins`), the pending/failed line; day labels, previews.
//
//   const view = new MessageView({ state, text, reactions, onRetry(message, node) {} });
//   list.append(view.messageNode(message));          // stored: with its actions
//   list.append(view.messageNode(draft, 'pending')); // or 'failed', error: why, and Retry or Edit

import { markBlocked } from './blocked.js';
import { audioNode, formatDuration, isAudio } from './audio-view.js';
import { editedMark, forwardedNode, moreActions } from './message-marks.js';
import { foldToggle } from './message-density.js';
import { fill } from '../ui.js';

const THUMBNAIL_PX = 320; // the longer side of an image thumbnail (the server's size)
const PREVIEW_CHARS = 120; // as long as the server's previews in the conversation list

export class MessageView {
  // `state` is the page's ChatState, `text` its translated strings (from data-* attributes); of a
  // failed message shown as `node`, `onRetry(message, node)` resends it, `onEdit` takes it back.
  constructor({ state, text, onRetry, onEdit, reactions = null, pins = null }) {
    this.state = state;
    this.text = text;
    this.onRetry = onRetry;
    this.onEdit = onEdit;
    this.reactions = reactions;
    this.pins = pins;
    this.dayFormat = new Intl.DateTimeFormat(text.locale, { dateStyle: 'medium' });
    this.timeFormat = new Intl.DateTimeFormat(text.locale, { timeStyle: 'short' });
    this.fullFormat = new Intl.DateTimeFormat(text.locale, { dateStyle: 'full', timeStyle: 'short' });
  }

  dayLabel(date) {
    const today = new Date();
    const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
    if (date.toDateString() === today.toDateString()) return this.text.today;
    if (date.toDateString() === yesterday.toDateString()) return this.text.yesterday;
    return this.dayFormat.format(date);
  }

  // The <li> of `message` (as the API gives it, or a draft not stored yet, whose `state` is
  // 'pending' or 'failed', then with its `error`, an ApiError).
  messageNode(message, state, error = null) {
    const { text } = this;
    const mine = this.state.isMine(message);
    const li = document.createElement('li');
    li.className = 'message';
    if (mine) li.classList.add('mine');
    if (this.state.mentionsMe(message)) li.classList.add('mentions-me');
    if (message.id) li.dataset.messageId = message.id;
    if (message.client_id) li.dataset.clientId = message.client_id;
    const date = new Date(message.created_at);
    li.dataset.day = date.toDateString();
    const avatar = document.createElement('img');
    avatar.className = 'avatar avatar-md';
    avatar.alt = '';
    if (message.sender) avatar.src = message.sender.avatar_url;
    const main = document.createElement('div');
    main.className = 'message-main';
    const meta = document.createElement('div');
    meta.className = 'message-meta';
    const name = document.createElement('strong');
    name.textContent = message.sender ? message.sender.nickname : '—';
    const time = document.createElement('time');
    time.dateTime = message.created_at;
    time.textContent = this.timeFormat.format(date);
    time.title = this.fullFormat.format(date); // the only place a continued message shows its date
    meta.append(name, ' ', time, ...editedMark(message));
    main.append(meta);
    if (message.recalled) {
      li.classList.add('recalled');
      const note = document.createElement('p');
      note.className = 'message-text muted';
      note.textContent = mine ? text.recalledMine : fill(text.recalled, { name: name.textContent });
      main.append(note);
    } else {
      const forwarded = forwardedNode(message);
      if (forwarded) main.append(forwarded);
      if (message.reply_to) main.append(this.quoteNode(message.reply_to));
      if (message.attachment) main.append(this.attachmentNode(message.attachment));
      if (message.body || !message.attachment) {
        const body = document.createElement('div');
        body.className = 'message-text';
        if (message.html !== undefined) body.innerHTML = message.html; // rendered and escaped by the server
        else body.textContent = message.body;
        main.append(body, ...foldToggle(body, message, text));
      }
      if (message.id && !state && this.reactions) main.append(this.reactions.chips(message));
      if (message.id && !state) main.append(this.actionsNode(message));
    }
    if (state) main.append(this.statusLine(li, message, state, error));
    li.append(avatar, main);
    markBlocked(li, message, this.state, text); // a blocked person's, in a group: collapsed
    return li;
  }

  // The quote of a reply's original (`quote` as the API gives it): its sender and one line,
  // or that it was recalled. A button: clicking it jumps to the original (message-actions.js).
  quoteNode(quote) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'message-quote';
    button.dataset.quoteId = quote.id;
    button.title = this.text.showOriginal;
    const name = document.createElement('strong');
    name.textContent = quote.sender ? quote.sender.nickname : '—';
    const line = document.createElement('span');
    line.className = 'quote-snippet';
    this.showQuoteLine(line, quote);
    button.append(name, line);
    return button;
  }

  // The quote a reply to the stored `message` carries (the twin of payloads.quote_json), for
  // the composer's "Replying to" line and the reply's pending copy.
  quoteOf(message) {
    const words = (message.attachment ? message.attachment.name : message.body).split(/\s+/).filter(Boolean).join(' ');
    const snippet = words.length > PREVIEW_CHARS ? `${words.slice(0, PREVIEW_CHARS - 1).trimEnd()}…` : words;
    return { id: message.id, sender: message.sender, kind: message.kind, snippet, recalled: false };
  }

  // Write the one line of `quote` into `line`: its snippet after the kind's label for an image
  // or file (in this page's language), or that the original was recalled.
  showQuoteLine(line, quote) {
    line.classList.toggle('muted', quote.recalled);
    if (quote.recalled) line.textContent = this.text.quoteRecalled;
    else if (quote.kind === 'image') line.textContent = `${this.text.imagePreview} ${quote.snippet}`;
    else if (quote.kind === 'file') line.textContent = `${this.text.filePreview} ${quote.snippet}`;
    else if (quote.kind === 'voice') line.textContent = this.text.voicePreview;
    else line.textContent = quote.snippet;
  }

  attachmentNode(attachment) {
    if (isAudio(attachment)) return audioNode(attachment, this.text); // a voice message, or an audio file
    const link = document.createElement('a');
    link.href = attachment.url;
    if (attachment.kind === 'image' && attachment.thumbnail_url) {
      link.className = 'attachment-image';
      link.target = '_blank';
      link.rel = 'noopener';
      link.dataset.lightbox = attachment.url;
      const img = document.createElement('img');
      img.src = attachment.thumbnail_url;
      img.alt = attachment.name;
      img.loading = 'lazy';
      if (attachment.width && attachment.height) { // reserve the thumbnail's box: no jump on load
        const scale = Math.min(1, THUMBNAIL_PX / Math.max(attachment.width, attachment.height));
        img.width = Math.round(attachment.width * scale);
        img.height = Math.round(attachment.height * scale);
      }
      link.append(img);
      return link;
    }
    link.className = 'attachment-file';
    link.setAttribute('download', '');
    const icon = document.createElement('span');
    icon.className = 'file-icon';
    icon.setAttribute('aria-hidden', 'true');
    icon.textContent = '📎';
    const words = document.createElement('span');
    const name = document.createElement('strong');
    name.className = 'file-name';
    name.textContent = attachment.name;
    const details = document.createElement('span');
    details.className = 'muted file-details';
    details.textContent = `${formatSize(attachment.size)} · ${attachment.mime}`;
    words.append(name, details);
    link.append(icon, words);
    link.title = this.text.download;
    return link;
  }

  actionsNode(message) {
    const bar = document.createElement('div');
    bar.className = 'message-actions';
    const reply = smallButton(this.text.reply);
    reply.dataset.reply = '';
    bar.append(reply);
    const star = smallButton();
    star.dataset.favorite = '';
    bar.append(star);
    this.showFavorite(star, this.state.favorited.has(message.id));
    const age = Date.now() - new Date(message.created_at).getTime();
    if (this.state.isMine(message) && age < this.state.recallWindowMs) {
      const recall = smallButton(this.text.recall);
      recall.dataset.recall = '';
      bar.append(recall);
    }
    bar.append(...moreActions(message, this.state));
    if (this.reactions) bar.append(this.reactions.button());
    const pin = this.pins && this.pins.button(message);
    if (pin) bar.append(pin);
    return bar;
  }

  // Draw the ☆ button `star` as favorited (`on`) or not.
  showFavorite(star, on) {
    const label = on ? this.text.unfavorite : this.text.favorite;
    star.textContent = on ? '★' : '☆';
    star.setAttribute('aria-pressed', String(on));
    star.setAttribute('aria-label', label);
    star.title = label;
  }

  // The line the conversation list shows for `message`.
  previewOf(message) {
    const { text } = this;
    if (message.recalled) return text.recalledPreview;
    if (message.attachment && message.attachment.kind === 'image') {
      return `${text.imagePreview} ${message.body}`.trim().slice(0, PREVIEW_CHARS);
    }
    if (message.attachment && message.attachment.kind === 'voice') {
      return `${text.voicePreview} ${formatDuration(message.attachment.duration)}`;
    }
    if (message.attachment) return `${text.filePreview} ${message.attachment.name}`.slice(0, PREVIEW_CHARS);
    return message.body.slice(0, PREVIEW_CHARS);
  }

  // "Sending…", or "Not sent." with why and Retry (when sending again may succeed) or Edit.
  statusLine(li, message, state, error) {
    const p = document.createElement('p');
    p.className = 'message-status';
    p.textContent = state === 'pending' ? this.text.pending : this.text.failed;
    li.classList.add(state);
    if (state === 'failed') {
      if (error) p.append(' ', error.reason);
      const again = !error || error.retryable;
      const button = smallButton(again ? this.text.retry : this.text.editFailed);
      button.addEventListener('click', () => (again ? this.onRetry : this.onEdit)(message, li));
      p.append(' ', button);
    }
    return p;
  }
}

function smallButton(label = '') {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'btn btn-small btn-link';
  button.textContent = label;
  return button;
}

function formatSize(bytes) {
  const units = ['B', 'KB', 'MB', 'GB'];
  let size = bytes;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) { size /= 1024; unit += 1; }
  return `${unit ? size.toFixed(1) : size} ${units[unit]}`;
}
