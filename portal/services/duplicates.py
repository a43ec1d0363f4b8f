"""Duplicate tips on one case: similarity of decrypted text and contact, merge and unmerge."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from difflib import SequenceMatcher

from sqlalchemy import select

from portal.crypto import TipCipher
from portal.extensions import db
from portal.models import Case, Tip, TipStatus, User
from portal.models.base import utcnow
from portal.services import tips as tip_service
from portal.services.accounts import audit
from portal.services.moderation import (
    ModerationError,
    TipClaimed,
    claim,
    claim_holder,
    record_status,
    tip_scope,
    visible_tips,
)

# Near-identical text, decided on the folded words (case, accents, punctuation and spacing
# ignored):
# - Jaccard similarity of the sets of 3-word shingles >= 0.8. Shingles keep word order, so
#   "saw her in Ghent in 1991" and "saw her in Liège in 1995" share little; 0.8 still lets a
#   long tip sent again with a corrected word or an added sentence through.
# - For short texts (the shorter under SHORT_WORDS words) one changed word already costs
#   three shingles of a handful, so they are also compared as word sequences (difflib ratio
#   over the word lists) and count as near-identical at >= 0.9: a 20-word tip with one typo
#   fixed is (0.95), a 7-word sentence with two words changed is not (0.71).
# Texts shorter than SHINGLE words have one shingle, the whole text: equal or nothing.
SHINGLE = 3
JACCARD_THRESHOLD = 0.8
SHORT_WORDS = 30
SEQUENCE_THRESHOLD = 0.9
# Phone numbers are compared on their last PHONE_KEY_DIGITS digits, which absorbs the
# "+32 470…", "0032 470…" and "0470…" ways of writing one number (9 digits is the national
# number length in Belgium and the Netherlands); fewer than PHONE_MIN_DIGITS is no number.
PHONE_KEY_DIGITS = 9
PHONE_MIN_DIGITS = 6
PREVIEW_CHARS = 120

_WORD = re.compile(r"\w+")
# The combining marks NFKD splits off accented letters (é -> e + U+0301), in the blocks of
# combining diacritics: what `unicodedata.combining` finds in text people actually type.
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def words(text: str) -> tuple[str, ...]:
    """The text's words, folded for case, accents and width; punctuation dropped.

    An apostrophe inside a word does not split it ("it's" and "its" are one word). The same
    folding as the staff's text search (`_folded`), done with C-level string operations: a
    surge case has thousands of tips to fold per page view.
    """
    folded = unicodedata.normalize("NFKD", text.casefold())
    if not folded.isascii():
        folded = _COMBINING.sub("", folded)
    return tuple(_WORD.findall(folded.replace("'", "").replace("\u2019", "")))


def shingles(tokens: Sequence[str]) -> frozenset[int]:
    """The text's 3-word shingles, each kept as its hash: ints are cheap to count and compare.

    A text shorter than three words is one shingle, the whole text. Python salts string
    hashes per process: these are compared within one request and never stored.
    """
    if not tokens:
        return frozenset()
    if len(tokens) < SHINGLE:
        return frozenset({hash(tuple(tokens))})
    return frozenset(map(hash, zip(tokens, tokens[1:], tokens[2:], strict=False)))


def normalise_email(email: str) -> str:
    return email.strip().lower()


def normalise_phone(phone: str) -> str:
    """A key for comparing phone numbers written in different ways; "" when it is no number."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) < PHONE_MIN_DIGITS:
        return ""
    return digits[-PHONE_KEY_DIGITS:]


@dataclass(frozen=True)
class Fingerprint:
    """What similarity needs of one tip, computed once from its decrypted text and contact."""

    tokens: tuple[str, ...]
    shingles: frozenset[int]
    email: str = ""
    phone: str = ""

    @classmethod
    def of(cls, message: str, email: str = "", phone: str = "") -> Fingerprint:
        tokens = words(message)
        return cls(tokens, shingles(tokens), normalise_email(email), normalise_phone(phone))


def text_similarity(a: Fingerprint, b: Fingerprint) -> float:
    """How alike two tips' words are, 0 to 1 (see the thresholds above)."""
    if not a.shingles or not b.shingles:
        return 0.0
    if a.tokens == b.tokens:
        return 1.0
    common = len(a.shingles & b.shingles)
    if not common:
        # Near-identical texts always share a shingle (see the candidate filter below).
        return 0.0
    score = common / (len(a.shingles) + len(b.shingles) - common)
    if min(len(a.tokens), len(b.tokens)) < SHORT_WORDS:
        matcher = SequenceMatcher(None, a.tokens, b.tokens, autojunk=False)
        if matcher.real_quick_ratio() >= SEQUENCE_THRESHOLD:
            ratio = matcher.ratio()
            # Below its own threshold the sequence ratio says nothing: the shingles decide.
            if ratio >= SEQUENCE_THRESHOLD:
                score = max(score, ratio)
    return score


def reasons(a: Fingerprint, b: Fingerprint) -> tuple[list[str], float]:
    """Why two tips look like duplicates (empty if they do not), and the text score."""
    found: list[str] = []
    if a.email and a.email == b.email:
        found.append("same email")
    if a.phone and a.phone == b.phone:
        found.append("same phone")
    score = text_similarity(a, b)
    if _text_matches(score):
        found.append(f"near-identical text ({math.floor(score * 100)}%)")
    return found, score


def _text_matches(score: float) -> bool:
    # The sequence rule only raises the score of short texts, and only above its threshold.
    return score >= JACCARD_THRESHOLD


def _linking_pairs(prints: Sequence[Fingerprint]) -> set[tuple[int, int]]:
    """Pairs of look-alike fingerprints (by index) that link every group of look-alikes.

    Not every look-alike pair: tips with one email, phone or text are linked in a chain, so
    a thousand copies of one text make a thousand pairs, not half a million. Other text
    pairs are found with a prefix filter: shingles are ordered rarest first, and each text
    indexes only as many of its rarest shingles as a near-identical partner could fail to
    share. Common phrases ("i think this is") therefore never make every tip a candidate of
    every other, and no pair is missed.
    """
    pairs: set[tuple[int, int]] = set()
    _pairs_by_key(pairs, ((i, p.email) for i, p in enumerate(prints) if p.email))
    _pairs_by_key(pairs, ((i, p.phone) for i, p in enumerate(prints) if p.phone))
    by_text: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i, p in enumerate(prints):
        if p.tokens:
            by_text[p.tokens].append(i)
    _pairs_by_key(pairs, ((i, key) for key, members in by_text.items() for i in members))
    representatives = [members[0] for members in by_text.values()]
    frequency: Counter[int] = Counter()
    for i in representatives:
        frequency.update(prints[i].shingles)
    # The global order is rarest first, ties by value. A shingle only one text has comes
    # first and can find no partner, so only the shared ones are sorted, and a text whose
    # prefix is all its own shingles (most long texts) is no candidate of anything.
    shared = {shingle for shingle, count in frequency.items() if count > 1}
    index: dict[int, list[int]] = {}
    text_pairs: set[tuple[int, int]] = set()
    for i in representatives:
        common = prints[i].shingles & shared
        room = _prefix_length(prints[i]) - (len(prints[i].shingles) - len(common))
        if room <= 0:
            continue
        prefix = sorted(common, key=lambda shingle: (frequency[shingle], shingle))[:room]
        candidates: set[int] = set()
        for shingle in prefix:
            posting = index.get(shingle)
            if posting is None:
                index[shingle] = [i]
            else:
                candidates.update(posting)
                posting.append(i)
        for j in candidates:
            if _text_matches(text_similarity(prints[i], prints[j])):
                text_pairs.add((min(i, j), max(i, j)))
    # Each text stands for every tip with that text, which its chain links already.
    return pairs | text_pairs


def similar_groups(prints: Sequence[Fingerprint]) -> list[list[int]]:
    """Groups (connected components, by index) of two or more look-alike fingerprints."""
    parent = list(range(len(prints)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in _linking_pairs(prints):
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(prints)):
        groups[root(i)].append(i)
    return sorted((group for group in groups.values() if len(group) > 1), key=lambda g: g[0])


def _pairs_by_key(pairs: set[tuple[int, int]], keyed: Iterable[tuple[int, object]]) -> None:
    # Consecutive members of a group are enough: the groups are connected components anyway,
    # and a thousand copies of one text must not make half a million pairs.
    last: dict[object, int] = {}
    for i, key in keyed:
        if key in last:
            pairs.add((min(last[key], i), max(last[key], i)))
        last[key] = i


def _prefix_length(p: Fingerprint) -> int:
    size = len(p.shingles)
    # Jaccard >= t needs an overlap of at least t * |A| shingles.
    needed = size - math.ceil(JACCARD_THRESHOLD * size) + 1
    if len(p.tokens) < 2 * SHORT_WORDS:
        # A word-sequence ratio >= 0.9 allows at most 2/9 of the words to differ (u edits),
        # and each edit breaks at most three shingles, so the overlap is >= |A| - 3u.
        edits = (2 * len(p.tokens)) // 9
        needed = max(needed, 3 * edits + 1)
    return min(size, needed)


# ---------------------------------------------------------------------------
# Tips of a case


@dataclass(frozen=True)
class CaseTips:
    """The tips of one case that a user may see, decrypted once into fingerprints."""

    tips: list[Tip]
    prints: list[Fingerprint]
    previews: list[str]


def case_tips(cipher: TipCipher, user: User, case_id: int) -> CaseTips:
    tips = list(
        db.session.scalars(
            select(Tip).where(Tip.case_id == case_id, tip_scope(user)).order_by(Tip.id)
        )
    )
    prints: list[Fingerprint] = []
    previews: list[str] = []
    # Decrypted in memory only: tip content is never written or logged from here.
    for tip in tips:
        message = tip_service.read_message(cipher, tip)
        contact = tip_service.read_contact(cipher, tip)
        prints.append(Fingerprint.of(message, contact.email, contact.phone))
        previews.append(_preview(message))
    return CaseTips(tips, prints, previews)


def _preview(message: str) -> str:
    first = next((line.strip() for line in message.splitlines() if line.strip()), "")
    if len(first) <= PREVIEW_CHARS:
        return first
    return first[: PREVIEW_CHARS - 1].rstrip() + "…"


@dataclass(frozen=True)
class Similar:
    """Another tip on the same case that looks like a duplicate of this one."""

    tip: Tip
    reasons: list[str]
    score: float
    preview: str
    merged_into_this: bool
    this_merged_into_it: bool

    @property
    def mergeable(self) -> bool:
        """Whether it can be merged into this tip now (the merge itself checks again)."""
        return (
            self.tip.merged_into_id is None
            and self.tip.status is not TipStatus.FORWARDED
            and not self.this_merged_into_it
        )


def similar_tips(
    cipher: TipCipher, user: User, tip: Tip, *, known: CaseTips | None = None
) -> list[Similar]:
    """The tips on `tip`'s case that look like duplicates of it, the likeliest first."""
    found = known or case_tips(cipher, user, tip.case_id)
    positions = {other.id: i for i, other in enumerate(found.tips)}
    if tip.id not in positions:
        return []
    mine = found.prints[positions[tip.id]]
    result: list[Similar] = []
    for other, theirs, preview in zip(found.tips, found.prints, found.previews, strict=True):
        if other.id == tip.id:
            continue
        why, score = reasons(mine, theirs)
        merged_here = other.merged_into_id == tip.id
        merged_there = tip.merged_into_id == other.id
        if why or merged_here or merged_there:
            result.append(Similar(other, why, score, preview, merged_here, merged_there))
    result.sort(key=lambda s: (-len(s.reasons), -s.score, s.tip.id))
    return result


def duplicate_groups(cipher: TipCipher, user: User, case: Case) -> list[list[Tip]]:
    """Groups of open look-alike tips on a case (connected components), largest first.

    Tips already merged are left out: a group is work still to do.
    """
    found = case_tips(cipher, user, case.id)
    keep = [i for i, tip in enumerate(found.tips) if tip.merged_into_id is None]
    groups = similar_groups([found.prints[i] for i in keep])
    return sorted(
        ([found.tips[keep[i]] for i in group] for group in groups),
        key=lambda group: (-len(group), group[0].id),
    )


# ---------------------------------------------------------------------------
# Merging


@dataclass(frozen=True)
class MergeResult:
    merged: list[Tip]
    # Tips that were merged into a duplicate and now point at the primary: merged_id -> old id.
    repointed: dict[int, int] = field(default_factory=dict)


def merge(
    user: User, primary: Tip, duplicates: Sequence[Tip], *, now: datetime | None = None
) -> MergeResult:
    """Merge `duplicates` into `primary`: all or nothing, nothing deleted; commits.

    A duplicate keeps its message, contact, files, thread and notes; it points at the
    primary, remembers its status and becomes "duplicate". Tips already merged into a
    duplicate are re-pointed at the primary (the audit event says which, from where), so a
    merged tip is never the primary of another and chains or cycles cannot form.
    """
    moment = now or utcnow()
    chosen = {tip.id: tip for tip in duplicates}
    if not chosen:
        raise ModerationError("Select the tips to merge into this one.")
    if primary.id in chosen:
        raise ModerationError(f"{primary.reference} cannot be merged into itself.")
    if primary.merged_into_id is not None:
        raise ModerationError(
            f"{primary.reference} is itself merged into another tip: merge into that tip, "
            f"or unmerge {primary.reference} first."
        )
    ordered = sorted(chosen.values(), key=lambda tip: tip.id)
    for tip in ordered:
        if tip.case_id != primary.case_id:
            raise ModerationError(
                f"{tip.reference} is about another appeal: only tips on the same appeal merge."
            )
        if tip.merged_into_id == primary.id:
            raise ModerationError(f"{tip.reference} is already merged into {primary.reference}.")
        if tip.merged_into_id is not None:
            raise ModerationError(
                f"{tip.reference} is already merged into another tip. Unmerge it first."
            )
        if tip.status is TipStatus.FORWARDED:
            raise ModerationError(
                f"{tip.reference} has been forwarded to the police, so it cannot become a "
                f"duplicate. Merge the other tips into it instead."
            )
    held = sorted(
        tip.reference for tip in ordered if claim_holder(tip, moment) not in (None, user.id)
    )
    if held:
        raise TipClaimed(
            f"Another moderator is working on {', '.join(held)}. Wait until their claim ends "
            "or take it over."
        )
    if not claim(user, primary, now=moment):
        raise TipClaimed(
            f"Another moderator is working on {primary.reference}. Wait until their claim ends "
            "or take it over."
        )
    repointed: dict[int, int] = {}
    for tip in ordered:
        for child in db.session.scalars(select(Tip).where(Tip.merged_into_id == tip.id)):
            child.merged_into_id = primary.id
            repointed[child.id] = tip.id
    for tip in ordered:
        tip.status_before_merge = tip.status
        tip.merged_into_id = primary.id
        # Merging is its own rule (checked above), so check_transition is not asked.
        record_status(user, tip, TipStatus.DUPLICATE, now=moment)
    audit(
        "tip.merge",
        actor=user,
        target_type="tip",
        target_id=primary.id,
        details={
            "primary": primary.id,
            "duplicates": [tip.id for tip in ordered],
            # JSON keys are strings: re-pointed tip id -> the duplicate it was merged into.
            "repointed": {str(child): parent for child, parent in sorted(repointed.items())},
        },
    )
    db.session.commit()
    return MergeResult(ordered, repointed)


def merge_by_ids(user: User, primary: Tip, tip_ids: Iterable[int]) -> MergeResult:
    """`merge` with tip ids from a form: ids the user may not see are left out."""
    return merge(user, primary, visible_tips(user, tip_ids))


def unmerge(user: User, tip: Tip, *, now: datetime | None = None) -> Tip:
    """Take a merged tip out of its primary, restoring its status; returns the former primary.

    Tips re-pointed to the primary when this one was merged stay with the primary: they
    are duplicates of it too, and the merge's audit event records where they came from.
    """
    moment = now or utcnow()
    primary = tip.merged_into
    if primary is None:
        raise ModerationError(f"{tip.reference} is not merged into another tip.")
    if not claim(user, tip, now=moment):
        raise TipClaimed(
            f"Another moderator is working on {tip.reference}. Wait until their claim ends "
            "or take it over."
        )
    restored = tip.status_before_merge or TipStatus.IN_REVIEW
    tip.merged_into_id = None
    tip.status_before_merge = None
    record_status(user, tip, restored, now=moment)
    audit(
        "tip.unmerge",
        actor=user,
        target_type="tip",
        target_id=tip.id,
        details={"primary": primary.id, "restored": restored.value},
    )
    db.session.commit()
    return primary
