// The chat page on a phone (below 700 px, the phone block of parley.css): one pane at a time,
// the open conversation filling the screen with the composer at its bottom. On-screen
// keyboards shrink only the visual viewport in some browsers (iOS Safari; Chrome without
// the viewport's interactive-widget), so the page takes that height, and a conversation
// read to its end stays at its end when the keyboard opens.
//
//   fitToScreen(document.getElementById('messages'));  // the list may be null

const FOLLOW_PX = 60; // this close to the bottom counts as read to the end, as in message-list.js

// Keep --viewport-height (read by parley.css) at the visual viewport's height, unzoomed, and
// keep `list` (when given) scrolled to its end across resizes if it was there.
export function fitToScreen(list) {
  const viewport = window.visualViewport;
  if (viewport) {
    const fit = () => {
      document.documentElement.style.setProperty('--viewport-height', `${viewport.height * viewport.scale}px`);
    };
    viewport.addEventListener('resize', fit);
    fit();
  }
  if (!list || !window.ResizeObserver) return;
  let atEnd;
  let height = list.clientHeight;
  const measure = () => { atEnd = list.scrollHeight - list.scrollTop - list.clientHeight < FOLLOW_PX; };
  measure(); // after the first messages are shown: at the end, or at a message opened from elsewhere
  list.addEventListener('scroll', measure, { passive: true });
  new ResizeObserver(() => {
    if (list.clientHeight === height) return; // the first call, or a change of width only
    height = list.clientHeight;
    if (atEnd) list.scrollTop = list.scrollHeight; else measure();
  }).observe(list);
}
