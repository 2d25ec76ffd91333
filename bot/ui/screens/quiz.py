"""Quiz screens: registration, questions, prediction, results, leaderboard, privacy."""
from __future__ import annotations

from datetime import datetime, timedelta
from html import escape

from bot.domain.quiz.ranking import Ranked, RankedGroup
from bot.domain.quiz.records import Attempt, Participant
from bot.domain.quiz.registration import Step
from bot.domain.quiz.schema import Contest, Group, Localized, Question, QuizBank
from bot.domain.quiz.service import Leaderboard, Refusal, Result, remaining
from bot.domain.records import UnitRecord
from bot.i18n import _, current_locale, format_date, format_datetime, format_number, ngettext
from bot.ui.callbacks import MenuCb, MenuItem
from bot.ui.callbacks_guides import GuideOpenCb
from bot.ui.callbacks_quiz import (
    AnswerCb,
    NextQuestionCb,
    QuizAction,
    QuizCb,
    QuizEditCb,
    QuizGroupCb,
    QuizUnitCb,
    RegistrationField,
)
from bot.ui.screens.common import menu_label
from bot.ui.view import Attachment, Button, Choice, View, rows

LETTERS = "ABCDEF"
# Options longer than this go into the text, with A/B/C… buttons: buttons cut long labels short.
BUTTON_TEXT_LIMIT = 32
TEXT_LIMIT = 3800


def t(text: Localized | None) -> str:
    return text.get(current_locale()) if text else ""


def _menu_button() -> Choice:
    return Choice(menu_label(MenuItem.menu), MenuCb(item=MenuItem.menu))


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
    text = "\n\n".join([
        _("<b>Before you take part: your personal data</b>"),
        _("Under Decree 13/2023/ND-CP on personal data protection, we ask for your consent first."),
        _("<b>What we collect:</b> your full name, phone number, birth year, participant group and unit "
          "(commune or ward), and your answers and scores."),
        _("<b>Why:</b> to check eligibility, rank the contest, award prizes and contact prize winners."),
        _("<b>How long:</b> until the awards are settled and at most 12 months after the contest ends. "
          "Only you and the organizers can see your name and phone number."),
        _("You can see your data with /privacy and erase your name and phone number with /forget at any time. "
          "Practice does not need any personal data."),
    ])
    return View(text=text, buttons=rows(
        Choice(_("✅ I agree"), QuizCb(action=QuizAction.consent)),
        Choice(_("✖️ No, thank you"), QuizCb(action=QuizAction.decline)),
        Choice(_("📝 Practise without registering"), QuizCb(action=QuizAction.practice)),
    ))


def declined() -> View:
    return View(text=_("No problem: nothing was saved. You can still practise at any time."),
                buttons=rows(Choice(_("📝 Practise"), QuizCb(action=QuizAction.practice)), _menu_button()))


def ask_name() -> View:
    return View(text=_("Please type your <b>full name</b> as it should appear on your certificate."),
                remove_keyboard=True)


def bad_name() -> View:
    return View(text=_("Please type your full name in letters only, for example: Nguyễn Văn An."))


def ask_phone() -> View:
    return View(text=_("Please share <b>your own phone number</b> with the button below."),
                contact_request=_("📱 Share my phone number"))


def phone_not_own() -> View:
    return View(text=_("That is someone else's contact. Please use the button to share your own number."),
                contact_request=_("📱 Share my phone number"))


def ask_birth_year() -> View:
    return View(text=_("In which year were you born? Please type four digits, for example 1990."),
                remove_keyboard=True)


def bad_birth_year() -> View:
    return View(text=_("Please type a birth year with four digits, for example 1990."))


def ask_group(groups: list[Group]) -> View:
    return View(text=_("Which participant group are you in?"),
                buttons=rows(*[Choice(t(group.title)[:60], QuizGroupCb(id=group.id)) for group in groups]))


def ask_unit(parent: UnitRecord | None, children: list[tuple[UnitRecord, bool]]) -> View:
    """children: (unit, has units inside)."""
    text = (_("Which commune or ward in {area}?").format(area=escape(parent.name)) if parent
            else _("Where do you live or work? Choose your district."))
    buttons: list[Button] = []
    if parent is not None:
        buttons.append(Choice(_("✅ {unit} (whole area)").format(unit=parent.name), QuizUnitCb(code=parent.code)))
    for unit, has_children in children:
        buttons.append(Choice(f"{unit.name} ›" if has_children else unit.name,
                              QuizUnitCb(code=unit.code, open=has_children)))
    return View(text=text, buttons=rows(*buttons))


def registration_summary(participant: Participant, unit: UnitRecord | None, group: Group | None,
                         locked: bool, contest: Contest | None) -> View:
    lines = [_("<b>Your registration</b>"), _details(participant, unit, group)]
    if locked:
        lines.append(_("Your details are fixed now that you have taken part in a contest."))
    buttons: list[Button] = []
    if contest is not None:
        buttons.append(Choice(_("▶️ Start the contest"), QuizCb(action=QuizAction.contest)))
    else:
        lines.append(_("No contest is open right now. You can practise meanwhile."))
    buttons.append(Choice(_("📝 Practise"), QuizCb(action=QuizAction.practice)))
    buttons.append(Choice(_("🏅 Leaderboard"), QuizCb(action=QuizAction.top)))
    if not locked:
        buttons.append(Choice(_("✏️ Edit my details"), QuizCb(action=QuizAction.edit)))
    buttons.append(Choice(_("🔒 My data"), QuizCb(action=QuizAction.privacy)))
    buttons.append(_menu_button())
    return View(text="\n\n".join(lines), buttons=rows(*buttons))


def _details(participant: Participant, unit: UnitRecord | None, group: Group | None) -> str:
    dash = "—"
    return "\n".join([
        _("Name: {value}").format(value=escape(participant.full_name or dash)),
        _("Phone: {value}").format(value=escape(participant.phone or dash)),
        _("Birth year: {value}").format(value=participant.birth_year or dash),
        _("Group: {value}").format(value=escape(t(group.title) if group else dash)),
        _("Unit: {value}").format(value=escape(unit.name if unit else dash)),
    ])


def edit_menu() -> View:
    labels = {
        RegistrationField.name: _("Name"), RegistrationField.phone: _("Phone number"),
        RegistrationField.birth_year: _("Birth year"), RegistrationField.group: _("Group"),
        RegistrationField.unit: _("Unit"),
    }
    return View(text=_("What would you like to change?"),
                buttons=rows(*[Choice(label, QuizEditCb(field=field)) for field, label in labels.items()],
                             _home_button()))


def details_locked() -> str:
    return _("Your details can no longer be changed after your first contest attempt.")


def contest_intro(contest: Contest) -> str:
    parts = [f"🏆 <b>{escape(t(contest.title))}</b>"]
    if contest.description:
        parts.append(escape(t(contest.description)))
    if contest.window:
        parts.append(_("Open until {end}.").format(end=format_datetime(contest.window.end, "short")))
    return "\n\n".join(parts)


def refusal(reason: Refusal, contest: Contest) -> View:
    texts = {
        Refusal.not_open: _("This contest is not open right now."),
        Refusal.too_young: _("This contest is open to people aged {age} and over.").format(
            age=contest.eligibility.min_age),
        Refusal.no_attempts_left: ngettext("You have used your {n} attempt in this contest.",
                                           "You have used all {n} attempts in this contest.",
                                           contest.attempts_allowed).format(n=contest.attempts_allowed),
        Refusal.not_registered: _("Please register first."),
    }
    return View(text=texts[reason], buttons=rows(
        Choice(_("📝 Practise"), QuizCb(action=QuizAction.practice)),
        Choice(_("🏅 Leaderboard"), QuizCb(action=QuizAction.top)), _menu_button()))


# ---------------------------------------------------------------- questions


def question(attempt: Attempt, bank: QuizBank, now: datetime) -> View:
    position = attempt.answered
    item = attempt.items[position]
    entry = bank.questions[item.question_id]
    options = [t(entry.options[index]) for index in item.order]
    header = _("Question {number}/{total} · {time} left").format(
        number=position + 1, total=attempt.total, time=clock(remaining(attempt, now)))
    text = f"{header}\n\n<b>{escape(t(entry.text))}</b>"
    if max(len(option) for option in options) > BUTTON_TEXT_LIMIT:
        text += "\n\n" + "\n".join(f"<b>{LETTERS[index]}.</b> {escape(option)}" for index, option in enumerate(options))
        labels = [LETTERS[index] for index in range(len(options))]
        buttons = (tuple(Choice(label, AnswerCb(attempt=attempt.id, position=position, option=index))
                         for index, label in enumerate(labels)),)
    else:
        buttons = rows(*[Choice(option, AnswerCb(attempt=attempt.id, position=position, option=index))
                         for index, option in enumerate(options)])
    return View(text=text, buttons=buttons)


def practice_feedback(attempt: Attempt, entry: Question, chosen: int, correct: bool) -> View:
    verdict = _("✅ Correct!") if correct else _("❌ Not quite. The right answer: {answer}").format(
        answer=escape(t(entry.options[entry.correct_index])))
    text = f"<b>{escape(t(entry.text))}</b>\n\n{verdict}\n\n💡 {escape(t(entry.explanation))}"
    buttons: list[Button] = []
    if attempt.status == "in_progress":
        buttons.append(Choice(_("Next question ▶️"), NextQuestionCb(attempt=attempt.id, position=attempt.answered)))
    if entry.guide:
        buttons.append(Choice(_("📋 Open the related guide"), GuideOpenCb(guide=entry.guide)))
    return View(text=text, buttons=rows(*buttons))


def answer_saved(attempt: Attempt) -> View:
    return View(text=_("✅ Your answer to question {number} is saved.").format(number=attempt.answered))


def ask_prediction(contest: Contest) -> View:
    return View(text=_("<b>Last question</b>\n\n{question}\n\nPlease type a whole number.").format(
        question=escape(t(contest.prediction.text))))


def bad_prediction(maximum: int) -> View:
    return View(text=_("Please type a whole number between 0 and {maximum}, digits only.").format(
        maximum=format_number(maximum)))


def toast_duplicate() -> str:
    return _("This question is already answered.")


def toast_stale() -> str:
    return _("This question is closed. Please use the newest message.")


def toast_expired() -> str:
    return _("Time is up: this answer came after the deadline.")


def in_progress_notice() -> View:
    return View(text=_("You have an attempt in progress. Here is where you left off."))


# ---------------------------------------------------------------- results


def result(res: Result) -> View:
    attempt = res.attempt
    lines = [_("⏰ <b>Time is up.</b> Your answers so far are counted.") if attempt.status == "expired"
             else _("🎉 <b>Well done, you have finished!</b>")]
    lines.append(ngettext("Score: {correct} of {total} question correct", "Score: {correct} of {total} questions correct",
                          attempt.total).format(correct=attempt.correct, total=attempt.total))
    if attempt.duration_ms is not None:
        lines.append(_("Time: {duration}").format(duration=duration_text(attempt.duration_ms)))
    if attempt.prediction is not None:
        lines.append(_("Your prediction: {value}").format(value=format_number(attempt.prediction)))
    if res.rank is not None:
        lines.append(_("Current rank: {rank} of {entrants}").format(rank=format_number(res.rank.position),
                                                                     entrants=format_number(res.entrants)))
    if attempt.mode == "practice":
        lines.append(_("This was practice: it does not count in the contest."))
    buttons = [Choice(_("🏅 Leaderboard"), QuizCb(action=QuizAction.top)),
               Choice(_("📝 Practise again"), QuizCb(action=QuizAction.practice)), _menu_button()]
    return View(text="\n".join(lines), buttons=rows(*buttons))


def wrong_answers(res: Result) -> list[View]:
    """The explanations of the questions answered wrongly (or not at all), in messages of a safe length."""
    views: list[View] = []
    text = _("<b>Questions to review</b>")
    buttons: list[Button] = []
    for entry, chosen in res.wrong:
        your = (escape(t(entry.options[chosen])) if chosen is not None else _("no answer"))
        block = "\n\n".join([
            f"❓ <b>{escape(t(entry.text))}</b>",
            _("Your answer: {answer}").format(answer=your),
            _("Right answer: {answer}").format(answer=escape(t(entry.options[entry.correct_index]))),
            f"💡 {escape(t(entry.explanation))}",
            _("Source: {document}").format(document=f'<a href="{escape(entry.source.url)}">'
                                                    f'{escape(entry.source.document)}</a>'),
        ])
        if len(text) + len(block) > TEXT_LIMIT:
            views.append(View(text=text, buttons=rows(*buttons)))
            text, buttons = "", []
        text = f"{text}\n\n{block}".strip()
        if entry.guide and all(getattr(b, "payload", None) != GuideOpenCb(guide=entry.guide) for b in buttons):
            buttons.append(Choice(_("📋 Guide: {id}").format(id=entry.guide), GuideOpenCb(guide=entry.guide)))
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
    lines = [f"🏅 <b>{escape(t(board.contest.title))}</b>",
             ngettext("{n} entrant so far", "{n} entrants so far", board.entrants).format(
                 n=format_number(board.entrants))]
    if board.top:
        lines.append("")
        lines.extend(_ranked_line(ranked) for ranked in board.top)
    else:
        lines.append(_("Nobody has finished yet. Be the first!"))
    if board.mine is not None:
        lines.append("")
        lines.append(_("Your rank: {rank} · {score} correct").format(rank=format_number(board.mine.position),
                                                                     score=board.mine.entry.score))
    if board.groups:
        lines.append("")
        lines.append(_("<b>Units by participation</b>"))
        lines.extend(_group_line(group) for group in board.groups)
    return View(text="\n".join(lines), buttons=rows(_home_button(), _menu_button()))


def _ranked_line(ranked: Ranked) -> str:
    return _("{rank}. {name} — {score} correct, {duration}").format(
        rank=ranked.position, name=display_name(ranked.entry.name), score=ranked.entry.score,
        duration=duration_text(ranked.entry.duration_ms))


def _group_line(group: RankedGroup) -> str:
    stat = group.stat
    rate = stat.participation_rate
    share = f" · {format_number(round(rate * 100, 1))}%" if rate is not None else ""
    return f"{group.position}. {escape(stat.name)}: " + ngettext(
        "{n} entrant", "{n} entrants", stat.entrants).format(n=format_number(stat.entrants)) + share


def no_contest() -> View:
    return View(text=_("There is no contest to show yet."), buttons=rows(_home_button(), _menu_button()))


def privacy(participant: Participant | None, unit: UnitRecord | None, group: Group | None) -> View:
    if participant is None:
        return View(text=_("We store no personal data about you for the quiz."), buttons=rows(_menu_button()))
    parts = [_("<b>What we store about you</b>"), _details(participant, unit, group)]
    if participant.consent_at:
        parts.append(_("You agreed on {date}.").format(date=format_date(participant.consent_at)))
    if participant.erased_at:
        parts.append(_("Your name and phone number were erased on {date}.").format(
            date=format_date(participant.erased_at)))
    parts.append(_("Your answers and scores are kept for the contest results; after /forget they are anonymous."))
    return View(text="\n\n".join(parts), buttons=rows(Choice(_("🗑 Erase my name and phone"),
                                                             QuizCb(action=QuizAction.forget)), _menu_button()))


def forget_confirm() -> View:
    return View(text=_("Erase your name and phone number? Your scores stay, shown as an anonymous participant. "
                       "To take part in a contest again you would register again."),
                buttons=rows(Choice(_("🗑 Yes, erase them"), QuizCb(action=QuizAction.forget_confirmed)),
                             _menu_button()))


def forgotten() -> View:
    return View(text=_("Done: your name and phone number are erased."), buttons=rows(_menu_button()))


def practice_unavailable() -> View:
    return View(text=_("Practice is not available right now."), buttons=rows(_menu_button()))


def step_view(step: Step) -> View | None:
    return {Step.consent: consent(), Step.name: ask_name(), Step.phone: ask_phone(),
            Step.birth_year: ask_birth_year()}.get(step)
