"""Split a whole newspaper page, pasted as text, into articles.

Regional Chinese papers reach us as one text per page: several articles,
headline stacks (kicker / headline / subtitle), datelines (``本报讯``),
bylines, continuation markers (``(上接第1版)``), photo captions, notices
and slogans, with paragraphs sometimes cut in mid-sentence by the layout.
:func:`split_page` turns such a page into :class:`~classifier.article.Article`
records, in page order.

The work is done in small passes over *blocks* (runs of non-blank lines):

1. :func:`_read_blocks` cuts the page into blocks and remembers how many blank
   lines preceded each one (two or more mark a new page region).
2. :func:`_classify` labels each block (heading, paragraph, byline, photo
   credit, continuation marker, sign-off, pinyin column label) and peels
   trailing bylines, photo credits and continuation markers off paragraphs.
3. :func:`_rejoin_broken` glues paragraphs the layout cut mid-sentence.
4. :func:`_group` walks the blocks and opens, fills and closes articles.
5. :func:`_reattach_headlines` gives a headline that the page extraction
   placed away from its story back to that story.

Conventions of the output
-------------------------
* ``title`` is the main headline, ``#`` marks and ``| |`` column frames
  stripped; lines of one multi-line heading block are joined with a space.
  In a stack of headline lines the main headline is the one with the strongest
  markdown level (``#`` over ``##`` over a bare line); among equals the last one
  (the usual 引题-over-主题 layout). Lines above it go to ``extra["kicker"]``,
  lines below it (e.g. a ``——`` line) to ``extra["subtitle"]``, each joined
  with a space.
* ``text`` is the body, paragraphs joined with ``"\\n"``. In-article subheads
  (``## 守好安全岗``) stay in the text as their own paragraph, without ``#``.
  Datelines such as ``本报讯`` stay in the text; ``<sub>`` tags are kept.
* ``extra["kind"]`` is ``article``, ``caption`` (a photo caption; its title is
  ``""``), ``notice`` (公告, 通告, ... or ``特此通告``) or ``slogan`` (a heading
  with no body; all its lines joined with spaces form the title).
* ``extra["byline"]``: the author as printed, without brackets: ``何宝国``,
  ``记者 马向敏``, ``科学导报记者 马骏``; a photographer for captions.
  Several bylines of one article are joined with a space.
* ``extra["continued_from"]`` / ``extra["continued_to"]``: ``"第1版"`` for
  ``(上接第1版)`` / ``(下转第1版)``; the marker is removed from the text.
  A continuation without a headline of its own has the title ``""``.
* ``extra["pinyin"]``: a romanised column label (``jizheguancha``) printed
  under a column heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from classifier.article import Article

# --------------------------------------------------------------------------
# Patterns
# --------------------------------------------------------------------------

_HAN = r"\u4e00-\u9fff"
# Pages mix ASCII and full-width punctuation ("(何宝国)" vs "（任晓明）"); the
# full-width forms are written as escapes so no editor folds them into ASCII.
_OPEN = "(\uff08"
_CLOSE = ")\uff09"
_COMMAS = ",\uff0c"
#: A personal name as printed in bylines (2-4 characters, ``·`` for minorities).
_NAME = rf"[{_HAN}·]{{2,4}}"
#: Several names separated by 、 or spaces.
_NAMES = rf"{_NAME}(?:[、{_COMMAS}\s]+{_NAME})*"
#: Characters after which a sentence is complete.
_SENTENCE_END = "。!?;:…\uff01\uff1f\uff1b\uff1a"
_CLOSERS = "”’」』》】" + _CLOSE
#: Lookbehind for "the previous sentence is complete", used so that names
#: glued to the end of a paragraph are only taken when they follow a full stop.
_AFTER_SENTENCE = rf"(?<=[{_SENTENCE_END}{_CLOSERS}])"

_PAGE_NO = r"第?([0-9一二三四五六七八九十]+)版"
_CONTINUED_FROM = re.compile(rf"^[{_OPEN}]上接{_PAGE_NO}[{_CLOSE}]\s*")
_CONTINUED_TO = re.compile(rf"\s*[{_OPEN}]下转{_PAGE_NO}[{_CLOSE}]$")
_MARKER_ONLY = re.compile(rf"^[{_OPEN}]上接{_PAGE_NO}[{_CLOSE}]$")

# (何宝国) / (李俊华、李思明) / (尹哲、牛曙、薛志刚文/摄)
_PAREN_BYLINE = rf"[{_OPEN}](?!上接|下转)({_NAMES}(?:文/摄|文/图|/文|/摄|摄)?)[{_CLOSE}]"
_PAREN_BYLINE_ONLY = re.compile(rf"^{_PAREN_BYLINE}$")
_PAREN_BYLINE_TAIL = re.compile(rf"(?:^|{_AFTER_SENTENCE})\s*{_PAREN_BYLINE}\s*$")

# 记者 张秀丽 / 本报记者 张三 / 科学导报记者 马骏 / 科学导报记者杨凯飞撰
_REPORTER = rf"(?:本报|[{_HAN}]{{2,4}}报)?(?:记者|通讯员|实习生)"
_REPORTER_BYLINE = rf"{_REPORTER}\s*{_NAME}(?:[、\s]+(?:{_REPORTER}\s*)?{_NAME})*(?:撰|文|报道)?"
_REPORTER_ONLY = re.compile(rf"^{_REPORTER_BYLINE}$")
_REPORTER_TAIL = re.compile(rf"{_AFTER_SENTENCE}\s*({_REPORTER_BYLINE})\s*$")

# 邓寅明 摄 (own line) / "...宣讲。张昊宇 摄" (end of a caption)
_PHOTO_CREDIT = rf"({_NAMES})\s*(?:摄影?|供图)"
_PHOTO_ONLY = re.compile(rf"^{_PHOTO_CREDIT}$")
_PHOTO_TAIL = re.compile(rf"{_AFTER_SENTENCE}\s*{_PHOTO_CREDIT}\s*$")

# 本报讯 / 科学导报讯 / 新华社北京3月1日电, optionally with the reporter after it.
_DATELINE = re.compile(rf"^(?:[{_HAN}]{{1,8}}讯|新华社[{_HAN}0-9]{{0,12}}电)(?=[\s{_OPEN}]|$)")
_DATELINE_REPORTER = re.compile(
    rf"^([{_HAN}]{{1,8}}讯)\s*(?:[{_OPEN}]({_REPORTER}[^{_CLOSE}]{{1,20}})[{_CLOSE}]|({_REPORTER}\s?{_NAME})\s)\s*"
)

#: A line starting with a dash under a headline is its subtitle (副题).
_DASHES = ("——", "—", "--")
_HEADING_MARK = re.compile(r"^(#{1,6})\s*")
_DATE_LINE = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日$")
_PINYIN = re.compile(r"^[a-z]{4,}(?: [a-z]+)*$")
_NOTICE_TITLE = re.compile(r"(?:公告|通告|启事|声明|通知|公示|告示)$")
_NOTICE_TEXT = re.compile(r"特此(?:公告|通告|通知|声明|公示)")
#: Characters that hardly occur in a bare (unmarked) headline but do in prose;
#: the enumeration comma 、 is included because a layout-cut fragment of a
#: sentence ("...负极材料立基、配套产业跟") is otherwise short and unpunctuated.
_PROSE_PUNCT = re.compile(rf"[。、{_COMMAS}{_SENTENCE_END}]")
#: Bracket pairs that a headline keeps balanced; a cut sentence often does not.
_PAIRS = (("(", ")"), ("\uff08", "\uff09"), ("“", "”"), ("《", "》"), ("「", "」"), ("『", "』"))

#: Common surnames: a bare two- or three-character line starting with one of
#: these is an author's name (a byline like "邓伟强") rather than a heading.
#: Surnames that often begin ordinary words (文, 明, 安, 全, ...) are left out.
_SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔汤施牛樊葛邢"
    "乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕季裴霍涂苗谷盛曲翁冉骆蓝游辛靳管柴"
    "蒙鲍华喻祁蒲房滕屈饶牟艾尤阳穆卓吉缪简芦麦褚娄窦戚岑卜晏席柏瞿桂佟臧闵苟邬卞姬仇栾隋刁巫寇桑郎甄丛仲虞敖"
    "巩佘苑迟邝阎弓"
)
_COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "令狐", "慕容", "公孙", "尉迟", "长孙", "宇文")

#: Two or more blank lines separate page regions (the boxes of the layout).
_REGION_GAP = 2
#: A caption without photo credit is one short paragraph standing alone.
_CAPTION_MAX_CHARS = 120
#: A bare line longer than this is prose, not a headline.
_HEADLINE_MAX_CHARS = 50
#: Share of a detached headline's character bigrams that must occur in a story
#: for the headline to be given to it (see :func:`_reattach_headlines`).
_REATTACH_MIN_OVERLAP = 0.35


# --------------------------------------------------------------------------
# Data holders
# --------------------------------------------------------------------------


@dataclass
class _Block:
    """A run of non-blank lines with what :func:`_classify` found in it."""

    lines: list[str]
    gap: int  # blank lines before the block
    kind: str = "para"  # heading / para / marker / byline / photo / pinyin / signoff
    text: str = ""
    level: int = 9  # heading level: 1 for "#", 2 for "##", ..., 9 for a bare line
    byline: str = ""  # byline or photographer peeled off a paragraph, or the block's own
    byline_closes: bool = False  # whether that byline ends the story
    credit: str = ""  # photographer of an inline caption ("... 张昊宇 摄")
    continued_from: str = ""
    continued_to: str = ""


@dataclass
class _Draft:
    """An article being assembled by :func:`_group`."""

    kind: str = "article"
    title: str = ""
    kicker: list[str] = field(default_factory=list)
    subtitle: list[str] = field(default_factory=list)
    pinyin: str = ""
    bylines: list[str] = field(default_factory=list)
    continued_from: str = ""
    continued_to: str = ""
    paras: list[str] = field(default_factory=list)
    #: True when the story has no real headline yet (an untitled continuation,
    #: or a column label such as "记者观察" standing in for one).
    needs_headline: bool = False


# --------------------------------------------------------------------------
# Pass 1: blocks
# --------------------------------------------------------------------------


def _read_blocks(text: str) -> list[_Block]:
    """Cut the page into blocks of consecutive non-blank lines.

    Trailing spaces (markdown hard breaks such as ``"大队  "``) are dropped.
    """
    blocks: list[_Block] = []
    lines: list[str] = []
    gap = 0
    for raw in text.splitlines():
        line = raw.strip()
        if line:
            lines.append(line)
            continue
        if lines:
            blocks.append(_Block(lines=lines, gap=gap))
            lines, gap = [], 0
        gap += 1
    if lines:
        blocks.append(_Block(lines=lines, gap=gap))
    return blocks


# --------------------------------------------------------------------------
# Pass 2: classify blocks
# --------------------------------------------------------------------------


def _clean_heading(line: str) -> str:
    """Drop ``#`` marks and a ``| column |`` frame from a heading line."""
    line = _HEADING_MARK.sub("", line)
    return line.strip().strip("|").strip()


def _ends_sentence(text: str) -> bool:
    """Whether ``text`` ends with sentence punctuation (possibly inside quotes)."""
    stripped = text.rstrip(_CLOSERS)
    if stripped != text:
        # '...“外集内配”' ends a quote, not a sentence; '...的基础。”' ends both.
        return bool(stripped) and stripped[-1] in _SENTENCE_END
    return bool(text) and text[-1] in _SENTENCE_END


def _is_bare_headline(line: str) -> bool:
    """Whether an unmarked line reads as a headline: short and not prose."""
    return (
        len(line) <= _HEADLINE_MAX_CHARS
        and not _PROSE_PUNCT.search(line)
        and not _ends_sentence(line)
        and not _DATELINE.match(line)
        and all(line.count(left) == line.count(right) for left, right in _PAIRS)
    )


def _is_person_name(line: str) -> bool:
    """Whether a bare line is just a person's name (a byline like ``邓伟强``)."""
    if not re.fullmatch(rf"[{_HAN}]{{2,4}}", line):
        return False
    if line[:2] in _COMPOUND_SURNAMES:
        return len(line) in (3, 4)
    return len(line) in (2, 3) and line[0] in _SURNAMES


def _classify(block: _Block) -> _Block:
    """Label ``block`` and peel metadata off its text.

    The order of the checks matters: a sign-off date or a byline is also a
    short line without punctuation, so those are recognised before headings.
    """
    lines = block.lines
    first = lines[0]

    if len(lines) == 1:
        marked = _HEADING_MARK.match(first)
        bare = _clean_heading(first) if marked else first
        if m := _MARKER_ONLY.match(bare):
            # "(上接第1版)" on its own, sometimes dressed as a "## " heading.
            block.kind, block.continued_from = "marker", f"第{m.group(1)}版"
            return block
        if marked:
            block.kind, block.level, block.text = "heading", len(marked.group(1)), bare
            return block
        if m := _PAREN_BYLINE_ONLY.match(first):
            block.kind, block.byline, block.byline_closes = "byline", m.group(1), True
            return block
        if _REPORTER_ONLY.match(first):
            # A reporter line may sit under the headline or between sections
            # of a feature, so it does not end the story by itself.
            block.kind, block.byline = "byline", first
            return block
        if _is_person_name(first):
            block.kind, block.byline, block.byline_closes = "byline", first, True
            return block
        if m := _PHOTO_ONLY.match(first):
            block.kind, block.byline = "photo", m.group(1)
            return block
        if _PINYIN.match(first):
            block.kind, block.text = "pinyin", first
            return block

    if _DATE_LINE.match(lines[-1]) and len(lines) <= 3 and all(len(x) <= 30 for x in lines):
        # Organisation + date under a notice: part of the notice, kept as lines.
        block.kind, block.text = "signoff", "\n".join(lines)
        return block

    if len(lines) <= 3 and all(_is_bare_headline(_clean_heading(x)) for x in lines):
        # A headline set on two lines by the layout reads as one headline.
        block.kind, block.text = "heading", " ".join(_clean_heading(x) for x in lines)
        return block

    block.kind, block.text = "para", "".join(lines) if len(lines) > 1 else first
    _peel_paragraph(block)
    return block


def _join(*parts: str) -> str:
    """Join the non-empty ``parts`` with a space."""
    return " ".join(p for p in parts if p)


def _peel_paragraph(block: _Block) -> None:
    """Move continuation markers, bylines and photo credits out of a paragraph."""
    text = block.text
    if m := _CONTINUED_FROM.match(text):
        block.continued_from = f"第{m.group(1)}版"
        text = text[m.end() :]
    if m := _CONTINUED_TO.search(text):
        block.continued_to = f"第{m.group(1)}版"
        text = text[: m.start()]
    if m := _PAREN_BYLINE_TAIL.search(text):
        block.byline, block.byline_closes = m.group(1), True
        text = text[: m.start()].rstrip()
    elif m := _REPORTER_TAIL.search(text):
        block.byline, block.byline_closes = m.group(1), True
        text = text[: m.start()].rstrip()
    elif m := _PHOTO_TAIL.search(text):
        block.credit = m.group(1)
        text = text[: m.start()].rstrip()
    if m := _DATELINE_REPORTER.match(text):
        # "科学导报讯 记者范琛 9月18日,..." -> keep the dateline, take the reporter.
        block.byline = _join(m.group(2) or m.group(3), block.byline)
        text = f"{m.group(1)} {text[m.end() :]}"
    block.text = text


# --------------------------------------------------------------------------
# Pass 3: rejoin paragraphs broken by the layout
# --------------------------------------------------------------------------


def _rejoin_broken(blocks: list[_Block]) -> list[_Block]:
    """Glue a paragraph cut mid-sentence to the paragraph that completes it.

    The layout breaks a column inside a sentence ("在约束性指标" / blank line /
    "上,完成..."). A paragraph that ends without sentence punctuation and has
    nothing peeled off its end, followed within the same page region by a plain
    paragraph (no dateline, no continuation marker), is joined to it without
    any separator, since the break fell inside a line of running text.
    """
    out: list[_Block] = []
    for block in blocks:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.kind == "para"
            and block.kind == "para"
            and block.gap < _REGION_GAP
            and not (prev.byline_closes or prev.credit or prev.continued_to)
            and not _ends_sentence(prev.text)
            and not block.continued_from
            and not _DATELINE.match(block.text)
        ):
            prev.text += block.text
            prev.byline, prev.byline_closes = _join(prev.byline, block.byline), block.byline_closes
            prev.credit, prev.continued_to = block.credit, block.continued_to
            continue
        out.append(block)
    return out


# --------------------------------------------------------------------------
# Pass 4: group blocks into articles
# --------------------------------------------------------------------------


def _draft_from_stack(stack: list[_Block]) -> _Draft:
    """Build a new article from a stack of heading lines (kicker/headline/subtitle).

    Lines starting with a dash are subtitles of the line above them; lines
    after a subtitle are the first section head of the story. Otherwise the
    strongest markdown level wins, the last one among equals.
    """
    draft = _Draft()
    headings = [b for b in stack if b.kind == "heading"]
    pinyin = [b.text for b in stack if b.kind == "pinyin"]
    if pinyin:
        # A romanised label under a heading marks a column ("记者观察"), whose
        # story headline may be printed elsewhere on the page.
        draft.pinyin = " ".join(pinyin)
        draft.needs_headline = True

    dashed = [i for i, b in enumerate(headings) if b.text.startswith(_DASHES)]
    if dashed and dashed[0] > 0:
        main = dashed[0] - 1
        after = headings[dashed[0] :]
        n_sub = 0
        while n_sub < len(after) and after[n_sub].text.startswith(_DASHES):
            n_sub += 1
        draft.subtitle = [b.text for b in after[:n_sub]]
        draft.paras = [b.text for b in after[n_sub:]]
    else:
        best = min(b.level for b in headings)
        main = max(i for i, b in enumerate(headings) if b.level == best)
        draft.subtitle = [b.text for b in headings[main + 1 :]]
    draft.kicker = [b.text for b in headings[:main]]
    draft.title = headings[main].text
    if _NOTICE_TITLE.search(draft.title):
        draft.kind = "notice"
    return draft


def _starts_story(stack: list[_Block], after: _Block | None, story_open: bool) -> bool:
    """Whether a heading stack opens a new story or is a section head of the open one.

    A heading heads a new story when no story is open, when it is a level-1
    ``#`` heading, a stack (kicker + headline) or a notice title, or when what follows
    it is a dateline, a continuation marker or a byline: the ways a story starts.
    Otherwise ("## 守好安全岗" followed by running text) it is a section head.
    """
    headings = [b for b in stack if b.kind == "heading"]
    if not story_open or len(headings) > 1 or any(b.level == 1 for b in headings):
        return True
    if any(_NOTICE_TITLE.search(b.text) for b in headings):  # "关于...的通知" is never a section head
        return True
    if len(stack) > len(headings):  # a pinyin column label
        return True
    if after is None:
        return True
    if after.kind in ("marker", "byline"):
        return True
    return after.kind == "para" and bool(after.continued_from or _DATELINE.match(after.text))


def _has_body(after: _Block | None) -> bool:
    """Whether the block after a heading stack belongs to it (else it is a slogan)."""
    if after is None or after.gap >= _REGION_GAP:
        return False
    return after.kind in ("para", "marker", "byline", "signoff") and not after.credit


def _group(blocks: list[_Block]) -> list[_Draft]:
    """Walk the classified blocks and assemble articles in page order."""
    drafts: list[_Draft] = []
    current: _Draft | None = None  # the story that running text is added to
    i = 0
    while i < len(blocks):
        block = blocks[i]
        if block.gap >= _REGION_GAP:
            # A new page region: whatever comes next is not the same story,
            # except a sign-off, which looks back explicitly below.
            current = None

        if block.kind == "heading":
            j = i + 1
            while j < len(blocks) and blocks[j].kind in ("heading", "pinyin") and blocks[j].gap < _REGION_GAP:
                j += 1
            stack, after = blocks[i:j], blocks[j] if j < len(blocks) else None
            i = j
            if after is not None and after.kind == "signoff" and all(b.level == 9 for b in stack) and drafts:
                # "山西省心血管病医院" / "2024年6月5日": the signer of the notice above.
                drafts[-1].paras.extend(b.text for b in stack)
                continue
            if current is not None and not _starts_story(stack, after, story_open=True):
                current.paras.extend(b.text for b in stack)  # a section head: body text
                continue
            if not _has_body(after):
                texts = [b.text for b in stack]
                drafts.append(_Draft(kind="slogan", title=" ".join(texts)))
                current = None
                continue
            current = _draft_from_stack(stack)
            drafts.append(current)
            continue

        i += 1
        nxt = blocks[i] if i < len(blocks) else None
        if block.kind == "marker":
            if current is not None and not current.paras and not current.continued_from:
                current.continued_from = block.continued_from  # marker under its headline
            else:
                current = _Draft(continued_from=block.continued_from, needs_headline=True)
                drafts.append(current)
        elif block.kind == "byline":
            target = current or (drafts[-1] if drafts else None)
            if target is None:
                current = target = _Draft()
                drafts.append(target)
            target.bylines.append(block.byline)
            if block.byline_closes and target.paras:
                current = None
        elif block.kind == "photo":
            _attach_photo(drafts, current, block.byline)
            current = None
        elif block.kind == "signoff":
            if not drafts:
                drafts.append(_Draft())
            drafts[-1].paras.append(block.text)
            current = None
        else:
            current = _add_paragraph(drafts, current, block, nxt)
    return drafts


def _attach_photo(drafts: list[_Draft], current: _Draft | None, photographer: str) -> None:
    """Handle a "邓寅明 摄" line: credit the caption above it.

    A photo credit cannot sign running text, so if the paragraph above is part
    of a story, that paragraph is taken out as the caption.
    """
    last = drafts[-1] if drafts else None
    if last is not None and last.kind == "caption" and not last.bylines:
        last.bylines.append(photographer)
    elif current is not None and current.paras:
        drafts.append(_Draft(kind="caption", paras=[current.paras.pop()], bylines=[photographer]))
    else:
        drafts.append(_Draft(kind="caption", bylines=[photographer]))


def _add_paragraph(drafts: list[_Draft], current: _Draft | None, block: _Block, nxt: _Block | None) -> _Draft | None:
    """Add a paragraph block; return the story that stays open afterwards."""
    if block.credit:
        # "...宣讲。张昊宇 摄": a captioned photo, an item of its own.
        drafts.append(_Draft(kind="caption", paras=[block.text], bylines=[block.credit]))
        return None
    if block.continued_from:
        if current is not None and not current.paras and not current.continued_from:
            current.continued_from = block.continued_from  # "## headline" / "(上接第1版)text"
        else:
            current = _Draft(continued_from=block.continued_from, needs_headline=True)
            drafts.append(current)
    elif current is None:
        # Text after a finished story or at the top of a region, with no heading.
        standalone = nxt is None or nxt.gap >= _REGION_GAP or nxt.kind != "para"
        if standalone and len(block.text) <= _CAPTION_MAX_CHARS and not block.byline:
            drafts.append(_Draft(kind="caption", paras=[block.text]))
            return None
        current = _Draft(needs_headline=True)
        drafts.append(current)
    if block.text:
        current.paras.append(block.text)
    if block.byline:
        current.bylines.append(block.byline)
    if block.continued_to:
        current.continued_to = block.continued_to
    if block.byline_closes or block.continued_to:
        return None
    return current


# --------------------------------------------------------------------------
# Pass 5: give detached headlines back to their stories
# --------------------------------------------------------------------------


def _bigrams(text: str) -> set[str]:
    """Character bigrams within runs of letters, digits and Han characters."""
    grams: set[str] = set()
    for run in re.findall(rf"[{_HAN}A-Za-z0-9]+", text):
        grams.update(run[k : k + 2] for k in range(len(run) - 1))
    return grams


def _overlap(headline: str, text: str) -> float:
    """Share of the headline's bigrams that occur in ``text``."""
    grams = _bigrams(headline)
    return len(grams & _bigrams(text)) / len(grams) if grams else 0.0


def _best_story(headline: str, drafts: list[_Draft], minimum: float) -> _Draft | None:
    """The headline-less story whose text contains most of ``headline``."""
    best, best_score = None, minimum
    for draft in drafts:
        if draft.kind == "article" and draft.needs_headline:
            score = _overlap(headline, "\n".join(draft.paras))
            if score >= best_score:
                best, best_score = draft, score
    return best


def _give_headline(story: _Draft, headline: str) -> None:
    """Make ``headline`` the title of ``story``; a column label becomes its kicker."""
    if story.title:
        story.kicker.append(story.title)
    story.title, story.needs_headline = headline, False


def _reattach_headlines(drafts: list[_Draft]) -> list[_Draft]:
    """Give headlines printed away from their story back to it.

    Page extraction does not keep a headline next to its story when the story
    is a continuation ("(上接第1版)" with its headline set beside it) or sits
    in a column box ("记者观察" with the headline at the bottom of the page).
    Such a headline then looks like a slogan (no body), or like a kicker over
    the next story. It is moved when a story without a headline of its own
    contains a good share of its words, more than the story it sits on.
    This compares words, not a list of known headlines, so it carries over to
    other pages; the threshold keeps real slogans ("践行社会主义核心价值观")
    where they are.
    """
    kept: list[_Draft] = []
    for draft in drafts:
        if draft.kind == "slogan":
            story = _best_story(draft.title, drafts, _REATTACH_MIN_OVERLAP)
            if story is not None:
                _give_headline(story, draft.title)
                continue
        elif draft.kind == "article" and draft.kicker:
            kicker = " ".join(draft.kicker)
            own = _overlap(kicker, "\n".join(draft.paras))
            story = _best_story(kicker, drafts, max(_REATTACH_MIN_OVERLAP, 2 * own))
            if story is not None and story is not draft:
                _give_headline(story, kicker)
                draft.kicker = []
        kept.append(draft)
    return kept


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------


def _to_article(draft: _Draft, article_id: str) -> Article:
    """Turn a finished draft into an :class:`Article`."""
    text = "\n".join(p for p in draft.paras if p)
    kind = draft.kind
    if kind == "article" and _NOTICE_TEXT.search(text):
        kind = "notice"
    extra: dict[str, str] = {"kind": kind}
    optional = {
        "kicker": " ".join(draft.kicker),
        "subtitle": " ".join(draft.subtitle),
        "pinyin": draft.pinyin,
        "byline": " ".join(draft.bylines),
        "continued_from": draft.continued_from,
        "continued_to": draft.continued_to,
    }
    extra.update({key: value for key, value in optional.items() if value})
    return Article(id=article_id, title=draft.title, text=text, topics=None, extra=extra)


def split_page(text: str, page_id: str) -> list[Article]:
    """Split one newspaper page into articles, in page order.

    Parameters
    ----------
    text : str
        The whole page as pasted text (markdown-ish: ``#`` headings, blank
        lines between paragraphs, several blank lines between page regions).
    page_id : str
        Identifier of the page, usually the file stem; article ids are
        ``f"{page_id}-{n:02d}"`` with ``n`` counting from 1 in page order.

    Returns
    -------
    list of Article
        One record per article, caption, notice or slogan, with ``topics=None``
        and ``extra["kind"]`` set; see the module docstring for the fields.
        The function is pure: the same input gives the same output.
    """
    blocks = _rejoin_broken([_classify(b) for b in _read_blocks(text)])
    drafts = _reattach_headlines(_group(blocks))
    return [_to_article(d, f"{page_id}-{n:02d}") for n, d in enumerate(drafts, start=1)]
