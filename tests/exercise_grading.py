"""The one helper every exercise test uses: a check grades the three kinds of answer it meets.

``assert_grades(check, solution, wrong, capsys)`` asserts that ``check`` accepts the solution
(printing ✅), rejects a wrong answer (❌) and a cell the learner has not filled in yet ("not
attempted yet"), and returns the wrong answer's feedback for assertions about its message.
"""
from __future__ import annotations

from typing import Any, Callable


def assert_grades(check: Callable, solution: Any, wrong: Any, capsys) -> Any:
    assert check(solution).ok
    assert "✅" in capsys.readouterr().out
    bad = check(wrong)
    assert not bad.ok and "❌" in bad.message
    stub = check(lambda *args: ...)
    assert not stub.ok and "not attempted yet" in stub.message
    return bad
