"""Every endpoint module of the JSON API, in one list: importing one registers its routes
on `bp`, which create_app registers."""

from __future__ import annotations

from . import (  # noqa: F401
    bp,
    openapi,  # the OpenAPI document
    records,  # visits and customers
    reviews,  # the weekly review
    sync,  # the offline outbox sync and the CSRF refresh
    today,  # what Today shows, for the offline layer
)

__all__ = ["bp"]
