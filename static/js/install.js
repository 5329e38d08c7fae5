// Registers Parley's service worker (static/js/sw.js, served at /sw.js so that it controls the
// whole site): it keeps the app shell for offline use and shows push notifications.
if ('serviceWorker' in navigator) {
  window.addEventListener('load', () => {
    // A browser that refuses (private mode, blocked by policy) just keeps working online.
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => {});
  });
}
