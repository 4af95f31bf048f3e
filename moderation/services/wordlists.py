"""The admins' word lists in the database: adding, removing and listing terms, and the lists
the worker compiles from them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from moderation.domain.errors import FieldProblem, NotFound, ServiceError
from moderation.domain.wordlists import (
    ListedTerm,
    WordKind,
    WordLists,
    WordRuleRequest,
    WordRuleView,
    clean_term,
)
from moderation.storage import rules


def add_rule(session: Session, request: WordRuleRequest, actor: str) -> WordRuleView:
    term = clean_term(request.term)
    if term is None:
        raise ServiceError(
            422,
            "invalid_request",
            "term may hold letters, digits, spaces, apostrophes, hyphens and * only",
            [FieldProblem("term", "format", "term must be a word or phrase; * for any letters")],
        )
    rule = rules.keep_word_rule(session, request.kind.value, term, request.note, actor)
    return WordRuleView.model_validate(rule, from_attributes=True)


def remove_rule(session: Session, rule_id: int) -> None:
    if rules.remove_word_rule(session, rule_id) is None:
        raise NotFound("word rule")


def list_rules(session: Session) -> list[WordRuleView]:
    return [WordRuleView.model_validate(r, from_attributes=True) for r in rules.word_rules(session)]


def current_lists(session: Session) -> WordLists:
    listed = rules.word_rules(session)
    return WordLists.compile(ListedTerm(WordKind(r.kind), r.term) for r in listed)
