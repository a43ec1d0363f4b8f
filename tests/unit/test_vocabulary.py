"""Search vocabulary: folding, body locations, motifs, synonyms and stop words."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from portal.search import vocabulary as v
from portal.search.vocabulary import (
    BODY_PART_WORDS,
    BODY_REGIONS,
    MOTIF_CLASSES,
    STOPWORDS,
    body_regions,
    fold,
    location_query,
    location_tokens,
    motif_query,
    motif_tokens,
    query_synonyms,
    words,
)

DATA = Path(v.__file__).with_name("data")


def ncic_locations(prefixes: set[str]) -> list[tuple[str, str]]:
    """(code, meaning) of the NCIC codes with these prefixes, parenthesised notes removed."""
    rows = []
    for line in (DATA / "smt-body-codes.tsv").read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        code, meaning = line.split("\t")
        if code.split()[0] in prefixes:
            rows.append((code, re.sub(r"\([^)]*\)?", " ", meaning)))
    return rows


def ansi_rows(kind: str) -> dict[str, str]:
    rows = {}
    for line in (DATA / "tattoo-classes.tsv").read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        list_name, code, meaning = line.split("\t")
        if list_name == kind:
            rows[code] = meaning
    return rows


# -- folding and words -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Fjällräven", "fjallraven"),
        ("Düsseldorf", "dusseldorf"),
        ("Gdańsk", "gdansk"),
        ("Tätowierung", "tatowierung"),
        ("tatuaż", "tatuaz"),
        ("Straße", "strasse"),
        ("Søren", "soren"),
        ("Æble", "aeble"),
        ("Łódź", "lodz"),
        ("Đorđe", "dorde"),
        ("Bałtyk", "baltyk"),
        ("Éire", "eire"),
        ("LEFT Forearm", "left forearm"),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_words_keep_order_and_split_on_punctuation() -> None:
    assert words("R'Nick, H.M.S. — Liberté!") == ["r", "nick", "h", "m", "s", "liberte"]
    assert words("three-masted ship, 1979") == ["three", "masted", "ship", "1979"]


def test_words_split_chinese_and_japanese_per_character_but_not_korean() -> None:
    assert words("平安 忍") == ["平", "安", "忍"]
    assert words("tattoo 力") == ["tattoo", "力"]
    assert words("사랑 Мама") == ["사랑", "мама"]


# -- body locations --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("left forearm", {"forearm", "arm", "left", "left_forearm", "left_arm"}),
        ("back of the right hand", {"hand", "right", "right_hand"}),
        (
            "knuckles of both hands",
            {"knuckle", "hand", "left", "right", "left_knuckle", "right_knuckle"}
            | {"left_hand", "right_hand"},
        ),
        ("nape of the neck", {"nape", "neck"}),
        ("inside of the left wrist", {"wrist", "arm", "left", "left_wrist", "left_arm"}),
        ("lower back", {"lower_back", "back"}),
        ("right upper arm", {"upper_arm", "arm", "right", "right_upper_arm", "right_arm"}),
        (
            "left shoulder blade",
            {"shoulder_blade", "shoulder", "back", "left", "left_shoulder_blade"}
            | {"left_shoulder", "left_back"},
        ),
        ("top of the right foot", {"foot", "right", "right_foot"}),
        (
            "left index finger",
            {"index_finger", "finger", "hand", "left", "left_index_finger", "left_finger"}
            | {"left_hand"},
        ),
        ("right breast", {"breast", "chest", "right", "right_breast", "right_chest"}),
        ("navel", {"navel", "abdomen"}),
        ("right hip", {"hip", "right", "right_hip"}),
        ("chest", {"chest"}),
        ("back", {"back"}),
        ("left ankle", {"ankle", "leg", "left", "left_ankle", "left_leg"}),
        (
            "right calf",
            {"calf", "lower_leg", "leg", "right", "right_calf", "right_lower_leg"} | {"right_leg"},
        ),
        (
            "right cheek",
            {"cheek", "face", "head", "right", "right_cheek", "right_face"} | {"right_head"},
        ),
        ("abdomen", {"abdomen"}),
    ],
)
def test_location_tokens(location: str, expected: set[str]) -> None:
    tokens = location_tokens(location)
    assert set(tokens) == expected
    assert len(tokens) == len(set(tokens))


def test_the_back_of_a_part_is_that_part_not_the_back() -> None:
    for location in ("back of the right hand", "back of the neck", "back of his left knee"):
        assert "back" not in location_tokens(location), location
    assert "knee" in location_tokens("back of his left knee")
    assert "left_knee" in location_tokens("back of his left knee")
    assert "head" in location_tokens("back of the head")
    assert body_regions("back of the left hand") == ["hand"]
    # The back itself, and the parts that lie on it, are the back.
    for location in ("back", "upper back", "lower back", "small of the back", "spine"):
        assert "back" in location_tokens(location), location


def test_synonyms_and_plurals_become_one_canonical_part() -> None:
    assert "knuckle" in location_tokens("knuckles")
    assert "finger" in location_tokens("fingers of the left hand")
    assert "bicep" in location_tokens("left biceps")
    assert "abdomen" in location_tokens("belly")
    assert "navel" in location_tokens("belly button")
    assert "buttocks" in location_tokens("left buttock")
    assert "foot" in location_tokens("both feet")
    assert "tooth" in location_tokens("upper front teeth")
    assert "upper_arm" in location_tokens("upper left arm")
    assert "forearm" in location_tokens("lower left arm")


@pytest.mark.parametrize(
    ("location", "part", "regions"),
    [
        ("thigh", "thigh", {"leg"}),
        ("shin", "shin", {"leg"}),
        ("calf", "calf", {"leg"}),
        ("knee", "knee", {"leg"}),
        ("ankle", "ankle", {"leg"}),
        ("toe", "toe", {"foot"}),
        ("elbow", "elbow", {"arm"}),
        ("wrist", "wrist", {"arm"}),
        ("bicep", "bicep", {"arm", "upper_arm"}),
        ("finger", "finger", {"hand"}),
        ("knuckle", "knuckle", {"hand"}),
        ("thumb", "thumb", {"hand"}),
        ("nape", "nape", {"neck"}),
        ("throat", "throat", {"neck"}),
        ("belly button", "navel", {"abdomen"}),
        ("shoulder blade", "shoulder_blade", {"back", "shoulder"}),
        ("forehead", "forehead", {"face", "head"}),
        ("cheek", "cheek", {"face", "head"}),
        ("eye", "eye", {"face", "head"}),
        ("nose", "nose", {"face", "head"}),
        ("lip", "lip", {"face", "head"}),
        ("chin", "chin", {"face", "head"}),
        ("ear", "ear", {"head"}),
        ("collarbone", "collarbone", {"chest", "shoulder"}),
        ("ribs", "rib", {"chest"}),
        ("groin", "groin", {"groin"}),
    ],
)
def test_parts_carry_their_broader_regions(location: str, part: str, regions: set[str]) -> None:
    tokens = set(location_tokens(location))
    assert part in tokens
    assert regions <= tokens


def test_sides_go_with_the_part_they_qualify() -> None:
    tokens = set(location_tokens("left hand and right foot"))
    assert {"left_hand", "right_foot"} <= tokens
    assert not {"right_hand", "left_foot"} & tokens
    assert {"left_arm", "right_arm"} <= set(location_tokens("left and right arms"))
    assert {"left_forearm", "right_forearm"} <= set(location_tokens("both forearms"))
    assert "left_forearm" in location_tokens("L forearm")
    assert "left_thumb" in location_tokens("left hand, between thumb and index finger")
    # No side named, none invented.
    between = location_tokens("between the shoulder blades")
    assert not [token for token in between if token.startswith(("left", "right"))]


def test_dutch_and_german_locations() -> None:
    assert {"left_forearm", "forearm", "arm"} <= set(location_tokens("linker onderarm"))
    assert "left_arm" in location_tokens("linkerarm")
    assert "right_shoulder" in location_tokens("rechte Schulter")


def test_no_body_part_no_tokens() -> None:
    assert location_tokens("") == []
    assert location_tokens("unknown") == []
    assert body_regions("somewhere") == []


@pytest.mark.parametrize("prefixes", [{"TAT"}, {"SC"}, {"MOLE", "NM", "DISC", "FRC", "HFR"}])
def test_every_ncic_mark_location_maps_to_a_region(prefixes: set[str]) -> None:
    rows = ncic_locations(prefixes)
    assert rows
    for code, meaning in rows:
        assert body_regions(meaning), (code, meaning)
        assert set(body_regions(meaning)) <= set(BODY_REGIONS)


def test_ncic_sides_are_understood() -> None:
    for code, meaning in ncic_locations({"TAT", "SC"}):
        side = code.split()[1] if len(code.split()) > 2 else ""
        tokens = location_tokens(meaning)
        if side in ("L", "LF", "UL") or " left" in meaning.lower():
            assert "left" in tokens, (code, meaning)
        if side in ("R", "RF", "UR") or " right" in meaning.lower():
            assert "right" in tokens, (code, meaning)


def test_body_regions() -> None:
    assert body_regions("left forearm") == ["arm"]
    assert body_regions("back of the right hand") == ["hand"]
    assert body_regions("left shoulder blade") == ["shoulder", "back"]
    assert body_regions("nape of the neck") == ["neck"]
    assert body_regions("right cheek") == ["face"]
    assert body_regions("behind the left ear") == ["head"]
    assert body_regions("left ankle") == ["leg"]
    assert body_regions("chest, over the heart") == ["chest"]
    assert body_regions("left hand and right foot") == ["hand", "foot"]
    assert body_regions("full body") == ["arm", "chest", "back", "leg"]


def test_body_regions_are_a_small_ordered_facet() -> None:
    assert 12 <= len(BODY_REGIONS) <= 16
    assert BODY_REGIONS[0] == "head"
    assert BODY_REGIONS[-1] == "foot"
    assert all(region.isalpha() and region.islower() for region in BODY_REGIONS)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("tattoo on hand", ["hand"]),
        ("rose tattoo on arm", ["arm"]),
        ("left arm", ["arm", "left_arm"]),
        ("arm left", ["arm", "left_arm"]),
        ("l arm", ["arm", "left_arm"]),
        ("arms", ["arm"]),
        ("ankles", ["ankle"]),
        ("hands", ["hand"]),
        ("biceps", ["bicep"]),
        ("belly", ["abdomen"]),
        ("tummy", ["abdomen"]),
        ("bum", ["buttocks"]),
        ("buttocks", ["buttocks"]),
        ("upper arm", ["upper_arm"]),
        ("lower leg", ["lower_leg"]),
        ("shin", ["shin"]),
        ("tattoo right wrist", ["wrist", "right_wrist"]),
        ("upper left arm", ["upper_arm", "left_upper_arm"]),
        ("left side of the neck", ["neck", "left_neck"]),
        ("both hands", ["hand", "left_hand", "right_hand"]),
        ("back of the left hand", ["hand", "left_hand"]),
        ("tattoo on the back", ["back"]),
        ("LOVE HATE knuckles", ["knuckle"]),
        ("dragon shoulder", ["shoulder"]),
        ("vlinder enkel", ["ankle"]),
        ("linkerarm", ["arm", "left_arm"]),
        ("enkeltatoeage", ["ankle"]),
    ],
)
def test_location_query(query: str, expected: list[str]) -> None:
    assert location_query(words(query)) == expected


def test_location_query_keeps_places_that_contain_motif_words() -> None:
    tokens = location_query(words("tattoo on the left shoulder blade"))
    assert {"shoulder_blade", "left_shoulder_blade"} <= set(tokens)
    assert "palm" in location_query(words("palm of the hand"))
    assert "arm" in location_query(words("tribal arm band"))


def test_location_query_needs_the_side_next_to_the_part() -> None:
    assert location_query(words("left a note about the arm")) == ["arm"]
    assert location_query(words("arm and left")) == ["arm"]


@pytest.mark.parametrize(
    "query",
    [
        "rose tattoo",
        "heart tattoo",
        "skull",
        "praying hands",
        "palm tree",
        "red high heels",
        "v neck jumper",
        "ankle boots",
        "left",
        "",
    ],
)
def test_location_query_without_a_body_part(query: str) -> None:
    assert location_query(words(query)) == []


def test_body_part_words() -> None:
    expected = {"arm", "arms", "knuckles", "biceps", "belly", "bum", "shin", "forearm", "navel"}
    assert expected <= BODY_PART_WORDS
    assert {"enkel", "schouder", "cheville", "tobillo"} <= BODY_PART_WORDS
    # Words that name a place on the body only inside a location phrase.
    assert not {"heart", "skull", "crown", "temple", "heels"} & BODY_PART_WORDS
    assert not {"left", "right", "both", "upper", "lower"} & BODY_PART_WORDS


def test_every_location_token_of_every_part_word_reaches_a_region() -> None:
    for word in BODY_PART_WORDS:
        assert body_regions(word), word


# -- motifs ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "classes"),
    [
        ("rose", {"flower", "plant"}),
        ("lily", {"flower"}),
        ("tulip", {"flower"}),
        ("lotus flower", {"flower"}),
        ("sunflower", {"flower"}),
        ("roses", {"flower"}),
        ("swallow", {"bird", "animal"}),
        ("eagle with spread wings", {"bird", "animal"}),
        ("koi", {"fish", "animal"}),
        ("dolphin", {"fish"}),
        ("butterflies", {"insect", "animal"}),
        ("ladybird", {"insect"}),
        ("wolves", {"animal"}),
        ("dragon", {"mythical"}),
        ("phoenix", {"bird", "mythical"}),
        ("mermaid", {"mythical", "human"}),
        ("red rose with a dagger through it", {"flower", "plant", "weapon"}),
        ("swallow carrying a banner", {"bird", "animal", "wording"}),
        (
            "large koi carp swimming among waves and cherry blossoms",
            {"fish", "animal", "flower", "plant", "water"},
        ),
        ("image of the Virgin Mary with rays of light", {"religious", "human"}),
        ("Southern Cross stars", {"star", "celestial"}),
        ("music notes", {"music", "symbol"}),
        ("three-masted sailing ship", {"ship", "nautical"}),
        ("blue anchor with a rope wrapped around it", {"nautical"}),
        ("letters on the fingers", {"wording"}),
        ("Chinese characters", {"wording"}),
        ("tribal pattern with a sun in the middle", {"tribal", "sun", "celestial"}),
        ("green serpent winding upwards", {"snake", "reptile", "animal"}),
        ("Celtic cross", {"religious", "celtic"}),
        ("rosary", {"religious"}),
        ("maple leaf", {"national", "plant"}),
        ("shamrock", {"national"}),
        ("skull, black and grey shading", {"death"}),
    ],
)
def test_motif_tokens(text: str, classes: set[str]) -> None:
    tokens = motif_tokens(text)
    assert classes <= set(tokens), tokens
    assert len(tokens) == len(set(tokens))


def test_motif_tokens_are_classes_not_the_motif_itself() -> None:
    assert "rose" not in motif_tokens("red rose")
    assert "koi" not in motif_tokens("koi carp")
    assert set(motif_tokens("red rose")) <= MOTIF_CLASSES


def test_a_longer_motif_wins_over_the_words_inside_it() -> None:
    assert "flower" not in motif_tokens("compass rose in a ring")
    assert "nautical" in motif_tokens("compass rose in a ring")
    assert "animal" not in motif_tokens("tiger lily")
    assert "flower" in motif_tokens("tiger lily")
    assert "religious" not in motif_tokens("Southern Cross stars")
    assert "national" in motif_tokens("Southern Cross stars")
    assert "dog" not in motif_tokens("dog tags")
    assert "military" in motif_tokens("dog tags")


@pytest.mark.parametrize(
    "text",
    [
        "red strawberry mark",
        "port wine stain",
        "surgical scar closed with butterfly stitches",
        "rose gold",
        "scar across the shoulder blade",
        "spider veins",
        "",
    ],
)
def test_phrases_that_only_contain_a_motif_word(text: str) -> None:
    assert motif_tokens(text) == []


def test_the_text_of_a_name_is_not_a_motif() -> None:
    assert motif_tokens("the name Rose in script") == ["wording"]
    assert "flower" not in motif_tokens("banner with the word Lily")


def test_every_motif_class_is_reachable() -> None:
    emitted: set[str] = set()
    for _canonical, classes in v._motifs().index.values():
        assert set(classes) <= MOTIF_CLASSES
        emitted |= set(classes)
    assert emitted == MOTIF_CLASSES


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("flower", ["flower"]),
        ("flowers", ["flower"]),
        ("flower tattoo", ["flower"]),
        ("fish", ["fish"]),
        ("bird tattoo", ["bird"]),
        ("rose", ["rose"]),
        ("roses", ["rose"]),
        ("koi fish", ["koi"]),
        ("butterflies", ["butterfly"]),
        ("wolves", ["wolf"]),
        ("cherry blossoms", ["cherry_blossom"]),
        ("ladybug", ["ladybird"]),
        ("boat", ["ship"]),
        ("serpent", ["snake"]),
        ("religious tattoo", ["religious"]),
        ("insect on ankle", ["insect"]),
        ("star of david", ["star_of_david"]),
        ("star david", ["star_of_david"]),
        ("tatouage dauphin", ["dolphin"]),
        ("bloementatoeage", ["flower"]),
        ("schmetterlingstatowierung", ["butterfly"]),
        ("rose tattoo on arm", ["rose"]),
    ],
)
def test_motif_query(query: str, expected: list[str]) -> None:
    assert motif_query(words(query)) == expected


@pytest.mark.parametrize(
    "query",
    [
        "tattoo on hand",
        "human remains",
        "found in the river",
        "silver anklet",
        "navy blue sweater",
        "rose gold ring",
        "camel coat",
        "car keys",
        "man in a pocket knife shop",
        "",
    ],
)
def test_motif_query_without_motifs(query: str) -> None:
    assert motif_query(words(query)) == []


def test_motif_classes() -> None:
    expected = {"flower", "plant", "bird", "fish", "insect", "animal", "mythical", "religious"}
    assert expected <= MOTIF_CLASSES
    assert {
        "wording",
        "star",
        "celestial",
        "music",
        "symbol",
        "weapon",
        "nautical",
    } <= MOTIF_CLASSES
    assert all(word.isalpha() and word.islower() for word in MOTIF_CLASSES)


def test_every_ansi_subclass_maps_to_its_class_in_the_standard() -> None:
    mapping = json.loads((DATA / "vocabulary-motifs.json").read_text(encoding="utf-8"))["ansi"]
    classes = ansi_rows("class")
    assert set(mapping) == set(ansi_rows("subclass"))
    for code, entry in mapping.items():
        assert entry["class"] and set(entry["class"]) <= set(classes), code
        assert set(entry["tags"]) <= MOTIF_CLASSES, code


def test_ansi_descriptions_and_examples_are_understood() -> None:
    # Faces, bodies and "miscellaneous" entries name no motif a description would contain.
    wordless = {"MFACE", "FFACE", "ABFACE", "MBODY", "FBODY", "MBPART", "FBPART", "ABBPART"}
    wordless |= {"FREEFRM", "MISC", "MOBJECTS"}
    for code, description in ansi_rows("subclass").items():
        if code not in wordless:
            assert motif_tokens(description), (code, description)
        for examples in re.findall(r"\(([^)]*)\)", description):
            for example in examples.split(","):
                example = example.replace("etc.", "").replace("ect.", "").strip()
                if len(example) > 2:  # "Figure(s)" is a plural marker, not an example
                    assert motif_tokens(example), (code, example)


# -- synonyms and stop words -----------------------------------------------------------------


TATTOO_WORDS = [
    *("tatouage", "tatoeage", "tatoeages", "tatowierung", "taetowierung", "tattoos", "tattooed"),
    *("tatuaje", "tatuajes", "tatuaggio", "tatuaggi", "tatuaz", "tatuaze", "tatuazu", "tatuagem"),
    *("tat", "tats", "tatt", "tatts", "ink", "tatoo"),
]


@pytest.mark.parametrize("word", TATTOO_WORDS)
def test_tattoo_words_of_every_language(word: str) -> None:
    assert "tattoo" in query_synonyms(word)


def test_tattoo_words_from_folded_text() -> None:
    for text in ("Tätowierung", "tatuaż", "tatuaże", "Tatouages"):
        assert "tattoo" in query_synonyms(words(text)[0]), text
    assert query_synonyms("tattoo") == []


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("trainers", {"sneakers"}),
        ("sneakers", {"trainers"}),
        ("jumper", {"sweater", "pullover"}),
        ("trousers", {"pants"}),
        ("grey", {"gray"}),
        ("colour", {"color"}),
        ("jewellery", {"jewelry"}),
        ("watch", {"wristwatch"}),
        ("mobile", {"cellphone"}),
        ("hoodie", {"hoody"}),
        ("harbour", {"harbor"}),
        ("mum", {"mom", "mother"}),
        ("ladybug", {"ladybird"}),
        ("dauphin", {"dolphin"}),
        ("vlinder", {"butterfly"}),
        ("rood", {"red"}),
        ("bloementatoeage", {"tattoo", "flower"}),
        ("schmetterlingstatowierung", {"tattoo", "butterfly"}),
        ("armtattoo", {"tattoo", "arm"}),
    ],
)
def test_query_synonyms(word: str, expected: set[str]) -> None:
    synonyms = query_synonyms(word)
    assert expected <= set(synonyms)
    assert word not in synonyms


def test_query_synonyms_stay_precise() -> None:
    assert query_synonyms("swallow") == []
    assert query_synonyms("rose") == []
    assert query_synonyms("necklace") == []
    assert "tattoo" not in query_synonyms("arm")
    assert query_synonyms("") == []


def test_stopwords() -> None:
    common = {"on", "in", "at", "the", "a", "an", "with", "of", "and", "or", "my", "her", "his"}
    common |= {"she", "he", "was", "had", "has", "de", "het", "een", "la", "le", "les", "der"}
    common |= {"die", "das", "el", "los", "il"}
    assert common <= STOPWORDS
    assert all(word == fold(word) and word.isalpha() for word in STOPWORDS)


def test_stopwords_never_carry_meaning_here() -> None:
    sides = {word for word, _ in v._body().sides.items()}
    negations = {"no", "not", "without", "niet", "geen", "ohne", "nicht", "kein", "sans", "pas"}
    negations |= {"sin", "senza", "non", "bez", "nie", "sem"}
    motif_words = {phrase[0] for phrase in v._motifs().query if len(phrase) == 1}
    assert not STOPWORDS & sides
    assert not STOPWORDS & BODY_PART_WORDS
    assert not STOPWORDS & MOTIF_CLASSES
    assert not STOPWORDS & motif_words
    assert not STOPWORDS & negations
    assert not STOPWORDS & {"us", "van", "war", "hat", "son", "may", "one", "dove", "om", "tattoo"}
    # Single letters are initials: "E.W.", "J & M 1979".
    assert {word for word in STOPWORDS if len(word) == 1} <= {"a", "i"}
