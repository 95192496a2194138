"""What a phone reads: a renderer for every file kind, and the importer."""
