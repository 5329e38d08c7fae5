// The chat page: the conversation list, the open conversation's messages (live, history on
// scroll), the composer, presence and typing, unread counts, and browser notifications while
// the tab is hidden. This module only builds the parts (./chat/) and wires them together:
//
//   state.js              what the page knows: settings, messages shown, favorites, history
//   message-view.js       one message's markup
//   message-list.js       the open conversation's messages
//   message-density.js    runs of one sender's messages, long texts folded, actions on a long press
//   conversation-list.js  the conversation list, unread counts, the open conversation's name
//   composer.js, upload.js  sending text, emoji and files, replies
//   voice.js, audio-view.js  recording and sending voice messages; sound played inline
//   mentions.js           the composer's "@" suggestions and whom a message mentions
//   message-actions.js    reply, jump to a quoted original, favorite, recall, the image lightbox
//   message-marks.js, message-editing.js, forwarding.js  "(edited)", "Forwarded from", edit,
//                         delete for me, forward
//   reactions.js, pins.js  reaction chips and the React picker; the pinned bar, Pin and Unpin
//   presence.js, reading.js, notify.js  who is online or typing; marking read; notifications
//   receipts.js           "Read" and "Read by N of M" under one's own messages, and who read
//   controls.js, blocked.js  mute and block in the header; blocked people's messages collapsed
//   drafts.js             (composer.js) what was typed and not sent, per conversation
//   panes.js              on a phone: the page fits the screen above the on-screen keyboard
//   handlers.js           what each stream event does
//   ../online-notice.js   "<friend> is online"
import { OnlineNotices } from './online-notice.js';
import { EventStream } from './stream.js';
import { filterList } from './ui.js';
import { wireBlockedReveal } from './chat/blocked.js';
import { Composer } from './chat/composer.js';
import { Controls } from './chat/controls.js';
import { ConversationList } from './chat/conversation-list.js';
import { Forwarder } from './chat/forwarding.js';
import { eventHandlers } from './chat/handlers.js';
import { Lightbox, wireMessageActions } from './chat/message-actions.js';
import { wireDensity } from './chat/message-density.js';
import { wireEditing } from './chat/message-editing.js';
import { MessageList } from './chat/message-list.js';
import { MentionPicker } from './chat/mentions.js';
import { MessageView } from './chat/message-view.js';
import { offerNotifications } from './chat/notify.js';
import { fitToScreen } from './chat/panes.js';
import { PinnedBar } from './chat/pins.js';
import { Presence } from './chat/presence.js';
import { Reactions } from './chat/reactions.js';
import { ReadMarker } from './chat/reading.js';
import { Receipts } from './chat/receipts.js';
import { ChatState } from './chat/state.js';
import { VoiceRecorder } from './chat/voice.js';

const root = document.getElementById('chat');
const state = new ChatState(root);
const text = { // the page's translated strings
  ...document.getElementById('chat-messages').dataset, ...document.getElementById('chat-actions-text').dataset,
};
const form = document.getElementById('composer'); // null when no conversation is open
let composer = null;
let voice = null;

const reactions = new Reactions({
  state, text, list: document.getElementById('messages'), picker: document.getElementById('reaction-picker'),
});
const view = new MessageView({
  reactions,
  state, text, onRetry: (message, node) => composer.send(message.body, message.client_id, node, message.reply_to,
    message.mentioned),
  onEdit: (message, node) => composer.editFailed(message, node),
});
const messages = new MessageList({
  list: document.getElementById('messages'), jump: document.querySelector('[data-jump]'), state, view,
});
const pins = new PinnedBar({
  bar: document.querySelector('[data-pinned]'), template: document.getElementById('pin-item'), list: messages.list,
  state, text, view, messages,
});
view.pins = pins;
const conversations = new ConversationList({
  list: document.getElementById('conversation-list'),
  rows: { direct: document.getElementById('conversation-row-direct'),
    group: document.getElementById('conversation-row-group') },
  heading: document.querySelector('[data-conversation-title]'),
  state,
  mark: text.mentionMark,
  onClosed: () => { if (composer) composer.close(); if (voice) voice.close(); presence.close(); },
});
// This page's id for its event stream, by which it tells the server which conversation it views.
const tab = Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0')).join('');
const reading = new ReadMarker({
  state, messages, tab, onUnread: (count) => conversations.setUnread(state.conversationId, count),
});
const presence = new Presence({ state, text });
const notices = new OnlineNotices(document.getElementById('online-notices'), { quiet: (id) => state.blocked.has(id) });
const receipts = new Receipts({ state, messages, text, kind: root.dataset.conversationKind });
const lightbox = new Lightbox(document.getElementById('lightbox'));
const controls = new Controls({ state, text, conversations, messages });
controls.wire();

if (messages.list) {
  messages.showInitial(JSON.parse(document.getElementById('initial-messages').dataset.json));
  reading.soon();
  messages.follow(() => reading.soon(), () => reading.away());
  receipts.start();
  wireBlockedReveal(messages.list, text);
  wireDensity(messages.list);
  reactions.wire();
  pins.wire();
  wireMessageActions({ messages, state, text, lightbox, onReply: (message) => { if (composer) composer.startReply(message); } });
  wireEditing({ messages, state });
  new Forwarder({ messages, state, bar: document.querySelector('[data-forward-bar]'),
    dialog: document.getElementById('forward-dialog'), conversationList: conversations.list }).wire();
}
conversations.showTotal();
fitToScreen(messages.list);
const filter = document.getElementById('conversation-filter');
if (filter) filterList(filter, conversations.list);
document.addEventListener('visibilitychange', () => {
  if (document.hidden) { reading.away(); return; }
  // What this person read meanwhile on another page that viewed a conversation reached no
  // event here (realtime/viewing.py): take the unread counts afresh.
  conversations.refresh().catch(() => {}); // offline: the next event or visit brings them
  if (messages.atBottom()) reading.soon();
});
if (form) {
  const picker = new MentionPicker({
    box: form.elements.body, list: document.getElementById('mention-suggestions'), people: state.mentionable,
    canMentionAll: state.canMentionAll, text,
  });
  composer = new Composer({ form, state, text, messages, replyBar: document.querySelector('[data-reply-bar]'), picker });
  composer.wire();
  voice = new VoiceRecorder({
    conversationId: state.conversationId, text, button: form.querySelector('[data-voice]'),
    bar: document.querySelector('[data-voice-bar]'), list: document.querySelector('[data-uploads]'),
    onSent: (message) => messages.add(message),
    takeReply: () => { const quote = composer.takeQuote(); return quote && quote.id; },
  });
  voice.wire();
}
offerNotifications(document.querySelector('[data-enable-notifications]'));

const connection = document.querySelector('[data-connection]');
const stream = new EventStream({
  cursor: state.cursor,
  heartbeat: state.stream.heartbeat,
  pollTimeout: state.stream.pollTimeout,
  forcePoll: state.stream.forcePoll || new URLSearchParams(window.location.search).has('poll'),
  tab,
  viewing: () => reading.viewed(),
  onStatus(mode) {
    if (connection) { connection.textContent = text[mode] || ''; connection.dataset.mode = mode; }
    reading.streamIs(mode);
  },
  ...eventHandlers({ state, text, view, messages, conversations, presence, reading, receipts, controls, reactions,
    pins, notices }),
  onReset() { window.location.reload(); },
});
stream.start();
presence.refresh();
