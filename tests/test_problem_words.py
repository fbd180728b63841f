"""The suite's watch on problems worded in English only (tests/problem_words.py) finds them."""

from engine.common.text import Text
from engine.errors import Problem
from tests import problem_words


def test_a_problem_without_chinese_words_is_found() -> None:
    assert problem_words.untranslated(Problem(Text("unknown state", "unknown state"))) == "unknown state"
    hinted = Problem(Text("未知状态", "unknown state"), hint_words=Text("declare it", "declare it"))
    assert problem_words.untranslated(hinted) == "(hint) declare it"
    assert problem_words.untranslated(Problem(Text("未知状态 'x'", "unknown state 'x'"))) is None
