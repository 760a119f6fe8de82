"""Moving a live Twilio Conversations product to ACS one conversation, tenant or percent at a time.

- ``MigrationRoutingHttpClient`` + ``RoutingPolicy``: one ``twilio.rest.Client`` over both
  backends; each conversation is answered by the backend that owns it (unlike
  ``twilio_compat.rest.routing.RoutingHttpClient``, which splits by Twilio *product*).
- ``HistoryImport`` (``twilio-acs migrate``): SID-preserving history import, archive or replay.
- ``ShadowHttpClient`` / ``AsyncShadowHttpClient``: answer from Twilio, mirror every call to
  ACS, count the differences.
- ``compare`` (``twilio-acs compare``): run a scenario on two backends, report the differences.
"""

from twilio_compat.core.imports import is_importing
from twilio_compat.migration.compare import CompareError, Comparison, Normaliser, compare
from twilio_compat.migration.history import HistoryImport, ImportOptions
from twilio_compat.migration.pacing import ThreadPacer, Window
from twilio_compat.migration.routing import (
    MigrationRoutingHttpClient,
    NewConversation,
    RoutingPolicy,
)
from twilio_compat.migration.shadow import (
    AsyncShadowHttpClient,
    ShadowHttpClient,
    ShadowStats,
    SidMap,
)
from twilio_compat.migration.source import SourceError, TwilioSource
from twilio_compat.migration.summary import ImportSummary, Problem
from twilio_compat.migration.transcript import RecordingHttpClient, Transcript

__all__ = [
    "AsyncShadowHttpClient",
    "CompareError",
    "Comparison",
    "HistoryImport",
    "ImportOptions",
    "ImportSummary",
    "MigrationRoutingHttpClient",
    "NewConversation",
    "Normaliser",
    "Problem",
    "RecordingHttpClient",
    "RoutingPolicy",
    "ShadowHttpClient",
    "ShadowStats",
    "SidMap",
    "SourceError",
    "ThreadPacer",
    "Transcript",
    "TwilioSource",
    "Window",
    "compare",
    "is_importing",
]
