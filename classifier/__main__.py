"""`python -m classifier`: the command line."""

from classifier.cli import main

main()
