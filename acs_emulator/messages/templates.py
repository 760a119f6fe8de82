"""Template sends checked against the channel's templates, as WhatsApp checks them.

A template must exist on the channel in the requested language and be approved, every binding
must point at a value that was sent, and the body must bind exactly as many text values as the
template has `{{n}}` slots; the values fill the slots in the order of the body bindings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from acs_emulator.messages.parsing import TemplateRequest, invalid
from acs_emulator.numbers import NumberRegistry


@dataclass(frozen=True)
class RenderedTemplate:
    name: str
    language: str
    parameters: list[str]
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "language": self.language, "parameters": list(self.parameters)}


def render(registry: NumberRegistry, channel_id: str, request: TemplateRequest) -> RenderedTemplate:
    template = registry.template(channel_id, request.name, request.language)
    if template is None:
        raise invalid(
            f"Template '{request.name}' ({request.language}) does not exist on the channel.",
            "template.name",
            "TemplateNotFound",
        )
    if template.status != "approved":
        raise invalid(
            f"Template '{request.name}' ({request.language}) is {template.status}, not approved.",
            "template.name",
            "TemplateNotApproved",
        )
    for ref in [*request.body_refs, *request.other_refs]:
        if ref not in request.values:
            raise invalid(f"Binding '{ref}' refers to no template value.", "template.bindings")
    if len(request.body_refs) != template.parameter_count:
        raise invalid(
            f"Template '{request.name}' takes {template.parameter_count} body parameters, "
            f"{len(request.body_refs)} were bound.",
            "template.bindings.body",
            "TemplateParameterMismatch",
        )
    parameters = []
    for ref in request.body_refs:
        value = request.values[ref]
        text = value.get("text")
        if value.get("kind") != "text" or not isinstance(text, str):
            raise invalid(f"Body value '{ref}' must be a text value.", "template.values")
        parameters.append(text)
    return RenderedTemplate(request.name, request.language, parameters, template.render(parameters))
