"""Account pages end to end: sign-up, verification, log-in/out, reset, profile, password, e-mail.

Every bad input of issue 2 that concerns accounts: empty and over-long fields, malformed
addresses, duplicate sign-up, wrong password, expired and forged tokens, a reused reset link,
a missing CSRF token, markup in names, too many attempts, open redirects.
"""

from __future__ import annotations

import re
from email import message_from_bytes
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engage.accounts import services
from engage.accounts.models import User
from engage.extensions import db

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a completely different passphrase"
GENERIC_LOGIN_ERROR = "E-mail address or password is incorrect."


def user_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def fresh(user: User) -> User:
    """The account as the database has it now (requests run in sessions of their own)."""
    db.session.expire_all()
    return db.session.get(User, user.id)


def by_email(email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalars(select(User).where(User.email == email)).first()


def link_in(message, path: str) -> str:  # noqa: ANN001
    match = re.search(rf"https?://[^/\s]+(/account/{path}/\S+)", message.body)
    assert match, message.body
    return match.group(1)


def signup_data(**overrides: str) -> dict[str, str]:
    data = {
        "email": "ana@example.org",
        "display_name": "Ana Popescu",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
        "language": "ro",
        "stakeholder_type": "citizen",
        "website": "",
    }
    data.update(overrides)
    return data


def login(client, email: str, password: str = PASSWORD, **extra: str):  # noqa: ANN001, ANN201
    return client.post_form("/account/login", {"email": email, "password": password, **extra})


def text(response) -> str:  # noqa: ANN001
    return response.get_data(as_text=True)


# ---------------------------------------------------------------- pages and languages


@pytest.mark.parametrize("url", [
    "/account/login", "/account/signup", "/account/reset", "/account/verify/resend",
    "/account/sent/signup", "/account/sent/verify", "/account/sent/reset", "/account/sent/email",
])
def test_public_pages_render_without_inline_script_or_style(client, url):
    response = client.get(url)
    assert response.status_code == 200
    body = text(response)
    assert ' style="' not in body
    assert not re.search(r"\son[a-z]+=", body)
    assert "<script>" not in body


def test_unknown_sent_page_is_404(client):
    assert client.get("/account/sent/anything").status_code == 404


def test_login_page_is_romanian_by_default_and_english_with_the_cookie(client_default_language):
    client = client_default_language
    ro_page = text(client.get("/account/login"))
    assert '<html lang="ro">' in ro_page
    # Translated, not only labelled: the Romanian catalog's text is on the page.
    assert "Ați uitat parola?" in ro_page and "Forgot your password?" not in ro_page
    client.set_cookie("lang", "en")
    en_page = text(client.get("/account/login"))
    assert '<html lang="en">' in en_page
    assert "Forgot your password?" in en_page and "Ați uitat parola?" not in en_page


def test_signup_language_defaults_to_the_page_language(client_default_language):
    client = client_default_language
    ro_page = text(client.get("/account/signup"))
    assert re.search(r'<input checked id="language-0"[^>]*value="ro"', ro_page)
    assert "Limba preferată" in ro_page
    client.set_cookie("lang", "en")
    en_page = text(client.get("/account/signup"))
    assert re.search(r'<input checked id="language-1"[^>]*value="en"', en_page)


def test_forms_carry_autocomplete_hints(client):
    signup = text(client.get("/account/signup"))
    assert 'autocomplete="email"' in signup and 'autocomplete="new-password"' in signup
    assert 'autocomplete="name"' in signup
    login_page = text(client.get("/account/login"))
    assert 'autocomplete="current-password"' in login_page


def test_honeypot_is_hidden_and_labelled_for_people(client):
    page = text(client.get("/account/signup"))
    assert re.search(r'<div class="field visually-hidden[^"]*">\s*<label for="website">', page)
    assert "Leave this field empty" in page


# ---------------------------------------------------------------- sign-up


def test_signup_verify_and_login_end_to_end(app, client, outbox):
    response = client.post_form("/account/signup", signup_data(email="Ana@Example.org"))
    assert response.status_code == 303
    assert response.headers["Location"] == "/account/sent/signup"
    user = by_email("ana@example.org")
    assert user is not None and not user.is_verified
    [message] = outbox("ana@example.org")
    assert message.sent_at is not None  # handed to delivery after the commit
    eml = [message_from_bytes(path.read_bytes())
           for path in Path(app.config["MAIL_DIRECTORY"]).glob("*.eml")]
    assert any(m["To"] == "ana@example.org" and "/account/verify/" in m.get_payload()
               for m in eml)

    # Not verified yet: log-in is refused with the resend form.
    refused = login(client, "ana@example.org")
    assert refused.status_code == 200
    assert "not confirmed yet" in text(refused)
    assert 'action="/account/verify/resend"' in text(refused)
    assert client.get("/account/profile").status_code == 302

    verified = client.get(link_in(message, "verify"))
    assert verified.status_code == 303
    assert verified.headers["Location"] == "/account/login"
    assert fresh(user).is_verified

    response = login(client, "ana@example.org")
    assert response.status_code == 303
    assert client.get("/account/profile").status_code == 200


def test_signup_mail_follows_the_chosen_language(client, outbox):
    client.post_form("/account/signup", signup_data(language="en"))
    [message] = outbox("ana@example.org")
    assert message.language == "en"
    assert by_email("ana@example.org").language == "en"


def test_duplicate_signup_gets_the_same_answer_and_tells_the_owner(client, make_user, outbox):
    owner = make_user("ana@example.org", language="en", display_name="Original")
    new = client.post_form("/account/signup", signup_data(email="someone.new@example.org"))
    duplicate = client.post_form("/account/signup", signup_data(email="ANA@example.org"))
    assert duplicate.status_code == new.status_code == 303
    assert duplicate.headers["Location"] == new.headers["Location"]
    assert user_count() == 2  # the owner and the new person; no second "ana"
    assert fresh(owner).display_name == "Original"
    [notice] = outbox("ana@example.org")
    assert notice.language == "en"
    assert "/account/verify/" not in notice.body
    assert "/account/verify/" in outbox("someone.new@example.org")[0].body


TOO_LONG_EMAIL = "a" * 60 + "@" + ".".join(["b" * 60] * 4) + ".org"


@pytest.mark.parametrize(("overrides", "field"), [
    ({"email": ""}, "email"),
    ({"email": "   "}, "email"),
    ({"email": "not-an-address"}, "email"),
    ({"email": "ana@"}, "email"),
    ({"email": "ana@@example.org"}, "email"),
    ({"email": "ana@example..org"}, "email"),
    ({"email": "ana example@example.org"}, "email"),
    ({"email": "<script>@example.org"}, "email"),
    ({"email": TOO_LONG_EMAIL}, "email"),
    ({"display_name": ""}, "display_name"),
    ({"display_name": "   "}, "display_name"),
    ({"display_name": "x" * 81}, "display_name"),
    ({"display_name": "Ana\x07"}, "display_name"),
    ({"display_name": "Ana\u202eadmin"}, "display_name"),
    ({"display_name": "Ana\nPopescu"}, "display_name"),
    ({"password": "too short", "password_confirm": "too short"}, "password"),
    ({"password": "x" * 257, "password_confirm": "x" * 257}, "password"),
    ({"password": "ana@example.org", "password_confirm": "ana@example.org"}, "password"),
    ({"password": "", "password_confirm": ""}, "password"),
    ({"password_confirm": "something else entirely"}, "password_confirm"),
    ({"language": "fr"}, "language"),
    ({"language": ""}, "language"),
    ({"stakeholder_type": "alien"}, "stakeholder_type"),
])
def test_signup_bad_input_is_refused_and_writes_nothing(client, outbox, overrides, field):
    response = client.post_form("/account/signup", signup_data(**overrides))
    assert response.status_code == 200
    body = text(response)
    assert f'id="{field}-error"' in body
    assert "Please correct the fields marked below." in body
    assert user_count() == 0
    assert outbox() == []


def test_signup_accepts_the_longest_allowed_values(client):
    name = "Ș" * 80
    response = client.post_form("/account/signup", signup_data(
        display_name=f"  {name}  ", password="p" * 256, password_confirm="p" * 256))
    assert response.status_code == 303
    assert by_email("ana@example.org").display_name == name


def test_signup_normalises_cedilla_letters_in_names(client):
    client.post_form("/account/signup", signup_data(display_name="Ştefan Ţurcanu"))
    assert by_email("ana@example.org").display_name == "Ștefan Țurcanu"


def test_filled_honeypot_gets_the_usual_answer_and_creates_nothing(client, outbox):
    response = client.post_form("/account/signup", signup_data(website="http://spam.example"))
    assert response.status_code == 303
    assert response.headers["Location"] == "/account/sent/signup"
    assert user_count() == 0 and outbox() == []


def test_signup_without_csrf_token_is_refused_and_writes_nothing(client, outbox):
    client.get("/account/signup")
    response = client.post("/account/signup", data=signup_data())
    assert response.status_code == 400
    assert "Nothing was saved" in text(response)
    assert user_count() == 0 and outbox() == []


def test_signup_is_rate_limited(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_SIGNUP", "2 per minute")
    for number in range(2):
        response = client.post_form("/account/signup", signup_data(email=f"a{number}@example.org"))
        assert response.status_code == 303
    blocked = client.post_form("/account/signup", signup_data(email="a3@example.org"))
    assert blocked.status_code == 429
    assert by_email("a3@example.org") is None
    # Only POSTs count: the form still opens.
    assert client.get("/account/signup").status_code == 200


def test_signed_in_person_is_sent_from_signup_to_profile(client, make_user, login_as):
    login_as(client, make_user())
    response = client.get("/account/signup")
    assert response.status_code == 303
    assert response.headers["Location"] == "/account/profile"


# ---------------------------------------------------------------- verification


def test_forged_verification_link_explains_and_offers_a_new_one(client, make_user):
    user = make_user(verified=False)
    response = client.get("/account/verify/" + services.make_verification_token(user)[:-2] + "zz")
    assert response.status_code == 400
    body = text(response)
    assert "not valid" in body and 'action="/account/verify/resend"' in body
    assert not fresh(user).is_verified


def test_expired_verification_link_prefills_the_address(app, client, make_user, monkeypatch):
    user = make_user("late@example.org", verified=False)
    with app.test_request_context():
        token = services.make_verification_token(user)
    monkeypatch.setitem(app.config, "VERIFY_TOKEN_MAX_AGE", -1)
    response = client.get(f"/account/verify/{token}")
    assert response.status_code == 400
    body = text(response)
    assert "expired" in body and 'value="late@example.org"' in body
    assert not fresh(user).is_verified


def test_already_verified_link_is_friendly(client, make_user):
    user = make_user()
    response = client.get(f"/account/verify/{services.make_verification_token(user)}",
                          follow_redirects=True)
    assert response.status_code == 200
    assert "already confirmed" in text(response)


def test_resend_gives_one_answer_whatever_the_address(client, make_user, outbox):
    waiting = make_user(verified=False)
    answers = [
        client.post_form("/account/verify/resend", {"email": email})
        for email in (waiting.email, "nobody@example.org")
    ]
    assert {a.status_code for a in answers} == {303}
    assert {a.headers["Location"] for a in answers} == {"/account/sent/verify"}
    assert len(outbox(waiting.email)) == 1 and outbox("nobody@example.org") == []


def test_resend_with_an_empty_address_explains(client, outbox):
    response = client.post_form("/account/verify/resend", {"email": ""})
    assert response.status_code == 200
    assert 'id="resend-email-error"' in text(response)
    assert outbox() == []


def test_resend_is_rate_limited(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_RESET", "1 per minute")
    assert client.post_form("/account/verify/resend", {"email": "a@example.org"}).status_code == 303
    assert client.post_form("/account/verify/resend", {"email": "a@example.org"}).status_code == 429


# ---------------------------------------------------------------- log-in and log-out


def test_login_goes_to_the_hub_and_records_the_time(client, make_user):
    user = make_user("login@example.org")
    response = login(client, "LOGIN@example.org ")
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert fresh(user).last_login_at is not None
    assert client.get("/account/profile").status_code == 200


@pytest.mark.parametrize(("email", "password"), [
    ("login@example.org", "wrong password!"),
    ("nobody@example.org", PASSWORD),
])
def test_wrong_credentials_get_one_generic_message(client, make_user, email, password):
    make_user("login@example.org")
    response = login(client, email, password)
    assert response.status_code == 200
    assert GENERIC_LOGIN_ERROR in text(response)
    assert client.get("/account/profile").status_code == 302


@pytest.mark.parametrize(("email", "password", "field"), [
    ("", PASSWORD, "email"),
    ("login@example.org", "", "password"),
    ("x" * 255 + "@example.org", PASSWORD, "email"),
    ("login@example.org", "p" * 257, "password"),
])
def test_login_bad_input_is_explained(client, make_user, email, password, field):
    make_user("login@example.org")
    response = login(client, email, password)
    assert response.status_code == 200
    assert f'id="{field}-error"' in text(response)
    assert client.get("/account/profile").status_code == 302


def test_deactivated_account_is_refused(client, make_user):
    user = make_user(is_active_account=False)
    response = login(client, user.email)
    assert response.status_code == 200
    assert "deactivated" in text(response)
    assert fresh(user).last_login_at is None
    assert client.get("/account/profile").status_code == 302


def test_remember_me_sets_the_remember_cookie_only_when_asked(app, client, make_user):
    user = make_user()
    login(client, user.email)
    assert client.get_cookie("remember_token") is None
    client.post_form("/account/logout")
    login(client, user.email, remember="y")
    assert client.get_cookie("remember_token") is not None


@pytest.mark.parametrize("target", [
    "//evil.example/", "https://evil.example/", "http://evil.example", "/\\evil.example",
    "javascript:alert(1)", "evil.example",
])
def test_login_never_redirects_to_another_site(client, make_user, target):
    user = make_user()
    response = login(client, user.email, next=target)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_login_returns_to_a_local_page(client, make_user):
    user = make_user()
    page = text(client.get("/account/login?next=/account/password"))
    assert 'name="next" type="hidden" value="/account/password"' in page
    response = login(client, user.email, next="/account/password")
    assert response.headers["Location"] == "/account/password"


def test_protected_page_sends_to_login_and_back(client, make_user):
    user = make_user()
    response = client.get("/account/email")
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/login?next=/account/email"
    page = text(client.get(response.headers["Location"]))
    next_value = re.search(r'name="next" type="hidden" value="([^"]*)"', page).group(1)
    assert login(client, user.email, next=next_value).headers["Location"] == "/account/email"


def test_too_many_login_attempts_get_the_429_page(app, client, make_user, monkeypatch):
    user = make_user()
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN", "3 per minute")
    for _ in range(3):
        assert login(client, user.email, "wrong password!").status_code == 200
    blocked = login(client, user.email)  # even the right password waits
    assert blocked.status_code == 429
    assert "Too many attempts" in text(blocked)
    assert "Retry-After" in blocked.headers
    assert fresh(user).last_login_at is None


def test_csrf_token_keeps_working_after_login_and_the_session_is_renewed(client, make_user):
    user = make_user()
    token = client.csrf_token()
    with client.session_transaction() as session:
        session["planted"] = "before log-in"
    assert login(client, user.email).status_code == 303
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == str(user.id)
    # The token of the page opened before logging in is still accepted.
    response = client.post("/account/logout", data={"csrf_token": token})
    assert response.status_code == 303
    assert client.get("/account/profile").status_code == 302


def test_signed_in_person_sees_who_is_logged_in_on_the_login_page(client, make_user, login_as):
    user = make_user(display_name="Ana <b>P</b>")
    login_as(client, user)
    response = client.get("/account/login")
    assert response.status_code == 200
    assert "Ana &lt;b&gt;P&lt;/b&gt;" in text(response)
    assert 'action="/account/logout"' in text(response)
    # A log-in POST while signed in changes nothing and goes to the profile.
    again = login(client, user.email)
    assert again.status_code == 303 and again.headers["Location"] == "/account/profile"


def test_logout_needs_post_and_csrf(client, make_user, login_as):
    login_as(client, make_user())
    assert client.get("/account/logout").status_code == 405
    assert client.post("/account/logout").status_code == 400
    assert client.get("/account/profile").status_code == 200
    response = client.post_form("/account/logout")
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert client.get("/account/profile").status_code == 302


def test_logout_when_not_logged_in_goes_to_login(client):
    response = client.post_form("/account/logout")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


# ---------------------------------------------------------------- password reset


def test_reset_request_gives_one_answer_whatever_the_address(client, make_user, outbox):
    user = make_user(language="en")
    answers = [client.post_form("/account/reset", {"email": email})
               for email in (user.email, "nobody@example.org")]
    assert {a.headers["Location"] for a in answers} == {"/account/sent/reset"}
    [message] = outbox(user.email)
    assert message.language == "en"
    assert outbox("nobody@example.org") == []


def test_reset_request_with_an_empty_address_explains(client, outbox):
    response = client.post_form("/account/reset", {"email": " "})
    assert response.status_code == 200
    assert 'id="email-error"' in text(response)
    assert outbox() == []


def test_reset_request_is_rate_limited(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_RESET", "2 per minute")
    for _ in range(2):
        assert client.post_form("/account/reset", {"email": "a@example.org"}).status_code == 303
    assert client.post_form("/account/reset", {"email": "a@example.org"}).status_code == 429


def test_reset_link_from_the_mail_sets_a_new_password_once(client, make_user, outbox):
    user = make_user(verified=False)
    client.post_form("/account/reset", {"email": user.email})
    url = link_in(outbox(user.email)[0], "reset")
    form = client.get(url)
    assert form.status_code == 200 and 'autocomplete="new-password"' in text(form)
    response = client.post_form(url, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert response.status_code == 303 and response.headers["Location"] == "/account/login"
    user = fresh(user)
    assert user.is_verified
    assert login(client, user.email, NEW_PASSWORD).status_code == 303
    client.post_form("/account/logout")

    # The same link again: refused, nothing written.
    hash_after = user.password_hash
    reused = client.post_form(url, {"password": "third passphrase here",
                                    "password_confirm": "third passphrase here"})
    assert reused.status_code == 400
    assert "not valid" in text(reused) and 'href="/account/reset"' in text(reused)
    assert fresh(user).password_hash == hash_after
    assert client.get(url).status_code == 400


def test_expired_reset_link_changes_nothing(app, client, make_user, monkeypatch):
    user = make_user()
    token = services.make_reset_token(user)
    monkeypatch.setitem(app.config, "RESET_TOKEN_MAX_AGE", -1)
    response = client.post_form(f"/account/reset/{token}",
                                {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert response.status_code == 400
    assert "expired" in text(response)
    assert services.verify_password(fresh(user), PASSWORD)


def test_forged_reset_link_changes_nothing(client, make_user):
    user = make_user()
    response = client.post_form("/account/reset/forged.token.value",
                                {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert response.status_code == 400
    assert services.verify_password(fresh(user), PASSWORD)


@pytest.mark.parametrize(("password", "confirm", "field"), [
    ("short", "short", "password"),
    (NEW_PASSWORD, "not the same one at all", "password_confirm"),
    ("", "", "password"),
])
def test_reset_with_a_bad_new_password_changes_nothing(client, make_user, password, confirm,
                                                       field):
    user = make_user()
    token = services.make_reset_token(user)
    response = client.post_form(f"/account/reset/{token}",
                                {"password": password, "password_confirm": confirm})
    assert response.status_code == 200
    assert f'id="{field}-error"' in text(response)
    assert services.verify_password(fresh(user), PASSWORD)


def test_reset_refuses_the_address_as_password(client, make_user):
    user = make_user("ana.long.address@example.org")
    token = services.make_reset_token(user)
    response = client.post_form(f"/account/reset/{token}", {
        "password": "Ana.Long.Address@example.org",
        "password_confirm": "Ana.Long.Address@example.org"})
    assert 'id="password-error"' in text(response)
    assert services.verify_password(fresh(user), PASSWORD)


def test_reset_without_csrf_token_changes_nothing(client, make_user):
    user = make_user()
    token = services.make_reset_token(user)
    response = client.post(f"/account/reset/{token}",
                           data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert response.status_code == 400
    assert services.verify_password(fresh(user), PASSWORD)


# ---------------------------------------------------------------- profile


def test_profile_shows_the_account_and_its_roles(client, make_user, make_city, make_role,
                                                  login_as):
    user = make_user("ana@example.org", stakeholder_type="research", verified=False)
    make_role(user, make_city("cluj", name_ro="Cluj-Napoca", name_en=""), "organiser")
    make_role(user, make_city("suceava", name_ro="Suceava", name_en="Suceava"), "moderator")
    login_as(client, user)
    client.set_cookie("lang", "en")
    body = text(client.get("/account/profile"))
    assert "ana@example.org" in body
    assert "not confirmed" in body
    assert "Research and academia" in body
    assert "Organiser · <span lang=\"ro\">Cluj-Napoca</span>" in body  # (ro) fallback mark
    assert "Moderator · Suceava" in body


def test_profile_makes_a_constant_number_of_queries(client, make_user, make_city, make_role,
                                                    login_as, count_queries):
    user = make_user()
    login_as(client, user)
    make_role(user, make_city(), "moderator")
    with count_queries() as one_role:
        assert client.get("/account/profile").status_code == 200
    for _ in range(4):
        make_role(user, make_city(), "organiser")
    with count_queries() as five_roles:
        assert client.get("/account/profile").status_code == 200
    assert one_role.n == five_roles.n


def test_markup_in_the_display_name_is_shown_as_text(client, make_user, login_as):
    login_as(client, make_user(display_name="<script>alert(1)</script>"))
    body = text(client.get("/account/profile"))
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_profile_edit_saves_and_switches_the_language_at_once(client, make_user, login_as):
    user = make_user(language="ro")
    login_as(client, user)
    client.delete_cookie("lang")  # no language chosen yet: the profile's Romanian applies
    assert '<html lang="ro">' in text(client.get("/account/profile"))
    response = client.post_form("/account/profile", {
        "display_name": "  <i>Ana</i> ", "language": "en", "stakeholder_type": "business"})
    assert response.status_code == 303 and response.headers["Location"] == "/account/profile"
    assert client.get_cookie("lang").value == "en"
    user = fresh(user)
    assert (user.display_name, user.language, user.stakeholder_type) == (
        "<i>Ana</i>", "en", "business")
    page = text(client.get("/account/profile"))
    assert '<html lang="en">' in page
    assert "&lt;i&gt;Ana&lt;/i&gt;" in page and "<i>Ana</i>" not in page


@pytest.mark.parametrize(("data", "field"), [
    ({"display_name": "", "language": "en", "stakeholder_type": "citizen"}, "display_name"),
    ({"display_name": "x" * 81, "language": "en", "stakeholder_type": "citizen"},
     "display_name"),
    ({"display_name": "Ana", "language": "de", "stakeholder_type": "citizen"}, "language"),
    ({"display_name": "Ana", "language": "en", "stakeholder_type": "king"}, "stakeholder_type"),
])
def test_profile_bad_input_changes_nothing(client, make_user, login_as, data, field):
    user = make_user(display_name="Before", language="ro")
    login_as(client, user)
    response = client.post_form("/account/profile", data)
    assert response.status_code == 200
    assert f'id="{field}-error"' in text(response)
    user = fresh(user)
    assert (user.display_name, user.language, user.stakeholder_type) == (
        "Before", "ro", "citizen")
    # The language is switched only when the profile is saved: no cookie is set or changed.
    assert not [c for c in response.headers.getlist("Set-Cookie") if c.startswith("lang=")]
    assert client.get_cookie("lang").value == "en"


def test_profile_without_csrf_token_changes_nothing(client, make_user, login_as):
    user = make_user(display_name="Before")
    login_as(client, user)
    response = client.post("/account/profile", data={
        "display_name": "After", "language": "en", "stakeholder_type": "citizen"})
    assert response.status_code == 400
    assert fresh(user).display_name == "Before"


# ---------------------------------------------------------------- password change


def test_change_password(client, make_user, login_as, outbox):
    user = make_user()
    login_as(client, user)
    response = client.post_form("/account/password", {
        "current_password": PASSWORD, "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert response.status_code == 303 and response.headers["Location"] == "/account/profile"
    assert services.verify_password(fresh(user), NEW_PASSWORD)
    assert len(outbox(user.email)) == 1


@pytest.mark.parametrize(("data", "field"), [
    ({"current_password": "not my password", "password": NEW_PASSWORD,
      "password_confirm": NEW_PASSWORD}, "current_password"),
    ({"current_password": "", "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
     "current_password"),
    ({"current_password": PASSWORD, "password": "short", "password_confirm": "short"},
     "password"),
    ({"current_password": PASSWORD, "password": NEW_PASSWORD, "password_confirm": "other one!"},
     "password_confirm"),
])
def test_change_password_bad_input_changes_nothing(client, make_user, login_as, outbox, data,
                                                   field):
    user = make_user()
    login_as(client, user)
    before = user.password_hash
    response = client.post_form("/account/password", data)
    assert response.status_code == 200
    assert f'id="{field}-error"' in text(response)
    assert fresh(user).password_hash == before
    assert outbox() == []


def test_change_password_is_rate_limited(app, client, make_user, login_as, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN", "2 per minute")
    login_as(client, make_user())
    data = {"current_password": "guess number n", "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD}
    assert [client.post_form("/account/password", data).status_code for _ in range(3)] == [
        200, 200, 429]


# ---------------------------------------------------------------- e-mail change


def test_email_change_end_to_end(client, make_user, login_as, outbox):
    user = make_user("old@example.org")
    login_as(client, user)
    response = client.post_form("/account/email", {
        "new_email": "New@Example.org", "current_password": PASSWORD})
    assert response.status_code == 303 and response.headers["Location"] == "/account/sent/email"
    assert fresh(user).email == "old@example.org"
    assert len(outbox("old@example.org")) == 1
    url = link_in(outbox("new@example.org")[0], "email/confirm")
    confirmed = client.get(url)
    assert confirmed.status_code == 303 and confirmed.headers["Location"] == "/account/profile"
    assert fresh(user).email == "new@example.org"
    used = client.get(url)
    assert used.status_code == 400 and "not valid" in text(used)


def test_email_change_to_a_taken_address_answers_the_same(client, make_user, login_as, outbox):
    user = make_user("old@example.org")
    make_user("taken@example.org")
    login_as(client, user)
    response = client.post_form("/account/email", {
        "new_email": "taken@example.org", "current_password": PASSWORD})
    assert response.status_code == 303 and response.headers["Location"] == "/account/sent/email"
    assert fresh(user).email == "old@example.org"
    assert all("/account/email/confirm/" not in m.body for m in outbox())


@pytest.mark.parametrize(("data", "field"), [
    ({"new_email": "new@example.org", "current_password": "wrong password!"},
     "current_password"),
    ({"new_email": "OLD@example.org", "current_password": PASSWORD}, "new_email"),
    ({"new_email": "not an address", "current_password": PASSWORD}, "new_email"),
    ({"new_email": "", "current_password": PASSWORD}, "new_email"),
    ({"new_email": TOO_LONG_EMAIL, "current_password": PASSWORD}, "new_email"),
])
def test_email_change_bad_input_changes_nothing(client, make_user, login_as, outbox, data, field):
    user = make_user("old@example.org")
    login_as(client, user)
    response = client.post_form("/account/email", data)
    assert response.status_code == 200
    assert f'id="{field}-error"' in text(response)
    assert fresh(user).email == "old@example.org"
    assert outbox() == []


def test_forged_email_change_link_changes_nothing(client, make_user):
    user = make_user("old@example.org")
    response = client.get("/account/email/confirm/" + services.make_email_change_token(
        user, "new@example.org")[:-2] + "zz")
    assert response.status_code == 400
    assert fresh(user).email == "old@example.org"


# ---------------------------------------------------------------- concurrency


def _sqlite_transactions_start_immediate() -> bool:
    """Whether engage starts SQLite transactions with BEGIN IMMEDIATE. With a deferred BEGIN,
    a transaction that read before another one committed a write cannot write any more: SQLite
    answers "database is locked" at once, without waiting (WAL snapshot rule)."""
    from engage.core import db as core_db

    begin = getattr(core_db, "_sqlite_on_begin", None)
    if begin is None:
        return False

    class Probe:
        dialect = type("Dialect", (), {"name": "sqlite"})
        sql = ""

        def exec_driver_sql(self, sql: str) -> None:
            self.sql = sql

    probe = Probe()
    begin(probe)
    return "IMMEDIATE" in probe.sql.upper()


@pytest.mark.no_transaction
def test_concurrent_duplicate_signups_make_one_account(committing):
    """Several sign-ups with one address at the same moment: one account, every answer the
    same, the others turned into duplicate notices (the unique constraint decides)."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from engage.core.mail import OutboxMessage

    if (committing.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
            and not _sqlite_transactions_start_immediate()):
        pytest.xfail("SQLite needs BEGIN IMMEDIATE in engage/core/db.py for concurrent writers")

    threads = 6
    barrier = Barrier(threads)

    def sign_up(number: int) -> tuple[int, str]:
        client = committing.test_client()
        barrier.wait()
        response = client.post("/account/signup", data=signup_data(
            email="same@example.org", display_name=f"Person {number}"))
        return response.status_code, response.headers.get("Location", "")

    with ThreadPoolExecutor(threads) as pool:
        answers = list(pool.map(sign_up, range(threads)))
    assert answers == [(303, "/account/sent/signup")] * threads
    with committing.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1
        bodies = db.session.scalars(select(OutboxMessage.body)).all()
    assert len(bodies) == threads
    assert sum("/account/verify/" in body for body in bodies) == 1
