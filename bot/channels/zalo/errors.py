"""Zalo's refusals as the delivery room's Outcomes.

The codes below are those Zalo's documentation and open-source integrations name for the consultation API
(verify against the current docs when Zalo changes them); anything else keeps Zalo's message as the reason.
"""

from __future__ import annotations

from bot.channels.zalo.api import ZaloError
from bot.delivery.records import Blocked, Failed, Outcome, RetryAfter, Skipped

TOKEN_INVALID = -216  # access token invalid or expired: refresh and try again
NOT_FOLLOWER = -213  # the citizen does not follow the OA (unfollowed, or never did)
OUTSIDE_WINDOW = -230  # no interaction in the last 7 days: consultation messages refused
RATE_LIMIT = -32  # requests per minute of the app / OA exceeded
RECIPIENT_LIMIT = -244  # too many messages to this citizen
NIGHT_LIMIT = -248  # promotional sends not allowed at night (22:00–06:00)
PARAMETER = -201  # a parameter Zalo refuses (text too long, too many buttons…)

RATE_LIMIT_WAIT = 60.0  # Zalo counts per minute
RECIPIENT_WAIT = 600.0


def outcome(error: ZaloError) -> Outcome:
    if error.status >= 500:
        return Failed(f"Zalo server error {error.status}: {error.message}", transient=True)
    if error.code == RATE_LIMIT:
        return RetryAfter(RATE_LIMIT_WAIT)
    if error.code == NOT_FOLLOWER:
        return Blocked("not a follower of the OA")
    if error.code == OUTSIDE_WINDOW:
        return Skipped("outside Zalo's 7-day window")
    if error.code == RECIPIENT_LIMIT:
        return Failed(f"Zalo's limit per citizen ({error.message})", transient=True)
    if error.code == NIGHT_LIMIT:
        return Failed(f"Zalo's night-time limit ({error.message})", transient=True)
    if error.code == TOKEN_INVALID:
        return Failed("Zalo access token refused", transient=True)
    return Failed(f"Zalo error {error.code}: {error.message}", transient=False)
