// The results browser page (served by src/view/server.ts; plain browser JavaScript, no build step).
// State lives in the URL hash (#view=hessian&run=a&run=b&hide=a::label) so a view can be bookmarked or shared.
// Every pollMs the page asks /api/runs; a new, changed or removed run updates the table, and a change in a
// selected run redraws the current view in place (Plotly.react on the figure of the same name).
(function () {
  'use strict';
  var C = window.VITSCOPE;
  var state = { runs: [], selected: [], view: 'hessian', hidden: [], filter: '', shownSignature: '', loading: 0 };
  var $ = function (id) { return document.getElementById(id); };
  var EXTRA_TABS = [{ id: 'keys', title: 'Key numbers' }, { id: 'files', title: 'Files' }];
  // plotly.js (4.8 MB) loads deferred: the runs table is listed before it has been parsed.
  var plotlyReady = new Promise(function (resolve) {
    if (window.Plotly) resolve();
    else document.addEventListener('DOMContentLoaded', function () { resolve(); });
  });

  function esc(s) {
    return String(s).replace(/[&<>"]/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]; });
  }
  function readHash() {
    var p = new URLSearchParams(location.hash.slice(1));
    if (p.get('view')) state.view = p.get('view');
    if (p.has('run')) state.selected = p.getAll('run');
    state.hidden = p.getAll('hide');
  }
  function writeHash() {
    var p = new URLSearchParams();
    p.set('view', state.view);
    state.selected.forEach(function (r) { p.append('run', r); });
    state.hidden.forEach(function (h) { p.append('hide', h); });
    history.replaceState(null, '', '#' + p.toString());
  }
  function query(extra) {
    var p = new URLSearchParams(extra || {});
    state.selected.forEach(function (r) { p.append('run', r); });
    state.hidden.forEach(function (h) { p.append('hide', h); });
    return p.toString();
  }
  function getJson(url) {
    return fetch(url, { cache: 'no-store' }).then(function (r) {
      if (!r.ok) return r.text().then(function (t) { throw new Error(url + ': ' + r.status + ' ' + t); });
      return r.json();
    });
  }
  function runByName(name) {
    for (var i = 0; i < state.runs.length; i++) if (state.runs[i].name === name) return state.runs[i];
    return undefined;
  }
  function selectedSignature() {
    return state.view + '|' + state.hidden.join(',') + '|' + state.selected.map(function (n) {
      var r = runByName(n);
      return n + ':' + (r ? r.signature + ':' + r.status.text : 'gone');
    }).join(',');
  }

  // ---- runs table ----
  function renderRuns() {
    var body = $('runs').tBodies[0];
    var f = state.filter.toLowerCase();
    var rows = state.runs.filter(function (r) {
      return !f || (r.name + ' ' + r.command + ' ' + r.models.join(' ') + ' ' + r.protocol + ' ' + r.status.text).toLowerCase().indexOf(f) >= 0;
    });
    // The selected runs first (in the order picked), then the others, newest first.
    var rank = function (r) { var i = state.selected.indexOf(r.name); return i < 0 ? state.selected.length : i; };
    rows = rows.map(function (r, i) { return { r: r, i: i }; }).sort(function (a, b) { return rank(a.r) - rank(b.r) || a.i - b.i; }).map(function (x) { return x.r; });
    body.innerHTML = rows.map(function (r) {
      var sel = state.selected.indexOf(r.name) >= 0;
      var bar = r.status.total ? '<div class="bar" title="' + r.status.done + ' of ' + r.status.total + ' units"><div style="width:' + Math.round((100 * r.status.done) / r.status.total) + '%"></div></div>' : '';
      var models = r.models.join(', ') + (r.checkpoints.length ? '<br><span title="' + esc(r.checkpoints.join('\n')) + '" style="color:#888">' + r.checkpoints.length + ' checkpoint(s)</span>' : '');
      return '<tr data-run="' + esc(r.name) + '" class="' + (sel ? 'selected' : '') + '">' +
        '<td><input type="checkbox" aria-label="select ' + esc(r.name) + '"' + (sel ? ' checked' : '') + '></td>' +
        '<td class="name">' + esc(r.name) + '</td><td>' + esc(r.command) + '</td><td>' + models + '</td><td>' + esc(r.protocol) + '</td>' +
        '<td>' + esc(r.data) + '</td><td>' + esc(r.date.replace('T', ' ').slice(0, 19)) + '</td>' +
        '<td><span class="status ' + esc(r.status.state) + '">' + esc(r.status.text) + '</span>' + bar + '</td></tr>';
    }).join('');
    // When the page first listed runs and first drew a view (ms since navigation; scripts/view-fixture.ts reads them).
    if (!document.documentElement.hasAttribute('data-runs-listed-ms')) document.documentElement.setAttribute('data-runs-listed-ms', String(Math.round(performance.now())));
    if (rows.length === 0) body.innerHTML = '<tr><td colspan="8" class="hint">' + (state.runs.length ? 'No run matches the filter.' : 'No runs in this results folder yet; they appear here as soon as a command writes one.') + '</td></tr>';
  }

  function renderTabs() {
    var counts = {};
    state.selected.forEach(function (n) {
      var r = runByName(n);
      if (!r) return;
      r.parts.forEach(function (p) { var v = p.kind === 'train' ? 'training' : p.kind; counts[v] = (counts[v] || 0) + 1; });
    });
    $('tabs').innerHTML = C.views.concat(EXTRA_TABS).map(function (v) {
      return '<button type="button" data-view="' + v.id + '" class="' + (v.id === state.view ? 'active' : '') + '">' + esc(v.title) +
        (counts[v.id] ? '<span class="count">' + counts[v.id] + '</span>' : '') + '</button>';
    }).join('');
  }

  function renderModels() {
    var chips = [];
    state.selected.forEach(function (n) {
      var r = runByName(n);
      if (!r) return;
      r.models.forEach(function (m) {
        var key = n + '::' + m;
        chips.push('<label><input type="checkbox" data-key="' + esc(key) + '"' + (state.hidden.indexOf(key) >= 0 ? '' : ' checked') + '> ' + esc(state.selected.length > 1 ? n + ' · ' + m : m) + '</label>');
      });
    });
    $('models').innerHTML = chips.join('');
  }

  // ---- the view ----
  function figureWidth(fig) {
    var avail = Math.max(480, $('view').clientWidth - 8);
    var w = typeof fig.layout.width === 'number' ? fig.layout.width : 820;
    return Math.min(w, avail);
  }
  function drawFigures(figures) {
    var view = $('view');
    var keep = {};
    figures.forEach(function (fig, i) {
      keep[fig.name] = true;
      var div = view.querySelector('div.figure[data-name="' + CSS.escape(fig.name) + '"]');
      if (!div) {
        div = document.createElement('div');
        div.className = 'figure';
        div.setAttribute('data-name', fig.name);
      }
      var at = view.children[i];
      if (at !== div) view.insertBefore(div, at || null);
      var layout = Object.assign({}, fig.layout, { width: figureWidth(fig) });
      div.__vitscopeFigure = fig;
      Plotly.react(div, fig.data, layout, { displaylogo: false, responsive: false, toImageButtonOptions: { filename: fig.name, format: 'png', scale: 2 } });
    });
    Array.prototype.slice.call(view.querySelectorAll('div.figure')).forEach(function (d) {
      if (!keep[d.getAttribute('data-name')]) { Plotly.purge(d); d.remove(); }
    });
  }
  function clearView(html) {
    Array.prototype.slice.call($('view').querySelectorAll('div.figure')).forEach(function (d) { Plotly.purge(d); });
    $('view').innerHTML = html || '';
  }
  function setNotes(notes) {
    $('notes').innerHTML = notes.map(function (n) { return '<p>' + esc(n) + '</p>'; }).join('');
  }

  function refreshView() {
    state.shownSignature = selectedSignature();
    var token = ++state.loading;
    renderTabs();
    renderModels();
    // Export is for figure views (key numbers and files are tables and links).
    document.querySelector('.toolbar.export').style.display = isFigureView() ? '' : 'none';
    $('export-html').setAttribute('href', '/export.html?' + query({ view: isFigureView() ? state.view : 'hessian' }));
    $('view').setAttribute('data-state', 'loading');
    if (state.selected.length === 0) {
      clearView('<p class="hint">Select one or more runs above (the check boxes) to draw their analyses on shared axes.</p>');
      setNotes([]);
      $('view').setAttribute('data-state', 'ready');
      return Promise.resolve();
    }
    var done = function () {
      if (token !== state.loading) return;
      $('view').setAttribute('data-state', 'ready');
      if (!document.documentElement.hasAttribute('data-view-ready-ms')) document.documentElement.setAttribute('data-view-ready-ms', String(Math.round(performance.now())));
    };
    var fail = function (err) { if (token === state.loading) { setNotes([String(err.message || err)]); done(); } };
    if (state.view === 'keys') {
      return getJson('/api/summary?' + query()).then(function (j) {
        if (token !== state.loading) return;
        setNotes([]);
        clearView(j.rows.length ? '<table class="keys"><colgroup><col style="width:16%"><col style="width:22%"><col style="width:16%"><col style="width:23%"><col style="width:23%"></colgroup><thead><tr><th>run</th><th>quantity</th><th>model</th><th>this run</th><th>paper (≈)</th></tr></thead><tbody>' +
          j.rows.map(function (r) { return '<tr><td>' + esc(r.run) + '</td><td>' + esc(r.quantity) + '</td><td>' + esc(r.model) + '</td><td>' + esc(r.ours) + '</td><td>' + esc(r.paper) + '</td></tr>'; }).join('') +
          '</tbody></table><p class="hint">Paper values: Park &amp; Kim 2022 (CIFAR-100 unless marked), read off its figures.</p>' : '<p class="hint">No key numbers in the selected runs yet.</p>');
        done();
      }, fail);
    }
    if (state.view === 'files') {
      return getJson('/api/files?' + query()).then(function (j) {
        if (token !== state.loading) return;
        setNotes([]);
        clearView(j.runs.map(function (r) {
          return '<h3>' + esc(r.run) + '</h3><ul class="files">' + r.files.map(function (f) {
            return '<li><a href="/files/' + f.path.split('/').map(encodeURIComponent).join('/') + '" target="_blank" rel="noopener">' + esc(f.path.slice(r.run.length + 1)) + '</a><span class="size">' + fmtSize(f.size) + '</span></li>';
          }).join('') + '</ul>' + (r.truncated ? '<p class="hint">(more files not listed)</p>' : '');
        }).join(''));
        done();
      }, fail);
    }
    return Promise.all([getJson('/api/view?' + query({ view: state.view })), plotlyReady]).then(function (both) {
      var j = both[0];
      if (token !== state.loading) return;
      if (!$('view').querySelector('div.figure')) clearView();
      setNotes(j.notes);
      drawFigures(j.figures);
      if (j.figures.length === 0) clearView('<p class="hint">Nothing to draw for the selected runs in this view.</p>');
      done();
    }, fail);
  }
  function isFigureView() {
    return C.views.some(function (v) { return v.id === state.view; });
  }
  function fmtSize(n) {
    return n >= 1048576 ? (n / 1048576).toFixed(1) + ' MB' : n >= 1024 ? (n / 1024).toFixed(1) + ' kB' : n + ' B';
  }

  // ---- live updates ----
  function poll() {
    return getJson('/api/runs').then(function (j) {
      state.runs = j.runs;
      $('live').textContent = 'live · ' + j.runs.length + ' run(s) · updated ' + new Date().toLocaleTimeString();
      $('live').className = 'live';
      renderRuns();
      if (selectedSignature() !== state.shownSignature) return refreshView();
    }, function (err) {
      $('live').textContent = 'server not reachable (' + String(err.message || err).slice(0, 60) + ')';
      $('live').className = 'live stale';
    });
  }
  function loop() {
    poll().then(function () { setTimeout(loop, C.pollMs); }, function () { setTimeout(loop, C.pollMs); });
  }

  // ---- events ----
  $('runs').addEventListener('change', function (e) {
    var tr = e.target.closest('tr');
    if (!tr || !tr.hasAttribute('data-run')) return;
    var name = tr.getAttribute('data-run');
    var i = state.selected.indexOf(name);
    if (e.target.checked && i < 0) state.selected.push(name);
    if (!e.target.checked && i >= 0) state.selected.splice(i, 1);
    writeHash();
    renderRuns();
    refreshView();
  });
  $('tabs').addEventListener('click', function (e) {
    var b = e.target.closest('button');
    if (!b) return;
    state.view = b.getAttribute('data-view');
    writeHash();
    clearView();
    refreshView();
  });
  $('models').addEventListener('change', function (e) {
    var key = e.target.getAttribute('data-key');
    if (!key) return;
    state.hidden = state.hidden.filter(function (h) { return h !== key; });
    if (!e.target.checked) state.hidden.push(key);
    writeHash();
    refreshView();
  });
  $('filter').addEventListener('input', function (e) { state.filter = e.target.value; renderRuns(); });
  $('clear').addEventListener('click', function () { state.selected = []; state.hidden = []; writeHash(); renderRuns(); refreshView(); });
  ['png', 'svg'].forEach(function (format) {
    $('export-' + format).addEventListener('click', function () {
      var divs = Array.prototype.slice.call($('view').querySelectorAll('div.figure'));
      divs.reduce(function (p, d) {
        var fig = d.__vitscopeFigure;
        var w = typeof fig.layout.width === 'number' ? fig.layout.width : 820, h = typeof fig.layout.height === 'number' ? fig.layout.height : 500;
        return p.then(function () { return Plotly.downloadImage(d, { format: format, filename: fig.name, width: w, height: h, scale: format === 'png' ? 2 : 1 }); });
      }, Promise.resolve());
    });
  });
  window.addEventListener('hashchange', function () { readHash(); renderRuns(); refreshView(); });

  readHash();
  poll().then(function () {
    if (!location.hash && state.runs.length) {
      var first = state.runs.filter(function (r) { return r.status.state !== 'empty'; })[0];
      if (first) {
        state.selected = [first.name];
        var kind = first.parts[0] && first.parts[0].kind;
        state.view = kind === 'train' ? 'training' : kind || 'hessian';
        writeHash();
        renderRuns();
      }
    }
    // The first poll drew the view unless the default selection above changed it.
    if (selectedSignature() !== state.shownSignature) return refreshView();
  }).then(function () { setTimeout(loop, C.pollMs); });
})();
