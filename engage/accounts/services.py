"""Account operations: passwords, sign-up, verification, log-in, reset, profile.

Services take and return models and values, may flush, never commit and never read the request.
Links sent by e-mail carry signed, expiring tokens (itsdangerous, keyed by the app's SECRET_KEY,
one salt per purpose so a token of one kind is never accepted as another). Token failures are
raised as `TokenExpired` or `TokenInvalid`, so a page can tell "this link is too old" from "this
link is not ours".

No answer of the sign-up, reset, resend or e-mail-change operations depends on whether an
address already has an account: the difference only shows in the mail that the owner of the
address receives.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from engage.accounts.models import STAKEHOLDER_TYPES, User
from engage.core.db import utcnow
from engage.core.mail import queue_mail
from engage.extensions import db

VERIFY_SALT = "engage.accounts.verify-email"
RESET_SALT = "engage.accounts.reset-password"
EMAIL_CHANGE_SALT = "engage.accounts.change-email"


# ---------------------------------------------------------------- errors


class AccountError(Exception):
    """Base of the account operations' expected failures."""


class TokenError(AccountError):
    """A link from an e-mail cannot be used."""


class TokenExpired(TokenError):
    """The link was ours but is too old. `email` is the address of its account, when known
    (so that a page can offer a new link without asking for it)."""

    def __init__(self, payload: object = None, email: str | None = None) -> None:
        super().__init__("token expired")
        self.payload = payload
        self.email = email


class TokenInvalid(TokenError):
    """The link is forged, damaged, already used, or no longer matches the account."""


class InvalidCredentials(AccountError):
    """Unknown e-mail address or wrong password (deliberately not told apart)."""


class EmailNotVerified(AccountError):
    """Right password, but the address was never confirmed."""

    def __init__(self, user: User) -> None:
        super().__init__("e-mail address not verified")
        self.user = user


class AccountInactive(AccountError):
    """Right password, but the account was deactivated."""


class WrongPassword(AccountError):
    """The current password given to confirm a change is wrong."""


class SameEmail(AccountError):
    """The new e-mail address is the one the account already has."""


# ---------------------------------------------------------------- passwords


def _hasher() -> Any:
    """Argon2's hasher with the configured costs; argon2 is imported on first use, so web
    workers that never check a password (most of them, most of the time) do not carry it."""
    from argon2 import PasswordHasher

    config = current_app.config
    return PasswordHasher(
        time_cost=config["ARGON2_TIME_COST"], memory_cost=config["ARGON2_MEMORY_COST"]
    )


def _hash_errors() -> tuple[type[Exception], ...]:
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    return VerifyMismatchError, VerificationError, InvalidHashError


def hash_password(password: str) -> str:
    """Argon2id hash of `password`."""
    return _hasher().hash(password)


def verify_password(user: User, password: str) -> bool:
    """Check `password`; rehash it when the stored hash uses weaker parameters."""
    hasher = _hasher()
    try:
        hasher.verify(user.password_hash, password)
    except _hash_errors():
        return False
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return True


_dummy_hashes: dict[tuple[int, int], str] = {}


def _burn_password_time(password: str) -> None:
    """Do the work of a password check against a throw-away hash, so that an unknown e-mail
    address takes about as long to refuse as a wrong password (no enumeration by timing)."""
    hasher = _hasher()
    key = (hasher.time_cost, hasher.memory_cost)
    if key not in _dummy_hashes:
        _dummy_hashes[key] = hasher.hash(secrets.token_urlsafe(16))
    try:
        hasher.verify(_dummy_hashes[key], password)
    except _hash_errors():
        pass


def find_user_by_email(email: str) -> User | None:
    return db.session.scalars(select(User).where(User.email == email.strip().lower())).first()


def make_admin(email: str, password: str, name: str | None = None) -> tuple[User, bool]:
    """Promote the account with `email` to global admin, or create a verified admin account."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise ValueError("not a valid e-mail address")
    user = find_user_by_email(email)
    if user is not None:
        user.is_admin = True
        db.session.flush()
        return user, False
    if len(password) < 10:
        raise ValueError("the password must have at least 10 characters")
    user = User(
        email=email,
        display_name=name or email.split("@", 1)[0],
        password_hash=hash_password(password),
        email_verified_at=utcnow(),
        is_admin=True,
    )
    db.session.add(user)
    db.session.flush()
    return user, True


# ---------------------------------------------------------------- tokens


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _load_token(token: str, salt: str, max_age: int) -> dict:
    """The payload of a token of our own of kind `salt`, younger than `max_age` seconds."""
    serializer = _serializer(salt)
    try:
        payload = serializer.loads(token, max_age=max_age)
    except SignatureExpired as error:
        # The signature is ours, only too old: its payload can still be trusted.
        try:
            expired = serializer.load_payload(error.payload) if error.payload else None
        except BadSignature:
            expired = None
        raise TokenExpired(expired) from error
    except BadSignature as error:
        raise TokenInvalid() from error
    if not isinstance(payload, dict) or not isinstance(payload.get("uid"), int):
        raise TokenInvalid()
    return payload


def _digest(*parts: str) -> str:
    """A keyed digest: ties a token to values without showing them in the link."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, "\n".join(parts).encode(), hashlib.sha256).hexdigest()[:32]


def _matches(payload: dict, key: str, expected: str) -> bool:
    return hmac.compare_digest(str(payload.get(key, "")), expected)


def _password_fingerprint(user: User) -> str:
    """Changes whenever the password (each Argon2 hash has its own salt) or the address changes,
    which makes a reset link single-use without storing anything."""
    return _digest(user.password_hash, user.email)


def make_verification_token(user: User) -> str:
    # The address as a digest: links end up in logs and browser histories.
    return _serializer(VERIFY_SALT).dumps({"uid": user.id, "em": _digest(user.email)})


def make_reset_token(user: User) -> str:
    return _serializer(RESET_SALT).dumps({"uid": user.id, "fp": _password_fingerprint(user)})


def make_email_change_token(user: User, new_email: str) -> str:
    # The new address must travel in the link (nothing is stored until it is opened); the
    # current one only as a digest, which also voids the link once the address has moved on.
    return _serializer(EMAIL_CHANGE_SALT).dumps(
        {"uid": user.id, "old": _digest(user.email), "email": new_email}
    )


# ---------------------------------------------------------------- sign-up and verification


@dataclass(frozen=True)
class Registration:
    """What `register` did: `created` is False when the address already had an account."""

    user: User
    created: bool


def _send_verification(user: User) -> None:
    queue_mail(
        user.email, "verify_email", user.language,
        user=user, token=make_verification_token(user),
    )


def register(
    email: str,
    display_name: str,
    password: str,
    language: str,
    stakeholder_type: str,
) -> Registration:
    """Create an unverified account and mail it a verification link.

    When the address already has an account nothing is created and its owner is told by mail
    that someone tried to sign up with it; the caller shows the same answer either way.
    """
    email = email.strip().lower()
    if language not in current_app.config["LANGUAGES"]:
        raise ValueError(f"unsupported language {language!r}")
    if stakeholder_type not in STAKEHOLDER_TYPES:
        raise ValueError(f"unknown stakeholder type {stakeholder_type!r}")
    # Hash first in both branches, so a duplicate is not answered measurably faster.
    password_hash = hash_password(password)
    existing = find_user_by_email(email)
    if existing is None:
        user = User(
            email=email,
            display_name=display_name,
            password_hash=password_hash,
            language=language,
            stakeholder_type=stakeholder_type,
        )
        try:
            # A concurrent sign-up with the same address may win the race between the
            # look-up and the insert: the savepoint keeps the rest of the transaction usable.
            with db.session.begin_nested():
                db.session.add(user)
        except IntegrityError:
            existing = db.session.scalars(select(User).where(User.email == email)).one()
        else:
            _send_verification(user)
            return Registration(user, True)
    queue_mail(existing.email, "signup_exists", existing.language, user=existing)
    return Registration(existing, False)


def resend_verification(email: str) -> None:
    """Mail a fresh verification link if `email` belongs to an active, unverified account."""
    user = find_user_by_email(email)
    if user is not None and user.is_active_account and not user.is_verified:
        _send_verification(user)


@dataclass(frozen=True)
class Confirmation:
    user: User
    already_verified: bool


def confirm_email(token: str) -> Confirmation:
    """Mark the address of a verification link as confirmed."""
    try:
        payload = _load_token(token, VERIFY_SALT, current_app.config["VERIFY_TOKEN_MAX_AGE"])
    except TokenExpired as expired:
        user = _verification_user(expired.payload)
        raise TokenExpired(expired.payload, user.email if user else None) from expired
    user = _verification_user(payload)
    if user is None:
        raise TokenInvalid()
    if user.is_verified:
        return Confirmation(user, True)
    user.email_verified_at = utcnow()
    db.session.flush()
    return Confirmation(user, False)


def _verification_user(payload: object) -> User | None:
    """The account a verification payload is for, if it still has the address it was for."""
    if not isinstance(payload, dict) or not isinstance(payload.get("uid"), int):
        return None
    user = db.session.get(User, payload["uid"])
    if user is None or not _matches(payload, "em", _digest(user.email)):
        return None
    return user


# ---------------------------------------------------------------- log-in


def authenticate(email: str, password: str) -> User:
    """The account for these credentials, its last log-in time updated.

    Raises InvalidCredentials (unknown address or wrong password, never told apart),
    AccountInactive or EmailNotVerified — the last two only after a correct password.
    """
    user = find_user_by_email(email)
    if user is None:
        _burn_password_time(password)
        raise InvalidCredentials()
    if not verify_password(user, password):
        raise InvalidCredentials()
    if not user.is_active_account:
        raise AccountInactive()
    if not user.is_verified:
        raise EmailNotVerified(user)
    user.last_login_at = utcnow()
    db.session.flush()
    return user


# ---------------------------------------------------------------- password reset


def request_password_reset(email: str) -> None:
    """Mail a reset link if `email` belongs to an active account; silently nothing otherwise."""
    user = find_user_by_email(email)
    if user is None or not user.is_active_account:
        return
    queue_mail(user.email, "reset_password", user.language, user=user, token=make_reset_token(user))


def user_for_reset_token(token: str) -> User:
    """The account a reset link is for, if the link is still good (nothing is written)."""
    payload = _load_token(token, RESET_SALT, current_app.config["RESET_TOKEN_MAX_AGE"])
    user = db.session.get(User, payload["uid"])
    if user is None or not user.is_active_account:
        raise TokenInvalid()
    if not _matches(payload, "fp", _password_fingerprint(user)):
        raise TokenInvalid()
    return user


def _set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    db.session.flush()
    queue_mail(user.email, "password_changed", user.language, user=user)


def reset_password(token: str, password: str) -> User:
    """Set a new password through a reset link. Following the link proves the address, so it
    counts as verified; the new password hash makes the link unusable afterwards."""
    user = user_for_reset_token(token)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    _set_password(user, password)
    return user


# ---------------------------------------------------------------- profile


def update_profile(user: User, display_name: str, language: str, stakeholder_type: str) -> User:
    if language not in current_app.config["LANGUAGES"]:
        raise ValueError(f"unsupported language {language!r}")
    if stakeholder_type not in STAKEHOLDER_TYPES:
        raise ValueError(f"unknown stakeholder type {stakeholder_type!r}")
    user.display_name = display_name
    user.language = language
    user.stakeholder_type = stakeholder_type
    db.session.flush()
    return user


def change_password(user: User, current_password: str, new_password: str) -> User:
    """Replace the password after checking the current one; the owner is told by mail."""
    if not verify_password(user, current_password):
        raise WrongPassword()
    _set_password(user, new_password)
    return user


def request_email_change(user: User, current_password: str, new_email: str) -> None:
    """Send a confirmation link to `new_email` and a notice to the current address.

    Nothing changes until the link is opened. When `new_email` already belongs to an account,
    its owner gets a notice instead of a link, and the requester sees no difference.
    """
    new_email = new_email.strip().lower()
    if not verify_password(user, current_password):
        raise WrongPassword()
    if new_email == user.email:
        raise SameEmail()
    owner = find_user_by_email(new_email)
    if owner is None:
        queue_mail(
            new_email, "email_change_confirm", user.language,
            user=user, new_email=new_email, token=make_email_change_token(user, new_email),
        )
    else:
        queue_mail(owner.email, "email_change_taken", owner.language, user=owner)
    queue_mail(user.email, "email_change_notice", user.language, user=user, new_email=new_email)


def confirm_email_change(token: str) -> User:
    """Move the account to the new address of a confirmation link; the address is verified."""
    payload = _load_token(token, EMAIL_CHANGE_SALT, current_app.config["VERIFY_TOKEN_MAX_AGE"])
    user = db.session.get(User, payload["uid"])
    new_email = payload.get("email")
    if (
        user is None
        or not isinstance(new_email, str)
        or not _matches(payload, "old", _digest(user.email))
    ):
        # Used already, or another change of address was confirmed first.
        raise TokenInvalid()
    if find_user_by_email(new_email) is not None:
        raise TokenInvalid()
    try:
        with db.session.begin_nested():
            user.email = new_email
            user.email_verified_at = utcnow()
    except IntegrityError as error:
        # Taken by a concurrent sign-up since the check above.
        raise TokenInvalid() from error
    return user


# ---------------------------------------------------------------- people's own data


FORMER_PARTICIPANT = "former participant"


def own_data(user: User) -> dict[str, Any]:
    """Everything the platform holds about `user` and their contributions (GDPR art. 15 and
    20), gathered by every kind through `core.owndata`: only their own rows."""
    from engage.core import owndata

    collected = owndata.collect(user)
    return {"format": "engage-own-data/1", "generated_at": utcnow().isoformat(),
            "account": collected.pop("account", {}), **collected}


def delete_account(user: User, password: str, keep_contributions: bool) -> None:
    """Erase the account's personal data (GDPR art. 17) after checking the password; see
    `accounts.owndata` for what stays and why. `keep_contributions` keeps their input shown as
    by a "former participant"; otherwise it is deleted. Raises WrongPassword (nothing changed).
    """
    from engage.core import owndata

    if user.deleted_at is not None or not verify_password(user, password):
        raise WrongPassword()
    # Told first, at the address that is about to go.
    queue_mail(user.email, "account_deleted", user.language, user=user,
               kept=keep_contributions)
    owndata.erase(user, keep_contributions)
    user.email = f"deleted-{user.id}@invalid"
    user.display_name = FORMER_PARTICIPANT
    user.password_hash = "!deleted"  # never a valid Argon2 hash: no password matches it
    user.stakeholder_type = "other"
    user.is_admin = False
    user.is_active_account = False
    user.email_verified_at = None
    user.last_login_at = None
    user.deleted_at = utcnow()
    db.session.flush()
