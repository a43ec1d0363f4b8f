"""The fictional demo dataset: appeal records plus the drawings they reference."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from portal.demo.drawing import (
    draw_clothing,
    draw_jewellery,
    draw_object,
    draw_scene_sketch,
    draw_tattoo,
)
from portal.demo.synthetic import write_jsonl

DEMO_FILE = "demo-records.jsonl"
# Every restricted object carries this string so tests can prove it never reaches a public page.
RESTRICTED_MARKER = "DEMO-RESTRICTED"
# Fixed so the drawings' variants are the same on every run: re-importing must change nothing.
_SEED = 19750128

_FIELD_ORDER = (
    "record_id",
    "agency",
    "kind",
    "status",
    "name",
    "title",
    "sex",
    "age",
    "height_cm",
    "weight_kg",
    "build",
    "hair",
    "eyes",
    "complexion",
    "physical_description",
    "event",
    "circumstances",
    "marks",
    "clothing",
    "jewellery",
    "belongings",
    "dental_summary",
    "biometrics",
    "images",
    "translations",
    "identified",
    "restricted",
)

Json = dict[str, Any]
ArtKind = Literal["tattoo", "clothing", "jewellery", "object", "scene"]


@dataclass(frozen=True)
class _Art:
    """One drawing to make for a record, and which mark or item it shows."""

    kind: ArtKind
    index: int = 0
    caption: str = ""
    motif: str = ""  # tattoo motif, necklace pendant shape or lighter engraving
    skin: str = "medium"
    colour: str | None = None  # objects: plastic or key-fob colour
    text: str | None = None  # objects: fob or engraving text
    publish: bool = True


def _agency(code: str, name: str, country: str, tip_email: str) -> Json:
    return {"code": code, "name": name, "country": country, "tip_email": tip_email}


AGENCIES: dict[str, Json] = {
    "BE": _agency(
        "BE-PJF-OVL",
        "Federal Judicial Police East Flanders, Missing Persons Cell",
        "BE",
        "appeals@ovl.police.example",
    ),
    "NL": _agency(
        "NL-POL-ZWB",
        "Politie Zeeland-West-Brabant, Team Vermiste Personen",
        "NL",
        "tips@zwb.politie.example",
    ),
    "DE": _agency(
        "DE-LKA-NRW-VERM",
        "Landeskriminalamt Nordrhein-Westfalen, Vermisstenstelle",
        "DE",
        "hinweise@lka-nrw.polizei.example",
    ),
    "GB": _agency(
        "GB-NWMPU",
        "North West Regional Missing Persons Unit",
        "GB",
        "appeals@nwmpu.police.example",
    ),
    "FR": _agency(
        "FR-PJ-LYON",
        "Police judiciaire de Lyon, Cellule personnes disparues",
        "FR",
        "temoins@pj-lyon.police.example",
    ),
    "ES": _agency(
        "ES-PN-UDEV-SUR",
        "Policía Nacional, Unidad de Desaparecidos Sur",
        "ES",
        "colabora@udev-sur.policia.example",
    ),
    "IT": _agency(
        "IT-CC-IDENT-ROMA",
        "Carabinieri, Nucleo Identificazione Roma",
        "IT",
        "segnalazioni@ident-roma.carabinieri.example",
    ),
    "PL": _agency(
        "PL-KWP-GDANSK",
        "Komenda Wojewódzka Policji w Gdańsku, Zespół Poszukiwań",
        "PL",
        "zaginieni@gdansk.policja.example",
    ),
    "IE": _agency(
        "IE-GARDA-MPB",
        "Garda Missing Persons Bureau",
        "IE",
        "mpb@garda.example",
    ),
    "AU": _agency(
        "AU-QLD-MPU",
        "Queensland Police Missing Persons Unit",
        "AU",
        "mpu@qps.police.example",
    ),
    "AT": _agency(
        "AT-BK-ABG",
        "Bundeskriminalamt, Referat Abgängige Personen",
        "AT",
        "hinweise@bk.polizei.example",
    ),
}


def write_demo_records(out_dir: Path) -> Path:
    """Write `demo-records.jsonl` and every image it references into out_dir; return its path.

    The output is byte-for-byte identical on every call, so re-importing it changes nothing.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(_SEED)
    records = [_materialise(spec, out_dir, rng) for spec in demo_specs()]
    path = out_dir / DEMO_FILE
    write_jsonl(records, path)
    return path


def _materialise(spec: Json, out_dir: Path, rng: random.Random) -> Json:
    record = dict(spec)
    arts: Sequence[_Art] = record.pop("_art", ())
    images: list[Json] = []
    slug = record["record_id"].lower()
    for number, art in enumerate(arts, 1):
        file = f"{slug}-{art.kind}-{number}.jpg"
        (out_dir / file).write_bytes(_render(art, record, rng.randrange(1000)))
        image: Json = {"file": file, "kind": art.kind}
        if art.caption:
            image["caption"] = art.caption
        image["publish"] = art.publish
        images.append(image)
        if art.kind == "tattoo":
            record["marks"][art.index]["image"] = file
    if images:
        record["images"] = images
    if RESTRICTED_MARKER not in json.dumps(record.get("restricted", {}), ensure_ascii=False):
        raise AssertionError(f"{record['record_id']}: restricted object lacks {RESTRICTED_MARKER}")
    return {key: record[key] for key in _FIELD_ORDER if key in record}


def _render(art: _Art, record: Json, variant: int) -> bytes:
    if art.kind == "tattoo":
        mark = record["marks"][art.index]
        return draw_tattoo(
            art.motif,
            colours=mark.get("colours", ["black"]),
            inscription=mark.get("inscription"),
            skin=art.skin,
            variant=variant,
        )
    if art.kind == "clothing":
        item = record["clothing"][art.index]
        return draw_clothing(item["item"], item["colour"], brand=item.get("brand"), variant=variant)
    if art.kind == "jewellery":
        item = record["jewellery"][art.index]
        return draw_jewellery(
            item["item"],
            material=item.get("material", "silver"),
            inscription=item.get("inscription"),
            pendant=art.motif or "disc",
            variant=variant,
        )
    if art.kind == "object":
        item = record["belongings"][art.index]
        return draw_object(
            item["item"],
            colour=art.colour,
            inscription=art.text,
            engraving=art.motif or None,
            variant=variant,
        )
    return draw_scene_sketch(variant=variant, river=art.motif != "dry")


# --- record building helpers ------------------------------------------------------------


def _event(
    when: str,
    place: str,
    locality: str,
    country: str,
    *,
    region: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
) -> Json:
    """`when` is YYYY-MM-DD, YYYY-MM or YYYY; the precision follows from how much is known."""
    if len(when) == 4:
        date, precision = f"{when}-01-01", "year"
    elif len(when) == 7:
        date, precision = f"{when}-01", "month"
    else:
        date, precision = when, "day"
    event: Json = {"date": date, "date_precision": precision, "place": place, "locality": locality}
    if region:
        event["region"] = region
    event["country"] = country
    if lat is not None and lon is not None:
        event["lat"], event["lon"] = lat, lon
    return event


def _mark(
    type_: str,
    location: str,
    description: str,
    *,
    inscription: str | None = None,
    colours: Sequence[str] | None = None,
) -> Json:
    mark: Json = {"type": type_, "location": location, "description": description}
    if inscription is not None:
        mark["inscription"] = inscription
    if colours:
        mark["colours"] = list(colours)
    return mark


def _item(item: str, **fields: str) -> Json:
    return {"item": item, **fields}


def _bio(dna: bool, fingerprints: bool, dental: bool) -> Json:
    return {"dna": dna, "fingerprints": fingerprints, "dental": dental}


def _restricted(n: int, notes: str, **extra: str) -> Json:
    return {
        "reference": f"{RESTRICTED_MARKER}-{n:03d}",
        "notes": f"{notes} [{RESTRICTED_MARKER}]",
        **extra,
    }


def _rec(
    record_id: str,
    country: str,
    title: str,
    sex: str,
    event: Json,
    *,
    art: Sequence[_Art] = (),
    age: tuple[int, int] | None = None,
    height: tuple[int, int] | None = None,
    weight: tuple[int, int] | None = None,
    kind: str = "unidentified",
    status: str = "published",
    **fields: Any,
) -> Json:
    record: Json = {
        "record_id": record_id,
        "agency": dict(AGENCIES[country]),
        "kind": kind,
        "status": status,
        "title": title,
        "sex": sex,
        "event": event,
    }
    for key, bounds in (("age", age), ("height_cm", height), ("weight_kg", weight)):
        if bounds is not None:
            record[key] = {"min": bounds[0], "max": bounds[1]}
    record.update(fields)
    if art:
        record["_art"] = tuple(art)
    return record


def demo_specs() -> list[Json]:
    """The demo records before images are drawn (fresh dicts on every call)."""
    return [
        *_belgium(),
        *_netherlands(),
        *_germany(),
        *_britain(),
        *_france(),
        *_spain(),
        *_italy(),
        *_poland(),
        *_ireland(),
        *_australia(),
        *_austria(),
    ]


# --- the records ------------------------------------------------------------------------


def _belgium() -> list[Json]:
    return [
        _rec(
            "DEMO-BE-1983-0312",
            "BE",
            "Man with two swallow tattoos found in the Ghent-Terneuzen canal",
            "male",
            _event(
                "1983-03-12",
                "Ghent-Terneuzen canal, near the Rodenhuize lock",
                "Desteldonk",
                "BE",
                region="East Flanders",
                lat=51.1321,
                lon=3.7702,
            ),
            age=(35, 50),
            height=(172, 178),
            weight=(75, 85),
            build="stocky",
            hair="dark brown, receding",
            eyes="unknown",
            circumstances=(
                "A lock keeper saw the body of a man in the water of the canal. He had probably "
                "been in the water for about two weeks. He carried no identity papers. "
                "Investigators think he may have worked on inland shipping."
            ),
            marks=[
                _mark(
                    "tattoo",
                    "back of the left hand",
                    "swallow in flight, dark blue with a red throat",
                    colours=["black", "blue", "red"],
                ),
                _mark(
                    "tattoo",
                    "back of the right hand",
                    "second swallow in flight, a mirror image of the one on the left hand",
                    colours=["black", "blue", "red"],
                ),
                _mark("scar", "left eyebrow", "small healed scar, about 2 cm"),
            ],
            clothing=[
                _item("donkey jacket", colour="navy blue", material="wool", size="L"),
                _item("work trousers", colour="brown", brand="Dickies", size="W34"),
                _item("boots", colour="black", description="leather lace-up work boots", size="43"),
            ],
            belongings=[
                _item("lighter", description="brass petrol lighter engraved with a sailing ship")
            ],
            dental_summary="Upper front teeth replaced by a partial plate; amalgam fillings.",
            biometrics=_bio(True, True, True),
            translations={
                "nl": {
                    "title": "Man met twee zwaluwtatoeages gevonden in het kanaal Gent-Terneuzen",
                    "circumstances": (
                        "Een sluiswachter zag het lichaam van een man in het water van het "
                        "kanaal. Hij lag vermoedelijk al twee weken in het water."
                    ),
                },
                "fr": {"title": "Homme aux deux hirondelles tatouées retrouvé dans le canal"},
            },
            restricted=_restricted(
                1,
                "Lock keeper statement on file; possible link to a barge crew list from 1983.",
                dental_chart="11:X 12:X 21:X 22:P 36:A 46:A",
                fingerprint_class="WU-RL-0312",
            ),
            art=[
                _Art(
                    "tattoo",
                    0,
                    "Drawing of the swallow on the back of the left hand",
                    "swallow",
                    "light",
                ),
                _Art("object", 0, "Drawing of the brass lighter", "ship"),
            ],
        ),
        _rec(
            "DEMO-BE-1997-06",
            "BE",
            "The woman with the rose and 'Carpe diem!' tattoo",
            "female",
            _event("1997-06", "dunes behind the sea wall", "De Haan", "BE", region="West Flanders"),
            age=(25, 35),
            height=(158, 164),
            build="slim",
            hair="light brown, long, with blonde highlights",
            circumstances=(
                "A walker found the remains of a woman in the dunes. She had probably died in "
                "early summer 1997. She may have been a tourist or seasonal worker on the coast."
            ),
            marks=[
                _mark(
                    "tattoo",
                    "right shoulder blade",
                    "red rose with green leaves, the words Carpe diem! written underneath",
                    inscription="Carpe diem!",
                    colours=["black", "red", "green"],
                ),
                _mark("piercing", "navel", "silver ring with a small blue stone"),
            ],
            clothing=[
                _item(
                    "summer dress",
                    colour="blue and white",
                    brand="Mexx",
                    size="38",
                    description="knee-length, small flower print",
                ),
                _item("sandals", colour="brown", material="leather", size="39"),
            ],
            jewellery=[_item("anklet", material="silver", description="thin chain, left ankle")],
            biometrics=_bio(True, False, True),
            translations={
                "nl": {
                    "title": "De vrouw met de roos en 'Carpe diem!'",
                    "circumstances": (
                        "Een wandelaar vond de stoffelijke resten van een vrouw in de duinen. "
                        "Zij is vermoedelijk begin zomer 1997 overleden."
                    ),
                },
                "fr": {"title": "La femme au tatouage de rose et 'Carpe diem!'"},
            },
            restricted=_restricted(
                2,
                "Soil samples with the lab; dune warden interviewed twice.",
                dna_profile_ref="BE-DNA-97-0611",
            ),
            art=[
                _Art("tattoo", 0, "Drawing of the rose tattoo and its text", "rose", "fair"),
                _Art("scene", 0, "Sketch map of the find location", "dry", publish=False),
            ],
        ),
        _rec(
            "DEMO-BE-2006-1121",
            "BE",
            "Young man found at the Zeebrugge container terminal",
            "male",
            _event(
                "2006-11-21",
                "between stacked containers on the terminal",
                "Zeebrugge",
                "BE",
                region="West Flanders",
                lat=51.3344,
                lon=3.2069,
            ),
            age=(18, 26),
            height=(168, 174),
            build="thin",
            hair="black, short",
            eyes="brown",
            circumstances=(
                "Dock workers found a young man between containers. He may have travelled as a "
                "stowaway. He died of hypothermia. He may have spoken Russian or Ukrainian."
            ),
            marks=[
                _mark(
                    "tattoo",
                    "left side of the neck",
                    "word in Cyrillic letters, amateur work",
                    inscription="Мама",
                    colours=["blue"],
                ),
                _mark("scar", "right knee", "surgical scar, about 8 cm"),
            ],
            clothing=[
                _item("tracksuit top", colour="black", brand="Adidas", size="M"),
                _item("jeans", colour="grey"),
                _item("trainers", colour="white", brand="Reebok", size="42"),
            ],
            belongings=[_item("mobile phone", description="Nokia, no SIM card")],
            biometrics=_bio(True, True, True),
            restricted=_restricted(3, "Container manifest checked; origin port under inquiry."),
        ),
        _rec(
            "DEMO-BE-2014-0822",
            "BE",
            "Woman found in the Scheldt at Temse, now identified",
            "female",
            _event("2014-08-22", "river Scheldt, under the Temse bridge", "Temse", "BE"),
            status="identified",
            name="Ilse Van Acker",
            age=(45, 55),
            marks=[_mark("tattoo", "inside of the right wrist", "small black infinity sign")],
            biometrics=_bio(True, True, True),
            identified={
                "date": "2023-05-10",
                "statement": (
                    "Thanks to a reader who recognised the tattoo, this woman has been identified. "
                    "Her family thanks everyone who shared the appeal and asks for privacy."
                ),
            },
            translations={
                "nl": {"title": "Vrouw gevonden in de Schelde te Temse, geïdentificeerd"}
            },
            restricted=_restricted(4, "Identified by DNA comparison with a sister."),
        ),
        _rec(
            "DEMO-BE-2019-0405",
            "BE",
            "The woman with the koi fish tattoo",
            "female",
            _event(
                "2019-04-05",
                "woodland beside the E40 motorway car park",
                "Aalter",
                "BE",
                region="East Flanders",
                lat=51.0707,
                lon=3.4481,
            ),
            age=(30, 45),
            height=(165, 170),
            weight=(60, 70),
            build="medium",
            hair="dark blonde, shoulder-length",
            eyes="grey-blue",
            circumstances=(
                "A motorist who stopped at the car park found the body of a woman in the woodland. "
                "She had died about a week earlier. Nobody matching her description had been "
                "reported missing in Belgium."
            ),
            marks=[
                _mark(
                    "tattoo",
                    "right calf",
                    "orange and red koi fish swimming upwards, blue water lines",
                    colours=["black", "orange", "red", "blue"],
                ),
                _mark(
                    "tattoo", "left ankle", "three small black stars in a row", colours=["black"]
                ),
            ],
            clothing=[
                _item("rain jacket", colour="yellow", brand="Regatta", size="40", material="nylon"),
                _item("leggings", colour="black"),
                _item("walking shoes", colour="grey", brand="Salomon", size="39"),
            ],
            jewellery=[_item("earrings", material="gold", description="small hoops")],
            biometrics=_bio(True, True, False),
            translations={
                "nl": {
                    "title": "De vrouw met de koikarpertatoeage",
                    "circumstances": (
                        "Een automobilist vond het lichaam van een vrouw in het bos naast de "
                        "parking langs de E40."
                    ),
                },
                "fr": {
                    "title": "La femme au tatouage de carpe koï",
                    "circumstances": (
                        "Un automobiliste a découvert le corps d'une femme dans le bois à côté du "
                        "parking de l'E40."
                    ),
                },
            },
            restricted=_restricted(
                5,
                "Car park ANPR data requested for 28 March to 5 April 2019.",
                investigator="Insp. R. Demo",
            ),
            art=[
                _Art("tattoo", 0, "Drawing of the koi fish tattoo", "koi", "light"),
                _Art("tattoo", 1, "Drawing of the three stars", "stars", "light"),
                _Art("clothing", 0, "Drawing of the yellow rain jacket"),
            ],
        ),
        _rec(
            "DEMO-BE-1976",
            "BE",
            "Man found in the Kluisbos forest in 1976",
            "male",
            _event("1976", "Kluisbos forest", "Kluisbergen", "BE", region="East Flanders"),
            age=(50, 65),
            height=(175, 182),
            hair="grey",
            circumstances=(
                "Forestry workers found the skeletal remains of a man. The exact date of the find "
                "was lost when the paper file was damaged; only the year is known."
            ),
            marks=[
                _mark(
                    "tattoo",
                    "right forearm",
                    "faded blue anchor with a rope",
                    colours=["blue"],
                ),
            ],
            jewellery=[
                _item("signet ring", material="gold", inscription="H.D.", description="oval face")
            ],
            dental_summary="Full upper denture; lower teeth heavily worn.",
            biometrics=_bio(True, False, True),
            restricted=_restricted(
                6, "Paper file partly water-damaged; remains re-examined in 2009."
            ),
            art=[
                _Art("tattoo", 0, "Drawing of the anchor tattoo", "anchor", "fair"),
                _Art("jewellery", 0, "Drawing of the signet ring and its engraving"),
            ],
        ),
    ]


def _netherlands() -> list[Json]:
    return [
        _rec(
            "DEMO-NL-1988-0914",
            "NL",
            "Man with the dragon tattoo found on the Westerschelde shore",
            "male",
            _event(
                "1988-09-14",
                "beach beside the ferry landing",
                "Vlissingen",
                "NL",
                region="Zeeland",
                lat=51.4425,
                lon=3.5734,
            ),
            age=(25, 40),
            height=(180, 188),
            build="athletic",
            hair="blond, short",
            eyes="blue",
            circumstances=(
                "The body of a man washed up on the beach. He had been in the water for some days. "
                "He may have fallen from a ship on the Westerschelde."
            ),
            marks=[
                _mark(
                    "tattoo",
                    "right upper arm",
                    "green dragon with a curled tail and a yellow belly",
                    colours=["black", "green", "yellow"],
                ),
                _mark(
                    "tattoo",
                    "left upper arm",
                    "red heart with a banner, the word Mum in the banner",
                    inscription="Mum",
                    colours=["black", "red"],
                ),
            ],
            clothing=[
                _item("denim jacket", colour="denim", brand="Wrangler", size="L"),
                _item("T-shirt", colour="white", description="print of a 1982 concert tour"),
            ],
            biometrics=_bio(True, True, True),
            translations={
                "nl": {
                    "title": "Man met drakentatoeage aangespoeld bij Vlissingen",
                    "circumstances": (
                        "Het lichaam van een man spoelde aan op het strand. Mogelijk is hij van "
                        "een schip op de Westerschelde gevallen."
                    ),
                }
            },
            restricted=_restricted(7, "Shipping movements of 10-14 September 1988 requested."),
            art=[
                _Art("tattoo", 0, "Drawing of the dragon tattoo", "dragon", "light"),
                _Art("tattoo", 1, "Drawing of the heart and banner", "heart", "light"),
                _Art("clothing", 0, "Drawing of the denim jacket"),
            ],
        ),
        _rec(
            "DEMO-NL-2002-03",
            "NL",
            "Young woman found in the river Mark at Breda",
            "female",
            _event("2002-03", "river Mark near the Haven", "Breda", "NL", region="Noord-Brabant"),
            age=(18, 25),
            height=(160, 166),
            build="slim",
            hair="dyed black, chin-length",
            eyes="brown",
            circumstances=(
                "A rowing club member found the body of a young woman in the river in March 2002. "
                "She had been in the water for about three weeks."
            ),
            marks=[
                _mark(
                    "tattoo",
                    "left shoulder",
                    "butterfly in blue and purple",
                    colours=["black", "blue", "purple"],
                ),
                _mark("piercing", "tongue", "steel stud"),
            ],
            clothing=[
                _item("bomber jacket", colour="olive green", brand="Alpha Industries", size="S"),
                _item("platform trainers", colour="black", brand="Buffalo", size="38"),
            ],
            jewellery=[
                _item(
                    "necklace",
                    material="silver",
                    description="fine chain with a heart pendant engraved with the letter S",
                    inscription="S",
                )
            ],
            biometrics=_bio(True, False, True),
            translations={"nl": {"title": "Jonge vrouw gevonden in de Mark in Breda"}},
            restricted=_restricted(
                8, "Rowing club member statement; CCTV from the Haven not kept."
            ),
            art=[
                _Art("tattoo", 0, "Drawing of the butterfly tattoo", "butterfly", "light"),
                _Art("jewellery", 0, "Drawing of the necklace and heart pendant", "heart"),
            ],
        ),
        _rec(
            "DEMO-NL-2015-0722",
            "NL",
            "Missing since July 2015: Daan Verhoeven",
            "male",
            _event(
                "2015-07-22",
                "leaving Bergen op Zoom railway station",
                "Bergen op Zoom",
                "NL",
                region="Noord-Brabant",
                lat=51.4947,
                lon=4.2960,
            ),
            kind="missing",
            name="Daan Verhoeven",
            age=(17, 17),
            height=(183, 183),
            build="slim",
            hair="brown, curly",
            eyes="green",
            circumstances=(
                "Daan was last seen on station cameras walking towards the town centre with his "
                "skateboard. He has not contacted his family since."
            ),
            marks=[_mark("birthmark", "back of the neck", "red strawberry mark, about 3 cm")],
            clothing=[
                _item("hoodie", colour="grey", brand="Nike", size="M"),
                _item("cap", colour="black", brand="New Era"),
                _item("trainers", colour="white", brand="Nike Air Force 1", size="44"),
            ],
            belongings=[_item("skateboard", description="black deck with yellow wheels")],
            biometrics=_bio(True, False, True),
            translations={
                "nl": {
                    "title": "Vermist sinds juli 2015: Daan Verhoeven",
                    "circumstances": (
                        "Daan werd voor het laatst gezien op camerabeelden van het station, "
                        "lopend richting het centrum met zijn skateboard."
                    ),
                }
            },
            restricted=_restricted(
                9, "Family liaison officer assigned; phone last active 22-07-2015."
            ),
            art=[
                _Art("clothing", 0, "Drawing of the grey hoodie"),
                _Art("clothing", 1, "Drawing of the black cap"),
            ],
        ),
        _rec(
            "DEMO-NL-2011-1003",
            "NL",
            "Man found in a garden in Middelburg",
            "male",
            _event("2011-10-03", "back garden of an empty house", "Middelburg", "NL"),
            status="withdrawn",
            age=(60, 75),
            biometrics=_bio(True, True, False),
            restricted=_restricted(
                10, "Appeal withdrawn at the family's request after identification."
            ),
        ),
        _rec(
            "DEMO-NL-1995",
            "NL",
            "Remains of a man found in the Brabantse Wal woodland",
            "male",
            _event("1995", "Brabantse Wal woodland", "Woensdrecht", "NL", region="Noord-Brabant"),
            age=(30, 60),
            height=(170, 180),
            circumstances=(
                "The skeletal remains of a man were found by a dog walker. He had probably died "
                "several years before the find."
            ),
            marks=[
                _mark("tattoo", "left forearm", "cross with rays around it", colours=["black"]),
                _mark("other", "right femur", "healed fracture"),
            ],
            jewellery=[
                _item(
                    "watch",
                    material="stainless steel",
                    description="Seiko, engraved case back",
                    inscription="For Piet 25 yrs",
                )
            ],
            biometrics=_bio(True, False, True),
            dental_summary="Gold crown on the upper left first molar.",
            restricted=_restricted(11, "Watch serial number traced to a 1979 sale in Antwerp."),
        ),
    ]


def _germany() -> list[Json]:
    return [
        _rec(
            "DEMO-DE-1979-1108",
            "DE",
            "Man with the compass tattoo found on the Rhine bank",
            "male",
            _event(
                "1979-11-08",
                "Rhine bank near the Ruhrort harbour",
                "Duisburg",
                "DE",
                region="Nordrhein-Westfalen",
                lat=51.4530,
                lon=6.7290,
            ),
            age=(40, 55),
            height=(174, 180),
            build="heavy",
            hair="dark, grey at the temples",
            circumstances="A harbour worker found the body of a man on the riverbank.",
            marks=[
                _mark(
                    "tattoo", "right forearm", "compass rose in a ring", colours=["black", "blue"]
                ),
                _mark(
                    "tattoo",
                    "fingers of the left hand",
                    "one letter on each finger",
                    inscription="LOVE",
                    colours=["blue"],
                ),
            ],
            clothing=[_item("overcoat", colour="grey", brand="C&A", material="wool", size="52")],
            biometrics=_bio(False, True, True),
            translations={
                "de": {
                    "title": "Mann mit Kompass-Tätowierung am Rheinufer gefunden",
                    "circumstances": "Ein Hafenarbeiter fand den Leichnam eines Mannes am Ufer.",
                }
            },
            restricted=_restricted(12, "Original photographs archived at the LKA, box 1979/114."),
            art=[
                _Art("tattoo", 0, "Drawing of the compass tattoo", "compass", "light"),
                _Art("tattoo", 1, "Drawing of the lettering on the fingers", "text", "light"),
                _Art("clothing", 0, "Drawing of the grey overcoat"),
            ],
        ),
        _rec(
            "DEMO-DE-1993-05",
            "DE",
            "Woman found in the Ville forest near Brühl",
            "female",
            _event(
                "1993-05", "Ville forest, near a lake", "Brühl", "DE", region="Nordrhein-Westfalen"
            ),
            age=(20, 30),
            height=(156, 162),
            hair="black, long",
            eyes="dark brown",
            circumstances="Mushroom pickers found the body of a young woman in the forest.",
            marks=[
                _mark(
                    "tattoo",
                    "nape of the neck",
                    "single Japanese character, black",
                    inscription="力",
                    colours=["black"],
                )
            ],
            clothing=[
                _item("jeans", colour="blue", brand="Mustang", size="29/32"),
                _item("blouse", colour="white", material="cotton"),
            ],
            jewellery=[
                _item("ring", material="silver", description="band with a Celtic knot pattern")
            ],
            biometrics=_bio(True, True, True),
            translations={"de": {"title": "Frau im Ville-Wald bei Brühl gefunden"}},
            restricted=_restricted(
                13, "Cross-checked against the 1993 missing persons list; no match."
            ),
        ),
        _rec(
            "DEMO-DE-2009-0217",
            "DE",
            "Man found in the Dortmund-Ems canal, now identified",
            "male",
            _event(
                "2009-02-17", "Dortmund-Ems canal", "Datteln", "DE", region="Nordrhein-Westfalen"
            ),
            status="identified",
            name="Jürgen Kessler",
            age=(50, 60),
            marks=[_mark("tattoo", "left upper arm", "eagle with spread wings", colours=["black"])],
            biometrics=_bio(True, True, True),
            identified={
                "date": "2021-09-30",
                "statement": (
                    "Der Mann wurde identifiziert. The man has been identified. His family thanks "
                    "everyone who shared this appeal."
                ),
            },
            translations={"de": {"title": "Mann aus dem Dortmund-Ems-Kanal identifiziert"}},
            restricted=_restricted(14, "Identified through a fingerprint match in 2021."),
        ),
        _rec(
            "DEMO-DE-2018-0611",
            "DE",
            "Missing since June 2018: Leonie Brandt",
            "female",
            _event(
                "2018-06-11",
                "bus stop at the Neumarkt",
                "Köln",
                "DE",
                region="Nordrhein-Westfalen",
                lat=50.9359,
                lon=6.9475,
            ),
            kind="missing",
            name="Leonie Brandt",
            age=(15, 15),
            height=(163, 163),
            build="slim",
            hair="auburn, long, usually in a ponytail",
            eyes="blue",
            circumstances=(
                "Leonie left school at 14:00 and was seen waiting at the bus stop. She did not "
                "arrive home."
            ),
            marks=[_mark("piercing", "left nostril", "small silver stud")],
            clothing=[
                _item("parka", colour="khaki", brand="Jack Wolfskin", size="S"),
                _item("jeans", colour="black", size="34"),
            ],
            belongings=[_item("school backpack", description="dark blue with white dots")],
            biometrics=_bio(True, False, True),
            translations={
                "de": {
                    "title": "Vermisst seit Juni 2018: Leonie Brandt",
                    "circumstances": (
                        "Leonie verließ die Schule um 14 Uhr und wartete an der Bushaltestelle. "
                        "Sie kam nicht zu Hause an."
                    ),
                }
            },
            restricted=_restricted(15, "Contact with an online acquaintance under review."),
        ),
        _rec(
            "DEMO-DE-2023-0304",
            "DE",
            "Man with the 'Glück' and skull tattoos",
            "male",
            _event(
                "2023-03-04",
                "main railway station, platform 7",
                "Essen",
                "DE",
                region="Nordrhein-Westfalen",
            ),
            age=(35, 50),
            height=(178, 184),
            weight=(70, 80),
            hair="shaved",
            eyes="brown",
            circumstances=(
                "The man collapsed on the platform and died in hospital the same day. He had no "
                "papers with him. Travellers may have seen him on the train from Dortmund."
            ),
            marks=[
                _mark(
                    "tattoo",
                    "inside of the left forearm",
                    "the word Glück in gothic letters",
                    inscription="Glück",
                    colours=["black"],
                ),
                _mark("tattoo", "right calf", "skull, black and grey shading", colours=["black"]),
            ],
            belongings=[
                _item(
                    "keys",
                    description="three keys on a ring with a blue plastic fob marked 'Zimmer 14'",
                )
            ],
            biometrics=_bio(True, True, True),
            translations={
                "de": {
                    "title": "Mann mit den Tätowierungen 'Glück' und Totenkopf",
                    "circumstances": (
                        "Der Mann brach auf dem Bahnsteig zusammen und verstarb am selben Tag im "
                        "Krankenhaus."
                    ),
                }
            },
            restricted=_restricted(
                16, "Hotels and hostels with a room 14 in Essen being contacted."
            ),
            art=[
                _Art("tattoo", 1, "Drawing of the skull tattoo", "skull", "medium"),
                _Art("object", 0, "Drawing of the keys and fob", colour="blue", text="Zimmer 14"),
            ],
        ),
    ]


def _britain() -> list[Json]:
    return [
        _rec(
            "DEMO-GB-1981-0704",
            "GB",
            "Older man found on Formby beach",
            "male",
            _event(
                "1981-07-04",
                "beach near the pinewoods",
                "Formby",
                "GB",
                region="Merseyside",
                lat=53.5532,
                lon=-3.0930,
            ),
            age=(60, 75),
            height=(168, 172),
            hair="white, thin",
            circumstances="Early-morning walkers found the man on the beach above the tide line.",
            marks=[
                _mark(
                    "tattoo",
                    "left forearm",
                    "red heart with a banner across it reading Mother",
                    inscription="Mother",
                    colours=["black", "red", "blue"],
                )
            ],
            clothing=[
                _item("overcoat", colour="brown", material="tweed", size="42"),
                _item("flat cap", colour="grey", material="tweed"),
            ],
            dental_summary="No natural teeth; full upper and lower dentures.",
            biometrics=_bio(False, True, True),
            restricted=_restricted(
                17, "Coroner's file ref retained; no further enquiries since 1990."
            ),
            art=[
                _Art("tattoo", 0, "Drawing of the heart tattoo", "heart", "fair"),
                _Art("clothing", 0, "Drawing of the brown overcoat"),
            ],
        ),
        _rec(
            "DEMO-GB-1999-11",
            "GB",
            "Woman found in the Leeds and Liverpool Canal at Wigan",
            "female",
            _event(
                "1999-11",
                "Leeds and Liverpool Canal near Wigan Pier",
                "Wigan",
                "GB",
                region="Greater Manchester",
            ),
            age=(35, 50),
            height=(162, 168),
            build="medium",
            hair="mousy brown, permed",
            circumstances="The body of a woman was seen in the canal by a narrowboat crew.",
            marks=[
                _mark("tattoo", "left ankle", "small blue star", colours=["blue"]),
                _mark(
                    "scar", "lower abdomen", "horizontal scar consistent with a caesarean section"
                ),
            ],
            jewellery=[
                _item(
                    "wedding ring",
                    material="gold",
                    inscription="Forever & always 12.6.82",
                ),
                _item("necklace", material="gold", description="fine chain with a small cross"),
            ],
            biometrics=_bio(True, True, True),
            restricted=_restricted(18, "Narrowboat crew statements on file."),
            art=[
                _Art("jewellery", 0, "Drawing of the wedding ring and its inscription"),
                _Art("jewellery", 1, "Drawing of the necklace", "cross"),
                _Art("scene", 0, "Sketch map of the canal section", publish=False),
            ],
        ),
        _rec(
            "DEMO-GB-2008-0229",
            "GB",
            "Man found in a derelict mill in Oldham",
            "male",
            _event(
                "2008-02-29",
                "derelict cotton mill off the A62",
                "Oldham",
                "GB",
                region="Greater Manchester",
            ),
            age=(25, 40),
            height=(176, 182),
            build="thin",
            hair="light brown, cropped",
            eyes="blue",
            circumstances=(
                "Contractors surveying the mill found the body of a man who had probably been "
                "sleeping there. There were no signs of third-party involvement."
            ),
            marks=[
                _mark(
                    "tattoo",
                    "right side of the neck",
                    "nautical star, red and black",
                    colours=["black", "red"],
                ),
                _mark(
                    "tattoo",
                    "knuckles of the right hand",
                    "one letter on each knuckle",
                    inscription="HOPE",
                    colours=["black"],
                ),
            ],
            clothing=[
                _item("tracksuit bottoms", colour="grey", brand="Lonsdale", size="M"),
                _item("trainers", colour="white", brand="Nike Air Max 90", size="UK 9"),
            ],
            belongings=[_item("lighter", description="red plastic disposable lighter")],
            biometrics=_bio(True, True, False),
            restricted=_restricted(19, "Homeless outreach teams in Oldham and Rochdale consulted."),
            art=[
                _Art("tattoo", 0, "Drawing of the nautical star", "star", "light"),
                _Art("clothing", 1, "Drawing of the trainers"),
                _Art("object", 0, "Drawing of the red lighter", colour="red"),
                _Art("scene", 0, "Internal plan of the mill", "dry", publish=False),
            ],
        ),
        _rec(
            "DEMO-GB-2016-0118",
            "GB",
            "Man found near the M62 at Rochdale, now identified",
            "male",
            _event("2016-01-18", "embankment of the M62", "Rochdale", "GB"),
            status="identified",
            name="Gareth Hughes",
            age=(40, 50),
            marks=[_mark("tattoo", "right shoulder", "Welsh dragon", colours=["red", "green"])],
            biometrics=_bio(True, True, True),
            identified={
                "date": "2022-11-02",
                "statement": (
                    "Gareth has been identified. His family thanks the public for their help."
                ),
            },
            restricted=_restricted(20, "Identified after his sister saw the appeal."),
        ),
        _rec(
            "DEMO-GB-2021-0610",
            "GB",
            "Missing since June 2021: Chloe Whitfield",
            "female",
            _event(
                "2021-06-10",
                "promenade near the North Pier",
                "Blackpool",
                "GB",
                region="Lancashire",
                lat=53.8196,
                lon=-3.0566,
            ),
            kind="missing",
            name="Chloe Whitfield",
            age=(23, 23),
            height=(160, 160),
            hair="dyed red, bob",
            eyes="hazel",
            circumstances="Chloe was last seen on the promenade in the evening, walking north.",
            marks=[_mark("tattoo", "behind the right ear", "small music note", colours=["black"])],
            clothing=[
                _item("puffer jacket", colour="pink", brand="The North Face", size="10"),
                _item("trainers", colour="white", brand="Converse", size="UK 5"),
            ],
            biometrics=_bio(True, False, True),
            restricted=_restricted(21, "Last phone cell site: Blackpool North, 22:41."),
        ),
        _rec(
            "DEMO-GB-2024-0902",
            "GB",
            "Man found at Lancaster canal basin (draft)",
            "male",
            _event("2024-09-02", "canal basin", "Lancaster", "GB"),
            status="draft",
            age=(30, 50),
            biometrics=_bio(True, True, False),
            restricted=_restricted(22, "Draft: awaiting post-mortem report before publication."),
        ),
    ]


def _france() -> list[Json]:
    return [
        _rec(
            "DEMO-FR-1986-0420",
            "FR",
            "Man found in the Rhône at Givors",
            "male",
            _event("1986-04-20", "Rhône, near the Givors weir", "Givors", "FR", region="Rhône"),
            age=(30, 45),
            height=(170, 176),
            hair="black, wavy",
            eyes="brown",
            circumstances="The body of a man was recovered from the river by the fire brigade.",
            marks=[
                _mark(
                    "tattoo",
                    "right forearm",
                    "green serpent winding upwards",
                    colours=["black", "green"],
                ),
                _mark(
                    "tattoo",
                    "chest, over the heart",
                    "the word Liberté in capitals",
                    inscription="Liberté",
                    colours=["blue"],
                ),
            ],
            biometrics=_bio(False, True, True),
            translations={
                "fr": {
                    "title": "Homme retrouvé dans le Rhône à Givors",
                    "circumstances": "Le corps d'un homme a été repêché par les sapeurs-pompiers.",
                }
            },
            restricted=_restricted(23, "Fingerprint card sent to Interpol in 1986; no match."),
            art=[_Art("tattoo", 0, "Drawing of the serpent tattoo", "serpent", "olive")],
        ),
        _rec(
            "DEMO-FR-1999-0815",
            "FR",
            "Woman found near Lake Paladru",
            "female",
            _event(
                "1999-08-15",
                "footpath along the lake shore",
                "Charavines",
                "FR",
                region="Isère",
                lat=45.4300,
                lon=5.5170,
            ),
            age=(45, 60),
            height=(155, 160),
            build="plump",
            hair="grey, short, permed",
            circumstances="Holidaymakers found the woman on the footpath in the early morning.",
            jewellery=[
                _item(
                    "watch",
                    material="gold-plated, brown leather strap",
                    description="Lip ladies' watch",
                    inscription="Pour Maman 1975",
                )
            ],
            dental_summary="Porcelain bridge from the upper left canine to the first premolar.",
            biometrics=_bio(True, False, True),
            translations={
                "fr": {
                    "title": "Femme retrouvée près du lac de Paladru",
                    "circumstances": (
                        "Des vacanciers ont trouvé cette femme sur le sentier, tôt le matin."
                    ),
                }
            },
            restricted=_restricted(24, "Campsite registers for August 1999 checked."),
            art=[_Art("jewellery", 0, "Drawing of the watch and its engraving")],
        ),
        _rec(
            "DEMO-FR-2004",
            "FR",
            "Remains of a man found in the Pilat massif",
            "male",
            _event("2004", "steep slope below a forest track", "Pélussin", "FR", region="Loire"),
            age=(50, 70),
            height=(168, 176),
            circumstances="Hunters found the skeletal remains of a man. He may have been a hiker.",
            marks=[_mark("other", "left tibia", "metal plate from an old fracture")],
            belongings=[_item("pocket knife", description="Opinel No. 8 with a wooden handle")],
            dental_summary="Several teeth missing; no dentures.",
            biometrics=_bio(True, False, True),
            translations={"fr": {"title": "Restes d'un homme retrouvés dans le massif du Pilat"}},
            restricted=_restricted(25, "Implant serial number requested from the manufacturer."),
            art=[_Art("scene", 0, "Sketch of the slope", "dry", publish=False)],
        ),
        _rec(
            "DEMO-FR-2013-0309",
            "FR",
            "Young woman found in a park in Villeurbanne",
            "female",
            _event("2013-03-09", "Parc de la Feyssine", "Villeurbanne", "FR", region="Rhône"),
            age=(16, 22),
            height=(158, 163),
            hair="dark brown, long, braided",
            eyes="dark brown",
            circumstances="A jogger found the young woman in the park at dawn.",
            marks=[
                _mark(
                    "tattoo",
                    "lower back",
                    "pink flower with green leaves",
                    colours=["black", "pink", "green"],
                ),
                _mark(
                    "tattoo",
                    "left forearm",
                    "word in Arabic script",
                    inscription="أمل",
                    colours=["black"],
                ),
            ],
            clothing=[
                _item("trench coat", colour="beige", brand="Zara", size="S"),
                _item("ankle boots", colour="black", size="37"),
            ],
            biometrics=_bio(True, True, True),
            translations={
                "fr": {
                    "title": "Jeune femme retrouvée dans un parc à Villeurbanne",
                    "circumstances": (
                        "Une joggeuse a découvert la jeune femme dans le parc à l'aube."
                    ),
                }
            },
            restricted=_restricted(26, "Tattoo studios in Lyon canvassed; no result."),
            art=[
                _Art("tattoo", 0, "Drawing of the flower tattoo", "flower", "olive"),
                _Art("clothing", 0, "Drawing of the beige trench coat"),
            ],
        ),
        _rec(
            "DEMO-FR-2020-1201",
            "FR",
            "Man found near the Part-Dieu station",
            "male",
            _event("2020-12-01", "passage beneath the railway", "Lyon", "FR", region="Rhône"),
            age=(30, 40),
            height=(172, 178),
            hair="black, short",
            eyes="brown",
            circumstances="The man was found unconscious and died in hospital. He had no papers.",
            marks=[
                _mark(
                    "tattoo",
                    "right forearm",
                    "a line of lettering in cursive",
                    inscription="Non, je ne regrette rien",
                    colours=["black"],
                ),
                _mark(
                    "tattoo",
                    "left hand, between thumb and index finger",
                    "three dots in a triangle",
                ),
            ],
            clothing=[_item("puffer jacket", colour="black", brand="Moncler", size="L")],
            biometrics=_bio(True, True, False),
            translations={
                "fr": {
                    "title": "Homme retrouvé près de la gare Part-Dieu",
                    "circumstances": "L'homme a été trouvé inconscient et est décédé à l'hôpital.",
                }
            },
            restricted=_restricted(27, "Station CCTV reviewed for 30 Nov and 1 Dec 2020."),
            art=[
                _Art("tattoo", 0, "Drawing of the lettering tattoo", "text", "medium"),
                _Art("clothing", 0, "Drawing of the black puffer jacket"),
            ],
        ),
    ]


def _spain() -> list[Json]:
    return [
        _rec(
            "DEMO-ES-1991-0707",
            "ES",
            "Man found on the beach at Torremolinos",
            "male",
            _event(
                "1991-07-07",
                "La Carihuela beach",
                "Torremolinos",
                "ES",
                region="Málaga",
                lat=36.6110,
                lon=-4.4990,
            ),
            age=(25, 35),
            height=(178, 185),
            hair="blond",
            eyes="blue",
            complexion="fair, sunburnt",
            circumstances=(
                "The man was found in the sea at first light. He may have been a tourist from "
                "northern Europe."
            ),
            clothing=[_item("swimming shorts", colour="red", brand="Speedo", size="M")],
            jewellery=[
                _item(
                    "necklace",
                    material="gold",
                    description="chain with a round medallion",
                    inscription="Carmen 1966",
                )
            ],
            biometrics=_bio(True, True, True),
            translations={
                "es": {
                    "title": "Hombre hallado en la playa de Torremolinos",
                    "circumstances": "El hombre fue hallado en el mar al amanecer.",
                }
            },
            restricted=_restricted(28, "Hotel guest lists for July 1991 partly checked."),
            art=[_Art("jewellery", 0, "Drawing of the medallion", "disc")],
        ),
        _rec(
            "DEMO-ES-2005-1030",
            "ES",
            "Woman found in Seville, now identified",
            "female",
            _event("2005-10-30", "bank of the Guadalquivir", "Sevilla", "ES"),
            status="identified",
            name="Lucía Morales Prieto",
            age=(30, 40),
            biometrics=_bio(True, True, True),
            identified={
                "date": "2019-02-14",
                "statement": "Lucía ha sido identificada. Her family thanks everyone who helped.",
            },
            translations={"es": {"title": "Mujer hallada en Sevilla, ya identificada"}},
            restricted=_restricted(
                29, "Identified by DNA after her brother gave a reference sample."
            ),
        ),
        _rec(
            "DEMO-ES-2012-04",
            "ES",
            "Older woman found in an olive grove near Jaén",
            "female",
            _event("2012-04", "olive grove beside a farm track", "Jaén", "ES", region="Andalucía"),
            age=(60, 75),
            height=(150, 156),
            hair="grey, long, in a bun",
            circumstances="Farm workers found the woman in the olive grove.",
            marks=[_mark("tattoo", "forehead", "small dot, traditional", colours=["blue"])],
            jewellery=[
                _item("ring", material="gold", description="two plain bands worn together"),
                _item("earrings", material="gold", description="small studs"),
            ],
            biometrics=_bio(True, False, False),
            translations={"es": {"title": "Mujer mayor hallada en un olivar cerca de Jaén"}},
            restricted=_restricted(
                30, "Seasonal worker registers for the 2011-12 harvest requested."
            ),
        ),
        _rec(
            "DEMO-ES-2022-0816",
            "ES",
            "Young man found in the harbour at Algeciras",
            "male",
            _event(
                "2022-08-16",
                "harbour basin near the ferry terminal",
                "Algeciras",
                "ES",
                region="Cádiz",
                lat=36.1300,
                lon=-5.4400,
            ),
            age=(18, 25),
            height=(170, 176),
            build="slim",
            hair="black, short",
            eyes="brown",
            circumstances="The young man was recovered from the harbour by the coastguard.",
            marks=[
                _mark(
                    "tattoo",
                    "left forearm",
                    "a line of lettering",
                    inscription="Madre solo hay una",
                    colours=["black"],
                )
            ],
            clothing=[
                _item(
                    "football shirt",
                    colour="green",
                    brand="Kappa",
                    size="M",
                    description="green and white stripes",
                )
            ],
            biometrics=_bio(True, True, True),
            translations={
                "es": {
                    "title": "Joven hallado en el puerto de Algeciras",
                    "circumstances": "El joven fue rescatado del agua por Salvamento Marítimo.",
                }
            },
            restricted=_restricted(31, "Ferry passenger lists for 14-16 August 2022 requested."),
            art=[
                _Art("tattoo", 0, "Drawing of the lettering tattoo", "text", "olive"),
                _Art("clothing", 0, "Drawing of the football shirt"),
            ],
        ),
    ]


def _italy() -> list[Json]:
    return [
        _rec(
            "DEMO-IT-1978-0219",
            "IT",
            "Man found in the Tiber near Fiumicino",
            "male",
            _event("1978-02-19", "mouth of the Tiber", "Fiumicino", "IT", region="Lazio"),
            age=(40, 55),
            height=(168, 174),
            hair="black, greying",
            circumstances="Fishermen found the body of a man at the mouth of the river.",
            marks=[_mark("tattoo", "right forearm", "cross with rays", colours=["black"])],
            belongings=[_item("wallet", description="brown leather, empty")],
            biometrics=_bio(False, True, True),
            translations={
                "it": {
                    "title": "Uomo ritrovato nel Tevere vicino a Fiumicino",
                    "circumstances": (
                        "Alcuni pescatori hanno trovato il corpo di un uomo alla foce."
                    ),
                }
            },
            restricted=_restricted(32, "1978 file transferred to the central archive in 1995."),
        ),
        _rec(
            "DEMO-IT-2001-09",
            "IT",
            "Woman found in a field near Latina",
            "female",
            _event("2001-09", "field beside the Via Pontina", "Latina", "IT", region="Lazio"),
            age=(20, 30),
            height=(155, 160),
            hair="black, straight, long",
            eyes="dark brown",
            circumstances="A farmer found the woman in his field. She had died some weeks earlier.",
            marks=[
                _mark(
                    "tattoo",
                    "left shoulder",
                    "two Chinese characters, black",
                    inscription="平安",
                    colours=["black"],
                )
            ],
            clothing=[_item("leather jacket", colour="black", brand="Guess", size="S")],
            biometrics=_bio(True, False, True),
            translations={"it": {"title": "Donna ritrovata in un campo vicino a Latina"}},
            restricted=_restricted(33, "Consular contact with three embassies; no match."),
        ),
        _rec(
            "DEMO-IT-2010-0528",
            "IT",
            "Man found in the port car park at Civitavecchia",
            "male",
            _event(
                "2010-05-28",
                "car park of the ferry port",
                "Civitavecchia",
                "IT",
                region="Lazio",
                lat=42.0930,
                lon=11.7900,
            ),
            age=(30, 45),
            height=(175, 180),
            hair="brown, short",
            circumstances="Port staff found the man in a parked car without number plates.",
            marks=[
                _mark(
                    "tattoo",
                    "right forearm",
                    "a line of lettering",
                    inscription="Ti amo, Giulia",
                    colours=["black"],
                ),
                _mark(
                    "tattoo",
                    "back of the right hand",
                    "small red rose",
                    colours=["black", "red", "green"],
                ),
            ],
            biometrics=_bio(True, True, True),
            translations={
                "it": {
                    "title": "Uomo ritrovato nel parcheggio del porto di Civitavecchia",
                    "circumstances": (
                        "Il personale del porto ha trovato l'uomo in un'auto senza targhe."
                    ),
                }
            },
            restricted=_restricted(34, "Vehicle chassis number traced to a 2009 sale in Naples."),
            art=[
                _Art("tattoo", 0, "Drawing of the lettering", "text", "medium"),
                _Art("tattoo", 1, "Drawing of the rose on the hand", "rose", "medium"),
            ],
        ),
        _rec(
            "DEMO-IT-2024-0113",
            "IT",
            "Older woman found on the beach at Ostia",
            "female",
            _event("2024-01-13", "beach near the pier", "Ostia", "IT", region="Lazio"),
            age=(65, 80),
            height=(152, 158),
            hair="white, short",
            circumstances="Walkers found the woman on the beach early in the morning.",
            dental_summary="Upper and lower partial dentures.",
            jewellery=[
                _item("bracelet", material="silver", description="charm bracelet, six charms")
            ],
            biometrics=_bio(True, True, True),
            translations={"it": {"title": "Donna anziana ritrovata sulla spiaggia di Ostia"}},
            restricted=_restricted(35, "Care homes in Rome and Fiumicino contacted."),
        ),
    ]


def _poland() -> list[Json]:
    return [
        _rec(
            "DEMO-PL-1985-1012",
            "PL",
            "Man found in the Motława in Gdańsk",
            "male",
            _event(
                "1985-10-12", "Motława river, near the Crane", "Gdańsk", "PL", region="Pomorskie"
            ),
            age=(35, 50),
            height=(176, 182),
            hair="fair, thinning",
            circumstances="The body of a man was seen in the river by passers-by on the quay.",
            marks=[
                _mark(
                    "tattoo",
                    "left forearm",
                    "anchor with the word Bałtyk underneath",
                    inscription="Bałtyk",
                    colours=["blue"],
                ),
                _mark("tattoo", "chest", "three-masted sailing ship", colours=["blue"]),
            ],
            clothing=[
                _item("sweater", colour="navy blue", material="wool", description="roll neck")
            ],
            biometrics=_bio(False, True, True),
            translations={
                "pl": {
                    "title": "Mężczyzna znaleziony w Motławie w Gdańsku",
                    "circumstances": "Ciało mężczyzny zauważyli w rzece przechodnie na nabrzeżu.",
                }
            },
            restricted=_restricted(36, "Shipyard personnel records for 1985 reviewed."),
        ),
        _rec(
            "DEMO-PL-2000",
            "PL",
            "Remains found in the Kashubian forest near Kartuzy",
            "unknown",
            _event("2000", "pine forest near a lake", "Kartuzy", "PL", region="Pomorskie"),
            age=(20, 60),
            circumstances=(
                "Skeletal remains were found by forestry workers. The sex could not be determined "
                "with certainty."
            ),
            belongings=[_item("keys", description="two keys on a steel ring")],
            dental_summary="Two amalgam fillings in the lower molars.",
            biometrics=_bio(True, False, True),
            translations={"pl": {"title": "Szczątki znalezione w lesie kaszubskim koło Kartuz"}},
            restricted=_restricted(37, "Anthropological report pending re-examination."),
        ),
        _rec(
            "DEMO-PL-2017-0630",
            "PL",
            "Missing since June 2017: Małgorzata Wiśniewska",
            "female",
            _event(
                "2017-06-30",
                "Sopot pier",
                "Sopot",
                "PL",
                region="Pomorskie",
                lat=54.4470,
                lon=18.5760,
            ),
            kind="missing",
            name="Małgorzata Wiśniewska",
            age=(34, 34),
            height=(168, 168),
            hair="blonde, long",
            eyes="blue",
            circumstances="Małgorzata was last seen walking on the pier in the evening.",
            marks=[
                _mark(
                    "tattoo",
                    "inside of the left wrist",
                    "the name Małgosia in cursive",
                    inscription="Małgosia",
                    colours=["black"],
                )
            ],
            clothing=[_item("dress", colour="red", description="summer dress with thin straps")],
            jewellery=[
                _item(
                    "necklace",
                    material="silver",
                    description="chain with the letter M as a pendant",
                    inscription="M",
                )
            ],
            biometrics=_bio(True, False, True),
            translations={
                "pl": {
                    "title": "Zaginiona od czerwca 2017: Małgorzata Wiśniewska",
                    "circumstances": "Małgorzata była ostatnio widziana wieczorem na molo.",
                }
            },
            restricted=_restricted(38, "Family in regular contact with the case officer."),
            art=[_Art("jewellery", 0, "Drawing of the M pendant", "letter")],
        ),
        _rec(
            "DEMO-PL-2021-0214",
            "PL",
            "Man with the skull tattoo found near Gdynia harbour",
            "male",
            _event("2021-02-14", "breakwater of the harbour", "Gdynia", "PL", region="Pomorskie"),
            age=(25, 35),
            height=(180, 186),
            build="muscular",
            hair="shaved",
            eyes="grey",
            circumstances="The man was found on the breakwater after a night of heavy frost.",
            marks=[
                _mark("tattoo", "right forearm", "skull, black and grey", colours=["black"]),
                _mark("scar", "left cheek", "thin scar, about 3 cm"),
            ],
            clothing=[
                _item("jacket", colour="black", brand="4F", size="XL"),
                _item("trainers", colour="black", brand="Puma", size="45"),
            ],
            biometrics=_bio(True, True, True),
            translations={
                "pl": {
                    "title": "Mężczyzna z tatuażem czaszki znaleziony przy porcie w Gdyni",
                    "circumstances": "Mężczyznę znaleziono na falochronie po mroźnej nocy.",
                }
            },
            restricted=_restricted(
                39, "Crew lists of vessels in port on 13-14 February requested."
            ),
            art=[
                _Art("tattoo", 0, "Drawing of the skull tattoo", "skull", "fair"),
                _Art("scene", 0, "Sketch of the breakwater", publish=False),
            ],
        ),
    ]


def _ireland() -> list[Json]:
    return [
        _rec(
            "DEMO-IE-1990-0325",
            "IE",
            "Man found on the shore at Bray",
            "male",
            _event(
                "1990-03-25",
                "shingle beach below Bray Head",
                "Bray",
                "IE",
                region="Wicklow",
                lat=53.1950,
                lon=-6.0880,
            ),
            age=(50, 65),
            height=(172, 178),
            hair="red, greying",
            circumstances="A man walking his dog found the body on the shore.",
            marks=[_mark("tattoo", "left upper arm", "Celtic cross", colours=["black", "green"])],
            clothing=[_item("Aran sweater", colour="cream", material="wool", size="XL")],
            biometrics=_bio(False, True, True),
            restricted=_restricted(
                40, "Coast guard drift analysis suggests entry near Greystones."
            ),
            art=[
                _Art("tattoo", 0, "Drawing of the Celtic cross", "cross", "fair"),
                _Art("clothing", 0, "Drawing of the Aran sweater"),
            ],
        ),
        _rec(
            "DEMO-IE-2012-1107",
            "IE",
            "Missing since November 2012: Ciarán Byrne",
            "male",
            _event("2012-11-07", "Eyre Square", "Galway", "IE", region="Galway"),
            kind="missing",
            name="Ciarán Byrne",
            age=(29, 29),
            height=(185, 185),
            hair="dark brown, short",
            eyes="blue",
            circumstances=(
                "Ciarán left a pub on Eyre Square at about 23:30 and did not return home."
            ),
            marks=[
                _mark(
                    "tattoo", "right calf", "the word Éire in Celtic lettering", inscription="Éire"
                )
            ],
            clothing=[
                _item("GAA jersey", colour="maroon", brand="O'Neills", size="L"),
                _item("jeans", colour="blue"),
            ],
            biometrics=_bio(True, False, True),
            restricted=_restricted(41, "Corrib river searched in November 2012 and May 2013."),
        ),
        _rec(
            "DEMO-IE-2019-0601",
            "IE",
            "Woman found in the River Shannon at Athlone",
            "female",
            _event(
                "2019-06-01", "River Shannon below the weir", "Athlone", "IE", region="Westmeath"
            ),
            age=(25, 35),
            height=(163, 168),
            hair="blonde, long",
            eyes="blue",
            circumstances="The woman was recovered from the river by the local sub-aqua club.",
            marks=[
                _mark(
                    "tattoo",
                    "top of the right foot",
                    "three small stars",
                    colours=["black", "blue"],
                )
            ],
            jewellery=[
                _item(
                    "bracelet",
                    material="silver",
                    description="charm bracelet with a tag",
                    inscription="Nan",
                )
            ],
            biometrics=_bio(True, True, True),
            restricted=_restricted(42, "Bracelet maker contacted about the engraving."),
            art=[
                _Art("tattoo", 0, "Drawing of the stars on the foot", "stars", "fair"),
                _Art("jewellery", 0, "Drawing of the bracelet"),
            ],
        ),
    ]


def _australia() -> list[Json]:
    return [
        _rec(
            "DEMO-AU-1975-0128",
            "AU",
            "Man found in the Brisbane River",
            "male",
            _event(
                "1975-01-28",
                "Brisbane River near the Story Bridge",
                "Brisbane",
                "AU",
                region="Queensland",
                lat=-27.4634,
                lon=153.0357,
            ),
            age=(30, 40),
            height=(180, 186),
            complexion="tanned",
            hair="sandy, collar-length",
            circumstances=(
                "The body of a man was recovered from the river after the January floods."
            ),
            marks=[
                _mark(
                    "tattoo",
                    "right forearm",
                    "red rose with leaves",
                    colours=["black", "red", "green"],
                ),
            ],
            clothing=[_item("shorts", colour="khaki", size="34")],
            biometrics=_bio(False, True, True),
            restricted=_restricted(43, "1975 flood victim lists compared; no match."),
            art=[_Art("tattoo", 0, "Drawing of the rose tattoo", "rose", "tan")],
        ),
        _rec(
            "DEMO-AU-2008-0719",
            "AU",
            "Missing since July 2008: Jessica Tran",
            "female",
            _event(
                "2008-07-19",
                "Cavill Avenue, Surfers Paradise",
                "Gold Coast",
                "AU",
                region="Queensland",
                lat=-28.0023,
                lon=153.4300,
            ),
            kind="missing",
            name="Jessica Tran",
            age=(16, 16),
            height=(157, 157),
            hair="black, long",
            eyes="brown",
            circumstances="Jessica was last seen with friends on Cavill Avenue in the evening.",
            clothing=[_item("school blazer", colour="navy blue", size="12")],
            belongings=[_item("mobile phone", description="pink case with a cat sticker")],
            biometrics=_bio(True, False, True),
            restricted=_restricted(44, "Friends re-interviewed in 2018."),
        ),
    ]


def _austria() -> list[Json]:
    return [
        _rec(
            "DEMO-AT-1998-0203",
            "AT",
            "Skier found near the Arlberg pass",
            "male",
            _event(
                "1998-02-03",
                "off-piste slope below the pass road",
                "St. Anton am Arlberg",
                "AT",
                region="Tirol",
            ),
            age=(25, 35),
            height=(178, 184),
            hair="brown",
            circumstances="Ski patrollers found the man after an avalanche on the off-piste slope.",
            clothing=[
                _item("ski jacket", colour="red", brand="Salewa", size="L"),
                _item("ski trousers", colour="black", brand="Salewa", size="L"),
            ],
            belongings=[_item("keys", description="car key and two door keys on a ring")],
            biometrics=_bio(True, True, True),
            translations={
                "de": {
                    "title": "Skifahrer am Arlbergpass gefunden",
                    "circumstances": (
                        "Die Pistenrettung fand den Mann nach einer Lawine im freien Gelände."
                    ),
                }
            },
            restricted=_restricted(45, "Car rental companies in Innsbruck contacted."),
        ),
        _rec(
            "DEMO-AT-2016-0905",
            "AT",
            "Woman found in the Danube near Hainburg",
            "female",
            _event(
                "2016-09-05", "Danube bank below the castle hill", "Hainburg an der Donau", "AT"
            ),
            age=(40, 55),
            height=(165, 170),
            hair="dark brown, shoulder-length",
            eyes="brown",
            circumstances="Cyclists on the Danube path saw the woman in the water.",
            marks=[
                _mark(
                    "tattoo",
                    "nape of the neck",
                    "a Greek word in capitals",
                    inscription="ΕΛΠΙΔΑ",
                    colours=["black"],
                ),
                _mark(
                    "tattoo",
                    "left forearm",
                    "compass with the letters N E S W",
                    colours=["black", "red"],
                ),
            ],
            biometrics=_bio(True, True, False),
            translations={
                "de": {
                    "title": "Frau in der Donau bei Hainburg gefunden",
                    "circumstances": "Radfahrer auf dem Donauradweg sahen die Frau im Wasser.",
                }
            },
            restricted=_restricted(46, "Slovak and Hungarian police consulted."),
        ),
    ]
