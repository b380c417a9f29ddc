"""Discussions: course forums with threaded replies, upvotes, pinning and resolution.

The choices this feature makes, for clients and for whoever changes it next:

- **Who.** The body names the acting user: `author_id` to post or reply, `user_id` to upvote or
  resolve. A publishable key (a learner's device) may act only for a learner enrolled in the
  course, with an active or completed enrollment (otherwise 422 `not_enrolled`; 403
  `enrollment_expired` once it has run out). A secret key (instructors, admins) may act as any
  user; as with enrolling, an unknown id is created as a learner unless the organisation has
  turned that off (422 `user_not_found`), and a deactivated user is refused (422 `user_inactive`).
- **Visibility.** Publishable keys see discussions of published courses only; everything else,
  and every id of another tenant, answers 404. A course with `discussion_enabled: false` keeps
  its threads readable, but learners can no longer post, reply, upvote or resolve
  (403 `discussions_disabled`); secret keys still may.
- **Threads.** `GET /discussions/{id}?include=replies` returns the whole thread in `included`
  (and `relationships.replies`); `GET /discussions/{id}/replies` returns it page by page. Both are
  in thread order: depth first, siblings oldest first. `parent_reply_id` must be a reply of the same
  discussion (422 `reply_not_in_discussion`). Replies nest `MAX_REPLY_DEPTH + 1` levels (depth
  0..4). A reply to a reply at the deepest level is placed beside it, with the same parent, and
  `in_reply_to_id` names the reply it answers.
- **Deleting** (secret keys) is soft. A deleted discussion is gone from every read. A deleted
  reply stops counting at once. While live replies remain below it, it stays in the thread as a
  tombstone (`deleted: true`, no author or content), and if it was the accepted answer, the
  discussion's `answer_reply_id` is cleared.
- **Upvotes.** One per user and target (a discussion or a reply). `POST .../upvotes` answers 200
  whether the upvote is new or was already there, so a retry from a device that lost its
  connection is harmless. `DELETE .../upvotes/{user_id}` answers 204 even when there was no
  upvote to withdraw.
- **Pin** (`PATCH /discussions/{id}/pin` `{"pinned": bool}`) needs a secret key. Lists show
  pinned discussions first, then the newest.
- **Resolve** (`PATCH /discussions/{id}/resolve`). The body is a JSON object, `{}` at least. It
  takes `resolved` (default true) and `answer_reply_id` (a reply of this discussion). With a
  publishable key it also takes `user_id`, which must be the discussion's author (403 `forbidden`
  for anyone else). Opening a discussion again clears the answer and `resolved_at`.
- **Counters.** `reply_count` (live replies), `upvotes` and `last_reply_at` are recomputed from
  the rows in the transaction that changes them, so they are exact at every moment. The
  upvotes' primary key (target, user) means racing requests can never count one user twice.
- **Content safety.** `content` is untrusted HTML, sanitised on the way in (core/html.py): scripts,
  event handlers and unsafe links go, formatting stays. A post with nothing left is refused.
  Titles are plain text, not HTML. They are kept as written, apart from whitespace (trimmed, runs
  made one space) and invisible control and bidi characters (removed), so `List<String>` stays
  as it is. Whoever shows a title escapes it.
- **Events.** `discussion.created` and `discussion.replied` go to the outbox in the same
  transaction as the post.
- **Rate limits.** The spec's "enrollment operations" class (200 a minute per key) covers these
  endpoints: learner activity of moderate frequency.
"""
