"""Reading input: articles from files, directories and standard input, newspaper pages split into articles, label files."""
