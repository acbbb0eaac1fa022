"""CacheBus for Django: keeps what CacheBus needs to know about sessions, and reads what it keeps fresh."""
from cachebus_django.intents import invalidate
from cachebus_django.sessions import profile_snapshot

__all__ = ["invalidate", "profile_snapshot"]
