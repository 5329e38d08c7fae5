// Clicks on the messages: Reply starts a reply in the composer, a reply's quote jumps to its
// original, ☆ adds to or removes from favorites, Recall (after a confirm) recalls one's own
// message for everyone, and an image opens in the lightbox (#lightbox) with links to its full
// size and a download.
//
//   const lightbox = new Lightbox(document.getElementById('lightbox'));
//   wireMessageActions({ messages, state, text, lightbox, onReply: (message) => composer.startReply(message) });

import { api } from '../api.js';

export class Lightbox {
  constructor(dialog) {
    this.dialog = dialog;
    this.image = dialog.querySelector('[data-lightbox-image]');
    dialog.addEventListener('click', (event) => { if (event.target === dialog) dialog.close(); }); // the backdrop
  }

  // Show the image at `url`, `name` as its alt text.
  open(url, name) {
    this.image.src = url;
    this.image.alt = name;
    this.dialog.querySelector('[data-lightbox-open]').href = url;
    this.dialog.querySelector('[data-lightbox-download]').href = `${url}?download=1`;
    this.dialog.showModal();
  }
}

// `messages` is the page's MessageList, `state` its ChatState, `text` its translated strings,
// `onReply(message)` starts a reply to a stored message.
export function wireMessageActions({ messages, state, text, lightbox, onReply }) {
  messages.list.addEventListener('click', async (event) => {
    const quote = event.target.closest('[data-quote-id]');
    if (quote) { messages.jumpTo(Number(quote.dataset.quoteId)); return; }
    const reply = event.target.closest('[data-reply]');
    if (reply) {
      const message = state.messages.get(Number(reply.closest('[data-message-id]').dataset.messageId));
      if (message) onReply(message);
      return;
    }
    const button = event.target.closest('[data-favorite], [data-recall]');
    if (!button) {
      const image = event.target.closest('[data-lightbox]');
      if (image) { event.preventDefault(); lightbox.open(image.dataset.lightbox, image.querySelector('img').alt); }
      return;
    }
    const id = Number(button.closest('[data-message-id]').dataset.messageId);
    button.disabled = true;
    try {
      if (button.dataset.recall !== undefined) {
        if (!window.confirm(text.recallConfirm)) return;
        await api('POST', `/api/v1/messages/${id}/recall`);
        messages.showRecalled(id);
      } else if (state.favorited.has(id)) {
        await api('DELETE', `/api/v1/messages/${id}/favorite`);
        messages.showFavorited(id, false);
      } else {
        await api('POST', '/api/v1/favorites', { message_id: id });
        messages.showFavorited(id, true);
      }
    } catch (error) {
      button.title = error.message;
      window.alert(error.message);
    } finally {
      button.disabled = false;
    }
  });
}
