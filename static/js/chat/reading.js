// Marking the open conversation read up to its newest message: a moment after that message
// is in view with the tab visible, so a burst of messages makes one request, not one each.
//
//   const reading = new ReadMarker({ state, messages, onUnread(count) {} });
//   reading.soon(); // at the bottom, back to the tab, a message arrived while reading

import { api } from '../api.js';

const READ_DELAY_MS = 300;

export class ReadMarker {
  // `state` is the page's ChatState, `messages` its MessageList; `onUnread(count)` gets the
  // conversation's unread count the server answers with.
  constructor({ state, messages, onUnread }) {
    this.state = state;
    this.messages = messages;
    this.onUnread = onUnread;
    this.timer = null;
  }

  soon() {
    const { conversationId } = this.state;
    if (!conversationId) return;
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(async () => {
      const last = this.messages.lastId();
      if (last === null || document.hidden) return;
      const answer = await api('POST', `/api/v1/conversations/${conversationId}/read`, { message_id: last });
      this.onUnread(answer.unread);
    }, READ_DELAY_MS);
  }
}
