// The composer (#composer): Enter sends, Shift+Enter adds a line. A message shows at once as
// pending; the POSTs go one after another, so messages are stored in the order they were
// typed; a failed one says why, and offers a retry with the same client id (so a retry never
// doubles it) when one may succeed, else to edit it: its text goes back into the composer.
// Also the "typing" pings, the emoji picker, files (button, drop, paste: ./upload.js), and
// replies: "Replying to <name>: <snippet>" above the composer (× or Esc cancels) until the
// next message (text, or the first file) goes out quoting that original. Typing "@" offers
// the members to mention (./mentions.js); the message names those still in its text. What
// is typed and not sent is kept as the conversation's draft (./drafts.js).
//
//   const composer = new Composer({ form, state, text, messages, replyBar, picker });
//   composer.wire();
//   composer.startReply(message); // the Reply action of a stored message
//   composer.send(message.body, message.client_id, failedNode, message.reply_to, message.mentioned); // a Retry
//   composer.editFailed(message, failedNode); // its Edit: back into the composer

import { api } from '../api.js';
import { Drafts } from './drafts.js';
import { NO_MENTIONS } from './mentions.js';
import { attachUploads } from './upload.js';
import { fill } from '../ui.js';

const TYPING_PING_MS = 3000; // while typing, tell the others at most this often

export class Composer {
  // `form` is the composer's <form>, `state` the page's ChatState, `text` its translated
  // strings (a dataset), `messages` its MessageList, `replyBar` the "Replying to" line,
  // `picker` its MentionPicker.
  constructor({ form, state, text, messages, replyBar, picker }) {
    this.form = form;
    this.box = form.elements.body;
    this.state = state;
    this.text = text;
    this.messages = messages;
    this.replyBar = replyBar;
    this.picker = picker;
    this.quote = null; // the quote of the original the next message replies to, if any
    this.queue = Promise.resolve(); // the POST of the message typed last
    this.lastTypingPing = 0;
    this.drafts = new Drafts(state.me);
  }

  wire() {
    const { form, box, state, drafts } = this;
    box.placeholder = box.dataset.keysHint; // the keys work only with this script (the page says less without it)
    drafts.restore(state.conversationId, box);
    const keep = () => drafts.save(state.conversationId, box.value);
    box.addEventListener('input', keep);
    window.addEventListener('pagehide', keep); // also what the emoji picker put in
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const body = box.value;
      if (!body.trim()) return;
      box.value = '';
      drafts.clear(state.conversationId);
      this.send(body, crypto.randomUUID(), null, this.takeQuote(), this.picker.take(body));
    });
    this.picker.wire();
    box.addEventListener('keydown', (event) => {
      if (this.picker.handleKey(event)) return; // the open "@" suggestions take ↑ ↓ Enter Tab Esc
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      } else if (event.key === 'Escape' && this.quote && !event.isComposing) {
        event.preventDefault();
        this.cancelReply();
      }
    });
    this.replyBar.querySelector('[data-reply-cancel]').addEventListener('click', () => {
      this.cancelReply();
      box.focus();
    });
    box.addEventListener('input', () => {
      if (Date.now() - this.lastTypingPing > TYPING_PING_MS && box.value.trim()) {
        this.lastTypingPing = Date.now();
        api('POST', `/api/v1/conversations/${state.conversationId}/typing`).catch(() => {});
      }
    });
    attachUploads({
      conversationId: state.conversationId, limits: state.uploadLimits, text: this.text, box,
      onSent: (message) => this.messages.add(message),
      takeReply: () => { const quote = this.takeQuote(); return quote && quote.id; },
      takeMentions: (caption) => this.picker.take(caption),
      list: document.querySelector('[data-uploads]'),
      input: form.querySelector('[data-attach-input]'),
      button: form.querySelector('[data-attach]'),
      area: document.querySelector('.chat-main'),
      hint: document.querySelector('[data-drop-hint]'),
    });
    this.wireEmoji(document.getElementById('emoji-picker'), form.querySelector('[data-emoji-toggle]'));
  }

  wireEmoji(picker, toggle) {
    toggle.addEventListener('click', () => {
      picker.hidden = !picker.hidden;
      toggle.setAttribute('aria-expanded', String(!picker.hidden));
    });
    picker.addEventListener('click', (event) => {
      const button = event.target.closest('[data-emoji]');
      if (!button) return;
      this.box.setRangeText(button.dataset.emoji, this.box.selectionStart, this.box.selectionEnd, 'end');
      this.box.focus();
    });
  }

  // Reply to the stored `message`: show "Replying to <name>: <snippet>" above the composer.
  startReply(message) { this.showReply(this.messages.view.quoteOf(message)); }

  // Reply with the next message to the original of `quote`, shown above the composer.
  showReply(quote) {
    this.quote = quote;
    const name = quote.sender ? quote.sender.nickname : '—';
    this.replyBar.querySelector('[data-reply-label]').textContent = fill(this.text.replyingTo, { name });
    this.messages.view.showQuoteLine(this.replyBar.querySelector('[data-reply-snippet]'), quote);
    this.replyBar.hidden = false;
    this.box.focus();
  }

  cancelReply() {
    this.quote = null;
    this.replyBar.hidden = true;
  }

  // The quote the message being sent carries (null for none); the composer is done replying.
  takeQuote() {
    const { quote } = this;
    this.cancelReply();
    return quote;
  }

  // Send `body` with `clientId`, replying to `quote`'s original if given, mentioning whom
  // `mentioned` names ({mentions: [ids], mention_all}), shown as pending at once (in place of
  // `existing`, its failed copy, when retried).
  send(body, clientId, existing, quote = null, mentioned = NO_MENTIONS) {
    const draft = {
      body, client_id: clientId, created_at: new Date().toISOString(), reply_to: quote, mentioned,
      sender: { id: this.state.me, nickname: document.querySelector('.account-name').textContent,
        avatar_url: document.querySelector('.account .avatar').getAttribute('src') },
    };
    const node = this.messages.showPending(draft, existing);
    this.queue = this.queue.then(() => this.post(draft, node));
  }

  async post(draft, node) {
    try {
      const message = await api('POST', `/api/v1/conversations/${this.state.conversationId}/messages`,
        { body: draft.body, client_id: draft.client_id, reply_to: draft.reply_to ? draft.reply_to.id : null,
          mentions: draft.mentioned.mentions, mention_all: draft.mentioned.mention_all });
      if (this.state.messages.has(message.id)) node.remove(); // the live event came first
      else this.messages.add(message);
    } catch (error) {
      this.messages.showFailed(draft, node, error);
    }
  }

  // The refused `message` (`node` its failed copy) goes back into the composer, before what
  // is typed there now, replying to what it replied to, to be changed and sent anew.
  editFailed(message, node) {
    const { box } = this;
    node.remove();
    this.messages.redrawDays();
    box.value = box.value.trim() ? `${message.body}\n${box.value}` : message.body;
    this.drafts.save(this.state.conversationId, box.value);
    if (message.reply_to) this.showReply(message.reply_to);
    box.focus();
  }

  // The open conversation is gone (left, removed, dissolved): nothing more can be sent.
  close() {
    this.form.querySelectorAll('textarea, button').forEach((el) => { el.disabled = true; });
    this.cancelReply();
  }
}
