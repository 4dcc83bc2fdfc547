"""Validation of vector signatures, as the signature pad posts them.

Format (CSS pixels of the pad, time in milliseconds from the first point):
`{"width": 320, "height": 120, "strokes": [[[x, y, t], ...], ...]}`.

A signature is evidence: it is stored as posted (normalised), never as a picture, so
the sheet can redraw it at any size and a seal can hash it. What is refused here is
what no real hand produces: an empty tap, points far outside the pad, absurd sizes.
"""

import json
import math
from decimal import Decimal

from django.utils.translation import gettext as _

from sessions.exceptions import AttendanceError

MIN_PAD_SIZE = 20
MAX_PAD_SIZE = 4096
MAX_STROKES = 500
MAX_POINTS = 10_000
MAX_JSON_CHARS = 1_000_000
# Fingers overshoot the pad's edge while the pointer is still captured: tolerate 5 %
# of the side (at least 10 px) beyond it.
OVERSHOOT_RATIO = 0.05
MIN_OVERSHOOT = 10.0
# A tap leaves one or two points a pixel apart: at least one stroke must be this long.
MIN_STROKE_LENGTH = 5.0


def _invalid(reason: str) -> AttendanceError:
    return AttendanceError(
        _("Signature invalide : %(reason)s Recommencez la signature.") % {"reason": reason},
        code="invalid_signature",
    )


def _is_number(value) -> bool:
    # bool is an int in Python; `true` is not a coordinate.
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _compact(value: float) -> int | float:
    """Rounds to 1/100 px and writes integral values as ints, so the stored JSON (and
    hence the seal's canonical form) reads back identically on SQLite and PostgreSQL."""
    value = round(float(value), 2)
    return int(value) if value.is_integer() else value


def validate_signature(data) -> dict:
    """Returns the signature normalised (only `width`, `height`, `strokes`; numbers
    rounded to 1/100), or raises AttendanceError(code="invalid_signature").

    `data` is the dict posted by the pad; a JSON string is accepted too.
    """
    if isinstance(data, str | bytes):
        if len(data) > MAX_JSON_CHARS:
            raise _invalid(_("le tracé est trop volumineux."))
        try:
            data = json.loads(data)
        except (ValueError, RecursionError):
            # RecursionError: "[[[[…" nested deeper than the parser's stack.
            raise _invalid(_("le tracé n'est pas lisible.")) from None
    if not isinstance(data, dict):
        raise _invalid(_("aucun tracé reçu."))
    width, height = data.get("width"), data.get("height")
    for side in (width, height):
        if (
            not isinstance(side, int)
            or isinstance(side, bool)
            or not MIN_PAD_SIZE <= side <= MAX_PAD_SIZE
        ):
            raise _invalid(_("dimensions du cadre de signature incorrectes."))
    strokes = data.get("strokes")
    if not isinstance(strokes, list) or not strokes:
        raise _invalid(_("le cadre est vide."))
    if len(strokes) > MAX_STROKES:
        raise _invalid(_("trop de traits."))
    margin_x = max(MIN_OVERSHOOT, width * OVERSHOOT_RATIO)
    margin_y = max(MIN_OVERSHOOT, height * OVERSHOOT_RATIO)
    total_points = 0
    longest = 0.0
    clean_strokes = []
    for stroke in strokes:
        if not isinstance(stroke, list) or len(stroke) < 2:
            raise _invalid(_("un trait doit compter au moins deux points."))
        total_points += len(stroke)
        if total_points > MAX_POINTS:
            raise _invalid(_("le tracé compte trop de points."))
        clean = []
        length = 0.0
        for point in stroke:
            if (
                not isinstance(point, list | tuple)
                or len(point) != 3
                or not all(map(_is_number, point))
            ):
                raise _invalid(_("point de tracé mal formé."))
            try:
                x, y, t = (float(v) for v in point)
            except OverflowError:  # an integer of hundreds of digits
                raise _invalid(_("point de tracé mal formé.")) from None
            if not (math.isfinite(x) and math.isfinite(y) and math.isfinite(t)) or t < 0:
                raise _invalid(_("point de tracé mal formé."))
            if not (-margin_x <= x <= width + margin_x and -margin_y <= y <= height + margin_y):
                raise _invalid(_("le tracé sort du cadre de signature."))
            if clean:
                length += math.hypot(x - clean[-1][0], y - clean[-1][1])
            clean.append([_compact(x), _compact(y), _compact(t)])
        longest = max(longest, length)
        clean_strokes.append(clean)
    if longest < MIN_STROKE_LENGTH:
        raise _invalid(_("le tracé est trop court (un simple appui ne vaut pas signature)."))
    return {"width": width, "height": height, "strokes": clean_strokes}


def signature_svg(signature) -> dict | None:
    """Path data to redraw a stored vector signature as inline SVG (no script, no style):
    `{"width", "height", "paths": ["M x y L x y …", …]}`, or None when nothing is drawable.
    Used by the trainer's half-day page and the auditor's control page."""
    if not isinstance(signature, dict):
        return None
    paths = []
    for stroke in signature.get("strokes") or []:
        if not stroke:
            continue
        points = [f"{p[0]} {p[1]}" for p in stroke]
        paths.append("M" + " L".join(points))
    if not paths:
        return None
    return {"width": signature.get("width"), "height": signature.get("height"), "paths": paths}
