"""Target planning input and wording: typed numbers parsed and bounded, and the
engine's refusals (``engine.TreeError``, ``engine.AllocationError``) said in the user's
words. Bad input raises :class:`DecomposeError` (a message for people) and changes
nothing."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from ... import fmt as display
from ...engine import AllocationError, Node, TreeError
from ...i18n import gettext
from ...i18n import ngettext as ngettext
from ...models import Metric
from ...money import MoneyError, parse_decimal
from ...refusal import Refused

_ = gettext  # translated in a request, plain English without one (planner.i18n)


class DecomposeError(Refused, ValueError):
    """Bad input or an impossible change: the message says what, nothing was changed."""


def dim_label(dim: str) -> str:
    return {
        "product_line": _("product line"), "channel": _("channel"),
        "customer_type": _("customer type"), "region": _("region"), "team": _("team"),
        "rep": _("rep"),
    }.get(dim, dim)


def method_label(method: str | None) -> str:
    return {
        "equal": _("equal"), "weights": _("typed weights"),
        "last_year": _("last year's share"), "capability": _("capability scores"),
        "growth": _("growth %"), "kept": _("kept"),
    }.get(method or "", method or "")


MAX_VALUE = 10**15  # a stored value: fen (10 trillion yuan), a count, hundredths of a %
MAX_WEIGHT = 10**15
MAX_DECIMALS = 6  # in a weight, growth rate, level or profile percentage
MIN_GROWTH, MAX_GROWTH = -100, 10_000  # percent: from nothing to 101 times
MAX_LEVEL = MAX_VALUE // 100  # a level metric's typed value (stored in hundredths)
MAX_NUMBERS = 500  # values typed in one box


def _short(text: str | None) -> str:
    t = (text or "").strip()
    return t if len(t) <= 30 else t[:29] + "…"


def parse_amount(text: str | None, metric: Metric) -> int:
    """A typed value in display units (yuan for money, percent for levels) -> integer,
    at most MAX_VALUE once stored."""
    raw = (text or "").strip().rstrip("%").strip()
    if not raw:
        raise DecomposeError(_("Enter a value."))
    try:  # the app's one parser for typed amounts (no 1e5, no 12,5)
        d = parse_decimal(raw, decimals=40, signed=True)
    except MoneyError as exc:
        if exc.code == "not_a_number":
            raise DecomposeError(_("“%(text)s” is not a number.", text=_short(text))) from None
        raise DecomposeError(str(exc)) from None
    if d < 0:
        raise DecomposeError(_("A target cannot be negative."))
    scale = 100 if metric.unit in ("money", "percent") else 1
    if d > Decimal(MAX_VALUE) / scale:
        raise DecomposeError(_("“%(text)s” is too large: at most %(max)s.", text=_short(text),
                               max=format(Decimal(MAX_VALUE) / scale, "f")))
    scaled = d * scale
    if scaled != scaled.to_integral_value():
        if scale == 1:
            raise DecomposeError(_("A count must be a whole number."))
        raise DecomposeError(_("Use at most two decimals."))
    return int(scaled)


def parse_numbers(text: str | None, what: str, lo: int | None = None,
                  hi: int | None = None) -> list[Decimal]:
    """Numbers typed in one box (commas, semicolons or spaces between them), each within
    [lo, hi] when given, with at most MAX_DECIMALS decimals."""
    parts = [p for p in (text or "").replace("，", ",").replace(";", ",").replace(" ", ",")
             .split(",") if p.strip()]
    if len(parts) > MAX_NUMBERS:
        raise DecomposeError(_("%(what)s: at most %(n)d values.", what=what, n=MAX_NUMBERS))
    out: list[Decimal] = []
    for p in parts:
        try:  # the app's one number parser (no 1e5)
            d = parse_decimal(p.strip().rstrip("%"), decimals=40, signed=True)
        except MoneyError as exc:
            if exc.code != "not_a_number":
                raise DecomposeError(f"{what}: {exc}") from None
            raise DecomposeError(_("%(what)s: “%(text)s” is not a number.", what=what,
                                   text=_short(p))) from None
        if not d.is_finite():
            raise DecomposeError(_("%(what)s: “%(text)s” is not a number.", what=what,
                                   text=_short(p)))
        if (lo is not None and d < lo) or (hi is not None and d > hi):
            raise DecomposeError(_("%(what)s: “%(text)s” is out of range; use a number from "
                                   "%(lo)s to %(hi)s.", what=what, text=_short(p),
                                   lo=lo if lo is not None else "", hi=hi))
        if abs(d) > 10**18:  # no bounds given: still nothing that overflows
            raise DecomposeError(_("%(what)s: “%(text)s” is too large.", what=what,
                                   text=_short(p)))
        if d != d.quantize(Decimal(1).scaleb(-MAX_DECIMALS)):
            raise DecomposeError(_("%(what)s: “%(text)s” has too many decimals (at most "
                                   "%(n)d).", what=what, text=_short(p), n=MAX_DECIMALS))
        out.append(d)
    return out


def explain(exc: AllocationError, total: str | None = None) -> str:
    """The engine's reason in the user's words, without internal detail."""
    cause = getattr(exc, "cause", "internal")
    if cause == "profile_sum" and total is not None:
        return _("The seasonal profile adds up to %(total)s%%, not 100%%.", total=total)
    return {
        "not_a_number": _("One of the values is not a number."),
        "negative_weight": _("A weight cannot be negative."),
        "negative": _("A target cannot be negative."),
        "no_parts": _("There is nothing to split this target into."),
        "locks_exceed": _("The locked targets add up to more than the value to split."),
        "locks_mismatch": _("Every part is locked, and the locked values do not add up to "
                            "the value to split."),
        "count": _("The number of values does not match the number of parts."),
        "profile_sum": _("The seasonal profile must add up to 100 percent."),
        "unknown_method": _("Unknown split method."),
    }.get(cause, _("These numbers cannot be split; check them."))


def _fail(exc: AllocationError, where: str) -> DecomposeError:
    if getattr(exc, "cause", "") in ("locks_exceed", "locks_mismatch"):
        return DecomposeError(_(
            "%(where)s: the locked targets do not fit the new value (%(detail)s). "
            "Unlock one or change the value; nothing was changed.", where=where,
            detail=explain(exc)))
    return DecomposeError(_("%(where)s: %(detail)s", where=where, detail=explain(exc)))


def fmt(value: int, metric: Metric) -> str:
    """Display a stored integer of the metric's unit (planner.fmt, the one formatter)."""
    return display.value(value, metric.unit)


_SIMPLE: dict[str, Callable[[TreeError], str]] = {
    "negative": lambda e: _("A target cannot be negative."),
    "level_by_year": lambda e: _("A level is set for the whole year; nothing was changed."),
    "not_top": lambda e: _("Only the company target is split over time; the rest follows."),
    "no_dimension": lambda e: _("Choose a dimension to split by."),
    "repeated_dimension": lambda e: _("Each dimension can be used once."),
    "unknown_dimension": lambda e: _("Unknown dimension: %(dim)s.", dim=e.details["dim"]),
    "unknown_method": lambda e: _("Unknown split method: %(method)s.",
                                  method=e.details["method"]),
    "typed_one_level": lambda e: _("Typed weights and growth rates apply to one level at "
                                   "a time."),
    "already_split": lambda e: _("This target is already split by %(dim)s.",
                                 dim=dim_label(e.details["dim"])),
    "rep_has_no_units": lambda e: _("A rep's target cannot be split by %(dim)s.",
                                    dim=dim_label(e.details["dim"])),
    "already_rep": lambda e: _("This target is already a rep's."),
    "nothing_to_split": lambda e: _("There is nothing to split this target into by "
                                    "%(dim)s.", dim=dim_label(e.details["dim"])),
    "negative_weight": lambda e: _("A weight cannot be negative."),
    "zero_weights": lambda e: _("The weights are all zero: type at least one weight "
                                "above zero."),
    "growth_negative": lambda e: _("A growth rate below -100% makes a negative target."),
    # "type N values, one per child": details n (wanted), got, dim
    "weights_count": lambda e: ngettext(
        "Type %(num)d weight, one per %(dim)s (got %(got)d).",
        "Type %(num)d weights, one per %(dim)s (got %(got)d).", e.details["n"],
        dim=dim_label(e.details["dim"]), got=e.details["got"]),
    "growth_count": lambda e: ngettext(
        "Type %(num)d growth rate, one per %(dim)s (got %(got)d).",
        "Type %(num)d growth rates, one per %(dim)s (got %(got)d).", e.details["n"],
        dim=dim_label(e.details["dim"]), got=e.details["got"]),
    "levels_count": lambda e: ngettext(
        "Type %(num)d level, one per %(dim)s (got %(got)d).",
        "Type %(num)d levels, one per %(dim)s (got %(got)d).", e.details["n"],
        dim=dim_label(e.details["dim"]), got=e.details["got"]),
}


def worded(exc: TreeError, label: Callable[[Node], str], metric: Metric) -> DecomposeError:
    """The tree rules' refusal in the user's words; `label` names a target."""
    node = exc.node
    if exc.cause == "split" and node is not None:
        return _fail(exc.details["error"], label(node))
    if exc.cause == "locked_below" and node is not None:
        return DecomposeError(_(
            "%(node)s is locked below this target; unlock it before decomposing "
            "again (nothing was changed).", node=label(node)))
    if exc.cause == "sibling_locks" and node is not None and node.parent is not None:
        parent = node.parent
        return DecomposeError(_(
            "%(node)s cannot be set to %(new)s: with the locked siblings (%(locked)s) "
            "it would exceed %(parent)s's %(total)s. Unlock a sibling or change the "
            "parent; nothing was changed.", node=label(node),
            new=fmt(exc.details["new"], metric), locked=fmt(exc.details["locked"], metric),
            parent=label(parent), total=fmt(parent.value, metric)))
    if exc.cause == "month_sibling_locks" and node is not None and node.parent is not None:
        d = exc.details
        return DecomposeError(_(
            "%(node)s cannot be set to %(new)s in %(month)s: %(parent)s has %(total)s "
            "that month and its locked targets hold %(locked)s, so no unlocked sibling "
            "can take the difference. Unlock a sibling or change the parent; nothing was "
            "changed.", node=label(node), new=fmt(d["new"], metric),
            month=d.get("month_label", ""), parent=label(node.parent),
            total=fmt(d["total"], metric), locked=fmt(d["locked"], metric)))
    say = _SIMPLE.get(exc.cause)
    return DecomposeError(say(exc) if say else _("These numbers cannot be split; check "
                                                   "them."))
