"""The gettext catalogues: the committed .mo matches its .po, and every message the code marks
(``_``, ``N_``, ``ngettext``) has a Chinese translation. Babel is a test/dev dependency only."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from soptui.i18n import LOCALE_DIR, _, activate, t, wrap_cjk
from tests.conftest import REPO

babel = pytest.importorskip("babel")
from babel.messages.extract import extract_from_dir  # noqa: E402
from babel.messages.mofile import write_mo  # noqa: E402
from babel.messages.pofile import read_po  # noqa: E402

PO = LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "soptui.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}


def _catalog():  # type: ignore[no-untyped-def]
    with PO.open("rb") as handle:
        return read_po(handle, locale="zh_CN")


def test_mo_is_compiled_from_the_po() -> None:
    buffer = io.BytesIO()
    write_mo(buffer, _catalog())
    assert MO.read_bytes() == buffer.getvalue(), (
        "soptui.mo is stale: pybabel compile -d src/soptui/locale -D soptui (docs/translating.md)"
    )


def test_every_message_in_the_code_is_translated() -> None:
    catalog = _catalog()
    missing = []
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(REPO / "src" / "soptui"),
        method_map=[("**.py", "python")],
        keywords=KEYWORDS,  # type: ignore[arg-type]
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        entry = catalog.get(msgid)
        if entry is None or not entry.string or entry.fuzzy:
            missing.append(msgid)
    assert not missing, f"untranslated in zh (see docs/translating.md): {missing}"


def test_translations_keep_their_placeholders() -> None:
    import re

    for message in _catalog():
        if message.id and isinstance(message.id, str) and message.string:
            # A translation may leave a {field} out (Chinese needs no "week"), never invent one.
            fields = set(re.findall(r"\{[^{}]*\}", message.id))
            assert set(re.findall(r"\{[^{}]*\}", message.string)) <= fields, message.id
            printf = sorted(re.findall(r"%\(\w+\)\w|%s", message.id))
            assert sorted(re.findall(r"%\(\w+\)\w|%s", message.string)) == printf, message.id


def test_switching_language_in_one_process() -> None:
    activate("zh")
    assert _("no errors") == "没有错误"
    assert t("en", "daily") == "daily" and t("zh", "daily") == "每日"
    activate("en")
    assert _("no errors") == "no errors"


KINSOKU_START = "。，、：；！？）」』"
KINSOKU_END = "（「『"


@pytest.mark.parametrize("width", range(4, 41))
def test_wrap_cjk_keeps_punctuation_with_its_word(width: int) -> None:
    text = (
        "还有 3 个步骤未完成，仍然结束？（按 y 确认，按 n 返回。）「清单」里只勾选了 1/3 项；"
        "请先确认：群规、公告、欢迎语！Finish anyway, or go back."
    )
    lines = wrap_cjk(text, width)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    for line in lines:
        assert not line.startswith(tuple(KINSOKU_START)), lines
        assert not line.endswith(tuple(KINSOKU_END)), lines


def test_translating_doc_is_linked() -> None:
    assert "docs/translating.md" in (REPO / "README.md").read_text(encoding="utf-8")
    assert Path(REPO / "docs" / "translating.md").exists()
