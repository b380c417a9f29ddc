"""Command palette providers: courses and people by name, and every screen's actions."""

from __future__ import annotations

from abc import abstractmethod
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from client import ApiError
from client.types import Resource

if TYPE_CHECKING:
    from tui.app import InstructorApp


class _Named(Provider):
    """Resources matched by name as the instructor types; what `resources` holds is the subclass's."""

    kind = ""
    resources: list[Resource]

    @property
    def instructor_app(self) -> InstructorApp:
        return cast("InstructorApp", self.app)

    def label(self, resource: Resource) -> str:
        return str(resource["attributes"].get("title") or resource["attributes"].get("display_name") or resource["id"])

    @abstractmethod
    async def open(self, resource_id: str) -> None:
        """Show the chosen resource on its screen."""

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for resource in self.resources:
            label = self.label(resource)
            if (score := matcher.match(label)) > 0:
                yield Hit(score, matcher.highlight(label), partial(self.open, resource["id"]), help=self.kind)


class CourseCommands(_Named):
    """Every course, fetched once when the palette opens."""

    kind = "Course"

    async def startup(self) -> None:
        try:
            self.resources = await self.instructor_app.call(self.instructor_app.client.list_courses)
        except ApiError:
            self.resources = []

    async def open(self, resource_id: str) -> None:
        await self.instructor_app.open_course(resource_id)


class PeopleCommands(_Named):
    """Asks the server as the instructor types (`GET /users?search=`): a school may have thousands."""

    kind = "Person"

    async def search(self, query: str) -> Hits:
        if not query.strip():
            return
        app = self.instructor_app
        try:
            self.resources, _ = await app.call(app.client.users_page, search=query.strip(), per_page=20)
        except ApiError:
            return
        async for hit in super().search(query):
            yield hit

    async def open(self, resource_id: str) -> None:
        await self.instructor_app.open_person(resource_id)


class ActionCommands(Provider):
    """Each screen's PALETTE entries: (title, help, action run on that screen once it is shown)."""

    def _entries(self) -> list[tuple[str, str, str, str]]:
        from tui.app import SCREENS  # the app imports this module

        entries = []
        for mode, (_key, screen) in SCREENS.items():
            entries.append((f"Open {screen.TITLE_TEXT.lower()}", screen.TITLE_TEXT, mode, ""))
            entries += [(title, help_text, mode, action) for title, help_text, action in getattr(screen, "PALETTE", [])]
        return entries

    async def _run(self, mode: str, action: str) -> None:
        app = cast("InstructorApp", self.app)
        app.switch_mode(mode)
        if action:
            await app.screen.run_action(action)

    async def discover(self) -> Hits:
        for title, help_text, mode, action in self._entries():
            yield DiscoveryHit(title, partial(self._run, mode, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, mode, action in self._entries():
            if (score := matcher.match(title)) > 0:
                yield Hit(score, matcher.highlight(title), partial(self._run, mode, action), help=help_text)
