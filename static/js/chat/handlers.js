// What each event from the stream does to the chat page: one table from durable event type
// (realtime/events.py names them all) to its handler, and one for the ephemeral frames.
// Types not in a table (friend requests, say) do not concern this page.
//
//   const { onEvent, onEphemeral } = eventHandlers(page);
//   new EventStream({ cursor, onEvent, onEphemeral, ... }).start();

import { removeHidden, showEdited } from './message-editing.js';
import { notifyMessage } from './notify.js';

// `page` holds the chat page's parts: {state, text, view, messages, conversations, presence,
// reading, receipts, controls, reactions, pins, notices}.
export function eventHandlers(page) {
  const { state, messages, conversations, presence, receipts, controls, reactions, pins, notices } = page;
  // Offline: the next event, or the page coming back into view, lists them again.
  const relist = () => { conversations.refresh().catch(() => {}); };
  const relistAndPresence = () => { relist(); presence.refresh(); };
  // Someone's stay in a group ended: this person's own, in the open conversation, closes it
  // at once (the list's refresh closes the composer), before anything asks about it again.
  const memberGone = ({ group_id: id, user_id: userId }) => {
    if (userId === state.me && id === state.conversationId) { presence.close(); relist(); } else relistAndPresence();
  };

  const durable = {
    'message.created': ({ message }) => {
      if (message.conversation_id === state.conversationId) {
        messages.add(message);
        if (message.sender) presence.endTyping(message.sender.id);
      }
      noteMessage(page, message);
    },
    'message.recalled': ({ message_id: messageId }) => {
      messages.showRecalled(messageId);
      conversations.refresh();
    },
    'message.edited': ({ message }) => { showEdited(messages, message); pins.update(message); conversations.refresh(); },
    'message.hidden': ({ message_id: messageId }) => { removeHidden(messages, messageId); conversations.refresh(); },
    'reaction.added': (data) => reactions.apply(data, true),
    'reaction.removed': (data) => reactions.apply(data, false),
    'message.pinned': ({ conversation_id: id, pin }) => { if (id === state.conversationId) pins.add(pin); },
    'message.unpinned': ({ conversation_id: id, message_id: messageId }) => {
      if (id === state.conversationId) pins.remove(messageId);
    },
    'favorite.created': ({ favorite }) => messages.showFavorited(favorite.message_id, true),
    'favorite.deleted': ({ message_id: messageId }) => messages.showFavorited(messageId, false),
    // Mine (another device of this person): the unread count and the "[@you]" mark; someone
    // else's: a read receipt.
    'read.updated': (data) => {
      if (data.user_id === state.me) {
        conversations.setUnread(data.conversation_id, data.unread);
        conversations.readUpTo(data.conversation_id, data.last_read_message_id);
      } else receipts.onRead(data);
    },
    // Members' pages that view the conversation read my messages as they arrive: their
    // reads past my messages, gathered by the server (one event a second at most).
    'receipts.updated': ({ conversation_id: conversationId, reads }) => {
      for (const read of reads) receipts.onRead({ conversation_id: conversationId, ...read });
    },
    'user.updated': ({ user }) => showPerson(page, user),
    // Membership changes: the list gains or loses conversations, the group's members change.
    'group.created': relistAndPresence,
    'group.member_added': relistAndPresence,
    'group.member_joined': relistAndPresence,
    'group.member_left': memberGone,
    'group.member_removed': memberGone,
    'group.renamed': relist,
    'group.dissolved': ({ group_id: id }) => { if (id === state.conversationId) presence.close(); relist(); },
    'group.invite_changed': relist,
    'friend_request.accepted': ({ request }) => { // a new direct conversation, and a friend
      relist();
      notices.befriended(request.sender.id === state.me ? request.receiver : request.sender);
    },
    'friend.removed': ({ user_ids: ids }) => { relist(); ids.forEach((id) => { if (id !== state.me) notices.unfriended(id); }); },
    // This person's own choices, from any of their devices.
    'conversation.mute_changed': ({ conversation_id: id, muted }) => controls.showMuted(id, muted),
    'block.created': ({ user }) => controls.showBlocked(user.id, true),
    'block.deleted': ({ user }) => controls.showBlocked(user.id, false),
  };
  const ephemeral = {
    typing: (data) => presence.showTyping(data),
    presence: (data) => { presence.refresh(); notices.presence(data); },
  };

  return {
    onEvent({ type, data }) { if (Object.hasOwn(durable, type)) durable[type](data); },
    onEphemeral(type, data) { if (Object.hasOwn(ephemeral, type)) ephemeral[type](data); },
  };
}

// A message was stored in any of this person's conversations: preview and order the list,
// count it unread unless it is being read, mark "[@you]" when it mentions them, notify of it
// while the tab is hidden (a mention always, titled "<name> mentioned you"; other messages
// not in a conversation this person muted; never a blocked person's).
function noteMessage({ state, text, view, messages, conversations, reading }, message) {
  const id = message.conversation_id;
  const preview = view.previewOf(message);
  const mentioned = state.mentionsMe(message);
  const quiet = Boolean(message.sender) && state.blocked.has(message.sender.id); // a blocked person's
  if (document.hidden && mentioned && !quiet) notifyMessage(message, text.mentionedYou, preview, { mention: true });
  if (!conversations.moveToTop(id, preview)) { conversations.refresh(); return; }
  const fromOther = !state.isMine(message);
  const beingRead = id === state.conversationId && !document.hidden && messages.atBottom();
  if (fromOther && !beingRead) conversations.setUnread(id, conversations.unread(id) + 1);
  if (mentioned && !beingRead) conversations.setMentioned(id, message.id);
  if (fromOther && document.hidden && !mentioned && !quiet && !conversations.isMuted(id)) notifyMessage(message, text.newMessage, preview);
  if (beingRead) reading.soon();
}

// `user` (a user brief) changed their nickname or picture: redraw what shows them.
function showPerson({ state, messages, conversations, presence, notices }, user) {
  messages.showSender(user);
  notices.renamed(user);
  presence.showMember(user);
  conversations.showPerson(user);
  if (user.id === state.me) { // the account corner of the top bar
    const name = document.querySelector('.account-name');
    const avatar = document.querySelector('.account .avatar');
    if (name) name.textContent = user.nickname;
    if (avatar) avatar.setAttribute('src', user.avatar_url);
  }
}
