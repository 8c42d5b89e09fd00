"""The app's own words in Chinese and English (playbook text comes from the playbooks)."""

from __future__ import annotations

from typing import Literal

Language = Literal["zh", "en"]

_WORDS: dict[str, tuple[str, str]] = {
    # key: (zh, en)
    "today": ("今日", "Today"),
    "routines": ("例行", "Routines"),
    "incidents": ("事件", "Incidents"),
    "no-incidents": ("没有进行中的事件", "No open incidents"),
    "not started": ("未开始", "not started"),
    "in progress": ("进行中", "in progress"),
    "done": ("完成", "done"),
    "overdue": ("逾期", "overdue"),
    "due": ("截止", "due"),
    "missed": ("错过", "missed"),
    "steps": ("步骤", "Steps"),
    "timeline": ("时间线", "Timeline"),
    "planned": ("计划", "planned"),
    "elapsed": ("已用", "elapsed"),
    "open": ("打开", "open"),
    "incident": ("事件", "incident"),
    "help": ("帮助", "help"),
    "quit": ("退出", "quit"),
    "back": ("返回", "back"),
    "complete": ("完成", "done"),
    "skip": ("跳过", "skip"),
    "note": ("备注", "note"),
    "undo": ("撤销", "undo"),
    "finish": ("结束", "finish"),
    "copy": ("复制", "copy"),
    "resolve": ("解决", "resolve"),
    "tick": ("勾选", "tick"),
    "commands": ("命令", "commands"),
    "skip-reason": ("跳过原因", "Reason for skipping"),
    "note-prompt": ("备注内容", "Note"),
    "summary-prompt": ("处理总结", "Summary of what was done"),
    "incident-title": ("事件标题", "Incident title"),
    "severity": ("级别", "Severity"),
    "playbook": ("手册", "Playbook"),
    "confirm-finish": (
        "还有 {n} 个步骤未完成，仍然结束？",
        "{n} step(s) still pending. Finish anyway?",
    ),
    "yes": ("是", "Yes"),
    "no": ("否", "No"),
    "cancel": ("取消", "Cancel"),
    "ok": ("确定", "OK"),
    "saved": ("已保存到 {path}", "Saved to {path}"),
    "copied": (
        "已复制到剪贴板（如终端支持）。文本如下：",
        "Copied to the clipboard (if your terminal allows it). The text:",
    ),
    "run-finished": ("本次运行已结束", "This run is finished"),
    "changed": ("手册自上次运行后有变化：", "Changed since you last ran it: "),
    "too-small": (
        "终端太小：至少需要 60×20，当前 {w}×{h}",
        "Terminal too small: soptui needs at least 60x20, this is {w}x{h}",
    ),
    "readonly": (
        "日志只读：可以查看，但无法保存操作",
        "The journal is read-only: you can look, but actions cannot be saved",
    ),
    "not-applicable": ("不适用", "not applicable"),
    "no-snippet": ("这个步骤没有可复制的文本", "This step has no text to copy"),
    "placeholder": ("填写 {name}", "Fill in {name}"),
    "escalate": ("升级", "escalation"),
    "report": ("事件报告", "Incident report"),
    "save": ("保存", "save"),
    "nothing-to-undo": ("没有可撤销的操作", "Nothing of yours to undo"),
    "type-note": (
        "输入备注按回车添加 · ctrl+j 换行 · 空行回车完成步骤",
        "Type a note, enter adds it · ctrl+j new line · enter on an empty line completes the step",
    ),
    "queued": (
        "日志正被其他程序占用，操作已排队",
        "The journal is busy with another program; the action is queued",
    ),
    "enter-again": ("再按一次回车完成：{step}", "Press enter again to complete: {step}"),
    "wait-queued": (
        "还有排队中的操作未写入日志，请稍候",
        "Queued actions are still waiting to be written; wait a moment",
    ),
    "value": ("数值", "Value"),
    "metrics": ("指标", "Metrics"),
    "goals": ("目标", "Goals"),
    "notes": ("备注", "Notes"),
    "people": ("成员操作", "People"),
    "no-goals": ("没有设定目标（goals.toml）", "No goals set (goals.toml)"),
    "routine-columns": (
        "例行|一 二 三 四 五 六 日|完成|准时|中位用时",
        "Routine|Mo Tu We Th Fr Sa Su|done|on time|median",
    ),
    "metric-columns": ("指标|本期|上期|变化|趋势", "Metric|this|previous|change|trend"),
    "incident-columns": ("级别|事件|开启|解决用时|升级", "sev|incident|opened|resolved in|escalations"),
    "kept-draft": (
        "已保存为草稿，日志可写时自动补存",
        "kept as a draft; it will be saved when the journal accepts writes",
    ),
    "draft-saved": ("草稿已写入日志", "A draft was saved to the journal"),
    "unsaved-note": (
        "有一条未保存的备注（{run}）：“{text}”。打开该运行并按 n 继续。",
        'You have an unsaved note ({run}): "{text}". Open the run and press n to continue it.',
    ),
}


def t(language: Language, key: str, **values: object) -> str:
    """The app's word for ``key`` in ``language`` (the key itself if unknown)."""
    pair = _WORDS.get(key)
    text = key if pair is None else pair[0 if language == "zh" else 1]
    return text.format(**values) if values else text
