// Who is around in the open conversation: "Bob is typing…" for a few seconds after their
// ping; who of the members is online (a group's count and dots, the other person's line in
// a direct conversation); members' names as they change them.
//
//   const presence = new Presence({ state, text });
//   presence.showTyping(data); // an ephemeral `typing` frame: {conversation_id, user}
//   presence.endTyping(userId); // their message arrived
//   presence.refresh();        // after a `presence` frame, or when the members change
//   presence.close();          // this person left the open conversation: stop asking

import { api } from '../api.js';
import { fill } from '../ui.js';

const TYPING_SHOWN_MS = 4000; // a typing ping comes every 3 s while they type: then it fades

export class Presence {
  // `state` is the page's ChatState, `text` its translated strings (a dataset).
  constructor({ state, text }) {
    this.state = state;
    this.text = text;
    this.typingLine = document.querySelector('[data-typing]');
    this.counter = document.querySelector('[data-online-count]'); // a group's
    this.peer = document.querySelector('[data-peer-presence]'); // a direct conversation's
    this.typingTimer = null;
    this.typist = null; // the id of the person "is typing…" names
    this.loading = false;
    this.loadAgain = false;
    this.closed = false;
  }

  showTyping(data) {
    if (data.conversation_id !== this.state.conversationId) return;
    this.typingLine.textContent = fill(this.text.typingOne, { name: data.user.nickname });
    this.typist = data.user.id;
    window.clearTimeout(this.typingTimer);
    this.typingTimer = window.setTimeout(() => this.endTyping(data.user.id), TYPING_SHOWN_MS);
  }

  // A message of `userId` arrived in the open conversation (or their last ping faded): what
  // they typed has landed, so they are no longer shown typing.
  endTyping(userId) {
    if (this.typist !== userId) return;
    window.clearTimeout(this.typingTimer);
    this.typingLine.textContent = '';
    this.typist = null;
  }

  // At most one presence request in flight, and one more after it however many frames came
  // meanwhile (a group coming back online at once sends many).
  async refresh() {
    if (this.loading) { this.loadAgain = true; return; }
    this.loading = true;
    try {
      await this.load();
    } catch (err) {
      // Offline, or the conversation is gone: the next frame or membership change asks again.
    } finally {
      this.loading = false;
      if (this.loadAgain) { this.loadAgain = false; this.refresh(); }
    }
  }

  async load() {
    const { counter, peer, state, text } = this;
    if ((!counter && !peer) || !state.conversationId || this.closed) return;
    const answer = await api('GET', `/api/v1/conversations/${state.conversationId}/presence`);
    const online = new Set([...answer.online, state.me]); // this page is open: I am online
    if (counter) {
      counter.textContent = fill(text.online, { n: online.size });
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

  // The open conversation is no longer this person's (left, removed, dissolved, unfriended):
  // its presence would be refused, so it is not asked for again.
  close() { this.closed = true; }

  // `user` (a user brief) changed their nickname: rename them in the members list.
  showMember(user) {
    document.querySelectorAll(`[data-member-id="${user.id}"] [data-member-name]`).forEach((name) => {
      name.textContent = user.nickname;
    });
  }
}
