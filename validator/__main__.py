"""`python -m validator`: the medcube command line."""

from validator.cli import main

main()
