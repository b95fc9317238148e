import sys

from huiyan.cli import main

sys.exit(main())
