"""Consumer-driven conformance: our broker verified against the official clients' pacts."""
