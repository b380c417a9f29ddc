"""The instructors' terminal app: one Textual `App`, a mode per screen, one way to call the server.

Every API call goes through `InstructorApp.call`, which runs the client's (blocking) call in a
thread, shows the API's error message as a notification, and keeps `connected` up to date; a timer
asks `/health` while the server is away and reloads the screen when it answers again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from textual.app import App
from textual.binding import Binding
from textual.reactive import reactive

from client import ApiError, Client
from tui.commands import ActionCommands, CourseCommands, PeopleCommands
from tui.drafts import DraftStore
from tui.navigation import NAV, nav_bindings
from tui.screens.base import BaseScreen
from tui.screens.certificates import CertificatesScreen
from tui.screens.confirm import Confirm
from tui.screens.courses import CoursesScreen
from tui.screens.dashboard import DashboardScreen
from tui.screens.grading import GradingScreen
from tui.screens.help import HelpScreen
from tui.screens.people import PeopleScreen
from tui.screens.reports import ReportsScreen
from tui.target import Target

P = ParamSpec("P")
T = TypeVar("T")

_SCREEN_OF: dict[str, type[BaseScreen]] = {
    "dashboard": DashboardScreen, "courses": CoursesScreen, "people": PeopleScreen, "grading": GradingScreen,
    "certificates": CertificatesScreen, "reports": ReportsScreen,
}
SCREENS: dict[str, tuple[str, type[BaseScreen]]] = {mode: (key, _SCREEN_OF[mode]) for key, mode, _ in NAV}
"""mode: (the key that opens it, its screen), in the order of the footer and the help screen."""


class InstructorApp(App[None]):
    """`InstructorApp(target).run()`; tests drive it with `run_test()`."""

    TITLE = "University Local"
    # Every screen's styles are read once, at the start: a screen's own CSS_PATH would be read on
    # its first showing and make Textual re-parse every style and restyle every screen open then
    # (a third of a second each on a 2-core machine: bench/README.md, "Instructor TUI").
    CSS_PATH = ["styles/app.tcss", "styles/courses.tcss", "styles/people.tcss", "styles/certificates.tcss",
                "styles/reports.tcss"]
    MODES = {mode: screen for mode, (_, screen) in SCREENS.items()}
    DEFAULT_MODE = "dashboard"
    COMMANDS = App.COMMANDS | {CourseCommands, PeopleCommands, ActionCommands}
    BINDINGS = [
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit_safely", "Quit"),
        *nav_bindings(show=True),
    ]

    connected: reactive[bool] = reactive(True)

    def __init__(self, target: Target, *, health_every: float = 2.0, timeout: float = 15) -> None:
        super().__init__()
        self.target = target
        self.client = Client(target.url, target.app_id, target.key, timeout=timeout)
        self.drafts = DraftStore(target.drafts_dir)
        self.health_every = health_every

    def on_mount(self) -> None:
        self.sub_title = f"{self.target.app_id} ({self.target.env})"
        self.set_interval(self.health_every, self._check_health)

    def on_unmount(self) -> None:
        self.client.close()

    async def call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run one client call off the event loop. An error is shown (a notification with the API's
        message, or the "disconnected" line) and raised again for the caller to stop on."""
        try:
            result = await asyncio.to_thread(fn, *args, **kwargs)
        except ApiError as error:
            if error.unreachable:
                self.connected = False
            else:
                self.connected = True
                self.notify(error.detail or error.code, title=f"{error.status} · {error.code}", severity="error",
                            timeout=8)
            raise
        self.connected = True
        return result

    async def _check_health(self) -> None:
        if self.connected:
            return  # calls keep the flag true; only ask while the server is away
        try:
            await asyncio.to_thread(self.client.health)
        except ApiError:
            return
        self.connected = True
        self.notify("The server answers again.", title="Connected")
        if isinstance(self.screen, BaseScreen):
            self.screen.reload()

    # -- actions -----------------------------------------------------------------------------------

    async def action_open(self, mode: str) -> None:
        await self.switch_mode(mode)
        if isinstance(self.screen, BaseScreen) and self.screen.loaded:
            self.screen.reload()  # back on a screen: what it shows may have changed meanwhile

    async def open_course(self, course_id: str) -> None:
        await self.switch_mode("courses")
        screen = self.screen
        if isinstance(screen, CoursesScreen):
            screen.show_course(course_id)

    async def open_person(self, user_id: str) -> None:
        await self.switch_mode("people")
        screen = self.screen
        if isinstance(screen, PeopleScreen):
            screen.show_person(user_id)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_quit_safely(self) -> None:
        drafts = self.drafts.item_ids()
        if not drafts:
            self.exit()
            return
        count = f"{len(drafts)} grading draft" + ("s" if len(drafts) != 1 else "")
        self.push_screen(Confirm(f"{count} not saved to the server yet (kept on this machine for next time). "
                                 "Quit anyway?", yes="Quit"),
                         lambda yes: self.exit() if yes else None)
