"""Outgoing calls of the sequencing service: notifying people.

`SentNotification` is the sequencing service's own view of the answer: only the fields it reads.
"""

from typing import Any, Literal

from pydantic import BaseModel

from services.common.client import ServiceClient


class SentNotification(BaseModel):
    id: str
    status: str


class NotificationClient(ServiceClient):
    service = "notification"

    def send(
        self,
        channel: Literal["email", "slack", "sms"],
        recipient: str,
        template: str,
        data: dict[str, Any],
    ) -> SentNotification:
        """`POST /notifications`; `Unprocessable` for an unknown template/channel or unfit recipient."""
        response = self._request(
            "POST",
            "/notifications",
            json={"channel": channel, "recipient": recipient, "template": template, "data": data},
        )
        return self._parse(response, SentNotification)
