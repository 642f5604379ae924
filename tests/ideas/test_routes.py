"""The ideas pages through the test client: list, idea page, submitting (with photos),
supports and votes (htmx and plain POST), comments, reports, moderation, status answers,
merging, workshop input and settings; permissions, bad input and query counts."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from engage.core.audit import ModerationAction
from engage.core.db import utcnow
from engage.extensions import db
from engage.ideas import services
from engage.ideas.models import Comment, Idea, IdeaPhoto, Report, Support, Vote

HX = {"HX-Request": "true"}


def png_bytes(width: int = 64, height: int = 48, color: str = "green") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (120, 90), "blue")
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"
    exif[0x8825] = {2: (44.0, 25.0, 0.0), 1: "N"}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def count(model, *conditions) -> int:  # noqa: ANN001
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


@pytest.fixture
def urls(city, process):  # noqa: ANN001, ANN201
    base = f"/{city.slug}"

    class Urls:
        index = f"{base}/p/{process.slug}/ideas"
        new = f"{base}/p/{process.slug}/ideas/new"
        similar = f"{base}/p/{process.slug}/ideas/similar"
        geojson = f"{base}/p/{process.slug}/ideas.geojson"
        map = f"{base}/p/{process.slug}/ideas/map"
        moderation = f"{base}/manage/processes/{process.slug}/ideas"
        add = f"{base}/manage/processes/{process.slug}/ideas/add"
        settings = f"{base}/manage/processes/{process.slug}/ideas/settings"

        @staticmethod
        def idea(idea, suffix: str = "") -> str:  # noqa: ANN001
            return f"{base}/ideas/{idea.id if hasattr(idea, 'id') else idea}{suffix}"

        @staticmethod
        def comment(comment, suffix: str = "") -> str:  # noqa: ANN001
            return f"{base}/comments/{comment.id}{suffix}"

    return Urls


@pytest.fixture
def citizen(make_user):  # noqa: ANN001, ANN201
    return make_user(display_name="Ana Popescu")


@pytest.fixture
def moderator(make_user, make_role, city):  # noqa: ANN001, ANN201
    user = make_user(display_name="Moderator")
    make_role(user, city, "moderator")
    return user


@pytest.fixture
def organiser(make_user, make_role, city):  # noqa: ANN001, ANN201
    user = make_user(display_name="Organiser")
    make_role(user, city, "organiser")
    return user


def idea_form(process, **overrides) -> dict:  # noqa: ANN001
    data = {"title": "Copaci pe strada Școlii", "body": "Plantăm **tei**.",
            "theme": process.themes[0], "language": "ro", "place_text": "Centru",
            "lat": "", "lon": ""}
    data.update(overrides)
    return data


# ---------------------------------------------------------------- the list


class TestList:
    def test_lists_published_ideas_only(self, client, urls, process, make_idea):
        make_idea(process, title="Idee publicată")
        make_idea(process, title="Idee ascunsă", status="hidden")
        make_idea(process, title="Idee în așteptare", status="pending")
        page = client.get(urls.index).get_data(as_text=True)
        assert "Idee publicată" in page
        assert "Idee ascunsă" not in page and "Idee în așteptare" not in page
        assert "1 idea" in page

    def test_author_sees_own_pending_idea_in_a_notice(self, client, urls, process, make_idea,
                                                      citizen, login_as):
        make_idea(process, author=citizen, title="My waiting idea", status="pending")
        login_as(client, citizen)
        page = client.get(urls.index).get_data(as_text=True)
        assert "My waiting idea" in page and "waiting for a moderator" in page

    def test_sorts(self, client, urls, process, make_idea):
        low = make_idea(process, title="Low idea")
        high = make_idea(process, title="High idea")
        talked = make_idea(process, title="Talked idea")
        high.support_count = 9
        talked.comment_count = 5
        db.session.commit()

        def order(sort: str) -> list[str]:
            page = client.get(f"{urls.index}?sort={sort}").get_data(as_text=True)
            return re.findall(r"(Low|High|Talked) idea</a>", page)

        assert order("support")[0] == "High"
        assert order("discussed")[0] == "Talked"
        assert order("newest") == ["Talked", "High", "Low"]
        first = order("random")
        assert sorted(first) == ["High", "Low", "Talked"]
        # Stable for the same visitor.
        assert order("random") == first == order("random")
        assert low.id  # used

    def test_random_order_differs_between_visitors(self, app, urls, process, make_idea):
        for n in range(12):
            make_idea(process, title=f"Idea number {n:02d}")
        orders = set()
        for _ in range(4):
            visitor = app.test_client()
            page = visitor.get(f"{urls.index}?sort=random").get_data(as_text=True)
            orders.add(tuple(re.findall(r"Idea number (\d\d)", page)))
        assert len(orders) > 1

    def test_filters_and_diacritic_folding_search(self, client, urls, process, make_idea):
        make_idea(process, title="Grădină la școală", theme="nature")
        make_idea(process, title="Piste de biciclete", theme="mobility")
        page = client.get(f"{urls.index}?theme=mobility").get_data(as_text=True)
        assert "Piste de biciclete" in page and "Grădină" not in page
        for query in ("scoala", "ŞCOALĂ", "școală", "gradina"):
            page = client.get(f"{urls.index}?q={query}").get_data(as_text=True)
            assert "Grădină la școală" in page, query
            assert "Piste de biciclete" not in page
        page = client.get(f"{urls.index}?q=nimic").get_data(as_text=True)
        assert "No ideas match your search." in page

    def test_status_filter_and_unknown_values_are_ignored(self, client, urls, process,
                                                          make_idea):
        chosen = make_idea(process, title="Chosen idea")
        make_idea(process, title="Other idea")
        chosen.status = "selected"
        db.session.commit()
        page = client.get(f"{urls.index}?status=selected").get_data(as_text=True)
        assert "Chosen idea" in page and "Other idea" not in page
        response = client.get(f"{urls.index}?status=<script>&theme=x&sort=zzz&page=-4")
        assert response.status_code == 200
        assert "Other idea" in response.get_data(as_text=True)

    def test_pagination_without_javascript_and_load_more(self, client, urls, process,
                                                         make_idea):
        for n in range(23):
            make_idea(process, title=f"Paged idea {n:02d}")
        page = client.get(f"{urls.index}?sort=newest").get_data(as_text=True)
        assert len(re.findall(r"Paged idea \d\d</a>", page)) == 20
        assert "Page 1 of 2" in page and 'rel="next"' in page
        second = client.get(f"{urls.index}?sort=newest&page=2").get_data(as_text=True)
        assert len(re.findall(r"Paged idea \d\d</a>", second)) == 3
        fragment = client.get(f"{urls.index}?sort=newest&page=2&part=items", headers=HX)
        text = fragment.get_data(as_text=True)
        assert "<html" not in text and len(re.findall(r"Paged idea \d\d</a>", text)) == 3
        assert 'id="load-more"' not in text
        first_fragment = client.get(f"{urls.index}?sort=newest&part=items", headers=HX)
        assert 'id="load-more"' in first_fragment.get_data(as_text=True)

    def test_filter_form_answers_htmx_with_the_results_only(self, client, urls, process,
                                                            make_idea):
        make_idea(process, title="Only result")
        text = client.get(f"{urls.index}?q=only", headers=HX).get_data(as_text=True)
        assert text.lstrip().startswith('<div id="idea-results">') and "Only result" in text

    def test_constant_query_count(self, client, urls, process, make_idea, make_user,
                                  count_queries, citizen, login_as):
        login_as(client, citizen)
        make_idea(process)
        client.get(urls.index)
        with count_queries() as few:
            client.get(urls.index)
        for n in range(25):
            idea = make_idea(process, title=f"More {n}")
            services.support(citizen, idea)
            services.add_comment(make_user(), idea, "Bun")
        db.session.commit()
        with count_queries() as many:
            client.get(urls.index)
        assert many.n == few.n, many.statements

    def test_another_kind_or_draft_is_404(self, client, make_process, city):
        consultation = make_process(city, kind="consultation")
        draft = make_process(city, status="draft")
        assert client.get(f"/{city.slug}/p/{consultation.slug}/ideas").status_code == 404
        assert client.get(f"/{city.slug}/p/{draft.slug}/ideas").status_code == 404


# ---------------------------------------------------------------- submitting


class TestSubmit:
    def test_anonymous_is_sent_to_log_in_and_back(self, client, urls):
        response = client.get(urls.new)
        assert response.status_code == 302
        assert "/account/login?next=" in response.headers["Location"]
        assert "ideas/new" in response.headers["Location"]

    def test_submit_publishes_under_post_moderation(self, client, urls, process, citizen,
                                                     login_as):
        login_as(client, citizen)
        assert client.get(urls.new).status_code == 200
        response = client.post_form(urls.new, idea_form(process, lat="47.65", lon="26.25"))
        assert response.status_code == 303
        idea = db.session.scalars(select(Idea)).one()
        assert response.headers["Location"].endswith(f"/ideas/{idea.id}")
        assert idea.is_published and idea.language == "ro" and idea.author_id == citizen.id
        assert (idea.place_lat, idea.place_lon, idea.place_text) == (47.65, 26.25, "Centru")
        page = client.get(urls.idea(idea)).get_data(as_text=True)
        assert "Copaci pe strada Școlii" in page and "<strong>tei</strong>" in page

    def test_pre_moderation_keeps_it_pending(self, client, urls, process, citizen, login_as,
                                             make_user):
        process.moderation_mode = "pre"
        db.session.commit()
        login_as(client, citizen)
        client.post_form(urls.new, idea_form(process))
        idea = db.session.scalars(select(Idea)).one()
        assert idea.moderation_status == "pending"
        assert client.get(urls.idea(idea)).status_code == 200  # its author
        other = make_user()
        login_as(client, other)
        assert client.get(urls.idea(idea)).status_code == 404
        assert "Copaci" not in client.get(urls.index).get_data(as_text=True)

    @pytest.mark.parametrize("overrides, message", [
        ({"title": "x" * 141}, "140"),
        ({"title": ""}, "Give your idea a title."),
        ({"body": "y" * 5001}, "5000"),
        ({"theme": "energy"}, "Not a valid choice"),
        ({"language": "de"}, "Not a valid choice"),
        ({"lat": "95", "lon": "20"}, "The point on the map is not valid."),
        ({"lat": "45", "lon": ""}, "Pick a point on the map, or leave it empty."),
        ({"lat": "abc", "lon": "1"}, "The point on the map is not valid."),
    ])
    def test_bad_input_changes_nothing(self, client, urls, process, citizen, login_as,
                                       overrides, message):
        login_as(client, citizen)
        response = client.post_form(urls.new, idea_form(process, **overrides))
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
        assert count(Idea) == 0

    def test_script_in_description_is_neutralised(self, client, urls, process, citizen,
                                                  login_as):
        login_as(client, citizen)
        client.post_form(urls.new, idea_form(
            process, title="<b>Bold</b> title",
            body="<script>alert(1)</script><img src=x onerror=alert(2)> [link](javascript:x)"))
        idea = db.session.scalars(select(Idea)).one()
        page = client.get(urls.idea(idea)).get_data(as_text=True)
        assert "<script>alert(1)" not in page and "<img src=x" not in page
        assert 'href="javascript' not in page
        assert "&lt;b&gt;Bold&lt;/b&gt; title" in page

    def test_closed_process_refuses(self, client, urls, process, citizen, login_as):
        process.status = "closed"
        db.session.commit()
        login_as(client, citizen)
        response = client.post_form(urls.new, idea_form(process))
        assert response.status_code == 302
        assert count(Idea) == 0

    def test_photos_are_reencoded_without_metadata_and_served(self, client, urls, process,
                                                              citizen, login_as, app):
        login_as(client, citizen)
        data = idea_form(process)
        data["photos"] = [(io.BytesIO(jpeg_with_gps()), "holiday.jpg"),
                          (io.BytesIO(png_bytes()), "plan.png")]
        response = client.post_form(urls.new, data, content_type="multipart/form-data")
        assert response.status_code == 303
        photos = db.session.scalars(select(IdeaPhoto).order_by(IdeaPhoto.position)).all()
        assert [p.position for p in photos] == [0, 1]
        served = client.get(f"/media/{photos[0].key}")
        assert served.status_code == 200 and served.mimetype.startswith("image/")
        assert "immutable" in served.headers["Cache-Control"]
        image = Image.open(io.BytesIO(served.data))
        assert not image.getexif()
        assert b"CameraMaker" not in served.data
        idea_page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert photos[0].thumb_key in idea_page
        assert photos[0].thumb_key in client.get(urls.index).get_data(as_text=True)

    @pytest.mark.parametrize("name, payload, message", [
        ("report.jpg", b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n" * 20, "Photo 1"),
        ("bomb.png", None, "Photo 1"),
    ])
    def test_fake_or_bomb_photo_refused(self, client, urls, process, citizen, login_as,
                                        name, payload, message):
        if payload is None:
            payload = png_bytes(8000, 5000, "white")  # 40 megapixels, a few KB on disk
        login_as(client, citizen)
        data = idea_form(process)
        data["photos"] = [(io.BytesIO(payload), name)]
        response = client.post_form(urls.new, data, content_type="multipart/form-data")
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
        assert count(Idea) == 0 and count(IdeaPhoto) == 0

    def test_more_than_three_photos_refused(self, client, urls, process, citizen, login_as):
        login_as(client, citizen)
        data = idea_form(process)
        data["photos"] = [(io.BytesIO(png_bytes()), f"p{n}.png") for n in range(4)]
        response = client.post_form(urls.new, data, content_type="multipart/form-data")
        assert response.status_code == 422
        assert "At most 3 photos" in response.get_data(as_text=True)
        assert count(Idea) == 0

    def test_photo_form_accepts_more_than_the_general_limit(self, client, urls, process,
                                                            citizen, login_as, app):
        login_as(client, citizen)
        limit = app.config["MAX_CONTENT_LENGTH"]
        big = png_bytes() + b"\0" * (limit + 1000)  # trailing bytes: still a PNG to Pillow
        data = idea_form(process, csrf_token=client.csrf_token())
        # The body is built here (in memory), so the test client keeps no temporary file open.
        boundary = "engage-test-boundary"
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
            for name, value in data.items()
        ]
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; '
            f'filename="big.png"\r\nContent-Type: image/png\r\n\r\n'.encode() + big + b"\r\n"
        )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        assert len(body) > limit
        response = client.post(urls.new, data=body,
                               content_type=f"multipart/form-data; boundary={boundary}")
        assert response.status_code == 303
        assert count(IdeaPhoto) == 1
        # Elsewhere the general limit still holds.
        response = client.post_form("/account/profile", {"x": "y" * (limit + 10)})
        assert response.status_code == 413

    def test_similar_ideas_while_typing(self, client, urls, process, make_idea):
        make_idea(process, title="Mai mulți copaci în parcul central")
        make_idea(process, title="Piste pentru biciclete")
        hidden = make_idea(process, title="Copaci ascunși", status="hidden")
        text = client.get(f"{urls.similar}?title=copacii parc", headers=HX).get_data(as_text=True)
        assert "parcul central" in text and "biciclete" not in text
        assert hidden.title not in text
        assert client.get(f"{urls.similar}?title=", headers=HX).get_data(as_text=True).strip() == ""


# ---------------------------------------------------------------- supports and votes


class TestSupport:
    def test_logged_out_support_goes_to_log_in_and_back(self, client, urls, process,
                                                        make_idea):
        idea = make_idea(process)
        response = client.post_form(urls.idea(idea, "/support"))
        assert response.status_code == 303
        assert "/account/login?next=" in response.headers["Location"]
        assert f"ideas/{idea.id}" in response.headers["Location"]
        htmx = client.post_form(urls.idea(idea, "/support"), headers=HX)
        assert "/account/login" in htmx.headers["HX-Redirect"]
        assert count(Support) == 0

    def test_plain_post_and_idempotent_double_submit(self, client, urls, process, make_idea,
                                                     citizen, login_as):
        idea = make_idea(process)
        login_as(client, citizen)
        for _ in range(2):
            response = client.post_form(urls.idea(idea, "/support"), {"supported": "1"})
            assert response.status_code == 303
        db.session.refresh(idea)
        assert idea.support_count == 1 and count(Support) == 1
        client.post_form(urls.idea(idea, "/support"), {"supported": "0"})
        client.post_form(urls.idea(idea, "/support"), {"supported": "0"})
        db.session.refresh(idea)
        assert idea.support_count == 0 and count(Support) == 0

    def test_htmx_toggle_returns_the_button(self, client, urls, process, make_idea, citizen,
                                            login_as):
        idea = make_idea(process)
        login_as(client, citizen)
        response = client.post_form(urls.idea(idea, "/support"), headers=HX)
        text = response.get_data(as_text=True)
        assert response.status_code == 200 and "<html" not in text
        assert 'aria-pressed="true"' in text and '<span class="support-count"' in text
        assert re.search(r'class="support-count"[^>]*>1<', text)
        text = client.post_form(urls.idea(idea, "/support"), headers=HX).get_data(as_text=True)
        assert 'aria-pressed="false"' in text

    def test_closed_process_refuses_support(self, client, urls, process, make_idea, citizen,
                                            login_as):
        idea = make_idea(process)
        process.closes_at = utcnow() - timedelta(minutes=1)
        process.opens_at = utcnow() - timedelta(days=2)
        db.session.commit()
        login_as(client, citizen)
        response = client.post_form(urls.idea(idea, "/support"), {"supported": "1"},
                                    follow_redirects=True)
        assert "This process is closed" in response.get_data(as_text=True)
        htmx = client.post_form(urls.idea(idea, "/support"), headers=HX)
        assert htmx.status_code == 422 and "This process is closed" in htmx.get_data(as_text=True)
        assert count(Support) == 0

    def test_support_limit_and_supports_left(self, client, urls, process, make_idea, citizen,
                                             login_as):
        services.save_settings(process, "support", 2)
        db.session.commit()
        ideas = [make_idea(process, title=f"Limited {n}") for n in range(3)]
        login_as(client, citizen)
        assert "You have 2 of 2 supports left." in client.get(urls.index).get_data(as_text=True)
        client.post_form(urls.idea(ideas[0], "/support"), {"supported": "1"})
        text = client.post_form(urls.idea(ideas[1], "/support"), {"supported": "1"},
                                headers=HX).get_data(as_text=True)
        assert "You have 0 of 2 supports left." in text and 'hx-swap-oob="true"' in text
        response = client.post_form(urls.idea(ideas[2], "/support"), {"supported": "1"},
                                    follow_redirects=True)
        assert "You have used all 2 of your supports" in response.get_data(as_text=True)
        assert count(Support) == 2

    def test_forged_hidden_and_other_city_ideas_are_404(self, client, urls, process,
                                                        make_idea, citizen, login_as,
                                                        make_city, make_process):
        hidden = make_idea(process, status="hidden")
        other_city = make_city()
        elsewhere = make_idea(make_process(other_city))
        login_as(client, citizen)
        assert client.post_form(urls.idea(999999, "/support")).status_code == 404
        assert client.post_form(urls.idea(hidden, "/support")).status_code == 404
        assert client.post_form(urls.idea(elsewhere, "/support")).status_code == 404
        assert client.get(urls.idea(elsewhere)).status_code == 404
        assert count(Support) == 0

    def test_csrf_is_required(self, client, urls, process, make_idea, citizen, login_as):
        idea = make_idea(process)
        login_as(client, citizen)
        assert client.post(urls.idea(idea, "/support")).status_code == 400
        assert count(Support) == 0

    def test_agree_mode_votes_change(self, client, urls, process, make_idea, citizen,
                                     login_as):
        services.save_settings(process, "agree", None)
        db.session.commit()
        idea = make_idea(process)
        login_as(client, citizen)
        page = client.get(urls.index).get_data(as_text=True)
        assert "Agree" in page and "Disagree" in page and "support-count" not in page
        assert client.post_form(urls.idea(idea, "/vote"), {"value": "1"}).status_code == 303
        text = client.post_form(urls.idea(idea, "/vote"), {"value": "-1"},
                                headers=HX).get_data(as_text=True)
        assert re.search(r'value="-1" class="primary"\s+aria-pressed="true"', text)
        assert db.session.scalars(select(Vote.value)).all() == [-1]
        bad = client.post_form(urls.idea(idea, "/vote"), {"value": "7"}, headers=HX)
        assert bad.status_code == 422
        assert client.post_form(urls.idea(idea, "/support"), headers=HX).status_code == 422
        assert db.session.scalars(select(Vote.value)).all() == [-1] and count(Support) == 0


# ---------------------------------------------------------------- comments


class TestComments:
    def test_comment_reply_and_counts(self, client, urls, process, make_idea, citizen,
                                      login_as, make_user):
        idea = make_idea(process)
        login_as(client, citizen)
        response = client.post_form(urls.idea(idea, "/comments"), {"body": "Bună idee!"})
        assert response.status_code == 303
        comment = db.session.scalars(select(Comment)).one()
        assert response.headers["Location"].endswith(f"#comment-{comment.id}")
        client.post_form(urls.idea(idea, "/comments"),
                         {"body": "Sunt de acord", "parent_id": str(comment.id)})
        reply = db.session.scalars(select(Comment).where(Comment.parent_id == comment.id)).one()
        # A reply to a reply is refused: one level only.
        refused = client.post_form(urls.idea(idea, "/comments"),
                                   {"body": "Nivel trei", "parent_id": str(reply.id)})
        assert refused.status_code == 422
        assert "Replies cannot be answered" in refused.get_data(as_text=True)
        db.session.refresh(idea)
        assert idea.comment_count == 2
        assert "2 comments" in client.get(urls.index).get_data(as_text=True)

    def test_empty_too_long_and_hostile_comments(self, client, urls, process, make_idea,
                                                 citizen, login_as):
        idea = make_idea(process)
        login_as(client, citizen)
        assert client.post_form(urls.idea(idea, "/comments"), {"body": "  "}).status_code == 422
        assert client.post_form(urls.idea(idea, "/comments"),
                                {"body": "z" * 2001}).status_code == 422
        assert count(Comment) == 0
        client.post_form(urls.idea(idea, "/comments"),
                         {"body": "<script>alert(1)</script>**ok**"})
        page = client.get(urls.idea(idea)).get_data(as_text=True)
        assert "<script>alert(1)" not in page and "<strong>ok</strong>" in page

    def test_forged_parent_is_404(self, client, urls, process, make_idea, citizen, login_as):
        idea, other = make_idea(process), make_idea(process)
        login_as(client, citizen)
        client.post_form(urls.idea(other, "/comments"), {"body": "Pe alta"})
        elsewhere = db.session.scalars(select(Comment)).one()
        for parent in (str(elsewhere.id), "99999", "abc"):
            response = client.post_form(urls.idea(idea, "/comments"),
                                        {"body": "x", "parent_id": parent})
            assert response.status_code == 404
        assert count(Comment) == 1

    def test_comment_on_hidden_idea_or_closed_process(self, client, urls, process, make_idea,
                                                      citizen, login_as):
        hidden = make_idea(process, status="hidden")
        login_as(client, citizen)
        assert client.post_form(urls.idea(hidden, "/comments"), {"body": "x"}).status_code == 404
        own_hidden = make_idea(process, author=citizen, status="hidden")
        response = client.post_form(urls.idea(own_hidden, "/comments"), {"body": "x"})
        assert response.status_code == 422
        idea = make_idea(process)
        process.status = "closed"
        db.session.commit()
        response = client.post_form(urls.idea(idea, "/comments"), {"body": "x"})
        assert response.status_code == 422
        assert count(Comment) == 0

    def test_edit_within_fifteen_minutes_then_not(self, client, urls, process, make_idea,
                                                  citizen, login_as, make_user):
        idea = make_idea(process)
        comment = services.add_comment(citizen, idea, "Prima versiune")
        db.session.commit()
        login_as(client, citizen)
        assert client.get(urls.comment(comment, "/edit")).status_code == 200
        response = client.post_form(urls.comment(comment, "/edit"), {"body": "A doua versiune"})
        assert response.status_code == 303
        db.session.refresh(comment)
        assert comment.body == "A doua versiune" and comment.edited_at is not None
        comment.created_at = utcnow() - timedelta(minutes=16)
        db.session.commit()
        response = client.post_form(urls.comment(comment, "/edit"), {"body": "A treia"})
        assert response.status_code == 422
        assert "first 15 minutes" in response.get_data(as_text=True)
        db.session.refresh(comment)
        assert comment.body == "A doua versiune"
        login_as(client, make_user())
        assert client.post_form(urls.comment(comment, "/edit"), {"body": "Hack"}).status_code == 403

    def test_delete_keeps_it_as_deleted(self, client, urls, process, make_idea, citizen,
                                        login_as, make_user, moderator):
        idea = make_idea(process)
        comment = services.add_comment(citizen, idea, "Textul meu original")
        services.add_comment(make_user(), idea, "Un răspuns", parent=comment)
        db.session.commit()
        login_as(client, make_user())
        assert client.post_form(urls.comment(comment, "/delete")).status_code == 303
        assert db.session.get(Comment, comment.id).deleted_at is None  # not the author's
        login_as(client, citizen)
        assert client.post_form(urls.comment(comment, "/delete")).status_code == 303
        page = client.get(urls.idea(idea)).get_data(as_text=True)
        assert "This comment was deleted by its author." in page
        assert "Textul meu original" not in page and "Un răspuns" in page
        login_as(client, moderator)
        assert "Textul meu original" in client.get(urls.idea(idea)).get_data(as_text=True)

    def test_long_conversations_come_in_pages(self, client, urls, process, make_idea,
                                              make_user):
        idea = make_idea(process)
        author = make_user()
        first = None
        for n in range(35):
            top = services.add_comment(author, idea, f"Fir {n:02d}")
            first = first or top
        services.add_comment(make_user(), idea, "Răspuns la primul", parent=first)
        db.session.commit()
        page = client.get(urls.idea(idea)).get_data(as_text=True)
        assert len(re.findall(r"Fir \d\d", page)) == 30 and "Răspuns la primul" in page
        assert "Conversations 1–30 of 35" in page and 'rel="next"' in page
        second = client.get(urls.idea(idea) + "?comments=2").get_data(as_text=True)
        assert re.findall(r"Fir \d\d", second) == [f"Fir {n}" for n in range(30, 35)]
        assert "Răspuns la primul" not in second

    def test_idea_page_constant_query_count(self, client, urls, process, make_idea, make_user,
                                            citizen, login_as, count_queries):
        idea = make_idea(process)
        services.add_comment(make_user(), idea, "Unul")
        db.session.commit()
        login_as(client, citizen)
        url = urls.idea(idea)
        client.get(url)
        with count_queries() as few:
            client.get(url)
        for n in range(15):
            author = make_user()
            top = services.add_comment(author, idea, f"Comentariu {n}")
            services.add_comment(make_user(), idea, "Răspuns", parent=top)
            services.support(author, idea)
        db.session.commit()
        with count_queries() as many:
            page = client.get(url).get_data(as_text=True)
        assert page.count('class="comment"') == 31
        assert many.n == few.n, many.statements


# ---------------------------------------------------------------- reports


class TestReports:
    def test_report_idea_and_comment(self, client, urls, process, make_idea, citizen,
                                     login_as, moderator, make_user):
        idea = make_idea(process, title="Reported idea")
        comment = services.add_comment(make_user(), idea, "Spam spam")
        db.session.commit()
        login_as(client, citizen)
        assert client.get(urls.idea(idea, "/report")).status_code == 200
        assert client.post_form(urls.idea(idea, "/report"),
                                {"reason": "spam", "note": "Reclamă"}).status_code == 303
        assert client.post_form(urls.comment(comment, "/report"),
                                {"reason": "offensive"}).status_code == 303
        # Twice: one report per person per target.
        client.post_form(urls.idea(idea, "/report"), {"reason": "spam"})
        assert count(Report) == 2
        bad = client.post_form(urls.idea(idea, "/report"), {"reason": "boring"})
        assert bad.status_code == 422 and count(Report) == 2
        login_as(client, moderator)
        page = client.get(urls.moderation).get_data(as_text=True)
        assert "Reported idea" in page and "Spam or advertising" in page and "Reclamă" in page
        assert "Offensive or abusive" in page and "Spam spam" in page

    def test_anonymous_report_goes_to_log_in(self, client, urls, process, make_idea):
        idea = make_idea(process)
        assert client.get(urls.idea(idea, "/report")).status_code == 302


# ---------------------------------------------------------------- moderation


class TestModeration:
    def test_approve_hide_restore_with_reasons_and_audit(self, client, urls, process,
                                                         make_idea, citizen, moderator,
                                                         login_as):
        idea = make_idea(process, author=citizen, title="Needs approval", status="pending")
        login_as(client, moderator)
        page = client.get(urls.moderation).get_data(as_text=True)
        assert "Needs approval" in page
        assert client.post_form(urls.idea(idea, "/moderate"),
                                {"action": "approve"}).status_code == 303
        assert idea.title in client.get(urls.index).get_data(as_text=True)
        # Hiding needs a reason.
        response = client.post_form(urls.idea(idea, "/moderate"), {"action": "hide"},
                                    follow_redirects=True)
        assert "Give a reason" in response.get_data(as_text=True)
        client.post_form(urls.idea(idea, "/moderate"),
                         {"action": "hide", "reason": "Conține date personale"})
        db.session.refresh(idea)
        assert idea.moderation_status == "hidden"
        login_as(client, citizen)
        page = client.get(urls.idea(idea)).get_data(as_text=True)
        assert "Conține date personale" in page
        login_as(client, moderator)
        client.post_form(urls.idea(idea, "/moderate"), {"action": "restore"})
        actions = db.session.scalars(
            select(ModerationAction.action).order_by(ModerationAction.id)).all()
        assert actions == ["approve", "hide", "restore"]
        bogus = client.post_form(urls.idea(idea, "/moderate"), {"action": "delete-all"},
                                 follow_redirects=True)
        assert "Unknown action." in bogus.get_data(as_text=True)

    def test_citizens_and_other_cities_moderators_cannot(self, client, urls, process,
                                                         make_idea, citizen, login_as,
                                                         make_user, make_role, make_city):
        idea = make_idea(process)
        login_as(client, citizen)
        assert client.post_form(urls.idea(idea, "/moderate"),
                                {"action": "hide", "reason": "x"}).status_code == 403
        other = make_user()
        make_role(other, make_city(), "moderator")
        login_as(client, other)
        assert client.post_form(urls.idea(idea, "/moderate"),
                                {"action": "hide", "reason": "x"}).status_code == 403
        assert client.get(urls.moderation).status_code == 403
        db.session.refresh(idea)
        assert idea.is_published

    def test_moderate_comment(self, client, urls, process, make_idea, moderator, login_as,
                              make_user):
        idea = make_idea(process)
        comment = services.add_comment(make_user(), idea, "Ceva urât")
        db.session.commit()
        login_as(client, moderator)
        client.post_form(urls.comment(comment, "/moderate"),
                         {"action": "hide", "reason": "Limbaj"})
        db.session.refresh(idea)
        assert idea.comment_count == 0
        login_as(client, make_user())
        assert "Ceva urât" not in client.get(urls.idea(idea)).get_data(as_text=True)

    def test_progress_status_with_public_history(self, client, urls, process, make_idea,
                                                 moderator, login_as, citizen):
        idea = make_idea(process)
        login_as(client, moderator)
        response = client.post_form(urls.idea(idea, "/progress"),
                                    {"status": "selected", "explanation": "Intră în contract.",
                                     "language": "ro"})
        assert response.status_code == 303
        bad = client.post_form(urls.idea(idea, "/progress"),
                               {"status": "selected", "explanation": "", "language": "ro"})
        assert bad.status_code == 422
        login_as(client, citizen)
        page = client.get(urls.idea(idea)).get_data(as_text=True)
        assert "Selected for the Climate City Contract" in page and "Intră în contract." in page
        assert client.post_form(urls.idea(idea, "/progress"),
                                {"status": "implemented", "explanation": "x",
                                 "language": "ro"}).status_code == 403

    def test_followers_are_told_after_the_request_commits(self, client, urls, process,
                                                          make_idea, moderator, login_as,
                                                          make_user, outbox):
        supporter = make_user(language="en")
        idea = make_idea(process, title="Followed idea")
        services.support(supporter, idea)
        db.session.commit()
        login_as(client, moderator)
        refused = client.post_form(urls.idea(idea, "/progress"),
                                   {"status": "nonsense", "explanation": "x", "language": "ro"})
        assert refused.status_code == 422 and outbox(supporter.email) == []
        client.post_form(urls.idea(idea, "/progress"),
                         {"status": "implemented", "explanation": "Done.", "language": "en"})
        (message,) = outbox(supporter.email)
        assert "Followed idea" in message.subject + message.body and "Done." in message.body
        assert outbox(moderator.email) == []

    def test_merge_redirects_and_counts_once(self, client, urls, process, make_idea,
                                             moderator, login_as, make_user, outbox):
        author = make_user(language="en")
        keep = make_idea(process, title="Keep this")
        duplicate = make_idea(process, title="Duplicate", author=author)
        both, only_dup = make_user(), make_user()
        services.support(both, keep)
        services.support(both, duplicate)
        services.support(only_dup, duplicate)
        db.session.commit()
        login_as(client, moderator)
        response = client.post_form(urls.idea(duplicate, "/merge"), {"target": str(keep.id)})
        assert response.status_code == 303
        db.session.refresh(keep)
        assert keep.support_count == 2
        login_as(client, make_user())
        moved = client.get(urls.idea(duplicate))
        assert moved.status_code == 301 and moved.headers["Location"].endswith(f"/ideas/{keep.id}")
        assert any("Duplicate" in m.body or "Duplicate" in m.subject for m in outbox(author.email))

    def test_merge_into_unknown_or_other_city_idea_refused(self, client, urls, process,
                                                           make_idea, moderator, login_as,
                                                           make_city, make_process):
        idea = make_idea(process)
        elsewhere = make_idea(make_process(make_city()))
        login_as(client, moderator)
        for target in (str(elsewhere.id), "999999", "abc", str(idea.id)):
            response = client.post_form(urls.idea(idea, "/merge"), {"target": target})
            assert response.status_code == 422
        db.session.refresh(idea)
        assert idea.merged_into_id is None


# ---------------------------------------------------------------- organisers


class TestOrganisers:
    def test_workshop_idea_credited_to_participants(self, client, urls, process, organiser,
                                                    login_as):
        login_as(client, organiser)
        assert client.get(urls.add).status_code == 200
        data = idea_form(process, title="Din atelierul de sâmbătă", channel="paper")
        response = client.post_form(urls.add, data)
        assert response.status_code == 303
        idea = db.session.scalars(select(Idea)).one()
        assert idea.author_id is None and idea.channel == "paper"
        assert idea.added_by_id == organiser.id and idea.is_published
        page = client.get(urls.idea(idea)).get_data(as_text=True)
        assert "by workshop participants" in page
        bad = client.post_form(urls.add, idea_form(process, channel="online"))
        assert bad.status_code == 422 and count(Idea) == 1

    def test_moderators_cannot_add_workshop_ideas(self, client, urls, moderator, login_as):
        login_as(client, moderator)
        assert client.get(urls.add).status_code == 403

    def test_settings(self, client, urls, process, organiser, login_as, make_idea, citizen):
        login_as(client, organiser)
        assert client.get(urls.settings).status_code == 200
        response = client.post_form(urls.settings, {"voting_mode": "support",
                                                    "support_limit": "5"})
        assert response.status_code == 303
        assert services.settings_for(process).support_limit == 5
        for value in ("0", "-3", "abc"):
            response = client.post_form(urls.settings, {"voting_mode": "support",
                                                        "support_limit": value})
            assert response.status_code == 422
        assert services.settings_for(process).support_limit == 5
        services.support(citizen, make_idea(process))
        db.session.commit()
        response = client.post_form(urls.settings, {"voting_mode": "agree", "support_limit": ""})
        assert response.status_code == 422
        assert "cannot change once people have" in response.get_data(as_text=True)
        assert services.settings_for(process).voting_mode == "support"


# ---------------------------------------------------------------- map and media


class TestMapAndMedia:
    def test_geojson_has_published_ideas_with_a_place(self, client, urls, process, make_idea):
        make_idea(process, title="Here", place=services.Place(45.75, 21.23, "Piața Unirii"))
        make_idea(process, title="Nowhere")
        make_idea(process, title="Hidden here", place=services.Place(45.7, 21.2), status="hidden")
        data = client.get(urls.geojson).get_json()
        assert [f["properties"]["title"] for f in data["features"]] == ["Here"]
        assert data["features"][0]["geometry"]["coordinates"] == [21.23, 45.75]
        page = client.get(urls.map).get_data(as_text=True)
        assert "Here" in page and "1 idea with a place" in page and "leaflet.js" in page

    def test_media_refuses_bad_keys(self, client):
        for key in ("nothing.jpg", "..%2F..%2Fetc%2Fpasswd", "a" * 32 + ".exe"):
            assert client.get(f"/media/{key}").status_code == 404
