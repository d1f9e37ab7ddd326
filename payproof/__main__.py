import sys

from payproof.cli import main

sys.exit(main())
