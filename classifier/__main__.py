"""`python -m classifier`: the command line."""

from classifier.cli import main

# Guarded: Dask's worker processes are spawned, and import the main module again.
if __name__ == "__main__":
    main()
