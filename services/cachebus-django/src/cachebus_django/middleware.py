"""
Keeps the session registry right when a signed-in user's session key changes without a login:
update_session_auth_hash (every password change view calls it) cycles the key and sends no signal, so the new key
would be unknown to CacheBus and that session never revoked. Put it after AuthenticationMiddleware.
"""
from cachebus_django import sessions


class SessionRegistryMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        before = request.session.session_key  # the cookie's key: reading it loads nothing
        response = self.get_response(request)
        if request.session.session_key != before:
            sessions.record_rotation(request, before)
        return response
