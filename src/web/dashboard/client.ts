/**
 * The dashboard's only script, served from /assets/dashboard.js (CSP script-src 'self'): live
 * counts by polling a JSON endpoint, the viewer's time zone as a cookie, confirm dialogs.
 * Plain ES2017, no build step; every value is set with textContent, never as HTML.
 */
export const DASHBOARD_JS = `(function () {
  'use strict';
  var zone = '';
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ''; } catch (e) {}
  if (zone && document.cookie.indexOf('pressline_tz=' + encodeURIComponent(zone)) < 0) {
    document.cookie = 'pressline_tz=' + encodeURIComponent(zone) + '; path=/; SameSite=Strict; max-age=31536000';
    var page = document.body.getAttribute('data-viewer-zone');
    if (page !== null && page !== zone && !sessionStorage.getItem('pressline_tz_reloaded')) {
      sessionStorage.setItem('pressline_tz_reloaded', '1');
      location.reload();
      return;
    }
  }
  var poll = document.body.getAttribute('data-poll');
  if (!poll) return;
  var live = document.getElementById('live');
  function apply(c) {
    var id = String(c.id);
    Object.keys(c.counts).forEach(function (s) {
      document.querySelectorAll('[data-campaign="' + id + '"][data-status="' + s + '"]').forEach(function (el) {
        if (el.textContent !== String(c.counts[s])) el.textContent = String(c.counts[s]);
      });
    });
    document.querySelectorAll('[data-campaign="' + id + '"][data-field]').forEach(function (el) {
      var f = el.getAttribute('data-field');
      if (f === 'progress') { el.value = c.settled; el.max = Math.max(1, c.toSend); el.textContent = c.percent + '%'; }
      else if (f === 'percent') el.textContent = c.percent + '%';
      else if (f === 'settled') el.textContent = String(c.settled);
      else if (f === 'to-send') el.textContent = String(c.toSend);
      else if (f === 'status') el.textContent = c.status;
      else if (f === 'paused') el.textContent = c.paused || '';
    });
  }
  var busy = false;
  function tick() {
    if (busy || document.hidden) return;
    busy = true;
    fetch(poll, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        (data.campaigns || [data]).forEach(apply);
        // The server's time in the dashboard's one convention (UTC, date, 24-hour), not the browser's.
        if (live && data.updated) live.textContent = 'Updated ' + data.updated;
      })
      .catch(function () {})
      .then(function () { busy = false; });
  }
  setInterval(tick, 1500);
  tick();
})();
`;
