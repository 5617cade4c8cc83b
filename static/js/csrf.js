// The one CSRF reader. The page's token is in <body hx-headers> (htmx sends it on every
// request) and in each form's hidden csrf_token input; a page from the offline cache may
// carry an older session's, so a fresh one comes from GET /api/v1/csrf and is put back
// into the page. Every module that sends a state change gets its token here.

const CSRF_URL = "/api/v1/csrf";

// The page's token.
export function csrfToken() {
  try {
    return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  } catch (e) {
    return "";
  }
}

// Put a token into the page: htmx's header and every form's hidden input.
export function setCsrfToken(token) {
  if (!token) return;
  document.body.setAttribute("hx-headers", JSON.stringify({ "X-CSRFToken": token }));
  document.querySelectorAll('input[name="csrf_token"]').forEach((i) => { i.value = token; });
}

// The session's user and a fresh token ({user, csrf_token}); throws "login" when the
// session is gone, "retry" when the server could not answer.
export async function sessionToken(url) {
  const resp = await fetch(url || CSRF_URL, {
    credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store",
  });
  if (resp.status === 401) throw new Error("login");
  if (!resp.ok) throw new Error("retry");
  return resp.json();
}

// A fresh token, put into the page.
export async function freshCsrfToken(url) {
  const data = await sessionToken(url);
  setCsrfToken(data.csrf_token);
  return data.csrf_token;
}

// A JSON request carrying the token; a 400 (the page's token is stale: another session,
// a cached page) is sent once more with a fresh one.
export async function sendJson(method, url, body) {
  const go = (token) => fetch(url, {
    method, credentials: "same-origin", cache: "no-store",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token },
    body: JSON.stringify(body),
  });
  const resp = await go(csrfToken());
  if (resp.status !== 400) return resp;
  return go(await freshCsrfToken());
}
