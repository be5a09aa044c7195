"""TracSeq Contracts: consumer-driven contract testing for the TracSeq platform."""
