"""`python -m bench` is `python -m bot bench`."""

import sys

from bench.run import main

sys.exit(main())
