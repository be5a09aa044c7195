"""Storage service settings (environment prefix `STORAGE_`)."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class StorageSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STORAGE_")

    event_url: str = "http://127.0.0.1:8006"
    http_timeout_s: float = 5.0
    # The default layout: one freezer (fridge, shelf) per zone, each with this many racks of rows × columns.
    racks_per_freezer: int = Field(default=2, ge=0)
    rack_rows: int = Field(default=4, ge=1, le=26)
    rack_columns: int = Field(default=6, ge=1)
