// The workspace's keyboard and in-place actions. Without this file every button still works
// as a plain form post; with it, actions go to the moderation API (with the session's CSRF
// token in a header) and the page stays where the moderator is.
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
  const items = Array.from(document.querySelectorAll("article.item"));
  const announce = document.getElementById("announce");
  const toast = document.getElementById("toast");
  const toastText = document.getElementById("toast-text");
  const keys = document.getElementById("keys");
  const UNDO_MS = 6000;
  // Ban and remove can be taken back for as long as the server allows (BAN_UNDO_WINDOW).
  const BAN_UNDO_MS = 10 * 60 * 1000;
  // The tabs' counts follow everyone's decisions: the counts are read again this often (and
  // at once after the page's own decisions).
  const COUNTS_MS = 5000;
  const PAST = { approve: "Approved", reject: "Rejected", spam: "Marked as spam", not_spam: "Marked as not spam" };
  // "Rejected (threat)": the ground a removal was given, as the audit log says it.
  const past = (action, ground) => PAST[action] + (ground && ground !== "spam" ? ` (${ground})` : "");
  let current = -1;
  let lastAction = null; // {ids, timer} or {ban: comment id, timer}

  function say(text) { announce.textContent = text; }

  function focusItem(index) {
    if (!items.length) return;
    current = Math.max(0, Math.min(items.length - 1, index));
    items.forEach((el, i) => el.classList.toggle("current", i === current));
    items[current].focus({ preventScroll: true });
    items[current].scrollIntoView({ block: "nearest" });
  }

  async function refreshCounts() {
    try {
      const response = await fetch("/api/v1/moderation/counts", { credentials: "same-origin" });
      if (!response.ok) return;
      const counts = await response.json();
      document.querySelectorAll(".tabs a[data-queue]").forEach((tab) => {
        const count = tab.querySelector(".count");
        if (count && tab.dataset.queue in counts) count.textContent = String(counts[tab.dataset.queue]);
      });
    } catch (error) { /* offline for a moment: the next poll tries again */ }
  }

  function noteOf(el) { return el?.querySelector(".actions input[name^='note:']"); }

  async function call(path, body) {
    const response = await fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.message || response.statusText);
    return data;
  }

  function show(id, status) {
    const el = document.getElementById("item-" + id);
    if (!el) return;
    el.dataset.status = status;
    const badge = el.querySelector(".status");
    badge.textContent = status;
    badge.className = "status s-" + status;
    el.classList.toggle("done", status !== el.dataset.queueStatus);
    const box = el.querySelector("input.select");
    if (box) box.checked = false;
  }

  function offerUndo(ids, text, ban) {
    if (lastAction) clearTimeout(lastAction.timer);
    toastText.textContent = text;
    toast.hidden = false;
    const timer = setTimeout(() => { toast.hidden = true; lastAction = null; }, ban ? BAN_UNDO_MS : UNDO_MS);
    lastAction = { ids, ban, timer };
    refreshCounts();
  }

  async function undo() {
    if (!lastAction) return;
    const { ids, ban, timer } = lastAction;
    clearTimeout(timer);
    lastAction = null;
    toast.hidden = true;
    if (ban) {
      try {
        const result = await call(`/api/v1/moderation/comments/${ban}/ban-and-remove/undo`);
        result.comments.forEach((r) => show(r.id, r.status));
        say(`Undone: the ban is lifted and ${result.comments.length} comments are back.`);
      } catch (error) {
        say("Could not undo: " + error.message);
      }
      refreshCounts();
      return;
    }
    try {
      for (const id of ids) {
        const result = await call(`/api/v1/moderation/comments/${id}/undo`);
        show(id, result.status);
      }
      say(`Undone: ${ids.length === 1 ? "comment " + ids[0] : ids.length + " comments"} back to ${document.getElementById("item-" + ids[0])?.dataset.status}`);
    } catch (error) {
      say("Could not undo: " + error.message);
    }
    refreshCounts();
  }

  async function banAndRemove(index) {
    const el = items[index];
    if (!el) return;
    const id = Number(el.dataset.id);
    const form = el.querySelector("form.ban-remove");
    const days = form.querySelector("input[name=days]").value;
    const body = { ground: form.querySelector("select[name=ground]").value, note: noteOf(el)?.value || "" };
    if (days) body.days = Number(days);
    try {
      const result = await call(`/api/v1/moderation/comments/${id}/ban-and-remove`, body);
      const done = result.comments.filter((r) => !r.error);
      done.forEach((r) => show(r.id, r.status));
      const text = `Banned ${el.querySelector(".author-name").textContent.trim()} and removed ${done.length} comments.`;
      offerUndo([], text, id);
      say(text);
    } catch (error) {
      say(`Could not ban and remove: ${error.message}`);
    }
  }

  async function act(index, action, ground) {
    const el = items[index];
    if (!el) return;
    const id = Number(el.dataset.id);
    try {
      const body = ground ? { action, ground } : { action };
      const note = noteOf(el);
      if (note?.value) body.note = note.value;
      const result = await call(`/api/v1/moderation/comments/${id}/decision`, body);
      if (note) note.value = "";
      show(id, result.status);
      offerUndo([id], `${past(action, ground)} #${id}.`);
      say(`${past(action, ground)} comment ${id}.`);
      if (index === current) focusItem(current + 1);
    } catch (error) {
      say(`Could not ${action} comment ${id}: ${error.message}`);
    }
  }

  async function actOnSelected(action) {
    const ids = items.filter((el) => el.querySelector("input.select")?.checked).map((el) => Number(el.dataset.id));
    if (!ids.length) { say("Select comments first (x)."); return; }
    try {
      const results = await call("/api/v1/moderation/decisions", { ids, action });
      const done = results.filter((r) => !r.error);
      done.forEach((r) => show(r.id, r.status));
      offerUndo(done.map((r) => r.id), `${PAST[action]} ${done.length} comments.`);
      say(`${PAST[action]} ${done.length} comments.`);
      updateSelected();
    } catch (error) {
      say(`Could not ${action} the selected comments: ${error.message}`);
    }
  }

  function updateSelected() {
    const n = items.filter((el) => el.querySelector("input.select")?.checked).length;
    document.getElementById("selected-count").textContent = n ? `${n} selected` : "";
  }

  items.forEach((el, i) => {
    el.dataset.queueStatus = el.dataset.status;
    el.addEventListener("click", (event) => {
      if (!event.target.closest("a, button, input")) focusItem(i);
    });
    el.querySelectorAll(".actions button").forEach((button) => {
      button.addEventListener("click", (event) => {
        event.preventDefault();
        current = i;
        act(i, button.dataset.action, button.dataset.ground);
      });
    });
    el.querySelector("input.select")?.addEventListener("change", updateSelected);
    el.querySelector("form.ban-remove")?.addEventListener("submit", (event) => {
      event.preventDefault();
      current = i;
      banAndRemove(i);
    });
    // In the note: Esc goes back to the comment (the note stays) so its keys decide; Enter
    // does too rather than sending the list's form.
    noteOf(el)?.addEventListener("keydown", (event) => {
      if (event.key === "Escape" || event.key === "Enter") {
        event.preventDefault();
        focusItem(i);
      }
    });
  });

  document.querySelectorAll("#queue-form .bulk button[name=action]").forEach((button) => {
    button.addEventListener("click", (event) => {
      event.preventDefault();
      actOnSelected(button.value);
    });
  });
  document.getElementById("select-all")?.addEventListener("change", (event) => {
    items.forEach((el) => { const box = el.querySelector("input.select"); if (box) box.checked = event.target.checked; });
    updateSelected();
  });
  document.getElementById("undo")?.addEventListener("click", undo);
  document.getElementById("show-keys")?.addEventListener("click", () => keys.showModal());

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest("input, textarea, select, [contenteditable]")) return;
    if (keys.open) return;
    const handlers = {
      j: () => focusItem(current + 1),
      k: () => focusItem(current - 1),
      u: () => undo(),
      x: () => {
        const box = items[current]?.querySelector("input.select");
        if (box) { box.checked = !box.checked; updateSelected(); }
      },
      "?": () => keys.showModal(),
      n: () => noteOf(items[current])?.focus(),
      b: () => banAndRemove(current),
    };
    // A decision's key is one its button on the card shows: its letter (data-key) or its
    // number among the site's grounds (data-number).
    const attribute = /^[1-9]$/.test(event.key) ? "data-number" : "data-key";
    const selector = `.actions button[${attribute}="${CSS.escape(event.key)}"]`;
    const decides = items.some((el) => el.querySelector(selector));
    const handler = handlers[event.key] || (decides && (() => {
      const button = items[current].querySelector(selector);
      if (button) act(current, button.dataset.action, button.dataset.ground);
    }));
    if (!handler) return;
    event.preventDefault();
    if (current < 0 && (decides || "xnb".includes(event.key))) focusItem(0);
    handler();
  });

  if (items.length) focusItem(0);
  if (document.querySelector(".tabs a[data-queue]")) setInterval(refreshCounts, COUNTS_MS);
})();
