"""The six TracSeq services under contract: gateway, sample, storage, sequencing, notification, event."""
