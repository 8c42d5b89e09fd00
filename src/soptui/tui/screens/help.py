"""Help: the keys of each screen and the ideas behind them, in the app's language."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = {
    "en": """\
# soptui help

**Today** lists the routines due this day, week and month, and open incidents.

| key | action |
|---|---|
| ↑ ↓ j k | move |
| enter | open or resume the selected run |
| i | open an incident |
| ctrl+p | command palette: start any playbook |
| ? | this help |
| q | quit |

**Run** walks through a playbook's steps. Every action is saved in the journal at once.

| key | action |
|---|---|
| space, enter | complete the step (type its value first if it asks for one) |
| s | skip (asks for a reason unless the step is optional) |
| n | add a note |
| 1–9 | tick checklist items |
| c | copy the step's ready-made text (OSC 52 clipboard; the text is shown too) |
| u | undo your last action |
| f | finish the run now (pending steps are recorded as left) |
| R | resolve an incident (asks for a summary, then shows the report) |
| esc, b | back to Today: the run stays open |

Marks: ✓ done · ✗ skipped · ▶ current · · pending · – not applicable · ! overdue · ● incident

Press escape, q or enter to close this help.
""",
    "zh": """\
# soptui 帮助

**今日**：列出今天、本周、本月要做的例行工作，以及进行中的事件。

| 按键 | 作用 |
|---|---|
| ↑ ↓ j k | 移动 |
| enter | 打开或继续所选运行 |
| i | 开启事件 |
| ctrl+p | 命令面板：开始任意手册 |
| ? | 帮助 |
| q | 退出 |

**运行**：逐步执行手册。每个操作都会立即写入日志。

| 按键 | 作用 |
|---|---|
| 空格, enter | 完成当前步骤（需要数值时先输入） |
| s | 跳过（非可选步骤需填写原因） |
| n | 添加备注 |
| 1–9 | 勾选清单项 |
| c | 复制步骤的现成文本（OSC 52 剪贴板，同时显示文本） |
| u | 撤销自己的上一个操作 |
| f | 立即结束本次运行（未完成步骤记为遗留） |
| R | 解决事件（填写总结后显示报告） |
| esc, b | 返回今日，运行保持打开 |

标记：✓ 完成 · ✗ 跳过 · ▶ 当前 · · 待办 · – 不适用 · ! 逾期 · ● 事件

按 escape、q 或 enter 关闭帮助。
""",
}


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,enter,question_mark", "app.pop_screen", "close", id="help.close")]

    def __init__(self, language: str) -> None:
        super().__init__()
        self.language = language

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog wide"):
            yield Markdown(HELP.get(self.language, HELP["en"]))
