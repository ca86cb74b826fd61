import time

from allauth.socialaccount.internal import statekit
from allauth.socialaccount.providers.saml.provider import SAMLProvider
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect

from myprescriptions.saml.config import build_auth
from prescriptions import identity


class EidSamlProvider(SAMLProvider):
    """allauth's SAML provider, built from our settings (RequestedAuthnContext and all) and storing
    only what the service needs instead of every attribute the IdP sends."""

    default_attribute_mapping = {
        "uid": ["uid"],
        "first_name": ["urn:oid:2.5.4.42", "givenName"],
        "last_name": ["urn:oid:2.5.4.4", "sn"],
    }

    def redirect(self, request, process, next_url=None, data=None, **kwargs):
        auth = build_auth(request, self)
        redirect = auth.login(return_to="")
        self.stash_redirect_state(request, process, next_url, data, state_id=auth.get_last_request_id(), **kwargs)
        return HttpResponseRedirect(redirect)

    # The login state, keyed by the AuthnRequest ID, lives in the session in allauth's format
    # (statekit). allauth saves the session the moment it stashes or takes a state and then reads it
    # back from the database: eight queries per login that SessionMiddleware's own save makes
    # redundant here.

    def stash_redirect_state(self, request, process, next_url=None, data=None, state_id=None, **kwargs):
        """The state is saved with the session on the way out of this request, whose answer is the
        redirect to the IdP: it is in the database before the browser can come back with a response."""
        if state_id is None:
            return super().stash_redirect_state(request, process, next_url, data, **kwargs)
        state = {"process": process, "data": data, **kwargs}
        if next_url:
            state["next"] = next_url
        states = statekit.get_states(request)
        statekit.gc_states(states)
        states[state_id] = (state, time.time(), self.sub_id)
        request.session[statekit.STATES_SESSION_KEY] = states
        return state_id

    def unstash_redirect_state(self, request, state_id):
        """Takes the state out of the session, once, if it is ours and younger than allauth's limit;
        PermissionDenied otherwise. Writing the spent state is the caller's: a login replaces the
        session row anyway (cycle_key), and FinishACSView saves the session when it refuses."""
        states = statekit.get_states(request)
        stashed = states.get(state_id)
        state = None
        if stashed is not None and len(stashed) == 3 and stashed[2] == self.sub_id:
            state, stashed_at, _ = stashed
            if time.time() - stashed_at > statekit.STATE_TTL:
                state = None
            del states[state_id]
            request.session[statekit.STATES_SESSION_KEY] = states
        if state is None:
            raise PermissionDenied()
        return state

    def extract_uid(self, data):
        """The identity number, normalised, or None. The NameID stands in only when no attribute
        is configured; an attribute with several values names no one in particular."""
        if settings.SAML_UID_ATTRIBUTE:
            values = data.get_attributes().get(settings.SAML_UID_ATTRIBUTE) or []
            if len(values) != 1:
                return None
            value = values[0]
        else:
            value = data.get_nameid()
        try:
            return identity.parse(value or "").value
        except identity.InvalidIdentityNumber:
            return None

    def _extract(self, data):
        mapping = dict(self.default_attribute_mapping)
        mapping["uid"] = [settings.SAML_UID_ATTRIBUTE] if settings.SAML_UID_ATTRIBUTE else []
        raw = data.get_attributes()
        result = {}
        for key, names in mapping.items():
            for name in names:
                if raw.get(name):
                    result[key] = raw[name][0]
                    break
        return result

    def extract_extra_data(self, data):
        return {"authn_contexts": list(data.get_last_authn_contexts())}


provider_classes = [EidSamlProvider]
