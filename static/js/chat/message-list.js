// The open conversation's messages (#messages): the page's first messages, live ones, sends
// pending and failed, older history loaded on scrolling up, day separators, recalls (of
// messages and of the originals that replies quote), the ☆ marks, jumps to a quoted
// original, runs of one sender's messages, and the "New messages ↓" button when something
// arrives while reading further up.
//
//   const messages = new MessageList({ list, jump, state, view });
//   messages.showInitial(JSON.parse(initialJson));
//   messages.add(message);   // live or just stored: replaces its pending copy, once
//   messages.follow(() => reading.soon(), () => reading.away());
//   messages.jumpTo(quote.id); // scroll to and highlight it, or open the page at it

import { api } from '../api.js';
import { markRuns } from './message-density.js';

const FOLLOW_PX = 60; // this close to the bottom, the list follows new messages down
const LOAD_OLDER_PX = 40; // this close to the top, older history loads

export class MessageList {
  // `list` is the <ol> (null when no conversation is open: then nothing is drawn), `jump` the
  // "New messages" button, `state` the page's ChatState, `view` its MessageView.
  constructor({ list, jump, state, view }) {
    this.list = list;
    this.jump = jump;
    this.state = state;
    this.view = view;
    this.loadingOlder = false;
  }

  atBottom() {
    const { list } = this;
    return Boolean(list) && list.scrollHeight - list.scrollTop - list.clientHeight < FOLLOW_PX;
  }

  scrollToBottom() { this.list.scrollTop = this.list.scrollHeight; }

  node(messageId) { return this.list && this.list.querySelector(`[data-message-id="${messageId}"]`); }

  // The id of the newest stored message shown, or null.
  lastId() {
    const last = this.list && [...this.list.querySelectorAll('.message[data-message-id]')].pop();
    return last ? Number(last.dataset.messageId) : null;
  }

  // The messages the page came with, oldest first; scrolls to the one opened from favorites,
  // else to the bottom.
  showInitial(messages) {
    const { state } = this;
    for (const message of messages) {
      state.remember(message);
      if (message.favorited) state.favorited.add(message.id);
      (message.reacted || []).forEach((emoji) => state.setReacted(message.id, emoji, true));
      this.list.append(this.view.messageNode(message));
    }
    if (messages.length) state.oldestId = messages[0].id;
    state.noOlder = !state.focusId && messages.length < state.pageSize;
    this.redrawDays();
    const focused = state.focusId && this.node(state.focusId);
    if (focused) {
      focused.classList.add('focused');
      focused.scrollIntoView({ block: 'center' });
    } else {
      this.scrollToBottom();
    }
  }

  // Scrolling near the top loads older history; reaching the bottom hides the jump button and
  // calls `onBottom()`; scrolling away from it calls `onAway()`.
  follow(onBottom, onAway) {
    this.list.addEventListener('scroll', () => {
      if (this.list.scrollTop < LOAD_OLDER_PX) this.loadOlder();
      if (this.atBottom()) { this.jump.hidden = true; onBottom(); } else onAway();
    });
    this.jump.addEventListener('click', () => { this.scrollToBottom(); this.jump.hidden = true; });
  }

  // Show a stored `message` at the bottom, in place of its pending copy if there is one.
  add(message) {
    const { state } = this;
    if (!state.remember(message)) return;
    const follow = this.atBottom() || state.isMine(message);
    const pending = message.client_id && this.list.querySelector(`[data-client-id="${message.client_id}"]`);
    const node = this.view.messageNode(message);
    if (pending) pending.replaceWith(node); else this.list.append(node);
    this.redrawDays();
    if (follow) this.scrollToBottom(); else this.jump.hidden = false;
    if (state.oldestId === null) state.oldestId = message.id;
  }

  async loadOlder() {
    const { state, list } = this;
    if (this.loadingOlder || state.noOlder || state.oldestId === null) return;
    this.loadingOlder = true;
    try {
      const page = await api('GET',
        `/api/v1/conversations/${state.conversationId}/messages?before=${state.oldestId}&limit=${state.pageSize}`);
      const before = list.scrollHeight;
      page.favorited.forEach((id) => state.favorited.add(id));
      page.reacted.forEach(({ message_id: id, emoji }) => state.setReacted(id, emoji, true));
      for (const message of page.items) { // newest first: each goes on top
        if (!state.remember(message)) continue;
        list.prepend(this.view.messageNode(message));
        state.oldestId = message.id;
      }
      state.noOlder = page.next_before === null;
      this.redrawDays();
      list.scrollTop += list.scrollHeight - before; // keep what was in view in place
    } finally {
      this.loadingOlder = false;
    }
  }

  // Show `draft` (not stored yet) as pending at the bottom, or in place of `existing` (its
  // failed copy, retried). Returns its node.
  showPending(draft, existing) {
    const node = this.view.messageNode(draft, 'pending');
    if (existing) existing.replaceWith(node); else this.list.append(node);
    this.redrawDays();
    this.scrollToBottom();
    return node;
  }

  // Replace the pending `node` of `draft` by its failed copy, saying why (`error`, an ApiError).
  showFailed(draft, node, error) {
    node.replaceWith(this.view.messageNode(draft, 'failed', error));
    this.redrawDays();
  }

  // Scroll to message `messageId` and highlight it; one not on the page opens the page at it
  // with the messages around it (as a favorite opens its place: ?message=, routes.py).
  jumpTo(messageId) {
    const node = this.node(messageId);
    if (!node) {
      window.location.assign(`/chat/${this.state.conversationId}?message=${messageId}`);
      return;
    }
    this.list.querySelectorAll('.message.focused').forEach((other) => other.classList.remove('focused'));
    node.classList.add('focused');
    node.scrollIntoView({ block: 'center', behavior: 'smooth' });
  }

  showRecalled(messageId) {
    this.showQuotesRecalled(messageId);
    const node = this.node(messageId);
    const message = this.state.messages.get(messageId);
    if (!node || !message) return;
    const recalled = { ...message, recalled: true, body: '', html: '', attachment: null };
    this.state.update(recalled);
    node.replaceWith(this.view.messageNode(recalled));
    this.redrawDays();
  }

  // Message `messageId` was recalled: every reply shown that quotes it says so.
  showQuotesRecalled(messageId) {
    for (const [id, message] of this.state.messages) {
      if (!message.reply_to || message.reply_to.id !== messageId || message.reply_to.recalled) continue;
      const quote = { ...message.reply_to, recalled: true, snippet: '' };
      this.state.update({ ...message, reply_to: quote });
      const line = this.list && this.list.querySelector(`[data-message-id="${id}"] .message-quote .quote-snippet`);
      if (line) this.view.showQuoteLine(line, quote);
    }
  }

  showFavorited(messageId, on) {
    this.state.setFavorited(messageId, on);
    const star = this.list && this.list.querySelector(`[data-message-id="${messageId}"] [data-favorite]`);
    if (star) this.view.showFavorite(star, on);
  }

  // `user` (a user brief) changed their nickname or picture: redraw their messages.
  showSender(user) {
    let redrawn = false;
    for (const [id, message] of this.state.messages) {
      const sent = message.sender && message.sender.id === user.id;
      const quoted = message.reply_to && message.reply_to.sender && message.reply_to.sender.id === user.id;
      if (!sent && !quoted) continue;
      const updated = { ...message, sender: sent ? user : message.sender };
      if (quoted) updated.reply_to = { ...message.reply_to, sender: user };
      this.state.update(updated);
      const node = this.node(id);
      if (node) { node.replaceWith(this.view.messageNode(updated)); redrawn = true; }
    }
    if (redrawn) this.redrawDays();
  }

  // Draw the day separators, and mark which messages continue a run (one avatar and name for
  // a sender's messages close together: ./message-density.js). After any change to the list.
  redrawDays() {
    this.list.querySelectorAll('.day-separator').forEach((node) => node.remove());
    let previous = null;
    for (const li of this.list.querySelectorAll('.message')) {
      if (li.dataset.day !== previous) {
        const separator = document.createElement('li');
        separator.className = 'day-separator';
        separator.textContent = this.view.dayLabel(new Date(li.dataset.day));
        li.before(separator);
        previous = li.dataset.day;
      }
    }
    markRuns(this.list);
  }
}
