"""The weekly reviews' part of the OpenAPI document (planner/api/openapi.py merges it).

So that a client (and the fuzzer) can reach real reviews: the `week` of a path lists the
Mondays a rep may write for (`review_weeks`, filled in when the document is served), and
the answers that carry a review link to the operations on it (OpenAPI links: the id of
the review answered, or of the first one listed)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from .openapi_parts import (
    _DATE,
    _ERR_400_POST,
    _ERR_400_TEXT,
    _ERR_401,
    _ERR_404,
    _ERR_422,
    _FEN,
    _ID,
    _WRITE_SECURITY,
    _json,
    _ref,
)

# Weeks listed in the document: this week's Monday and the 54 before it (a review may be
# written for a week of the last MAX_WEEKS_BACK = 400 days: services/reviews.py; a test
# keeps the two in step). Listed from the day before in UTC, so a company in any
# timezone may write for every week listed.
WEEKS_LISTED = 55


def review_weeks(today: date) -> list[str]:
    """The Mondays a rep may write a review for, newest first (the path's `week`)."""
    day = today - timedelta(days=1)
    monday = day - timedelta(days=day.weekday())
    return [(monday - timedelta(weeks=n)).isoformat() for n in range(WEEKS_LISTED)]


def _links(source: str) -> dict[str, Any]:
    """Links from an answer holding a review (`source`: where its id is) to the
    operations on that review."""
    return {op: {"operationId": op, "parameters": {"review_id": source}}
            for op in ("getReview", "approveReview", "returnReview", "listReviewComments",
                       "addReviewComment")}


_REVIEW_ID = {"name": "review_id", "in": "path", "required": True, "schema": _ID}
_WEEK = {"name": "week", "in": "path", "required": True, "schema": _DATE,
         "description": "the week's Monday (this week or an earlier one)"}
_ERR_409 = _json({"type": "object", "required": ["error"], "properties": {
    "error": _ref("ErrorDetail"), "review": _ref("Review")}},
    "The review is in another state, or was changed meanwhile (the version differs): "
    "nothing was written; `review` is the server's copy.")
_ERR_403 = _json(_ref("Error"), "Seen, but not yours to do (e.g. your own review).")
_TEXT = {"type": "string", "maxLength": 5000}
REVIEW_SCHEMAS: dict[str, Any] = {
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
}
_DECISION = {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["version"],
    "properties": {"version": {"type": "integer"},
                   "comment": {"type": "string", "maxLength": 2000}}}}}}
REVIEW_PATHS: dict[str, Any] = {
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
}
# The outbox's review items (POST /sync, type "review").
# The outbox's review items (POST /sync, type "review"): what api/sync.py's ITEM_SHAPES
# and api/boundary.py check before the review service sees them.
REVIEW_SYNC_PAYLOAD: dict[str, Any] = {
    "type": "object", "description": "type review: submit {action, week, version, fields} "
    "or approve / return {action, review_id, version, comment}",
    "required": ["action", "version"],
    "properties": {"action": {"type": "string", "enum": ["submit", "approve", "return"]},
                   "week": _DATE, "review_id": {"type": ["integer", "string"]},
                   "version": {"type": "integer"}, "fields": _ref("ReviewInput"),
                   "comment": {"type": "string", "maxLength": 2000}}}

REVIEW_PATHS["/reviews"]["get"]["responses"]["200"]["links"] = _links(
    "$response.body#/reviews/0/id")
for _path, _method in (("/reviews/week/{week}", "get"), ("/reviews/week/{week}", "put"),
                       ("/reviews/week/{week}/submit", "post"), ("/reviews/{review_id}", "get")):
    REVIEW_PATHS[_path][_method]["responses"]["200"]["links"] = _links("$response.body#/id")
# A NUL or a lone surrogate in the search answers 400 (it can match nothing stored).
REVIEW_PATHS["/reviews"]["get"]["responses"]["400"] = _ERR_400_TEXT
