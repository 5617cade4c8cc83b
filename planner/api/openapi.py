"""GET /api/v1/openapi.json: the OpenAPI 3.1 document of the JSON API, written by hand
as a dict. tests/api/test_repday_api.py checks that every documented path and method is a
real route and that every /api/v1 route is documented.

Paths are relative to the server URL /api/v1. Add a new endpoint's entry to PATHS (the
offline sync has its own section at the end of PATHS)."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue

from ..parsing import MAX_ID, MAX_YEAR, MIN_YEAR
from . import bp


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_DATE = {"type": "string", "format": "date"}
_NULL_DATE = {"type": ["string", "null"], "format": "date"}
# A date the API takes: the years planner.parsing accepts (MIN_YEAR to MAX_YEAR), so a date
# valid by this document is not refused for its year.
assert (MIN_YEAR, MAX_YEAR) == (1990, 2100)
_IN_DATE = {"type": "string", "format": "date",
            "pattern": r"^(199[0-9]|20[0-9][0-9]|2100)-[0-9]{2}-[0-9]{2}$",
            "description": f"YYYY-MM-DD, years {MIN_YEAR} to {MAX_YEAR}"}
_ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
_FEN = {"type": "integer", "minimum": 0, "description": "money in fen (1/100 CNY)"}
_ERR_404 = _json(_ref("Error"), "Not found, or not the viewer's to see (never 403).")
_ERR_401 = _json(_ref("Error"), "Not logged in.")
_ERR_422 = _json(_ref("Error"), "Invalid input: error.fields says what is wrong with each "
                 "field ({field: message}); nothing was written.")
_ERR_400_POST = _json(_ref("Error"), "The CSRF token is missing or wrong (checked before the "
                      "login, so a POST without a session answers this too), or the body "
                      "holds text that cannot be stored (a NUL or a lone surrogate) outside "
                      "the fields checked one by one, or nests too deeply. Nothing was written.")
_ERR_400_TEXT = _json(_ref("Error"), "A parameter holds text that cannot be stored or "
                      "searched for (a NUL or a lone surrogate).")
# State changes need the session and its CSRF token (the securityScheme "csrf").
_WRITE_SECURITY = [{"session": [], "csrf": []}]

SCHEMAS: dict[str, Any] = {
    # Every error answer of the API has this one shape (planner.errors.error_body).
    "Error": {
        "type": "object", "required": ["error"],
        "properties": {"error": _ref("ErrorDetail")},
    },
    "ErrorDetail": {
        "type": "object", "required": ["code", "message"],
        "properties": {
            "code": {"type": "integer", "description": "the HTTP status"},
            "message": {"type": "string", "description": "what went wrong, for people"},
            "fields": {"type": "object", "additionalProperties": {"type": "string"},
                       "description": "bad input: a message per field (422, and a 409 "
                                      "that names the clashing field)"}},
    },
    "Me": {
        "type": "object",
        "properties": {"id": {"type": "integer"}, "username": {"type": "string"},
                       "display_name": {"type": "string"},
                       "role": {"type": "string", "enum": ["rep", "manager", "admin"]}},
    },
    "Customer": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"}, "uuid": {"type": "string", "format": "uuid"},
            "name": {"type": "string"}, "contact_name": {"type": "string"},
            "phone": {"type": "string"}, "address": {"type": "string"},
            "owner_id": {"type": "integer"},
            "stage": {"type": "string", "description": "the stage's code"},
            "next_follow_up": _NULL_DATE, "first_won_on": _NULL_DATE,
        },
    },
    "Visit": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "format": "uuid"}, "user_id": {"type": "integer"},
            "customer_id": {"type": "integer"},
            "kind": {"type": "string", "enum": ["cold", "existing", "return", "phone"]},
            "visited_at": {"type": "string", "format": "date-time"},
            "local_date": _DATE, "place": {"type": "string"},
            "latitude": {"type": ["number", "null"]}, "longitude": {"type": ["number", "null"]},
            "purpose": {"type": "string"}, "notes": {"type": "string"},
            "outcome": {"type": "string"}, "amount_signed_fen": _FEN,
            "amount_collected_fen": _FEN, "expenses_fen": _FEN,
            "materials": {"type": "string"}, "next_follow_up": _NULL_DATE,
            "products": {"type": "array", "items": {"type": "integer"},
                         "description": "product line ids discussed"},
            "stage_from_id": {"type": ["integer", "null"]},
            "stage_to_id": {"type": ["integer", "null"]},
        },
    },
    "VisitInput": {
        "type": "object",
        "description": "A customer: customer_id (one of the rep's own), customer_uuid, or "
                       "new_customer_name (a new lead). Money as integer fen in *_fen, or "
                       "as yuan strings in amount_signed / amount_collected / expenses.",
        "required": ["kind"],
        "anyOf": [{"required": ["customer_id"]}, {"required": ["customer_uuid"]},
                  {"required": ["new_customer_name"]}],
        "properties": {
            "id": {"type": "string", "format": "uuid",
                   "description": "optional: the visit's id made by the client"},
            "customer_id": _ID,
            "customer_uuid": {"type": "string", "format": "uuid"},
            "new_customer_name": {"type": "string", "minLength": 1, "maxLength": 200},
            "new_customer_contact": {"type": "string", "maxLength": 120},
            "new_customer_phone": {"type": "string", "maxLength": 40},
            "kind": {"type": "string", "enum": ["cold", "existing", "return", "phone"]},
            "visited_at": {"type": "string", "format": "date-time",
                           "description": "default now; at most 15 minutes ahead, at most "
                                          "a year ago; without an offset: company time"},
            "logged_at": {"type": "string", "format": "date-time",
                          "description": "when the client saved the visit: its time when "
                                         "visited_at is left out (an offline outbox)"},
            "place": {"type": "string", "maxLength": 300},
            "latitude": {"type": "number", "minimum": -90, "maximum": 90},
            "longitude": {"type": "number", "minimum": -180, "maximum": 180},
            "purpose": {"type": "string", "maxLength": 300},
            "notes": {"type": "string", "maxLength": 5000},
            "outcome": {"type": "string", "maxLength": 300},
            "amount_signed_fen": {"type": "integer", "minimum": 0, "maximum": 10_000_000_000},
            "amount_collected_fen": {"type": "integer", "minimum": 0,
                                     "maximum": 10_000_000_000},
            "expenses_fen": {"type": "integer", "minimum": 0, "maximum": 100_000_000},
            "materials": {"type": "string", "maxLength": 300},
            "next_follow_up": {**_IN_DATE, "description": "on or after the visit's day, "
                               "at most a year after it"},
            "stage": {"type": "string", "description": "an active stage's code or id"},
            "products": {"type": "array", "items": {"type": ["string", "integer"]},
                         "description": "product line codes or ids"},
        },
    },
    "MetricPlan": {
        "type": "object",
        "properties": {
            "code": {"type": "string"}, "name": {"type": "string"},
            "name_en": {"type": "string"},
            "unit": {"type": "string", "enum": ["money", "count", "percent"]},
            "additive": {"type": "boolean"}, "source": {"type": ["string", "null"]},
            "month_start": _DATE, "month_end": _DATE,
            "target": {"type": "integer", "description": "the month's target"},
            "achieved": {"type": "integer", "description": "month to date, today included"},
            "achieved_today": {"type": "integer"},
            "today_target": {"type": "integer", "description": "run rate at the start of today"},
            "remaining_today": {"type": "integer"}, "remaining": {"type": "integer"},
            "working_days_left": {"type": ["integer", "null"]},
            "progress": {"type": "number"}, "time_elapsed": {"type": "number"},
            "week_target": {"type": "integer"}, "dekad_target": {"type": "integer"},
        },
    },
    "PlanItem": {
        "type": "object",
        "properties": {"customer_id": {"type": "integer"}, "customer_name": {"type": "string"},
                       "purpose": {"type": "string"},
                       "visit_id": {"type": ["string", "null"]}},
    },
    "Today": {
        "type": "object",
        "properties": {
            "user_id": {"type": "integer"}, "day": _DATE,
            "metrics": {"type": "array", "items": _ref("MetricPlan")},
            "planned": {"type": "array", "items": _ref("PlanItem")},
            "follow_ups": {"type": "array", "items": {
                "type": "object",
                "properties": {"customer_id": {"type": "integer"},
                               "customer_name": {"type": "string"},
                               "next_follow_up": _NULL_DATE, "overdue": {"type": "boolean"}}}},
            "tomorrow": {"type": "object", "properties": {
                "day": _DATE, "notes": {"type": "string"},
                "planned": {"type": "array", "items": _ref("PlanItem")}}},
        },
    },
}

_LIMIT = {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                     "maximum": 200, "default": 50}}

PATHS: dict[str, Any] = {
    "/me": {"get": {"operationId": "me", "summary": "The logged-in user",
                    "responses": {"200": _json(_ref("Me"), "The user."), "401": _ERR_401}}},
    "/today": {"get": {
        "operationId": "today", "summary": "Today's plan: per metric the run rate, "
        "achieved today and the month so far; visits planned; follow-ups due; tomorrow.",
        "parameters": [{"name": "user", "in": "query", "schema": _ID,
                        "description": "a manager looks at a rep in their team"}],
        "responses": {"200": _json(_ref("Today"), "The plan."), "401": _ERR_401,
                      "404": _ERR_404}}},
    "/customers": {"get": {
        "operationId": "listCustomers", "summary": "The viewer's visible customers",
        "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"},
                        "description": "search name, contact, phone, address"}, _LIMIT],
        "responses": {"200": _json({"type": "object", "properties": {
            "customers": {"type": "array", "items": _ref("Customer")}}}, "Customers."),
            "400": _ERR_400_TEXT, "401": _ERR_401}}},
    "/customers/{customer_id}": {"get": {
        "operationId": "getCustomer", "summary": "One customer",
        "parameters": [{"name": "customer_id", "in": "path", "required": True,
                        "schema": _ID}],
        "responses": {"200": _json(_ref("Customer"), "The customer."), "401": _ERR_401,
                      "404": _ERR_404}}},
    "/visits": {
        "get": {
            "operationId": "listVisits", "summary": "The viewer's visible visits, newest first",
            "parameters": [
                {"name": "customer_id", "in": "query", "schema": _ID},
                {"name": "since", "in": "query", "schema": _IN_DATE},
                {"name": "until", "in": "query", "schema": _IN_DATE}, _LIMIT],
            "responses": {"200": _json({"type": "object", "properties": {
                "visits": {"type": "array", "items": _ref("Visit")}}}, "Visits."),
                "401": _ERR_401, "404": _ERR_404, "422": _ERR_422}},
        "post": {
            "operationId": "createVisit", "summary": "Log a visit (and a new lead with it)",
            "security": _WRITE_SECURITY,
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": _ref("VisitInput")}}},
            "responses": {
                "200": _json(_ref("Visit"), "Saved before with the same fields (sent "
                             "again, here, from the form or by sync): the saved visit."),
                "201": _json(_ref("Visit"), "Saved; Location names the visit."),
                "400": _ERR_400_POST,
                "401": _ERR_401,
                "409": _json(_ref("Error"),
                             "A visit with this id exists already with other fields."),
                "422": _ERR_422}},
    },
    "/visits/{visit_id}": {"get": {
        "operationId": "getVisit", "summary": "One visit",
        "parameters": [{"name": "visit_id", "in": "path", "required": True,
                        "schema": {"type": "string", "format": "uuid"}}],
        "responses": {"200": _json(_ref("Visit"), "The visit."), "401": _ERR_401,
                      "404": _ERR_404}}},
    "/openapi.json": {"get": {
        "operationId": "openapi", "summary": "This document", "security": [],
        "responses": {"200": {"description": "OpenAPI 3.1",
                              "content": {"application/json": {}}}}}},
}

# ---------------------------------------------------------------- offline sync
# The offline outbox's endpoints. Described here from planner/api/sync.py's docstring;
# the offline sync code owns the details (refine the schemas there as the protocol settles).
PATHS.update({
    "/csrf": {"get": {
        "operationId": "csrfToken", "summary": "A fresh CSRF token for the session",
        "responses": {"200": _json({"type": "object", "properties": {
            "csrf_token": {"type": "string"}}}, "The token."), "401": _ERR_401}}},
    "/sync": {"post": {
        "operationId": "sync", "summary": "Apply a batch of outbox items, each at most once",
        "security": _WRITE_SECURITY,
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["items"], "properties": {"items": {
                "type": "array", "maxItems": 200, "items": {
                    "type": "object", "required": ["id", "type", "payload"],
                    "properties": {"id": {"type": "string", "format": "uuid"},
                                   "type": {"type": "string", "enum": ["visit"]},
                                   "payload": _ref("VisitInput")}}}}}}}},
        "responses": {
            "200": _json({"type": "object", "properties": {
                "results": {"type": "array", "items": {
                    "type": "object", "required": ["id", "status"], "properties": {
                    "id": {"type": ["string", "null"],
                           "description": "the item's id as sent, or null if it was no text"},
                    "status": {"type": "string",
                               "enum": ["applied", "duplicate", "conflict", "rejected"]},
                    "errors": {"type": "object",
                               "additionalProperties": {"type": "string"},
                               "description": "rejected: a message per field. An item's "
                               "result, not an HTTP error (README, \"The JSON API's "
                               "errors\"): the phone keeps the item with these reasons"},
                    "message": {"type": "string",
                                "description": "conflict: why it was not applied"}}}},
                "csrf_token": {"type": "string"}}},
                "Item by item results and a fresh CSRF token."),
            "400": _ERR_400_POST, "401": _ERR_401,
            "409": _json(_ref("Error"), "Items saved on the phone under another account "
                         "(an item's \"user\" is not the session's user); nothing applied."),
            "413": _json(_ref("Error"), "Too many items in one batch."),
            "422": _json(_ref("Error"), "Not a batch.")}}},
})


# ---------------------------------------------------------------- weekly reviews
_REVIEW_ID = {"name": "review_id", "in": "path", "required": True,
              "schema": {"type": "integer"}}
_WEEK = {"name": "week", "in": "path", "required": True, "schema": _DATE,
         "description": "the week's Monday (this week or an earlier one)"}
_ERR_409 = _json({"type": "object", "required": ["error"], "properties": {
    "error": _ref("ErrorDetail"), "review": _ref("Review")}},
    "The review is in another state, or was changed meanwhile (the version differs): "
    "nothing was written; `review` is the server's copy.")
_ERR_403 = _json(_ref("Error"), "Seen, but not yours to do (e.g. your own review).")
_TEXT = {"type": "string", "maxLength": 5000}
SCHEMAS.update({
    "ReviewInput": {
        "type": "object", "required": ["version"],
        "description": "The rep's parts. A key left out stays as it is. Next week's "
                       "numbers: counts as integers, money as yuan (next_revenue, "
                       "next_collections) or fen (next_revenue_fen, next_collections_fen).",
        "properties": {
            "version": {"type": "integer", "description": "the version read (0: none yet)"},
            "completed": _TEXT, "missed_reasons": _TEXT, "successes": _TEXT,
            "improvements": _TEXT, "help_needed": _TEXT, "next_focus": _TEXT,
            "support_department": {"type": "string", "maxLength": 120},
            "next_visits": {"type": ["integer", "string"]},
            "next_new_customers": {"type": ["integer", "string"]},
            "next_contracts": {"type": ["integer", "string"]},
            "next_revenue": {"type": "string"}, "next_revenue_fen": _FEN,
            "next_collections": {"type": "string"}, "next_collections_fen": _FEN,
        },
    },
    "ReviewEvent": {"type": "object", "properties": {
        "actor_id": {"type": "integer"}, "actor": {"type": "string"},
        "at": {"type": "string", "format": "date-time"},
        "from": {"type": ["string", "null"]}, "to": {"type": "string"},
        "comment": {"type": "string"}}},
    "ReviewComment": {"type": "object", "properties": {
        "id": {"type": "integer"}, "author_id": {"type": "integer"},
        "author": {"type": "string"}, "body": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"}}},
    "Review": {
        "type": "object",
        "properties": {
            "id": {"type": ["integer", "null"]}, "user_id": {"type": "integer"},
            "week_start": _DATE,
            "status": {"type": "string",
                       "enum": ["none", "draft", "submitted", "approved", "returned"]},
            "version": {"type": "integer"},
            "completed": {"type": "string"}, "missed_reasons": {"type": "string"},
            "successes": {"type": "string"}, "improvements": {"type": "string"},
            "help_needed": {"type": "string"}, "support_department": {"type": "string"},
            "next_focus": {"type": "string"},
            "next_numbers": {"type": "object", "additionalProperties": {"type": "integer"},
                             "description": "visits, new_customers, contracts; revenue "
                                            "and collections in fen"},
            "submitted_at": {"type": ["string", "null"], "format": "date-time"},
            "reviewer_id": {"type": ["integer", "null"]},
            "reviewed_at": {"type": ["string", "null"], "format": "date-time"},
            "review_comment": {"type": "string"},
            "history": {"type": "array", "items": _ref("ReviewEvent")},
            "figures": {"type": "object", "description": (
                "The week from the data (frozen at submission): rows [{key, money, "
                "targets[7], actuals[7], target, actual}], kinds {cold, existing, return, "
                "phone}, follow_ups {due, done, missed, open, items}, plan_lines, "
                "planned_numbers (set in last week's review)")},
        },
    },
})
_DECISION = {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["version"],
    "properties": {"version": {"type": "integer"},
                   "comment": {"type": "string", "maxLength": 2000}}}}}}
PATHS.update({
    "/reviews": {"get": {
        "operationId": "listReviews",
        "summary": "Reviews the viewer may see, newest week first (history)",
        "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"},
                        "description": "search the text, the comments, the rep's name"},
                       {"name": "user", "in": "query", "schema": {"type": "integer"}}],
        "responses": {"200": _json({"type": "object", "properties": {
            "reviews": {"type": "array", "items": _ref("Review")}}}, "Reviews."),
            "401": _ERR_401, "404": _ERR_404}}},
    "/reviews/week/{week}": {
        "get": {"operationId": "getOwnReview",
                "summary": "The viewer's own review of a week, with the figures",
                "parameters": [_WEEK],
                "responses": {"200": _json(_ref("Review"), "The review (status none, "
                                           "version 0 when not started)."),
                              "401": _ERR_401, "404": _ERR_404}},
        "put": {"operationId": "saveReviewDraft",
                "summary": "Save the draft (creates the review on the first save)",
                "parameters": [_WEEK], "security": _WRITE_SECURITY,
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": _ref("ReviewInput")}}},
                "responses": {"200": _json(_ref("Review"), "Saved; the new version."),
                              "400": _ERR_400_POST,
                              "401": _ERR_401, "404": _ERR_404, "409": _ERR_409,
                              "422": _ERR_422}}},
    "/reviews/week/{week}/submit": {"post": {
        "operationId": "submitReview", "summary": "Submit the week's review to the manager",
        "parameters": [_WEEK], "security": _WRITE_SECURITY,
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": _ref("ReviewInput")}}},
        "responses": {"200": _json(_ref("Review"), "Submitted."), "400": _ERR_400_POST,
                                                                  "401": _ERR_401,
                      "403": _ERR_403, "404": _ERR_404, "409": _ERR_409, "422": _ERR_422}}},
    "/reviews/{review_id}": {"get": {
        "operationId": "getReview", "summary": "One review the viewer may see",
        "parameters": [_REVIEW_ID],
        "responses": {"200": _json(_ref("Review"), "The review."), "401": _ERR_401,
                      "404": _ERR_404}}},
    "/reviews/{review_id}/approve": {"post": {
        "operationId": "approveReview",
        "summary": "Approve a submitted review (a manager of the author's unit, or an admin)",
        "parameters": [_REVIEW_ID], "security": _WRITE_SECURITY, "requestBody": _DECISION,
        "responses": {"200": _json(_ref("Review"), "Approved."), "400": _ERR_400_POST,
                                                                 "401": _ERR_401,
                      "403": _ERR_403, "404": _ERR_404, "409": _ERR_409, "422": _ERR_422}}},
    "/reviews/{review_id}/return": {"post": {
        "operationId": "returnReview",
        "summary": "Return a submitted review with a comment (needed)",
        "parameters": [_REVIEW_ID], "security": _WRITE_SECURITY, "requestBody": _DECISION,
        "responses": {"200": _json(_ref("Review"), "Returned."), "400": _ERR_400_POST,
                                                                 "401": _ERR_401,
                      "403": _ERR_403, "404": _ERR_404, "409": _ERR_409, "422": _ERR_422}}},
    "/reviews/{review_id}/comments": {
        "get": {"operationId": "listReviewComments", "summary": "The review's comment thread",
                "parameters": [_REVIEW_ID],
                "responses": {"200": _json({"type": "object", "properties": {
                    "comments": {"type": "array", "items": _ref("ReviewComment")}}},
                    "Comments, oldest first."), "401": _ERR_401, "404": _ERR_404}},
        "post": {"operationId": "addReviewComment",
                 "summary": "Comment on a review (not once it is approved)",
                 "parameters": [_REVIEW_ID], "security": _WRITE_SECURITY,
                 "requestBody": {"required": True, "content": {"application/json": {
                     "schema": {"type": "object", "required": ["body"], "properties": {
                         "body": {"type": "string", "maxLength": 2000}}}}}},
                 "responses": {"201": _json(_ref("ReviewComment"), "Added."),
                               "400": _ERR_400_POST,
                               "401": _ERR_401, "404": _ERR_404, "409": _ERR_409,
                               "422": _ERR_422}}},
})
# The outbox's review items (POST /sync, type "review").
_sync_item = PATHS["/sync"]["post"]["requestBody"]["content"]["application/json"]["schema"][
    "properties"]["items"]["items"]
_sync_item["properties"]["type"]["enum"] = ["visit", "review"]
_sync_item["properties"]["payload"] = {"oneOf": [_ref("VisitInput"), {
    "type": "object", "description": "type review: submit {action, week, version, fields} "
    "or approve / return {action, review_id, version, comment}",
    "required": ["action", "version"],
    "properties": {"action": {"type": "string", "enum": ["submit", "approve", "return"]},
                   "week": _DATE, "review_id": {"type": "integer"},
                   "version": {"type": "integer"}, "fields": _ref("ReviewInput"),
                   "comment": {"type": "string"}}}]}


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "planner API", "version": "1",
                 "description": "The rep's day as JSON. Session cookie authentication "
                                "(log in at /login); state changes need the X-CSRFToken "
                                "header. Money is integer fen. A record outside the "
                                "viewer's reach answers 404."},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
                "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRFToken",
                         "description": "The session's CSRF token (in every page's "
                                        "hx-headers, or GET /csrf)."}},
        },
        "security": [{"session": []}],
        "paths": PATHS,
    }


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    return jsonify(document())
