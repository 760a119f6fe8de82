"""Async twins of the adapter's gateways (the `aio/` mirror, as in the Azure SDKs)."""

from acs_adapter.aio.chat import AsyncChatGateway, AsyncUserChat

__all__ = ["AsyncChatGateway", "AsyncUserChat"]
