"""Tests for :mod:`classifier.reading.split`, the newspaper page splitter.

The expected titles and kinds below were written by reading the seed pages,
not copied from the splitter's output. Where a page is ambiguous the choice is
noted next to the entry.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

from classifier.article import Article
from classifier.reading.split import split_page
from tests.conftest import SEEDS

# (title, kind) per item, in page order, from reading each page.
EXPECTED: dict[str, list[tuple[str, str]]] = {
    "000_10373714aa9facff": [
        ("我省推动太原空气质量提升", "article"),  # bare line above it is the kicker
        # The bare line sits after the untitled "(上接第1版)韦韬..." continuation and
        # above "## 全省工程建设领域...": by content it is the continuation's headline.
        ("坚持因地制宜 深化协同创新 推动产业转型升级 以新质生产力为全市高质量发展注入强大动力", "article"),
        ("全省工程建设领域开展“春季护薪”行动", "article"),
        ("市县两级政府有了用地审批权", "article"),
        ("", "caption"),  # "...宣讲。张昊宇 摄"
        ("AI数字化移动哨兵 高速养护现场的“第三只眼”", "article"),  # "## 4月全省推广", "## 守好安全岗" are its sections
        ("", "article"),  # "(上接第1版)太原市将加强..." (王帅红)
        ("", "article"),  # "## (上接第1版)" then 张新伟 text
        ("更“精”更“薄”太钢造", "article"),  # "## 未来可期" is a section
    ],
    "001_8e2f6d24ccc070f4": [
        ("十项措施推动空气质量持续改善", "article"),
        ("全省经济运行平稳向好", "article"),
        ("唱响中国经济“光明论”", "slogan"),
        ("", "caption"),  # "...学习历史文化。" / "邓寅明 摄"
        ("", "article"),  # "(上接第1版)二要..." meeting report
        ("锦波生物净利润同比增长174.60%", "article"),
        ("我省气候服务亮点多", "article"),
        ("第三届“三晋最美快递员”评选启动", "article"),
        ("“最美儿童主任”选树活动开展", "article"),
        ("省内单段最长电缆完成交流耐压试验", "article"),
        ("", "caption"),  # "工作人员在设备上监测数值。" (credit is in the story's "文/摄")
        ("太原市迎泽区消防救援大队关于开展迎泽区2024年度消防安全重点单位申报备案工作的通告", "notice"),
        ("践行社会主义核心价值观", "slogan"),
    ],
    "002_47dffea3180f788c": [
        ("太原高质量发展步伐坚实有力", "article"),  # two kicker lines above; four two-line sections
        ("打造市场化法治化国际化营商环境", "article"),
        ("约束物业倒逼服务优化", "article"),  # column "| 井州论坛 |", author line 宋鹏伟
        ("太原市互联网协会 服务能力逐年增强", "article"),  # one headline set on two lines
        ("征集三类专家 服务绿色发展", "article"),
        ("", "article"),  # "(上接第1版)战争当年..."
        ("森林草原防火 “双查”行动展开", "article"),
        ("", "caption"),  # "...美不胜收。" / "王韵菲 摄"
        ("科技赋能释放煤海新动力", "article"),  # "——西山煤电..." is the subtitle
    ],
    "003_f2b228228f5e40ef": [
        ("沿黄九省(区)政协黄河流域生态保护和高质量发展协商研讨第七次会议在运城召开", "article"),
        ("太原市 蒙山大街西延绿化工程即将完工", "article"),
        ("阳泉市 立足自身优势 推动协同发展", "article"),
        ("汾阳市 投资1.69亿元对老旧小区提升改造", "article"),
        ("视觉生态", "article"),  # a photo-column lead text signed "科学导报记者杨凯飞撰"
        ("我省加快推进自然资源与空间地理基础库建设", "article"),
        ("我省开展9·16国际保护臭氧层日宣传活动", "article"),
        ("新能源电池小镇激发转型活力", "article"),
        # Column "## 记者观察"; its headline is printed at the very bottom of the page.
        ("晋中市榆次区东赵乡后沟村 垃圾治理要『面子』更要『里子』", "article"),
        ("推动能源革命 加快绿色转型", "article"),
    ],
    "004_d2e5a202d213934d": [
        ("马兰矿煤海翻「绿波」", "article"),
        # Unmarked two-line stack: the last line is taken as the headline, the line
        # above as kicker (太原用金融“活水”浇灌“美丽经济”); see the module docstring.
        ("绿色信贷余额增长逾两成", "article"),
        ("感受智能示范工厂的魅力", "article"),
        ("我省布局发展量子信息未来产业", "article"),
        ("", "caption"),  # "...制作手工艾草挂件。" standing alone, no credit
        ("", "article"),  # "（上接第1版）" 清徐 feature with two section heads
        ("“数据要素×”大赛山西分赛在并启动", "article"),
        ("公告", "notice"),
        ("锦绣太原 争创文明城市 建设美丽太原 讲树文新 明风 太原市文明办 太原日报社", "slogan"),
    ],
}

#: Characters left out when comparing a page with the splitter's output:
#: whitespace, markdown heading marks, "| column |" frames, and brackets
#: (bylines "(何宝国)" and markers "(上接第1版)" are stored without them).
#: Everything else must be found exactly as often in the output (titles,
#: kickers, subtitles, pinyin labels, bylines, "上接"/"下转" + page, "摄" of a
#: photo credit, texts), so a lost or duplicated sentence fails the test.
_IGNORED = re.compile(r"[\s#|()\uff08\uff09]")


def _page(stem: str) -> str:
    return (SEEDS / f"{stem}.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def split() -> dict[str, list[Article]]:
    return {stem: split_page(_page(stem), stem) for stem in EXPECTED}


def _by_title(articles: list[Article], title: str) -> Article:
    matches = [a for a in articles if a.title == title]
    assert len(matches) == 1, title
    return matches[0]


def _accounted_chars(article: Article) -> str:
    """Everything of the page an article holds: headline parts, metadata, text."""
    extra = article.extra
    parts = [
        article.title,
        extra.get("kicker", ""),
        extra.get("subtitle", ""),
        extra.get("pinyin", ""),
        extra.get("byline", ""),
        "上接" + extra["continued_from"] if "continued_from" in extra else "",
        "下转" + extra["continued_to"] if "continued_to" in extra else "",
        # A caption's byline is the photographer; the credit's "摄" is dropped.
        "摄" if extra["kind"] == "caption" and "byline" in extra else "",
        article.text,
    ]
    return "".join(parts)


# --------------------------------------------------------------------------
# Seed pages
# --------------------------------------------------------------------------


def test_seed_pages_are_all_covered() -> None:
    assert sorted(p.stem for p in SEEDS.glob("*.txt")) == sorted(EXPECTED)


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_titles_and_kinds(split: dict[str, list[Article]], stem: str) -> None:
    got = [(a.title, a.extra["kind"]) for a in split[stem]]
    assert got == EXPECTED[stem]


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_no_text_lost_or_duplicated(split: dict[str, list[Article]], stem: str) -> None:
    page = Counter(_IGNORED.sub("", _page(stem)))
    out = Counter(_IGNORED.sub("", "".join(_accounted_chars(a) for a in split[stem])))
    assert page - out == Counter(), "characters lost"
    assert out - page == Counter(), "characters duplicated"


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_ids_stable_and_unique(split: dict[str, list[Article]], stem: str) -> None:
    articles = split[stem]
    assert [a.id for a in articles] == [f"{stem}-{n:02d}" for n in range(1, len(articles) + 1)]
    again = split_page(_page(stem), stem)
    assert [a.to_dict() for a in again] == [a.to_dict() for a in articles]


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_record_shape(split: dict[str, list[Article]], stem: str) -> None:
    for a in split[stem]:
        assert a.topics is None
        assert "#" not in a.title
        assert "\n\n" not in a.text and a.text == a.text.strip()
        if a.extra["kind"] in ("article", "notice"):
            assert a.text, a.id
        if a.extra["kind"] == "slogan":
            assert a.text == "" and a.title


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_metadata_not_left_in_text(split: dict[str, list[Article]], stem: str) -> None:
    for a in split[stem]:
        assert "上接第" not in a.text and "下转第" not in a.text, a.id
        for para in a.text.split("\n"):
            # No bracketed byline, "记者 X" sign-off or photo credit at a paragraph end.
            assert not re.search(r"[(\uff08][\u4e00-\u9fff、]{2,12}[)\uff09]$", para), para
            assert not re.search(r"(记者\s*[\u4e00-\u9fff]{2,4}|\s摄)$", para), para
        if "byline" in a.extra:
            assert a.extra["byline"] not in a.text, a.id


def test_bylines_and_continuations_000(split: dict[str, list[Article]]) -> None:
    page = split["000_10373714aa9facff"]
    air = _by_title(page, "我省推动太原空气质量提升")
    assert air.extra["byline"] == "何宝国"
    assert air.extra["kicker"] == "统筹布局重大项目建设 加强大气污染防治联防联控"
    assert air.text.endswith("上党盆地大气污染防治工作的指导。")
    sentinel = _by_title(page, "AI数字化移动哨兵 高速养护现场的“第三只眼”")
    assert sentinel.extra["byline"] == "记者 马向敏"
    assert "4月全省推广" in sentinel.text.split("\n")  # section head kept as a paragraph
    steel = _by_title(page, "更“精”更“薄”太钢造")
    assert steel.extra["continued_from"] == "第1版"
    assert steel.extra["byline"] == "记者 孙耀星"
    assert steel.text.startswith("过去许多产品")
    caption = page[4]
    assert caption.extra["byline"] == "张昊宇"
    assert caption.text.endswith("倾听医务工作者的宣讲。")
    untitled = [a for a in page if a.extra["kind"] == "article" and not a.title]
    assert [a.text[:6] for a in untitled] == ["太原市将加强", "建设重大科技"]
    assert all(a.extra["continued_from"] == "第1版" for a in untitled)


def test_metadata_other_pages(split: dict[str, list[Article]]) -> None:
    p1 = split["001_8e2f6d24ccc070f4"]
    assert _by_title(p1, "全省经济运行平稳向好").extra["kicker"] == "前两个月"
    assert _by_title(p1, "全省经济运行平稳向好").extra["byline"] == "贺娟芳"
    assert _by_title(p1, "锦波生物净利润同比增长174.60%").extra["continued_from"] == "第1版"
    assert p1[3].extra["byline"] == "邓寅明"
    notice = p1[11]
    assert notice.text.endswith("特此通告。\n太原市迎泽区消防救援大队\n2024年3月20日")
    p2 = split["002_47dffea3180f788c"]
    forum = _by_title(p2, "约束物业倒逼服务优化")
    assert (forum.extra["kicker"], forum.extra["byline"]) == ("井州论坛", "宋鹏伟")
    coal = _by_title(p2, "科技赋能释放煤海新动力")
    assert coal.extra["subtitle"] == "——西山煤电重大科技成果落地转化“加速度”"
    assert coal.text.startswith("产学研用协同 共筑绿色矿山\n")
    assert "“科技成果只有落地形成生产力" in coal.text  # the lead set after the byline
    p3 = split["003_f2b228228f5e40ef"]
    green = _by_title(p3, "太原市 蒙山大街西延绿化工程即将完工")
    assert green.extra["byline"] == "记者范琛"
    assert green.text.startswith("科学导报讯 9月18日,记者从太原园林局获悉")
    column = _by_title(p3, "晋中市榆次区东赵乡后沟村 垃圾治理要『面子』更要『里子』")
    assert column.extra["kicker"] == "记者观察" and column.extra["byline"] == "科学导报记者 范琛"
    assert _by_title(p3, "新能源电池小镇激发转型活力").extra["kicker"] == "平定县"
    p4 = split["004_d2e5a202d213934d"]
    assert _by_title(p4, "绿色信贷余额增长逾两成").extra["byline"] == "任晓明"  # full-width brackets
    assert p4[5].extra == {"kind": "article", "byline": "记者 史鹏程", "continued_from": "第1版"}


@pytest.mark.parametrize(
    ("stem", "fragment"),
    [
        ("000_10373714aa9facff", "在约束性指标上,完成国家下达"),
        ("000_10373714aa9facff", "示范区管辖范围、省级及以上开发区四至范围除外),按土地利用年度计划分批次实施"),
        ("000_10373714aa9facff", "现在的模样。试用过程中"),
        ("001_8e2f6d24ccc070f4", "高技术制造业增长15.5%,其中电子及通信设备制造业"),
        ("002_47dffea3180f788c", "推行“企业安静期”制度"),
        ("003_f2b228228f5e40ef", "配套产业跟进、电池产业成型"),
        ("004_d2e5a202d213934d", "车间负责人介绍，去年公司"),
    ],
)
def test_broken_paragraphs_rejoined(split: dict[str, list[Article]], stem: str, fragment: str) -> None:
    paragraphs = [p for a in split[stem] for p in a.text.split("\n")]
    assert sum(fragment in p for p in paragraphs) == 1


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_long_paragraphs_end_a_sentence(split: dict[str, list[Article]], stem: str) -> None:
    # Only section heads and notice sign-offs may end without punctuation, and they are short.
    for a in split[stem]:
        for para in a.text.split("\n"):
            assert len(para) <= 30 or re.search(r"[。!?\uff01\uff1f…][”」』]?$", para), para


# --------------------------------------------------------------------------
# Synthetic pages
# --------------------------------------------------------------------------

PAGE_A = """\
科技周刊

# 我市举办青少年科技节

科学导报讯 5月8日,我市第十届青少年科技节在市科技馆开幕,来自全市的两千余名学生参加。

活动设置机器人、航模等六个展区,学生们在展区里动手

体验,感受科技魅力。 记者 张三



5月8日,学生们在科技馆体验机器人编程。李四 摄

全市春耕备耕有序推进

本报讯 眼下正值春耕时节,全市各地抓住有利天气,组织农民开展春耕备耕。(王五)
"""

PAGE_B = """\
## 守护一江清水

(上接第1版)沿江各县持续开展河道清理,水质逐月向好。

## 久久为功

下一步,当地将完善河长制考核办法。 记者 赵六

## (上接第2版)

全市新建公园十二座,绿化覆盖率进一步提高。

关于停水的通知

因管网改造,5月10日全天停水。

特此通知。



文明城市 人人共建
"""


def test_synthetic_kicker_dateline_byline_caption() -> None:
    items = split_page(PAGE_A, "a")
    assert [(a.id, a.title, a.extra["kind"]) for a in items] == [
        ("a-01", "我市举办青少年科技节", "article"),
        ("a-02", "", "caption"),
        ("a-03", "全市春耕备耕有序推进", "article"),
    ]
    fair, photo, spring = items
    assert fair.extra["kicker"] == "科技周刊"
    assert fair.extra["byline"] == "记者 张三"
    assert fair.text.startswith("科学导报讯 5月8日")
    assert fair.text.split("\n")[1] == "活动设置机器人、航模等六个展区,学生们在展区里动手体验,感受科技魅力。"
    assert photo.text == "5月8日,学生们在科技馆体验机器人编程。" and photo.extra["byline"] == "李四"
    assert spring.extra["byline"] == "王五" and spring.text.endswith("开展春耕备耕。")


def test_synthetic_continuation_section_notice_slogan() -> None:
    items = split_page(PAGE_B, "b")
    assert [(a.title, a.extra["kind"]) for a in items] == [
        ("守护一江清水", "article"),
        ("", "article"),
        ("关于停水的通知", "notice"),
        ("文明城市 人人共建", "slogan"),
    ]
    river, parks, notice, _ = items
    assert river.extra["continued_from"] == "第1版"
    assert river.text == "沿江各县持续开展河道清理,水质逐月向好。\n久久为功\n下一步,当地将完善河长制考核办法。"
    assert river.extra["byline"] == "记者 赵六"
    assert parks.extra["continued_from"] == "第2版" and parks.text.startswith("全市新建公园")
    assert notice.text.endswith("特此通知。")


def test_bare_short_line_headline_vs_section_head() -> None:
    # A bare short line after a finished story heads a new one; the same line
    # inside an open story, followed by running text, is a section head.
    page = "甲地开展植树活动\n\n本报讯 3月12日,甲地干部群众植树一万株。(钱七)\n\n乙地新建图书馆\n\n图书馆共三层,藏书十万册。"
    items = split_page(page, "c")
    assert [a.title for a in items] == ["甲地开展植树活动", "乙地新建图书馆"]
    open_story = (
        "## 甲地开展植树活动\n\n本报讯 3月12日,甲地干部群众植树一万株。\n\n乙地新建图书馆\n\n图书馆共三层,藏书十万册。"
    )
    items = split_page(open_story, "d")
    assert [a.title for a in items] == ["甲地开展植树活动"]
    assert items[0].text.split("\n")[1] == "乙地新建图书馆"


def test_empty_page() -> None:
    assert split_page("", "e") == []
    assert split_page("\n\n\n", "e") == []
