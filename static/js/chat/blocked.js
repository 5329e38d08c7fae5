// Messages from people this person blocked, in the groups they still share: collapsed to
// "Message from a blocked person" with a Show button (Hide folds it again). The page knows
// whom they blocked (ChatState.blocked, from the server, kept current by block events); the
// messages themselves still arrive, only their look changes.
//
//   markBlocked(li, message, state, text);   // as each message's node is built
//   redrawBlocked(list, state, text);        // after a block or unblock
//   wireBlockedReveal(list, text);           // once: the Show / Hide buttons

// Mark `li`, the node of `message`, as from a blocked person when it is one in a group.
export function markBlocked(li, message, state, text) {
  if (message.sender) li.dataset.senderId = message.sender.id;
  const blocked = state.kind === 'group' && Boolean(message.sender) && state.blocked.has(message.sender.id);
  li.classList.toggle('from-blocked', blocked);
  let note = li.querySelector(':scope > .blocked-note');
  if (!blocked) {
    if (note) note.remove();
    li.classList.remove('revealed');
    return;
  }
  if (note) return;
  note = document.createElement('p');
  note.className = 'blocked-note muted';
  note.dataset.testid = 'blocked-note';
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'btn btn-small btn-link';
  button.dataset.revealBlocked = '';
  button.textContent = text.showBlocked;
  note.append(text.fromBlocked, ' ', button);
  li.prepend(note);
}

// Collapse or open every shown message after `state.blocked` changed.
export function redrawBlocked(list, state, text) {
  if (!list) return;
  list.querySelectorAll('.message[data-message-id]').forEach((li) => {
    const message = state.messages.get(Number(li.dataset.messageId));
    if (message) markBlocked(li, message, state, text);
  });
}

export function wireBlockedReveal(list, text) {
  list.addEventListener('click', (event) => {
    const button = event.target.closest('[data-reveal-blocked]');
    if (!button) return;
    const li = button.closest('.message');
    const open = li.classList.toggle('revealed');
    button.textContent = open ? text.hideBlocked : text.showBlocked;
  });
}
