// Read receipts on the open conversation's own messages: "Read" under the newest one the other
// person has read (a direct conversation), "Read by N of M" under each (a group), which opens
// the list of who has read it and who has not. Counts are computed by the server when asked
// (blueprints/chat/receipts.py) and follow other people's read.updated events live.
//
//   const receipts = new Receipts({ state, messages, text, kind: 'group' });
//   receipts.start();        // asks for the counts of the messages shown, and of each new one
//   receipts.onRead(data);   // a read.updated event of someone else (handlers.js)

import { api } from '../api.js';
import { fill } from '../ui.js';

const ASK_DELAY_MS = 200; // new own messages in a burst make one request
const ASK_MAX = 100; // message ids per request (the server's RECEIPTS_MAX)

export class Receipts {
  // `state` is the page's ChatState, `messages` its MessageList, `text` its translated strings,
  // `kind` the open conversation's ('direct' or 'group').
  constructor({ state, messages, text, kind }) {
    this.state = state;
    this.messages = messages;
    this.text = text;
    this.kind = kind;
    this.counts = new Map(); // own message id -> {read, members}
    this.peerRead = 0; // direct: the other person's read position, as far as known
    this.sharingOff = false; // this person does not share receipts: they see none
    this.timer = null;
  }

  start() {
    const { list } = this.messages;
    if (!list || !this.state.conversationId) return;
    // Message nodes are drawn by message-view.js and redrawn on recalls, renames and
    // confirmed sends: watch the list, and draw the receipt lines again on what changed.
    new MutationObserver(() => { this.draw(); this.askSoon(); }).observe(list, { childList: true });
    this.askSoon();
  }

  // Someone else's read position moved (`data` of read.updated): it reaches this page only for
  // conversations where it passed this person's messages, both sharing receipts.
  onRead(data) {
    if (data.conversation_id !== this.state.conversationId || this.sharingOff) return;
    if (this.kind === 'direct') {
      this.peerRead = Math.max(this.peerRead, data.last_read_message_id);
    } else {
      for (const [id, count] of this.counts) {
        if (id > data.previous_read_message_id && id <= data.last_read_message_id) {
          count.read = Math.min(count.members, count.read + 1);
        }
      }
    }
    this.draw();
  }

  ownIds() {
    const ids = [];
    for (const [id, message] of this.state.messages) if (this.state.isMine(message)) ids.push(id);
    return ids.sort((a, b) => a - b);
  }

  askSoon() {
    if (this.sharingOff) return;
    window.clearTimeout(this.timer);
    // Offline, or the conversation is gone: the next message shown asks again.
    this.timer = window.setTimeout(() => this.ask().catch(() => {}), ASK_DELAY_MS);
  }

  // Ask the server for the counts of own messages shown but not counted yet.
  async ask() {
    const unknown = this.ownIds().filter((id) => !this.counts.has(id));
    for (let start = 0; start < unknown.length && !this.sharingOff; start += ASK_MAX) {
      const ids = unknown.slice(start, start + ASK_MAX);
      const answer = await api('GET',
        `/api/v1/conversations/${this.state.conversationId}/receipts?message_ids=${ids.join(',')}`);
      if (answer.sharing_off) { this.sharingOff = true; break; }
      for (const item of answer.items) {
        this.counts.set(item.message_id, { read: item.read, members: item.members });
        if (item.read > 0) this.peerRead = Math.max(this.peerRead, item.message_id);
      }
    }
    this.draw();
  }

  draw() {
    if (this.sharingOff || !this.messages.list) return;
    const own = this.ownIds();
    const lastRead = own.filter((id) => id <= this.peerRead).pop();
    for (const id of own) {
      const node = this.messages.node(id);
      const main = node && node.querySelector('.message-main');
      if (!main || node.classList.contains('recalled')) continue;
      let line = main.querySelector('[data-receipt]');
      const count = this.counts.get(id);
      const label = this.kind === 'direct'
        ? (id === lastRead ? this.text.read : '')
        : (count && count.members ? fill(this.text.readBy, { n: count.read, m: count.members }) : '');
      if (!label) { if (line) line.remove(); continue; }
      if (!line) line = this.lineFor(id, main);
      const button = line.querySelector('button');
      if (button) button.textContent = label; else line.textContent = label;
    }
  }

  lineFor(id, main) {
    const line = document.createElement('p');
    line.className = 'receipt';
    line.dataset.receipt = '';
    if (this.kind === 'group') {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'btn btn-small btn-link';
      button.setAttribute('aria-expanded', 'false');
      button.addEventListener('click', () => this.toggleReaders(id, line, button));
      line.append(button);
    }
    main.append(line);
    return line;
  }

  // Open (or close) the list of who has read message `id` and who has not, under `line`.
  async toggleReaders(id, line, button) {
    const open = line.querySelector('[data-readers]');
    if (open) { open.remove(); button.setAttribute('aria-expanded', 'false'); return; }
    const answer = await api('GET', `/api/v1/conversations/${this.state.conversationId}/messages/${id}/receipts`);
    if (answer.sharing_off) return;
    this.counts.set(id, { read: answer.read.length, members: answer.read.length + answer.unread.length });
    const panel = document.createElement('div');
    panel.className = 'receipt-readers';
    panel.dataset.readers = '';
    panel.append(this.people(this.text.readersRead, answer.read, 'read'),
      this.people(this.text.readersUnread, answer.unread, 'unread'));
    if (answer.not_sharing) {
      const note = document.createElement('p');
      note.className = 'muted';
      note.textContent = fill(this.text.notSharing, { n: answer.not_sharing });
      panel.append(note);
    }
    line.append(panel);
    button.setAttribute('aria-expanded', 'true');
    this.draw();
  }

  people(heading, briefs, which) {
    const p = document.createElement('p');
    p.dataset.readersList = which;
    const strong = document.createElement('strong');
    strong.textContent = heading;
    p.append(strong, ' ', briefs.length ? briefs.map((person) => person.nickname).join(', ') : '—');
    return p;
  }
}
