"""Consumer tests. The `pact` fixture is the contracts plugin's; it writes the pacts of passing tests."""

import os

# The Pact core otherwise spends about two minutes trying to send usage metrics before it does anything.
os.environ.setdefault("PACT_DO_NOT_TRACK", "true")
