// Marking the open conversation read up to its newest message: a moment after that message
// is in view with the tab visible, so a burst of messages makes one request, not one each.
// While the page hears the server (a live stream, or long-polling), that request also tells
// the server that this page views the conversation (`tab`: the id the stream was opened with;
// each poll names the conversation too); the server then reads each message of it as it
// delivers it to this page, and the page asks nothing more until it stops viewing (scrolled
// up, hidden) or its stream reconnects (realtime/viewing.py). Offline, each
// arrival is marked read by a request.
//
//   const reading = new ReadMarker({ state, messages, tab, onUnread(count) {} });
//   reading.soon();          // at the bottom, back to the tab, a message arrived while reading
//   reading.away();          // scrolled up or hidden: stop viewing
//   reading.streamIs(mode);  // the stream's status ('live', 'polling', 'offline')
//   reading.viewed();        // the conversation the server may read for this page, or null

import { api } from '../api.js';

const READ_DELAY_MS = 300;
const RETRY_MS = 5000; // a request refused for now (offline, 429, 5xx) is tried again this much later

export class ReadMarker {
  // `state` is the page's ChatState, `messages` its MessageList, `tab` the id its stream was
  // opened with; `onUnread(count)` gets the conversation's unread count the server answers with.
  constructor({ state, messages, tab, onUnread }) {
    this.state = state;
    this.messages = messages;
    this.tab = tab;
    this.onUnread = onUnread;
    this.timer = null;
    this.mode = null; // the stream's status, as last told
    this.live = false; // live or polling: the server can read what it delivers here
    this.want = false; // this page views the conversation now
    this.told = false; // the server has been told so (and not told otherwise since)
    this.asked = false; // a request is wanted: the one in flight sends it when it ends
    this.sending = false; // a request is in flight (one at a time, so they arrive in order)
  }

  soon() {
    if (!this.state.conversationId) return;
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => {
      if (document.hidden || !this.messages.atBottom()) { this.away(); return; }
      if (this.told && this.want) return; // the server reads each arrival itself
      this.want = this.live;
      this.request();
    }, READ_DELAY_MS);
  }

  away() {
    if (!this.want && !this.told) return;
    this.want = false;
    this.request();
  }

  streamIs(mode) {
    if (mode === this.mode) return; // each poll says 'polling' again
    this.mode = mode;
    // A new stream knows nothing of the old one's view: say it again.
    this.live = mode === 'live' || mode === 'polling';
    this.want = false;
    this.told = false;
    if (this.live) this.soon();
  }

  viewed() {
    return this.want && this.live ? this.state.conversationId : null;
  }

  request() {
    this.asked = true;
    if (!this.sending) this.send();
  }

  // Mark read up to the newest message shown, and tell whether this page views the
  // conversation (when the server can read for it): one request at a time, the latest wish
  // each time, so a "stop" never overtakes a "start".
  async send() {
    this.sending = true;
    while (this.asked) {
      this.asked = false;
      const last = this.messages.lastId();
      if (last === null) break;
      const viewing = this.want && this.live;
      const body = { message_id: last };
      if (this.live) Object.assign(body, { tab: this.tab, viewing });
      try {
        const answer = await api('POST', `/api/v1/conversations/${this.state.conversationId}/read`, body);
        if (this.live) this.told = viewing;
        this.onUnread(answer.unread);
      } catch (err) {
        // Refused for now: ask again later (a stop must reach the server). Refused for good
        // (no longer a member): nothing to tell.
        if (err.status === 0 || err.status === 429 || err.status >= 500) {
          await new Promise((resolve) => { window.setTimeout(resolve, RETRY_MS); });
          this.asked = true;
        } else this.told = false;
      }
    }
    this.sending = false;
  }
}
