"""What every screen of the app shares: the header, the connection line, the footer, and loading.

A screen says what it needs from the server in `load()`; the base runs it in a worker when the
screen is shown and again when the server answers after being away, so no screen handles
"disconnected" on its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import work
from textual.app import ComposeResult, ScreenStackError
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from client import ApiError
from tui.navigation import HELP_AND_QUIT, nav_bindings

if TYPE_CHECKING:
    from tui.app import InstructorApp


class ConnectionLine(Static):
    """"Connected to ..." or "Disconnected, retrying ..." under the header."""

    connected: reactive[bool] = reactive(True)

    def on_mount(self) -> None:
        self.watch(self.app, "connected", self._show)

    def _show(self, connected: bool) -> None:
        target = cast("InstructorApp", self.app).target
        self.set_class(not connected, "-disconnected")
        if connected:
            self.update(f"{target.app_id} · {target.env} · {target.url}")
        else:
            self.update(f"Disconnected from {target.url}, retrying… (what you type is kept)")


class BaseScreen(Screen[None]):
    TITLE_TEXT = ""
    # The screen keys are still bound; the footer keeps its room for the screen's own keys.
    BINDINGS = [*HELP_AND_QUIT, *nav_bindings(show=False)]

    @property
    def instructor_app(self) -> InstructorApp:
        return cast("InstructorApp", self.app)

    def compose(self) -> ComposeResult:
        yield Header()
        yield ConnectionLine(id="connection")
        yield from self.body()
        yield Footer(compact=True)

    def body(self) -> ComposeResult:
        yield from ()

    loaded = False  # whether load() has run to its end once (tests and the benchmark wait for it)

    def __init__(self) -> None:
        super().__init__()
        # Textual re-parses every style and restyles every open screen when a mode's screen is
        # first made, in case the theme changed before. Once the first screen shows, this app's
        # styles are all read (app.py) and a new screen is styled as it mounts, so a later screen
        # says it is up to date (a fifth of a second on each one's first opening: bench/README.md,
        # "Instructor TUI"). The first one takes the refresh: it sets the theme's variables.
        try:
            showing = self.app.screen
        except ScreenStackError:
            showing = None
        if isinstance(showing, BaseScreen):
            self._css_update_count = self.app._css_update_count

    def on_mount(self) -> None:
        self.sub_title = self.TITLE_TEXT
        self.reload()

    @work(exclusive=True, group="load")
    async def reload(self) -> None:
        try:
            await self.load()
        except ApiError:
            pass  # already shown by the app as a notification or as "disconnected"
        finally:
            self.loaded = True

    async def load(self) -> None:
        """Fetch what the screen shows (API calls through `self.instructor_app.call`)."""
