"""What crosses the wire to and from the notification service."""

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from services.notification.templates import TEMPLATES

Channel = Literal["email", "slack", "sms"]

_RECIPIENT_RULES: dict[str, tuple[re.Pattern[str], str]] = {
    "email": (re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$"), "an email address like ada@lab.example"),
    "slack": (re.compile(r"^[#@][a-z0-9][a-z0-9._-]{0,79}$"), "a Slack #channel or @user"),
    "sms": (re.compile(r"^\+[1-9]\d{7,14}$"), "an E.164 phone number like +441234567890"),
}


class NewNotification(BaseModel):
    channel: Channel
    recipient: str = Field(min_length=1, max_length=200)
    template: str
    data: dict[str, Any] = Field(default_factory=dict)

    @field_validator("recipient")
    @classmethod
    def _recipient_fits_channel(cls, value: str, info: ValidationInfo) -> str:
        channel = info.data.get("channel")
        if channel in _RECIPIENT_RULES:
            pattern, what = _RECIPIENT_RULES[channel]
            if not pattern.match(value):
                raise ValueError(f"a {channel} recipient must be {what}, got {value!r}")
        return value

    @field_validator("template")
    @classmethod
    def _known_template(cls, value: str) -> str:
        if value not in TEMPLATES:
            raise ValueError(f"unknown template {value!r}; known templates: {', '.join(sorted(TEMPLATES))}")
        return value

    @field_validator("data")
    @classmethod
    def _data_fits_template(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        template = TEMPLATES.get(info.data.get("template", ""))
        if template is not None:
            missing = [key for key in template.required if key not in value]
            if missing:
                raise ValueError(
                    f"template {template.name!r} needs data keys {', '.join(template.required)}; "
                    f"missing: {', '.join(missing)}"
                )
        return value


class Delivery(BaseModel):
    """One entry of the delivery log."""

    id: str
    channel: Channel
    recipient: str
    template: str
    data: dict[str, Any]
    subject: str
    body: str
    status: Literal["delivered"] = "delivered"
    created_at: datetime
    source_event_id: str | None = None


class TemplateInfo(BaseModel):
    name: str
    required_data: list[str]
