"""Consumer contract tests: each module drives a service's real client against the Pact mock server."""
