"""Account services: sign-up, verification, log-in, reset, profile, password and e-mail changes."""

from __future__ import annotations

import re

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from engage.accounts import services
from engage.accounts.models import User
from engage.extensions import db

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a completely different passphrase"


@pytest.fixture(autouse=True)
def request_context(app):  # noqa: ANN001, ANN201
    """Mail templates build absolute links, which needs a request."""
    with app.test_request_context("/"):
        yield


def users_with(email: str) -> int:
    return db.session.scalar(select(func.count()).select_from(User).where(User.email == email))


def token_from(message, path: str) -> str:  # noqa: ANN001
    match = re.search(rf"https?://\S+/account/{path}/(\S+)", message.body)
    assert match, message.body
    return match.group(1)


def register(email: str = "Ana@Example.org", language: str = "ro") -> services.Registration:
    return services.register(
        email=email, display_name="Ana", password=PASSWORD, language=language,
        stakeholder_type="research",
    )


# ---------------------------------------------------------------- passwords


def test_password_hash_round_trip(make_user):
    user = make_user()
    assert user.password_hash.startswith("$argon2id$")
    assert services.verify_password(user, PASSWORD)
    assert not services.verify_password(user, PASSWORD + "!")


def test_damaged_hash_never_verifies(make_user):
    user = make_user()
    user.password_hash = "not a hash"
    assert not services.verify_password(user, PASSWORD)


# ---------------------------------------------------------------- sign-up


def test_register_creates_an_unverified_account_and_mails_a_link(outbox):
    result = register(language="en")
    assert result.created
    user = result.user
    assert user.email == "ana@example.org"
    assert not user.is_verified
    assert (user.language, user.stakeholder_type) == ("en", "research")
    assert user.password_hash != PASSWORD and services.verify_password(user, PASSWORD)
    [message] = outbox("ana@example.org")
    assert message.language == "en"
    assert services.confirm_email(token_from(message, "verify")).user == user


def test_register_duplicate_creates_nothing_and_tells_the_owner(make_user, outbox):
    owner = make_user("ana@example.org", language="en", display_name="Original")
    result = register("  ANA@example.org ")
    assert not result.created and result.user == owner
    assert users_with("ana@example.org") == 1
    assert owner.display_name == "Original"
    assert services.verify_password(owner, PASSWORD)
    [notice] = outbox("ana@example.org")
    assert notice.language == "en"  # the owner's language, not the one in the form
    assert "/account/verify/" not in notice.body
    assert "/account/reset" in notice.body and "/account/login" in notice.body


def test_register_race_on_the_unique_address_behaves_like_a_duplicate(
    make_user, outbox, monkeypatch
):
    owner = make_user("race@example.org")
    # The look-up misses the other sign-up, as it would while it commits concurrently.
    monkeypatch.setattr(services, "find_user_by_email", lambda email: None)
    result = register("race@example.org")
    assert not result.created and result.user.id == owner.id
    assert users_with("race@example.org") == 1
    [notice] = outbox("race@example.org")
    assert "/account/verify/" not in notice.body
    # The transaction is still usable after the failed insert.
    assert db.session.scalar(select(func.count()).select_from(User)) >= 1


@pytest.mark.parametrize(("language", "stakeholder"), [("ro", "alien"), ("fr", "citizen")])
def test_register_refuses_unknown_choices(language, stakeholder):
    with pytest.raises(ValueError):
        services.register("x@example.org", "X", PASSWORD, language, stakeholder)
    assert users_with("x@example.org") == 0


# ---------------------------------------------------------------- verification


def test_confirm_email_marks_the_address_verified_once(make_user):
    user = make_user(verified=False)
    token = services.make_verification_token(user)
    first = services.confirm_email(token)
    assert first.user == user and not first.already_verified
    assert user.is_verified
    again = services.confirm_email(token)
    assert again.already_verified


def test_verification_link_does_not_show_the_address(make_user):
    user = make_user("private.person@example.org", verified=False)
    token = services.make_verification_token(user)
    payload = URLSafeTimedSerializer("any").load_payload(token.split(".")[0].encode())
    assert "private.person" not in repr(payload)


def test_expired_verification_token_says_so_and_names_the_address(app, make_user, monkeypatch):
    user = make_user(verified=False)
    token = services.make_verification_token(user)
    monkeypatch.setitem(app.config, "VERIFY_TOKEN_MAX_AGE", -1)
    with pytest.raises(services.TokenExpired) as caught:
        services.confirm_email(token)
    assert caught.value.email == user.email
    assert not user.is_verified


@pytest.mark.parametrize("forge", ["tampered", "other_key", "other_purpose", "garbage", "empty"])
def test_forged_verification_tokens_are_refused(app, make_user, forge):
    user = make_user(verified=False)
    token = {
        "tampered": services.make_verification_token(user)[:-2] + "xx",
        "other_key": URLSafeTimedSerializer("another key", salt=services.VERIFY_SALT).dumps(
            {"uid": user.id, "email": user.email}),
        "other_purpose": services.make_reset_token(user),
        "garbage": "<script>alert(1)</script>",
        "empty": "",
    }[forge]
    with pytest.raises(services.TokenInvalid):
        services.confirm_email(token)
    assert not user.is_verified


def test_verification_token_for_a_previous_address_is_refused(make_user):
    user = make_user(verified=False)
    token = services.make_verification_token(user)
    user.email = "moved@example.org"
    with pytest.raises(services.TokenInvalid):
        services.confirm_email(token)


def test_resend_verification_only_for_unverified_accounts(make_user, outbox):
    waiting = make_user(verified=False)
    done = make_user()
    services.resend_verification(waiting.email.upper())
    services.resend_verification(done.email)
    services.resend_verification("nobody@example.org")
    assert len(outbox(waiting.email)) == 1
    assert outbox(done.email) == [] and outbox("nobody@example.org") == []


# ---------------------------------------------------------------- log-in


def test_authenticate_returns_the_account_and_records_the_time(make_user):
    user = make_user("login@example.org")
    assert user.last_login_at is None
    assert services.authenticate(" LOGIN@example.org", PASSWORD) == user
    assert user.last_login_at is not None


@pytest.mark.parametrize(("email", "password"), [
    ("login@example.org", "wrong password!"),
    ("nobody@example.org", PASSWORD),
    ("login@example.org", ""),
])
def test_authenticate_refuses_wrong_credentials_alike(make_user, email, password):
    make_user("login@example.org")
    with pytest.raises(services.InvalidCredentials):
        services.authenticate(email, password)


def test_unknown_address_still_costs_a_password_check(monkeypatch):
    calls = []
    monkeypatch.setattr(services, "_burn_password_time", calls.append)
    with pytest.raises(services.InvalidCredentials):
        services.authenticate("nobody@example.org", "whatever password")
    assert calls == ["whatever password"]


def test_unverified_account_is_told_only_with_the_right_password(make_user):
    user = make_user(verified=False)
    with pytest.raises(services.InvalidCredentials):
        services.authenticate(user.email, "wrong password!")
    with pytest.raises(services.EmailNotVerified):
        services.authenticate(user.email, PASSWORD)
    assert user.last_login_at is None


def test_deactivated_account_is_refused(make_user):
    user = make_user(is_active_account=False)
    with pytest.raises(services.InvalidCredentials):
        services.authenticate(user.email, "wrong password!")
    with pytest.raises(services.AccountInactive):
        services.authenticate(user.email, PASSWORD)


# ---------------------------------------------------------------- password reset


def test_reset_request_mails_a_link_in_the_owners_language(make_user, outbox):
    user = make_user(language="en")
    services.request_password_reset(user.email.upper())
    [message] = outbox(user.email)
    assert message.language == "en"
    assert services.user_for_reset_token(token_from(message, "reset")) == user


def test_reset_request_for_unknown_or_deactivated_accounts_sends_nothing(make_user, outbox):
    inactive = make_user(is_active_account=False)
    services.request_password_reset("nobody@example.org")
    services.request_password_reset(inactive.email)
    assert outbox() == []


def test_reset_password_sets_it_verifies_the_address_and_tells_the_owner(make_user, outbox):
    user = make_user(verified=False)
    token = services.make_reset_token(user)
    services.reset_password(token, NEW_PASSWORD)
    assert services.verify_password(user, NEW_PASSWORD)
    assert not services.verify_password(user, PASSWORD)
    assert user.is_verified
    assert len(outbox(user.email)) == 1


def test_reset_token_works_only_once(make_user):
    user = make_user()
    token = services.make_reset_token(user)
    services.reset_password(token, NEW_PASSWORD)
    with pytest.raises(services.TokenInvalid):
        services.reset_password(token, "yet another passphrase")
    assert services.verify_password(user, NEW_PASSWORD)


def test_reset_token_dies_when_the_password_changes_otherwise(make_user):
    user = make_user()
    token = services.make_reset_token(user)
    services.change_password(user, PASSWORD, NEW_PASSWORD)
    with pytest.raises(services.TokenInvalid):
        services.user_for_reset_token(token)


def test_expired_reset_token_changes_nothing(app, make_user, monkeypatch):
    user = make_user()
    token = services.make_reset_token(user)
    monkeypatch.setitem(app.config, "RESET_TOKEN_MAX_AGE", -1)
    with pytest.raises(services.TokenExpired):
        services.reset_password(token, NEW_PASSWORD)
    assert services.verify_password(user, PASSWORD)


@pytest.mark.parametrize("forge", ["tampered", "verify_token", "other_user", "no_fingerprint"])
def test_forged_reset_tokens_are_refused(make_user, forge):
    user = make_user()
    other = make_user()
    serializer = URLSafeTimedSerializer("test-secret-key-not-for-production",
                                        salt=services.RESET_SALT)
    token = {
        "tampered": services.make_reset_token(user)[:-3] + "abc",
        "verify_token": services.make_verification_token(user),
        # Someone's fingerprint under another account's id.
        "other_user": serializer.dumps({"uid": user.id, "fp": services._password_fingerprint(
            other)}),
        "no_fingerprint": serializer.dumps({"uid": user.id}),
    }[forge]
    with pytest.raises(services.TokenInvalid):
        services.reset_password(token, NEW_PASSWORD)
    assert services.verify_password(user, PASSWORD)


# ---------------------------------------------------------------- profile


def test_update_profile(make_user):
    user = make_user()
    services.update_profile(user, "Ana P.", "en", "business")
    assert (user.display_name, user.language, user.stakeholder_type) == (
        "Ana P.", "en", "business")


@pytest.mark.parametrize(("language", "stakeholder"), [("fr", "citizen"), ("en", "alien")])
def test_update_profile_refuses_unknown_values(make_user, language, stakeholder):
    user = make_user()
    with pytest.raises(ValueError):
        services.update_profile(user, "Ana", language, stakeholder)


def test_change_password_needs_the_current_one(make_user, outbox):
    user = make_user()
    before = user.password_hash
    with pytest.raises(services.WrongPassword):
        services.change_password(user, "not my password", NEW_PASSWORD)
    assert user.password_hash == before and outbox() == []
    services.change_password(user, PASSWORD, NEW_PASSWORD)
    assert services.verify_password(user, NEW_PASSWORD)
    [notice] = outbox(user.email)
    assert "/account/reset" in notice.body


# ---------------------------------------------------------------- e-mail change


def test_email_change_mails_the_new_address_and_changes_only_on_confirmation(make_user, outbox):
    user = make_user("old@example.org")
    services.request_email_change(user, PASSWORD, " New@Example.org")
    assert user.email == "old@example.org"
    [confirm] = outbox("new@example.org")
    [notice] = outbox("old@example.org")
    assert "new@example.org" in notice.body
    token = token_from(confirm, "email/confirm")
    assert services.confirm_email_change(token) == user
    assert user.email == "new@example.org" and user.is_verified
    with pytest.raises(services.TokenInvalid):  # used
        services.confirm_email_change(token)


def test_email_change_to_a_taken_address_changes_nothing_and_sends_no_link(make_user, outbox):
    user = make_user("old@example.org")
    owner = make_user("taken@example.org", language="en")
    services.request_email_change(user, PASSWORD, "taken@example.org")
    [taken] = outbox("taken@example.org")
    assert taken.language == owner.language == "en"
    assert "/account/email/confirm/" not in taken.body
    assert len(outbox("old@example.org")) == 1  # the requester's inbox looks the same
    assert user.email == "old@example.org"


def test_email_change_needs_the_password_and_a_different_address(make_user, outbox):
    user = make_user("old@example.org")
    with pytest.raises(services.WrongPassword):
        services.request_email_change(user, "wrong password!", "new@example.org")
    with pytest.raises(services.SameEmail):
        services.request_email_change(user, PASSWORD, "OLD@example.org")
    assert outbox() == []


def test_email_change_confirmation_fails_when_the_address_was_taken_meanwhile(make_user):
    user = make_user("old@example.org")
    token = services.make_email_change_token(user, "new@example.org")
    make_user("new@example.org")
    with pytest.raises(services.TokenInvalid):
        services.confirm_email_change(token)
    assert user.email == "old@example.org"


def test_expired_email_change_token(app, make_user, monkeypatch):
    user = make_user("old@example.org")
    token = services.make_email_change_token(user, "new@example.org")
    monkeypatch.setitem(app.config, "VERIFY_TOKEN_MAX_AGE", -1)
    with pytest.raises(services.TokenExpired):
        services.confirm_email_change(token)
    assert user.email == "old@example.org"


def test_tokens_of_one_purpose_are_refused_for_another(make_user):
    user = make_user()
    change = services.make_email_change_token(user, "new@example.org")
    with pytest.raises(services.TokenInvalid):
        services.confirm_email(change)
    with pytest.raises(services.TokenInvalid):
        services.user_for_reset_token(change)
    with pytest.raises(services.TokenInvalid):
        services.confirm_email_change(services.make_verification_token(user))
