/* The comment moderation widget: one tag on any page of a registered site renders the
 * article's approved comments, the reader's own comments awaiting moderation, "Reply" and the
 * "Leave a Reply" form, talking to the moderation API cross-origin (CORS, only from the origins
 * the site registered):
 *
 *   <script src="https://moderation.example/widget.js" data-site="example-news"
 *           data-article="42" async></script>
 *
 * Optional: data-title and data-url (the article's, sent with its first comment; default the
 * page's), data-target="#comments" (render into that element instead of after the tag).
 * The API's origin is the one this script was loaded from.
 *
 * Comment text and names are the public's: they only ever reach the page as textContent, never
 * as markup. Styles (/widget.css, linked first in the page's <head>) are prefixed (.mcw-) and
 * carry no specificity (:where), so a site's own rules win. The reader token the API gives with
 * the first comment is kept in localStorage and sent back as X-Reader-Token, so the author sees
 * their comment while it waits.
 *
 * Posting and the errors by the fields come from submit.js, which the article page loads too:
 * /widget.js is that file and this one in one script, not a second <script> this one adds, as
 * a page requiring Trusted Types refuses a script URL set from a string.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script) {
    var candidates = document.querySelectorAll("script[data-site][data-article]:not([data-mcw])");
    script = candidates[0] || null;
  }
  if (!script || script.dataset.mcw) return;
  script.dataset.mcw = "started";
  if (!window.fetch || !window.URL || !window.Promise) return;
  // Posting and the errors by the fields are submit.js's, shared with the article page: the
  // service serves /widget.js as submit.js and this file in one script (moderation/web/views.py),
  // so it is only ever missing when this file is loaded alone.
  if (typeof moderationSubmit === "undefined") {
    console.error("moderation widget: load /widget.js, not the bare static file");
    return;
  }

  var site = script.dataset.site;
  var articleId = script.dataset.article;
  if (!site || !articleId) {
    console.error("moderation widget: data-site and data-article are required");
    return;
  }
  var api = new URL(script.src, location.href).origin;
  var count = (window.__mcwCount = (window.__mcwCount || 0) + 1);
  var uid = "mcw" + count + "-";

  // Replies nest at most this deep (moderation/domain/schemas.py MAX_REPLY_DEPTH): the
  // deepest comments take no replies, and the API refuses one with a 422.
  var MAX_REPLY_DEPTH = 8;
  var PAGE_SIZE = 50;
  var TOKEN_KEY = "mcw-reader:" + api + ":" + site;

  function addStyle() {
    if (document.getElementById("mcw-style")) return;
    // A stylesheet from our origin rather than a <style> element: a page with a strict
    // Content-Security-Policy refuses inline styles, and lets this in when its style-src
    // names our origin (as the README says).
    var link = document.createElement("link");
    link.id = "mcw-style";
    link.rel = "stylesheet";
    link.href = api + "/widget.css";
    // First in <head>: the site's own stylesheets come later and win.
    var head = document.head || document.documentElement;
    head.insertBefore(link, head.firstChild);
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // What the author is told of their appeal, as the article page words it.
  var APPEAL_WORDS = {
    open: "Received; a person who did not take the decision will review it.",
    upheld: "Reviewed: the decision stands.",
    // Still removed after a reinstatement: retention had deleted the text before the review.
    reinstated: "Accepted: the decision was reversed, but the comment's text had already " +
      "been deleted under the site's retention rules, so it cannot be published again."
  };

  // The statement of reasons of the reader's own removed comment (DSA Art. 17): text nodes
  // only, as everything the widget writes.
  function statementNode(s) {
    var list = el("dl", "mcw-statement");
    var by = s.decided_by === "policy" ? " by the site's automated moderation" : " by a moderator";
    var law = s.ground.law ? " (" + s.ground.law + ")" : "";
    var rows = [
      ["Decision", "Your comment was " + s.decision + by + "."],
      ["Ground", s.ground.title + law],
      ["Facts", s.facts],
      ["Automated means", "Detected " + (s.automated_detection ? "automatically" : "by a person") +
        "; decided " + (s.automated_decision ? "automatically" : "by a person") + "."],
      ["Redress", s.redress]
    ];
    if (s.appeal_status) rows.push(["Your appeal", APPEAL_WORDS[s.appeal_status] || ""]);
    rows.forEach(function (row) {
      list.appendChild(el("dt", null, row[0]));
      list.appendChild(el("dd", null, row[1]));
    });
    var last = list.lastChild;
    if (s.appeal_status) {
      last.className = "mcw-appeal";
      last.dataset.status = s.appeal_status;
      if (s.appeal_note) last.append(" ", el("q", null, s.appeal_note));
    }
    // The appeal page is on our origin, in a new tab like the notice form: the author's
    // explanation is typed there, never into the site's page.
    var link = appealLink(s.appeal, s.appeal_status ? "Your appeal" : "Appeal this decision");
    if (link) last.append(" ", link);
    return list;
  }

  function appealLink(address, words) {
    if (!address) return null;
    // A link from the API is absolute; a path (a deployment without its public address) is
    // on the API's origin. Nothing but http(s) becomes a link.
    var href = address.charAt(0) === "/" ? api + address : address;
    if (!isWebAddress(href)) return null;
    var link = el("a", "mcw-link mcw-appeal-link", words);
    link.href = href;
    link.target = "_blank";
    link.rel = "noopener";
    return link;
  }

  function readToken() {
    try { return window.localStorage.getItem(TOKEN_KEY); } catch (error) { return null; }
  }

  function keepToken(token) {
    if (!token) return;
    try { window.localStorage.setItem(TOKEN_KEY, token); } catch (error) { /* storage blocked */ }
  }

  function withSite(url) {
    // CORS is decided per site, named by ?site= on every call.
    return url + (url.indexOf("?") < 0 ? "?" : "&") + "site=" + encodeURIComponent(site);
  }

  function headers(extra) {
    var result = { Accept: "application/json" };
    var token = readToken();
    if (token) result["X-Reader-Token"] = token;
    for (var key in extra) result[key] = extra[key];
    return result;
  }

  // ---- the skeleton ---------------------------------------------------------------------

  addStyle();
  var root = el("section", "mcw");
  root.setAttribute("aria-labelledby", uid + "title");
  var title = el("h2", "mcw-title", "Comments");
  title.id = uid + "title";
  var live = el("p", "mcw-visually-hidden");
  live.setAttribute("role", "status");
  live.setAttribute("aria-live", "polite");
  var notices = el("div", "mcw-notices");
  var thread = el("ol", "mcw-thread");
  var empty = el("p", "mcw-empty", "No comments yet.");
  empty.hidden = true;
  var more = el("button", "mcw-link mcw-more", "More comments");
  more.type = "button";
  more.hidden = true;
  var failure = el("p", "mcw-failure");
  failure.hidden = true;
  root.append(title, live, notices, thread, empty, more, failure);

  var formBox = el("section", "mcw-reply-form");
  formBox.setAttribute("aria-labelledby", uid + "reply-title");
  var replyTitle = el("h2", "mcw-reply-title", "Leave a Reply");
  replyTitle.id = uid + "reply-title";
  var cancel = el("button", "mcw-link mcw-cancel", "Cancel reply");
  cancel.type = "button";
  cancel.hidden = true;
  var note = el("p", "mcw-note", "Your email address will not be published. Required fields are marked ");
  var star = el("span", null, "*");
  star.setAttribute("aria-hidden", "true");
  note.append(star, el("span", "mcw-visually-hidden", "with an asterisk"), ".");
  var summary = el("div", "mcw-errors");
  summary.setAttribute("role", "alert");
  summary.tabIndex = -1;
  summary.hidden = true;
  var form = el("form", "mcw-form");
  form.noValidate = true;
  var inputs = {};

  function field(name, label, type, required) {
    var wrapper = el("p", "mcw-field");
    var input = type === "textarea" ? el("textarea") : el("input");
    input.id = uid + name;
    input.name = name;
    if (type === "textarea") input.rows = 6;
    else input.type = type;
    var labelNode = el("label", null, label);
    labelNode.htmlFor = input.id;
    if (required) {
      var mark = el("span", null, " *");
      mark.setAttribute("aria-hidden", "true");
      labelNode.appendChild(mark);
      input.required = true;
      input.setAttribute("aria-required", "true");
    }
    wrapper.append(labelNode, input);
    if (name === "author_email") {
      var hint = el("span", "mcw-hint", "Never published.");
      hint.id = uid + "email-note";
      input.setAttribute("aria-describedby", hint.id);
      wrapper.appendChild(hint);
    }
    inputs[name] = input;
    form.appendChild(wrapper);
  }

  field("body", "Comment", "textarea", true);
  inputs.body.maxLength = 5000;
  field("author_name", "Name", "text", true);
  inputs.author_name.maxLength = 100;
  inputs.author_name.autocomplete = "name";
  field("author_email", "Email", "email", true);
  inputs.author_email.autocomplete = "email";
  field("author_url", "Website", "url", false);
  inputs.author_url.autocomplete = "url";
  var actions = el("p", "mcw-actions");
  var submit = el("button", "mcw-submit", "Post Comment");
  submit.type = "submit";
  actions.appendChild(submit);
  form.appendChild(actions);
  formBox.append(replyTitle, cancel, note, summary, form);
  root.appendChild(formBox);
  var errors = moderationSubmit.fieldErrors({ form: form, summary: summary, prefix: "mcw-", idPrefix: uid });
  var formHome = document.createComment("mcw reply form");
  root.insertBefore(formHome, formBox);

  var target = script.dataset.target ? document.querySelector(script.dataset.target) : null;
  if (target) target.appendChild(root);
  else script.insertAdjacentElement("afterend", root);

  function announce(text) {
    live.textContent = "";
    window.setTimeout(function () { live.textContent = text; }, 60);
  }

  // ---- comments -------------------------------------------------------------------------

  function formatTime(value) {
    var date = new Date(value);
    return isNaN(date) ? "" : date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  }

  function setBody(container, text) {
    container.replaceChildren();
    String(text).split("\n").forEach(function (line) {
      container.appendChild(el("p", null, line));
    });
  }

  function isWebAddress(value) {
    try {
      var url = new URL(value);
      return url.protocol === "http:" || url.protocol === "https:";
    } catch (error) {
      return false;
    }
  }

  function replyButton(comment) {
    var button = el("button", "mcw-link mcw-reply", "Reply");
    button.type = "button";
    button.dataset.parent = String(comment.id);
    button.setAttribute("aria-describedby", uid + "author-" + comment.id);
    return button;
  }

  // A notice of illegal content (DSA Art. 16) is filed on the service's own page, in a new
  // tab: the notifier's name and email are typed on our origin, never into the site's page.
  function reportLink(comment) {
    var link = el("a", "mcw-link mcw-report", "Report illegal content");
    link.href = api + "/notices/new?comment=" + encodeURIComponent(comment.id);
    link.target = "_blank";
    link.rel = "noopener nofollow";
    link.setAttribute("aria-describedby", uid + "author-" + comment.id);
    return link;
  }

  // followStatus: a pending comment from the list is followed from here; one just posted is
  // followed with the status URL its answer gave.
  function commentNode(comment, followStatus, depth) {
    var li = el("li", "mcw-comment" + (comment.pending ? " mcw-pending" : ""));
    li.id = uid + "comment-" + comment.id;
    li.dataset.id = String(comment.id);
    li.dataset.depth = String(depth);
    var article = el("article");
    article.tabIndex = -1;
    article.setAttribute("aria-labelledby", uid + "author-" + comment.id);
    var header = el("header");
    var author = el("strong", "mcw-author");
    author.id = uid + "author-" + comment.id;
    if (comment.author_url && isWebAddress(comment.author_url)) {
      var link = el("a", null, comment.author_name);
      link.href = comment.author_url;
      link.rel = "nofollow ugc noopener";
      author.appendChild(link);
    } else {
      author.textContent = comment.author_name;
    }
    var time = el("time", null, formatTime(comment.created_at));
    time.dateTime = comment.created_at;
    header.append(author, " ", time);
    article.appendChild(header);
    if (comment.pending) {
      var status = el("p", "mcw-status", "Your comment is awaiting moderation. Only you can see it.");
      status.dataset.status = "pending";
      article.appendChild(status);
    }
    // dir="auto" isolates a name's and a text's direction: bidirectional controls in them
    // cannot turn the text around them.
    author.dir = "auto";
    var body = el("div", "mcw-body");
    body.dir = "auto";
    setBody(body, comment.body);
    article.appendChild(body);
    if (!comment.pending && depth < MAX_REPLY_DEPTH) article.appendChild(replyButton(comment));
    if (!comment.pending) article.appendChild(reportLink(comment));
    li.appendChild(article);
    if (comment.replies && comment.replies.length) {
      var replies = el("ol", "mcw-replies");
      // The API shows replies deeper than the limit flat, at the deepest level.
      var next = Math.min(depth + 1, MAX_REPLY_DEPTH);
      comment.replies.forEach(function (reply) { replies.appendChild(commentNode(reply, true, next)); });
      li.appendChild(replies);
    }
    if (comment.pending && followStatus) follow(li, withSite(api + "/api/v1/comments/" + encodeURIComponent(comment.id)));
    return li;
  }

  function published(li, view) {
    li.classList.remove("mcw-pending");
    var article = li.querySelector("article");
    var status = article.querySelector(".mcw-status");
    if (status) {
      status.dataset.status = "approved";
      status.textContent = "Your comment is published.";
    }
    if (view.comment) setBody(article.querySelector(".mcw-body"), view.comment.body);
    if (!article.querySelector(".mcw-reply") && Number(li.dataset.depth) < MAX_REPLY_DEPTH) {
      article.appendChild(replyButton({ id: view.id }));
    }
    if (!article.querySelector(".mcw-report")) article.appendChild(reportLink({ id: view.id }));
    announce("Your comment is published.");
  }

  function notPublished(li) {
    li.classList.remove("mcw-pending");
    li.querySelector("article").replaceChildren(el("p", "mcw-notice", "Your comment was not published."));
    announce("Your comment was not published.");
  }

  async function follow(li, url) {
    var view = await moderationSubmit.decided(url, { credentials: "omit" });
    if (view === null) return;
    if (view.status === "approved") published(li, view);
    else notPublished(li);
  }

  var nextCursor = null;

  async function load(cursor) {
    var url = api + "/api/v1/articles/" + encodeURIComponent(articleId) + "/comments?site=" +
      encodeURIComponent(site) + "&limit=" + PAGE_SIZE + (cursor ? "&cursor=" + encodeURIComponent(cursor) : "");
    var page;
    try {
      var answer = await fetch(url, { headers: headers({}), credentials: "omit" });
      if (!answer.ok) throw new Error("HTTP " + answer.status);
      page = await answer.json();
    } catch (error) {
      // A refused CORS call cannot be told apart from a network error: say both.
      console.error(
        "moderation widget: cannot load the comments (" + error + "). Is " + location.origin +
        " registered for site \"" + site + "\" (moderation sites update " + site +
        " --add-origin " + location.origin + ")?"
      );
      if (!cursor) {
        failure.textContent = "Comments are not available right now.";
        failure.hidden = false;
        formBox.hidden = true;
      }
      return;
    }
    (page.not_published || []).forEach(function (gone) {
      var notice = el("div", "mcw-notice");
      notice.appendChild(el("p", null, "Your comment of " + formatTime(gone.created_at) + " was not published."));
      if (gone.statement) notice.appendChild(statementNode(gone.statement));
      notices.appendChild(notice);
    });
    page.comments.forEach(function (comment) { thread.appendChild(commentNode(comment, true, 0)); });
    empty.hidden = thread.children.length > 0;
    nextCursor = page.next_cursor;
    more.hidden = !nextCursor;
    root.dataset.state = "loaded";
  }

  more.addEventListener("click", function () {
    if (nextCursor) load(nextCursor);
  });

  // ---- Reply ----------------------------------------------------------------------------

  var parentId = null;
  var openedBy = null;

  function replyTo(button) {
    var li = button.closest(".mcw-comment");
    li.querySelector("article").insertAdjacentElement("afterend", formBox);
    parentId = Number(button.dataset.parent);
    var author = li.querySelector(".mcw-author");
    replyTitle.textContent = "Reply to " + (author ? author.textContent : "this comment");
    cancel.hidden = false;
    openedBy = button;
    inputs.body.focus();
  }

  function cancelReply(restoreFocus) {
    formHome.parentNode.insertBefore(formBox, formHome.nextSibling);
    parentId = null;
    replyTitle.textContent = "Leave a Reply";
    cancel.hidden = true;
    if (restoreFocus && openedBy && root.contains(openedBy)) openedBy.focus();
    openedBy = null;
  }

  root.addEventListener("click", function (event) {
    var button = event.target.closest(".mcw-reply");
    if (button && root.contains(button)) replyTo(button);
  });
  cancel.addEventListener("click", function () { cancelReply(true); });
  formBox.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && parentId !== null) cancelReply(true);
  });

  // ---- posting --------------------------------------------------------------------------

  function articleUrl() {
    var given = script.dataset.url || location.href.split("#")[0];
    return isWebAddress(given) ? given : null;
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    var data = {
      site_id: site,
      article_id: articleId,
      article_url: articleUrl(),
      article_title: (script.dataset.title || document.title || "").slice(0, 300) || null,
      parent_id: parentId,
      author_name: inputs.author_name.value,
      author_email: inputs.author_email.value,
      author_url: inputs.author_url.value,
      body: inputs.body.value,
    };
    var payload = await moderationSubmit.post(withSite(api + "/api/v1/comments"), data, {
      button: submit,
      errors: errors,
      headers: headers({}),
      credentials: "omit",
    });
    if (!payload) return;
    keepToken(payload.reader_token);
    var parent = parentId === null ? null : document.getElementById(uid + "comment-" + parentId);
    var li = commentNode({
      id: payload.id,
      author_name: data.author_name.trim(),
      author_url: null,
      body: data.body,
      created_at: new Date().toISOString(),
      pending: true,
    }, false, parent ? Number(parent.dataset.depth) + 1 : 0);
    var article = li.querySelector("article");
    var list = thread;
    if (parent) {
      list = parent.querySelector(":scope > .mcw-replies");
      if (!list) {
        list = el("ol", "mcw-replies");
        parent.appendChild(list);
      }
      cancelReply(false);
    }
    list.appendChild(li);
    empty.hidden = true;
    inputs.body.value = "";
    article.focus();
    announce("Thank you. Your comment is awaiting moderation.");
    follow(li, withSite(payload.status_url));
  });

  load(null);
})();
