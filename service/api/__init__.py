"""HTTP edge: routers, dependencies and problem+json errors."""
