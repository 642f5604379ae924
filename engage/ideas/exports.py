"""The ideas kind's export tables: ideas (with supports, comments, progress status, theme and,
in agree mode, the agree/disagree/pass counts), the agree-mode votes, and the comments.

Rows are read as plain column tuples in batches (`yield_per`), never as ORM objects, so memory
stays constant whatever the number of rows. Authors are "participant N" (stable within one
export); their name and e-mail address are personal columns, read only when personal data was
asked for and allowed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from engage import exports
from engage.accounts.models import User
from engage.cities.themes import theme_label
from engage.exports.tables import Column, Options, Table
from engage.extensions import db
from engage.ideas import queries
from engage.ideas.models import (
    CHANNELS,
    PROGRESS_STATUSES,
    VOTE_VALUES,
    Comment,
    Idea,
    IdeasSettings,
    Vote,
)
from engage.processes.models import Contribution, Process

BATCH_SIZE = 1000


def _label(labels: dict, code: Any) -> str:
    return str(labels.get(code, code)) if code is not None else ""


def _agree_mode(process: Process) -> bool:
    mode = db.session.scalar(select(IdeasSettings.voting_mode)
                             .where(IdeasSettings.process_id == process.id))
    return mode == "agree"


def _author_columns() -> list[Column]:
    return [Column("author", _l("Author"), width=16),
            Column("author_name", _l("Author's name"), personal=True, width=22),
            Column("author_email", _l("Author's e-mail"), personal=True, width=28)]


def _author_cells(options: Options, user_id: Any, name: Any, email: Any) -> tuple:
    if options.personal:
        return options.author(user_id), name or "", email or ""
    return options.author(user_id), None, None


def ideas_table(process: Process, options: Options) -> Table:
    agree = _agree_mode(process)
    columns = [
        Column("id", _l("Idea id"), "number", width=9),
        Column("title", _l("Title"), width=40),
        Column("text", _l("Text"), width=60),
        Column("theme", _l("Theme"), width=18),
        Column("status", _l("Progress status"), width=18),
        Column("moderation", _l("Moderation status"), width=14),
        Column("channel", _l("Channel"), width=12),
        Column("language", _l("Language"), width=9),
        Column("supports", _l("Supports"), "number", width=10),
        Column("comments", _l("Comments"), "number", width=10),
    ]
    if agree:
        columns += [Column("agree", _l("Agree"), "number", width=9),
                    Column("disagree", _l("Disagree"), "number", width=9),
                    Column("pass", _l("Pass"), "number", width=9)]
    columns += [Column("created_at", _l("Submitted at"), "datetime", width=17),
                Column("merged_into", _l("Merged into idea"), "number", width=10),
                *_author_columns()]

    def rows() -> Iterator[tuple]:
        selected: list[Any] = [Idea.id, Idea.title, Idea.body, Idea.theme, Idea.status,
                               Contribution.status, Idea.channel, Idea.language,
                               Idea.support_count, Idea.comment_count]
        query = select().select_from(Idea).join(Contribution,
                                                 Contribution.id == Idea.contribution_id)
        if agree:
            votes = queries.vote_counts(process)
            selected += [func.coalesce(votes.c.agree, 0), func.coalesce(votes.c.disagree, 0),
                         func.coalesce(votes.c.passes, 0)]
            query = query.outerjoin(votes, votes.c.idea_id == Idea.id)
        selected += [Idea.created_at, Idea.merged_into_id, Idea.author_id]
        if options.personal:
            selected += [User.display_name, User.email]
            query = query.outerjoin(User, User.id == Idea.author_id)
        query = (query.add_columns(*selected)
                 .where(Idea.process_id == process.id, Contribution.status != "deleted")
                 .order_by(Idea.id))
        for row in db.session.execute(query.execution_options(yield_per=BATCH_SIZE)):
            values = list(row)
            head = values[:10]
            head[3] = theme_label(head[3])
            head[4] = _label(PROGRESS_STATUSES, head[4])
            head[6] = _label(CHANNELS, head[6])
            tail = values[10:]
            counts = [int(value or 0) for value in tail[:3]] if agree else []
            rest = tail[3:] if agree else tail
            created_at, merged_into, author_id, *person = rest
            name, email = person if person else (None, None)
            yield (*head, *counts, created_at, merged_into,
                   *_author_cells(options, author_id, name, email))

    def count() -> int:
        return db.session.scalar(
            select(func.count()).select_from(Idea)
            .join(Contribution, Contribution.id == Idea.contribution_id)
            .where(Idea.process_id == process.id, Contribution.status != "deleted")) or 0

    return Table("ideas", _l("Ideas"), columns, rows, count)


def votes_table(process: Process, options: Options) -> Table:
    columns = [Column("idea_id", _l("Idea id"), "number", width=9),
               Column("participant", _l("Participant"), width=16),
               Column("vote", _l("Vote"), width=10),
               Column("value", _l("Value (1 agree, 0 pass, -1 disagree)"), "number", width=10),
               Column("voted_at", _l("Voted at"), "datetime", width=17),
               Column("email", _l("Participant's e-mail"), personal=True, width=28)]

    def rows() -> Iterator[tuple]:
        selected: list[Any] = [Vote.idea_id, Vote.user_id, Vote.value, Vote.updated_at]
        query = select(*selected).join(Idea, Idea.id == Vote.idea_id)
        if options.personal:
            query = query.add_columns(User.email).join(User, User.id == Vote.user_id)
        query = query.where(Idea.process_id == process.id).order_by(Vote.idea_id, Vote.user_id)
        labels = {value: str(label) for value, label in VOTE_VALUES.items()}
        for row in db.session.execute(query.execution_options(yield_per=BATCH_SIZE)):
            idea_id, user_id, value, voted_at, *email = row
            yield (idea_id, options.author(user_id), labels.get(value, ""), value, voted_at,
                   email[0] if email else None)

    def count() -> int:
        return db.session.scalar(select(func.count()).select_from(Vote)
                                 .join(Idea, Idea.id == Vote.idea_id)
                                 .where(Idea.process_id == process.id)) or 0

    return Table("votes", _l("Votes"), columns, rows, count)


def comments_table(process: Process, options: Options) -> Table:
    columns = [Column("id", _l("Comment id"), "number", width=10),
               Column("idea_id", _l("Idea id"), "number", width=9),
               Column("parent_id", _l("Reply to comment"), "number", width=10),
               Column("text", _l("Text"), width=60),
               Column("moderation", _l("Moderation status"), width=14),
               Column("created_at", _l("Written at"), "datetime", width=17),
               *_author_columns()]

    def rows() -> Iterator[tuple]:
        query = (select(Comment.id, Comment.idea_id, Comment.parent_id, Comment.body,
                        Contribution.status, Comment.created_at, Comment.author_id)
                 .join(Idea, Idea.id == Comment.idea_id)
                 .join(Contribution, Contribution.id == Comment.contribution_id))
        if options.personal:
            query = (query.add_columns(User.display_name, User.email)
                     .outerjoin(User, User.id == Comment.author_id))
        query = (query.where(Idea.process_id == process.id, Comment.deleted_at.is_(None),
                             Contribution.status != "deleted")
                 .order_by(Comment.id))
        for row in db.session.execute(query.execution_options(yield_per=BATCH_SIZE)):
            number, idea_id, parent_id, body, status, created_at, author_id, *person = row
            name, email = person if person else (None, None)
            yield (number, idea_id, parent_id, body, status, created_at,
                   *_author_cells(options, author_id, name, email))

    def count() -> int:
        return db.session.scalar(select(func.count()).select_from(Comment)
                                 .join(Idea, Idea.id == Comment.idea_id)
                                 .where(Idea.process_id == process.id,
                                        Comment.deleted_at.is_(None))) or 0

    return Table("comments", _l("Comments"), columns, rows, count)


def build(process: Process, options: Options) -> list[Table]:
    tables = [ideas_table(process, options)]
    if _agree_mode(process):
        tables.append(votes_table(process, options))
    tables.append(comments_table(process, options))
    return tables


exports.register("ideas", build)
