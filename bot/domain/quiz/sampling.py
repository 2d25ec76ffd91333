"""Questions for one attempt: drawn by topic quotas, options shuffled. The random source is injectable."""

from __future__ import annotations

import random
from dataclasses import dataclass

from bot.domain.quiz.schema import Contest, QuizBank


@dataclass(frozen=True, slots=True)
class Drawn:
    question_id: str
    # order[i] is the index, in the bank, of the option shown at place i.
    order: tuple[int, ...]


def draw(contest: Contest, bank: QuizBank, rng: random.Random | None = None) -> list[Drawn]:
    rng = rng or random.SystemRandom()
    by_topic = bank.by_topic()
    chosen: list[str] = []
    for topic, count in contest.topic_quotas.items():
        pool = sorted(by_topic.get(topic, []))
        if len(pool) < count:
            raise ValueError(f"topic {topic!r} has {len(pool)} question(s), the contest needs {count}")
        chosen.extend(rng.sample(pool, count))
    rng.shuffle(chosen)
    return [Drawn(question_id, shuffled_order(len(bank.questions[question_id].options), rng)) for question_id in chosen]


def shuffled_order(options: int, rng: random.Random) -> tuple[int, ...]:
    order = list(range(options))
    rng.shuffle(order)
    return tuple(order)
