"""The one wall-clock limit a test may wait on.

A test waits for a server, a subprocess or a page only as long as CI itself would let the
whole run go on: on a loaded machine a test gets slow, never red. A real hang still ends,
with the output of what was waited for.
"""

WAIT_SECONDS = 900
WAIT_MS = WAIT_SECONDS * 1000  # Playwright counts in milliseconds
