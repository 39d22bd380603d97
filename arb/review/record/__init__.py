"""Order-book recordings: the file format (:mod:`.format`: writer, reader, header) and the recorder
behind ``arb record`` (:mod:`.recorder`). The recorder builds on the format; nothing imports back."""

from arb.review.record.format import BookRecord, EventRecord, Recording, RecordingError, RecordingWriter, make_header
from arb.review.record.recorder import Recorder, record

__all__ = [
    "BookRecord",
    "EventRecord",
    "Recorder",
    "Recording",
    "RecordingError",
    "RecordingWriter",
    "make_header",
    "record",
]
