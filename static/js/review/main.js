// The weekly review, ES modules (templates/reviews/_head.html links this entry). No inline
// scripts, no eval; every string the person sees comes from data-msg-* attributes the
// server rendered in the page's language (templates/reviews/review.html, team.html).
// Without JavaScript the forms post as ordinary forms.
//
//   page.js    [data-review-page], strings, the status line, the server's copy
//   draft.js   the rep's text kept on the phone; the form's fields
//   write.js   the rep's review: autosave, submit through the outbox, conflicts
//   decide.js  a manager's approve / return through the outbox
//
// Submissions and decisions share the offline layer's outbox and sync
// (../offline/outbox.js), and its CSRF reader (../csrf.js): one offline client.
import { startDecisions } from "./decide.js";
import { page } from "./page.js";
import { startWriting } from "./write.js";

if (page) {
  const form = document.querySelector("form[data-review-form]");
  if (form && page.dataset.apiUrl) startWriting(form);
  startDecisions();
  // The handlers are on (tests wait for this before typing).
  page.dataset.reviewReady = "1";
}
