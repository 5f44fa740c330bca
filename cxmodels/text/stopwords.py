"""Stop words shipped with cxmodels (no download).

Chinese: function words, pronouns, particles, conjunctions, common adverbs and auxiliaries of
modern written Chinese, compiled for this project (MIT) from the function-word classes of
general grammars; words that carry a judgement in customer feedback (不, 没, 没有, 太, 很, 差,
好, 慢, 贵 ...) are deliberately NOT stop words: "不满意" and "太贵" must survive.  English:
scikit-learn's ``ENGLISH_STOP_WORDS`` (Glasgow Information Retrieval Group list) minus the
negations and intensifiers that carry the same judgements (not, no, never, nothing, nobody,
too, very, cannot).
"""

from __future__ import annotations

CHINESE = frozenset("""
的 地 得 了 着 过 吗 呢 吧 啊 呀 哦 哈 嘛 么 啦 哇 嗯 呗 喔 噢
我 你 您 他 她 它 我们 你们 他们 她们 它们 咱们 大家 自己 人家 别人
这 那 这个 那个 这些 那些 这里 那里 这儿 那儿 这样 那样 这么 那么 这种 那种 这次 那次 哪 哪里 哪个 什么 怎么 怎样 为什么
是 在 有 和 与 及 以及 或 或者 而 而且 并 并且 但 但是 可是 不过 然而 所以 因为 因此 如果 虽然 即使 只要 只有 于是 然后 接着 还是 就是 也是 而是
就 都 也 还 又 再 才 只 却 便 已 已经 曾经 正在 将 将要 会 能 能够 可以 可能 应该 要 想 得到
把 被 让 给 对 对于 关于 从 向 往 到 为 为了 以 用 比 跟 同 由 于 按 按照 通过 根据 除了 之 其 其中 其他 其它 之后 之前 以后 以前 以上 以下 之间
一 一个 一些 一下 一点 一直 一样 一般 一起 个 些 种 次 件 位 下 上 中 里 内 外 等 等等
说 看 做 来 去 上来 下去 起来 出来 进去
啥 嘿 喂 唉 哎 吖 咯 罢了 而已 似的 一切 所有 每 每个 各 各种 某 某些 任何
""".split())

_SKLEARN_KEEP = {"not", "no", "nor", "never", "nothing", "nobody", "none", "too", "very", "cannot", "cant",
                 "least", "less", "few", "against", "without", "again"}


def english() -> frozenset:
    """scikit-learn's English stop words minus negations and intensifiers (see module docstring)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) - _SKLEARN_KEEP
