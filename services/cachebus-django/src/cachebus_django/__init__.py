"""CacheBus for Django: keeps what CacheBus needs to know about sessions, and reads what it keeps fresh."""
from cachebus_django.sessions import profile_snapshot

__all__ = ["profile_snapshot"]
