// Drafts: what this person typed in a conversation and did not send, kept in the browser's
// localStorage per person and conversation ("parley.draft.<user id>.<conversation id>"), so
// it survives switching conversations and reloading; restored with the caret at its end.
// Sending or clearing the text forgets it. Storage that is full or forbidden (a private
// window) only means no draft is kept.
//
//   const drafts = new Drafts(state.me);
//   drafts.restore(conversationId, box);   // the saved text into the <textarea>, caret at its end
//   drafts.save(conversationId, box.value); // '' forgets it
//   drafts.clear(conversationId);

const PREFIX = 'parley.draft';

export class Drafts {
  // `userId`: whose drafts these are (another account in the same browser has its own).
  constructor(userId) { this.userId = userId; }

  key(conversationId) { return `${PREFIX}.${this.userId}.${conversationId}`; }

  load(conversationId) {
    try { return localStorage.getItem(this.key(conversationId)) || ''; } catch { return ''; }
  }

  save(conversationId, value) {
    try {
      if (value.trim()) localStorage.setItem(this.key(conversationId), value);
      else localStorage.removeItem(this.key(conversationId));
    } catch { /* no storage: no draft */ }
  }

  clear(conversationId) { this.save(conversationId, ''); }

  // Put the draft of `conversationId` into `box` (a <textarea>), the caret at its end.
  // False when there was none.
  restore(conversationId, box) {
    const value = this.load(conversationId);
    if (!value) return false;
    box.value = value;
    box.focus();
    box.setSelectionRange(value.length, value.length);
    return true;
  }
}
