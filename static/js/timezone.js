// Tells the server this browser's time zone (an IANA name such as Asia/Shanghai) in the `tz`
// cookie, so the times it renders are local (core/timezones.py; a zone chosen on the profile
// wins). Every page loads it; the cookie is written only when it changes, so the first page
// of a new browser (or after travelling) is the only one rendered in the old zone.

const COOKIE = 'tz';
const YEAR_S = 365 * 24 * 3600;

function browserZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || '';
  } catch (error) {
    return ''; // no Intl: the server keeps UTC
  }
}

const zone = browserZone();
const now = document.cookie.split('; ').find((pair) => pair.startsWith(`${COOKIE}=`));
// Zone names are letters, digits and _ + - / only: safe in a cookie as they are.
if (/^[A-Za-z0-9_+\-/]{1,64}$/.test(zone) && now !== `${COOKIE}=${zone}`) {
  const secure = window.location.protocol === 'https:' ? '; secure' : '';
  document.cookie = `${COOKIE}=${zone}; path=/; max-age=${YEAR_S}; samesite=lax${secure}`;
}
