"""Translations: every public template string is marked, and every catalogue is complete."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from jinja2 import Environment

from portal.config import PROJECT_ROOT
from portal.i18n import DEFAULT_LANGUAGE, LANGUAGES, TRANSLATIONS_DIR

TEMPLATES = PROJECT_ROOT / "templates"
# Staff pages are in English on purpose (portal/i18n.py); everything else is public.
STAFF_DIRECTORIES = ("admin", "auth", "moderation", "publishing", "staff")
# Read by crawlers, not people.
MACHINE_FILES = {"robots.txt", "sitemap.xml"}
TRANSLATED_LANGUAGES = sorted(set(LANGUAGES) - {DEFAULT_LANGUAGE})
# Attributes people read or hear (screen readers); the rest are names, classes and URLs.
READ_ATTRIBUTES = {"alt", "title", "aria-label", "placeholder", "aria-roledescription"}
GETTEXT_CALLS = {"_", "gettext", "ngettext", "pgettext", "npgettext"}
# A string literal with a space is a sentence unless it is one of these machine strings.
MACHINE_STRING = re.compile(r"^\(min-width:|^[\w.-]+$|^%\(")
WORDS = re.compile(r"[^\W\d_]{2,}")
# Values a block fills into an attribute elsewhere (og:type), not words anyone reads.
MACHINE_WORDS = {"article", "website", "aria", "describedby", "hint", "error"}


def public_templates() -> list[Path]:
    return sorted(
        path
        for path in TEMPLATES.rglob("*")
        if path.is_file()
        and path.suffix in {".html", ".atom", ".txt"}
        and path.relative_to(TEMPLATES).parts[0] not in STAFF_DIRECTORIES
        and path.name not in MACHINE_FILES
    )


class _TextFinder(HTMLParser):
    """Collects text a reader sees or hears, with its line, from a template's HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._skip = 0  # inside <script> or <style>

    def handle_data(self, data: str) -> None:
        words = set(WORDS.findall(data.replace(SLOT, " ")))
        if not self._skip and words - MACHINE_WORDS:
            self.found.append((self.getpos()[0], data.strip()))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._skip += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value and WORDS.search(value.replace(SLOT, " ")):
                self.found.append((self.getpos()[0], f"{name}={value!r}"))

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"} and self._skip:
            self._skip -= 1


# What an expression or a tag becomes when the template's HTML is read on its own.
SLOT = "\u00a7"


def unmarked_strings(source: str) -> Iterator[tuple[int, str]]:
    """Text outside gettext calls: literal template text and read attributes, and
    sentence-like string literals in expressions (labels passed to macros)."""
    # Only lexed, never rendered: autoescaping does not apply.
    env = Environment(extensions=["jinja2.ext.i18n", "jinja2.ext.do"], autoescape=True)
    tokens = list(env.lex(source))
    html: list[str] = []
    depth = 0  # parentheses inside a gettext call
    for index, (line, kind, value) in enumerate(tokens):
        if kind == "data":
            html.append(value)
            continue
        # Keep the line count so the HTML parser reports the template's own line numbers.
        html.append(SLOT + "\n" * value.count("\n"))
        if kind == "name" and value in GETTEXT_CALLS:
            following = [t for t in tokens[index + 1 : index + 3] if t[1] != "whitespace"]
            if following and following[0][2] == "(" and depth == 0:
                depth = -1  # opens on the next "("
        elif kind == "operator" and value == "(" and depth != 0:
            depth = 1 if depth == -1 else depth + 1
        elif kind == "operator" and value == ")" and depth > 0:
            depth -= 1
        elif kind == "string" and depth == 0:
            text = value.strip("'\"")
            if " " in text and WORDS.search(text) and not MACHINE_STRING.search(text):
                yield line, text
    finder = _TextFinder()
    finder.feed("".join(html))
    finder.close()
    yield from finder.found


@pytest.mark.parametrize("path", public_templates(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_public_template_text_is_marked_for_translation(path: Path) -> None:
    found = [f"line {line}: {text}" for line, text in sorted(unmarked_strings(path.read_text()))]
    assert not found, f"{path.relative_to(TEMPLATES)} has text not marked with _():\n" + "\n".join(
        found
    )


def test_the_finder_catches_unmarked_text() -> None:
    # The check above is only as good as this: plain text, attributes and macro labels.
    source = (
        '<p>Plain words</p><img alt="A picture">{{ input("q", "Words to look for") }}'
        "{{ _('Marked words') }}<p>{{ _('Marked %(n)s', n=1) }}</p>"
        '<div class="case-card">{{ x }}</div>'
    )
    found = [text for _line, text in unmarked_strings(source)]
    assert sorted(found) == sorted(["Plain words", "alt='A picture'", "Words to look for"])


def extracted_messages() -> set[str]:
    """The message ids the sources hold now, extracted as `make translations` does."""
    with (PROJECT_ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    ids: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(PROJECT_ROOT),
        method_map=method_map,
        options_map=options_map,
        keywords=keywords,
        # As `make translations` (--ignore-dirs=".*"): _macros/ is read, .venv/ is not.
        directory_filter=lambda path: not Path(path).name.startswith("."),
    ):
        ids.add(message[0] if isinstance(message, tuple) else message)
    return ids


@pytest.fixture(scope="module")
def messages() -> set[str]:
    return extracted_messages()


def test_the_template_catalogue_is_up_to_date(messages: set[str]) -> None:
    with (TRANSLATIONS_DIR / "messages.pot").open("rb") as handle:
        template = read_po(handle)
    in_pot = {m.id[0] if isinstance(m.id, tuple) else m.id for m in template if m.id}
    missing = sorted(messages - in_pot)
    assert not missing, f"run `make translations`: not in messages.pot: {missing[:20]}"


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_every_message_is_translated(language: str, messages: set[str]) -> None:
    po = TRANSLATIONS_DIR / language / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as handle:
        catalog = read_po(handle)
    problems = []
    translated: set[str] = set()
    for message in catalog:
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            problems.append(f"fuzzy: {key!r}")
        elif not all(strings):
            problems.append(f"untranslated: {key!r}")
        else:
            translated.add(key)
            problems.extend(_placeholder_problems(key, message.id, strings))
    problems.extend(
        f"missing: {key!r}" for key in sorted(messages - translated - _flagged(problems))
    )
    assert not problems, f"{language}: {len(problems)} problems:\n" + "\n".join(problems[:40])


def _flagged(problems: list[str]) -> set[str]:
    return {p.split(": ", 1)[1].strip("'\"") for p in problems}


PLACEHOLDER = re.compile(r"%\((\w+)\)s|<[^>]+>")


def _placeholder_problems(key: str, ids: object, strings: tuple[str, ...]) -> list[str]:
    # A translation must keep every %(name)s and tag, or the page shows an error or breaks.
    wanted = sorted(PLACEHOLDER.findall(key))
    source = ids if isinstance(ids, tuple) else (key,)
    problems = []
    for string in strings:
        got = sorted(PLACEHOLDER.findall(string))
        expected = wanted if len(source) == 1 else sorted(PLACEHOLDER.findall(source[-1]))
        if set(got) - set(expected) or (set(expected) - set(got) - {"num"}):
            problems.append(f"placeholders differ in {key!r}: {got} vs {expected}")
    return problems


def _key(message_id: object) -> str:
    # Plural messages are (singular, plural): the singular names them.
    return str(message_id[0] if isinstance(message_id, list | tuple) else message_id)


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_compiled_catalogues_match_their_sources(language: str) -> None:
    folder = TRANSLATIONS_DIR / language / "LC_MESSAGES"
    mo = folder / "messages.mo"
    assert mo.exists(), f"run `make translations`: {mo} is missing"
    with (folder / "messages.po").open("rb") as handle:
        po_ids = {_key(m.id) for m in read_po(handle) if m.id and m.string and not m.fuzzy}
    with mo.open("rb") as handle:
        mo_ids = {_key(m.id) for m in read_mo(handle) if m.id}
    assert po_ids == mo_ids, f"run `make translations`: {language} messages.mo is stale"
