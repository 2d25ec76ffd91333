"""Quiz screens: registration, questions, prediction, results, leaderboard, privacy."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from html import escape

from bot.domain.quiz.ranking import Ranked, RankedGroup
from bot.domain.quiz.records import Attempt, Participant
from bot.domain.quiz.registration import BirthYear, Step, YearProblem
from bot.domain.quiz.schema import Contest, Group, Localized, Question, QuizBank
from bot.domain.quiz.service import Leaderboard, Refusal, Result, remaining
from bot.domain.records import UnitRecord
from bot.i18n import _, current_locale, format_date, format_datetime, format_number, ngettext
from bot.ui import menu
from bot.ui.callbacks_guides import GuideShowCb
from bot.ui.callbacks_quiz import (
    AnswerCb,
    NextQuestionCb,
    QuizAction,
    QuizCb,
    QuizEditCb,
    QuizForgetCb,
    QuizGroupCb,
    RegistrationField,
)
from bot.ui.labels import fits
from bot.ui.screens.common import answered, menu_button, unit_name
from bot.ui.view import Attachment, Button, Choice, View, rows

LETTERS = "ABCDEF"
TEXT_LIMIT = 3800


def t(text: Localized | None) -> str:
    return text.get(current_locale()) if text else ""


def _menu_button() -> Choice:
    return menu_button()


def _home_button() -> Choice:
    return Choice(_("🏆 Quiz home"), QuizCb(action=QuizAction.home))


def clock(left: timedelta) -> str:
    seconds = int(left.total_seconds())
    return f"{seconds // 60}:{seconds % 60:02d}"


def duration_text(milliseconds: int) -> str:
    seconds = milliseconds // 1000
    return _("{minutes} min {seconds} s").format(minutes=seconds // 60, seconds=seconds % 60)


def display_name(name: str | None) -> str:
    """How others see a person in the ranking: initials only, since names are shown only to
    the person and the organizers (see the consent text)."""
    initials = "".join(f"{word[0].upper()}." for word in (name or "").split())
    return escape(initials) if initials else _("Anonymous participant")


# ---------------------------------------------------------------- registration


def consent() -> View:
    return View(
        text=consent_text(),
        buttons=rows(
            Choice(_("✅ I agree"), QuizCb(action=QuizAction.consent)),
            Choice(_("✖️ No, thank you"), QuizCb(action=QuizAction.decline)),
            Choice(_("📝 Practise, no sign-up"), QuizCb(action=QuizAction.practice)),
        ),
    )


def consent_text() -> str:
    return "\n\n".join(
        [
            _("<b>Before you take part: your personal data</b>"),
            _(
                "Under the Law on Personal Data Protection (No. 91/2025/QH15, in force since 1 January 2026), "
                "we ask for your consent first."
            ),
            _(
                "<b>What we collect:</b> your full name, phone number, birth year, participant group and unit "
                "(commune or ward), and your answers and scores."
            ),
            _("<b>Why:</b> to check eligibility, rank the contest, award prizes and contact prize winners."),
            _(
                "<b>How long:</b> until the awards are settled and at most 12 months after the contest ends. "
                "Only you and the organizers can see your name and phone number."
            ),
            _(
                "You can see your data with /privacy and erase your name and phone number with /forget at any time. "
                "Practice does not need any personal data."
            ),
        ]
    )


def consent_answered(agreed: bool) -> View:
    return answered(consent_text(), _("✅ I agree") if agreed else _("✖️ No, thank you"))


def declined(stored_before: bool) -> View:
    """After "No, thank you". Never says nothing is stored when something is (a registration erased by /forget
    keeps the birth year, group and anonymous scores)."""
    text = (
        _(
            "No problem: nothing new was saved. /privacy shows what is still stored about you. "
            "You can practise at any time."
        )
        if stored_before
        else _("No problem: nothing was saved. You can still practise at any time.")
    )
    return View(text=text, buttons=rows(Choice(_("📝 Practise"), QuizCb(action=QuizAction.practice)), _menu_button()))


def ask_name() -> View:
    return View(text=_("Please type your <b>full name</b> as it should appear on your certificate."))


def bad_name() -> View:
    return View(text=_("Please type your full name in letters only, for example: Nguyễn Văn An."))


def ask_phone() -> View:
    return View(
        text=_("Please share <b>your own phone number</b> with the button below."),
        contact_request=_("📱 Share my phone number"),
    )


def phone_not_own() -> View:
    return View(
        text=_("That is someone else's contact. Please use the button to share your own number."),
        contact_request=_("📱 Share my phone number"),
    )


def phone_saved(phone: str) -> View:
    """The shared number, confirmed; this message also gives the big buttons back (the share button goes)."""
    return View(text=_("📱 Your phone number: {phone} ✅").format(phone=escape(phone)), keyboard=menu.keyboard())


def contact_not_needed() -> View:
    return View(
        text=_("Thank you, but I do not need your phone number now, so I did not save it."), keyboard=menu.keyboard()
    )


def ask_birth_year() -> View:
    return View(text=_("In which year were you born? Please type four digits, for example 1990."))


def bad_birth_year(checked: BirthYear, now: datetime) -> View:
    if checked.problem is YearProblem.future and checked.year is not None:
        text = _("{year} has not come yet. Please type the year you were born, for example 1990.").format(
            year=checked.year
        )
    elif checked.problem is YearProblem.too_old and checked.year is not None:
        text = _(
            "{year} would make you {age} years old. Please check the year you were born and type it again, "
            "for example 1990."
        ).format(year=checked.year, age=now.year - checked.year)
    else:
        text = _("Please type a birth year with four digits, for example 1990.")
    return View(text=text)


def too_young(contest: Contest, birth_year: int | None) -> View:
    text = "\n\n".join(
        [
            _("The contest “{contest}” is open to people aged {age} and over.").format(
                contest=escape(t(contest.title)), age=contest.eligibility.min_age
            ),
            _(
                "With the birth year {year} you cannot take part in it, so I will not ask for your name or phone "
                "number. You can practise at any time."
            ).format(year=birth_year or "—"),
            _("Did you type the wrong year? Correct it with the button below."),
        ]
    )
    return View(
        text=text,
        buttons=rows(
            Choice(_("✏️ Correct my birth year"), QuizCb(action=QuizAction.correct_year)),
            Choice(_("📝 Practise"), QuizCb(action=QuizAction.practice)),
            _menu_button(),
        ),
    )


def group_question() -> str:
    return _("Which participant group are you in?")


def ask_group(groups: list[Group]) -> View:
    language = current_locale()
    labels = [group.button(language) for group in groups]
    if all(fits(label) for label in labels):
        return View(
            text=group_question(),
            buttons=rows(
                *[Choice(label, QuizGroupCb(id=group.id)) for label, group in zip(labels, groups, strict=True)]
            ),
        )
    # A name too long for a button: the full names in the text, numbered buttons.
    listed = "\n".join(f"<b>{number}.</b> {escape(label)}" for number, label in enumerate(labels, start=1))
    numbers = [Choice(str(number), QuizGroupCb(id=group.id)) for number, group in enumerate(groups, start=1)]
    return View(text=f"{group_question()}\n\n{listed}", buttons=(tuple(numbers),))


def group_chosen(group: Group) -> View:
    return answered(group_question(), t(group.title))


def pick_with_buttons() -> View:
    return View(text=_("Please choose with the buttons of the question below."))


def registration_summary(
    participant: Participant,
    unit: UnitRecord | None,
    group: Group | None,
    locked: bool,
    contest: Contest | None,
    left: int | None = None,
    eligible: bool = True,
) -> View:
    """`left`: attempts the person may still start in the open contest (None: any number)."""
    lines = [_("<b>Your registration</b>"), _details(participant, unit, group)]
    if locked:
        lines.append(
            _(
                "Your name, phone number, birth year and group are fixed now that you have taken part in a contest. "
                "Your commune or ward can be changed in /help."
            )
        )
    buttons: list[Button] = []
    if contest is not None:
        lines.append(open_contest_lines(contest, left))
        if not eligible:
            lines.append(
                _("This contest is open to people aged {age} and over.").format(age=contest.eligibility.min_age)
            )
        elif left is None or left > 0:
            buttons.append(Choice(_("▶️ Start the contest"), QuizCb(action=QuizAction.rules)))
    else:
        lines.append(_("No contest is open right now. You can practise meanwhile."))
    buttons.append(Choice(_("📝 Practise"), QuizCb(action=QuizAction.practice)))
    buttons.append(Choice(_("🏅 Leaderboard"), QuizCb(action=QuizAction.top)))
    if not locked:
        buttons.append(Choice(_("✏️ Edit my details"), QuizCb(action=QuizAction.edit)))
    buttons.append(Choice(_("🔒 My data"), QuizCb(action=QuizAction.privacy)))
    buttons.append(_menu_button())
    return View(text="\n\n".join(lines), buttons=rows(*buttons))


def open_contest_lines(contest: Contest, left: int | None) -> str:
    lines = [_("🏆 Open now: <b>{contest}</b>").format(contest=escape(t(contest.title)))]
    if contest.demo:
        lines.append(_("This is a demo contest: its results do not count and it has no real prizes."))
    lines.append(attempts_line(contest, left))
    return "\n".join(lines)


def attempts_line(contest: Contest, left: int | None) -> str:
    if left is None:
        return _("You may take part as many times as you like.")
    if left == 0:
        return ngettext(
            "You have used your {n} attempt in this contest.",
            "You have used all {n} attempts in this contest.",
            contest.attempts_allowed,
        ).format(n=contest.attempts_allowed)
    return _("Attempts left: {left} of {n}.").format(left=left, n=contest.attempts_allowed)


def _details(participant: Participant, unit: UnitRecord | None, group: Group | None) -> str:
    dash = "—"
    return "\n".join(
        [
            _("Name: {value}").format(value=escape(participant.full_name or dash)),
            _("Phone: {value}").format(value=escape(participant.phone or dash)),
            _("Birth year: {value}").format(value=participant.birth_year or dash),
            _("Group: {value}").format(value=escape(t(group.title) if group else dash)),
            _("Unit: {value}").format(value=escape(unit_name(unit) if unit else dash)),
        ]
    )


def edit_labels() -> dict[RegistrationField, str]:
    return {
        RegistrationField.name: _("Name"),
        RegistrationField.phone: _("Phone number"),
        RegistrationField.birth_year: _("Birth year"),
        RegistrationField.group: _("Group"),
        RegistrationField.unit: _("Unit"),
    }


def edit_question() -> str:
    return _("What would you like to change?")


def edit_menu() -> View:
    return View(
        text=edit_question(),
        buttons=rows(
            *[Choice(label, QuizEditCb(field=field)) for field, label in edit_labels().items()], _home_button()
        ),
    )


def edit_chosen(field: RegistrationField) -> View:
    return answered(edit_question(), edit_labels()[field])


def details_locked() -> str:
    return _("Your details can no longer be changed after your first contest attempt.")


def contest_intro(contest: Contest) -> str:
    parts = [f"🏆 <b>{escape(t(contest.title))}</b>"]
    if contest.description:
        parts.append(escape(t(contest.description)))
    if contest.window:
        parts.append(_("Open until {end}.").format(end=format_datetime(contest.window.end, "short")))
    return "\n\n".join(parts)


def rules_text(contest: Contest, left: int | None, window_end: datetime | None) -> str:
    """Everything to know before the timer starts."""
    lines = [
        f"🏆 <b>{escape(t(contest.title))}</b>",
        _("<b>Before you start</b>"),
        "• "
        + ngettext(
            "{n} question, {minutes} minutes in all.",
            "{n} questions, {minutes} minutes in all.",
            contest.questions_per_attempt,
        ).format(n=contest.questions_per_attempt, minutes=contest.time_limit_minutes),
        "• " + _("The timer starts when you tap Start and does not stop if you leave the chat."),
        "• " + attempts_line(contest, left),
    ]
    if contest.prediction.enabled:
        lines.append(
            "• "
            + _(
                "Only your best attempt counts: the most correct answers; when scores are equal, the prediction "
                "closest to the real number of entrants, then the shorter time."
            )
        )
        lines.append("• " + _("After the last question you will be asked one prediction question."))
    else:
        lines.append(
            "• "
            + _("Only your best attempt counts: the most correct answers; when scores are equal, the shorter time.")
        )
    if window_end is not None:
        lines.append("• " + _("Open until {end}.").format(end=format_datetime(window_end, "short")))
    if contest.demo:
        lines.append("• " + _("This is a demo contest: its results do not count and it has no real prizes."))
    return "\n".join(lines)


def contest_rules(contest: Contest, left: int | None, window_end: datetime | None) -> View:
    return View(
        text=rules_text(contest, left, window_end),
        buttons=rows(
            Choice(_("▶️ Start now"), QuizCb(action=QuizAction.begin)),
            Choice(_("✖️ Not now"), QuizCb(action=QuizAction.not_now)),
        ),
    )


def rules_answered(contest: Contest, left: int | None, window_end: datetime | None, started: bool) -> View:
    return answered(rules_text(contest, left, window_end), _("▶️ Start now") if started else _("✖️ Not now"))


def refusal(reason: Refusal, contest: Contest) -> View:
    texts = {
        Refusal.not_open: _("This contest is not open right now."),
        Refusal.too_young: _("This contest is open to people aged {age} and over.").format(
            age=contest.eligibility.min_age
        ),
        Refusal.no_attempts_left: ngettext(
            "You have used your {n} attempt in this contest.",
            "You have used all {n} attempts in this contest.",
            contest.attempts_allowed,
        ).format(n=contest.attempts_allowed),
        Refusal.not_registered: _("Please register first."),
    }
    return View(
        text=texts[reason],
        buttons=rows(
            Choice(_("📝 Practise"), QuizCb(action=QuizAction.practice)),
            Choice(_("🏅 Leaderboard"), QuizCb(action=QuizAction.top)),
            _menu_button(),
        ),
    )


# ---------------------------------------------------------------- questions


def question(attempt: Attempt, bank: QuizBank, now: datetime) -> View:
    position = attempt.answered
    item = attempt.items[position]
    entry = bank.questions[item.question_id]
    options = [t(entry.options[index]) for index in item.order]
    header = _("Question {number}/{total} · {time} left").format(
        number=position + 1, total=attempt.total, time=clock(remaining(attempt, now))
    )
    text = f"{header}\n\n<b>{escape(t(entry.text))}</b>"
    # An option too long for a button goes into the text, with A/B/C… buttons: a phone cuts long labels.
    if not all(fits(option) for option in options):
        text += "\n\n" + "\n".join(f"<b>{LETTERS[index]}.</b> {escape(option)}" for index, option in enumerate(options))
        labels = [LETTERS[index] for index in range(len(options))]
        buttons: tuple[tuple[Button, ...], ...] = (
            tuple(
                Choice(label, AnswerCb(attempt=attempt.id, position=position, option=index))
                for index, label in enumerate(labels)
            ),
        )
    else:
        buttons = rows(
            *[
                Choice(option, AnswerCb(attempt=attempt.id, position=position, option=index))
                for index, option in enumerate(options)
            ]
        )
    return View(text=text, buttons=buttons)


def _guide_button(guide_id: str, guide_labels: Mapping[str, str] | None) -> Choice:
    """A button to the guide a question relates to, opened in a new message so this one stays."""
    label = (guide_labels or {}).get(guide_id)
    return Choice(f"📋 {label}" if label else _("📋 Open the related guide"), GuideShowCb(guide=guide_id))


def practice_feedback(
    attempt: Attempt, entry: Question, chosen: int, correct: bool, guide_labels: Mapping[str, str] | None = None
) -> View:
    verdict = (
        _("✅ Correct!")
        if correct
        else _("❌ Not quite. The right answer: {answer}").format(answer=escape(t(entry.options[entry.correct_index])))
    )
    text = f"<b>{escape(t(entry.text))}</b>\n\n{verdict}\n\n💡 {escape(t(entry.explanation))}"
    buttons: list[Button] = []
    if attempt.status == "in_progress":
        buttons.append(Choice(_("Next question ▶️"), NextQuestionCb(attempt=attempt.id, position=attempt.answered)))
    if entry.guide and (guide_labels is None or entry.guide in guide_labels):
        buttons.append(_guide_button(entry.guide, guide_labels))
    return View(text=text, buttons=rows(*buttons))


def answer_saved(attempt: Attempt) -> View:
    return View(text=_("✅ Your answer to question {number} is saved.").format(number=attempt.answered))


def ask_prediction(contest: Contest) -> View:
    return View(
        text=_("<b>Last question</b>\n\n{question}\n\nPlease type a whole number.").format(
            question=escape(t(contest.prediction.text))
        )
    )


def bad_prediction(maximum: int) -> View:
    return View(
        text=_("Please type a whole number between 0 and {maximum}, digits only.").format(
            maximum=format_number(maximum)
        )
    )


def toast_duplicate() -> str:
    return _("This question is already answered.")


def toast_stale() -> str:
    return _("This question is closed. Please use the newest message.")


def toast_expired() -> str:
    return _("Time is up: this answer came after the deadline.")


def in_progress_notice() -> View:
    return View(text=_("You have an attempt in progress. Here is where you left off."))


# ---------------------------------------------------------------- results


def result(res: Result, left: int | None = None, can_start: bool = False) -> View:
    """The result of an attempt; for a contest, how many attempts are left and the next one when allowed
    (`left` None: any number; `can_start`: the contest is open and the person may start another)."""
    attempt = res.attempt
    lines = [
        _("⏰ <b>Time is up.</b> Your answers so far are counted.")
        if attempt.status == "expired"
        else _("🎉 <b>Well done, you have finished!</b>")
    ]
    lines.append(
        ngettext(
            "Score: {correct} of {total} question correct",
            "Score: {correct} of {total} questions correct",
            attempt.total,
        ).format(correct=attempt.correct, total=attempt.total)
    )
    if attempt.duration_ms is not None:
        lines.append(_("Time: {duration}").format(duration=duration_text(attempt.duration_ms)))
    if attempt.prediction is not None:
        lines.append(_("Your prediction: {value}").format(value=format_number(attempt.prediction)))
    if res.rank is not None:
        lines.append(
            _("Current rank: {rank} of {entrants}").format(
                rank=format_number(res.rank.position), entrants=format_number(res.entrants)
            )
        )
    buttons: list[Button] = []
    if attempt.mode == "practice":
        lines.append(_("This was practice: it does not count in the contest."))
    elif res.contest is not None:
        lines.append(_("Only your best attempt counts."))
        lines.append(attempts_line(res.contest, left))
        if can_start and (left is None or left > 0):
            buttons.append(Choice(_("▶️ Next attempt"), QuizCb(action=QuizAction.rules)))
    buttons += [
        Choice(_("🏅 Leaderboard"), QuizCb(action=QuizAction.top)),
        Choice(
            _("📝 Practise again") if attempt.mode == "practice" else _("📝 Practise"),
            QuizCb(action=QuizAction.practice),
        ),
        _menu_button(),
    ]
    return View(text="\n".join(lines), buttons=rows(*buttons))


def wrong_answers(res: Result, guide_labels: Mapping[str, str] | None = None) -> list[View]:
    """The explanations of the questions answered wrongly (or not at all), in messages of a safe length, each
    with buttons to the related guides under their short titles (`guide_labels`: id → label; when given, a guide
    not in it is not offered — it is no longer published)."""
    views: list[View] = []
    text = _("<b>Questions to review</b>")
    buttons: list[Button] = []
    for entry, chosen in res.wrong:
        your = escape(t(entry.options[chosen])) if chosen is not None else _("no answer")
        block = "\n\n".join(
            [
                f"❓ <b>{escape(t(entry.text))}</b>",
                _("Your answer: {answer}").format(answer=your),
                _("Right answer: {answer}").format(answer=escape(t(entry.options[entry.correct_index]))),
                f"💡 {escape(t(entry.explanation))}",
                _("Source: {document}").format(
                    document=f'<a href="{escape(entry.source.url)}">{escape(entry.source.document)}</a>'
                ),
            ]
        )
        if len(text) + len(block) > TEXT_LIMIT:
            views.append(View(text=text, buttons=rows(*buttons)))
            text, buttons = "", []
        text = f"{text}\n\n{block}".strip()
        offered = guide_labels is None or (entry.guide in guide_labels if entry.guide else False)
        if (
            entry.guide
            and offered
            and all(getattr(b, "payload", None) != GuideShowCb(guide=entry.guide) for b in buttons)
        ):
            buttons.append(_guide_button(entry.guide, guide_labels))
    if res.wrong:
        views.append(View(text=text, buttons=rows(*buttons)))
    return views


def certificate_caption(contest: Contest) -> str:
    return _("Your certificate for {contest}").format(contest=escape(t(contest.title)))


def certificate_attachment(data: bytes, contest: Contest) -> View:
    caption = certificate_caption(contest)
    return View(text=caption, attachment=Attachment("certificate.png", data, "document", caption))


# ---------------------------------------------------------------- leaderboard and privacy


def leaderboard(board: Leaderboard) -> View:
    lines = [
        f"🏅 <b>{escape(t(board.contest.title))}</b>",
        ngettext("{n} entrant so far", "{n} entrants so far", board.entrants).format(n=format_number(board.entrants)),
    ]
    if board.top:
        lines.append("")
        lines.extend(_ranked_line(ranked) for ranked in board.top)
    else:
        lines.append(_("Nobody has finished yet. Be the first!"))
    if board.mine is not None:
        lines.append("")
        lines.append(
            _("Your rank: {rank} · {score} correct").format(
                rank=format_number(board.mine.position), score=board.mine.entry.score
            )
        )
    if board.groups:
        lines.append("")
        lines.append(_("<b>Units by participation</b>"))
        lines.extend(_group_line(group) for group in board.groups)
    return View(text="\n".join(lines), buttons=rows(_home_button(), _menu_button()))


def _ranked_line(ranked: Ranked) -> str:
    return _("{rank}. {name} — {score} correct, {duration}").format(
        rank=ranked.position,
        name=display_name(ranked.entry.name),
        score=ranked.entry.score,
        duration=duration_text(ranked.entry.duration_ms),
    )


def _group_line(group: RankedGroup) -> str:
    stat = group.stat
    rate = stat.participation_rate
    share = f" · {format_number(round(rate * 100, 1))}%" if rate is not None else ""
    return (
        f"{group.position}. {escape(stat.name)}: "
        + ngettext("{n} entrant", "{n} entrants", stat.entrants).format(n=format_number(stat.entrants))
        + share
    )


def no_contest() -> View:
    return View(text=_("There is no contest to show yet."), buttons=rows(_home_button(), _menu_button()))


def privacy(participant: Participant | None, unit: UnitRecord | None, group: Group | None) -> View:
    commune = (
        [_("Your commune or ward is on record for Help: {unit}. You can change it in /help.").format(
            unit=escape(unit_name(unit))
        )]
        if unit is not None
        else []
    )  # fmt: skip
    if participant is None:
        return View(
            text="\n\n".join([_("We store no personal data about you for the quiz."), *commune]),
            buttons=rows(_menu_button()),
        )
    parts = [_("<b>What we store about you</b>"), _details(participant, unit, group), *commune]
    if participant.consent_at:
        parts.append(_("You agreed on {date}.").format(date=format_date(participant.consent_at)))
    if participant.erased_at:
        parts.append(
            _("Your name and phone number were erased on {date}.").format(date=format_date(participant.erased_at))
        )
    parts.append(_("Your answers and scores are kept for the contest results; after /forget they are anonymous."))
    return View(
        text="\n\n".join(parts),
        buttons=rows(Choice(_("🗑 Erase my name and phone"), QuizCb(action=QuizAction.forget)), _menu_button()),
    )


def forget_question() -> str:
    return _(
        "Erase your name and phone number? Your scores stay, shown as an anonymous participant. "
        "To take part in a contest again you would register again."
    )


def forget_confirm(consent_stamp: int) -> View:
    return View(
        text=forget_question(),
        buttons=rows(
            Choice(_("🗑 Yes, erase them"), QuizForgetCb(consent=consent_stamp, confirm=True)),
            Choice(_("✖️ No, keep them"), QuizForgetCb(consent=consent_stamp, confirm=False)),
        ),
    )


def forget_answered(confirmed: bool) -> View:
    return answered(forget_question(), _("🗑 Yes, erase them") if confirmed else _("✖️ No, keep them"))


def nothing_to_forget() -> View:
    return View(
        text=_("No name or phone number of yours is stored, so there is nothing to erase. /privacy shows what is."),
        buttons=rows(_menu_button()),
    )


def forgotten() -> View:
    return View(text=_("Done: your name and phone number are erased."), buttons=rows(_menu_button()))


def kept() -> View:
    return View(text=_("Nothing was erased."), buttons=rows(_menu_button()))


def practice_unavailable() -> View:
    return View(text=_("Practice is not available right now."), buttons=rows(_menu_button()))


def step_view(step: Step) -> View | None:
    """The question of a step answered by typing (or by sharing a contact); None for the others."""
    return {
        Step.consent: consent,
        Step.name: ask_name,
        Step.phone: ask_phone,
        Step.birth_year: ask_birth_year,
    }.get(step, lambda: None)()
