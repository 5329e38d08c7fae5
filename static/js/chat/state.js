// What the chat page knows: its settings (read once from #chat's data-* attributes), the
// messages it shows, which of them this person has favorited or reacted to, how far back history is
// loaded. Plain data: the views draw from it and write to it, nothing here touches the page.
//
//   const state = new ChatState(document.getElementById('chat'));
//   if (state.remember(message)) list.append(view.messageNode(message)); // false: shown already
//   state.setFavorited(message.id, true);

export class ChatState {
  constructor(root) {
    const settings = root.dataset;
    this.me = Number(settings.me); // the viewer's user id
    this.conversationId = Number(settings.conversationId) || null; // null: none is open
    this.pageSize = Number(settings.pageSize); // messages per page of history
    this.focusId = Number(settings.focus) || null; // the message opened from favorites, if any
    this.uploadLimits = JSON.parse(settings.uploadLimits); // {image, file} in bytes
    this.recallWindowMs = Number(settings.recallWindow) * 1000; // settings give seconds
    this.cursor = settings.cursor; // the last event id the page reflects: the stream starts there
    this.stream = JSON.parse(settings.stream); // {heartbeat, pollTimeout, forcePoll}
    this.mentionable = JSON.parse(settings.mentionable || '[]'); // [{id, nickname, username, initials}]
    this.canMentionAll = settings.mentionAll === 'true'; // a group's owner
    this.kind = settings.conversationKind || null; // the open conversation's: 'direct' or 'group'
    this.blocked = new Set(JSON.parse(settings.blocked || '[]')); // ids of the people this person blocked
    this.messages = new Map(); // id -> the message as shown; replays and echoes are dropped by id
    this.favorited = new Set(); // ids of shown messages this person has favorited
    this.reacted = new Map(); // message id -> Set of the emoji this person reacted with there
    this.oldestId = null; // the oldest message shown: older history loads before it
    this.noOlder = false; // the whole history is shown
  }

  isMine(message) { return Boolean(message.sender) && message.sender.id === this.me; }

  // True when someone else's `message` mentions this person (by name, or an owner's @all).
  mentionsMe(message) {
    if (this.isMine(message) || message.recalled) return false;
    return Boolean(message.mention_all) || (message.mentions || []).some((person) => person.id === this.me);
  }

  // Keep `message` as shown. False when it already is (a replay, or the echo of a send).
  remember(message) {
    if (this.messages.has(message.id)) return false;
    this.messages.set(message.id, message);
    return true;
  }

  // Replace a shown message by its new version (recalled, or its sender renamed).
  update(message) { this.messages.set(message.id, message); }

  setFavorited(messageId, on) {
    if (on) this.favorited.add(messageId); else this.favorited.delete(messageId);
  }

  reactedWith(messageId, emoji) { return Boolean(this.reacted.get(messageId)?.has(emoji)); }

  setReacted(messageId, emoji, on) {
    if (!this.reacted.has(messageId)) this.reacted.set(messageId, new Set());
    if (on) this.reacted.get(messageId).add(emoji); else this.reacted.get(messageId).delete(emoji);
  }
}
