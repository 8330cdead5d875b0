"""The term-list edits of the accuracy research, as data, and the taxonomy variants built from them.

Each group is the guide's (/work/shared/spec/taxonomy.md) wording it follows; the terms were
chosen from the guide and from unlabelled news (pool.jsonl, recent-pool.jsonl: term frequencies
and contexts), never from labelled errors. ``labels/taxonomy.toml`` is ``variant_text(base, "v2")``
of the taxonomy before the research (``forward.BEFORE_COMMIT``). ``benchmarks/forward.py`` builds
the other variants (``tax-*``) with :func:`variant_text` to measure each group on its own.
"""

from __future__ import annotations

import json
import re

# Over-broad terms: their usual sense in this news is outside the topic the guide describes.
REMOVE = {
    "public_service": ["健康"],  # "health care and public health"; bare 健康 is mostly 健康稳定发展 (relations)
    "urban_rural": ["道路"],  # "roads"; bare 道路 is mostly 发展道路 / 现代化道路 (ideology, diplomacy)
    "economy": ["一带一路"],  # named in diplomatic meetings above all: "foreign affairs and diplomacy" are []
    "energy": ["保供"],  # "energy security and supply"; bare 保供 is any supply (grain, goods, heating)
}
# Narrower terms that keep the guide's sense of the removed ones.
REPLACEMENTS = {
    "public_service": ["健康服务", "健康中国", "人民健康", "群众健康"],
    "urban_rural": ["公路", "道路建设", "道路交通", "农村公路"],
}
# The guide: "foreign affairs and diplomacy, military, Party and state meetings or leaders'
# activities with no specific sector content, international news, obituaries, ideology/theory
# study, courts and crime, disasters reported as events) get the EMPTY set."
NONE_ADD = {
    "international news": ["当地时间", "以军", "加沙", "巴以", "俄乌", "乌克兰"],
    "foreign affairs and diplomacy": [
        "通电话",
        "贺电",
        "唁电",
        "建交",
        "欢迎仪式",
        "欢迎宴会",
        "访华",
        "人类命运共同体",
        "多边主义",
        "全球发展倡议",
        "全球安全倡议",
        "全球文明倡议",
    ],
    "military": ["部队", "官兵", "战区", "中央军委", "武警", "海军", "空军", "阅兵"],
    "Party and state meetings": ["政治局", "集体学习", "人大常委会", "全体会议", "主席团", "全国政协", "述职", "颁授"],
    "ideology/theory study": [
        "求是",
        "论述摘编",
        "重要论述",
        "著作选读",
        "学习纲要",
        "出版发行",
        "中央文献出版社",
        "人民出版社",
        "习近平文化思想",
        "马克思主义",
        "学习教育",
        "八项规定",
        "作风建设",
        "爱国主义教育",
    ],
    "courts and crime": [
        "案件",
        "审理",
        "有期徒刑",
        "受贿",
        "贪污",
        "涉嫌",
        "严重违纪违法",
        "开除党籍",
        "审查调查",
        "反腐",
        "腐败",
        "警方",
    ],
    "disasters reported as events": [
        "强降雨",
        "暴雨",
        "台风",
        "洪水",
        "洪涝",
        "泥石流",
        "山体滑坡",
        "寒潮",
        "强对流",
        "救援",
        "搜救",
        "抢险救灾",
        "受灾群众",
        "灾区",
        "失联",
        "余震",
    ],
    "obituaries": ["遗体", "病逝", "享年", "告别仪式"],
}
# 2025 programme names and sector words the 2024 lists lack (frequent in recent-pool, rare before),
# each inside a topic's guide row. Terms containing a term of the same list are left out: the
# longest-match count would not change.
SECTOR_ADD = {
    "economy": ["两新", "以旧换新", "首发经济", "银发经济", "冰雪经济", "外资"],  # consumption, investment
    "industry": ["设备更新", "机器人", "低空经济"],  # "equipment and vehicles as manufactured products"
    "technology": ["具身智能", "DeepSeek", "智能体", "未来产业", "6G", "探测器"],  # AI, space exploration
    "culture": [
        "春晚",
        "亚冬会",
        "冰雪运动",
        "票房",
        "入境游",
        "申遗",
        "运动员",
        "冬奥",
    ],  # arts, sports, tourism, heritage
    "urban_rural": ["春运", "城中村改造"],  # traffic, urban renewal
}


def _merge(*groups: dict[str, list[str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for group in groups:
        for key, terms in group.items():
            out.setdefault(key, []).extend(terms)
    return out


def edit(text: str, remove: dict | None = None, add: dict | None = None, none_add: list[str] | None = None) -> str:
    """A taxonomy TOML text with terms removed from / added to the ``terms = [...]`` lines."""
    remove, add, none_add = remove or {}, add or {}, none_add or []
    out, current = [], None
    for line in text.splitlines():
        match = re.match(r'id = "(\w+)"', line)
        if match:
            current = match.group(1)
        if line.startswith("[none]"):
            current = "none"
        if line.startswith("terms = ["):
            terms = [t for t in json.loads(line[len("terms = ") :]) if t not in remove.get(current, [])]
            extra = list(add.get(current, [])) + (none_add if current == "none" else [])
            terms += [t for t in extra if t not in terms]
            line = "terms = " + json.dumps(terms, ensure_ascii=False)
        out.append(line)
    return "\n".join(out) + "\n"


def variant_text(base: str, name: str) -> str:
    """``remove``, ``none``, ``sector``, ``remove+none`` or ``v2`` (all three groups) applied to ``base``."""
    nones = [t for terms in NONE_ADD.values() for t in terms]
    return {
        "remove": lambda: edit(base, REMOVE, REPLACEMENTS),
        "none": lambda: edit(base, none_add=nones),
        "sector": lambda: edit(base, add=SECTOR_ADD),
        "remove+none": lambda: edit(base, REMOVE, REPLACEMENTS, nones),
        "v2": lambda: edit(base, REMOVE, _merge(REPLACEMENTS, SECTOR_ADD), nones),
    }[name]()


def main() -> int:
    """Check that ``labels/taxonomy.toml`` is (comments aside) the ``v2`` edit of the taxonomy before the research."""
    import subprocess
    from pathlib import Path

    repo = Path(__file__).resolve().parent.parent
    before = subprocess.run(
        ["git", "-C", str(repo), "show", "dbb2a26:labels/taxonomy.toml"], check=True, capture_output=True, text=True
    ).stdout
    current = (repo / "labels" / "taxonomy.toml").read_text(encoding="utf-8")

    # The comment the edit added to the file's header is not part of the data.
    def terms(text: str) -> list[str]:
        return [line for line in text.splitlines() if not line.startswith("#")]

    same = terms(variant_text(before, "v2")) == terms(current)
    counts = {
        "removed": sum(len(v) for v in REMOVE.values()),
        "replacements": sum(len(v) for v in REPLACEMENTS.values()),
        "none added": sum(len(v) for v in NONE_ADD.values()),
        "sector added": sum(len(v) for v in SECTOR_ADD.values()),
    }
    print(", ".join(f"{k} {n}" for k, n in counts.items()))
    print("labels/taxonomy.toml is (comments aside) the v2 edit of the taxonomy before the research:", same)
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
