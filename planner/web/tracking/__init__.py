"""Tracking's pages, one module a job: ``index`` the tracking page, ``io`` Excel/CSV out
and in (exports, templates, imports), ``more`` the funnel and adjusting a rep's target;
``common`` holds what they share (parameters, the tracking view asked for, labels, a file
download). They import ``common``, never each other."""

from . import index, io, more  # noqa: F401  (importing a module registers its routes on bp)
