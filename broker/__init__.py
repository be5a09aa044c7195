"""A Pact-Broker-compatible broker: the official Pact clients work against it unchanged."""
