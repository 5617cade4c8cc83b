// The outbox in IndexedDB ("planner-offline", store "outbox", key "id"). Every item carries
// the id of the user who saved it; it is only ever sent under that user's session. Others'
// items are shown (as another account's), never sent or lost.
import { ui } from "./ui.js";

const DB_NAME = "planner-offline";
const STORE = "outbox";
let dbPromise = null;

function openDb() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = () => {
        if (!req.result.objectStoreNames.contains(STORE)) req.result.createObjectStore(STORE, { keyPath: "id" });
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => { dbPromise = null; reject(req.error); };
    });
  }
  return dbPromise;
}

async function run(mode, fn) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const t = db.transaction(STORE, mode);
    const req = fn(t.objectStore(STORE));
    t.oncomplete = () => resolve(req ? req.result : undefined);
    t.onerror = t.onabort = () => reject(t.error);
  });
}

// Every item, oldest first.
export async function everything() {
  const all = await run("readonly", (s) => s.getAll());
  return (all || []).sort((a, b) => a.created - b.created);
}
export const isMine = (item) => String(item.user) === ui().dataset.user;
export const mine = async () => (await everything()).filter(isMine);
export const getItem = (id) => run("readonly", (s) => s.get(id));
export const putItem = (item) => run("readwrite", (s) => s.put(item));
export const deleteItem = (id) => run("readwrite", (s) => s.delete(id));

// A new item, pending: the fields every item carries, whatever its type (a visit from
// form.js, a review's submission or decision from ../review/).
export function newItem({ id, type, payload, day, label, created }) {
  return {
    id, type, user: ui().dataset.user, payload, status: "pending", errors: null, message: "",
    fails: 0, created: created || Date.now(), day, label,
  };
}

// Why the server did not apply an item: its field errors, then its message.
export function reasons(item) {
  const out = Object.values(item.errors || {});
  if (item.message) out.push(item.message);
  return out;
}
