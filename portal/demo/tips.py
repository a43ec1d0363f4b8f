"""Fictional demo tips on published appeals, stored through the real (encrypting) intake."""

from __future__ import annotations

import io
import random
import unicodedata
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from PIL import Image, ImageDraw
from sqlalchemy import func, select

from portal.crypto import TipCipher
from portal.demo.dataset import AGENCIES
from portal.demo.drawing import colour_rgb, draw_clothing
from portal.extensions import db
from portal.media import MediaStore
from portal.models import Agency, Case, CaseStatus, Relationship, Sex, Tip, TipStatus
from portal.models.base import utcnow
from portal.services.tips import Contact, TipSubmission, Upload, submit_tip

DEFAULT_COUNT = 60
HISTORY_DAYS = 21
# The day a newspaper ran one appeal: tips about it spike 8 to 10 days before "now".
SPIKE_DAYS = (8.0, 10.0)
SPIKE_SHARE = 0.3
SPAM_BURST = 5
# Tips younger than this are still waiting: nobody has triaged them yet.
UNTRIAGED_AGE = timedelta(hours=6)
# Shares of the ordinary tips by status; resends stay new so the duplicate panel has work.
STATUS_WEIGHTS = {
    TipStatus.NEW: 45,
    TipStatus.IN_REVIEW: 22,
    TipStatus.ACTIONABLE: 18,
    TipStatus.NOT_RELEVANT: 15,
}
OTHER_LANGUAGE_SHARE = 0.15
CONTACT_SHARE = 1 / 3


@dataclass(frozen=True)
class CaseFacts:
    """What the message templates may mention about one published appeal."""

    case_id: int
    title: str
    relative: str  # "sister", "brother" or "cousin", as the tipster would say
    name: str | None = None  # missing persons only: unidentified people have no name
    place: str | None = None
    mark_type: str | None = None
    mark_location: str | None = None
    mark: str | None = None
    clothing_item: str | None = None
    clothing_colour: str | None = None

    @classmethod
    def of(cls, case: Case) -> CaseFacts:
        # A tattoo is what people remember best; any other mark will do otherwise.
        marks = sorted(case.marks, key=lambda m: (m.type.value != "tattoo", m.position))
        mark = marks[0] if marks else None
        clothing = case.clothing[0] if case.clothing else None
        relative = {Sex.FEMALE: "sister", Sex.MALE: "brother"}.get(case.sex, "cousin")
        return cls(
            case_id=case.id,
            title=case.title,
            relative=relative,
            name=case.name,
            place=case.event_locality or None,
            mark_type=mark.type.value if mark else None,
            mark_location=mark.location if mark else None,
            mark=mark.description if mark else None,
            clothing_item=clothing.item if clothing else None,
            clothing_colour=clothing.colour if clothing else None,
        )

    @property
    def clothing(self) -> str | None:
        if not self.clothing_item:
            return None
        return " ".join(part for part in (self.clothing_colour, self.clothing_item) if part)

    def fields(self) -> dict[str, str]:
        """The template placeholders; "" for a fact the case does not have."""
        return {
            "title": self.title,
            "relative": self.relative,
            "name": self.name or "",
            "place": self.place or "",
            "mark_type": self.mark_type or "",
            "mark_location": self.mark_location or "",
            "mark": self.mark or "",
            "tattoo": self.mark if self.mark_type == "tattoo" and self.mark else "",
            "clothing": self.clothing or "",
        }


@dataclass(frozen=True)
class Template:
    text: str
    relationship: Relationship | None = None
    # Facts the text mentions; a template is used only for cases that have them all.
    needs: tuple[str, ...] = ()
    photo: bool = False  # the text says a photo is attached
    anonymous: bool = False  # the text says the sender keeps their name to themselves

    def fits(self, facts: CaseFacts) -> bool:
        values = facts.fields()
        return all(values[need] for need in self.needs)


_R = Relationship
# Clearly fictional, plain messages of 20 words or more: a resend of one (a word changed)
# then reads as near-identical text to the duplicate check, as real resends do.
ENGLISH = (
    Template(
        'I read the appeal "{title}" and I am fairly sure I saw this person at the bus station '
        "a few years ago. They asked me for directions and seemed lost.",
        _R.SAW,
    ),
    Template(
        "This looks a lot like someone who rented the flat above ours for a few months. They "
        "left suddenly and never came back for their post. I can give you the address.",
        _R.KNEW,
    ),
    Template(
        "Our family has been looking for my mother's {relative} for many years. The age and the "
        'dates in "{title}" fit. Could someone contact us about a DNA comparison?',
        _R.FAMILY,
    ),
    Template(
        "I am a retired nurse. I remember a patient who matched this description being treated "
        "on our ward around that time, but I do not remember a name. Maybe the records do.",
        _R.OTHER,
    ),
    Template(
        "Not sure if this helps, but a colleague of mine mentioned years ago that a friend of "
        "hers had disappeared after moving abroad. The timing in this appeal seems about right.",
    ),
    Template(
        "I drive a taxi. I think I gave this person a ride late one evening and dropped them "
        "near the river. They paid cash and said very little. It stayed with me.",
        _R.SAW,
    ),
    Template(
        "We went to school together, I am almost certain. Same face, same way of standing. We "
        "lost touch when we were about eighteen. I can give you the name of the school.",
        _R.KNEW,
    ),
    Template(
        "I volunteer at a night shelter. Someone who looked like this stayed with us for a few "
        "weeks and then left. We may still have the intake book with a first name.",
        _R.OTHER,
    ),
    Template(
        'I would rather not give my name, I hope you understand. The person in "{title}" '
        "looks like someone who worked at a car wash on the ring road around that time.",
        anonymous=True,
    ),
    Template(
        "I do not want to be involved or leave my details. But look at the garage behind the old "
        "cinema: the owner's lodger around that time matched this appeal. That is all I know.",
        _R.KNEW,
        anonymous=True,
    ),
    Template(
        "I recognise the tattoo on the {mark_location} ({tattoo}). A tattoo artist I worked "
        "with in the nineties did pieces exactly like that and kept photos of all his work.",
        _R.RECOGNISE_ITEM,
        ("tattoo", "mark_location"),
    ),
    Template(
        "My {relative} had a {mark_type} on the {mark_location} very much like this one: "
        "{mark}. We have not heard from each other since the late eighties. Please contact me.",
        _R.FAMILY,
        ("mark_type", "mark_location", "mark"),
    ),
    Template(
        "A friend from my football club had a {mark_type} like that on the {mark_location}. I "
        "remember it because we joked about it in the changing room. I have not seen them since.",
        _R.KNEW,
        ("mark_type", "mark_location"),
    ),
    Template(
        "The {clothing} in the pictures: my neighbour wore one just like it almost every day. "
        "I have not seen my neighbour for a long time and nobody in the street knows why.",
        _R.RECOGNISE_ITEM,
        ("clothing",),
    ),
    Template(
        "I lived near {place} at the time. I remember police cars there for several days, and "
        "the week before I saw someone matching this description sitting alone by the water.",
        _R.SAW,
        ("place",),
    ),
    Template(
        "I think I saw {name} last month at the central station, waiting for a train and "
        "looking well. I did not speak to them because I only placed the face later that day.",
        _R.SAW,
        ("name",),
    ),
)
# Texts that say a photo comes with them; the generator attaches one.
WITH_PHOTO = (
    Template(
        "I used to work in a clothes shop and we sold a {clothing} like that one, only for a "
        "season or two, which may help to date it. I attach a photo of one I still have.",
        _R.RECOGNISE_ITEM,
        ("clothing",),
        photo=True,
    ),
    Template(
        'I took this photo years ago at a street party. The person at the back reminds me of "'
        '{title}". I do not know who it was, but the organisers might.',
        _R.SAW,
        photo=True,
    ),
)
# Tipsters write in their own language; moderators read several.
OTHER_LANGUAGES = (
    Template(
        "Deze persoon lijkt sterk op iemand die vroeger in onze straat woonde. Na een ruzie met "
        "de familie is die persoon vertrokken en nooit meer teruggekomen.",
        _R.KNEW,
    ),
    Template(
        'Ik heb het bericht over "{title}" in de krant gelezen. Mijn oom kende iemand die hier '
        "erg op leek, die werkte in de haven en is op een dag gewoon niet meer gekomen.",
        _R.OTHER,
    ),
    Template(
        "Bonjour, je crois avoir reconnu cette personne. Elle travaillait dans un café près de "
        "la gare il y a quelques années, puis elle a disparu du jour au lendemain.",
        _R.SAW,
    ),
    Template(
        "J'ai vu l'appel « {title} » aux informations. Mon oncle avait un ami qui ressemblait "
        "beaucoup à cette description. Il est parti et n'a plus jamais donné de nouvelles.",
        _R.OTHER,
    ),
    Template(
        "Guten Tag, ich glaube, diese Person früher auf einem Campingplatz an der Mosel gesehen "
        "zu haben. Sie war jeden Sommer dort, aber irgendwann kam sie nicht mehr.",
        _R.SAW,
    ),
    Template(
        "Ich habe den Aufruf „{title}“ gelesen. Die Beschreibung passt auf einen früheren "
        "Arbeitskollegen, der Anfang der Neunziger plötzlich nicht mehr zur Arbeit kam.",
        _R.KNEW,
    ),
    Template(
        "Hola, creo que conocí a esta persona en Valencia. Trabajaba en un bar del puerto y un "
        "día dejó de venir. Nadie supo nada más. Puedo dar más detalles.",
        _R.KNEW,
    ),
    Template(
        "He visto el llamamiento «{title}». Mi madre dice que se parece mucho a una vecina que "
        "se fue del barrio hace muchos años sin despedirse de nadie.",
        _R.FAMILY,
    ),
)
SPAM = (
    "Buy 10,000 REAL followers for only 9.99! Instant delivery, no password needed. Visit "
    "followers-boost.example now and use code {code} for 20% off.",
    "Grow your account FAST: 5000 likes + 2000 followers, cheap and safe. Order today at "
    "followers-boost.example with code {code}.",
)
# Small changes a tipster makes when sending the same tip again.
RESEND_ENDINGS = (" Thank you.", " Thanks.", " Sorry if this arrives twice.")

FIRST_NAMES = (
    "Anna", "Tom", "Lotte", "Jan", "Katrin", "Marc", "Sofie", "Pieter", "Elena", "Lukas",
    "Inès", "Javier", "Noor", "Bram", "Hanne", "Julien",
)  # fmt: skip
LAST_NAMES = (
    "Peeters", "Janssens", "de Boer", "Visser", "Becker", "Dubois", "Claes", "Bakker",
    "García", "Hoffmann", "Lambert", "Smits", "Wouters", "Vos",
)  # fmt: skip


@dataclass(frozen=True)
class PlannedTip:
    """One demo tip: what the tipster sends, when, and how far triage has got with it."""

    case_id: int
    message: str
    relationship: Relationship | None
    contact: Contact
    created_at: datetime
    status: TipStatus
    first_triaged_at: datetime | None
    status_changed_at: datetime | None
    photo: Upload | None = None


@dataclass(frozen=True)
class DemoTipsResult:
    tips: int
    appeals: int


def published_cases() -> list[Case]:
    """The appeals that take tips (published, not identified), in a stable order."""
    return list(
        db.session.scalars(
            select(Case).where(Case.status == CaseStatus.PUBLISHED).order_by(Case.id)
        )
    )


def agency_moderator_code() -> str | None:
    """The agency for the demo agency moderator: the Belgian demo agency when it is loaded.

    Otherwise (another data set) the agency whose appeals have the most tips, or the first
    agency; None when there is no agency at all.
    """
    belgian = str(AGENCIES["BE"]["code"])
    if db.session.scalar(select(Agency.id).where(Agency.code == belgian)) is not None:
        return belgian
    busiest = db.session.execute(
        select(Agency.code, func.count(Tip.id))
        .join(Case, Case.agency_id == Agency.id)
        .join(Tip, Tip.case_id == Case.id)
        .group_by(Agency.code)
        .order_by(func.count(Tip.id).desc(), Agency.code)
        .limit(1)
    ).first()
    if busiest is not None:
        return str(busiest[0])
    return db.session.scalar(select(Agency.code).order_by(Agency.id).limit(1))


def create_demo_tips(
    cipher: TipCipher,
    store: MediaStore,
    cases: Sequence[Case],
    *,
    count: int = DEFAULT_COUNT,
    seed: int = 0,
    now: datetime | None = None,
) -> DemoTipsResult:
    """Submit `count` planned tips through the intake service, then date and triage them."""
    by_id = {case.id: case for case in cases}
    plan = plan_tips([CaseFacts.of(case) for case in cases], count, seed, now or utcnow())
    for planned in plan:
        submission = TipSubmission(
            # Random, not seeded: the same seed run twice must store new tips, not replays.
            submission_id=str(uuid.uuid4()),
            message=planned.message,
            relationship=planned.relationship,
            contact_ok=not planned.contact.is_empty,
            contact=planned.contact,
            uploads=[planned.photo] if planned.photo else [],
        )
        receipt = submit_tip(cipher, store, by_id[planned.case_id], submission)
        tip = db.session.scalar(select(Tip).where(Tip.reference == receipt.reference))
        if tip is None:  # pragma: no cover - submit_tip returns only once the row committed
            raise RuntimeError(f"the demo tip {receipt.reference} was not stored")
        # Set after the intake, as no form can: a demo needs history, not tips all from now.
        tip.created_at = planned.created_at
        for attachment in tip.attachments:
            attachment.created_at = planned.created_at
        tip.status = planned.status
        tip.first_triaged_at = planned.first_triaged_at
        tip.status_changed_at = planned.status_changed_at
        # Triaging means a moderator opened it; the tipster may see that it was read.
        tip.read_at = planned.first_triaged_at
        db.session.commit()
    return DemoTipsResult(tips=len(plan), appeals=len({p.case_id for p in plan}))


def plan_tips(cases: Sequence[CaseFacts], count: int, seed: int, now: datetime) -> list[PlannedTip]:
    """`count` tips over the last HISTORY_DAYS days, oldest first; the same for one seed."""
    if not cases or count < 1:
        return []
    rng = random.Random(seed)
    spam = SPAM_BURST if count >= 4 * SPAM_BURST else count // 4
    resends = min(max(1, count // 15), (count - spam) // 2)
    ordinary = count - spam - resends
    news = rng.choice(cases)
    popularity = [rng.uniform(0.3, 1.5) for _ in cases]
    photos = set(rng.sample(range(ordinary), min(ordinary - resends, max(1, count // 15))))
    # The tips sent again later come from tipsters who gave an email address.
    resent = set(rng.sample(sorted(set(range(ordinary)) - photos), resends))

    planned: list[PlannedTip] = []
    used: dict[int, set[Template]] = defaultdict(set)
    for index in range(ordinary):
        if rng.random() < SPIKE_SHARE:
            created = now - timedelta(days=rng.uniform(*SPIKE_DAYS))
            facts = news if rng.random() < 0.7 else rng.choices(cases, popularity)[0]
        else:
            created = now - timedelta(days=rng.uniform(0, HISTORY_DAYS))
            facts = rng.choices(cases, popularity)[0]
        photo = index in photos
        template = _template(rng, facts, used[facts.case_id], photo=photo, resent=index in resent)
        used[facts.case_id].add(template)
        wants_contact = not template.anonymous and (index in resent or rng.random() < CONTACT_SHARE)
        contact = _contact(rng, email=index in resent) if wants_contact else Contact()
        status, first_triaged, changed = _triage(rng, created, now)
        planned.append(
            PlannedTip(
                case_id=facts.case_id,
                message=template.text.format(**facts.fields()),
                relationship=template.relationship,
                contact=contact,
                created_at=created,
                status=status,
                first_triaged_at=first_triaged,
                status_changed_at=changed,
                photo=_photo(rng, facts) if photo else None,
            )
        )
    for index in sorted(resent):
        first = planned[index]
        # Sent again some minutes to a day later, with a word added: "did it arrive?"
        created = min(first.created_at + timedelta(minutes=rng.uniform(20, 30 * 60)), now)
        planned.append(
            PlannedTip(
                case_id=first.case_id,
                message=first.message + rng.choice(RESEND_ENDINGS),
                relationship=first.relationship,
                contact=first.contact,
                created_at=created,
                status=TipStatus.NEW,
                first_triaged_at=None,
                status_changed_at=None,
            )
        )
    burst = now - timedelta(days=rng.uniform(3, 6))
    for _ in range(spam):
        burst += timedelta(seconds=rng.uniform(40, 180))
        triaged = min(burst + timedelta(hours=rng.uniform(1, 6)), now)
        planned.append(
            PlannedTip(
                case_id=rng.choice(cases).case_id,
                message=rng.choice(SPAM).format(code=f"BOOST{rng.randint(10, 99)}"),
                relationship=None,
                contact=Contact(),
                created_at=burst,
                status=TipStatus.SPAM,
                first_triaged_at=triaged,
                status_changed_at=triaged,
            )
        )
    planned.sort(key=lambda tip: tip.created_at)
    return planned


def _template(
    rng: random.Random, facts: CaseFacts, used: set[Template], *, photo: bool, resent: bool
) -> Template:
    if resent:
        # Sent again by a tipster who gave an email: in English, so the pair reads alike.
        pool: Sequence[Template] = [t for t in ENGLISH if not t.anonymous]
    elif photo:
        pool = WITH_PHOTO
    elif rng.random() < OTHER_LANGUAGE_SHARE:
        pool = OTHER_LANGUAGES
    else:
        pool = ENGLISH
    fitting = [template for template in pool if template.fits(facts)]
    # Different tipsters write different words: one text twice on a case would look like a
    # duplicate that nobody sent. Repeats come only once a case has used up every text.
    fresh = [template for template in fitting if template not in used]
    return rng.choice(fresh or fitting)


def _triage(
    rng: random.Random, created: datetime, now: datetime
) -> tuple[TipStatus, datetime | None, datetime | None]:
    """A status and its timestamps: first triage a few hours after the tip came in."""
    statuses = list(STATUS_WEIGHTS)
    status = rng.choices(statuses, [STATUS_WEIGHTS[s] for s in statuses])[0]
    # Mostly the same day; sometimes a weekend or a busy day in between.
    hours = rng.uniform(1, 8) if rng.random() < 0.8 else rng.uniform(12, 48)
    first = created + timedelta(hours=hours)
    if status is TipStatus.NEW or now - created < UNTRIAGED_AGE or first > now:
        return TipStatus.NEW, None, None
    changed = first
    if status is not TipStatus.IN_REVIEW and rng.random() < 0.5:
        # Put in review first, decided later once someone had checked it.
        changed = min(first + timedelta(hours=rng.uniform(2, 72)), now)
    return status, first, changed


def _contact(rng: random.Random, *, email: bool) -> Contact:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    name = f"{first} {last}"
    address = f"{_ascii(first)}.{_ascii(last)}{rng.randint(1, 99)}@example.org"
    phone = _phone(rng)
    kind = rng.random()
    if email or kind < 0.5:
        return Contact(name=name, email=address, phone=phone if kind < 0.6 else "")
    if kind < 0.8:
        return Contact(name=name, phone=phone)
    return Contact(email=address)


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in folded if ch.isascii() and ch.isalnum())


def _phone(rng: random.Random) -> str:
    digits = [str(rng.randint(0, 9)) for _ in range(8)]
    number = "".join(digits)
    match rng.choice(("BE", "NL", "DE")):
        case "BE":
            return f"+32 4{rng.randint(70, 99)} {number[:2]} {number[2:4]} {number[4:6]}"
        case "NL":
            return f"+31 6 {number[:4]} {number[4:]}"
        case _:
            return f"+49 15{rng.randint(1, 9)} {number[:7]}"


def _photo(rng: random.Random, facts: CaseFacts) -> Upload:
    name = f"IMG_{rng.randint(1000, 9999)}.jpg"
    if facts.clothing_item and facts.clothing_colour:
        drawing = draw_clothing(
            facts.clothing_item, facts.clothing_colour, variant=rng.randint(0, 3)
        )
        return Upload(name, drawing)
    return Upload(name, _snapshot(rng))


def _snapshot(rng: random.Random) -> bytes:
    """A small "street party" photo: sky, houses and a few figures in front."""
    width, height = 320, 240
    image = Image.new("RGB", (width, height), colour_rgb("light blue"))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, height * 0.65, width, height), fill=(120, 120, 110))
    x = 0
    while x < width:
        house = rng.randint(40, 80)
        top = rng.randint(40, 110)
        shade = rng.randint(120, 200)
        draw.rectangle((x, top, x + house, height * 0.65), fill=(shade, shade - 30, shade - 50))
        x += house + 2
    for _ in range(rng.randint(3, 7)):
        cx, size = rng.randint(10, width - 10), rng.randint(18, 34)
        base = height * 0.9
        colour = (rng.randint(20, 230), rng.randint(20, 230), rng.randint(20, 230))
        draw.rectangle((cx - size // 4, base - size, cx + size // 4, base), fill=colour)
        draw.ellipse(
            (cx - size // 6, base - size * 1.35, cx + size // 6, base - size), fill=(224, 190, 160)
        )
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()
