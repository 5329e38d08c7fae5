// The chat page: conversation list, messages (live, history on scroll), composer with pending
// and retry, typing, presence, unread counts, and browser notifications when the tab is hidden.
import { api } from './api.js';
import { EventStream } from './stream.js';
import { filterList } from './ui.js';

const root = document.getElementById('chat');
const me = Number(root.dataset.me);
const conversationId = Number(root.dataset.conversationId) || null;
const pageSize = Number(root.dataset.pageSize);
const text = document.getElementById('chat-messages').dataset;
const messages = document.getElementById('messages');
const conversationList = document.getElementById('conversation-list');
const shown = new Set(); // ids of the messages on the page: replays and echoes are dropped
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
  const body = document.createElement('div');
  body.className = 'message-text';
  if (message.html !== undefined) body.innerHTML = message.html; // rendered and escaped by the server
  else body.textContent = message.body;
  main.append(meta, body);
  if (state) main.append(statusLine(li, message, state));
  li.append(avatar, main);
  return li;
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

function addLive(message) {
  if (shown.has(message.id)) return;
  shown.add(message.id);
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
    for (const message of page.items) { // newest first: each goes on top
      if (shown.has(message.id)) continue;
      shown.add(message.id);
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
  item.querySelector('[data-preview]').textContent = message.body.slice(0, 120);
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
  const note = new Notification(text.newMessage.replace('{name}', name), { body: message.body.slice(0, 140), tag: `c${message.conversation_id}` });
  note.onclick = () => { window.focus(); window.location.assign(`/chat/${message.conversation_id}`); };
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
    messages.append(messageNode(message));
  }
  if (initial.length) oldestId = initial[0].id;
  noOlder = initial.length < pageSize;
  redrawDays();
  scrollToBottom();
  markReadSoon();
  messages.addEventListener('scroll', () => {
    if (messages.scrollTop < 40) loadOlder();
    if (atBottom()) { document.querySelector('[data-jump]').hidden = true; markReadSoon(); }
  });
  const jump = document.querySelector('[data-jump]');
  jump.addEventListener('click', () => { scrollToBottom(); jump.hidden = true; });
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
