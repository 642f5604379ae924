"""Demo ideas for `flask demo-data`: a few ideas in the demo's ideas processes, with supports,
comments, a workshop idea, one waiting for approval and answered ones ("you said, we did"); and
an agree/disagree process in Suceava whose proposals 36 sample neighbours voted on in two
camps, so that the synthesis workspace has opinion groups to show (and consensus to find).

Loading twice changes nothing: ideas are found by process and title, supports by person,
comments by idea and text, answers by idea and status, the sample voters by address, votes by
idea and person.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from engage.accounts.models import User
from engage.core import search
from engage.core.db import utcnow
from engage.extensions import db
from engage.ideas.models import Comment, Idea, IdeasSettings, IdeaStatusChange, Support, Vote
from engage.ideas.services import SEARCH_KIND
from engage.processes.models import Contribution, Process


@dataclass(frozen=True)
class DemoIdea:
    process: tuple[str, str]  # (city slug, process slug)
    title: str
    body: str
    theme: str
    language: str
    author: str | None  # e-mail; None: workshop participants
    channel: str = "online"
    moderation: str = "published"
    place: tuple[float, float] | None = None
    place_text: str = ""
    supporters: tuple[str, ...] = ()
    comments: tuple[tuple[str, str, int | None], ...] = ()  # (author, text, reply to index)
    answers: tuple[tuple[str, str, str], ...] = field(default=())  # (status, text, language)


BUCHAREST = ("bucuresti-sector-2", "strazi-pentru-oameni")
CLUJ = ("cluj-napoca", "acoperisuri-verzi-solare")
IASI = ("iasi", "transport-public-electric")
SUCEAVA_AGREE = ("suceava", "energie-in-cartier")
CITIZEN, CETATEAN = "citizen@engage.test", "cetatean@engage.test"
ORGANISER, ADMIN = "organiser@engage.test", "admin@engage.test"

IDEAS = [
    DemoIdea(
        BUCHAREST, "Stradă școlară pe strada Viitorului",
        "Dimineața, între 7:30 și 8:15, strada din fața Școlii nr. 51 se umple de mașini. "
        "Propun ca în acest interval strada să fie **doar pentru pietoni și biciclete**, "
        "cum se face deja în alte orașe europene.",
        "mobility", "ro", CETATEAN, place=(44.4489, 26.1093), place_text="Strada Viitorului",
        supporters=(CITIZEN, ORGANISER, ADMIN),
        comments=((CITIZEN, "Great idea: mornings there are dangerous for the children.", None),
                  (CETATEAN, "Mulțumesc! Părinții de la școală au semnat deja o petiție.", 0)),
        answers=(("under_review", "Direcția de mobilitate analizează traficul de dimineață "
                  "din zona școlii; răspundem până la sfârșitul lunii.", "ro"),),
    ),
    DemoIdea(
        BUCHAREST, "Pistă de biciclete separată pe Bulevardul Ștefan cel Mare",
        "O pistă protejată de parapeți, pe ambele sensuri, ar lega Obor de Piața Victoriei.",
        "mobility", "ro", CETATEAN, place_text="Bulevardul Ștefan cel Mare",
        supporters=(CITIZEN,),
    ),
    DemoIdea(
        BUCHAREST, "Shade trees along Calea Moșilor",
        "In July the pavement is unbearable. Lime or plane trees every ten metres would make "
        "walking to the market possible again.",
        "nature", "en", CITIZEN, place=(44.4441, 26.1141), place_text="Calea Moșilor",
        supporters=(CETATEAN,),
        comments=((CETATEAN, "De acord, dar cu rădăcini protejate de grătare.", None),),
    ),
    DemoIdea(
        BUCHAREST, "Treceri de pietoni înălțate lângă Piața Obor",
        "Propunere strânsă la atelierul din 12 octombrie: trecerile de pe străzile laterale "
        "pieței să fie la nivelul trotuarului, ca mașinile să încetinească.",
        "mobility", "ro", None, channel="workshop", place_text="Piața Obor",
        supporters=(CETATEAN,),
    ),
    DemoIdea(
        CLUJ, "Panouri solare pe acoperișul Liceului Avram Iancu",
        "Acoperișul este plat, orientat spre sud și fără umbră. Energia ar acoperi consumul "
        "școlii în zilele de curs.",
        "energy", "ro", CETATEAN, place=(46.7667, 23.5940), place_text="Liceul Avram Iancu",
        supporters=(CITIZEN, ADMIN),
    ),
    DemoIdea(
        CLUJ, "A green roof for the county library",
        "The library's flat roof could hold a green roof with a small reading terrace.",
        "nature", "en", CITIZEN, moderation="pending", place_text="Biblioteca Județeană",
    ),
    DemoIdea(
        IASI, "Linie de tramvai spre Copou",
        "O linie nouă de tramvai pe Bulevardul Carol I ar scoate din trafic mii de mașini.",
        "mobility", "ro", CETATEAN, place_text="Copou",
        supporters=(CITIZEN, ORGANISER),
        answers=(("under_review", "Ideea a fost analizată împreună cu studiul de trafic.", "ro"),
                 ("selected", "Linia intră în Contractul climatic al orașului, acțiunea M-4.",
                  "ro")),
    ),
    DemoIdea(
        IASI, "Autobuze electrice pe linia 28",
        "Linia 28 are cel mai mare număr de călători; ar trebui să fie prima electrificată.",
        "energy", "ro", CETATEAN, supporters=(CITIZEN,),
        answers=(("in_progress", "Primele 10 autobuze electrice circulă pe linia 28 din "
                  "septembrie; restul flotei urmează anul viitor.", "ro"),),
    ),
    # The agree/disagree process: two camps (A: the municipality should lead and pay; B:
    # residents and private owners should lead) and proposals both back.
    *(DemoIdea(SUCEAVA_AGREE, title, body, theme, language, author)
      for title, body, theme, language, author in (
          ("Primăria să pună panouri solare pe toate școlile",
           "Școlile au acoperișuri mari și consumă ziua: investiția publică se întoarce repede.",
           "energy", "ro", CETATEAN),
          ("A municipal energy company for Suceava",
           "The city should produce and sell local green electricity itself.",
           "energy", "en", CITIZEN),
          ("Renovarea blocurilor plătită din bugetul local",
           "Primăria să acopere integral izolarea blocurilor vechi, ca oamenii să nu aștepte.",
           "energy", "ro", CETATEAN),
          ("Asociațiile de proprietari să decidă singure",
           "Fiecare bloc știe cel mai bine ce renovare își permite; primăria doar informează.",
           "governance", "ro", CETATEAN),
          ("Tax breaks instead of public works",
           "Lower property tax for owners who insulate or install heat pumps themselves.",
           "governance", "en", CITIZEN),
          ("Comunități energetice conduse de locuitori",
           "Vecinii își fac singuri o cooperativă pentru panouri pe acoperișurile blocurilor.",
           "energy", "ro", CETATEAN),
          ("Consiliere gratuită pentru renovare în fiecare cartier",
           "Un birou unde oricine află ce lucrări merită și ce finanțări există.",
           "governance", "ro", CETATEAN),
          ("Publish every building's energy use on an open map",
           "So residents can compare and see where renovation helps most.",
           "governance", "en", CITIZEN),
      )),
]

# Each camp's vote on the agree-mode proposals, in IDEAS order (1 agree, -1 disagree, 0 pass):
# A backs the public-led ones, B the resident-led ones; both back the last two.
CAMPS = {"A": (1, 1, 1, -1, -1, -1, 1, 1), "B": (-1, -1, -1, 1, 1, 1, 1, 1)}
VOTERS = 36
VOTER_TYPES = ("citizen", "citizen", "citizen", "civil_society", "business", "research")


def load(users: dict[str, Any], processes: dict[tuple[str, str], Process], tally: Any) -> None:
    """Create what is missing of the demo ideas (flushes; the caller commits)."""
    for spec in IDEAS:
        process = processes.get(spec.process)
        if process is None:
            continue
        idea = _load_idea(spec, process, users, tally)
        for email in spec.supporters:
            if db.session.get(Support, (idea.id, users[email].id)) is None:
                db.session.add(Support(idea_id=idea.id, user_id=users[email].id))
                tally.add("supports", "created")
            else:
                tally.add("supports", "unchanged")
        db.session.flush()
        comments: list[Comment] = []
        for email, text, reply_to in spec.comments:
            comments.append(_load_comment(idea, users[email], text,
                                          comments[reply_to] if reply_to is not None else None,
                                          tally))
        for status, text, language in spec.answers:
            found = db.session.scalars(select(IdeaStatusChange).filter_by(
                idea_id=idea.id, status=status)).first()
            if found is None:
                db.session.add(IdeaStatusChange(idea_id=idea.id, status=status, explanation=text,
                                                language=language, actor_id=users[ORGANISER].id))
                tally.add("status answers", "created")
            else:
                tally.add("status answers", "unchanged")
        status = spec.answers[-1][0] if spec.answers else "new"
        supports = db.session.scalar(
            select(func.count()).select_from(Support).where(Support.idea_id == idea.id))
        published = db.session.scalar(
            select(func.count()).select_from(Comment).join(Comment.contribution)
            .where(Comment.idea_id == idea.id, Contribution.status == "published"))
        if (idea.status, idea.support_count, idea.comment_count) != (status, supports, published):
            idea.status, idea.support_count, idea.comment_count = status, supports, published
        db.session.flush()
    load_votes(processes, tally)


def load_votes(processes: dict[tuple[str, str], Process], tally: Any) -> None:
    """The agree-mode process: its setting, 36 sample neighbours (accounts that cannot log in:
    no password) and their votes, two camps of 18 with a little noise (a fixed seed: about one
    vote in ten passes or goes the other way, one in twenty is not cast)."""
    process = processes.get(SUCEAVA_AGREE)
    if process is None:
        return
    settings = db.session.get(IdeasSettings, process.id)
    if settings is None:
        db.session.add(IdeasSettings(process_id=process.id, voting_mode="agree"))
    elif settings.voting_mode != "agree":
        settings.voting_mode = "agree"
    ideas = list(db.session.scalars(
        select(Idea).where(Idea.process_id == process.id).order_by(Idea.id)))
    emails = [f"vecin-{number:02d}@demo.engage.test" for number in range(1, VOTERS + 1)]
    voters = {user.email: user for user in db.session.scalars(
        select(User).where(User.email.in_(emails)))}
    for number, email in enumerate(emails):
        if email in voters:
            tally.add("sample voters", "unchanged")
            continue
        voters[email] = User(
            email=email, display_name=f"Vecin {number + 1:02d}", password_hash="!",
            language="ro", stakeholder_type=VOTER_TYPES[number % len(VOTER_TYPES)],
            is_active_account=True, email_verified_at=utcnow())
        db.session.add(voters[email])
        tally.add("sample voters", "created")
    db.session.flush()
    cast = set(db.session.execute(select(Vote.idea_id, Vote.user_id).where(
        Vote.idea_id.in_([idea.id for idea in ideas]))).all())
    chance = random.Random(2030)
    for number, email in enumerate(emails):
        camp = CAMPS["A" if number % 2 == 0 else "B"]
        user = voters[email]
        for idea, value in zip(ideas, camp, strict=False):
            roll = chance.random()
            if (idea.id, user.id) in cast or roll < 0.05:
                continue  # voted already, or this neighbour skipped it
            value = 0 if roll > 0.95 else (-value if roll > 0.89 else value)
            db.session.add(Vote(idea_id=idea.id, user_id=user.id, value=value))
            tally.add("votes", "created")
    db.session.flush()


def _load_idea(spec: DemoIdea, process: Process, users: dict[str, Any], tally: Any) -> Idea:
    idea = db.session.scalars(
        select(Idea).where(Idea.process_id == process.id, Idea.title == spec.title)
    ).first()
    if idea is not None:
        tally.add("ideas", "unchanged")
        return idea
    author = users[spec.author] if spec.author else None
    contribution = Contribution(
        kind="idea", process_id=process.id, city_id=process.city_id,
        author_id=author.id if author else None, language=spec.language,
        text=f"{spec.title}\n\n{spec.body}", status=spec.moderation,
    )
    idea = Idea(
        process=process, city_id=process.city_id, contribution=contribution,
        author_id=author.id if author else None,
        added_by_id=None if author else users[ORGANISER].id,
        channel=spec.channel, title=spec.title, body=spec.body, theme=spec.theme,
        language=spec.language,
        place_lat=spec.place[0] if spec.place else None,
        place_lon=spec.place[1] if spec.place else None,
        place_text=spec.place_text, status="new", support_count=0, comment_count=0,
    )
    db.session.add_all([contribution, idea])
    db.session.flush()
    search.index(SEARCH_KIND, idea.id, process.id, spec.title, spec.body, spec.language)
    tally.add("ideas", "created")
    return idea


def _load_comment(idea: Idea, author: Any, text: str, parent: Comment | None,
                  tally: Any) -> Comment:
    comment = db.session.scalars(
        select(Comment).where(Comment.idea_id == idea.id, Comment.body == text)
    ).first()
    if comment is not None:
        tally.add("comments", "unchanged")
        return comment
    contribution = Contribution(
        kind="comment", process_id=idea.process_id, city_id=idea.city_id,
        author_id=author.id, language=idea.language, text=text, status="published",
    )
    comment = Comment(idea_id=idea.id, contribution=contribution, author_id=author.id,
                      parent_id=parent.id if parent else None, body=text)
    db.session.add_all([contribution, comment])
    db.session.flush()
    tally.add("comments", "created")
    return comment
