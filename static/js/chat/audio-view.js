// How sound looks in a message: a voice message, or an audio file whose length the server
// read (attachment.duration, seconds), plays inline in an <audio> player with its length
// beside it; an audio file also names itself, with a download link.
//
//   if (isAudio(attachment)) main.append(audioNode(attachment, text));
//   formatDuration(7.2); // "0:07"

// True when `attachment` (as the API gives it) should play inline.
export function isAudio(attachment) {
  return attachment.kind === 'voice'
    || (attachment.duration !== null && attachment.duration !== undefined && attachment.mime.startsWith('audio/'));
}

// `seconds` as m:ss (rounded to the second; "0:00" when unknown).
export function formatDuration(seconds) {
  const whole = Math.max(0, Math.round(Number(seconds) || 0));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
}

// The player of `attachment`; `text` is the page's translated strings (a dataset).
export function audioNode(attachment, text) {
  const box = document.createElement('div');
  box.className = `attachment-audio${attachment.kind === 'voice' ? ' voice' : ''}`;
  if (attachment.kind !== 'voice') {
    const name = document.createElement('a');
    name.className = 'file-name';
    name.href = `${attachment.url}?download=1`;
    name.setAttribute('download', '');
    name.title = text.download;
    name.textContent = attachment.name;
    box.append(name);
  }
  const player = document.createElement('div');
  player.className = 'audio-player';
  const audio = document.createElement('audio');
  audio.controls = true;
  audio.preload = 'metadata';
  audio.src = attachment.url;
  audio.setAttribute('aria-label', attachment.kind === 'voice' ? text.voicePreview : attachment.name);
  const length = document.createElement('span');
  length.className = 'audio-duration muted';
  length.dataset.testid = 'audio-duration';
  length.textContent = formatDuration(attachment.duration);
  player.append(audio, length);
  box.append(player);
  return box;
}
