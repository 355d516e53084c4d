/* summarize report: paging and filtering for the index, hover links on article pages, a filter for quotes.
   Vanilla JS, no network. Text is always set with textContent, never parsed as HTML. */
(function () {
  "use strict";
  var PAGE = 100;
  // Positions in each row of the index's embedded JSON (ROW_FIELDS in summarize/report_pages.py).
  var ID = 0, HREF = 1, TITLE = 2, DATE = 3, STATUS = 4, ERROR = 8, MESSAGE = 9, WRITTEN_BY = 10;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function readHash() {
    var state = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (part) {
      var i = part.indexOf("=");
      if (i > 0) state[decodeURIComponent(part.slice(0, i))] = decodeURIComponent(part.slice(i + 1));
    });
    return state;
  }

  function writeHash(state) {
    var parts = [];
    Object.keys(state).forEach(function (k) {
      if (state[k] !== "" && state[k] !== null && !(k === "page" && state[k] === 1) && !(k === "dir" && !state.sort)) {
        parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(state[k]));
      }
    });
    try { history.replaceState(null, "", parts.length ? "#" + parts.join("&") : location.pathname + location.search); }
    catch (e) { /* some browsers refuse history on file://; the page still works */ }
  }

  function rowNode(r) {
    var tr = el("tr", "st-" + r[STATUS]);
    var title = el("td", "title");
    if (r[HREF]) { var a = el("a", null, r[TITLE]); a.href = r[HREF]; title.appendChild(a); }
    else title.appendChild(el("span", null, r[TITLE]));
    if (r[TITLE] !== r[ID]) title.appendChild(el("div", "id", r[ID]));
    if (r[MESSAGE]) { var m = el("div", "msg", r[MESSAGE]); m.title = r[MESSAGE]; title.appendChild(m); }
    tr.appendChild(title);
    tr.appendChild(el("td", "date", r[DATE] || "—"));
    ["quotes", "events", "entities"].forEach(function (label, i) {
      var td = el("td", "num", r[5 + i] === null ? "" : r[5 + i]);
      td.setAttribute("data-label", label);
      tr.appendChild(td);
    });
    var status = el("td", "status");
    status.appendChild(el("span", "chip c-" + r[STATUS], r[STATUS]));
    if (r[ERROR] && r[STATUS] === "failed") { status.appendChild(document.createTextNode(" ")); status.appendChild(el("span", "err", r[ERROR])); }
    if (r[WRITTEN_BY]) status.appendChild(el("div", "by", r[WRITTEN_BY]));
    tr.appendChild(status);
    return tr;
  }

  function initIndex(rows) {
    var body = document.getElementById("rows"), pager = document.getElementById("pager");
    var filter = document.getElementById("filter"), statusSel = document.getElementById("status");
    var shown = document.getElementById("shown");
    var heads = document.querySelectorAll("#articles th[data-sort]");
    var hay = rows.map(function (r) { return [r[ID], r[TITLE], r[DATE], r[STATUS], r[ERROR], r[MESSAGE], r[WRITTEN_BY]].join("\u0001").toLowerCase(); });
    var h = readHash();
    var state = { q: h.q || "", status: h.status || "", sort: h.sort || "", dir: h.dir || "asc", page: parseInt(h.page, 10) || 1 };
    filter.value = state.q;
    statusSel.value = state.status;

    function compare(col, dir) {
      var sign = dir === "desc" ? -1 : 1;
      return function (a, b) {
        var x = rows[a][col], y = rows[b][col];
        if (x === y) return a - b;
        if (x === null || x === "") return 1;   // blanks last, whatever the direction
        if (y === null || y === "") return -1;
        if (typeof x === "number" && typeof y === "number") return sign * (x - y);
        return sign * String(x).localeCompare(String(y), undefined, { sensitivity: "base", numeric: true }) || a - b;
      };
    }

    function render() {
      var q = state.q.trim().toLowerCase(), words = q ? q.split(/\s+/) : [];
      var keep = [];
      for (var i = 0; i < rows.length; i++) {
        if (state.status && rows[i][STATUS] !== state.status) continue;
        var ok = true;
        for (var w = 0; w < words.length && ok; w++) ok = hay[i].indexOf(words[w]) !== -1;
        if (ok) keep.push(i);
      }
      if (state.sort) keep.sort(compare(parseInt(state.sort, 10), state.dir));
      var pages = Math.max(1, Math.ceil(keep.length / PAGE));
      state.page = Math.min(Math.max(1, state.page), pages);
      var from = (state.page - 1) * PAGE, to = Math.min(keep.length, from + PAGE);
      var frag = document.createDocumentFragment();
      for (var k = from; k < to; k++) frag.appendChild(rowNode(rows[keep[k]]));
      if (!keep.length) { var tr = el("tr"), td = el("td", "empty", "No article matches."); td.colSpan = 6; tr.appendChild(td); frag.appendChild(tr); }
      body.replaceChildren(frag);
      shown.textContent = keep.length ? (from + 1).toLocaleString() + "–" + to.toLocaleString() + " of " + keep.length.toLocaleString() +
        (keep.length < rows.length ? " (" + rows.length.toLocaleString() + " in all)" : "") : "0 of " + rows.length.toLocaleString();
      heads.forEach(function (th) {
        if (th.getAttribute("data-sort") === state.sort) th.setAttribute("aria-sort", state.dir === "desc" ? "descending" : "ascending");
        else th.removeAttribute("aria-sort");
      });
      renderPager(pages);
      writeHash(state);
    }

    function renderPager(pages) {
      pager.replaceChildren();
      if (pages <= 1) return;
      function button(label, page, current) {
        var b = el("button", null, label);
        b.type = "button";
        if (current) b.setAttribute("aria-current", "page");
        if (page < 1 || page > pages) b.disabled = true;
        else b.addEventListener("click", function () { state.page = page; render(); window.scrollTo(0, 0); });
        pager.appendChild(b);
      }
      button("‹ Prev", state.page - 1);
      var last = 0;
      for (var p = 1; p <= pages; p++) {
        if (p === 1 || p === pages || Math.abs(p - state.page) <= 2) {
          if (p - last > 1) pager.appendChild(el("span", "gap", "…"));
          button(String(p), p, p === state.page);
          last = p;
        }
      }
      button("Next ›", state.page + 1);
    }

    var timer = null;
    filter.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { state.q = filter.value; state.page = 1; render(); }, 120);
    });
    statusSel.addEventListener("change", function () { state.status = statusSel.value; state.page = 1; render(); });
    heads.forEach(function (th) {
      th.addEventListener("click", function () {
        var col = th.getAttribute("data-sort");
        state.dir = state.sort === col && state.dir === "asc" ? "desc" : "asc";
        state.sort = col; state.page = 1; render();
      });
    });
    render();
  }

  // Article pages: hovering a highlight lights up every piece of it and its side-panel entry, and back.
  function initArticle() {
    var lit = [];
    function light(refs) {
      lit.forEach(function (n) { n.classList.remove("lit"); });
      lit = [];
      refs.forEach(function (ref) {
        document.querySelectorAll('mark[data-refs~="' + ref + '"], .item[data-ref="' + ref + '"]').forEach(function (n) {
          n.classList.add("lit"); lit.push(n);
        });
      });
    }
    document.addEventListener("mouseover", function (e) {
      var t = e.target.closest ? e.target.closest("mark[data-refs], .item[data-ref]") : null;
      light(t ? (t.getAttribute("data-refs") || t.getAttribute("data-ref")).split(" ") : []);
    });
  }

  // Who said what: hide the quotes (and speakers) that do not match the filter.
  function initSpeakers(input) {
    var sections = Array.prototype.slice.call(document.querySelectorAll("section.speaker-card"));
    input.addEventListener("input", function () {
      var words = input.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      sections.forEach(function (s) {
        var name = s.querySelector("h2").textContent.toLowerCase() + " " + (s.querySelector(".aka") || { textContent: "" }).textContent.toLowerCase();
        var any = false;
        s.querySelectorAll("li.quote").forEach(function (li) {
          var text = name + " " + li.textContent.toLowerCase();
          var ok = words.every(function (w) { return text.indexOf(w) !== -1; });
          li.hidden = !ok; any = any || ok;
        });
        s.hidden = !any;
      });
    });
  }

  var data = document.getElementById("report-data");
  if (data) initIndex(JSON.parse(data.textContent));
  if (document.querySelector(".article-text")) initArticle();
  var speakerFilter = document.getElementById("speaker-filter");
  if (speakerFilter) initSpeakers(speakerFilter);
})();
