// What other pages' modules use to queue their own items in the same outbox (type
// "review": static/js/review.js) and let the same sync send them.
import { render } from "./card.js";
import { deleteItem, getItem, putItem } from "./store.js";
import { drain } from "./sync.js";
import { uuid } from "./util.js";

export const put = (item) => putItem(item).then(render);
export const get = (id) => getItem(id);
export const remove = (id) => deleteItem(id).then(render);
export { drain, uuid };
