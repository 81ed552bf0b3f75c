"""eval/conversations-dev.jsonl asked in this process over the sample archive, turn by turn as
an API client asks it: a regression guard for understanding every kind of fan message (small
talk, out of scope, archive lists, one film, comparisons, recommendations, descriptions,
passages, follow-ups and pages). Run with ``-s`` to see the per-kind table."""

from __future__ import annotations

from pathlib import Path

from companion.chat import ChatService
from companion.evaluation import read_cases
from companion.evaluation_conversations import chat_asker, format_report, run_conversations

# The share of turns that must be right: 109 of 112 (97.3%) when the planner landed, less a
# margin of about three turns for answers that move with the models' floating point; raise
# it as answers improve, never lower it to make a change pass.
MIN_RIGHT = 0.95
# Floors per expected plan kind: small talk never cites or declines, archive answers are
# exact (they come from records, not from the models).
MIN_RIGHT_BY_PLAN: dict[str, float] = {"smalltalk": 1.0, "archive": 1.0, "compare": 1.0}

DEV_SET = Path(__file__).resolve().parents[2] / "eval" / "conversations-dev.jsonl"


def test_conversations_dev_set_is_answered_right(chat: ChatService) -> None:
    cases = read_cases(DEV_SET)
    assert cases.conversations and not cases.questions
    result = run_conversations(chat_asker(chat), cases.conversations)
    table = format_report(result)
    print(f"\n{DEV_SET.name}\n{table}")
    assert result["turns"] == sum(len(c.turns) for c in cases.conversations)
    assert result["rate"] >= MIN_RIGHT, f"{result['rate']:.1%} right < {MIN_RIGHT:.1%}\n{table}"
    low = {
        plan: f"{result['by_plan'][plan]['rate']:.1%} < {floor:.1%}"
        for plan, floor in MIN_RIGHT_BY_PLAN.items()
        if result["by_plan"].get(plan, {"rate": 0.0})["rate"] < floor
    }
    assert not low, f"plan kinds below their floor: {low}\n{table}"
