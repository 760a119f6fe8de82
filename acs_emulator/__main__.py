"""`python -m acs_emulator`: see `acs_emulator.cli`."""

import sys

from acs_emulator.cli import main

sys.exit(main())
