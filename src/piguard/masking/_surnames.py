"""Chinese compound (two-character) surnames, 复姓.

A constant rather than a data file so that it ships with the code and is
checked by mypy. Taken from the compound surnames of the 百家姓 (its rhyming
pairs of single surnames such as 仉督 or 岳帅 are left out) plus a few common
ones it lacks (独孤, 拓跋 …), in simplified and traditional characters.
"""

from __future__ import annotations

_SIMPLIFIED = """
万俟 司马 上官 欧阳 夏侯 诸葛 闻人 东方 赫连 皇甫 尉迟 公羊 澹台 公冶 宗政 濮阳
淳于 单于 太叔 申屠 公孙 仲孙 轩辕 令狐 钟离 宇文 长孙 慕容 鲜于 闾丘 司徒 司空
亓官 司寇 子车 颛孙 端木 巫马 公西 漆雕 乐正 壤驷 公良 拓跋 夹谷 宰父 谷梁 段干
百里 东郭 南门 呼延 归海 羊舌 微生 梁丘 左丘 东门 西门 南宫 第五 独孤 呼衍 尔朱
"""

_TRADITIONAL = """
司馬 歐陽 諸葛 聞人 東方 赫連 尉遲 公羊 澹臺 淳於 單于 軒轅 鍾離 長孫 鮮於 閭丘
顓孫 巫馬 漆雕 樂正 壤駟 拓拔 夾谷 穀梁 東郭 南門 歸海 東門 西門 南宮 獨孤 爾朱
"""

COMPOUND_SURNAMES: frozenset[str] = frozenset((_SIMPLIFIED + _TRADITIONAL).split())
