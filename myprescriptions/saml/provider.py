from allauth.socialaccount.providers.saml.provider import SAMLProvider
from django.conf import settings
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
