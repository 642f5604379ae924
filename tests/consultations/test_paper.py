"""Paper and stand responses: typed in one at a time, or imported from CSV (row by row, with a
report; nothing from a malformed file); organisers of the city only."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from engage.consultations.models import Answer, Response
from engage.extensions import db

from .conftest import count


@pytest.fixture
def organiser(make_user, make_role, city):  # noqa: ANN001, ANN201
    user = make_user()
    make_role(user, city, "organiser")
    return user


@pytest.fixture
def base(city, process):  # noqa: ANN001, ANN201
    return f"/{city.slug}/manage/processes/{process.slug}/paper"


def upload(client, base, text: str, encoding: str = "utf-8"):  # noqa: ANN001, ANN201
    return client.post_form(f"{base}/import",
                            {"file": (io.BytesIO(text.encode(encoding)), "responses.csv")},
                            content_type="multipart/form-data")


def test_type_in_one_response(client, base, questionnaire, organiser, login_as):
    q = questionnaire
    login_as(client, organiser)
    assert client.get(base).status_code == 200
    refused = client.post_form(base, {"channel": "paper", f"q{q['distance'].id}": "999"})
    assert refused.status_code == 422 and count(Response) == 0
    text = refused.get_data(as_text=True)
    assert "Please answer this question." in text and "from 0 to 200" in text
    done = client.post_form(base, {"channel": "stand",
                                   f"q{q['travel'].id}": str(q["travel"].choices[0].id),
                                   f"q{q['distance'].id}": "3"})
    assert done.status_code == 303
    response = db.session.scalars(select(Response)).one()
    assert response.channel == "stand" and response.status == "submitted"
    assert response.entered_by_id == organiser.id and response.user_id is None


def test_csv_template_and_import_with_a_report(client, base, questionnaire, organiser,
                                               login_as):
    q = questionnaire
    login_as(client, organiser)
    template = client.get(f"{base}/template.csv")
    assert template.status_code == 200 and template.mimetype == "text/csv"
    header = template.get_data(as_text=True).lstrip("\ufeff").splitlines()[0].split(",")
    assert header[0] == "channel" and f"q{q['travel'].id}" in header
    rows = [
        ",".join(["channel", f"q{q['travel'].id}", f"q{q['helps'].id}", f"q{q['order'].id}",
                  f"q{q['distance'].id}"]),
        "paper,Bicicleta,Piste;dușuri,Dușuri;Piste;Parcări,4.5",   # labels, any case
        "paper,1,,,2",                                              # option number
        "stand,Trotinetă,,,1",                                      # not an option
        "paper,Mașina,,,250",                                       # out of range
        "paper,,,,3",                                               # required missing
    ]
    response = upload(client, base, "\n".join(rows))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "2 responses imported." in page and "3 rows were left out" in page
    assert "Line 4" in page and "Line 5" in page and "Line 6" in page
    assert count(Response) == 2
    cyclist = db.session.scalars(select(Response).order_by(Response.id)).first()
    ranked = db.session.scalars(
        select(Answer.option_id).where(Answer.response_id == cyclist.id,
                                       Answer.question_id == q["order"].id)
        .order_by(Answer.rank)).all()
    assert ranked == [q["order"].choices[2].id, q["order"].choices[0].id,
                      q["order"].choices[1].id]


@pytest.mark.parametrize("content, encoding, message", [
    ("channel,q999999\npaper,1", "utf-8", "Unknown columns"),
    ("", "utf-8", "no header"),
    ("channel\npaper\n", "utf-16", "not UTF-8"),
])
def test_malformed_file_imports_nothing(client, base, questionnaire, organiser, login_as,
                                        content, encoding, message):
    login_as(client, organiser)
    response = upload(client, base, content, encoding)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert count(Response) == 0


def test_only_the_citys_organisers(client, base, questionnaire, make_user, make_role,
                                   login_as, city, make_city):
    assert client.get(base).status_code == 302
    moderator = make_user()
    make_role(moderator, city, "moderator")
    login_as(client, moderator)
    assert client.get(base).status_code == 403
    other = make_user()
    make_role(other, make_city(), "organiser")
    login_as(client, other)
    assert client.get(base).status_code == 403
    assert client.post_form(base, {"channel": "paper"}).status_code == 403
    assert count(Response) == 0
