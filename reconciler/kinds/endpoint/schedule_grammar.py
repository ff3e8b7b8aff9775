"""Schedule expressions and time zones of scheduled actions, checked as Application Auto Scaling checks them.

botocore's model gives ``PutScheduledAction.Schedule`` only a length and a character set; what AWS accepts is
in its documentation, which this module follows:

- ``at(yyyy-mm-ddThh:mm:ss)``: a date the calendar has, a time of day.
- ``rate(value unit)``: a positive whole number; the unit ``minute``, ``hour`` or ``day``, singular when the
  value is 1 and plural otherwise ("rate(1 hours) and rate(5 hour) aren't valid": EventBridge's rate
  expressions reference, which the API reference's "value is a positive integer and unit is minute | minutes
  | hour | hours | day | days" follows).
- ``cron(Minutes Hours Day-of-month Month Day-of-week Year)``: six fields (Application Auto Scaling user
  guide, "Schedule recurring scaling actions using cron expressions", which points to EventBridge's cron
  expressions reference for the syntax): minutes 0-59, hours 0-23, day-of-month 1-31, month 1-12 or JAN-DEC,
  day-of-week 1-7 or SUN-SAT, year 1970-2199; wildcards ``, - * /`` in every field but day-of-week (no
  ``/``), ``?`` in day-of-month or day-of-week (exactly one of the two), ``L`` and ``W`` in day-of-month
  (``L``, ``LW``, ``15W``), ``L`` and ``#`` in day-of-week (``6L``, ``3#2``; a ``#`` stands alone in its
  field).
- Time zones: "the canonical names of the IANA time zones" (PutScheduledAction's Timezone), looked up in the
  IANA database Python ships with (``zoneinfo``).

Every function returns every problem it finds (what AWS would refuse, and what is allowed), never raises.
"""

from __future__ import annotations

import calendar
import functools
import re
from dataclasses import dataclass
from pathlib import Path

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_AT = re.compile(r"at\(([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})\)")
_RATE = re.compile(r"rate\(([0-9]+) ([A-Za-z]+)\)")
_CRON = re.compile(r"cron\((.*)\)")
UNITS = ("minute", "hour", "day")
EXAMPLES = "cron(0 8 ? * MON-FRI *), rate(5 minutes) or at(2027-01-31T08:00:00)"


@dataclass(frozen=True)
class Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()  # JAN.. / SUN.., for low, low + 1, …
    wildcards: str = ",-*/"

    @property
    def allowed(self) -> str:
        names = f" or {self.names[0]}-{self.names[-1]}" if self.names else ""
        return f"{self.low}-{self.high}{names}"


FIELDS = (Field("minutes", 0, 59), Field("hours", 0, 23), Field("day-of-month", 1, 31, wildcards=",-*/?LW"),
          Field("month", 1, 12, MONTHS), Field("day-of-week", 1, 7, DAYS, ",-*?L#"), Field("year", 1970, 2199))


def expression_problems(expr: str) -> list[str]:
    """Why AWS would refuse this schedule expression (empty when it would not)."""
    if expr.startswith("at("):
        return _at(expr)
    if expr.startswith("rate("):
        return _rate(expr)
    m = _CRON.fullmatch(expr)
    if m is None:
        return [f"use {EXAMPLES}"]
    fields = m.group(1).split()
    if len(fields) != 6:
        return [f"cron(...) has 6 fields ({' '.join(f.name for f in FIELDS)}), e.g. cron(0 8 ? * MON-FRI *); "
                f"this one has {len(fields)}"]
    out = [p for f, text in zip(FIELDS, fields, strict=True) for p in _field(f, text)]
    if (fields[2] == "?") == (fields[4] == "?"):
        out.append("cron(...) needs '?' in exactly one of day-of-month and day-of-week, e.g. cron(0 8 ? * MON-FRI *) "
                   "or cron(0 8 1 * ? *)")
    return out


def _at(expr: str) -> list[str]:
    m = _AT.fullmatch(expr)
    if m is None:
        return ["at(...) takes a date and time as at(yyyy-mm-ddThh:mm:ss), e.g. at(2027-01-31T08:00:00)"]
    year, month, day, hour, minute, second = map(int, m.groups())
    out = []
    if not 1 <= month <= 12:
        out.append(f"month {month:02d} of at(...): allowed 01-12")
    elif not 1 <= day <= calendar.monthrange(year, month)[1]:
        last = calendar.monthrange(year, month)[1]
        out.append(f"{year}-{month:02d}-{day:02d} is not a date: {calendar.month_name[month]} {year} has {last} days")
    for what, value, high in (("hour", hour, 23), ("minute", minute, 59), ("second", second, 59)):
        if value > high:
            out.append(f"{what} {value:02d} of at(...): allowed 00-{high}")
    return out


def _rate(expr: str) -> list[str]:
    m = _RATE.fullmatch(expr)
    if m is None:
        return ["rate(...) takes a whole number of at least 1 and a unit: rate(1 minute), rate(5 minutes), "
                "rate(1 hour), rate(2 days)"]
    value, unit = int(m.group(1)), m.group(2)
    singular = unit[:-1] if unit.endswith("s") else unit
    if singular not in UNITS:
        return [f"rate(...) has no unit {unit!r}; allowed: minute, minutes, hour, hours, day, days"]
    if value < 1:
        return ["rate(...) takes a whole number of at least 1, e.g. rate(5 minutes)"]
    want = singular if value == 1 else singular + "s"
    if unit != want:
        return [f"with {value} the unit is {'singular' if value == 1 else 'plural'}: rate({value} {want}) "
                f"(AWS refuses rate({value} {unit}))"]
    return []


def _field(f: Field, text: str) -> list[str]:
    """The problems of one cron field."""
    if "?" in text:
        if "?" not in f.wildcards:
            return [f"{f.name} {text!r}: '?' is allowed only in day-of-month and day-of-week"]
        return [] if text == "?" else [f"{f.name} {text!r}: '?' stands alone in its field"]
    if "#" in text:
        if "#" not in f.wildcards:
            return [f"{f.name} {text!r}: '#' is allowed only in day-of-week (e.g. 3#2, the second Tuesday)"]
        if "," in text:
            return [f"{f.name} {text!r}: a '#' expression stands alone in its field (3#1,6#3 is two expressions)"]
        day, _, nth = text.partition("#")
        out = _value(f, day)
        if not (nth.isascii() and nth.isdigit() and 1 <= int(nth) <= 5):
            out.append(f"{f.name} {text!r}: the number after '#' is the week of the month, 1-5")
        return out
    return [p for element in text.split(",") for p in _element(f, element)]


def _element(f: Field, element: str) -> list[str]:
    if element == "":
        return [f"{f.name}: an empty item in a list (two commas, or a comma at an end)"]
    if "L" in f.wildcards and element.upper().endswith(("L", "LW")):
        return _last(f, element)
    if "W" in f.wildcards and element.upper().endswith("W"):
        return _value(f, element[:-1]) if element[:-1] else [f"{f.name} {element!r}: 'W' follows a day, e.g. 15W"]
    base, slash, step = element.partition("/")
    out = []
    if slash:
        if "/" not in f.wildcards:
            return [f"{f.name} {element!r}: '/' is not allowed in {f.name}"]
        if not (step.isascii() and step.isdigit() and 1 <= int(step) <= f.high - f.low + 1):
            out.append(f"{f.name} {element!r}: the increment after '/' is a whole number, 1-{f.high - f.low + 1}")
    if base == "*":
        return out
    low, dash, high = base.partition("-")
    out += _value(f, low)
    if dash:
        out += _value(f, high)
    return out


def _last(f: Field, element: str) -> list[str]:
    up = element.upper()
    if f.name == "day-of-month" and up in ("L", "LW"):
        return []
    if f.name == "day-of-week" and up == "L":
        return []
    if f.name == "day-of-week" and up.endswith("L"):
        return _value(f, element[:-1])  # 6L: the last Friday of the month
    form = "L or LW" if f.name == "day-of-month" else "L, or a day followed by L (6L, the last Friday)"
    return [f"{f.name} {element!r}: 'L' is written {form}"]


def _value(f: Field, text: str) -> list[str]:
    up = text.upper()
    if up in f.names:
        return []
    if text.isascii() and text.isdigit() and f.low <= int(text) <= f.high:
        return []
    what = "out of range" if text.isascii() and text.isdigit() else "not a value"
    return [f"{f.name} {text!r} is {what}; allowed: {f.allowed}"]


def timezone_problem(tz: str) -> str | None:
    """Why ``tz`` is not an IANA time zone name, or None."""
    known = iana_zones()
    if tz in known:
        return None
    import difflib

    close = difflib.get_close_matches(tz, sorted(known), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"{tz!r} is not an IANA time zone name (e.g. UTC, Europe/Berlin, America/New_York){hint}"


@functools.cache
def iana_zones() -> frozenset[str]:
    """The zone and link names of the IANA database: its own list (``tzdata.zi``, which the system's zoneinfo
    or the tzdata package ships), else the zone files zoneinfo finds (without ``localtime`` and
    ``posixrules``, which are copies of a zone, not names in the database)."""
    import zoneinfo

    for folder in zoneinfo.TZPATH:
        listing = Path(folder) / "tzdata.zi"
        if listing.is_file():
            # "Z NAME rules…" declares a zone, "L TARGET NAME" a link (an older or other name of a zone)
            names = {line.split()[1 if line[0] == "Z" else 2] for line in listing.read_text(errors="replace").splitlines()
                     if line.startswith(("Z ", "L ")) and len(line.split()) > 2}
            if names:
                return frozenset(names)
    return frozenset(zoneinfo.available_timezones() - {"localtime", "posixrules"})
