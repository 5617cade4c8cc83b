"""Units and people from one Excel/CSV sheet: the page, the template (xlsx or csv, headers
in the page's language) and the import (a dry run, or saved whole when no row is bad)."""

from __future__ import annotations

from flask import abort, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from ...extensions import db
from ...services import sheets
from ...services.org import people_import as pi
from ..render import render
from ..tracking.common import file_response
from . import ADMIN, actor, bp

FMTS = ("xlsx", "csv")


def _page(result: pi.Result | None = None, error: str | None = None,
          status: int = 200) -> ResponseReturnValue:
    return render("admin/import.html", result=result, error=error,
                  columns=[pi.header(k) for k in pi.HEADERS], status=status)


@bp.get("/admin/import")
@ADMIN
def people_import() -> ResponseReturnValue:
    return _page()


@bp.get("/admin/import/template.<fmt>")
@ADMIN
def people_template(fmt: str) -> ResponseReturnValue:
    if fmt not in FMTS:
        abort(404)
    cols, rows = pi.template()
    data = sheets.export(fmt, _("People"), cols, rows)
    return file_response(data, f"people-template.{fmt}", fmt)


@bp.post("/admin/import")
@ADMIN
def people_import_post() -> ResponseReturnValue:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _page(error=_("Choose a file."), status=422)
    data = upload.read(sheets.MAX_BYTES + 1)
    dry = bool(request.form.get("dry_run"))
    try:
        result = pi.run_import(actor(), data, upload.filename, dry_run=dry)
    except sheets.SheetError as exc:
        db.session.rollback()
        return _page(error=exc.message, status=422)
    if result.errors or dry:
        db.session.rollback()
        return _page(result, status=422 if result.errors else 200)
    db.session.commit()
    return _page(result)
