"""The one wall-clock limit a test may wait on.

A test waits for a server, a subprocess or a page only as long as CI itself would let the
whole run go on: on a loaded machine a test gets slow, never red. A real hang still ends,
with the output of what was waited for.
"""

import os

# PALERMO_TEST_WAIT=20 shortens it while debugging a browser test that waits for what never comes.
WAIT_SECONDS = int(os.environ.get("PALERMO_TEST_WAIT", "900"))
WAIT_MS = WAIT_SECONDS * 1000  # Playwright counts in milliseconds
