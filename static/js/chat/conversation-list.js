// The conversation list (#conversation-list): its rows, newest activity first, with previews,
// unread badges and "[@you]" where someone mentioned this person after their read position,
// 🔕 and a greyed badge on the conversations they muted (left out of the unread total, but not
// of the mentions); the unread total and the mention mark in the tab's title ("(3) [@you] Chat · Parley"), the
// navigation's Chat badges (unread, and "@2": conversations that mention them); the open
// conversation's name in its heading. A row the server did not render is cloned from
// the page's <template>s, which the same Jinja macro draws (templates/chat/index.html,
// `conversation_row`): the row's markup exists once.
//
//   const conversations = new ConversationList({ list, rows, heading, state, onClosed });
//   conversations.setUnread(conversationId, 2);
//   conversations.setMentioned(conversationId, messageId); // 0 clears the mark
//   conversations.readUpTo(conversationId, lastReadMessageId); // clears it once read past
//   conversations.setMuted(conversationId, true);
//   await conversations.refresh(); // as /api/v1/conversations lists them now

import { api } from '../api.js';

export class ConversationList {
  // `list` is the <ul>; `rows` the row <template>s {direct, group}; `heading` the open
  // conversation's name (null when none is open); `state` the page's ChatState;
  // `onClosed()` runs when the open conversation leaves the list (left, removed, dissolved).
  // `mark` is the translated "[@you]" for the title.
  constructor({ list, rows, heading, state, onClosed, mark }) {
    this.list = list;
    this.rows = rows;
    this.heading = heading;
    this.state = state;
    this.onClosed = onClosed;
    this.baseTitle = document.title; // before any "(3) " is put in front
    this.navBadge = document.querySelector('[data-total-unread]');
    this.navMentions = document.querySelector('[data-total-mentioned]');
    this.mark = mark;
  }

  row(conversationId) { return this.list.querySelector(`[data-conversation-id="${conversationId}"]`); }

  unread(conversationId) {
    const row = this.row(conversationId);
    return row ? Number(row.dataset.unread) || 0 : 0;
  }

  setUnread(conversationId, count) {
    const row = this.row(conversationId);
    if (!row) return;
    row.dataset.unread = count;
    const badge = row.querySelector('[data-unread-badge]');
    badge.textContent = count;
    badge.hidden = !count;
    if (!count) this.setMentioned(conversationId, 0); // read to the end: past every mention too
    this.showTotal();
  }

  // Show "[@you]" on the row of `conversationId` for the message `messageId` mentioning this
  // person (the newest such), or take it away (0).
  setMentioned(conversationId, messageId) {
    const row = this.row(conversationId);
    if (!row) return;
    row.dataset.mentioned = messageId || '';
    row.querySelector('[data-mention-mark]').hidden = !messageId;
    this.showTotal();
  }

  isMuted(conversationId) {
    const row = this.row(conversationId);
    return Boolean(row) && row.dataset.muted === 'true';
  }

  setMuted(conversationId, muted) {
    const row = this.row(conversationId);
    if (!row) return;
    row.dataset.muted = muted ? 'true' : '';
    row.querySelector('[data-muted-mark]').hidden = !muted;
    this.showTotal();
  }

  // This person's read position in `conversationId` moved to `lastReadId`.
  readUpTo(conversationId, lastReadId) {
    const row = this.row(conversationId);
    if (row && row.dataset.mentioned && lastReadId >= Number(row.dataset.mentioned)) this.setMentioned(conversationId, 0);
  }

  showTotal() {
    let total = 0;
    let mentioned = 0;
    this.list.querySelectorAll('[data-conversation-id]').forEach((row) => {
      if (row.dataset.muted !== 'true') total += Number(row.dataset.unread) || 0;
      if (row.dataset.mentioned) mentioned += 1;
    });
    const mark = mentioned ? `${this.mark} ` : '';
    document.title = `${total ? `(${total}) ` : ''}${mark}${this.baseTitle}`;
    if (this.navBadge) { this.navBadge.textContent = total; this.navBadge.hidden = !total; }
    if (this.navMentions) { this.navMentions.textContent = `@${mentioned}`; this.navMentions.hidden = !mentioned; }
  }

  // A message came in `conversationId`: show `preview` and move its row to the top. False
  // when the conversation is not listed (it is new to this person).
  moveToTop(conversationId, preview) {
    const row = this.row(conversationId);
    if (!row) return false;
    row.querySelector('[data-preview]').textContent = preview;
    this.list.prepend(row);
    return true;
  }

  // Redraw the list as the server lists it now: rows gone, new, renamed, reordered.
  async refresh() {
    const { conversationId } = this.state;
    const { items } = await api('GET', '/api/v1/conversations');
    const known = new Set(items.map((c) => c.id));
    this.list.querySelectorAll('[data-conversation-id]').forEach((row) => {
      if (!known.has(Number(row.dataset.conversationId))) row.remove();
    });
    if (conversationId && !known.has(conversationId)) this.onClosed();
    for (const c of items) { // in the server's order: newest activity first
      const row = this.row(c.id) || this.newRow(c);
      this.list.append(row);
      row.querySelector('.conversation-name').textContent = c.name || '';
      row.dataset.filter = c.name || '';
      if (c.last_message) row.querySelector('[data-preview]').textContent = c.last_message.preview;
      this.setUnread(c.id, c.unread);
      this.setMuted(c.id, c.muted);
      this.setMentioned(c.id, c.mentioned ? c.mentioned_message_id : 0);
    }
    const open = conversationId && items.find((c) => c.id === conversationId);
    if (open) this.heading.textContent = open.name;
  }

  // The row of `c` (a conversation as /api/v1/conversations lists it), from its template.
  newRow(c) {
    const row = (c.peer ? this.rows.direct : this.rows.group).content.firstElementChild.cloneNode(true);
    row.dataset.conversationId = c.id;
    row.dataset.filter = c.name || '';
    row.dataset.unread = c.unread;
    row.querySelector('a').href = `/chat/${c.id}`;
    if (c.peer) {
      row.dataset.peerId = c.peer.id;
      row.querySelector('img.avatar').src = c.peer.avatar_url;
    } else {
      row.querySelector('.group-icon').textContent = (c.name || '#').slice(0, 1);
    }
    return row;
  }

  // `user` (a user brief) changed their nickname or picture: direct conversations are named
  // after, and show, the other person.
  showPerson(user) {
    this.list.querySelectorAll(`[data-peer-id="${user.id}"]`).forEach((row) => {
      row.querySelector('.conversation-name').textContent = user.nickname;
      row.dataset.filter = user.nickname;
      const avatar = row.querySelector('img.avatar');
      if (avatar) avatar.src = user.avatar_url;
      if (Number(row.dataset.conversationId) === this.state.conversationId) this.heading.textContent = user.nickname;
    });
  }
}
