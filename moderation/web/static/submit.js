// Posting a comment and showing the API's errors next to their fields, written once for the
// two forms that do it: the article page's (loaded as /static/submit.js before article.js) and
// the widget's (the service serves /widget.js as this file and widget.js in one script, so the
// one tag a site embeds keeps loading everything; see moderation/web/views.py).
//
// A top-level `var` and nothing else: on the article page it is the global article.js reads;
// in /widget.js both files are wrapped in one function, so a site's page gets no global.
var moderationSubmit = (function () {
  "use strict";

  var LABELS = { body: "Comment", author_name: "Name", author_email: "Email", author_url: "Website" };
  var ORDER = ["body", "author_name", "author_email", "author_url"];

  // The API's wording ("author_email must not be empty") in the form's ("Email must not be
  // empty"): a reader knows the label, not the field's name (as views.reader_message does for
  // the page without JavaScript).
  function readerWords(problem) {
    var label = LABELS[problem.field];
    var message = problem.message || "";
    if (label && message.indexOf(problem.field + " ") === 0) {
      return label + message.slice(problem.field.length);
    }
    return message;
  }

  // ---- errors next to their fields -------------------------------------------------------

  // options: form (its inputs are named as the API's fields), summary (the role=alert box),
  // prefix (of the classes: "" on our page, "mcw-" in the widget) and idPrefix (of the error
  // ids: the widget's differ per instance, so two widgets on a page do not share them).
  function fieldErrors(options) {
    var form = options.form;
    var summary = options.summary;
    var prefix = options.prefix || "";
    var idPrefix = options.idPrefix || "";

    function clear() {
      ORDER.forEach(function (name) {
        var input = form.elements[name];
        if (!input) return;
        var errorId = idPrefix + "error-" + name;
        var wrapper = input.closest("." + prefix + "field");
        if (wrapper) wrapper.classList.remove(prefix + "invalid");
        input.removeAttribute("aria-invalid");
        var described = (input.getAttribute("aria-describedby") || "")
          .split(/\s+/).filter(function (id) { return id && id !== errorId; });
        if (described.length) input.setAttribute("aria-describedby", described.join(" "));
        else input.removeAttribute("aria-describedby");
        // Also the one the server rendered after a post without JavaScript.
        var old = document.getElementById(errorId);
        if (old) old.remove();
      });
      summary.replaceChildren();
      summary.hidden = true;
    }

    function show(problems) {
      clear();
      var byField = {};
      var others = [];
      problems.forEach(function (problem) {
        if (LABELS[problem.field] && form.elements[problem.field]) {
          if (!byField[problem.field]) byField[problem.field] = readerWords(problem);
        } else {
          others.push(readerWords(problem));
        }
      });
      var intro = document.createElement("p");
      intro.textContent = "Your comment was not sent. Please correct:";
      var list = document.createElement("ul");
      var first = null;
      ORDER.forEach(function (name) {
        if (!byField[name]) return;
        var input = form.elements[name];
        var error = document.createElement("span");
        error.className = prefix + "error";
        error.id = idPrefix + "error-" + name;
        error.textContent = byField[name];
        var wrapper = input.closest("." + prefix + "field");
        wrapper.classList.add(prefix + "invalid");
        wrapper.appendChild(error);
        input.setAttribute("aria-invalid", "true");
        var described = (input.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
        input.setAttribute("aria-describedby", [error.id].concat(described).join(" "));
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = "#" + input.id;
        link.textContent = byField[name];
        item.appendChild(link);
        list.appendChild(item);
        if (!first) first = input;
      });
      others.forEach(function (text) {
        var item = document.createElement("li");
        item.textContent = text;
        list.appendChild(item);
      });
      summary.append(intro, list);
      summary.hidden = false;
      (first || summary).focus();
    }

    return { show: show, clear: clear };
  }

  // ---- posting --------------------------------------------------------------------------

  // Posts data as JSON to url; the answer's payload when the API accepted it (202), after
  // clearing the errors; null when it did not, after showing why by the fields. options:
  // button (disabled while posting, so a second click posts nothing), errors (fieldErrors),
  // headers (added to the JSON ones) and credentials (fetch's: the page sends its cookie,
  // the widget on another origin sends none).
  async function post(url, data, options) {
    var button = options.button;
    var errors = options.errors;
    if (button.disabled) return null;
    var headers = { "Content-Type": "application/json", Accept: "application/json" };
    for (var key in options.headers) headers[key] = options.headers[key];
    button.disabled = true;
    var label = button.textContent;
    button.textContent = "Posting…";
    var answer = null;
    var payload = null;
    try {
      answer = await fetch(url, {
        method: "POST",
        headers: headers,
        body: JSON.stringify(data),
        credentials: options.credentials,
      });
      payload = await answer.json().catch(function () { return null; });
    } catch (error) {
      answer = null;
    } finally {
      button.disabled = false;
      button.textContent = label;
    }
    if (answer === null) {
      errors.show([{ field: "request", message: "Your comment could not be sent: no connection. Please try again." }]);
      return null;
    }
    if (answer.status !== 202 || !payload) {
      errors.show(payload && payload.fields && payload.fields.length
        ? payload.fields
        : [{ field: "request", message: (payload && payload.message) || "Your comment could not be sent (error " + answer.status + "). Please try again." }]);
      return null;
    }
    errors.clear();
    return payload;
  }

  // ---- following a comment until it is decided -------------------------------------------

  // Polled with a growing delay rather than a held-open stream: a worker usually decides in
  // a second; a comment held for a person may wait hours; a poll is one cheap row read.
  var FIRST_DELAY = 500;
  var MAX_DELAY = 30000;
  var FOLLOW_FOR = 30 * 60 * 1000;

  function sleep(ms) {
    return new Promise(function (resolve) { window.setTimeout(resolve, ms); });
  }

  // The comment's view once it is decided (status approved, spam or rejected), or null when it
  // is still waiting after FOLLOW_FOR. options.credentials: "omit" from the widget, whose
  // requests to the service must not carry the service's cookies.
  async function decided(url, options) {
    var delay = FIRST_DELAY;
    var until = Date.now() + FOLLOW_FOR;
    while (Date.now() < until) {
      await sleep(delay);
      delay = Math.min(delay * 1.6, MAX_DELAY);
      var view;
      try {
        var answer = await fetch(url, {
          headers: { Accept: "application/json" },
          credentials: (options && options.credentials) || "same-origin",
          cache: "no-store",
        });
        if (!answer.ok) continue;
        view = await answer.json();
      } catch (error) {
        continue; // offline for a moment: try again later
      }
      if (view.status === "queued" || view.status === "pending") continue;
      return view;
    }
    return null;
  }

  return { fieldErrors: fieldErrors, post: post, decided: decided };
})();
