"""Chinese surnames (姓): the one list that masking and detection both read.

Why here, in a package of its own: ``piguard.masking`` keeps the surname of a name
(欧阳娜娜 → 欧阳**) and ``piguard.detect`` finds names by their surname; with a list in
each, they drifted apart: the detector found 太史慈 (太史 was on its list) and the name
mask, not knowing 太史, showed 太** instead of 太史*, while 59 compound surnames and
traditional forms known to masking were unknown to detection. Neither package imports
the other's internals, so the data lives in neither.

Constants rather than data files so that they ship with the code and mypy sees them.

* :data:`SINGLE_SURNAMES`: common one-character surnames. Very ambiguous function
  characters (和, 但, 由, 来, 都, 那 ...) are left out on purpose: they start too many
  ordinary words for a cue-driven name search.
* :data:`COMPOUND_SURNAMES`: two-character surnames (复姓), from the compound surnames
  of the 百家姓 (its rhyming pairs of single surnames such as 仉督 or 岳帅 are left out)
  plus a few common ones it lacks (独孤, 拓跋, 太史 …), in simplified and traditional
  characters.
* :data:`PINYIN_SURNAMES`: romanized (Hanyu Pinyin) forms of common surnames, for names
  in English text.
"""

from __future__ import annotations

from typing import Final

__all__ = ["COMPOUND_SURNAMES", "PINYIN_SURNAMES", "SINGLE_SURNAMES"]


def _words(*blocks: str) -> tuple[str, ...]:
    # In order, without duplicates: detection builds regular expressions from the order.
    return tuple(dict.fromkeys(" ".join(blocks).split()))


_SINGLE = """
王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 高 林 罗 郑 梁 谢 宋 唐 许 韩 冯 邓 曹
彭 曾 肖 田 董 袁 潘 于 蒋 蔡 余 杜 叶 程 苏 魏 吕 丁 任 沈 姚 卢 姜 崔 钟 谭 陆 汪 范 金
石 廖 贾 夏 韦 付 方 白 邹 孟 熊 秦 邱 江 尹 薛 闫 段 雷 侯 龙 史 陶 黎 贺 顾 毛 郝 龚 邵
万 钱 严 覃 武 戴 莫 孔 向 汤 常 温 康 施 文 牛 樊 葛 邢 安 齐 易 乔 伍 庞 颜 倪 庄 聂 章
鲁 岳 翟 殷 詹 申 欧 耿 关 兰 焦 俞 左 柳 甘 祝 包 宁 尚 符 舒 阮 柯 纪 梅 童 凌 毕 单 季
裴 霍 涂 成 苗 谷 盛 曲 翁 冉 骆 蓝 路 游 辛 靳 管 柴 蒙 鲍 华 喻 祁 蒲 房 滕 屈 饶 解 牟
艾 尤 阳 穆 农 司 卓 古 吉 缪 简 车 项 连 芦 麦 褚 娄 窦 戚 岑 景 党 宫 费 卜 冷 晏 席 卫
米 柏 宗 瞿 桂 全 佟 应 臧 闵 苟 邬 边 卞 姬 师 仇 栾 隋 商 刁 沙 荣 巫 寇 桑 郎 甄 丛 仲
虞 敖 巩 明 佘 池 查 麻 苑 迟 邝 官 封 谈 匡 鞠 惠 荆 乐 冀 郁 胥 南 班 储 原 栗 燕 楚 鄢
劳 谌 奚 皮 粟 冼 蔺 楼 盘 满 闻 位 厉 伊 仝 区 郜 海 阚 花 权 强 帅 屠 豆 朴 盖 练 廉 禹
井 祖 漆 巴 丰 支 卿 国 狄 平 计 索 宣 晋 相 初 门 云 容 敬 扈 晁 芮 普 阙 浦 戈 伏 鹿 薄
邸 雍 辜 羊 乌 母 裘 亓 修 邰 赫 杭 况 宿 鲜 印 逯 隆 茹 诸 战 慕 危 玉 银 亢 嵇 公 湛 宾
萧 赖 洪 戎 勾 茅 利 居 揭 干 尉 冶 斯 元 束 檀 衣 信 展 阴 昝 智 幸 奉 植 衡 富 尧 闭
傅 阎
"""

_COMPOUND_SIMPLIFIED = """
万俟 司马 上官 欧阳 夏侯 诸葛 闻人 东方 赫连 皇甫 尉迟 公羊 澹台 公冶 宗政 濮阳
淳于 单于 太叔 申屠 公孙 仲孙 轩辕 令狐 钟离 宇文 长孙 慕容 鲜于 闾丘 司徒 司空
亓官 司寇 子车 颛孙 端木 巫马 公西 漆雕 乐正 壤驷 公良 拓跋 夹谷 宰父 谷梁 段干
百里 东郭 南门 呼延 归海 羊舌 微生 梁丘 左丘 东门 西门 南宫 第五 独孤 呼衍 尔朱
太史
"""

_COMPOUND_TRADITIONAL = """
司馬 歐陽 諸葛 聞人 東方 赫連 尉遲 公羊 澹臺 淳於 單于 軒轅 鍾離 長孫 鮮於 閭丘
顓孫 巫馬 漆雕 樂正 壤駟 拓拔 夾谷 穀梁 東郭 南門 歸海 東門 西門 南宮 獨孤 爾朱
"""

_PINYIN = """
Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Gao Lin Luo Zheng Liang Xie
Song Tang Han Feng Deng Cao Peng Zeng Xiao Tian Dong Yuan Pan Yu Jiang Cai Du Ye Cheng Su Wei Lv Lu
Ding Ren Shen Yao Cui Zhong Tan Fan Jin Shi Liao Jia Xia Fu Fang Bai Zou Meng Xiong Qin Qiu Yin Xue
Yan Duan Lei Hou Long Shi Tao Li He Gu Mao Hao Gong Shao Wan Qian Dai Mo Kong Xiang Chang Wen Kang
Niu Ge Xing An Qi Yi Qiao Pang Ni Zhuang Nie Zhang Yue Zhai Zhan Ou Geng Guan Lan Jiao Zuo Gan
Zhu Bao Ning Shang Shu Ruan Ke Ji Mei Tong Ling Bi Shan Pei Huo Tu Miao Sheng Qu Weng Ran Luan Lan
Mu Nong Si Zhuo Jian Che Lian Mai Lou Dou Cen Jing Dang Ping Ouyang Sima Shangguan Zhuge Situ Murong
"""

SINGLE_SURNAMES: Final[tuple[str, ...]] = _words(_SINGLE)
COMPOUND_SURNAMES: Final[tuple[str, ...]] = _words(_COMPOUND_SIMPLIFIED, _COMPOUND_TRADITIONAL)
PINYIN_SURNAMES: Final[tuple[str, ...]] = _words(_PINYIN)
