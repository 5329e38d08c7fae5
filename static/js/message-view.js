// How a message looks on the chat page: text (server-rendered safe HTML), an image thumbnail
// or a file card, the recalled placeholder, the ☆/Recall actions and the pending/failed line.

// Make the message renderer of a page. `me` is the viewer's user id, `text` the page's
// translated strings (a dataset), `favorited` the Set of favorited message ids, `recallWindow`
// in milliseconds, `onRetry(message, node)` resends a failed message.
export function createMessageView({ me, text, favorited, recallWindow, onRetry }) {
  const dayFormat = new Intl.DateTimeFormat(text.locale, { dateStyle: 'medium' });
  const timeFormat = new Intl.DateTimeFormat(text.locale, { timeStyle: 'short' });

  function dayLabel(date) {
    const today = new Date();
    const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
    if (date.toDateString() === today.toDateString()) return text.today;
    if (date.toDateString() === yesterday.toDateString()) return text.yesterday;
    return dayFormat.format(date);
  }

  function messageNode(message, state) {
    const li = document.createElement('li');
    li.className = 'message';
    if (message.sender && message.sender.id === me) li.classList.add('mine');
    if (message.id) li.dataset.messageId = message.id;
    if (message.client_id) li.dataset.clientId = message.client_id;
    const date = new Date(message.created_at);
    li.dataset.day = date.toDateString();
    const avatar = document.createElement('img');
    avatar.className = 'avatar avatar-md';
    avatar.alt = '';
    if (message.sender) avatar.src = message.sender.avatar_url;
    const main = document.createElement('div');
    main.className = 'message-main';
    const meta = document.createElement('div');
    meta.className = 'message-meta';
    const name = document.createElement('strong');
    name.textContent = message.sender ? message.sender.nickname : '—';
    const time = document.createElement('time');
    time.dateTime = message.created_at;
    time.textContent = timeFormat.format(date);
    meta.append(name, ' ', time);
    main.append(meta);
    if (message.recalled) {
      li.classList.add('recalled');
      const note = document.createElement('p');
      note.className = 'message-text muted';
      const mine = message.sender && message.sender.id === me;
      note.textContent = mine ? text.recalledMine : text.recalled.replace('{name}', name.textContent);
      main.append(note);
    } else {
      if (message.attachment) main.append(attachmentNode(message.attachment));
      if (message.body || !message.attachment) {
        const body = document.createElement('div');
        body.className = 'message-text';
        if (message.html !== undefined) body.innerHTML = message.html; // rendered and escaped by the server
        else body.textContent = message.body;
        main.append(body);
      }
      if (message.id && !state) main.append(actionsNode(message));
    }
    if (state) main.append(statusLine(li, message, state));
    li.append(avatar, main);
    return li;
  }

  function formatSize(bytes) {
    const units = ['B', 'KB', 'MB', 'GB'];
    let size = bytes;
    let unit = 0;
    while (size >= 1024 && unit < units.length - 1) { size /= 1024; unit += 1; }
    return `${unit ? size.toFixed(1) : size} ${units[unit]}`;
  }

  function attachmentNode(attachment) {
    const link = document.createElement('a');
    link.href = attachment.url;
    if (attachment.kind === 'image' && attachment.thumbnail_url) {
      link.className = 'attachment-image';
      link.target = '_blank';
      link.rel = 'noopener';
      link.dataset.lightbox = attachment.url;
      const img = document.createElement('img');
      img.src = attachment.thumbnail_url;
      img.alt = attachment.name;
      img.loading = 'lazy';
      if (attachment.width && attachment.height) { // reserve the thumbnail's box: no jump on load
        const scale = Math.min(1, 320 / Math.max(attachment.width, attachment.height));
        img.width = Math.round(attachment.width * scale);
        img.height = Math.round(attachment.height * scale);
      }
      link.append(img);
      return link;
    }
    link.className = 'attachment-file';
    link.setAttribute('download', '');
    const icon = document.createElement('span');
    icon.className = 'file-icon';
    icon.setAttribute('aria-hidden', 'true');
    icon.textContent = '📎';
    const words = document.createElement('span');
    const name = document.createElement('strong');
    name.className = 'file-name';
    name.textContent = attachment.name;
    const details = document.createElement('span');
    details.className = 'muted file-details';
    details.textContent = `${formatSize(attachment.size)} · ${attachment.mime}`;
    words.append(name, details);
    link.append(icon, words);
    link.title = text.download;
    return link;
  }

  function actionsNode(message) {
    const bar = document.createElement('div');
    bar.className = 'message-actions';
    const star = document.createElement('button');
    star.type = 'button';
    star.className = 'btn btn-small btn-link';
    star.dataset.favorite = '';
    bar.append(star);
    showFavorite(star, favorited.has(message.id));
    const mine = message.sender && message.sender.id === me;
    if (mine && Date.now() - new Date(message.created_at).getTime() < recallWindow) {
      const recall = document.createElement('button');
      recall.type = 'button';
      recall.className = 'btn btn-small btn-link';
      recall.dataset.recall = '';
      recall.textContent = text.recall;
      bar.append(recall);
    }
    return bar;
  }

  function showFavorite(star, on) {
    star.textContent = on ? '★' : '☆';
    star.setAttribute('aria-pressed', String(on));
    star.setAttribute('aria-label', on ? text.unfavorite : text.favorite);
    star.title = on ? text.unfavorite : text.favorite;
  }


  function previewOf(message) {
    if (message.recalled) return text.recalledPreview;
    if (message.attachment && message.attachment.kind === 'image') return `${text.imagePreview} ${message.body}`.trim().slice(0, 120);
    if (message.attachment) return `${text.filePreview} ${message.attachment.name}`.slice(0, 120);
    return message.body.slice(0, 120);
  }

  function statusLine(li, message, state) {
    const p = document.createElement('p');
    p.className = 'message-status';
    p.textContent = state === 'pending' ? text.pending : text.failed;
    li.classList.add(state);
    if (state === 'failed') {
      const retry = document.createElement('button');
      retry.type = 'button';
      retry.className = 'btn btn-small btn-link';
      retry.textContent = text.retry;
      retry.addEventListener('click', () => onRetry(message, li));
      p.append(' ', retry);
    }
    return p;
  }

  return { dayLabel, messageNode, previewOf, showFavorite };
}
