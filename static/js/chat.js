// The chat page: conversation list, messages (live, history on scroll), composer with pending
// and retry, images and files (button, drop, paste; progress and cancel), favorites and
// recall, typing, presence, unread counts, and browser notifications when the tab is hidden.
import { api } from './api.js';
import { EventStream } from './stream.js';
import { filterList } from './ui.js';
import { createMessageView } from './message-view.js';
import { attachUploads } from './upload.js';

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
const { dayLabel, messageNode, previewOf, showFavorite } = createMessageView({
  me, text, favorited, recallWindow, onRetry: (message, node) => send(message.body, message.client_id, node),
});

// -- messages ------------------------------------------------------------------------------------
function setFavorited(messageId, on) {
  if (on) favorited.add(messageId); else favorited.delete(messageId);
  const star = messages && messages.querySelector(`[data-message-id="${messageId}"] [data-favorite]`);
  if (star) showFavorite(star, on);
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
  if (c.peer) li.dataset.peerId = c.peer.id;
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

// At most one presence request in flight, and one more after it however many frames came
// meanwhile (a group coming back online at once sends many).
let presenceLoading = false;
let presenceAgain = false;
async function refreshPresence() {
  if (presenceLoading) { presenceAgain = true; return; }
  presenceLoading = true;
  try {
    await loadPresence();
  } finally {
    presenceLoading = false;
    if (presenceAgain) { presenceAgain = false; refreshPresence(); }
  }
}

async function loadPresence() {
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

// Someone changed their nickname or picture: redraw what shows them.
function updatePerson(user) {
  let redrawn = false;
  for (const [id, message] of messageData) {
    if (!message.sender || message.sender.id !== user.id) continue;
    const updated = { ...message, sender: user };
    messageData.set(id, updated);
    const node = messages && messages.querySelector(`[data-message-id="${id}"]`);
    if (node) { node.replaceWith(messageNode(updated)); redrawn = true; }
  }
  if (redrawn) redrawDays();
  document.querySelectorAll(`[data-member-id="${user.id}"] [data-member-name]`).forEach((name) => {
    name.textContent = user.nickname;
  });
  // Direct conversations are named after, and show, the other person.
  conversationList.querySelectorAll(`[data-peer-id="${user.id}"]`).forEach((item) => {
    item.querySelector('.conversation-name').textContent = user.nickname;
    item.dataset.filter = user.nickname;
    const avatar = item.querySelector('img.avatar');
    if (avatar) avatar.src = user.avatar_url;
    if (Number(item.dataset.conversationId) === conversationId) {
      document.querySelector('[data-testid="conversation-name"]').textContent = user.nickname;
    }
  });
  if (user.id === me) {
    const name = document.querySelector('.account-name');
    const avatar = document.querySelector('.account .avatar');
    if (name) name.textContent = user.nickname;
    if (avatar) avatar.setAttribute('src', user.avatar_url);
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
  attachUploads({
    conversationId, limits, text, box, onSent: addLive,
    list: document.querySelector('[data-uploads]'),
    input: composer.querySelector('[data-attach-input]'),
    button: composer.querySelector('[data-attach]'),
    area: document.querySelector('.chat-main'),
    hint: document.querySelector('[data-drop-hint]'),
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
    } else if (type === 'user.updated') {
      updatePerson(data.user);
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
