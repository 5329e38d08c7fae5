// The chat page: conversation list, messages (live, history on scroll), composer with pending
// and retry, images and files (button, drop, paste; progress and cancel), favorites and
// recall, typing, presence, unread counts, and browser notifications when the tab is hidden.
import { api } from './api.js';
import { EventStream } from './stream.js';
import { filterList } from './ui.js';
import { uploadAttachment } from './upload.js';

const root = document.getElementById('chat');
const me = Number(root.dataset.me);
const conversationId = Number(root.dataset.conversationId) || null;
const pageSize = Number(root.dataset.pageSize);
const focusId = Number(root.dataset.focus) || null;
const limits = JSON.parse(root.dataset.uploadLimits);
const recallWindow = Number(root.dataset.recallWindow) * 1000; // milliseconds
const text = document.getElementById('chat-messages').dataset;
const messages = document.getElementById('messages');
const conversationList = document.getElementById('conversation-list');
const shown = new Set(); // ids of the messages on the page: replays and echoes are dropped
const favorited = new Set(); // ids of shown messages this person has favorited
const baseTitle = document.title;
let oldestId = null;
let noOlder = false;
let loadingOlder = false;
let readTimer = null;

const dayFormat = new Intl.DateTimeFormat(text.locale, { dateStyle: 'medium' });
const timeFormat = new Intl.DateTimeFormat(text.locale, { timeStyle: 'short' });

// -- messages ------------------------------------------------------------------------------------
function dayLabel(date) {
  const today = new Date();
  const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
  if (date.toDateString() === today.toDateString()) return text.today;
  if (date.toDateString() === yesterday.toDateString()) return text.yesterday;
  return dayFormat.format(date);
}

function messageNode(message, state) {
  const li = document.createElement('li');
  li.className = 'message';
  if (message.sender && message.sender.id === me) li.classList.add('mine');
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
  time.textContent = timeFormat.format(date);
  meta.append(name, ' ', time);
  main.append(meta);
  if (message.recalled) {
    li.classList.add('recalled');
    const note = document.createElement('p');
    note.className = 'message-text muted';
    const mine = message.sender && message.sender.id === me;
    note.textContent = mine ? text.recalledMine : text.recalled.replace('{name}', name.textContent);
    main.append(note);
  } else {
    if (message.attachment) main.append(attachmentNode(message.attachment));
    if (message.body || !message.attachment) {
      const body = document.createElement('div');
      body.className = 'message-text';
      if (message.html !== undefined) body.innerHTML = message.html; // rendered and escaped by the server
      else body.textContent = message.body;
      main.append(body);
    }
    if (message.id && !state) main.append(actionsNode(message));
  }
  if (state) main.append(statusLine(li, message, state));
  li.append(avatar, main);
  return li;
}

function formatSize(bytes) {
  const units = ['B', 'KB', 'MB', 'GB'];
  let size = bytes;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) { size /= 1024; unit += 1; }
  return `${unit ? size.toFixed(1) : size} ${units[unit]}`;
}

function attachmentNode(attachment) {
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
      const scale = Math.min(1, 320 / Math.max(attachment.width, attachment.height));
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
  link.title = text.download;
  return link;
}

function actionsNode(message) {
  const bar = document.createElement('div');
  bar.className = 'message-actions';
  const star = document.createElement('button');
  star.type = 'button';
  star.className = 'btn btn-small btn-link';
  star.dataset.favorite = '';
  bar.append(star);
  showFavorite(star, favorited.has(message.id));
  const mine = message.sender && message.sender.id === me;
  if (mine && Date.now() - new Date(message.created_at).getTime() < recallWindow) {
    const recall = document.createElement('button');
    recall.type = 'button';
    recall.className = 'btn btn-small btn-link';
    recall.dataset.recall = '';
    recall.textContent = text.recall;
    bar.append(recall);
  }
  return bar;
}

function showFavorite(star, on) {
  star.textContent = on ? '★' : '☆';
  star.setAttribute('aria-pressed', String(on));
  star.setAttribute('aria-label', on ? text.unfavorite : text.favorite);
  star.title = on ? text.unfavorite : text.favorite;
}

function setFavorited(messageId, on) {
  if (on) favorited.add(messageId); else favorited.delete(messageId);
  const star = messages && messages.querySelector(`[data-message-id="${messageId}"] [data-favorite]`);
  if (star) showFavorite(star, on);
}

function previewOf(message) {
  if (message.recalled) return text.recalledPreview;
  if (message.attachment && message.attachment.kind === 'image') return `${text.imagePreview} ${message.body}`.trim().slice(0, 120);
  if (message.attachment) return `${text.filePreview} ${message.attachment.name}`.slice(0, 120);
  return message.body.slice(0, 120);
}

function statusLine(li, message, state) {
  const p = document.createElement('p');
  p.className = 'message-status';
  p.textContent = state === 'pending' ? text.pending : text.failed;
  li.classList.add(state);
  if (state === 'failed') {
    const retry = document.createElement('button');
    retry.type = 'button';
    retry.className = 'btn btn-small btn-link';
    retry.textContent = text.retry;
    retry.addEventListener('click', () => send(message.body, message.client_id, li));
    p.append(' ', retry);
  }
  return p;
}

function redrawDays() {
  messages.querySelectorAll('.day-separator').forEach((node) => node.remove());
  let previous = null;
  for (const li of messages.querySelectorAll('.message')) {
    if (li.dataset.day !== previous) {
      const separator = document.createElement('li');
      separator.className = 'day-separator';
      separator.textContent = dayLabel(new Date(li.dataset.day));
      li.before(separator);
      previous = li.dataset.day;
    }
  }
}

function atBottom() {
  return Boolean(messages) && messages.scrollHeight - messages.scrollTop - messages.clientHeight < 60;
}

function scrollToBottom() { messages.scrollTop = messages.scrollHeight; }

const messageData = new Map(); // id -> the message as shown, to redraw it when recalled

function addLive(message) {
  if (shown.has(message.id)) return;
  shown.add(message.id);
  messageData.set(message.id, message);
  const follow = atBottom() || (message.sender && message.sender.id === me);
  const pending = message.client_id && messages.querySelector(`[data-client-id="${message.client_id}"]`);
  const node = messageNode(message);
  if (pending) pending.replaceWith(node); else messages.append(node);
  redrawDays();
  if (follow) scrollToBottom(); else document.querySelector('[data-jump]').hidden = false;
  if (oldestId === null) oldestId = message.id;
}

async function loadOlder() {
  if (loadingOlder || noOlder || oldestId === null) return;
  loadingOlder = true;
  try {
    const page = await api('GET', `/api/v1/conversations/${conversationId}/messages?before=${oldestId}&limit=${pageSize}`);
    const before = messages.scrollHeight;
    page.favorited.forEach((id) => favorited.add(id));
    for (const message of page.items) { // newest first: each goes on top
      if (shown.has(message.id)) continue;
      shown.add(message.id);
      messageData.set(message.id, message);
      messages.prepend(messageNode(message));
      oldestId = message.id;
    }
    noOlder = page.next_before === null;
    redrawDays();
    messages.scrollTop += messages.scrollHeight - before;
  } finally {
    loadingOlder = false;
  }
}

// -- sending ---------------------------------------------------------------------------------------
// A message shows at once as pending; the POSTs go one after another, so messages are stored
// in the order they were typed. A failed one offers a retry with the same client id.
let sendQueue = Promise.resolve();

function send(body, clientId, existing) {
  const draft = { body, client_id: clientId, created_at: new Date().toISOString(),
    sender: { id: me, nickname: document.querySelector('.account-name').textContent,
      avatar_url: document.querySelector('.account .avatar').getAttribute('src') } };
  const node = messageNode(draft, 'pending');
  if (existing) existing.replaceWith(node); else messages.append(node);
  redrawDays();
  scrollToBottom();
  sendQueue = sendQueue.then(() => post(draft, node));
}

async function post(draft, node) {
  try {
    const message = await api('POST', `/api/v1/conversations/${conversationId}/messages`,
      { body: draft.body, client_id: draft.client_id });
    if (!shown.has(message.id)) addLive(message);
    else node.remove(); // the live event came first
  } catch (error) {
    const failed = messageNode(draft, 'failed');
    failed.title = error.message;
    node.replaceWith(failed);
  }
}

// -- the conversation list and unread counts ----------------------------------------------------
function conversationItem(id) { return conversationList.querySelector(`[data-conversation-id="${id}"]`); }

function setUnread(id, count) {
  const item = conversationItem(id);
  if (!item) return;
  item.dataset.unread = count;
  const badge = item.querySelector('[data-unread-badge]');
  badge.textContent = count;
  badge.hidden = !count;
  showTotal();
}

function showTotal() {
  let total = 0;
  conversationList.querySelectorAll('[data-conversation-id]').forEach((item) => { total += Number(item.dataset.unread) || 0; });
  document.title = total ? `(${total}) ${baseTitle}` : baseTitle;
  const nav = document.querySelector('[data-total-unread]');
  if (nav) { nav.textContent = total; nav.hidden = !total; }
}

async function refreshConversations() {
  const { items } = await api('GET', '/api/v1/conversations');
  const known = new Set(items.map((c) => c.id));
  conversationList.querySelectorAll('[data-conversation-id]').forEach((item) => {
    if (!known.has(Number(item.dataset.conversationId))) item.remove();
  });
  if (conversationId && !known.has(conversationId)) {
    const composer = document.getElementById('composer');
    if (composer) composer.querySelectorAll('textarea, button').forEach((el) => { el.disabled = true; });
  }
  for (const c of items) { // in the server's order: newest activity first
    const item = conversationItem(c.id) || conversationNode(c);
    conversationList.append(item);
    item.querySelector('.conversation-name').textContent = c.name || '';
    item.dataset.filter = c.name || '';
    if (c.last_message) item.querySelector('[data-preview]').textContent = c.last_message.preview;
    setUnread(c.id, c.unread);
  }
  if (conversationId) {
    const mine = items.find((c) => c.id === conversationId);
    if (mine) document.querySelector('[data-testid="conversation-name"]').textContent = mine.name;
  }
}

// The same markup as the page's own list items (templates/chat/index.html).
function conversationNode(c) {
  const li = document.createElement('li');
  li.dataset.conversationId = c.id;
  li.dataset.filter = c.name || '';
  li.dataset.unread = c.unread;
  const link = document.createElement('a');
  link.href = `/chat/${c.id}`;
  let avatar;
  if (c.peer) {
    avatar = document.createElement('img');
    avatar.src = c.peer.avatar_url;
    avatar.alt = '';
  } else {
    avatar = document.createElement('span');
    avatar.className = 'group-icon';
    avatar.setAttribute('aria-hidden', 'true');
    avatar.textContent = (c.name || '#').slice(0, 1);
  }
  avatar.classList.add('avatar', 'avatar-md');
  const words = document.createElement('span');
  words.className = 'conversation-text';
  const name = document.createElement('strong');
  name.className = 'conversation-name';
  const preview = document.createElement('span');
  preview.className = 'conversation-preview muted';
  preview.dataset.preview = '';
  words.append(name, preview);
  const badge = document.createElement('span');
  badge.className = 'badge unread-badge';
  badge.dataset.unreadBadge = '';
  link.append(avatar, words, badge);
  li.append(link);
  return li;
}

function noteMessage(message) {
  const item = conversationItem(message.conversation_id);
  if (!item) { refreshConversations(); return; }
  item.querySelector('[data-preview]').textContent = previewOf(message);
  conversationList.prepend(item);
  const fromOther = !message.sender || message.sender.id !== me;
  const reading = message.conversation_id === conversationId && !document.hidden && atBottom();
  if (fromOther && !reading) setUnread(message.conversation_id, (Number(item.dataset.unread) || 0) + 1);
  if (fromOther && document.hidden) notify(message);
  if (reading) markReadSoon();
}

function markReadSoon() {
  if (!conversationId) return;
  window.clearTimeout(readTimer);
  readTimer = window.setTimeout(async () => {
    const last = [...messages.querySelectorAll('.message[data-message-id]')].pop();
    if (!last || document.hidden) return;
    const state = await api('POST', `/api/v1/conversations/${conversationId}/read`, { message_id: Number(last.dataset.messageId) });
    setUnread(conversationId, state.unread);
  }, 300);
}

function notify(message) {
  if (!('Notification' in window) || Notification.permission !== 'granted') return;
  const name = message.sender ? message.sender.nickname : '';
  const note = new Notification(text.newMessage.replace('{name}', name), { body: previewOf(message), tag: `c${message.conversation_id}` });
  note.onclick = () => { window.focus(); window.location.assign(`/chat/${message.conversation_id}`); };
}

// -- favorites, recall and the image viewer -------------------------------------------------
function showRecalled(messageId) {
  const node = messages && messages.querySelector(`[data-message-id="${messageId}"]`);
  const message = messageData.get(messageId);
  if (!node || !message) return;
  const recalled = { ...message, recalled: true, body: '', html: '', attachment: null };
  messageData.set(messageId, recalled);
  node.replaceWith(messageNode(recalled));
  redrawDays();
}

async function onMessageAction(event) {
  const button = event.target.closest('[data-favorite], [data-recall]');
  if (!button) {
    const image = event.target.closest('[data-lightbox]');
    if (image) { event.preventDefault(); openLightbox(image.dataset.lightbox, image.querySelector('img').alt); }
    return;
  }
  const id = Number(button.closest('[data-message-id]').dataset.messageId);
  button.disabled = true;
  try {
    if (button.dataset.recall !== undefined) {
      if (!window.confirm(text.recallConfirm)) return;
      await api('POST', `/api/v1/messages/${id}/recall`);
      showRecalled(id);
    } else if (favorited.has(id)) {
      await api('DELETE', `/api/v1/messages/${id}/favorite`);
      setFavorited(id, false);
    } else {
      await api('POST', '/api/v1/favorites', { message_id: id });
      setFavorited(id, true);
    }
  } catch (error) {
    button.title = error.message;
    window.alert(error.message);
  } finally {
    button.disabled = false;
  }
}

const lightbox = document.getElementById('lightbox');
function openLightbox(url, name) {
  lightbox.querySelector('[data-lightbox-image]').src = url;
  lightbox.querySelector('[data-lightbox-image]').alt = name;
  lightbox.querySelector('[data-lightbox-open]').href = url;
  const download = lightbox.querySelector('[data-lightbox-download]');
  download.href = `${url}?download=1`;
  lightbox.showModal();
}
lightbox.addEventListener('click', (event) => { if (event.target === lightbox) lightbox.close(); });

// -- images and files ------------------------------------------------------------------------------
// Each file is its own message, uploaded at once with a progress bar and a Cancel button. The
// composer's text, if any, becomes the caption of the first file. A failed upload keeps its
// row with the reason and a Retry that reuses its client id, so a retry never doubles it.
const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];
const uploads = document.querySelector('[data-uploads]');

function tooLarge(file) {
  const limit = IMAGE_TYPES.includes(file.type) ? limits.image : limits.file;
  return file.size > limit;
}

function sendFiles(files) {
  const box = document.getElementById('composer-text');
  let caption = box.value.trim();
  if (caption) box.value = '';
  for (const file of files) {
    sendFile(file, caption, crypto.randomUUID());
    caption = '';
  }
}

function sendFile(file, caption, clientId, row = document.createElement('li')) {
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
  if (!row.isConnected) uploads.append(row);
  if (tooLarge(file)) {
    const mb = (n) => Math.round(n / 1048576);
    failUpload(row, text.tooLarge.replace('{name}', file.name).replace('{image}', mb(limits.image)).replace('{file}', mb(limits.file)));
    return;
  }
  label.textContent = text.uploading.replace('{name}', file.name || 'image.png');
  row.append(label, progress, cancel);
  const upload = uploadAttachment(conversationId, file, { clientId, caption, onProgress(fraction) { progress.value = fraction; } });
  cancel.addEventListener('click', () => upload.cancel());
  upload.done.then((message) => {
    row.remove();
    addLive(message);
  }, (error) => {
    if (error.status === -1) { row.remove(); return; }
    failUpload(row, text.uploadFailed.replace('{name}', file.name).replace('{reason}', error.message),
      error.status === 0 || error.status >= 500 || error.status === 429 ? () => sendFile(file, caption, clientId, row) : null);
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

// -- typing and presence ---------------------------------------------------------------------------
let typingTimer = null;
let lastTypingSent = 0;

function showTyping(data) {
  if (data.conversation_id !== conversationId) return;
  const line = document.querySelector('[data-typing]');
  line.textContent = text.typingOne.replace('{name}', data.user.nickname);
  window.clearTimeout(typingTimer);
  typingTimer = window.setTimeout(() => { line.textContent = ''; }, 4000);
}

async function refreshPresence() {
  const counter = document.querySelector('[data-online-count]');
  const peer = document.querySelector('[data-peer-presence]');
  if ((!counter && !peer) || !conversationId) return;
  const state = await api('GET', `/api/v1/conversations/${conversationId}/presence`);
  const online = new Set([...state.online, me]); // this page is open: I am online
  if (counter) {
    counter.textContent = text.online.replace('{n}', online.size);
    document.querySelectorAll('[data-member-id]').forEach((li) => {
      li.classList.toggle('online', online.has(Number(li.dataset.memberId)));
    });
  }
  if (peer) {
    const isOnline = online.has(Number(peer.dataset.peerId));
    peer.textContent = isOnline ? text.peerOnline : text.peerOffline;
    peer.classList.toggle('online', isOnline);
  }
}

// -- wiring ----------------------------------------------------------------------------------------
if (messages) {
  const initial = JSON.parse(document.getElementById('initial-messages').dataset.json);
  for (const message of initial) {
    shown.add(message.id);
    messageData.set(message.id, message);
    if (message.favorited) favorited.add(message.id);
    messages.append(messageNode(message));
  }
  if (initial.length) oldestId = initial[0].id;
  noOlder = !focusId && initial.length < pageSize;
  redrawDays();
  const focused = focusId && messages.querySelector(`[data-message-id="${focusId}"]`);
  if (focused) {
    focused.classList.add('focused');
    focused.scrollIntoView({ block: 'center' });
  } else {
    scrollToBottom();
  }
  markReadSoon();
  messages.addEventListener('scroll', () => {
    if (messages.scrollTop < 40) loadOlder();
    if (atBottom()) { document.querySelector('[data-jump]').hidden = true; markReadSoon(); }
  });
  const jump = document.querySelector('[data-jump]');
  jump.addEventListener('click', () => { scrollToBottom(); jump.hidden = true; });
  messages.addEventListener('click', onMessageAction);
}
showTotal();

const filter = document.getElementById('conversation-filter');
if (filter) filterList(filter, conversationList);
document.addEventListener('visibilitychange', () => { if (!document.hidden && atBottom()) markReadSoon(); });

const composer = document.getElementById('composer');
if (composer) {
  const box = composer.elements.body;
  composer.addEventListener('submit', (event) => {
    event.preventDefault();
    const body = box.value;
    if (!body.trim()) return;
    box.value = '';
    send(body, crypto.randomUUID(), null);
  });
  box.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });
  box.addEventListener('input', () => {
    if (Date.now() - lastTypingSent > 3000 && box.value.trim()) {
      lastTypingSent = Date.now();
      api('POST', `/api/v1/conversations/${conversationId}/typing`).catch(() => {});
    }
  });
  const input = composer.querySelector('[data-attach-input]');
  composer.querySelector('[data-attach]').addEventListener('click', () => input.click());
  input.addEventListener('change', () => { sendFiles([...input.files]); input.value = ''; });
  box.addEventListener('paste', (event) => {
    const files = [...(event.clipboardData ? event.clipboardData.files : [])];
    if (files.length) { event.preventDefault(); sendFiles(files); }
  });
  const area = document.querySelector('.chat-main');
  const hint = document.querySelector('[data-drop-hint]');
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
  const picker = document.getElementById('emoji-picker');
  const toggle = composer.querySelector('[data-emoji-toggle]');
  toggle.addEventListener('click', () => {
    picker.hidden = !picker.hidden;
    toggle.setAttribute('aria-expanded', String(!picker.hidden));
  });
  picker.addEventListener('click', (event) => {
    const button = event.target.closest('[data-emoji]');
    if (!button) return;
    const start = box.selectionStart;
    box.setRangeText(button.dataset.emoji, start, box.selectionEnd, 'end');
    box.focus();
  });
}

const notifyButton = document.querySelector('[data-enable-notifications]');
if (notifyButton && 'Notification' in window && Notification.permission === 'default') {
  notifyButton.hidden = false;
  notifyButton.addEventListener('click', () => Notification.requestPermission().then(() => { notifyButton.hidden = true; }));
}

const connection = document.querySelector('[data-connection]');
const settings = JSON.parse(root.dataset.stream);
const stream = new EventStream({
  cursor: root.dataset.cursor,
  heartbeat: settings.heartbeat,
  pollTimeout: settings.pollTimeout,
  forcePoll: settings.forcePoll || new URLSearchParams(window.location.search).has('poll'),
  onStatus(mode) {
    if (connection) { connection.textContent = text[mode] || ''; connection.dataset.mode = mode; }
  },
  onEvent(event) {
    const { type, data } = event;
    if (type === 'message.created') {
      if (data.message.conversation_id === conversationId) addLive(data.message);
      noteMessage(data.message);
    } else if (type === 'message.recalled') {
      showRecalled(data.message_id);
      refreshConversations();
    } else if (type === 'favorite.created') {
      setFavorited(data.favorite.message_id, true);
    } else if (type === 'favorite.deleted') {
      setFavorited(data.message_id, false);
    } else if (type === 'read.updated') {
      setUnread(data.conversation_id, data.unread);
    } else if (type.startsWith('group.') || type === 'friend_request.accepted' || type === 'friend.removed') {
      refreshConversations();
      if (type.startsWith('group.member') || type === 'group.created') refreshPresence();
    }
  },
  onEphemeral(type, data) {
    if (type === 'typing') showTyping(data);
    if (type === 'presence') refreshPresence();
  },
  onReset() { window.location.reload(); },
});
stream.start();
refreshPresence();
