// The open conversation's header controls: Mute / Unmute (this person's, on all their
// devices: PUT /api/v1/conversations/<id>/mute) and, in a direct conversation, Block /
// Unblock the other person (/api/v1/blocks). Other tabs and devices follow through the
// events conversation.mute_changed, block.created and block.deleted.
//
//   const controls = new Controls({ state, text, conversations, messages });
//   controls.wire();
//   controls.showMuted(conversationId, true);   // conversation.mute_changed
//   controls.showBlocked(user.id, true);        // block.created (false: block.deleted)

import { api } from '../api.js';
import { announce, confirmAction, fill } from '../ui.js';
import { redrawBlocked } from './blocked.js';

export class Controls {
  // `state` the page's ChatState, `text` its strings, `conversations` its ConversationList,
  // `messages` its MessageList.
  constructor({ state, text, conversations, messages }) {
    this.state = state;
    this.text = text;
    this.conversations = conversations;
    this.messages = messages;
    this.muteButton = document.querySelector('[data-mute-toggle]');
    this.blockButton = document.querySelector('[data-block-toggle]');
  }

  wire() {
    const { state, muteButton, blockButton } = this;
    if (muteButton) {
      muteButton.addEventListener('click', () => {
        const muted = muteButton.getAttribute('aria-pressed') !== 'true';
        api('PUT', `/api/v1/conversations/${state.conversationId}/mute`, { muted })
          .then((answer) => this.showMuted(answer.conversation_id, answer.muted))
          .catch((error) => announce(error.message, 'danger'));
      });
    }
    if (blockButton) {
      blockButton.addEventListener('click', async () => {
        const peerId = Number(blockButton.dataset.peerId);
        if (state.blocked.has(peerId)) {
          api('DELETE', `/api/v1/blocks/${peerId}`).then(() => this.showBlocked(peerId, false))
            .catch((error) => announce(error.message, 'danger'));
          return;
        }
        const question = fill(this.text.blockConfirm, { name: blockButton.dataset.peerName });
        if (!(await confirmAction(question, this.text.block))) return;
        api('POST', '/api/v1/blocks', { user_id: peerId }).then(() => this.showBlocked(peerId, true))
          .catch((error) => announce(error.message, 'danger'));
      });
    }
  }

  // This person muted (or unmuted) `conversationId`, here or on another device.
  showMuted(conversationId, muted) {
    this.conversations.setMuted(conversationId, muted);
    if (this.muteButton && conversationId === this.state.conversationId) {
      this.muteButton.setAttribute('aria-pressed', String(muted));
      this.muteButton.textContent = muted ? this.text.unmute : this.text.mute;
    }
  }

  // This person blocked (or unblocked) `userId`, here or on another device.
  showBlocked(userId, blocked) {
    const { state, blockButton } = this;
    if (blocked) state.blocked.add(userId); else state.blocked.delete(userId);
    if (blockButton && Number(blockButton.dataset.peerId) === userId) {
      blockButton.textContent = blocked ? this.text.unblock : this.text.block;
    }
    redrawBlocked(this.messages.list, state, this.text);
  }
}
