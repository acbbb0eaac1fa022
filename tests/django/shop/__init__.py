"""A tiny Django shop that caches the way real Django apps do, for proving CacheBus invalidates what Django stores."""
