// The article page with JavaScript on: the "Leave a Reply" form posts in place (JSON), shows
// the API's errors next to their fields, inserts the new comment marked "awaiting moderation"
// and follows its status until it is published or not. "Reply" moves the form under a comment.
// Without JavaScript the same form is a plain post and every link a plain link. Posting and the
// errors by the fields are submit.js's, shared with the widget; without it (not loaded) the
// form stays a plain post too.
//
// Following the status polls the comment's status URL with a growing delay (0.5 s, then x1.6
// up to 30 s, for up to 30 minutes) rather than holding a server-sent-event stream: a worker
// usually decides within a second, so the first polls catch it; a comment held for a person
// may wait hours, which an open connection per author would hold a server slot for; and a
// poll is one indexed row read that passes every proxy and CDN unchanged.
(function () {
  "use strict";

  var form = document.querySelector("form.comment-form");
  if (!form || !window.fetch || !window.FormData || !window.moderationSubmit) return;

  var section = document.getElementById("reply");
  var heading = document.getElementById("reply-title");
  var errors = moderationSubmit.fieldErrors({
    form: form,
    summary: document.getElementById("form-errors"),
  });
  var live = document.getElementById("comment-live");
  var button = form.querySelector("button[type=submit]");
  var submitPath = new URL(form.getAttribute("action"), location.href).pathname;
  var home = document.createComment("reply form");
  section.parentNode.insertBefore(home, section);
  var openedBy = null;

  var cancel = document.createElement("button");
  cancel.type = "button";
  cancel.className = "cancel-reply";
  cancel.textContent = "Cancel reply";
  cancel.hidden = true;
  heading.insertAdjacentElement("afterend", cancel);
  var staticReplying = section.querySelector(".replying");

  function announce(text) {
    // Emptied first, so the same words twice are announced twice.
    live.textContent = "";
    window.setTimeout(function () { live.textContent = text; }, 60);
  }

  // ---- a comment in the thread ----------------------------------------------------------

  function formatTime(date) {
    return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  }

  function setBody(container, text) {
    container.replaceChildren();
    String(text).split("\n").forEach(function (line) {
      var p = document.createElement("p");
      p.textContent = line;
      container.appendChild(p);
    });
  }

  function replyLink(id) {
    var link = document.createElement("a");
    link.className = "reply";
    var target = new URL(location.href); // keeps ?site=
    target.searchParams.delete("comment");
    target.searchParams.set("reply_to", String(id));
    target.hash = "reply";
    link.href = target.search + target.hash;
    link.dataset.parent = String(id);
    link.setAttribute("aria-describedby", "author-" + id);
    link.textContent = "Reply";
    return link;
  }

  function ownComment(id, data) {
    var li = document.createElement("li");
    li.className = "comment pending";
    li.id = "comment-" + id;
    li.dataset.id = String(id);
    li.dataset.pending = "true";
    var article = document.createElement("article");
    article.tabIndex = -1;
    article.setAttribute("aria-labelledby", "author-" + id);
    var header = document.createElement("header");
    var author = document.createElement("strong");
    author.className = "author";
    author.id = "author-" + id;
    author.textContent = data.author_name;
    var time = document.createElement("time");
    var now = new Date();
    time.dateTime = now.toISOString();
    time.textContent = formatTime(now);
    header.append(author, " ", time);
    var status = document.createElement("p");
    status.className = "moderation-status";
    status.dataset.status = "pending";
    status.textContent = "Your comment is awaiting moderation. Only you can see it.";
    var body = document.createElement("div");
    body.className = "body";
    setBody(body, data.body);
    article.append(header, status, body);
    li.appendChild(article);
    return li;
  }

  function listFor(parentId) {
    if (parentId) {
      var parent = document.getElementById("comment-" + parentId);
      if (parent) {
        var replies = parent.querySelector(":scope > ol.replies");
        if (!replies) {
          replies = document.createElement("ol");
          replies.className = "replies";
          parent.appendChild(replies);
        }
        return replies;
      }
    }
    var thread = document.querySelector("ol.thread");
    thread.hidden = false;
    var empty = document.querySelector(".comments .empty");
    if (empty) empty.hidden = true;
    return thread;
  }

  function published(li, view) {
    li.classList.remove("pending");
    delete li.dataset.pending;
    var status = li.querySelector(".moderation-status");
    if (status) {
      status.dataset.status = "approved";
      status.textContent = "Your comment is published.";
    }
    var article = li.querySelector("article");
    if (view.comment) setBody(li.querySelector(".body"), view.comment.body);
    if (!article.querySelector(":scope > .reply")) article.appendChild(replyLink(li.dataset.id));
    announce("Your comment is published.");
  }

  function notPublished(li) {
    li.classList.remove("pending");
    delete li.dataset.pending;
    var notice = document.createElement("p");
    notice.className = "notice declined";
    notice.textContent = "Your comment was not published.";
    var article = li.querySelector("article");
    article.replaceChildren(notice);
    announce("Your comment was not published.");
  }

  async function follow(li, url) {
    var view = await moderationSubmit.decided(url);
    if (view === null) return;
    if (view.status === "approved") published(li, view);
    else notPublished(li);
  }

  // ---- Reply: the form under a comment --------------------------------------------------

  function replyTo(id, link) {
    var li = document.getElementById("comment-" + id);
    if (!li) return false;
    var article = li.querySelector(":scope > article");
    article.insertAdjacentElement("afterend", section);
    form.elements.parent_id.value = String(id);
    var author = li.querySelector(".author");
    heading.textContent = "Reply to " + (author ? author.textContent : "this comment");
    cancel.hidden = false;
    if (staticReplying) staticReplying.hidden = true;
    openedBy = link || null;
    return true;
  }

  function cancelReply(restoreFocus) {
    home.parentNode.insertBefore(section, home.nextSibling);
    form.elements.parent_id.value = "";
    heading.textContent = "Leave a Reply";
    cancel.hidden = true;
    if (staticReplying) staticReplying.hidden = true;
    if (restoreFocus && openedBy && document.body.contains(openedBy)) openedBy.focus();
    openedBy = null;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a.reply[data-parent]");
    if (!link) return;
    if (replyTo(link.dataset.parent, link)) {
      event.preventDefault();
      form.elements.body.focus();
    }
  });
  cancel.addEventListener("click", function () { cancelReply(true); });
  section.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && form.elements.parent_id.value) cancelReply(true);
  });

  // ---- posting --------------------------------------------------------------------------

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    var data = {};
    new FormData(form).forEach(function (value, key) {
      if (typeof value === "string") data[key] = value;
    });
    var payload = await moderationSubmit.post(submitPath, data, {
      button: button,
      errors: errors,
      credentials: "same-origin",
    });
    if (!payload) return;
    var li = ownComment(payload.id, data);
    listFor(data.parent_id).appendChild(li);
    if (form.elements.parent_id.value) cancelReply(false);
    form.elements.body.value = "";
    li.querySelector("article").focus();
    announce("Thank you. Your comment is awaiting moderation.");
    follow(li, payload.status_url);
  });

  // ---- what the server rendered ----------------------------------------------------------

  if (form.elements.parent_id.value) replyTo(form.elements.parent_id.value, null);
  document.querySelectorAll("li.comment[data-pending]").forEach(function (li) {
    follow(li, submitPath + "/" + encodeURIComponent(li.dataset.id));
  });
})();
