/* Evidence search box: queries the search API, shows results, logs clicks and evidence choices. */
(function () {
  "use strict";
  if (window.truthcrowdSearchLoaded) return; // the box may be included once per statement
  window.truthcrowdSearchLoaded = true;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text; // never innerHTML: results are untrusted text
    return node;
  }

  function post(box, url, fields) {
    var body = new FormData();
    Object.keys(fields).forEach(function (key) { body.append(key, fields[key]); });
    body.append("statement", box.dataset.statement);
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      keepalive: true, // a click log should survive the tab switch it causes
      headers: { "X-CSRFToken": box.dataset.csrf },
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) throw new Error(data.error || "The request failed. Please try again.");
        return data;
      });
    });
  }

  function SearchBox(box) {
    this.box = box;
    this.input = box.querySelector("[data-search-input]");
    this.status = box.querySelector("[data-search-status]");
    this.list = box.querySelector("[data-search-results]");
    this.pager = box.querySelector("[data-search-pager]");
    this.prev = box.querySelector("[data-search-prev]");
    this.next = box.querySelector("[data-search-next]");
    this.pageLabel = box.querySelector("[data-search-page-label]");
    this.chosen = box.querySelector("[data-search-chosen]");
    this.query = "";
    this.page = 1;
    var self = this;
    box.querySelector("[data-search-submit]").addEventListener("click", function () {
      self.search(self.input.value, 1);
    });
    // Enter must search, not submit the statement form the box sits in.
    this.input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        self.search(self.input.value, 1);
      }
    });
    this.prev.addEventListener("click", function () { self.search(self.query, self.page - 1); });
    this.next.addEventListener("click", function () { self.search(self.query, self.page + 1); });
  }

  SearchBox.prototype.say = function (message, isError) {
    this.status.textContent = message;
    this.status.classList.toggle("search-box__status--error", !!isError);
  };

  SearchBox.prototype.search = function (query, page) {
    var self = this;
    query = (query || "").trim();
    if (!query) {
      this.say("Type something to search for.", true);
      this.input.focus();
      return;
    }
    var params = new URLSearchParams({ statement: this.box.dataset.statement, q: query, page: page });
    this.say("Searching…");
    this.box.setAttribute("aria-busy", "true");
    fetch(this.box.dataset.queryUrl + "?" + params.toString(), { credentials: "same-origin" })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (!response.ok) throw new Error(data.error || "Search failed. Please try again.");
          return data;
        });
      })
      .then(function (data) {
        self.query = query;
        self.page = data.page;
        self.render(data);
      })
      .catch(function (error) { self.say(error.message, true); })
      .finally(function () { self.box.removeAttribute("aria-busy"); });
  };

  SearchBox.prototype.render = function (data) {
    var self = this;
    this.list.textContent = "";
    data.results.forEach(function (result) { self.list.appendChild(self.item(result, data.query_id)); });
    this.list.start = data.results.length ? data.results[0].rank : 1;
    var message = data.results.length ? data.results.length + " results, page " + data.page + "." : "No results on this page.";
    if (data.blocked_count) {
      message += " " + data.blocked_count + " result(s) from hidden fact-checking sites were removed.";
    }
    this.say(message, false);
    this.pager.hidden = data.page <= 1 && !data.has_next;
    this.prev.disabled = data.page <= 1;
    this.next.disabled = !data.has_next;
    this.pageLabel.textContent = "Page " + data.page;
  };

  SearchBox.prototype.item = function (result, queryId) {
    var self = this;
    var li = el("li", "search-result");
    var link = el("a", "search-result__title", result.title);
    link.href = result.url;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    var logClick = function () {
      post(self.box, self.box.dataset.clickUrl, { query_id: queryId, rank: result.rank, url: result.url })
        .catch(function () { /* a lost click log must not disturb the worker */ });
    };
    link.addEventListener("click", logClick);
    link.addEventListener("auxclick", function (event) { if (event.button === 1) logClick(); });
    var heading = el("h4", "search-result__heading");
    heading.appendChild(link);
    li.appendChild(heading);
    li.appendChild(el("p", "search-result__domain", result.domain));
    li.appendChild(el("p", "search-result__snippet", result.snippet));
    var use = el("button", "search-result__use", "Use as evidence");
    use.type = "button";
    use.setAttribute("aria-label", "Use as evidence: " + result.title);
    use.addEventListener("click", function () { self.choose(result.url, use); });
    li.appendChild(use);
    return li;
  };

  SearchBox.prototype.choose = function (url, button) {
    var self = this;
    button.disabled = true;
    post(this.box, this.box.dataset.selectUrl, { url: url })
      .then(function () {
        var form = self.box.closest("form");
        var input = form && form.querySelector("[data-evidence-input]");
        if (input) {
          input.value = url;
          input.dispatchEvent(new Event("input", { bubbles: true }));
          input.dispatchEvent(new Event("change", { bubbles: true }));
        }
        self.chosen.textContent = "Evidence chosen: " + url;
      })
      .catch(function (error) { self.say(error.message, true); })
      .finally(function () { button.disabled = false; });
  };

  function init() {
    document.querySelectorAll("[data-search-box]").forEach(function (box) {
      if (!box.searchBox) box.searchBox = new SearchBox(box);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
