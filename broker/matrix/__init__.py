"""The matrix: which consumer and provider versions are compatible, and can-i-deploy."""
