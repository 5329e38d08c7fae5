// Marking the open conversation read up to its newest message: a moment after that message
// is in view with the tab visible, so a burst of messages makes one request, not one each.
// While the page's event stream is live, that request also tells the server that this page
// views the conversation (`tab`: the id the stream was opened with); the server then reads
// each message of it as the stream delivers it, and the page asks nothing more until it stops
// viewing (scrolled up, hidden) or its stream reconnects (realtime/hub.py, "Reading by
// viewing"). Without a live stream (long-polling), each arrival is marked read by a request.
//
//   const reading = new ReadMarker({ state, messages, tab, onUnread(count) {} });
//   reading.soon();          // at the bottom, back to the tab, a message arrived while reading
//   reading.away();          // scrolled up or hidden: stop viewing
//   reading.streamIs(mode);  // the stream's status ('live', 'polling', 'offline')

import { api } from '../api.js';

const READ_DELAY_MS = 300;

export class ReadMarker {
  // `state` is the page's ChatState, `messages` its MessageList, `tab` the id its stream was
  // opened with; `onUnread(count)` gets the conversation's unread count the server answers with.
  constructor({ state, messages, tab, onUnread }) {
    this.state = state;
    this.messages = messages;
    this.tab = tab;
    this.onUnread = onUnread;
    this.timer = null;
    this.live = false; // the stream is live (SSE), so the server can read what it delivers
    this.viewing = false; // the server has been told that this page views the conversation
  }

  soon() {
    if (!this.state.conversationId) return;
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => {
      if (document.hidden || !this.messages.atBottom()) { this.away(); return; }
      if (this.viewing) return; // the server reads each arrival itself
      this.post(this.live);
    }, READ_DELAY_MS);
  }

  away() {
    if (this.viewing) this.post(false);
  }

  streamIs(mode) {
    // A new stream knows nothing of the old one's view: say it again.
    this.live = mode === 'live';
    this.viewing = false;
    if (this.live) this.soon();
  }

  async post(viewing) {
    const last = this.messages.lastId();
    if (last === null) return;
    this.viewing = viewing;
    const body = { message_id: last };
    if (this.live) Object.assign(body, { tab: this.tab, viewing });
    try {
      const answer = await api('POST', `/api/v1/conversations/${this.state.conversationId}/read`, body);
      this.onUnread(answer.unread);
    } catch (err) {
      this.viewing = false; // not told: the next arrival asks again
    }
  }
}
