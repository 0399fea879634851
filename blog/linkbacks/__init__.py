"""Talking to other blogs: outbound HTTP, discovery, sending, receiving, verification."""
