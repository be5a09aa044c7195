"""Notification service settings (environment prefix `NOTIFICATION_`)."""

from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_LAB_CHANNEL = "#lab-ops"


class NotificationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATION_")

    # Where storage events are announced: the lab's Slack channel.
    lab_channel: str = DEFAULT_LAB_CHANNEL
