"""Schedule expressions as Application Auto Scaling checks them (reconciler/kinds/endpoint/schedule_grammar.py)."""

from __future__ import annotations

import pytest

from reconciler.kinds.endpoint.schedule_grammar import expression_problems, timezone_problem

#: AWS's own examples (EventBridge cron and rate references, the Application Auto Scaling user guide) and more
VALID = ["cron(0 8 ? * MON-FRI *)", "cron(30 6 ? * MON *)", "cron(0 12 * * ? *)", "cron(15 10 ? * 6L *)",
         "cron(0 23 L * ? *)", "cron(0 0 LW * ? *)", "cron(0 0 15W * ? *)", "cron(0 9 ? * 3#2 *)",
         "cron(0/15 * ? * * *)", "cron(*/5 * * * ? *)", "cron(0 0 1 1 ? 2027)", "cron(0 18 ? * FRI 2027-2030)",
         "cron(0 8 ? JAN,JUL * *)", "cron(0 0 ? * L *)", "cron(1-10/3 0,12 1-15 */2 ? *)",
         "rate(1 minute)", "rate(5 minutes)", "rate(1 hour)", "rate(2 days)", "rate(1 day)",
         "at(2027-01-31T08:00:00)", "at(2028-02-29T23:59:59)"]

INVALID = {
    "at(2027-02-30T10:00:00)": ["2027-02-30 is not a date: February 2027 has 28 days"],
    "at(2027-04-31T10:00:00)": ["April 2027 has 30 days"],
    "at(2027-13-01T24:60:60)": ["month 13", "hour 24", "minute 60", "second 60"],
    "at(2027-1-1T10:00:00)": ["at(yyyy-mm-ddThh:mm:ss)"],
    "cron(61 8 ? * MON-FRI *)": ["minutes '61' is out of range; allowed: 0-59"],
    "cron(0 25 32 13 ? 2200)": ["hours '25'", "day-of-month '32'", "month '13'", "year '2200'"],
    "cron(0 8 ? * 0 *)": ["day-of-week '0' is out of range; allowed: 1-7 or SUN-SAT"],
    "cron(0 8 ? * MON/2 *)": ["'/' is not allowed in day-of-week"],
    "cron(0 8 ? * 3#6 *)": ["the number after '#' is the week of the month, 1-5"],
    "cron(0 8 ? * 3#1,6#3 *)": ["a '#' expression stands alone in its field"],
    "cron(0 8 L ? * *)": ["month '?': '?' is allowed only in day-of-month and day-of-week", "needs '?' in exactly one"],
    "cron(0 8 * * MON-FRI *)": ["needs '?' in exactly one of day-of-month and day-of-week"],
    "cron(0 8 ? * ? *)": ["needs '?' in exactly one"],
    "cron(0 8 1W,? * ? *)": ["'?' stands alone in its field"],
    "cron(0 8 5L * ? *)": ["'L' is written L or LW"],
    "cron(0L 8 1 * ? *)": ["minutes '0L' is not a value"],
    "cron(0 8 1,,2 * ? *)": ["an empty item in a list"],
    "cron(0/0 8 1 * ? *)": ["the increment after '/' is a whole number, 1-60"],
    "cron(٠ 8 1 * ? *)": ["minutes '٠' is not a value"],  # another script's digit
    "cron(0 8 ? * MON-FRI)": ["cron(...) has 6 fields"],
    "rate(1 hours)": ["with 1 the unit is singular: rate(1 hour)"],
    "rate(5 hour)": ["with 5 the unit is plural: rate(5 hours)"],
    "rate(0 minutes)": ["a whole number of at least 1"],
    "rate(5 weeks)": ["no unit 'weeks'"],
    "rate(five minutes)": ["a whole number of at least 1 and a unit"],
    "every 5 minutes": ["use cron(0 8 ? * MON-FRI *)"],
}


@pytest.mark.parametrize("expr", VALID)
def test_what_aws_accepts_passes(expr: str) -> None:
    assert expression_problems(expr) == []


@pytest.mark.parametrize("expr", sorted(INVALID))
def test_what_aws_refuses_is_said_each_problem_apart(expr: str) -> None:
    got = expression_problems(expr)
    assert len(got) == len(INVALID[expr]), got
    for want, problem in zip(INVALID[expr], got, strict=True):
        assert want in problem, (want, got)


def test_time_zones_are_looked_up_in_the_iana_database() -> None:
    for tz in ("UTC", "Europe/Berlin", "Etc/GMT+9", "Pacific/Tahiti", "America/New_York"):
        assert timezone_problem(tz) is None
    # files beside the zones (posix/, right/, localtime) are not zone names; neither is another spelling
    for tz in ("posix/Europe/Berlin", "right/UTC", "localtime", "Europe/berlin", "Europe/Atlantis", "UTC+2"):
        assert "is not an IANA time zone name" in str(timezone_problem(tz)), tz
    assert "did you mean 'Europe/Berlin'?" in str(timezone_problem("Europe/berlin"))
