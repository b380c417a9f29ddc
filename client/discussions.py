"""Course discussions and their threads of replies."""

from __future__ import annotations

from typing import cast

from client.core import BaseClient
from client.types import Compound, Resource


class DiscussionCalls(BaseClient):
    def list_discussions(self, course_id: str, *, lesson_id: str | None = None, author_id: str | None = None,
                         resolved: bool | None = None, pinned: bool | None = None) -> list[Resource]:
        """A course's discussions: pinned first, then the newest."""
        return self.every(f"/courses/{course_id}/discussions", lesson_id=lesson_id, author_id=author_id,
                          resolved=resolved, pinned=pinned)

    def get_discussion(self, discussion_id: str, *, replies: bool = False) -> Compound:
        """A discussion; with `replies`, the whole thread (depth first) in `included`."""
        return cast(Compound, self.request("GET", f"/discussions/{discussion_id}",
                                           params={"include": "replies" if replies else None}))

    def create_discussion(self, course_id: str, title: str, content: str, author_id: str, *,
                          lesson_id: str | None = None) -> Resource:
        """Start a discussion (publishable keys: as an enrolled learner); `content` is HTML."""
        return self.create(f"/courses/{course_id}/discussions", "discussion", title=title, content=content,
                           author_id=author_id, lesson_id=lesson_id)

    def reply(self, discussion_id: str, content: str, author_id: str, *,
              parent_reply_id: str | None = None) -> Resource:
        """Reply to a discussion, or to one of its replies (`parent_reply_id`)."""
        return self.create(f"/discussions/{discussion_id}/replies", "reply", content=content, author_id=author_id,
                           parent_reply_id=parent_reply_id)
