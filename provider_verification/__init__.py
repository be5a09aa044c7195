"""Provider verification: each module replays its consumers' pacts against the real provider app."""
