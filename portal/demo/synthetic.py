"""Synthetic appeal records in bulk (no images) for load tests and search benchmarks."""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

# Synthetic restricted objects carry the same marker as the demo set, so leak tests can use either.
RESTRICTED_MARKER = "DEMO-RESTRICTED"
_FIRST_DAY = date(1975, 1, 1).toordinal()
_LAST_DAY = date(2025, 12, 31).toordinal()
_LAST_EVENT_FOR_IDENTIFIED = date(2025, 6, 30).toordinal()


@dataclass(frozen=True)
class _Place:
    locality: str
    region: str
    lat: float
    lon: float


@dataclass(frozen=True)
class _Agency:
    code: str
    name: str
    country: str
    names: str  # key into _NAMES
    language: str | None  # translation language, if the country publishes in one besides English
    places: tuple[_Place, ...]

    def as_json(self) -> dict[str, str]:
        return {
            "code": self.code,
            "name": self.name,
            "country": self.country,
            "tip_email": f"tips@{self.code.lower()}.police.example",
        }


def _places(*rows: tuple[str, str, float, float]) -> tuple[_Place, ...]:
    return tuple(_Place(*row) for row in rows)


# Thirty fictional agencies over 24 countries; coordinates are the real towns' centres.
_AGENCIES: tuple[_Agency, ...] = (
    _Agency(
        "BE-SYN-NORD",
        "Police judiciaire fédérale Nord (synthetic)",
        "BE",
        "nl",
        "nl",
        _places(
            ("Antwerpen", "Antwerpen", 51.22, 4.40),
            ("Gent", "Oost-Vlaanderen", 51.05, 3.72),
            ("Liège", "Liège", 50.63, 5.57),
        ),
    ),
    _Agency(
        "NL-SYN-VERMIST",
        "Politie Team Vermiste Personen (synthetic)",
        "NL",
        "nl",
        "nl",
        _places(
            ("Rotterdam", "Zuid-Holland", 51.92, 4.48),
            ("Utrecht", "Utrecht", 52.09, 5.12),
            ("Groningen", "Groningen", 53.22, 6.57),
            ("Eindhoven", "Noord-Brabant", 51.44, 5.47),
        ),
    ),
    _Agency(
        "DE-SYN-NORD",
        "Landeskriminalamt Nord, Vermisstenstelle (synthetic)",
        "DE",
        "de",
        "de",
        _places(
            ("Hamburg", "Hamburg", 53.55, 9.99),
            ("Berlin", "Berlin", 52.52, 13.40),
            ("Leipzig", "Sachsen", 51.34, 12.37),
        ),
    ),
    _Agency(
        "DE-SYN-SUED",
        "Landeskriminalamt Süd, Vermisstenstelle (synthetic)",
        "DE",
        "de",
        "de",
        _places(
            ("München", "Bayern", 48.14, 11.58),
            ("Frankfurt am Main", "Hessen", 50.11, 8.68),
            ("Stuttgart", "Baden-Württemberg", 48.78, 9.18),
        ),
    ),
    _Agency(
        "GB-SYN-NORTH",
        "Northern Missing Persons Unit (synthetic)",
        "GB",
        "en",
        None,
        _places(
            ("Liverpool", "Merseyside", 53.41, -2.98),
            ("Leeds", "West Yorkshire", 53.80, -1.55),
            ("Glasgow", "Scotland", 55.86, -4.25),
        ),
    ),
    _Agency(
        "GB-SYN-SOUTH",
        "Southern Missing Persons Unit (synthetic)",
        "GB",
        "en",
        None,
        _places(
            ("Bristol", "Bristol", 51.45, -2.59),
            ("Cardiff", "Wales", 51.48, -3.18),
            ("Southampton", "Hampshire", 50.90, -1.40),
        ),
    ),
    _Agency(
        "FR-SYN-NORD",
        "Office des personnes disparues, Nord (synthetic)",
        "FR",
        "fr",
        "fr",
        _places(
            ("Lille", "Nord", 50.63, 3.06),
            ("Strasbourg", "Bas-Rhin", 48.57, 7.75),
            ("Nantes", "Loire-Atlantique", 47.22, -1.55),
        ),
    ),
    _Agency(
        "FR-SYN-SUD",
        "Office des personnes disparues, Sud (synthetic)",
        "FR",
        "fr",
        "fr",
        _places(
            ("Marseille", "Bouches-du-Rhône", 43.30, 5.37),
            ("Bordeaux", "Gironde", 44.84, -0.58),
            ("Toulouse", "Haute-Garonne", 43.60, 1.44),
        ),
    ),
    _Agency(
        "ES-SYN-NORTE",
        "Unidad de Desaparecidos Norte (synthetic)",
        "ES",
        "es",
        "es",
        _places(
            ("Bilbao", "País Vasco", 43.26, -2.93),
            ("Zaragoza", "Aragón", 41.65, -0.89),
            ("Barcelona", "Cataluña", 41.39, 2.17),
        ),
    ),
    _Agency(
        "ES-SYN-SUR",
        "Unidad de Desaparecidos Sur (synthetic)",
        "ES",
        "es",
        "es",
        _places(
            ("Valencia", "Comunitat Valenciana", 39.47, -0.38),
            ("Málaga", "Andalucía", 36.72, -4.42),
            ("Granada", "Andalucía", 37.18, -3.60),
        ),
    ),
    _Agency(
        "IT-SYN-NORD",
        "Nucleo Persone Scomparse Nord (synthetic)",
        "IT",
        "it",
        "it",
        _places(
            ("Milano", "Lombardia", 45.46, 9.19),
            ("Torino", "Piemonte", 45.07, 7.69),
            ("Genova", "Liguria", 44.41, 8.93),
        ),
    ),
    _Agency(
        "IT-SYN-SUD",
        "Nucleo Persone Scomparse Sud (synthetic)",
        "IT",
        "it",
        "it",
        _places(
            ("Napoli", "Campania", 40.85, 14.27),
            ("Bari", "Puglia", 41.12, 16.87),
            ("Palermo", "Sicilia", 38.12, 13.36),
        ),
    ),
    _Agency(
        "PL-SYN-POSZUK",
        "Centrum Poszukiwań Osób Zaginionych (synthetic)",
        "PL",
        "pl",
        "pl",
        _places(
            ("Warszawa", "Mazowieckie", 52.23, 21.01),
            ("Kraków", "Małopolskie", 50.06, 19.94),
            ("Wrocław", "Dolnośląskie", 51.11, 17.03),
            ("Szczecin", "Zachodniopomorskie", 53.43, 14.55),
        ),
    ),
    _Agency(
        "IE-SYN-MPB",
        "Missing Persons Bureau Ireland (synthetic)",
        "IE",
        "ie",
        None,
        _places(
            ("Dublin", "Dublin", 53.35, -6.26),
            ("Cork", "Cork", 51.90, -8.47),
            ("Limerick", "Limerick", 52.66, -8.63),
        ),
    ),
    _Agency(
        "AU-SYN-NSW",
        "New South Wales Missing Persons Registry (synthetic)",
        "AU",
        "en",
        None,
        _places(
            ("Sydney", "New South Wales", -33.87, 151.21),
            ("Newcastle", "New South Wales", -32.93, 151.78),
        ),
    ),
    _Agency(
        "AU-SYN-VIC",
        "Victoria Missing Persons Squad (synthetic)",
        "AU",
        "en",
        None,
        _places(
            ("Melbourne", "Victoria", -37.81, 144.96),
            ("Geelong", "Victoria", -38.15, 144.36),
        ),
    ),
    _Agency(
        "AT-SYN-ABG",
        "Referat Abgängige Personen (synthetic)",
        "AT",
        "de",
        "de",
        _places(
            ("Wien", "Wien", 48.21, 16.37),
            ("Graz", "Steiermark", 47.07, 15.44),
            ("Salzburg", "Salzburg", 47.81, 13.06),
        ),
    ),
    _Agency(
        "PT-SYN-PJ",
        "Polícia Judiciária, Pessoas Desaparecidas (synthetic)",
        "PT",
        "pt",
        "pt",
        _places(
            ("Lisboa", "Lisboa", 38.72, -9.14),
            ("Porto", "Porto", 41.15, -8.61),
            ("Faro", "Algarve", 37.02, -7.93),
        ),
    ),
    _Agency(
        "SE-SYN-NOA",
        "Nationella operativa avdelningen, Försvunna (synthetic)",
        "SE",
        "nordic",
        "sv",
        _places(
            ("Stockholm", "Stockholm", 59.33, 18.07),
            ("Göteborg", "Västra Götaland", 57.71, 11.97),
            ("Malmö", "Skåne", 55.60, 13.00),
        ),
    ),
    _Agency(
        "NO-SYN-KRIPOS",
        "Savnede personer, Kripos-seksjonen (synthetic)",
        "NO",
        "nordic",
        None,
        _places(
            ("Oslo", "Oslo", 59.91, 10.75),
            ("Bergen", "Vestland", 60.39, 5.32),
            ("Trondheim", "Trøndelag", 63.43, 10.40),
        ),
    ),
    _Agency(
        "DK-SYN-NKC",
        "Rigspolitiet, Forsvundne Personer (synthetic)",
        "DK",
        "nordic",
        None,
        _places(
            ("København", "Hovedstaden", 55.68, 12.57),
            ("Aarhus", "Midtjylland", 56.16, 10.20),
            ("Odense", "Syddanmark", 55.40, 10.39),
        ),
    ),
    _Agency(
        "FI-SYN-KRP",
        "Kadonneiden henkilöiden yksikkö (synthetic)",
        "FI",
        "nordic",
        None,
        _places(
            ("Helsinki", "Uusimaa", 60.17, 24.94),
            ("Tampere", "Pirkanmaa", 61.50, 23.76),
            ("Turku", "Varsinais-Suomi", 60.45, 22.27),
        ),
    ),
    _Agency(
        "CZ-SYN-PATRANI",
        "Oddělení pátrání po osobách (synthetic)",
        "CZ",
        "cz",
        None,
        _places(
            ("Praha", "Praha", 50.08, 14.44),
            ("Brno", "Jihomoravský kraj", 49.20, 16.61),
            ("Ostrava", "Moravskoslezský kraj", 49.82, 18.26),
        ),
    ),
    _Agency(
        "CH-SYN-FEDPOL",
        "Vermisste Personen, Bundeskriminalpolizei (synthetic)",
        "CH",
        "de",
        "de",
        _places(
            ("Zürich", "Zürich", 47.38, 8.54),
            ("Genève", "Genève", 46.20, 6.14),
            ("Basel", "Basel-Stadt", 47.56, 7.59),
        ),
    ),
    _Agency(
        "GR-SYN-AGNOOUMENOI",
        "Missing Persons Office, Hellenic Region (synthetic)",
        "GR",
        "gr",
        None,
        _places(
            ("Athina", "Attiki", 37.98, 23.73),
            ("Thessaloniki", "Kentriki Makedonia", 40.64, 22.94),
            ("Patra", "Dytiki Ellada", 38.25, 21.73),
        ),
    ),
    _Agency(
        "HU-SYN-ORFK",
        "Eltűnt Személyek Osztálya (synthetic)",
        "HU",
        "hu",
        None,
        _places(
            ("Budapest", "Budapest", 47.50, 19.04),
            ("Debrecen", "Hajdú-Bihar", 47.53, 21.63),
            ("Szeged", "Csongrád-Csanád", 46.25, 20.15),
        ),
    ),
    _Agency(
        "CA-SYN-NCMPUR",
        "Missing Persons and Unidentified Remains Centre (synthetic)",
        "CA",
        "en",
        None,
        _places(
            ("Toronto", "Ontario", 43.65, -79.38),
            ("Montréal", "Québec", 45.50, -73.57),
            ("Vancouver", "British Columbia", 49.28, -123.12),
        ),
    ),
    _Agency(
        "NZ-SYN-MPU",
        "Missing Persons Unit Aotearoa (synthetic)",
        "NZ",
        "en",
        None,
        _places(
            ("Auckland", "Auckland", -36.85, 174.76),
            ("Wellington", "Wellington", -41.29, 174.78),
            ("Christchurch", "Canterbury", -43.53, 172.64),
        ),
    ),
    _Agency(
        "RO-SYN-IGPR",
        "Serviciul Persoane Dispărute (synthetic)",
        "RO",
        "ro",
        None,
        _places(
            ("București", "București", 44.43, 26.10),
            ("Cluj-Napoca", "Cluj", 46.77, 23.59),
            ("Constanța", "Constanța", 44.18, 28.63),
        ),
    ),
    _Agency(
        "HR-SYN-NESTALI",
        "Odjel za nestale osobe (synthetic)",
        "HR",
        "hr",
        None,
        _places(
            ("Zagreb", "Grad Zagreb", 45.81, 15.98),
            ("Split", "Splitsko-dalmatinska", 43.51, 16.44),
            ("Rijeka", "Primorsko-goranska", 45.33, 14.44),
        ),
    ),
)

# First names (female, male) and surnames per naming tradition.
_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "nl": (
        ("Anke", "Lotte", "Sanne", "Fleur", "Marieke", "Els", "Noor", "Femke"),
        ("Jeroen", "Bram", "Sven", "Pieter", "Koen", "Wouter", "Thijs", "Ruben"),
        ("de Jong", "Jansen", "Peeters", "Janssens", "Visser", "Maes", "Bakker", "Willems"),
    ),
    "de": (
        ("Anna", "Katrin", "Sabine", "Julia", "Monika", "Lena", "Birgit", "Sophie"),
        ("Thomas", "Stefan", "Lukas", "Andreas", "Jürgen", "Felix", "Markus", "Tobias"),
        ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Huber", "Wagner"),
    ),
    "en": (
        ("Sarah", "Emma", "Claire", "Rebecca", "Joanne", "Amy", "Hannah", "Olivia"),
        ("James", "Daniel", "Mark", "Liam", "Paul", "Ryan", "Steven", "Michael"),
        ("Smith", "Taylor", "Brown", "Wilson", "Evans", "Walker", "Roberts", "Clarke"),
    ),
    "ie": (
        ("Aoife", "Siobhán", "Niamh", "Róisín", "Orla", "Caoimhe", "Sinéad", "Mary"),
        ("Seán", "Cian", "Darragh", "Pádraig", "Conor", "Eoin", "Declan", "Ronan"),
        ("Murphy", "O'Brien", "Kelly", "Walsh", "Ó Briain", "Byrne", "Ryan", "McCarthy"),
    ),
    "fr": (
        ("Camille", "Nathalie", "Chloé", "Sandrine", "Léa", "Amélie", "Inès", "Sophie"),
        ("Julien", "Nicolas", "Théo", "Mathieu", "Karim", "Olivier", "Hugo", "Sébastien"),
        ("Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Girard", "Fournier", "Roux"),
    ),
    "es": (
        ("María", "Lucía", "Carmen", "Ana", "Laura", "Marta", "Paula", "Elena"),
        ("Javier", "Carlos", "Álvaro", "Diego", "Manuel", "Pablo", "Sergio", "Jorge"),
        ("García", "Fernández", "López", "Martínez", "Sánchez", "Pérez", "Gómez", "Ruiz"),
    ),
    "it": (
        ("Giulia", "Francesca", "Chiara", "Sara", "Valentina", "Elisa", "Martina", "Paola"),
        ("Marco", "Luca", "Giuseppe", "Alessandro", "Matteo", "Davide", "Andrea", "Stefano"),
        ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci"),
    ),
    "pl": (
        ("Anna", "Katarzyna", "Agnieszka", "Magdalena", "Joanna", "Zofia", "Ewa", "Małgorzata"),
        ("Piotr", "Krzysztof", "Tomasz", "Paweł", "Michał", "Łukasz", "Jakub", "Marek"),
        ("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kamiński", "Lewandowski", "Zieliński"),
    ),
    "pt": (
        ("Ana", "Beatriz", "Inês", "Mariana", "Joana", "Rita", "Sofia", "Catarina"),
        ("João", "Tiago", "Rui", "Miguel", "Pedro", "André", "Nuno", "Duarte"),
        ("Silva", "Santos", "Ferreira", "Pereira", "Oliveira", "Costa", "Rodrigues", "Sousa"),
    ),
    "nordic": (
        ("Ingrid", "Sofia", "Maja", "Freja", "Aino", "Sigrid", "Astrid", "Linnea"),
        ("Lars", "Erik", "Mikkel", "Oskar", "Jussi", "Anders", "Henrik", "Johan"),
        ("Andersson", "Hansen", "Nielsen", "Johansson", "Virtanen", "Larsen", "Berg", "Lindqvist"),
    ),
    "cz": (
        ("Jana", "Petra", "Lucie", "Tereza", "Eva", "Kateřina", "Veronika", "Lenka"),
        ("Jan", "Petr", "Tomáš", "Jiří", "Martin", "Ondřej", "Pavel", "Lukáš"),
        ("Novák", "Svoboda", "Dvořák", "Černý", "Procházka", "Kučera", "Veselý", "Horák"),
    ),
    "gr": (
        ("Maria", "Eleni", "Katerina", "Sofia", "Dimitra", "Georgia", "Anna", "Vasiliki"),
        ("Giorgos", "Nikos", "Dimitris", "Kostas", "Giannis", "Christos", "Panagiotis", "Vasilis"),
        ("Papadopoulos", "Georgiou", "Nikolaou", "Ioannou", "Konstantinou", "Christodoulou"),
    ),
    "hu": (
        ("Anna", "Eszter", "Katalin", "Réka", "Zsófia", "Judit", "Nóra", "Krisztina"),
        ("László", "Gábor", "Zoltán", "Péter", "Bence", "Attila", "Tamás", "Balázs"),
        ("Nagy", "Kovács", "Tóth", "Szabó", "Horváth", "Varga", "Kiss", "Molnár"),
    ),
    "ro": (
        ("Ioana", "Elena", "Andreea", "Maria", "Alexandra", "Cristina", "Mihaela", "Ana"),
        ("Andrei", "Mihai", "Alexandru", "Ionuț", "Florin", "Cristian", "Vlad", "Gabriel"),
        ("Popescu", "Ionescu", "Popa", "Dumitru", "Stan", "Constantin", "Munteanu", "Matei"),
    ),
    "hr": (
        ("Ana", "Ivana", "Marija", "Petra", "Maja", "Lucija", "Katarina", "Nikolina"),
        ("Ivan", "Marko", "Luka", "Josip", "Tomislav", "Ante", "Matej", "Filip"),
        ("Horvat", "Kovačević", "Babić", "Marić", "Jurić", "Novak", "Knežević", "Vuković"),
    ),
}

# (motif words for description and title, sensible colour sets)
_MOTIFS: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...] = (
    ("rose", (("black", "red", "green"), ("black",), ("black", "red"))),
    ("flower", (("black", "pink", "green"), ("black",), ("blue", "purple"))),
    ("lotus flower", (("black", "pink"), ("black",))),
    ("anchor", (("blue",), ("black",), ("black", "blue", "red"))),
    ("swallow", (("black", "blue", "red"), ("black",))),
    ("heart with a banner", (("black", "red"), ("black", "red", "blue"))),
    ("three small stars", (("black",), ("blue",))),
    ("nautical star", (("black", "red"), ("black", "blue"))),
    ("butterfly", (("blue", "purple"), ("black", "orange"), ("black",))),
    ("dragon", (("black", "green", "red"), ("black",))),
    ("serpent", (("black", "green"), ("black",))),
    ("koi fish", (("black", "orange", "red", "blue"), ("black",))),
    ("skull", (("black",), ("black", "red"))),
    ("cross", (("black",), ("blue",))),
    ("compass", (("black",), ("black", "blue"))),
    ("tribal band", (("black",),)),
    ("Celtic knot", (("black",), ("black", "green"))),
    ("wolf's head", (("black",),)),
    ("eagle", (("black",), ("black", "brown"))),
    ("lion", (("black",), ("black", "yellow"))),
    ("dolphin", (("blue",), ("black", "blue"))),
    ("dove", (("black",),)),
    ("feather", (("black",), ("black", "blue"))),
    ("infinity sign", (("black",),)),
    ("music notes", (("black",),)),
    ("clock without hands", (("black",),)),
    ("rosary", (("black",),)),
    ("crescent moon and stars", (("black",), ("black", "yellow"))),
    ("sun", (("black",), ("black", "orange"))),
    ("mandala", (("black",),)),
    ("paw prints", (("black",),)),
    ("dreamcatcher", (("black",), ("black", "blue"))),
    ("crown", (("black",), ("black", "yellow"))),
    ("spider web", (("black",),)),
    ("sailing ship", (("blue",), ("black",))),
    ("hummingbird", (("black", "green", "blue"),)),
    ("scorpion", (("black",),)),
    ("playing cards", (("black", "red"),)),
    ("barcode", (("black",),)),
    ("hibiscus flower", (("black", "red", "green"),)),
)
_LETTERED = ("name", "date", "word", "line of lettering", "initials")
_INSCRIPTIONS: tuple[str, ...] = (
    "Mum",
    "Mother",
    "Dad",
    "Love",
    "Hope",
    "Faith",
    "Forever",
    "Carpe diem",
    "No regrets",
    "Born free",
    "13",
    "1984",
    "R.I.P. Nan",
    "Semper fidelis",
    "Amor vincit omnia",
    "Only God can judge me",
    "Live, laugh, love",
    "12.06.1988",
    "XIV",
    "A + J",
    "Mamma",
    "Maman",
    "Mutti",
    "Mamá",
    "Für immer",
    "Pour toujours",
    "Siempre",
    "Zawsze",
    "Мама",
    "Надежда",
    "愛",
    "希望",
    "אמא",
    "Ελπίδα",
    "صبر",
    "ॐ",
    "사랑",
    "¡Viva la vida!",
    "L'amour",
    "1/1",
)
_TATTOO_LOCATIONS: tuple[str, ...] = (
    "left forearm",
    "right forearm",
    "inside of the left wrist",
    "inside of the right wrist",
    "back of the left hand",
    "back of the right hand",
    "nape of the neck",
    "left shoulder",
    "right shoulder",
    "right shoulder blade",
    "between the shoulder blades",
    "lower back",
    "left ankle",
    "right ankle",
    "left calf",
    "right calf",
    "chest",
    "left side of the chest",
    "left upper arm",
    "right upper arm",
    "fingers of the left hand",
    "knuckles of the right hand",
    "right side of the neck",
    "behind the left ear",
    "top of the right foot",
    "left thigh",
    "right hip",
    "abdomen",
)
_OTHER_MARKS: tuple[tuple[str, str, str], ...] = (
    ("scar", "lower right abdomen", "appendectomy scar, about 6 cm"),
    ("scar", "right knee", "vertical surgical scar, about 10 cm"),
    ("scar", "left eyebrow", "small healed scar through the eyebrow"),
    ("scar", "back of the left hand", "old burn scar, about 4 cm"),
    ("scar", "lower abdomen", "horizontal scar consistent with a caesarean section"),
    ("scar", "chin", "small scar under the chin"),
    ("birthmark", "left cheek", "light brown birthmark, about 1 cm"),
    ("birthmark", "back of the neck", "red strawberry mark"),
    ("birthmark", "right thigh", "port-wine stain, about 5 cm"),
    ("piercing", "left ear lobe", "three small silver rings"),
    ("piercing", "nose, left nostril", "small stud"),
    ("piercing", "right eyebrow", "silver bar"),
    ("piercing", "navel", "ring with a small stone"),
    ("piercing", "tongue", "steel stud"),
    ("piercing", "lower lip", "black ring"),
    ("amputation", "left index finger", "tip of the finger missing, healed long ago"),
    ("amputation", "right little toe", "toe missing"),
    ("implant", "chest", "cardiac pacemaker"),
    ("implant", "left hip", "hip replacement"),
    ("implant", "right knee", "knee replacement"),
    ("mark", "both forearms", "many freckles"),
    ("other", "left wrist", "healed fracture visible on X-ray"),
    ("other", "teeth", "noticeable gap between the upper front teeth"),
)
_COLOURS: tuple[str, ...] = (
    "black",
    "white",
    "grey",
    "dark grey",
    "navy blue",
    "blue",
    "light blue",
    "red",
    "burgundy",
    "green",
    "dark green",
    "olive green",
    "khaki",
    "beige",
    "brown",
    "camel",
    "pink",
    "purple",
    "yellow",
    "orange",
    "cream",
    "denim",
)
# (item, material or "", size system)
_CLOTHING: tuple[tuple[str, str, str], ...] = (
    ("T-shirt", "cotton", "letter"),
    ("shirt", "cotton", "collar"),
    ("blouse", "viscose", "eu"),
    ("sweater", "wool", "letter"),
    ("hoodie", "cotton", "letter"),
    ("fleece", "polyester", "letter"),
    ("polo shirt", "cotton", "letter"),
    ("jacket", "polyester", "letter"),
    ("leather jacket", "leather", "letter"),
    ("denim jacket", "denim", "letter"),
    ("parka", "nylon", "letter"),
    ("raincoat", "nylon", "letter"),
    ("puffer jacket", "nylon", "letter"),
    ("coat", "wool", "eu"),
    ("tracksuit top", "polyester", "letter"),
    ("jeans", "denim", "waist"),
    ("trousers", "cotton", "waist"),
    ("tracksuit bottoms", "cotton", "letter"),
    ("cargo trousers", "cotton", "waist"),
    ("skirt", "", "eu"),
    ("dress", "", "eu"),
    ("shorts", "cotton", "waist"),
    ("leggings", "", "letter"),
    ("trainers", "", "shoe"),
    ("boots", "leather", "shoe"),
    ("walking boots", "", "shoe"),
    ("shoes", "leather", "shoe"),
    ("sandals", "", "shoe"),
    ("cap", "", ""),
    ("beanie", "wool", ""),
    ("scarf", "wool", ""),
    ("gloves", "", ""),
    ("belt", "leather", ""),
)
_BRANDS: tuple[str, ...] = (
    "Adidas",
    "Nike",
    "Puma",
    "Levi's",
    "H&M",
    "Zara",
    "C&A",
    "Primark",
    "Uniqlo",
    "The North Face",
    "Columbia",
    "Jack & Jones",
    "Esprit",
    "Mango",
    "Tommy Hilfiger",
    "Lacoste",
    "Reebok",
    "New Balance",
    "Converse",
    "Vans",
    "Dr. Martens",
    "Timberland",
    "Wrangler",
    "Lee",
    "Diesel",
    "G-Star",
    "Quechua",
    "Kappa",
    "Fila",
    "Umbro",
    "Decathlon",
    "Marks & Spencer",
)
_SIZES: dict[str, tuple[str, ...]] = {
    "letter": ("XS", "S", "M", "L", "XL", "XXL"),
    "eu": ("34", "36", "38", "40", "42", "44", "46"),
    "collar": ("38", "39", "40", "41", "42", "43"),
    "waist": ("W28 L30", "W30 L32", "W32 L32", "W34 L32", "W36 L34", "W38 L32"),
    "shoe": ("36", "37", "38", "39", "40", "41", "42", "43", "44", "45", "46"),
}
_JEWELLERY: tuple[tuple[str, str], ...] = (
    ("ring", "plain band"),
    ("wedding ring", "plain band on the left ring finger"),
    ("signet ring", "oval face"),
    ("ring", "with a small red stone"),
    ("necklace", "fine chain with a cross"),
    ("necklace", "chain with a heart pendant"),
    ("necklace", "chain with a St Christopher medal"),
    ("necklace", "chain with a letter pendant"),
    ("locket", "oval locket on a chain"),
    ("watch", "digital, Casio"),
    ("watch", "analogue, Seiko"),
    ("watch", "Swatch with a plastic strap"),
    ("watch", "Citizen, steel bracelet"),
    ("earrings", "small hoops"),
    ("earrings", "studs"),
    ("bracelet", "charm bracelet"),
    ("bracelet", "leather band with beads"),
    ("chain", "heavy curb chain"),
    ("anklet", "thin chain"),
)
_METALS: tuple[str, ...] = ("gold", "silver", "white gold", "stainless steel", "rose gold")
_ENGRAVINGS: tuple[str, ...] = (
    "A & M 14.02.1999",
    "Forever",
    "Te quiero",
    "Pour toujours",
    "Für immer",
    "J.K. 1987",
    "Love you always",
    "Ti amo",
    "Kocham Cię",
    "25 years",
    "M",
    "Eu te amo",
)
_BELONGINGS: tuple[tuple[str, str], ...] = (
    ("lighter", "brass petrol lighter"),
    ("lighter", "red plastic disposable lighter"),
    ("keys", "three keys on a ring"),
    ("keys", "car key and a house key"),
    ("mobile phone", "no SIM card"),
    ("mobile phone", "cracked screen, black case"),
    ("wallet", "brown leather, empty"),
    ("rosary", "wooden beads"),
    ("cigarettes", "half-empty packet"),
    ("bus ticket", "single journey"),
    ("lottery ticket", "from a local kiosk"),
    ("photograph", "of a small dog"),
    ("rucksack", "dark blue, empty"),
    ("umbrella", "black, folding"),
    ("reading glasses", "tortoiseshell frames"),
    ("hearing aid", "behind-the-ear model, left ear"),
    ("inhaler", "blue asthma inhaler"),
    ("tobacco tin", "with rolling papers"),
    ("pocket knife", "wooden handle"),
    ("prayer beads", "green glass beads"),
    ("headphones", "white in-ear"),
    ("coin purse", "red, a few coins"),
)
_DENTAL: tuple[str, ...] = (
    "Gold crown on the upper left canine.",
    "Several amalgam fillings in the molars.",
    "Full upper denture.",
    "Upper and lower partial dentures.",
    "Missing lower left first molar.",
    "Orthodontic retainer wire behind the lower front teeth.",
    "Porcelain bridge in the upper jaw.",
    "Root canal treatment on two teeth.",
    "Chipped upper right front tooth.",
    "Wisdom teeth removed.",
)
_HAIR_COLOURS = ("black", "dark brown", "brown", "light brown", "blond", "red", "grey", "white")
_HAIR_STYLES = ("short", "shoulder-length", "long", "cropped", "curly", "in a ponytail", "balding")
_EYES = ("blue", "brown", "green", "grey", "hazel", "dark brown", "unknown")
_BUILDS = ("slim", "medium", "heavy", "athletic", "stocky", "thin", "muscular", "petite")
# (how a title or narrative says it, what goes in event.place)
_FIND_PLACES: tuple[tuple[str, str], ...] = (
    ("on a riverbank", "riverbank"),
    ("in woodland beside a footpath", "woodland beside a footpath"),
    ("on an industrial estate", "industrial estate"),
    ("on the beach", "beach"),
    ("in a lay-by on the motorway", "lay-by on the motorway"),
    ("at the allotment gardens", "allotment gardens"),
    ("on the canal towpath", "canal towpath"),
    ("on a railway embankment", "railway embankment"),
    ("in a city park", "city park"),
    ("on the harbour quay", "harbour quay"),
    ("in a disused farm building", "disused farm building"),
    ("on the lake shore", "lake shore"),
    ("on a mountain trail", "mountain trail"),
    ("in a supermarket car park", "supermarket car park"),
    ("in a derelict warehouse", "derelict warehouse"),
    ("in a bus shelter", "bus shelter"),
    ("in the dunes", "dunes"),
    ("in the river, near a weir", "river, near a weir"),
)
_LAST_SEEN: tuple[str, ...] = (
    "railway station",
    "leaving home",
    "outside a nightclub",
    "bus stop",
    "shopping centre",
    "leaving work",
    "school gates",
    "ferry terminal",
    "petrol station",
    "hospital entrance",
)
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# Translated titles: {person} takes the localised noun and participle, agreeing with the sex.
_TITLE_TRANSLATIONS: dict[str, tuple[str, dict[str, str]]] = {
    "nl": (
        "{person} in {town}",
        {"female": "Vrouw gevonden", "male": "Man gevonden", "unknown": "Persoon gevonden"},
    ),
    "de": ("{person} in {town} gefunden", {"female": "Frau", "male": "Mann", "unknown": "Person"}),
    "fr": (
        "{person} à {town}",
        {"female": "Femme retrouvée", "male": "Homme retrouvé", "unknown": "Personne retrouvée"},
    ),
    "es": (
        "{person} en {town}",
        {"female": "Mujer hallada", "male": "Hombre hallado", "unknown": "Persona hallada"},
    ),
    "it": (
        "{person} a {town}",
        {"female": "Donna ritrovata", "male": "Uomo ritrovato", "unknown": "Persona ritrovata"},
    ),
    "pl": (
        "{person} w miejscowości {town}",
        {
            "female": "Kobieta znaleziona",
            "male": "Mężczyzna znaleziony",
            "unknown": "Osoba znaleziona",
        },
    ),
    "pt": (
        "{person} em {town}",
        {"female": "Mulher encontrada", "male": "Homem encontrado", "unknown": "Pessoa encontrada"},
    ),
    "sv": (
        "{person} i {town}",
        {"female": "Kvinna hittad", "male": "Man hittad", "unknown": "Person hittad"},
    ),
}
_STATUSES = ("published", "identified", "draft", "withdrawn")
_STATUS_CUM_WEIGHTS = (82, 91, 97, 100)


def generate_records(count: int, *, seed: int = 0) -> Iterator[dict[str, Any]]:
    """Yield `count` distinct valid records, SYN-000001 upwards; one seed, one sequence."""
    rng = random.Random(seed)
    for number in range(1, count + 1):
        yield _record(rng, number)


def write_jsonl(records: Iterable[dict[str, Any]], path: Path) -> int:
    """Write records as JSON Lines (UTF-8, one per line); return how many were written."""
    written = 0
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False))
            out.write("\n")
            written += 1
    return written


def _pick(rng: random.Random, items: Sequence[Any]) -> Any:
    return items[int(rng.random() * len(items))]


def _record(rng: random.Random, number: int) -> dict[str, Any]:
    agency = _pick(rng, _AGENCIES)
    place: _Place = _pick(rng, agency.places)
    status = rng.choices(_STATUSES, cum_weights=_STATUS_CUM_WEIGHTS)[0]
    kind = "missing" if status != "identified" and rng.random() < 0.2 else "unidentified"
    sex = "female" if rng.random() < 0.42 else "male"
    if kind == "unidentified" and rng.random() < 0.03:
        sex = "unknown"
    last_day = _LAST_EVENT_FOR_IDENTIFIED if status == "identified" else _LAST_DAY
    when = date.fromordinal(rng.randint(_FIRST_DAY, last_day))
    roll = rng.random()
    precision = "day" if kind == "missing" or roll < 0.78 else ("month" if roll < 0.92 else "year")
    if precision == "month":
        when = when.replace(day=1)
    elif precision == "year":
        when = when.replace(month=1, day=1)

    age_min = rng.randint(14, 75)
    if kind == "missing":
        age = {"min": age_min, "max": age_min}
    else:
        age = {"min": age_min, "max": min(120, age_min + rng.choice((5, 10, 10, 15, 20)))}
    base_height = 165 if sex == "female" else 177
    height_min = max(140, min(200, int(rng.gauss(base_height, 7))))
    height_max = height_min + (0 if kind == "missing" else rng.randint(2, 8))

    first_f, first_m, surnames = _NAMES[agency.names]
    name = None
    if kind == "missing" or status == "identified":
        first = _pick(rng, first_f if sex == "female" else first_m)
        name = f"{first} {_pick(rng, surnames)}"

    marks = _marks(rng)
    person = _person(sex, age["min"], kind)
    town = place.locality
    if kind == "missing":
        spot = _pick(rng, _LAST_SEEN)
        title = f"Missing since {_MONTHS[when.month - 1]} {when.year}: {name}"
        circumstances = (
            f"{name} was last seen near the {spot} in {town}. Family and friends have not heard "
            "from them since."
        )
    else:
        phrase, spot = _pick(rng, _FIND_PLACES)
        tattoo = next((m for m in marks if m["type"] == "tattoo"), None)
        if tattoo is not None and rng.random() < 0.6:
            motif = tattoo["description"].split(",")[0]
            title = f"{person} with the {motif} tattoo found in {town}"
        else:
            title = f"{person} found {phrase} in {town}"
        if status == "identified":
            title = f"{person} found in {town}, now identified"
        circumstances = (
            f"A member of the public found the {person.lower()} {phrase} in {town}. "
            "Investigators have not been able to establish who they are."
        )

    record: dict[str, Any] = {
        "record_id": f"SYN-{number:06d}",
        "agency": agency.as_json(),
        "kind": kind,
        "status": status,
    }
    if name is not None:
        record["name"] = name
    record["title"] = title[:200]
    record["sex"] = sex
    record["age"] = age
    record["height_cm"] = {"min": height_min, "max": height_max}
    if rng.random() < 0.5:
        weight_min = rng.randint(45, 110)
        record["weight_kg"] = {"min": weight_min, "max": weight_min + rng.randint(0, 10)}
    record["build"] = _pick(rng, _BUILDS)
    record["hair"] = f"{_pick(rng, _HAIR_COLOURS)}, {_pick(rng, _HAIR_STYLES)}"
    record["eyes"] = _pick(rng, _EYES)
    event: dict[str, Any] = {
        "date": when.isoformat(),
        "date_precision": precision,
        "place": spot,
        "locality": town,
        "region": place.region,
        "country": agency.country,
    }
    if rng.random() < 0.5:
        # Jitter within a few kilometres of the town centre so map pins do not stack up.
        event["lat"] = round(place.lat + rng.uniform(-0.05, 0.05), 4)
        event["lon"] = round(place.lon + rng.uniform(-0.05, 0.05), 4)
    record["event"] = event
    record["circumstances"] = circumstances
    if marks:
        record["marks"] = marks
    clothing = _clothing(rng)
    if clothing:
        record["clothing"] = clothing
    if rng.random() < 0.45:
        record["jewellery"] = _jewellery(rng)
    if rng.random() < 0.4:
        record["belongings"] = [
            {"item": item, "description": description}
            for item, description in rng.sample(_BELONGINGS, rng.randint(1, 3))
        ]
    if kind == "unidentified" and rng.random() < 0.5:
        record["dental_summary"] = _pick(rng, _DENTAL)
    record["biometrics"] = {
        "dna": rng.random() < 0.8,
        "fingerprints": rng.random() < 0.6,
        "dental": rng.random() < 0.7,
    }
    if agency.language and kind == "unidentified" and rng.random() < 0.3:
        template, words = _TITLE_TRANSLATIONS[agency.language]
        record["translations"] = {
            agency.language: {"title": template.format(person=words[sex], town=town)}
        }
    if status == "identified":
        found = when.toordinal() + rng.randint(30, 4000)
        record["identified"] = {
            "date": date.fromordinal(min(found, _LAST_DAY)).isoformat(),
            "statement": (
                "This person has been identified. The family thanks everyone who shared the appeal."
            ),
        }
    record["restricted"] = {
        "reference": f"{RESTRICTED_MARKER}-SYN-{number:06d}",
        "notes": f"Synthetic investigator notes [{RESTRICTED_MARKER}]",
        "dna_profile_ref": f"SYN-DNA-{rng.randrange(10**8):08d}",
    }
    return record


def _person(sex: str, age: int, kind: str) -> str:
    if sex == "unknown":
        return "Person"
    noun = "Woman" if sex == "female" else "Man"
    if age < 18:
        return "Girl" if sex == "female" else "Boy"
    if age < 25:
        return f"Young {noun.lower()}"
    if age >= 65:
        return f"Older {noun.lower()}"
    return noun


def _marks(rng: random.Random) -> list[dict[str, Any]]:
    marks: list[dict[str, Any]] = []
    tattoos = rng.choices((0, 1, 2, 3), weights=(25, 40, 25, 10))[0]
    for location in rng.sample(_TATTOO_LOCATIONS, tattoos):
        mark: dict[str, Any] = {"type": "tattoo", "location": location}
        if rng.random() < 0.2:
            words = _pick(rng, _INSCRIPTIONS)
            style = _pick(rng, ("script", "capitals", "gothic letters"))
            mark["description"] = f"{_pick(rng, _LETTERED)}, in {style}"
            mark["inscription"] = words
            mark["colours"] = ["black"]
        else:
            motif, palettes = _pick(rng, _MOTIFS)
            shading = _pick(rng, ("fine line work", "bold outlines", "faded", "shaded"))
            mark["description"] = f"{motif}, {shading}"
            if rng.random() < 0.15:
                mark["inscription"] = _pick(rng, _INSCRIPTIONS)
            mark["colours"] = list(_pick(rng, palettes))
        marks.append(mark)
    for _ in range(rng.choices((0, 1, 2), weights=(50, 35, 15))[0]):
        type_, location, description = _pick(rng, _OTHER_MARKS)
        marks.append({"type": type_, "location": location, "description": description})
    return marks


def _clothing(rng: random.Random) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for item, material, system in rng.sample(_CLOTHING, rng.randint(0, 4)):
        entry: dict[str, Any] = {"item": item, "colour": _pick(rng, _COLOURS)}
        if rng.random() < 0.6:
            entry["brand"] = _pick(rng, _BRANDS)
        if system and rng.random() < 0.7:
            entry["size"] = _pick(rng, _SIZES[system])
        if material:
            entry["material"] = material
        items.append(entry)
    return items


def _jewellery(rng: random.Random) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for item, description in rng.sample(_JEWELLERY, rng.randint(1, 2)):
        entry: dict[str, Any] = {
            "item": item,
            "description": description,
            "material": _pick(rng, _METALS),
        }
        if rng.random() < 0.3:
            entry["inscription"] = _pick(rng, _ENGRAVINGS)
        items.append(entry)
    return items
