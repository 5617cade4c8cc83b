"""GET /api/v1/openapi.json: the OpenAPI 3.1 document of the JSON API, written by hand
as a dict. tests/api/test_repday_api.py checks that every documented path and method is a
real route and that every /api/v1 route is documented.

Paths are relative to the server URL /api/v1. Add a new endpoint's entry to PATHS (the
offline sync has its own section at the end of PATHS; the weekly reviews' part is in
openapi_reviews.py, the shared pieces in openapi_parts.py). The bounds that move with
the day (a visit's years, a review's weeks) are set when the document is served."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue

from . import bp
from .openapi_parts import (
    _DATE,
    _ERR_400_POST,
    _ERR_400_TEXT,
    _ERR_401,
    _ERR_404,
    _ERR_422,
    _FEN,
    _ID,
    _IN_DATE,
    _NULL_DATE,
    _WRITE_SECURITY,
    _json,
    _ref,
)
from .openapi_reviews import REVIEW_PATHS, REVIEW_SCHEMAS, REVIEW_SYNC_PAYLOAD, review_weeks

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
SCHEMAS.update(REVIEW_SCHEMAS)
PATHS.update(REVIEW_PATHS)
_SYNC_ITEM = PATHS["/sync"]["post"]["requestBody"]["content"]["application/json"]["schema"][
    "properties"]["items"]["items"]
_SYNC_ITEM["properties"]["type"]["enum"] = ["visit", "review"]
_SYNC_ITEM["properties"]["payload"] = {"oneOf": [_ref("VisitInput"), REVIEW_SYNC_PAYLOAD]}


def _years(years: list[int]) -> str:
    return "(" + "|".join(str(y) for y in years) + ")"


def _bounded(doc: dict[str, Any], today: date) -> None:
    """The bounds that move with the day, set in the document served: a visit's time is
    of this year or last (at most a year ago, at most 15 minutes ahead: the exact rule is
    the 422's), its follow-up of last year to next, and a review's week one of the
    Mondays a rep may write for."""
    visit = doc["components"]["schemas"]["VisitInput"]["properties"]
    new_year = today.month == 12 and today.day == 31  # ahead of UTC, it may be next year
    years = [today.year - 1, today.year] + ([today.year + 1] if new_year else [])
    visit["visited_at"]["pattern"] = (
        f"^{_years(years)}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):"
        r"[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?(Z|[+-](0[0-9]|1[0-3]):[0-5][0-9])$")
    visit["next_follow_up"]["pattern"] = (
        f"^{_years([today.year - 1, today.year, today.year + 1])}-(0[1-9]|1[0-2])-"
        "(0[1-9]|1[0-9]|2[0-8])$")
    weeks = review_weeks(today)
    for item in doc["paths"].values():
        for op in item.values():
            for param in op.get("parameters", []):
                if param["name"] == "week" and param["in"] == "path":
                    param["schema"] = {**param["schema"], "enum": weeks}


def document(today: date | None = None) -> dict[str, Any]:
    """The document as served on `today` (UTC; default now)."""
    doc = {
        "openapi": "3.1.0",
        "info": {"title": "planner API", "version": "1",
                 "description": "The rep's day as JSON. Session cookie authentication "
                                "(log in at /login); state changes need the X-CSRFToken "
                                "header. Money is integer fen. A record outside the "
                                "viewer's reach answers 404."},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "schemas": copy.deepcopy(SCHEMAS),
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
                "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRFToken",
                         "description": "The session's CSRF token (in every page's "
                                        "hx-headers, or GET /csrf)."}},
        },
        "security": [{"session": []}],
        "paths": copy.deepcopy(PATHS),
    }
    _bounded(doc, today or datetime.now(UTC).date())
    return doc


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    return jsonify(document())
