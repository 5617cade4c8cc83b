// The rep's text kept on the phone (localStorage, one key per user and week) at every
// keystroke: {fields, base (the version it was typed on), dirty, at, queued (the id of a
// submission waiting in the outbox)}. It survives closing the page; offline it waits here.
export function draftStore(user, week) {
  const key = "planner-review:" + user + ":" + week;
  return {
    read() {
      try { return JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { return null; }
    },
    write(v) {
      try { localStorage.setItem(key, JSON.stringify(v)); } catch (e) { /* full: the server copy still saves */ }
    },
    clear() {
      try { localStorage.removeItem(key); } catch (e) { /* nothing kept */ }
    },
  };
}

// The form's fields ([data-review-field]) as {name: value}, and back.
export function fieldsOf(form) {
  const out = {};
  form.querySelectorAll("[data-review-field]").forEach((el) => { out[el.name] = el.value; });
  return out;
}

export function fill(form, values) {
  form.querySelectorAll("[data-review-field]").forEach((el) => {
    if (Object.prototype.hasOwnProperty.call(values, el.name)) el.value = values[el.name];
  });
}

// A submitted form cannot be typed into until the server has answered.
export function lock(form, on) {
  form.classList.toggle("is-queued", on);
  form.querySelectorAll("textarea, input:not([type=hidden]), button").forEach((el) => {
    if (el.tagName === "BUTTON") el.disabled = on; else el.readOnly = on;
  });
}
