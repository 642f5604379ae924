"""The synthesis' export tables, added to every kind's export: the process's summaries (the
newest version of each, in both languages) and their citations (what each version rests on:
the cited input's kind, id, title and quote, resolved through `core.citations`, and its
supports at the time of citing). Summaries are few; the citations are read in batches.
"""

from __future__ import annotations

from collections.abc import Iterator

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from engage import exports
from engage.core import citations as core_citations
from engage.core.i18n import localized
from engage.exports.tables import Column, Options, Table
from engage.extensions import db
from engage.processes.models import Process
from engage.synthesis.models import SUMMARY_STATUSES, Summary, SummaryCitation, SummaryVersion

BATCH = 500


def summaries_table(process: Process, options: Options) -> Table:
    columns = [Column("id", _l("Summary id"), "number", width=10),
               Column("topic", _l("Topic"), width=24),
               Column("status", _l("Status"), width=12),
               Column("version", _l("Version"), "number", width=8),
               Column("title", _l("Title"), width=40),
               Column("text", _l("Text"), width=80),
               Column("published_at", _l("Published at"), "datetime", width=17),
               Column("citations", _l("Citations"), "number", width=10)]
    process_id = process.id

    def rows() -> Iterator[tuple]:
        newest = (select(SummaryVersion.summary_id,
                         func.max(SummaryVersion.number).label("number"))
                  .group_by(SummaryVersion.summary_id).subquery())
        cited = (select(SummaryCitation.version_id, func.count().label("n"))
                 .group_by(SummaryCitation.version_id).subquery())
        query = (select(Summary.id, Summary.topic, Summary.status, SummaryVersion,
                        func.coalesce(cited.c.n, 0))
                 .join(newest, newest.c.summary_id == Summary.id)
                 .join(SummaryVersion, (SummaryVersion.summary_id == Summary.id)
                       & (SummaryVersion.number == newest.c.number))
                 .outerjoin(cited, cited.c.version_id == SummaryVersion.id)
                 .where(Summary.process_id == process_id).order_by(Summary.id))
        for number, topic, status, version, count in db.session.execute(query):
            yield (number, topic, str(SUMMARY_STATUSES.get(status, status)), version.number,
                   localized(version, "title", options.language).text,
                   localized(version, "body", options.language).text,
                   version.published_at, count)

    return Table("summaries", _l("Summaries"), columns, rows)


def citations_table(process: Process, options: Options) -> Table:
    columns = [Column("summary_id", _l("Summary id"), "number", width=10),
               Column("version", _l("Version"), "number", width=8),
               Column("kind", _l("Cited input"), width=12),
               Column("target_id", _l("Input id"), "number", width=10),
               Column("title", _l("Title"), width=40),
               Column("quote", _l("Quote"), width=60),
               Column("supports", _l("Supports when cited"), "number", width=10),
               Column("author", _l("Author"), width=16)]
    process_id = process.id

    def rows() -> Iterator[tuple]:
        last = 0
        while True:
            batch = db.session.execute(
                select(SummaryCitation.id, SummaryVersion.summary_id, SummaryVersion.number,
                       SummaryCitation.kind, SummaryCitation.target_id,
                       SummaryCitation.supports, SummaryCitation.author_id)
                .join(SummaryVersion, SummaryVersion.id == SummaryCitation.version_id)
                .join(Summary, Summary.id == SummaryVersion.summary_id)
                .where(Summary.process_id == process_id, SummaryCitation.id > last)
                .order_by(SummaryCitation.id).limit(BATCH)).all()
            if not batch:
                return
            found = core_citations.resolve({(row.kind, row.target_id) for row in batch})
            for row in batch:
                cited = found.get((row.kind, row.target_id))
                yield (row.summary_id, row.number, row.kind, row.target_id,
                       cited.title if cited else "", cited.quote if cited else "",
                       row.supports, options.author(row.author_id))
            if len(batch) < BATCH:
                return
            last = batch[-1].id

    return Table("summary_citations", _l("Summary citations"), columns, rows)


def build(process: Process, options: Options) -> list[Table]:
    has_summaries = db.session.scalar(
        select(func.count()).select_from(Summary).where(Summary.process_id == process.id))
    if not has_summaries:
        return []
    return [summaries_table(process, options), citations_table(process, options)]


exports.register("*", build)
