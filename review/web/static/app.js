// Warden review UI: keyboard shortcuts and bulk selection. No inline
// script anywhere (the CSP allows this file only); nothing here builds
// HTML from data: it only moves focus, clicks existing controls and
// toggles classes.
(function () {
  'use strict';

  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  var rows = Array.prototype.slice.call(document.querySelectorAll('table.queue tr.row'));
  var current = -1;

  function select(i) {
    if (!rows.length) return;
    if (current >= 0) rows[current].classList.remove('selected');
    current = Math.max(0, Math.min(rows.length - 1, i));
    rows[current].classList.add('selected');
    rows[current].scrollIntoView({ block: 'nearest' });
  }

  function openRow() {
    if (current < 0) return;
    var link = rows[current].querySelector('a.open-link');
    if (link) link.click();
  }

  function toggleRow() {
    if (current < 0) return;
    var box = rows[current].querySelector('input[type=checkbox][name=id]');
    if (box) {
      box.checked = !box.checked;
      updateCount();
    }
  }

  var countEl = document.getElementById('selected-count');
  function updateCount() {
    if (!countEl) return;
    var n = document.querySelectorAll('input[type=checkbox][name=id]:checked').length;
    countEl.textContent = n + ' selected';
  }

  var all = document.getElementById('select-all');
  if (all) {
    all.addEventListener('change', function () {
      document.querySelectorAll('input[type=checkbox][name=id]').forEach(function (b) { b.checked = all.checked; });
      updateCount();
    });
  }
  document.querySelectorAll('input[type=checkbox][name=id]').forEach(function (b) {
    b.addEventListener('change', updateCount);
  });

  var help = document.getElementById('help');

  document.addEventListener('keydown', function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (typing(e.target)) {
      if (e.key === 'Escape') e.target.blur();
      return;
    }
    // Enter on a focused button or link keeps its usual meaning.
    if (e.key === 'Enter' && e.target && /^(BUTTON|A|SUMMARY)$/.test(e.target.tagName)) return;
    switch (e.key) {
      case '?':
        if (help) help.hidden = !help.hidden;
        e.preventDefault();
        return;
      case 'Escape':
        if (help) help.hidden = true;
        return;
      case 'j':
        select(current + 1);
        e.preventDefault();
        return;
      case 'k':
        select(current - 1);
        e.preventDefault();
        return;
      case 'o':
      case 'Enter':
        if (current >= 0) {
          openRow();
          e.preventDefault();
        }
        return;
      case 'x':
        toggleRow();
        e.preventDefault();
        return;
    }
    // Any control marked data-key="<key>" answers to that key.
    var el = null;
    document.querySelectorAll('[data-key]').forEach(function (c) {
      if (!el && c.getAttribute('data-key') === e.key) el = c;
    });
    if (!el) return;
    e.preventDefault();
    if (typing(el)) el.focus();
    else el.click();
  });
})();
