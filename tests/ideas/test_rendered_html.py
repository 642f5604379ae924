"""Ideas, comments and status explanations keep their Markdown rendered and sanitised beside it,
written whenever the text is; pages show the stored HTML, so a worker that only reads never
imports the Markdown and sanitising libraries."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from engage.extensions import db
from engage.ideas import services
from engage.ideas.models import Idea


def test_an_idea_keeps_its_html_and_edits_render_again(process, make_idea):
    idea = make_idea(process, body="Plantăm **tei**. <script>alert(1)</script> [x](javascript:y)")
    assert "<strong>tei</strong>" in idea.body_html
    assert "<script" not in idea.body_html and 'href="javascript' not in idea.body_html
    assert str(idea.body_rendered) == idea.body_html

    idea.body = "# Titlu\n\nAlt *text*"
    db.session.commit()
    assert "<h2>Titlu</h2>" in idea.body_html and "<em>text</em>" in idea.body_html


def test_comments_and_explanations_keep_theirs(process, make_idea, make_user, make_role):
    idea = make_idea(process)
    comment = services.add_comment(make_user(), idea, "Da, **bravo**! <img src=x onerror=y>")
    db.session.commit()
    assert "<strong>bravo</strong>" in comment.body_html and "<img" not in comment.body_html

    organiser = make_user()
    make_role(organiser, process.city, "organiser")
    change = services.change_progress(organiser, idea, "selected", "Intră în **contract**.")
    db.session.commit()
    assert "<strong>contract</strong>" in change.explanation_html


def test_rows_written_before_html_was_kept_render_when_shown(process, make_idea, client):
    idea = make_idea(process, body="Un *text* vechi")
    db.session.execute(db.update(Idea).where(Idea.id == idea.id).values(body_html=None))
    db.session.commit()
    db.session.expire_all()
    page = client.get(f"/{process.city.slug}/ideas/{idea.id}")
    assert page.status_code == 200
    assert "Un <em>text</em> vechi" in page.get_data(as_text=True)


def test_reading_an_idea_page_imports_no_markdown_library(tmp_path):
    """In a fresh process (a worker), showing an idea and its comments written earlier loads
    neither markdown-it nor nh3."""
    script = textwrap.dedent(f"""
        import sys
        from datetime import timedelta
        from engage import create_app
        from engage.config import TestConfig
        from engage.core.db import utcnow
        from engage.extensions import db
        from engage.cities.models import City
        from engage.processes.models import Contribution, Process
        from engage.ideas.models import Comment, Idea

        app = create_app(TestConfig({str(tmp_path)!r}, "sqlite:///{tmp_path}/w.sqlite3"))
        with app.app_context():
            db.create_all()
            city = City(slug="c", name_ro="C", name_en="C")
            db.session.add(city); db.session.flush()
            process = Process(city_id=city.id, kind="ideas", slug="p", title_ro="P",
                              themes=["nature"], status="published",
                              opens_at=utcnow() - timedelta(days=1))
            db.session.add(process); db.session.flush()
            ids = []
            for kind in ("idea", "comment"):
                c = Contribution(kind=kind, process_id=process.id, city_id=city.id, text="x")
                db.session.add(c); db.session.flush(); ids.append(c.id)
            db.session.execute(db.insert(Idea).values(
                process_id=process.id, city_id=city.id, contribution_id=ids[0], title="T",
                body="**B**", body_html="<p><strong>B</strong></p>", theme="nature"))
            idea_id = db.session.scalar(db.select(Idea.id))
            db.session.execute(db.insert(Comment).values(
                idea_id=idea_id, contribution_id=ids[1], body="*c*",
                body_html="<p><em>c</em></p>"))
            db.session.commit()
        page = app.test_client().get(f"/c/ideas/{{idea_id}}")
        assert page.status_code == 200, page.status_code
        html = page.get_data(as_text=True)
        assert "<strong>B</strong>" in html and "<em>c</em>" in html
        print(sorted(m for m in ("markdown_it", "nh3") if m in sys.modules))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, env={"PATH": "/usr/bin:/bin", "ENGAGE_INSTANCE_PATH":
                                            str(tmp_path)})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"
