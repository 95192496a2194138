"""What a phone reports about itself on its built-in web server."""
