"""The pieces the OpenAPI document is written with (planner/api/openapi.py and
openapi_reviews.py): schema helpers, the API's dates and ids, the error answers."""

from __future__ import annotations

from typing import Any

from ..parsing import MAX_ID, MAX_YEAR, MIN_YEAR


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
_ERR_400_POST = _json(_ref("Error"), "The CSRF token is missing or wrong (checked after the "
                      "login: without a session the answer is 401), or the body holds text "
                      "that cannot be stored (a NUL or a lone surrogate) outside the fields "
                      "checked one by one, or nests too deeply. Nothing was written.")
_ERR_400_TEXT = _json(_ref("Error"), "A parameter holds text that cannot be stored or "
                      "searched for (a NUL or a lone surrogate).")
# State changes need the session and its CSRF token (the securityScheme "csrf").
_WRITE_SECURITY = [{"session": [], "csrf": []}]
