// What other pages' modules use to queue their own items in the same outbox (type
// "review": static/js/review/) and let the same sync send them.
import { render } from "./card.js";
import { deleteItem, getItem, newItem, putItem } from "./store.js";
import { drain } from "./sync.js";
import { uuid } from "./util.js";

export const get = (id) => getItem(id);
export const remove = (id) => deleteItem(id).then(render);
export { drain };
export { reasons } from "./store.js";

// Queue a new item of `type` (pending) and show it on the outbox card.
export async function queue(type, payload, day, label) {
  const item = newItem({ id: uuid(), type, payload, day, label });
  await putItem(item);
  await render();
  return item;
}

// Send the outbox now; a sync already under way may have begun before the item `id` was
// queued: then once more.
export async function drainFor(id) {
  await drain();
  const item = await getItem(id);
  if (item && item.status === "pending" && navigator.onLine) await drain();
}
