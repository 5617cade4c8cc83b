// A manager's Approve / Return (form[data-review-decide], on the review page and the
// team's week): the decision goes into the offline layer's outbox as an item of type
// "review" and is sent by the same sync as visits. Return needs a comment.
import * as outbox from "../offline/outbox.js";
import { localDay } from "../offline/util.js";
import { msg, say } from "./page.js";

const buttons = (form, disabled) => form.querySelectorAll("button").forEach((b) => { b.disabled = disabled; });

async function decide(form, action) {
  const status = form.querySelector("[data-review-saved]");
  const comment = form.elements.comment ? form.elements.comment.value.trim() : "";
  if (action === "return" && !comment) {
    const details = form.querySelector("details");
    if (details) details.open = true;
    say(status, msg("comment-required"), true);
    if (form.elements.comment) form.elements.comment.focus();
    return;
  }
  const payload = { action, review_id: Number(form.dataset.reviewId), version: Number(form.dataset.version), comment };
  const item = await outbox.queue("review", payload, localDay(new Date()),
    msg("label-" + action, { name: form.dataset.name || "" }));
  buttons(form, true);
  say(status, msg("decision-queued"));
  form.dataset.queued = item.id;
  await outbox.drainFor(item.id);
  await decided(form);
}

// The queued decision's fate: gone = applied: show the server's page; not applied
// (changed meanwhile, or refused): say why, the page's copy is stale.
async function decided(form) {
  const id = form.dataset.queued;
  if (!id) return;
  const item = await outbox.get(id);
  if (!item) { window.location.reload(); return; }
  if (item.status === "pending") return;
  const why = outbox.reasons(item).join(" ");
  await outbox.remove(id);
  delete form.dataset.queued;
  buttons(form, false);
  const status = form.querySelector("[data-review-saved]");
  say(status, item.status === "conflict" ? why : msg("rejected", { reason: why }), true);
}

export function startDecisions() {
  document.addEventListener("submit", (e) => {
    const form = e.target.closest && e.target.closest("form[data-review-decide]");
    if (!form) return;
    e.preventDefault();
    decide(form, e.submitter ? e.submitter.value : "approve");
  });
  window.addEventListener("online", async () => {
    await outbox.drain();
    for (const form of document.querySelectorAll("form[data-review-decide][data-queued]")) await decided(form);
  });
}
