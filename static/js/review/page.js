// The review page's element ([data-review-page]: the user, the week, the API URL, and
// every string, rendered by the server in the page's language) and small helpers.
import { msg as uiMsg } from "../offline/ui.js";

export const page = document.querySelector("[data-review-page]");

export const msg = (key, vars) => uiMsg(key, vars, page);

// A status line (data-review-saved): what happened, in red when it went wrong.
export function say(el, text, bad) {
  if (!el) return;
  el.textContent = text;
  el.classList.toggle("is-error", !!bad);
}

// The review as the server has it now (null when it cannot say).
export async function serverCopy() {
  const resp = await fetch(page.dataset.apiUrl, {
    credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" },
  });
  return resp.ok ? resp.json() : null;
}
