"""Reading by viewing: a worker's part in moving read positions without a request per message.

A page that shows a conversation's newest messages in a visible tab says so once (POST
.../read with its stream's `tab`, which the service turns into a `view` control message for
every worker); the worker holding that page's stream marks it as viewing the conversation
(`Stream.view`). From then on each message of that conversation that fan-out hands the stream
moves its person's read position, with no request from the page (realtime/hub.py, `deliver`):
the moves gather here and `recorder` (blueprints/chat/receipts.record_viewed) writes them every
READ_FLUSH seconds in one transaction. A group of 500 all reading then costs a few statements a
second instead of 500 requests a message (bench/RESULTS.md, "Issue 13's two misses"). A message
delivered between the page's request and the control message's arrival is read when the view
is set (`newest`). A stream's view ends with the stream, when the page says it no longer
views, or when the person's stay in the conversation ends. A long-polling page names its tab
and the conversation it views on each poll instead (realtime/streaming.poll): what that poll
carries of the conversation, replayed (`read_replayed`) or live, is read.
"""
import logging

import gevent
from flask import Flask

from realtime.events import MESSAGE_CREATED
from realtime.stream import Stream

log = logging.getLogger("parley.realtime")

NEWEST_KEPT = 100_000  # conversations whose newest delivered message is remembered, at most


class Viewing:
    """A worker's read moves by viewing: `reads` {(conversation id, user id): message id},
    written by `recorder(moves)` (in an app context) every `flush_seconds` seconds; and the
    newest message delivered in each conversation. `streams` is the hub's {user id: streams}."""

    def __init__(self, app: Flask, streams: dict, flush_seconds: float):
        self.app = app
        self.streams = streams
        self.flush_seconds = flush_seconds
        self.reads: dict[tuple[int, int], int] = {}
        self.recorder = None
        self._newest: dict[int, int] = {}

    def delivered(self, conversation_id: int, message_id: int) -> None:
        """Fan-out is handing out message `message_id` of `conversation_id`."""
        if len(self._newest) >= NEWEST_KEPT:
            self._newest.clear()
        self._newest[conversation_id] = message_id

    def viewed(self, message: dict) -> None:
        """Apply a `view` control message (realtime.events.view) to this worker's streams of
        that person opened by that page; when the view starts behind a message already
        delivered here in that conversation, that message is read too."""
        conversation_id, user_id = message["conversation_id"], message["user_id"]
        for stream in self.streams.get(user_id, ()):
            if stream.tab != message["tab"] or stream.closed:
                continue
            stream.view = conversation_id
            newest = self._newest.get(conversation_id, 0) if conversation_id is not None else 0
            if newest > message["message_id"]:
                self.note_read(conversation_id, user_id, newest)

    def end_views(self, conversation_id: int, user_ids: list[int] | None) -> None:
        """Those of `user_ids` (None: everyone) who left `conversation_id` no longer view it:
        should they be added again while their page is open, it must say so again."""
        people = self.streams.values() if user_ids is None else (self.streams.get(u, ()) for u in user_ids)
        for streams in people:
            for stream in streams:
                if stream.view == conversation_id:
                    stream.view = None

    def note_read(self, conversation_id: int, user_id: int, message_id: int) -> None:
        """Note that `user_id` has read `conversation_id` up to `message_id` (written at the
        next flush; never back)."""
        key = (conversation_id, user_id)
        if message_id > self.reads.get(key, 0):
            self.reads[key] = message_id

    def flush(self) -> None:
        """Hand the gathered moves to `recorder` in one call (in an app context); on failure
        they are kept for the next flush. gunicorn.conf.py calls it as a worker exits."""
        if not self.reads or self.recorder is None:
            return
        moves, self.reads = self.reads, {}
        try:
            with self.app.app_context():
                self.recorder(moves)
        except Exception:  # the database may be down for a moment: try again next time
            log.exception("could not record read positions; keeping them for the next flush")
            for (conversation_id, user_id), message_id in moves.items():
                self.note_read(conversation_id, user_id, message_id)

    def run(self) -> None:
        """Flush every `flush_seconds` seconds, for ever (the hub's greenlet)."""
        while True:
            gevent.sleep(self.flush_seconds)
            self.flush()


def read_replayed(viewing: Viewing, stream: Stream, events: list[dict]) -> None:
    """Note as read the newest message of the conversation `stream` (a long-poll) views among
    the replayed `events` (client views); live ones fan-out notes as it hands them over."""
    if stream.view is None:
        return
    for event in reversed(events):
        if event["type"] == MESSAGE_CREATED and event["data"]["message"]["conversation_id"] == stream.view:
            viewing.note_read(stream.view, stream.user_id, event["data"]["message"]["id"])
            return
