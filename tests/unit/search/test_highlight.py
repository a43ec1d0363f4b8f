"""Snippets: matching words marked, everything else escaped, long text cut around the match."""

from __future__ import annotations

from portal.search.analysis import squash, squashed_forms, text_analyzer
from portal.search.highlight import mark_up

ANALYSER = text_analyzer(frozenset({"on", "the"}))


def test_mark_up_escapes_everything_but_its_own_marks() -> None:
    text = "<script>alert(1)</script> rose & thorn"
    start = text.index("rose")
    out = str(mark_up(text, [(start, start + 4)]))
    assert out == "&lt;script&gt;alert(1)&lt;/script&gt; <mark>rose</mark> &amp; thorn"


def test_long_text_is_cut_around_the_first_match() -> None:
    text = "word " * 100 + "anchor " + "word " * 100
    start = text.index("anchor")
    out = str(mark_up(text, [(start, start + 6)]))
    assert "<mark>anchor</mark>" in out
    assert out.startswith("…") and out.endswith("…")
    assert len(out) < 200


def test_squashing_joins_letters_and_digits() -> None:
    assert squash("R'Nick") == "rnick"
    assert squash("L.F.C.") == "lfc"
    assert squashed_forms("J & M 1979") == ["jm1979", "j", "m", "1979"]
    assert squash("忍") == "忍"


def test_analyser_folds_stems_and_joins_irregular_plurals() -> None:
    def tokens(text: str) -> list[str]:
        return [token.text for token in ANALYSER(text)]

    assert tokens("Wolves on the Fjällräven") == ["wolf", "fjallraven"]
    assert tokens("butterflies") == tokens("butterfly")
    assert tokens("平安") == ["平", "安"]
