"""XSS payloads, and a reader that finds what a payload would have made a browser run."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from html.parser import HTMLParser

# Each payload names its marker {m}: where the marker lands shows which field reached the page.
TEMPLATES = [
    "<script>alert('{m}')</script>",
    '"><img src=x onerror=alert("{m}")>',
    "'><svg onload=alert('{m}')>",
    "<a href=\"javascript:alert('{m}')\">{m}</a>",
    "javascript:alert('{m}')",
    '" onmouseover="alert(\'{m}\')" x="',
    "' autofocus onfocus='alert(1)' data-{m}='",
    "</textarea><script>alert('{m}')</script>",
    "</title><svg/onload=alert('{m}')>",
    "<iframe srcdoc=\"<script>alert('{m}')</script>\"></iframe>",
    "<scr<script>ipt>alert('{m}')</scr</script>ipt>",
    "<math><a xlink:href=\"javascript:alert('{m}')\">{m}</a></math>",
    "]]></title><script>alert('{m}')</script><![CDATA[",
    "&lt;script&gt;alert('{m}')&lt;/script&gt;",
    "<style>@import 'https://evil.example/{m}.css';</style>",
    '<base href="https://evil.example/{m}/">',
    '<meta http-equiv="refresh" content="0;url=https://evil.example/{m}">',
    # Template injection: Jinja, JavaScript templates, Ruby-style.
    "{{{{7*7}}}}{m}",
    "${{7*7}}{m}",
    "#{{7*7}}{m} {{% print(7*7) %}}",
    # Unicode tricks: right-to-left override, full-width brackets, a zero-width joiner.
    "\u202e{m}gpj.exe<b>bold</b>",
    "\uff1cscript\uff1ealert('{m}')\uff1c/script\uff1e",
    "<scr\u200dipt>alert('{m}')</scr\u200dipt>",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==#{m}",
]
URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "data",
    "poster",
    "background",
    "srcset",
}
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:text", "data:application")
# Elements the portal's own templates never use: one on a page came from a payload.
FOREIGN_ELEMENTS = {"iframe", "object", "embed", "base", "frame", "frameset", "applet", "math"}


def marker(payload: int, where: str) -> str:
    """A word search engines keep whole, naming the payload and the field."""
    return f"zq{payload:02d}{where}"


def payloads(where: str) -> list[tuple[str, str]]:
    """(marker, payload) for each template, marked for field `where`."""
    found = []
    for index, template in enumerate(TEMPLATES):
        mark = marker(index, where)
        found.append((mark, template.format(m=mark)))
    return found


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._script: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check(tag, attrs)
        if tag == "script":
            values = dict(attrs)
            src = values.get("src") or ""
            if not src.startswith("/static/"):
                self.problems.append(f"a script not from /static/: {src!r}")
            self._script = ""

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            if self._script.strip():
                self.problems.append(f"an inline script: {self._script[:80]!r}")
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script += data

    def _check(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in FOREIGN_ELEMENTS:
            self.problems.append(f"a <{tag}> element")
        if tag == "meta" and any(
            k == "http-equiv" and (v or "").lower() == "refresh" for k, v in attrs
        ):
            self.problems.append("a meta refresh")
        if tag == "style":
            self.problems.append("an inline <style> element")
        if "zq" in tag:
            self.problems.append(f"an element made from input: <{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"an event handler attribute {name}= on <{tag}>")
            if name in {"srcdoc", "style"} or "zq" in name:
                self.problems.append(f"an attribute {name}= on <{tag}>")
            if name in URL_ATTRIBUTES and value:
                squeezed = re.sub(r"[\x00-\x20]", "", value).lower()
                if squeezed.startswith(DANGEROUS_SCHEMES):
                    self.problems.append(f"a {squeezed[:30]} URL in <{tag} {name}>")


@dataclass
class Scan:
    """Counts over every (payload, field, page) looked at, and what went wrong."""

    tried: int = 0
    reached: int = 0
    failures: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)

    def html(self, page: str, body: str, marks: list[tuple[str, str]], where: str) -> None:
        """Check a page that should show each (marker, payload) of one field."""
        reader = _Reader()
        reader.feed(body)
        reader.close()
        problems = list(dict.fromkeys(reader.problems))
        self.failures += [f"{page}: {problem}" for problem in problems]
        for mark, payload in marks:
            self.tried += 1
            self._common(page, body, mark, payload, where)
            if "<" in payload and payload in body:
                self.failures.append(f"{page}: {where} payload {mark} appears unescaped")

    def xml(self, page: str, body: str, marks: list[tuple[str, str]], where: str) -> None:
        """A feed: still well-formed, with no element a payload could have made."""
        try:
            root = ElementTree.fromstring(body.encode())
        except ElementTree.ParseError as exc:
            self.failures.append(f"{page}: no longer well-formed XML ({exc})")
            return
        tags = {element.tag.rsplit("}", 1)[-1] for element in root.iter()}
        for bad in tags & {"script", "svg", "iframe", "img", "a", "math", "style"}:
            self.failures.append(f"{page}: a <{bad}> element in the feed")
        for mark, payload in marks:
            self.tried += 1
            self._common(page, body, mark, payload, where)

    def _common(self, page: str, body: str, mark: str, payload: str, where: str) -> None:
        if mark in body:
            self.reached += 1
        else:
            self.missed.append(f"{where} {mark} on {page}")
        if f"49{mark}" in body or f"{mark} 49" in body:
            self.failures.append(f"{page}: {where} template {mark} was evaluated")
