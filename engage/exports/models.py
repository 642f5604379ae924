"""Export files built in the background: a workbook too large to write within a request
(openpyxl writes about 25,000 cells a second, and a proxy or gunicorn gives a request 30 s) is
written by the job consumer, kept in the storage for a day, and downloaded from its own page by
the person who asked for it (or, without personal data, by the city's other staff)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.accounts.models import User
from engage.core.db import sql_values, utcnow
from engage.extensions import db
from engage.processes.models import Process, ProcessScoped

EXPORT_STATUSES = {"queued": _l("Waiting for its turn"), "running": _l("Being written"),
                   "done": _l("Ready"), "failed": _l("Failed")}


class ExportFile(ProcessScoped, db.Model):
    __tablename__ = "export_file"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_values(EXPORT_STATUSES)})", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("process.id", ondelete="CASCADE"),
                                            index=True)
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    format: Mapped[str] = mapped_column(String(10), default="xlsx")
    tables: Mapped[list[str]] = mapped_column(JSON, default=list)
    personal: Mapped[bool] = mapped_column(default=False)
    language: Mapped[str] = mapped_column(String(5), default="ro")
    status: Mapped[str] = mapped_column(String(10), default="queued")
    storage_key: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(default=0)
    cells: Mapped[int] = mapped_column(default=0)  # the estimate that sent it to the background
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]

    process: Mapped[Process] = relationship()
    requested_by: Mapped[User | None] = relationship()

    @property
    def status_label(self) -> str:
        return str(EXPORT_STATUSES.get(self.status, self.status))

    @property
    def waiting(self) -> bool:
        return self.status in ("queued", "running")

    @property
    def filename(self) -> str:
        return f"{self.process.slug}.{self.format}"
