"""Local HTTP servers that speak a provider's protocol closely enough to catch real mistakes."""
