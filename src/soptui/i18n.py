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
    # -- help, one entry per binding group (tui/screens/help.py) --
    "help-key": ("按键", "key"),
    "help-action": ("作用", "action"),
    "help-title.today": ("帮助 · 今日", "Help · Today"),
    "help-title.run": ("帮助 · 例行运行", "Help · Routine run"),
    "help-title.incident": ("帮助 · 事件", "Help · Incident"),
    "help-title.review": ("帮助 · 周回顾", "Help · Review"),
    "help-intro.today": (
        "今日列出今天、本周、本月要做的例行工作，以及进行中的事件（事件排在最前）。",
        "Today lists the routines due this day, week and month, and open incidents (incidents first).",
    ),
    "help-intro.run": (
        "逐步执行手册，每个操作立即写入日志。需要输入数值的步骤，光标会直接在输入框里；"
        "按 esc 离开输入框后才能用 1–9 勾选清单。",
        "Walk through the playbook; every action is saved at once. On a step that takes a value "
        "the cursor is in its box; esc leaves the box, then 1–9 tick the checklist.",
    ),
    "help-intro.incident": (
        "事件页面：在底部输入框写备注（回车添加，ctrl+j 换行，空行回车完成当前步骤）。"
        "按 tab 或 esc 进入步骤列表后，1–9 才会勾选清单。",
        "Incident: type notes in the box at the bottom (enter adds one, ctrl+j starts a new line, "
        "enter on an empty line completes the step). Press tab or esc to reach the step list "
        "before 1–9 tick the checklist.",
    ),
    "help-intro.review": (
        "周回顾：每个例行的完成情况、指标、目标、事件、备注和成员操作。",
        "The review: each routine's completion, metrics, goals, incidents, notes and people.",
    ),
    "help-marks": (
        "标记：✓ 完成 · ✗ 跳过 · ▶ 当前 · · 待办 · – 不适用 · ! 逾期/错过 · ⧗ 排队待写入 · "
        "● 事件 · › 光标所在行",
        "Marks: ✓ done · ✗ skipped · ▶ current · · pending · – not applicable · ! overdue or missed · "
        "⧗ queued for the journal · ● incident · › the highlighted row",
    ),
    "help-close": ("按 esc、q 或 enter 关闭帮助。", "Press esc, q or enter to close this help."),
    "help.palette": ("命令面板：开始任意手册", "command palette: start any playbook"),
    "help.today.open": ("打开或继续所选运行", "open or resume the selected run"),
    "help.today.incident": ("开启事件", "open an incident"),
    "help.today.review": ("本周回顾", "the week's review"),
    "help.today.help": ("本帮助", "this help"),
    "help.today.quit": ("退出", "quit"),
    "help.today.move": ("上下移动", "move down and up"),
    "help.run.done": ("完成当前步骤（需要数值时先输入）", "complete the step (type its value first)"),
    "help.run.skip": ("跳过（非可选步骤需填写原因）", "skip (asks for a reason unless optional)"),
    "help.run.note": ("添加备注", "add a note"),
    "help.run.copy": ("复制步骤的现成文本", "copy the step's ready-made text"),
    "help.run.undo": ("撤销自己的上一个操作", "undo your own last action"),
    "help.run.finish": (
        "立即结束本次运行（未完成步骤记为遗留）",
        "finish the run now (pending steps are left)",
    ),
    "help.run.resolve": (
        "解决事件（填写总结后显示报告）",
        "resolve the incident (a summary, then the report)",
    ),
    "help.run.back": ("离开输入框；在列表中则返回今日", "leave the text box; from the list, back to Today"),
    "help.run.incident": ("开启事件", "open an incident"),
    "help.run.help": ("本帮助", "this help"),
    "help.run.move": ("在步骤间移动", "move between steps"),
    "help.run.tick": ("勾选清单项（在步骤列表中）", "tick checklist items (from the step list)"),
    "help.review.prev": ("上一周", "previous week"),
    "help.review.next": ("下一周", "next week"),
    "help.review.now": ("本周", "this week"),
    "help.review.export": ("导出 Markdown", "save as Markdown"),
    "help.review.back": ("返回今日", "back to Today"),
    "help.review.help": ("本帮助", "this help"),
    "daily": ("每日", "daily"),
    "weekly": ("每周", "weekly"),
    "monthly": ("每月", "monthly"),
    "span-days": ("{d}天{h}小时", "{d}d {h}h"),
    "span-hours": ("{h}小时{m}分", "{h} h {m} min"),
    "span-minutes": ("{m}分钟", "{m} min"),
    "demo": ("演示（数据不会保存）", "DEMO (nothing is kept)"),
    "optional": ("可选", "opt."),
    "choose": ("选择", "choose"),
    "type-integer": ("整数", "whole number"),
    "type-number": ("数字", "number"),
    "type-text": ("文字", "text"),
    "type-choice": ("选项", "choice"),
    "type-yes-no": ("是/否", "yes/no"),
    "checklist-partial": (
        "清单只勾选了 {ticked}/{total} 项，仍然完成这个步骤？",
        "Only {ticked} of {total} checklist items are ticked. Complete the step anyway?",
    ),
    "confirm-resolve": (
        "还有 {n} 个步骤未完成，仍然解决这个事件？",
        "{n} step(s) still pending. Resolve the incident anyway?",
    ),
    "confirm-leave": (
        "“{step}”里输入的“{value}”还没有记录。仍然返回？",
        'The value "{value}" typed for "{step}" is not recorded. Go back anyway?',
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
    "review-legend": (
        "✓ 已完成　! 错过　· 待完成　– 无需执行",
        "✓ done  ! missed  · pending  – not due",
    ),
    "compared-same-days": (
        "本期尚未结束：“上期”取上一期的相同日期（{days}）",
        "Still running: “previous” is the same days of the last {unit} ({days})",
    ),
    "compared-whole": ("“上期”为上一期（{days}）", "“previous” is the last {unit} ({days})"),
    "unit-week": ("周", "week"),
    "unit-period": ("期", "period"),
    "on-track": ("进度正常", "on track"),
    "behind": ("进度落后", "behind"),
    "goal-time": ("时间已过", "time"),
    "goal-to-go": ("每周还需 {n}", "{n}/week to go"),
    "sample-goals": (
        "示例目标（编辑 goals.toml 设定团队自己的目标）",
        "Sample goals (edit goals.toml to set your own)",
    ),
    "sample-goal": ("{metric} 达到 {target}，截止 {by}", "{metric} to {target} by {by}"),
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
