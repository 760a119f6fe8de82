"""OpenTelemetry traces of `twilio-acs serve`, when the `otel` extra is installed.

Each Twilio request becomes a server span named by its Twilio operation (OpenTelemetry's ASGI
middleware), and azure-core's
own tracing makes every ACS call a child span of it, so one trace shows what a Twilio call
cost in ACS. Spans go wherever the process's tracer provider sends them: run
``opentelemetry-instrument twilio-acs serve`` (opentelemetry-distro) with the usual
``OTEL_*`` variables, or set a provider in code before `open_server_app`. Without a provider
the spans cost next to nothing. Event Grid deliveries (their secret travels in the query
string) and the health and metrics endpoints are not traced.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Scope

from twilio_compat.observability.metrics import operation_of

UNTRACED = ("/eventgrid", "/healthz", "/readyz", "/metrics")


def traced(app: ASGIApp) -> ASGIApp:
    """`app` wrapped to trace requests and the ACS calls they make, or `app` itself when
    OpenTelemetry's ASGI instrumentation is not installed."""
    try:
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
    except ModuleNotFoundError as missing:
        if (missing.name or "").partition(".")[0] != "opentelemetry":
            raise
        return app
    from azure.core.settings import settings as azure_settings

    azure_settings.tracing_enabled = True
    excluded = ",".join(f"{path}($|\\?)" for path in UNTRACED)
    return OpenTelemetryMiddleware(
        app,
        excluded_urls=excluded,
        exclude_spans=["receive", "send"],
        default_span_details=_span_details,
    )


def _span_details(scope: Scope) -> tuple[str, dict[str, str]]:
    """Name a request's span by its Twilio operation (`conversation.create`), not its path,
    whose SIDs would make every name unique."""
    operation = operation_of(scope.get("method", ""), scope.get("path", ""), UNTRACED[0])
    return operation, {"twilio.operation": operation}
